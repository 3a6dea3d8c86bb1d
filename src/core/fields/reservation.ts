/**
 * An office reservation: a person's planned attendance at one office over whole days
 * (first and last day inclusive), with its approval state. People and the drop-in
 * moffman API (interfaces/http/routes/reservations.ts) write them; the google-attendance
 * mapper shows each as an all-day event in its office's calendar. Pure.
 */
import { z } from 'zod';

export const RESERVATION_STATES = ['pending', 'approved', 'rejected', 'cancelled'] as const;
export type ReservationState = (typeof RESERVATION_STATES)[number];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar day YYYY-MM-DD (not 2026-02-30). */
export function isDay(v: string): boolean {
  if (!DAY.test(v)) return false;
  const ms = Date.parse(`${v}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === v;
}

/** The day `n` days after `day` (YYYY-MM-DD, UTC calendar arithmetic). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

const day = z.string().refine(isDay, 'is not a day YYYY-MM-DD');

export const reservationFieldsSchema = z
  .object({
    /** Hub id of the person who will be in the office. */
    personId: z.string().min(1),
    /** The office's id as timebridge.yaml's `attendance.offices` names it. */
    office: z.string().min(1),
    firstDay: day,
    /** Inclusive. */
    lastDay: day,
    state: z.enum(RESERVATION_STATES),
    /** When it was asked for, a UTC instant; null: not known. */
    requestedAt: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'is not a UTC instant YYYY-MM-DDTHH:MM:SSZ')
      .nullable(),
    /** Where it came from: `api` (the drop-in REST API or the records API), `calendar`, … */
    source: z.string().min(1),
    extras: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((f) => f.lastDay >= f.firstDay, { message: 'lastDay is before firstDay', path: ['lastDay'] });

export type ReservationFields = z.infer<typeof reservationFieldsSchema>;

export const reservationIdentity = (f: Record<string, unknown>): string =>
  `reservation:${String(f.personId)}:${String(f.office)}:${String(f.firstDay)}:${String(f.lastDay)}`;
