/**
 * Locking a month (the Kimai sync service's `/timesheets/lock`): every hub `timesheet`
 * record of that month in state `submitted` is locked — the Kimai records of its
 * person's time entries that month get Kimai's exported flag (PATCH …/export), and the
 * timesheet becomes `exported`. Other states are reported as skipped. From then on the
 * Kimai connector refuses to change or delete those records (PERIOD_LOCKED), whatever
 * the token's permissions.
 *
 * A hub timesheet record: kind `timesheet`, fields `{ personId, month: 'YYYY-MM', state }`.
 */
import { z } from 'zod';
import { describeError, type ErrorInfo } from '../../core/errors.js';
import type { Fields, HubRecord } from '../../core/model.js';
import type { HubStore } from '../../store/types.js';
import type { KimaiApi } from './kimai-api.js';
import type { RawTimesheet } from './kimai-types.js';

export const TIMESHEET_STATES = ['draft', 'absence-submitted', 'submitted', 'exported'] as const;

export const timesheetRecordSchema = z.object({
  personId: z.string().min(1),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'is not YYYY-MM'),
  state: z.enum(TIMESHEET_STATES),
  extras: z.record(z.string(), z.unknown()).optional(),
}).strict();

export type TimesheetRecord = z.infer<typeof timesheetRecordSchema>;

export interface LockSource {
  /** A Kimai timesheet link of the scope: its status rows say which Kimai record each hub entry is. */
  linkId: string;
  api: KimaiApi;
}

export interface LockRequest {
  store: HubStore;
  /** Hub scope holding the timesheets and their time entries. */
  scope: string;
  year: number;
  /** 1–12. */
  month: number;
  sources: LockSource[];
  /** Who locks: `user:<id>` or `link:<name>`, the origin of the hub writes. */
  origin: string;
  now: Date;
}

export interface LockReport {
  month: string;
  locked: { timesheetId: string; personId: string; exported: string[]; notInKimai: string[] }[];
  skipped: { timesheetId: string; personId: string; state: string; reason: string }[];
  failed: { timesheetId: string; personId: string; errors: { entryId: string; error: ErrorInfo }[] }[];
}

const SKIP_REASON: Record<string, string> = {
  'draft': 'not submitted yet',
  'absence-submitted': 'only absences are submitted',
  'exported': 'already exported',
};

export async function lockMonth(req: LockRequest): Promise<LockReport> {
  const month = `${req.year}-${String(req.month).padStart(2, '0')}`;
  const report: LockReport = { month, locked: [], skipped: [], failed: [] };
  const sheets = (await req.store.listScope(req.scope, 'timesheet')).filter((r) => !r.tombstone && r.fields.month === month);
  if (!sheets.length) return report;
  const entries = (await req.store.listScope(req.scope, 'timeEntry')).filter((r) => !r.tombstone && String(r.fields.date ?? '').startsWith(`${month}-`));
  const kimaiOf = new Map<string, { extId: string; api: KimaiApi }>();
  for (const s of req.sources) for (const row of await req.store.loadStatusIndex(s.linkId)) kimaiOf.set(row.hubId, { extId: row.extId, api: s.api });

  for (const sheet of sheets) {
    const parsed = timesheetRecordSchema.safeParse(sheet.fields);
    const personId = String(sheet.fields.personId ?? '');
    if (!parsed.success) {
      report.skipped.push({ timesheetId: sheet.id, personId, state: String(sheet.fields.state ?? '?'), reason: `not a timesheet record: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}` });
      continue;
    }
    if (parsed.data.state !== 'submitted') {
      report.skipped.push({ timesheetId: sheet.id, personId, state: parsed.data.state, reason: SKIP_REASON[parsed.data.state]! });
      continue;
    }
    const mine = entries.filter((e) => e.fields.personId === personId);
    const exported: string[] = [], notInKimai: string[] = [];
    const errors: { entryId: string; error: ErrorInfo }[] = [];
    for (const entry of mine) {
      const target = kimaiOf.get(entry.id);
      if (!target) { notInKimai.push(entry.id); continue; }
      try {
        await markExported(target.api, target.extId);
        exported.push(target.extId);
      } catch (err) {
        errors.push({ entryId: entry.id, error: describeError(err) });
      }
    }
    // A timesheet is exported only when every one of its Kimai records is: a retry finishes the rest.
    if (errors.length) { report.failed.push({ timesheetId: sheet.id, personId, errors }); continue; }
    await req.store.commit({ records: [lockedRecord(sheet, req, exported)] });
    report.locked.push({ timesheetId: sheet.id, personId, exported, notInKimai });
  }
  return report;
}

/** Set Kimai's exported flag; `/export` toggles, so it is read first (a retried lock never un-exports). */
async function markExported(api: KimaiApi, id: string): Promise<void> {
  const current = await api.timesheet(id);
  if (current.exported) return;
  const after = await api.json<RawTimesheet>('PATCH', `/timesheets/${encodeURIComponent(id)}/export`);
  if (!after.exported) await api.json<RawTimesheet>('PATCH', `/timesheets/${encodeURIComponent(id)}/export`);
}

function lockedRecord(sheet: HubRecord, req: LockRequest, kimaiIds: string[]) {
  const extras = (sheet.fields.extras ?? {}) as Record<string, unknown>;
  const fields: Fields = { ...sheet.fields, state: 'exported', extras: { ...extras, kimai: { lockedAt: req.now.toISOString(), timesheets: kimaiIds } } } as Fields;
  return {
    id: sheet.id, kind: sheet.kind, scope: sheet.scope, fields, identity: sheet.identity, tombstone: false, origin: req.origin,
    runId: null, expectedVersion: sheet.version, updatedAt: req.now.toISOString(),
  };
}
