/**
 * The anonymised form of the event mapper (`mapper: google-event`, `options: { anonymise: true }`):
 * the calendar gets "busy" blocks — the times, recurrence and status of each event, with
 * the title replaced by `busyTitle` and no notes or location. The link does not hold
 * title, notes and location (`holds`), so an edit of them in Google is no change and is
 * never written back, and a pull there writes only the times; the hub keeps the real texts
 * from the other side. A series' changed instances are shown the same way. Pure.
 */
import { z } from 'zod';
import type { Fields, Json } from '../../core/model.js';
import type { Mapper } from '../kit/mapper.js';
import type { GoogleItem } from './google-types.js';

export const eventOptionsSchema = z
  .object({
    anonymise: z.boolean().default(false).describe('show busy blocks only: no title, notes or location in Google, and none taken from it'),
    busyTitle: z.string().min(1).default('Busy').describe('the title busy blocks get'),
  })
  .strict();
export type EventOptions = z.infer<typeof eventOptionsSchema>;

const HIDDEN = new Set(['summary', 'description', 'location']);

function blankOverrides(v: Json | undefined, title: string | null): Json[] {
  return Array.isArray(v)
    ? v.map((o) => (o && typeof o === 'object' && !Array.isArray(o) ? { ...o, summary: title, description: null, location: null } : o))
    : [];
}

export function busyMapper(base: Mapper<GoogleItem>, o: EventOptions): Mapper<GoogleItem> {
  return {
    ...base,
    name: `${base.name} (anonymised)`,
    holds: (base.holds ?? []).filter((k) => !HIDDEN.has(k)),
    toExternal(fields, ctx, previous) {
      const shown: Fields = { ...fields, summary: o.busyTitle, description: null, location: null, overrides: blankOverrides(fields['overrides'], o.busyTitle) };
      return base.toExternal(shown, ctx, previous);
    },
    toHub(item, ctx) {
      const r = base.toHub(item, ctx);
      if (!r.ok) return r;
      // A changed instance's texts are the busy title too: compare them as nothing, so the overrides hold only times.
      const fields: Fields = { ...r.value.fields, overrides: blankOverrides(r.value.fields['overrides'], null) };
      return { ok: true, value: { ...r.value, fields } };
    },
  };
}
