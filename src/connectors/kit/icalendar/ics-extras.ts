/** What the iCalendar mapper keeps under `extras.ics` of a hub event. */
import type { Fields } from '../../../core/model.js';

/** Carriers and hashes kept under `extras.ics`. */
export interface IcsExtras {
  /** The text exactly as read; `$` keeps it out of content hashes. */
  $raw: string;
  /** contentHash of the structured fields when `$raw` was read. */
  $fieldsHash: string;
  /** contentHash of the normalised object (see ical-normalise.ts). */
  norm: string;
}

/** `extras.ics` of hub fields, with only the parts that have the right type. */
export function icsExtrasOf(fields: Fields): Partial<IcsExtras> {
  const extras = fields['extras'];
  if (!extras || typeof extras !== 'object' || Array.isArray(extras)) return {};
  const ics = extras['ics'];
  if (!ics || typeof ics !== 'object' || Array.isArray(ics)) return {};
  const out: Partial<IcsExtras> = {};
  if (typeof ics['$raw'] === 'string') out.$raw = ics['$raw'];
  if (typeof ics['$fieldsHash'] === 'string') out.$fieldsHash = ics['$fieldsHash'];
  if (typeof ics['norm'] === 'string') out.norm = ics['norm'];
  return out;
}
