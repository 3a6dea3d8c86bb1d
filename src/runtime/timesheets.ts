/**
 * Timesheets, a hub operation: one per person and month (kind `timesheet`, identity
 * `timesheet:<personId>:<YYYY-MM>`, core/fields/timesheet.ts). The person submits
 * (draft → submitted, or → absence-submitted), reopens (back to draft), and an admin's
 * month lock (runtime/month-lock.ts) makes a submitted one `exported`, which is final:
 * there is no unlock yet. A month without a record is a virtual draft; submitting creates
 * the record. Submitting what is already submitted writes nothing (no new version).
 */
import { TimebridgeError } from '../core/errors.js';
import { timesheetIdentity, type TimesheetState } from '../core/fields/timesheet.js';
import type { HubRecord } from '../core/model.js';
import { newId } from './ids.js';
import type { Actor } from './records.js';
import type { TimekeepingDeps } from './timers.js';

export type TimesheetOp = 'submit' | 'submit-absence' | 'reopen' | 'lock';

/**
 * The state after an operation (`changed`: whether anything is written), or the error
 * refusing it. `lock` of anything but a submitted sheet changes nothing (the lock skips it).
 */
export function timesheetTransition(
  state: TimesheetState,
  op: TimesheetOp,
): { state: TimesheetState; changed: boolean } | { refused: 'PERIOD_LOCKED' | 'RESOURCE_CONFLICT'; reason: string } {
  if (state === 'exported') return op === 'lock' ? { state, changed: false } : { refused: 'PERIOD_LOCKED', reason: 'the month is exported (locked)' };
  switch (op) {
    case 'lock':
      return state === 'submitted' ? { state: 'exported', changed: true } : { state, changed: false };
    case 'reopen':
      return { state: 'draft', changed: state !== 'draft' };
    case 'submit':
    case 'submit-absence': {
      const target = op === 'submit' ? 'submitted' : 'absence-submitted';
      if (state === 'draft' || state === target) return { state: target, changed: state !== target };
      return { refused: 'RESOURCE_CONFLICT', reason: `the month is ${state}; reopen it before submitting it as ${target}` };
    }
  }
}

export interface TimesheetRequest {
  scope: string;
  personId: string;
  /** YYYY-MM. */
  month: string;
  actor: Actor;
}

export interface TimesheetChange {
  /** The record after the operation; null: the month is still a virtual draft (a reopen of a never submitted month). */
  timesheet: HubRecord | null;
  /** False when it already was in that state (nothing written). */
  changed: boolean;
}

export interface TimesheetView {
  personId: string;
  month: string;
  state: TimesheetState;
  /** The record, or null while the month is a virtual draft (never submitted). */
  timesheet: HubRecord | null;
  /** The person's live time entries dated in the month, by date and start. */
  entries: HubRecord[];
  totalSeconds: number;
}

export async function findTimesheet(deps: TimekeepingDeps, scope: string, personId: string, month: string): Promise<HubRecord | null> {
  return (await deps.store.findByIdentity(scope, 'timesheet', timesheetIdentity(personId, month))).find((t) => !t.tombstone) ?? null;
}

/** The person's live entries of the month. Entries are attached to a timesheet by person and month (see month-lock.ts). */
export async function entriesOfMonth(deps: TimekeepingDeps, scope: string, personId: string, month: string): Promise<HubRecord[]> {
  return (await deps.store.listScope(scope, 'timeEntry'))
    .filter((e) => !e.tombstone && e.fields.personId === personId && String(e.fields.date ?? '').startsWith(`${month}-`))
    .sort((a, b) => `${String(a.fields.date)}${String(a.fields.start ?? '')}`.localeCompare(`${String(b.fields.date)}${String(b.fields.start ?? '')}`));
}

async function move(deps: TimekeepingDeps, req: TimesheetRequest, op: TimesheetOp): Promise<TimesheetChange> {
  const fields = deps.records.validate('timesheet', { personId: req.personId, month: req.month, state: 'draft' });
  const current = await findTimesheet(deps, req.scope, req.personId, req.month);
  const state = (current?.fields.state as TimesheetState | undefined) ?? 'draft';
  const next = timesheetTransition(state, op);
  if ('refused' in next) {
    throw new TimebridgeError(next.refused, `refused: ${next.reason} (timesheet of person ${req.personId}, ${req.month})`, {
      hint:
        next.refused === 'PERIOD_LOCKED'
          ? 'an exported month is final: only an admin could unlock it, and there is no unlock yet; book corrections in an open month'
          : 'reopen the timesheet first (POST /api/v1/timesheets/reopen or `timebridge timesheet reopen`)',
    });
  }
  if (current && !next.changed) return { timesheet: current, changed: false };
  if (!current && !next.changed) return { timesheet: null, changed: false };
  const id = current?.id ?? newId();
  const write = deps.records.write(
    current ?? { id, kind: 'timesheet', scope: req.scope },
    { ...(current?.fields ?? fields), state: next.state },
    req.actor,
    current?.version ?? 0,
  );
  await deps.records.commit([write]);
  return { timesheet: await deps.records.mustGet(id), changed: true };
}

/** draft → submitted (`absence`: → absence-submitted); the record is created when missing. */
export function submitTimesheet(deps: TimekeepingDeps, req: TimesheetRequest & { absence?: boolean }): Promise<TimesheetChange> {
  return move(deps, req, req.absence ? 'submit-absence' : 'submit');
}

/** submitted / absence-submitted → draft; exported is refused (PERIOD_LOCKED). */
export function reopenTimesheet(deps: TimekeepingDeps, req: TimesheetRequest): Promise<TimesheetChange> {
  return move(deps, req, 'reopen');
}

export async function showTimesheet(deps: TimekeepingDeps, scope: string, personId: string, month: string): Promise<TimesheetView> {
  const timesheet = await findTimesheet(deps, scope, personId, month);
  const entries = await entriesOfMonth(deps, scope, personId, month);
  return {
    personId,
    month,
    state: (timesheet?.fields.state as TimesheetState | undefined) ?? 'draft',
    timesheet,
    entries,
    totalSeconds: entries.reduce((n, e) => n + (typeof e.fields.durationSeconds === 'number' ? e.fields.durationSeconds : 0), 0),
  };
}
