/**
 * Locking a month, a hub operation: every hub `timesheet` record of that month in state
 * `submitted` is locked — its person's time entries of the month get `exported: true`
 * and the timesheet becomes `exported`, in one store commit per timesheet. Other states
 * are reported as skipped. Nothing remote is written here: the scope's links carry the
 * lock out on their next run like any hub edit (planned as push-updates, journaled, under
 * the link lock), and a target that knows the flag sets it (Kimai's exported) and then
 * refuses to change or delete those records (PERIOD_LOCKED).
 *
 * The links that carry the lock out are those of the scope whose mapper holds `exported`
 * (`lockCarriers`; today Kimai's timesheet mapper), whatever their connector. Each locked
 * entry records its timesheet under `extras.timesheet` only when no time-entry link of the
 * scope would see that field (its mapper's `holds` leaves it out), so attaching changes no
 * link's hash; otherwise the entries belong to the timesheet by person and month, which is
 * how `showTimesheet` (runtime/timesheets.ts) lists them either way.
 *
 * A hub timesheet record: kind `timesheet`, fields `{ personId, month: 'YYYY-MM', state }`.
 */
import { timesheetFieldsSchema, type TimesheetFields } from '../core/fields/timesheet.js';
import { describeError, type ErrorInfo } from '../core/errors.js';
import type { Fields, HubRecord } from '../core/model.js';
import type { HubStore, RecordWrite } from '../store/types.js';

export { TIMESHEET_STATES } from '../core/fields/timesheet.js';
/** A hub timesheet record's fields (core/fields/timesheet.ts). */
export const timesheetRecordSchema = timesheetFieldsSchema;
export type TimesheetRecord = TimesheetFields;

export interface LockRequest {
  store: HubStore;
  /** Hub scope holding the timesheets and their time entries. */
  scope: string;
  year: number;
  /** 1–12. */
  month: number;
  /** Links of the scope that will carry the lock out (`lockCarriers`, e.g. `link:kimai-timesheets`): their status rows name each entry's remote record. */
  linkIds: string[];
  /** Record the timesheet id on each locked entry under `extras.timesheet` (only when `lockCarriers` says no link sees it). */
  attach?: boolean;
  /** Who locks: `user:<id>` or `link:<name>`, the origin of the hub writes. */
  origin: string;
  now: Date;
}

export interface LockReport {
  month: string;
  /**
   * `entries`: the hub time entries locked; `exported`: the remote ids (of `linkIds`) the
   * next runs export; `untracked`: entries none of those links tracks (nothing remote to lock).
   */
  locked: { timesheetId: string; personId: string; entries: string[]; exported: string[]; untracked: string[] }[];
  skipped: { timesheetId: string; personId: string; state: string; reason: string }[];
  /** The commit was refused (a record changed meanwhile): nothing of that timesheet was locked; lock again. */
  failed: { timesheetId: string; personId: string; error: ErrorInfo }[];
}

/** What `lockCarriers` needs of a link: its id, hub kind and its mapper's `holds` (absent: the whole record). */
export interface LockLink {
  id: string;
  kind: string;
  holds: readonly string[] | undefined;
}

/**
 * The links of a scope that carry a month lock out (their mapper holds `exported`), and
 * whether the timesheet id may be recorded on the entries (`extras.timesheet`): only when
 * no time-entry link holds the whole record or that field, so no link's hash changes.
 */
export function lockCarriers(links: readonly LockLink[]): { linkIds: string[]; attach: boolean } {
  return {
    linkIds: links.filter((l) => l.holds?.includes('exported')).map((l) => l.id),
    attach: links.filter((l) => l.kind === 'timeEntry').every((l) => l.holds !== undefined && !l.holds.includes(TIMESHEET_EXTRA)),
  };
}

const TIMESHEET_EXTRA = 'extras.timesheet';

const SKIP_REASON: Record<string, string> = {
  draft: 'not submitted yet',
  'absence-submitted': 'only absences are submitted',
  exported: 'already exported',
};

export async function lockMonth(req: LockRequest): Promise<LockReport> {
  const month = `${req.year}-${String(req.month).padStart(2, '0')}`;
  const report: LockReport = { month, locked: [], skipped: [], failed: [] };
  const sheets = (await req.store.listScope(req.scope, 'timesheet')).filter((r) => !r.tombstone && r.fields.month === month);
  if (!sheets.length) return report;
  const entries = (await req.store.listScope(req.scope, 'timeEntry')).filter((r) => !r.tombstone && String(r.fields.date ?? '').startsWith(`${month}-`));
  const remoteOf = new Map<string, string>();
  for (const linkId of req.linkIds) for (const row of await req.store.loadStatusIndex(linkId)) remoteOf.set(row.hubId, row.extId);

  for (const sheet of sheets) {
    const parsed = timesheetRecordSchema.safeParse(sheet.fields);
    const personId = String(sheet.fields.personId ?? '');
    if (!parsed.success) {
      report.skipped.push({
        timesheetId: sheet.id,
        personId,
        state: String(sheet.fields.state ?? '?'),
        reason: `not a timesheet record: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      });
      continue;
    }
    if (parsed.data.state !== 'submitted') {
      report.skipped.push({ timesheetId: sheet.id, personId, state: parsed.data.state, reason: SKIP_REASON[parsed.data.state]! });
      continue;
    }
    const mine = entries.filter((e) => e.fields.personId === personId);
    const exported: string[] = [],
      untracked: string[] = [];
    for (const e of mine) {
      const ext = remoteOf.get(e.id);
      if (ext) exported.push(ext);
      else untracked.push(e.id);
    }
    const lockedFields = (e: HubRecord): Fields =>
      req.attach
        ? { ...e.fields, exported: true, extras: { ...((e.fields.extras as Fields | undefined) ?? {}), timesheet: sheet.id } }
        : { ...e.fields, exported: true };
    const writes = [
      ...mine.filter((e) => e.fields.exported !== true || (req.attach && extrasOf(e).timesheet !== sheet.id)).map((e) => write(e, lockedFields(e), req)),
      write(
        sheet,
        {
          ...sheet.fields,
          state: 'exported',
          extras: { ...((sheet.fields.extras as Record<string, unknown> | undefined) ?? {}), lockedAt: req.now.toISOString() },
        } as Fields,
        req,
      ),
    ];
    try {
      // One commit: the timesheet is exported exactly when all of its entries are locked.
      await req.store.commit({ records: writes });
    } catch (err) {
      report.failed.push({ timesheetId: sheet.id, personId, error: describeError(err) });
      continue;
    }
    report.locked.push({ timesheetId: sheet.id, personId, entries: mine.map((e) => e.id), exported, untracked });
  }
  return report;
}

const extrasOf = (r: HubRecord): Fields => (r.fields.extras as Fields | undefined) ?? {};

function write(r: HubRecord, fields: Fields, req: LockRequest): RecordWrite {
  return {
    id: r.id,
    kind: r.kind,
    scope: r.scope,
    fields,
    identity: r.identity,
    tombstone: false,
    origin: req.origin,
    runId: null,
    expectedVersion: r.version,
    updatedAt: req.now.toISOString(),
  };
}
