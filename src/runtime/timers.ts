/**
 * Timers, a hub operation: at most one running timer per person (kind `timer`, identity
 * `timer:<personId>`, core/fields/timer.ts). Starting one while another runs stops the
 * first (its time entry made) in the same commit; stopping makes a time entry and removes
 * the timer in one commit. The entry's day is the start's local day in the timer's zone
 * (the person's when it was started): a timer that runs over midnight makes one entry on
 * its start day — splitting it is the records API's split route. Locked periods
 * (core/fields/period-lock.ts) refuse a start and a stop; `discardTimer` throws a timer
 * away without an entry (the way out of a timer whose month was locked meanwhile).
 *
 * Who may act for whom is the caller's business (interfaces/http, interfaces/cli).
 */
import { instantToLocalDate } from '../connectors/kit/zone-time.js';
import { TimebridgeError } from '../core/errors.js';
import { periodKey, type PeriodLocks } from '../core/fields/period-lock.js';
import { timerIdentity } from '../core/fields/timer.js';
import type { Fields, HubRecord } from '../core/model.js';
import type { HubStore, RecordWrite } from '../store/types.js';
import { newId } from './ids.js';
import type { Actor, HubRecords } from './records.js';

export interface TimekeepingDeps {
  store: HubStore;
  records: HubRecords;
}

export interface StartTimerRequest {
  scope: string;
  personId: string;
  projectId?: string | null;
  activityId?: string | null;
  taskId?: string | null;
  description?: string | null;
  tags?: string[];
  billable?: boolean | null;
  actor: Actor;
  now: Date;
}

export interface TimerRequest {
  scope: string;
  personId: string;
  actor: Actor;
  now: Date;
}

export interface StartResult {
  timer: HubRecord;
  /** The timer that was running, stopped by this start (as it ran, marked removed), and the entry it made. */
  stopped: { timer: HubRecord; entry: HubRecord } | null;
}

export interface StopResult {
  timer: HubRecord;
  entry: HubRecord;
}

export interface TimerStatus {
  running: boolean;
  timer: HubRecord | null;
  /** Seconds since the start (at `now`), 0 when none runs. */
  elapsedSeconds: number;
}

/** A UTC instant without milliseconds, as timers and entries keep them. */
const instantOf = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

/** The live person record of a scope by hub id, username or e-mail (any case); a clear error otherwise. */
export async function findPerson(store: HubStore, scope: string, ref: string): Promise<HubRecord> {
  const [byId] = await store.getRecords([ref]);
  if (byId && byId.kind === 'person' && byId.scope === scope && !byId.tombstone) return byId;
  const lower = ref.toLowerCase();
  const found = (await store.listScope(scope, 'person')).filter(
    (p) => !p.tombstone && (p.fields.username === ref || (typeof p.fields.email === 'string' && p.fields.email.toLowerCase() === lower)),
  );
  if (found.length === 1) return found[0]!;
  throw new TimebridgeError(
    found.length ? 'RESOURCE_CONFLICT' : 'RESOURCE_NOT_FOUND',
    found.length ? `"${ref}" names ${found.length} persons in scope ${scope}` : `no person "${ref}" in scope ${scope}`,
    {
      hint: found.length
        ? 'name the person by hub id'
        : 'name a person of the scope by hub id, username or e-mail (sync them from Kimai or Jira, or create one)',
    },
  );
}

/** The running timer of a person, or null. */
export async function runningTimer(store: HubStore, scope: string, personId: string): Promise<HubRecord | null> {
  const found = await store.findByIdentity(scope, 'timer', timerIdentity(personId));
  return found.find((t) => !t.tombstone) ?? null;
}

/** Refuse when the person's month of this local day is locked. */
function assertMonthOpen(locks: PeriodLocks, personId: string, day: string, what: string): void {
  const month = day.slice(0, 7);
  if (locks.has(periodKey(personId, month)))
    throw new TimebridgeError('PERIOD_LOCKED', `refused to ${what}: ${month} of person ${personId} is locked (its timesheet is exported)`, {
      hint: 'book the time in an open month; discard a timer of a locked month with DELETE /api/v1/timers/current or `timebridge timer discard`',
    });
}

/**
 * The record every timer of a person is written to (a stop tombstones it, the next start
 * brings it back), so two starts racing for one person meet a version conflict instead of
 * making two running timers. A timer made another way (the records API) keeps its own id.
 */
export const timerRecordId = (personId: string): string => `timer-${personId}`;

/** The time entry a timer makes when stopped at `now`: the write that makes it, and the one that removes the timer. */
function stopWrites(
  deps: TimekeepingDeps,
  timer: HubRecord,
  locks: PeriodLocks,
  actor: Actor,
  now: Date,
): { entryId: string; entry: RecordWrite; remove: RecordWrite } {
  const f = timer.fields;
  const startMs = Date.parse(String(f.start));
  const zone = typeof f.timeZone === 'string' ? f.timeZone : null;
  const date = instantToLocalDate(startMs, zone);
  const entry = deps.records.validate('timeEntry', {
    date,
    start: f.start,
    durationSeconds: Math.max(0, Math.floor((now.getTime() - startMs) / 1000)),
    timeZone: zone,
    description: f.description ?? null,
    personId: f.personId,
    projectId: f.projectId ?? null,
    activityId: f.activityId ?? null,
    taskId: f.taskId ?? null,
    billable: f.billable ?? null,
    tags: f.tags ?? [],
  });
  assertMonthOpen(locks, String(f.personId), date, 'stop the timer');
  deps.records.assertUnlocked('timeEntry', locks, entry);
  const entryId = newId(now.getTime());
  return {
    entryId,
    entry: deps.records.write({ id: entryId, kind: 'timeEntry', scope: timer.scope }, entry, actor, 0),
    remove: deps.records.write(timer, timer.fields, actor, timer.version, true),
  };
}

async function mustPerson(deps: TimekeepingDeps, scope: string, personId: string): Promise<HubRecord> {
  const [p] = await deps.store.getRecords([personId]);
  if (!p || p.kind !== 'person' || p.scope !== scope || p.tombstone)
    throw new TimebridgeError('RESOURCE_NOT_FOUND', `no person ${personId} in scope ${scope}`, { hint: 'name a person of that scope' });
  return p;
}

export async function startTimer(deps: TimekeepingDeps, req: StartTimerRequest): Promise<StartResult> {
  const person = await mustPerson(deps, req.scope, req.personId);
  const zone = typeof person.fields.timeZone === 'string' && person.fields.timeZone ? person.fields.timeZone : null;
  const locks = await deps.records.locks(req.scope);
  const start = instantOf(req.now);
  assertMonthOpen(locks, person.id, instantToLocalDate(req.now.getTime(), zone), 'start a timer');
  const fields: Fields = deps.records.validate('timer', {
    personId: person.id,
    start,
    timeZone: zone,
    description: req.description ?? null,
    projectId: req.projectId ?? null,
    activityId: req.activityId ?? null,
    taskId: req.taskId ?? null,
    billable: req.billable ?? null,
    tags: req.tags ?? [],
  });
  const running = await runningTimer(deps.store, req.scope, person.id);
  const stop = running ? stopWrites(deps, running, locks, req.actor, req.now) : null;
  const timerId = timerRecordId(person.id);
  const [slot] = await deps.store.getRecords([timerId]);
  if (slot && slot.kind !== 'timer')
    throw new TimebridgeError('RESOURCE_CONFLICT', `hub record ${timerId} is a ${slot.kind}`, { hint: 'report this: timer ids are reserved' });
  // The running timer in the slot is overwritten by the new one (one write); one kept elsewhere is removed.
  const writes = stop ? [stop.entry, ...(running!.id === timerId ? [] : [stop.remove])] : [];
  // One commit: the old timer's entry exists exactly when the new timer runs; a start racing this one fails on the slot's version.
  await deps.records.commit([...writes, deps.records.write({ id: timerId, kind: 'timer', scope: req.scope }, fields, req.actor, slot?.version ?? 0)]);
  // A timer stopped in the slot is answered as it ran, removed (its record now holds the new timer).
  const stoppedTimer = !running ? null : running.id === timerId ? { ...running, tombstone: true } : await deps.records.mustGet(running.id);
  return {
    timer: await deps.records.mustGet(timerId),
    stopped: stoppedTimer && stop ? { timer: stoppedTimer, entry: await deps.records.mustGet(stop.entryId) } : null,
  };
}

const noTimer = (personId: string) =>
  new TimebridgeError('RESOURCE_NOT_FOUND', `person ${personId} has no running timer`, {
    hint: 'start one with POST /api/v1/timers/start or `timebridge timer start`',
  });

export async function stopTimer(deps: TimekeepingDeps, req: TimerRequest): Promise<StopResult> {
  const running = await runningTimer(deps.store, req.scope, req.personId);
  if (!running) throw noTimer(req.personId);
  const { entryId, entry, remove } = stopWrites(deps, running, await deps.records.locks(req.scope), req.actor, req.now);
  await deps.records.commit([entry, remove]);
  return { timer: await deps.records.mustGet(running.id), entry: await deps.records.mustGet(entryId) };
}

/** Throw the running timer away without making an entry (allowed in a locked month: it writes no time). */
export async function discardTimer(deps: TimekeepingDeps, req: Omit<TimerRequest, 'now'>): Promise<HubRecord> {
  const running = await runningTimer(deps.store, req.scope, req.personId);
  if (!running) throw noTimer(req.personId);
  await deps.records.commit([deps.records.write(running, running.fields, req.actor, running.version, true)]);
  return deps.records.mustGet(running.id);
}

export async function timerStatus(deps: TimekeepingDeps, scope: string, personId: string, now: Date): Promise<TimerStatus> {
  const timer = await runningTimer(deps.store, scope, personId);
  if (!timer) return { running: false, timer: null, elapsedSeconds: 0 };
  return { running: true, timer, elapsedSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(String(timer.fields.start))) / 1000)) };
}
