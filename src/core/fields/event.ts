/**
 * The hub fields of an event: the contract every calendar connector maps to and from.
 * Times are kept as wall time plus TZID; event-values.ts gives the value forms.
 */
import { z } from 'zod';
import type { Fields, Json } from '../model.js';
import { isDateTimeValue, isDateValue, isUtc, parseDuration } from './event-values.js';

/** Every hub field of an event except `extras`, in contract order. */
export const STRUCTURED_KEYS = [
  'uid',
  'summary',
  'description',
  'location',
  'status',
  'transp',
  'allDay',
  'start',
  'startTz',
  'end',
  'endTz',
  'rrule',
  'exdates',
  'rdates',
  'rdatePeriods',
  'overrides',
] as const;

const text = z.string().nullable();
// A TZID is a parameter value: it cannot hold a double quote or control characters.
const tzid = z
  .string()
  // eslint-disable-next-line no-control-regex
  .regex(/^[^"\u0000-\u001f\u007f]+$/, 'is not a usable TZID')
  .nullable();

/**
 * One changed instance of a series (a RECURRENCE-ID VEVENT, a Google exception): `id` is
 * the original start it replaces, in the series' form (a DATE, or a DATE-TIME with `idTz`);
 * the rest is what the instance shows. A cancelled instance is an EXDATE of the series, not
 * an override; an override may still say STATUS:CANCELLED, as some files do.
 */
const overrideSchema = z.object({
  id: z.string(),
  idTz: tzid,
  allDay: z.boolean(),
  start: z.string(),
  startTz: tzid,
  end: z.string(),
  endTz: tzid,
  summary: text,
  description: text,
  location: text,
  status: text,
});

const baseSchema = z.object({
  uid: z.string().min(1),
  summary: text,
  description: text,
  location: text,
  status: text,
  transp: text,
  allDay: z.boolean(),
  start: z.string(),
  startTz: tzid,
  end: z.string(),
  endTz: tzid,
  // Control characters (a line break above all) would escape the RRULE line.
  rrule: z
    .string()
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'is not a one-line RRULE value')
    .nullable(),
  exdates: z.array(z.string()),
  rdates: z.array(z.string()),
  // RDATE periods ('start/end' or 'start/duration') apart from the plain RDATEs, so a system
  // that holds no periods (Google) can leave them out of what it holds. Absent when none,
  // and plain `rdates` of records written before may still hold periods.
  rdatePeriods: z.array(z.string()).optional(),
  overrides: z.array(overrideSchema),
});

export type EventFields = z.infer<typeof baseSchema>;
export type Override = z.infer<typeof overrideSchema>;

function isPoint(v: string): boolean {
  return isDateValue(v) || isDateTimeValue(v);
}

function isRdate(v: string): boolean {
  const [a, b, more] = v.split('/');
  if (b === undefined) return isPoint(v);
  return more === undefined && isDateTimeValue(a!) && (isDateTimeValue(b) || parseDuration(b) !== null);
}

type Times = Pick<EventFields, 'allDay' | 'start' | 'startTz' | 'end' | 'endTz'>;

function checkSpan(f: Times, path: (string | number)[], ctx: z.RefinementCtx): void {
  const ok = f.allDay ? isDateValue : isDateTimeValue;
  const form = f.allDay ? "'YYYY-MM-DD' (allDay is true)" : "'YYYY-MM-DDTHH:MM:SS' with optional 'Z'";
  for (const key of ['start', 'end'] as const) {
    if (!ok(f[key])) ctx.addIssue({ code: 'custom', path: [...path, key], message: `'${f[key]}' is not ${form}` });
    const tz = f[`${key}Tz`];
    if (tz !== null && (f.allDay || isUtc(f[key]))) {
      ctx.addIssue({ code: 'custom', path: [...path, `${key}Tz`], message: 'must be null for an all-day or UTC time' });
    }
  }
  // Only same-zone values compare as strings; across zones the order is not checked.
  const comparable = f.startTz === f.endTz && isUtc(f.start) === isUtc(f.end);
  if (comparable && ok(f.start) && ok(f.end) && f.end < f.start) {
    ctx.addIssue({ code: 'custom', path: [...path, 'end'], message: `'${f.end}' is before start '${f.start}'` });
  }
}

function checkTimes(f: EventFields, ctx: z.RefinementCtx): void {
  checkSpan(f, [], ctx);
  const ids = new Set<string>();
  f.overrides.forEach((o, i) => {
    checkSpan(o, ['overrides', i], ctx);
    if (!isPoint(o.id)) ctx.addIssue({ code: 'custom', path: ['overrides', i, 'id'], message: `'${o.id}' is not a date or date-time` });
    if (o.idTz !== null && (isDateValue(o.id) || isUtc(o.id))) {
      ctx.addIssue({ code: 'custom', path: ['overrides', i, 'idTz'], message: 'must be null for a date or UTC recurrence id' });
    }
    if (ids.has(o.id)) ctx.addIssue({ code: 'custom', path: ['overrides', i, 'id'], message: `'${o.id}' is overridden twice` });
    ids.add(o.id);
  });
  f.exdates.forEach((v, i) => {
    if (!isPoint(v)) ctx.addIssue({ code: 'custom', path: ['exdates', i], message: `'${v}' is not a date or date-time` });
  });
  f.rdates.forEach((v, i) => {
    if (!isRdate(v)) ctx.addIssue({ code: 'custom', path: ['rdates', i], message: `'${v}' is not a date, date-time or period` });
  });
  (f.rdatePeriods ?? []).forEach((v, i) => {
    if (!isRdate(v) || !v.includes('/')) ctx.addIssue({ code: 'custom', path: ['rdatePeriods', i], message: `'${v}' is not a period` });
  });
}

/** Overrides in one order (by recurrence id), so equal lists hash alike. */
export function sortOverrides(list: Override[]): Override[] {
  return [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export const eventFieldsSchema = baseSchema.superRefine(checkTimes);

/** Validates hub fields; the error names each bad field. */
export function parseEventFields(fields: Fields): { ok: true; value: EventFields } | { ok: false; error: string } {
  const r = eventFieldsSchema.safeParse(fields);
  if (r.success) return { ok: true, value: r.data };
  const issues = r.error.issues.map((i) => `${i.path.join('.') || '(fields)'}: ${i.message}`);
  return { ok: false, error: `event fields are invalid (${issues.join('; ')}); fix the hub record` };
}

/** The structured part of the fields, the input of `$fieldsHash`. */
export function structuredOf(fields: Fields | EventFields): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const k of STRUCTURED_KEYS) {
    const v = (fields as Fields)[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
