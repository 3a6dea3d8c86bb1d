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
 * the hub record is never deleted by the calendar).
 *
 * An event without the marker (added straight into the calendar) is a manual event: when
 * its creator's e-mail is one of the link's `manualUsers` (timebridge.yaml's
 * `attendance.manualUsers`, plus the Sheets rows), it reads as an approved reservation of
 * the person with that e-mail, source `calendar`, over the event's all-day span; the engine
 * creates and links it once (its status row pairs the event with the record), and the
 * record's first push writes the marker, the "Name" title and the approved colour back.
 * Anyone else's manual event is an item error naming the creator and the event: reported
 * on every run, never deleted — unless `foreignEvents: delete`, when the mapper says
 * `remove` and the planner plans its external delete (guarded and journalled as any other).
 */
import { z } from 'zod';
import { addDays, isDay, reservationFieldsSchema, reservationIdentity, type ReservationFields } from '../../core/fields/reservation.js';
import type { Fields } from '../../core/model.js';
import type { HubMapping, MapContext, MapResult, Mapper, MapperEntry, Removal } from '../kit/mapper.js';
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
    /** E-mails of the people whose events added by hand become approved reservations (attendance.manualUsers and the Sheets rows fill them in). */
    manualUsers: z.array(z.string().min(3)).default([]),
    /** Anyone else's event added by hand: `report` it each run and leave it, or `delete` it from the calendar (a guarded external delete). */
    foreignEvents: z.enum(['report', 'delete']).default('report'),
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

function toHub(item: GoogleItem, o: AttendanceOptions, ctx: MapContext): MapResult<HubMapping> | Removal {
  const ev = item.event;
  const linked = ctx.linked ? (reservationFieldsSchema.safeParse(ctx.linked).data ?? null) : null;
  const kept = keptOf(ev) ?? (linked ? { personId: linked.personId, office: linked.office, requestedAt: linked.requestedAt, source: linked.source } : null);
  if (!kept) return manualEvent(ev, o, ctx);
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

/** UTC instant to the second, as a reservation's requestedAt; null when not a time. */
function instant(text: string | undefined): string | null {
  const ms = text === undefined ? NaN : Date.parse(text);
  return Number.isFinite(ms) ? new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

/** An event added straight into the calendar: a manual user's is an approved reservation; anyone else's is reported. */
function manualEvent(ev: GEvent, o: AttendanceOptions, ctx: MapContext): MapResult<HubMapping> | Removal {
  if (ev.status === 'cancelled') return { ok: false, skip: 'a deleted event added by hand' };
  const creator = (ev['creator'] as { email?: unknown } | undefined)?.email;
  const email = typeof creator === 'string' ? creator.trim().toLowerCase() : '';
  const what = `event ${ev.id} "${ev.summary ?? ''}" (${ev.start?.date ?? ev.start?.dateTime ?? '?'})`;
  if (!o.manualUsers.some((u) => u.trim().toLowerCase() === email)) {
    if (o.foreignEvents === 'delete')
      return {
        ok: false,
        remove: `${what} was added by hand by ${email || 'an unknown creator'}, who is not a manual user of office ${o.office}: deleted from the calendar (attendance.foreignEvents: delete)`,
      };
    return {
      ok: false,
      error: `${what} was added by hand by ${email || 'an unknown creator'}, who is not a manual user of office ${o.office}; it is left in the calendar and no reservation is made. Delete it, or add ${email || 'the creator'} to attendance.manualUsers (or the manual users sheet)`,
    };
  }
  const personId = ctx.refs?.personByEmail?.(email) ?? null;
  if (!personId)
    return {
      ok: false,
      error: `${what} was added by manual user ${email}, but no person of the scope has that e-mail. Add the person (POST /api/v1/records/person)`,
    };
  const first = ev.start?.date,
    end = ev.end?.date;
  if (first === undefined || end === undefined || !isDay(first) || !isDay(end))
    return { ok: false, error: `${what} by ${email} is not an all-day event; make it all-day (a reservation is whole days)` };
  const fields = {
    personId,
    office: o.office,
    firstDay: first,
    lastDay: addDays(end, -1),
    state: 'approved',
    requestedAt: instant(ev.created),
    source: 'calendar',
  };
  const checked = reservationFieldsSchema.safeParse(fields);
  if (!checked.success) return { ok: false, error: `${what} does not read as a reservation (${checked.error.issues[0]?.message ?? 'invalid'})` };
  // writeBack: the next run writes the marker (and the approved title and colour) into the event, as the link's own write.
  return { ok: true, value: { fields: checked.data as unknown as Fields, identity: reservationIdentity(checked.data), writeBack: true } };
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
    // Another office's reservation is not this calendar's: no push-create is planned for it.
    shows: (f) => (typeof f.office === 'string' && f.office !== o.office ? `a reservation for office ${f.office}: another link's calendar shows it` : null),
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
