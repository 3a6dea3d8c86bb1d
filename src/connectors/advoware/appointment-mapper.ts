/**
 * Advoware appointment ⇄ hub event (core/fields/event.ts). Pure. Advoware's times are wall
 * times in the firm's zone (Europe/Berlin unless the link says otherwise); the hub keeps
 * them as such, with that zone.
 *
 * Reading (the rules of the sync Timebridge replaces, seed-systems §AW):
 * - start = `datum` + `uhrzeitVon`; no start time: 09:00 (a `datum` that carries a time gives it);
 * - end = `datumBis` (else `datum`) + `uhrzeitBis`; no end time: 10:00 on `datumBis`, else
 *   start + 1 h (also when that 10:00 would not be after the start); an end of `00:00:00`
 *   is the end of that day (the next day at 00:00 in the hub); no 24-hour limit;
 * - `dauertermin = 1`: all-day from `datum` through `datumBis` (the 23:59 end is Advoware's way to say "the whole day");
 * - a series (`turnus` > 0 and `turnusArt` 1–4): every `turnus` days, weeks, months or years
 *   from `datum`, each occurrence from `uhrzeitVon` to `uhrzeitBis`, until `datumBis` (none
 *   from year 2037 on: Advoware's "endless"). Series values that do not map are kept under
 *   `extras.advoware.turnusNotMapped` and the entry reads as a single appointment.
 *
 * Writing: the reverse, onto the entry as last read (fields the hub does not model, such as
 * `sb`, `anwalt` and `vorbereitungsDauer`, stay). An RRULE that Advoware cannot hold (COUNT,
 * BYDAY lists, …) is written as the first occurrence; the rule rides along in the item
 * (`rruleNotMapped`, never sent), so the engine's read-back names it as a write loss of `rrule`.
 * Exceptions of a series (EXDATE, overrides) are not Advoware's: the mapper does not hold them.
 *
 * Hiding title, notes and location is the Google side's option (`google-event` with
 * `anonymise: true`), not this mapper's: Advoware always gets and gives the full entry.
 */
import { z } from 'zod';
import type { Fields, Json } from '../../core/model.js';
import { parseEventFields } from '../../core/fields/event.js';
import type { HubMapping, MapResult, Mapper, MapperEntry } from '../kit/mapper.js';
import { addDaysToDate, formatWall, instantToWall, isKnownZone, wallMs, wallToInstant } from '../kit/zone-time.js';
import type { AdvowareItem, RawTermin } from './advoware-types.js';

export const appointmentOptionsSchema = z
  .object({
    timeZone: z
      .string()
      .refine(isKnownZone, 'is not an IANA time zone such as Europe/Berlin')
      .default('Europe/Berlin')
      .describe("the firm's zone: Advoware's times are wall times in it"),
  })
  .strict();
export type AppointmentOptions = z.infer<typeof appointmentOptionsSchema>;

/** Item carrier for an RRULE the entry could not take (set by toExternal, never sent). */
export interface AppointmentItem extends AdvowareItem {
  rruleNotMapped?: string;
}

const FREQ = ['', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const;
const HOUR = 3_600_000;
const ENDLESS_YEAR = '2037';

const clock = (v: string | null | undefined): string | null => {
  const m = typeof v === 'string' ? /^(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim()) : null;
  return m ? `${m[1]}:${m[2]}:${m[3] ?? '00'}` : null;
};
const dateOf = (v: string | null | undefined): string | null => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : null);
const timeInDate = (v: string | null | undefined): string | null => {
  const t = typeof v === 'string' ? clock(v.slice(11, 19)) : null;
  return t && t !== '00:00:00' ? t : null;
};
const num = (v: unknown): number => (typeof v === 'boolean' ? Number(v) : typeof v === 'number' && Number.isFinite(v) ? v : Number(v ?? 0) || 0);
const plus = (wall: string, ms: number) => formatWall(wallMs(wall) + ms);
const crlfToLf = (s: string) => s.replace(/\r\n/g, '\n');
const lfToCrlf = (s: string) => s.replace(/\r?\n/g, '\r\n');

/** The Advoware series of an entry, or why it is not one the hub can hold. */
function seriesOf(t: RawTermin): { freq: string; interval: number } | { notMapped: string } | null {
  const turnus = num(t.turnus),
    art = num(t.turnusArt);
  if (turnus <= 0 && art <= 0) return null;
  if (turnus > 0 && art >= 1 && art <= 4 && Number.isInteger(turnus)) return { freq: FREQ[art]!, interval: turnus };
  if (turnus <= 0) return null; // a kind without an interval repeats nothing
  return { notMapped: `turnus=${turnus};turnusArt=${art}` };
}

function untilOf(lastDate: string | null, allDay: boolean, startTime: string, zone: string): string | null {
  if (!lastDate || lastDate.startsWith(ENDLESS_YEAR) || lastDate > `${ENDLESS_YEAR}`) return null;
  if (allDay) return lastDate.replace(/-/g, '');
  const instant = wallToInstant(`${lastDate}T${startTime}`, zone);
  return `${formatWall(instant).replace(/[-:]/g, '')}Z`;
}

export function appointmentToHub(item: AppointmentItem, o: AppointmentOptions): MapResult<HubMapping> {
  const t = item.termin;
  const zone = o.timeZone;
  const day = dateOf(t.datum);
  if (!day) return { ok: false, error: `appointment ${t.frNr}: datum '${String(t.datum)}' is not a date (YYYY-MM-DD); fix it in Advoware` };
  const lastDay = dateOf(t.datumBis);
  const series = seriesOf(t);
  const recurring = series !== null && 'freq' in series;
  const allDay = num(t.dauertermin) === 1;
  const von = clock(t.uhrzeitVon) ?? timeInDate(t.datum) ?? '09:00:00';
  const bis = clock(t.uhrzeitBis);
  let start: string, end: string;
  if (allDay) {
    start = day;
    // A series' datumBis is where it ends, not how long one occurrence lasts.
    end = addDaysToDate(recurring ? day : lastDay && lastDay > day ? lastDay : day, 1);
  } else {
    start = `${day}T${von}`;
    const endDay = recurring ? day : lastDay && lastDay > day ? lastDay : day;
    if (bis === '00:00:00') end = `${addDaysToDate(endDay, 1)}T00:00:00`;
    else if (bis) end = `${endDay}T${bis}`;
    else end = !recurring && lastDay && lastDay > day ? `${lastDay}T10:00:00` : plus(start, HOUR);
    if (end <= start) end = plus(start, HOUR);
  }
  const extras: Record<string, Json> = {};
  if (series && 'notMapped' in series) extras['advoware'] = { turnusNotMapped: series.notMapped };
  let rrule: string | null = null;
  if (recurring) {
    const until = untilOf(lastDay, allDay, von, zone);
    rrule = [`FREQ=${series.freq}`, ...(series.interval > 1 ? [`INTERVAL=${series.interval}`] : []), ...(until ? [`UNTIL=${until}`] : [])].join(';');
  }
  if (item.rruleNotMapped) rrule = item.rruleNotMapped;
  const tz = allDay ? null : zone;
  const fields: Fields = {
    uid: `advoware-${t.frNr}@timebridge`,
    summary: t.text ? t.text : null,
    description: t.notiz ? crlfToLf(t.notiz) : null,
    location: t.ort ? t.ort : null,
    status: null,
    transp: null,
    allDay,
    start,
    startTz: tz,
    end,
    endTz: tz,
    rrule,
    exdates: [],
    rdates: [],
    overrides: [],
    extras,
  };
  const parsed = parseEventFields(fields);
  if (!parsed.ok) return { ok: false, error: `appointment ${t.frNr}: ${parsed.error}` };
  return { ok: true, value: { fields, identity: fields['uid'] as string } };
}

/** A hub time as a wall time in the firm's zone. */
function inZone(value: string, tz: string | null, zone: string): string {
  if (value.endsWith('Z')) return instantToWall(Date.parse(value), zone);
  if (tz && tz !== zone) return instantToWall(wallToInstant(value, tz), zone);
  return value;
}

/** FREQ and INTERVAL of a rule Advoware can hold (UNTIL gives datumBis), or null. */
function mappable(rrule: string, startDay: string, allDay: boolean, zone: string): { art: number; turnus: number; until: string | null } | null {
  const parts = new Map(rrule.split(';').map((p) => p.split('=') as [string, string]));
  const art = FREQ.indexOf((parts.get('FREQ') ?? '') as (typeof FREQ)[number]);
  if (art < 1) return null;
  for (const k of parts.keys()) if (!['FREQ', 'INTERVAL', 'UNTIL', 'WKST'].includes(k)) return null;
  const turnus = parts.has('INTERVAL') ? Number(parts.get('INTERVAL')) : 1;
  if (!Number.isInteger(turnus) || turnus < 1) return null;
  const u = parts.get('UNTIL');
  let until: string | null = null;
  if (u) {
    const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/.exec(u);
    if (!m) return null;
    const date = `${m[1]}-${m[2]}-${m[3]}`;
    until = m[4] && m[7] && !allDay ? instantToWall(Date.parse(`${date}T${m[4]}:${m[5]}:${m[6]}Z`), zone).slice(0, 10) : date;
    if (until < startDay) return null;
  }
  return { art, turnus, until };
}

export function appointmentToExternal(fields: Fields, o: AppointmentOptions, previous: AppointmentItem | null): MapResult<AppointmentItem> {
  const parsed = parseEventFields(fields);
  if (!parsed.ok) return { ok: false, error: parsed.error };
  const f = parsed.value;
  const zone = o.timeZone;
  const prev: RawTermin = previous?.termin ?? { frNr: 0, datum: '' };
  let termin: RawTermin;
  let rruleNotMapped: string | undefined;
  const base = {
    ...prev,
    text: f.summary ?? '',
    notiz: f.description ? lfToCrlf(f.description) : '',
    ort: f.location ?? '',
    vorbereitungsDauer: prev.vorbereitungsDauer ?? '00:00:00',
  };
  const startDay = f.allDay ? f.start : inZone(f.start, f.startTz, zone).slice(0, 10);
  const rule = f.rrule ? mappable(f.rrule, startDay, f.allDay, zone) : null;
  if (f.rrule && !rule) rruleNotMapped = f.rrule;
  const series = rule ? { turnus: rule.turnus, turnusArt: rule.art } : { turnus: 0, turnusArt: 0 };
  if (f.allDay) {
    const last = addDaysToDate(f.end > f.start ? f.end : addDaysToDate(f.start, 1), -1);
    termin = {
      ...base,
      ...series,
      datum: `${f.start}T00:00:00`,
      uhrzeitVon: null,
      // A series' datumBis is its last day (an endless one: 2037, as Advoware writes it); a single entry's, its last day.
      datumBis: rule ? `${rule.until ?? `${ENDLESS_YEAR}-12-31`}T00:00:00` : last > f.start ? `${last}T00:00:00` : null,
      uhrzeitBis: '23:59:00',
      dauertermin: 1,
    };
  } else {
    const s = inZone(f.start, f.startTz, zone);
    const e = inZone(f.end, f.endTz, zone);
    const sDay = s.slice(0, 10);
    let eDay = e.slice(0, 10);
    let eTime = e.slice(11, 19);
    // The end of a day is 00:00:00 on that day, as Advoware says it.
    if (eTime === '00:00:00' && eDay > sDay) eDay = addDaysToDate(eDay, -1);
    if (rule && eDay !== sDay) eTime = eTime === '00:00:00' ? '00:00:00' : '23:59:00'; // one occurrence lasts at most to the end of its day
    termin = {
      ...base,
      ...series,
      datum: `${sDay}T00:00:00`,
      uhrzeitVon: s.slice(11, 19),
      datumBis: rule ? `${rule.until ?? `${ENDLESS_YEAR}-12-31`}T00:00:00` : eDay > sDay ? `${eDay}T00:00:00` : null,
      uhrzeitBis: eTime,
      dauertermin: 0,
    };
  }
  const item: AppointmentItem = { termin, kuerzel: previous?.kuerzel ?? '' };
  if (rruleNotMapped) item.rruleNotMapped = rruleNotMapped;
  return { ok: true, value: item };
}

/** The hub fields this mapper models: a series' exceptions and the status are not Advoware's. */
export const APPOINTMENT_HOLDS = ['summary', 'description', 'location', 'allDay', 'start', 'startTz', 'end', 'endTz', 'rrule', 'extras.advoware'] as const;

export function appointmentMapper(o: AppointmentOptions): Mapper<AppointmentItem> {
  return {
    name: 'advoware-appointment',
    hubKind: 'event',
    toHub: (item) => appointmentToHub(item, o),
    toExternal: (fields, _ctx, previous) => appointmentToExternal(fields, o, previous),
    identity: (fields) => (typeof fields['uid'] === 'string' ? fields['uid'] : null),
    label: (fields) => (typeof fields['summary'] === 'string' && fields['summary'] ? fields['summary'] : '(appointment without title)'),
    holds: APPOINTMENT_HOLDS,
  };
}

export const appointmentMapperEntry: MapperEntry<AppointmentItem, AppointmentOptions> = {
  externalKind: 'appointment',
  hubKind: 'event',
  options: appointmentOptionsSchema as unknown as z.ZodType<AppointmentOptions>,
  make: (o) => appointmentMapper(o),
};
