/**
 * Locked periods. A person's month is locked once their timesheet of that month is
 * `exported` (an admin locked it); a time entry is locked when it carries `exported: true`
 * (the lock marked it, or a system such as Kimai says it is exported) or falls in a locked
 * month of its person. Nothing may create, change or delete a locked entry — not the API,
 * not a timer, not a link pulling a remote edit. Pure.
 */
import type { Fields, RecordKind } from '../model.js';

/** `personId|YYYY-MM` of every exported timesheet in a scope. */
export type PeriodLocks = ReadonlySet<string>;

export const periodKey = (personId: string, month: string): string => `${personId}|${month}`;

/** The locks a scope's timesheet records imply. */
export function periodLocksOf(timesheets: readonly { fields: Fields; tombstone: boolean }[]): PeriodLocks {
  const out = new Set<string>();
  for (const t of timesheets) {
    if (t.tombstone || t.fields.state !== 'exported') continue;
    if (typeof t.fields.personId === 'string' && typeof t.fields.month === 'string') out.add(periodKey(t.fields.personId, t.fields.month));
  }
  return out;
}

/** The local month (YYYY-MM) of a UTC instant in an IANA zone (UTC when none or unknown). */
function localMonth(instant: string, zone: unknown): string {
  if (typeof zone !== 'string' || !zone) return instant.slice(0, 7);
  try {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit' }).formatToParts(new Date(instant));
    const y = parts.find((p) => p.type === 'year')?.value;
    const m = parts.find((p) => p.type === 'month')?.value;
    return y && m ? `${y}-${m}` : instant.slice(0, 7);
  } catch {
    return instant.slice(0, 7);
  }
}

/** The month (YYYY-MM) a time entry (its local day) or a timer (its start, in the timer's zone) belongs to. */
export function monthOf(kind: RecordKind, fields: Fields): string | null {
  const day = kind === 'timeEntry' ? fields.date : kind === 'timer' ? fields.start : null;
  if (typeof day !== 'string' || !/^\d{4}-\d{2}/.test(day)) return null;
  return kind === 'timer' && day.length > 10 ? localMonth(day, fields.timeZone) : day.slice(0, 7);
}

/**
 * Why these fields may not be written, or null when they may. Only time entries and timers
 * are period-bound; `fields` is either side of a write (check the record before and after).
 */
export function lockedReason(kind: RecordKind, fields: Fields | null | undefined, locks: PeriodLocks): string | null {
  if (!fields || (kind !== 'timeEntry' && kind !== 'timer')) return null;
  if (kind === 'timeEntry' && fields.exported === true) return `the entry of ${String(fields.date)} is exported (its period is locked)`;
  return lockedMonthReason(kind, fields, locks);
}

/**
 * Why these fields fall in a locked month of their person, or null. Only the month: a
 * remote's own `exported: true` (Kimai exported a record) may be taken into the hub, but
 * nothing may enter or leave a month the hub has locked.
 */
export function lockedMonthReason(kind: RecordKind, fields: Fields | null | undefined, locks: PeriodLocks): string | null {
  if (!fields || (kind !== 'timeEntry' && kind !== 'timer')) return null;
  const month = monthOf(kind, fields);
  const person = typeof fields.personId === 'string' ? fields.personId : null;
  if (month && person && locks.has(periodKey(person, month))) return `${month} of person ${person} is locked (its timesheet is exported)`;
  return null;
}
