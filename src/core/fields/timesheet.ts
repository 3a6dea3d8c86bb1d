/**
 * A person's timesheet of one month, the unit the month lock works on. States:
 * `draft` → `submitted` (or `absence-submitted`: only absences) by the person, back to
 * `draft` by a reopen, and → `exported` by an admin's lock (runtime/month-lock.ts), after
 * which the month's time entries of that person are locked (core/fields/period-lock.ts).
 */
import { z } from 'zod';

export const TIMESHEET_STATES = ['draft', 'absence-submitted', 'submitted', 'exported'] as const;
export type TimesheetState = (typeof TIMESHEET_STATES)[number];

export const monthSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'is not YYYY-MM');

export const timesheetFieldsSchema = z
  .object({
    personId: z.string().min(1),
    month: monthSchema,
    state: z.enum(TIMESHEET_STATES),
    extras: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type TimesheetFields = z.infer<typeof timesheetFieldsSchema>;

/** One timesheet per person and month. */
export const timesheetIdentity = (personId: string, month: string): string => `timesheet:${personId}:${month}`;
