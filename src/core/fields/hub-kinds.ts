/**
 * What the hub itself knows about each record kind people create and change through the
 * records API and the CLI: the schema its fields must pass, the person it belongs to (its
 * owner), and its natural key. Kinds not listed here are only written by links. Pure.
 */
import type { ZodType } from 'zod';
import type { Fields, RecordKind } from '../model.js';
import { personFieldsSchema, personIdentity, taskFieldsSchema, taskIdentity, timeEntryFieldsSchema } from './time-entry.js';
import { reservationFieldsSchema, reservationIdentity } from './reservation.js';
import { timerFieldsSchema, timerIdentity } from './timer.js';
import { timesheetFieldsSchema, timesheetIdentity } from './timesheet.js';

export interface HubKind {
  schema: ZodType<Fields>;
  /** Hub id of the person the record belongs to; null: nobody's (an admin's record). */
  owner(id: string, fields: Fields): string | null;
  identity(fields: Fields): string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export const HUB_KINDS: Partial<Record<RecordKind, HubKind>> = {
  timeEntry: { schema: timeEntryFieldsSchema as unknown as ZodType<Fields>, owner: (_id, f) => str(f.personId), identity: () => null },
  timer: { schema: timerFieldsSchema as unknown as ZodType<Fields>, owner: (_id, f) => str(f.personId), identity: (f) => timerIdentity(String(f.personId)) },
  timesheet: {
    schema: timesheetFieldsSchema as unknown as ZodType<Fields>,
    owner: (_id, f) => str(f.personId),
    identity: (f) => timesheetIdentity(String(f.personId), String(f.month)),
  },
  task: { schema: taskFieldsSchema as unknown as ZodType<Fields>, owner: (_id, f) => str(f.assigneeId), identity: (f) => taskIdentity(String(f.key)) },
  reservation: {
    schema: reservationFieldsSchema as unknown as ZodType<Fields>,
    owner: (_id, f) => str(f.personId),
    identity: (f) => reservationIdentity(f),
  },
  person: {
    schema: personFieldsSchema as unknown as ZodType<Fields>,
    owner: (id) => id,
    identity: (f) => personIdentity({ email: str(f.email), username: str(f.username) }),
  },
};

/** The person a record of any kind belongs to (null for kinds without an owner: taxonomy, calendars). */
export function ownerOf(kind: RecordKind, id: string, fields: Fields): string | null {
  return HUB_KINDS[kind]?.owner(id, fields) ?? null;
}
