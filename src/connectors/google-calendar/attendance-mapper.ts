/**
 * Office reservations (core/fields/reservation.ts) ⇄ all-day events of the office's
 * calendar, as moffman shows them: "(Name)" while pending, "Name" once approved (its
 * title rules), spanning the reservation's days (Google's all-day end is exclusive: the
 * day after the last), coloured by state. The reservation's own fields ride in
 * `extendedProperties.private` (`timebridgeReservation`, `timebridgeState`; the connector
 * adds the hub id), so reading an event back gives the same reservation. Pure.
 *
 * One link per office (`options.office`): reservations of other offices are not written;
 * one that moves to another office is taken out of this calendar. A cancelled or rejected
 * reservation's event is cancelled (deleted, as Google marks it). Read from the calendar,
 * an event moved by hand moves the reservation's days, and one deleted by hand cancels it
 * (the link's external kind `attendance` lists deleted events as items, not removals, so
 * the hub record is never deleted by the calendar). Events without the marker (added by
 * hand) are skipped: manual events are a later part.
 */
import { z } from 'zod';
import { addDays, isDay, reservationFieldsSchema, reservationIdentity, type ReservationFields } from '../../core/fields/reservation.js';
import type { Fields } from '../../core/model.js';
import type { HubMapping, MapContext, MapResult, Mapper, MapperEntry } from '../kit/mapper.js';
import type { GEvent, GoogleItem } from './google-types.js';

export const PROP_RESERVATION = 'timebridgeReservation';
export const PROP_STATE = 'timebridgeState';
const READ_ONLY = ['kind', 'etag', 'created', 'updated', 'htmlLink', 'iCalUID', 'creator', 'organizer', 'sequence', 'recurringEventId', 'originalStartTime'];
const colorId = z.string().regex(/^([1-9]|1[01])$/, 'is a Google event colour 1–11');

export const attendanceOptionsSchema = z
  .object({
    /** The office (attendance.offices[].id) whose reservations this link's calendar shows. */
    office: z.string().min(1),
    /** Event colours by state (timebridge.yaml's attendance.colors fills them in). */
    colors: z
      .object({ pending: colorId.default('4'), approved: colorId.default('5') })
      .strict()
      .default({ pending: '4', approved: '5' }),
  })
  .strict();
export type AttendanceOptions = z.infer<typeof attendanceOptionsSchema>;

/** What the event keeps of the reservation besides its days and state. */
interface Kept {
  personId: string;
  office: string;
  requestedAt: string | null;
  source: string;
}

const label = (f: Fields): string => `${String(f.office ?? '?')} ${String(f.firstDay ?? '?')}…${String(f.lastDay ?? '?')} (${String(f.state ?? '?')})`;

function keptOf(ev: GEvent): Kept | null {
  const raw = ev.extendedProperties?.private?.[PROP_RESERVATION];
  if (raw === undefined) return null;
  try {
    const k = JSON.parse(raw) as Kept;
    return typeof k.personId === 'string' && typeof k.office === 'string' ? k : null;
  } catch {
    return null;
  }
}

function toHub(item: GoogleItem, o: AttendanceOptions, ctx: MapContext): MapResult<HubMapping> {
  const ev = item.event;
  const linked = ctx.linked ? (reservationFieldsSchema.safeParse(ctx.linked).data ?? null) : null;
  const kept = keptOf(ev) ?? (linked ? { personId: linked.personId, office: linked.office, requestedAt: linked.requestedAt, source: linked.source } : null);
  if (!kept) return { ok: false, skip: 'not a reservation of the hub (an event added by hand)' };
  if (kept.office !== o.office) return { ok: false, skip: `a reservation for office ${kept.office}, not ${o.office}` };
  let fields: ReservationFields;
  if (ev.status === 'cancelled') {
    // Deleted in the calendar: the reservation is cancelled (a rejection stays a rejection), never deleted.
    if (!linked) return { ok: false, skip: 'a deleted event no reservation of the hub is linked to' };
    const state = linked.state === 'rejected' ? 'rejected' : 'cancelled';
    fields = { ...linked, state };
  } else {
    const first = ev.start?.date,
      end = ev.end?.date;
    if (first === undefined || end === undefined || !isDay(first) || !isDay(end))
      return { ok: false, error: `event ${ev.id} is no longer an all-day event; make it all-day again (a reservation is whole days)` };
    const prop = ev.extendedProperties?.private?.[PROP_STATE];
    const state = prop === 'approved' || prop === 'pending' ? prop : (linked?.state ?? 'pending');
    fields = { ...kept, ...(linked?.extras ? { extras: linked.extras } : {}), firstDay: first, lastDay: addDays(end, -1), state };
  }
  const checked = reservationFieldsSchema.safeParse(fields);
  if (!checked.success) return { ok: false, error: `event ${ev.id} does not read as a reservation (${checked.error.issues[0]?.message ?? 'invalid'})` };
  return { ok: true, value: { fields: checked.data as unknown as Fields, identity: reservationIdentity(checked.data) } };
}

function toExternal(fields: Fields, o: AttendanceOptions, ctx: MapContext, previous: GoogleItem | null): MapResult<GoogleItem> {
  const r = reservationFieldsSchema.safeParse(fields);
  if (!r.success) return { ok: false, error: `the reservation is invalid (${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})` };
  const t = r.data;
  // Moved to another office (written around the records API, which refuses it): taken out of this calendar when the run read its event.
  const elsewhere = t.office !== o.office;
  if (elsewhere && previous === null) return { ok: false, skip: `a reservation for office ${t.office}: another link's calendar shows it` };
  const name = ctx.refs?.person?.(t.personId)?.name ?? ctx.refs?.person?.(t.personId)?.email ?? t.personId;
  const ev: GEvent = { ...(previous?.event ?? { id: '' }) };
  for (const k of READ_ONLY) delete ev[k];
  ev.summary = t.state === 'approved' ? name : `(${name})`;
  ev.start = { date: t.firstDay };
  ev.end = { date: addDays(t.lastDay, 1) };
  ev.colorId = t.state === 'approved' ? o.colors.approved : o.colors.pending;
  // A cancelled or rejected reservation's event is cancelled: deleted, as Google marks it (the write also reaches an event this run did not read).
  ev.status = elsewhere || t.state === 'cancelled' || t.state === 'rejected' ? 'cancelled' : 'confirmed';
  ev.transparency = ev.transparency ?? 'transparent';
  const kept: Kept = { personId: t.personId, office: t.office, requestedAt: t.requestedAt, source: t.source };
  const priv: Record<string, string> = { ...ev.extendedProperties?.private, [PROP_RESERVATION]: JSON.stringify(kept), [PROP_STATE]: t.state };
  ev.extendedProperties = { ...ev.extendedProperties, private: priv };
  return { ok: true, value: { event: ev, exceptions: [] } };
}

export function makeAttendanceMapper(o: AttendanceOptions): Mapper<GoogleItem> {
  return {
    name: 'google-attendance',
    hubKind: 'reservation',
    toHub: (item, ctx) => toHub(item, o, ctx),
    toExternal: (fields, ctx, previous) => toExternal(fields, o, ctx, previous),
    identity: (f) => reservationIdentity(f),
    label,
    readsPersons: true,
    readsLinkedRecord: true,
  };
}

/** External kind `attendance`: the office calendar's events, deleted ones listed as items (a deletion cancels the reservation). */
export const googleAttendanceEntry: MapperEntry<GoogleItem, AttendanceOptions> = {
  externalKind: 'attendance',
  hubKind: 'reservation',
  options: attendanceOptionsSchema,
  make: makeAttendanceMapper,
};
