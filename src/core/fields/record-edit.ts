/**
 * How people edit hub records through the records API and the CLI: the fields a new record
 * starts with, a JSON merge patch (RFC 7396) of a record's fields, and the split of a time
 * entry in two. Pure; the schemas (core/fields/hub-kinds.ts) still judge the result.
 */
import type { Fields, Json, RecordKind } from '../model.js';

/** What a new record of a kind starts with, and which fields the writer must give. */
export interface CreateShape {
  defaults: Fields;
  required: readonly string[];
}

export const CREATE_SHAPES: Partial<Record<RecordKind, CreateShape>> = {
  timeEntry: {
    defaults: {
      start: null,
      durationSeconds: null,
      timeZone: null,
      description: null,
      personId: null,
      projectId: null,
      activityId: null,
      taskId: null,
      billable: null,
      tags: [],
    },
    required: ['date'],
  },
  task: { defaults: { summary: null, projectId: null, status: null, state: 'todo' }, required: ['summary'] },
  reservation: { defaults: { personId: null, state: 'pending', requestedAt: null, source: 'api' }, required: ['office', 'firstDay', 'lastDay'] },
  person: { defaults: { email: null, username: null, timeZone: null, active: true }, required: ['name'] },
};

/**
 * Fields a change may not move: a reservation's office (each office's calendar is its own
 * link, which cannot take an event out of another's); cancel it and book the other office.
 */
export const FIXED_FIELDS: Partial<Record<RecordKind, readonly string[]>> = { reservation: ['office'] };

/** The kinds people create through the records API and `timebridge records create`. */
export const WRITABLE_KINDS = Object.keys(CREATE_SHAPES) as RecordKind[];

/** The given fields over the kind's defaults; the required fields the writer left out (absent or null). */
export function withDefaults(kind: RecordKind, fields: Fields): { fields: Fields; missing: string[] } {
  const shape = CREATE_SHAPES[kind];
  if (!shape) return { fields, missing: [] };
  const missing = shape.required.filter((k) => fields[k] === undefined || fields[k] === null);
  return { fields: { ...shape.defaults, ...fields }, missing };
}

const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An own property even for `__proto__` (a JSON body may name it): the schema then refuses it instead of it going unseen. */
const put = (o: Record<string, Json>, k: string, v: Json): void => {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
};

/** RFC 7396 merge of `patch` into `target`: null removes a key, objects merge, anything else replaces. */
function merge(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else put(out, k, merge(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/**
 * A JSON merge patch of a record's fields. At the top level a null removes the key when the
 * schema lets it be absent (`optional(key)`: a task's state, labels, url…), and otherwise
 * sets the field to null (a time entry's description, projectId…), since the hub's fields are
 * nullable rather than optional; within a field (`extras`) null removes, as RFC 7396 says.
 */
export function mergeFields(target: Fields, patch: Record<string, Json>, optional: (key: string) => boolean): Fields {
  const out: Fields = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      if (optional(k)) delete out[k];
      else put(out, k, null);
    } else put(out, k, merge(Object.hasOwn(out, k) ? out[k] : undefined, v));
  }
  return out;
}

/** Where to split a time entry: at an instant within it, or into two lengths that add up to its length. */
export type SplitAt = { at: string } | { durationsSeconds: [number, number] };

export class SplitRefused extends Error {}

/** The local day (YYYY-MM-DD) of a UTC instant in an IANA zone (null: UTC). */
export function dayIn(instant: string, timeZone: string | null): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timeZone ?? 'UTC', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instant));
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * A time entry in two: the first keeps the entry's start and day, the second starts where the
 * first ends (on the local day it starts) and copies the rest of its fields, except what a
 * system keeps per record (`extras`, the `exported` mark). Throws SplitRefused saying why.
 */
export function splitEntry(fields: Fields, how: SplitAt): [Fields, Fields] {
  const duration = fields.durationSeconds;
  if (typeof duration !== 'number') throw new SplitRefused('the entry is still running (it has no duration)');
  const start = typeof fields.start === 'string' ? Date.parse(fields.start) : null;
  let first: number;
  if ('at' in how) {
    if (start === null) throw new SplitRefused('the entry has no start time: split it with durationsSeconds');
    const at = Date.parse(how.at);
    if (!Number.isFinite(at)) throw new SplitRefused(`${how.at} is not an instant`);
    first = Math.round((at - start) / 1000);
  } else {
    const [a, b] = how.durationsSeconds;
    if (a + b !== duration) throw new SplitRefused(`${a} + ${b} seconds is not the entry's ${duration} seconds`);
    first = a;
  }
  if (first <= 0 || first >= duration) throw new SplitRefused(`the split point must fall inside the entry (after 0 and before ${duration} seconds)`);
  const { extras: _extras, exported: _exported, ...rest } = fields;
  const secondStart = start === null ? null : iso(start + first * 1000);
  const tz = typeof fields.timeZone === 'string' ? fields.timeZone : null;
  return [
    { ...fields, durationSeconds: first },
    { ...rest, start: secondStart, durationSeconds: duration - first, date: secondStart ? dayIn(secondStart, tz) : fields.date! },
  ];
}
