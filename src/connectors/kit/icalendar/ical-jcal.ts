/**
 * jCal (RFC 7265) shapes as produced by ical.js, and the few helpers the event mapper
 * needs to read and edit them. Working on the plain arrays is much cheaper than
 * wrapping them in ICAL.Component objects.
 */
import ICAL from 'ical.js';

export type JParams = Record<string, string | string[]>;
/** [name, params, valueType, ...values]; names are lower case. */
export type JProp = [string, JParams, string, ...unknown[]];
/** [name, properties, subcomponents]; names are lower case. */
export type JComp = [string, JProp[], JComp[]];

export type Parsed = { ok: true; cal: JComp } | { ok: false; error: string };

/** Parses the text of one iCalendar object; never throws. */
export function parseCalendar(text: string): Parsed {
  let raw: unknown;
  try {
    // Editors on Windows like to start UTF-8 files with a byte order mark; ical.js chokes on it.
    raw = ICAL.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    return { ok: false, error: `invalid iCalendar: ${(e as Error).message}` };
  }
  if (!Array.isArray(raw) || raw.length === 0) {
    return { ok: false, error: 'no BEGIN:VCALENDAR found' };
  }
  // ical.js returns an array of components when the text holds several.
  if (Array.isArray(raw[0])) {
    return { ok: false, error: `the text holds ${raw.length} VCALENDAR objects, expected one` };
  }
  const cal = raw as JComp;
  if (cal[0] !== 'vcalendar') {
    return { ok: false, error: `the text is a ${cal[0].toUpperCase()}, not a VCALENDAR` };
  }
  return { ok: true, cal };
}

export function findProp(comp: JComp, name: string): JProp | undefined {
  return comp[1].find((p) => p[0] === name);
}

/** The first value of the first property called `name`, if it is a string. */
export function stringValue(comp: JComp, name: string): string | null {
  const v = findProp(comp, name)?.[3];
  return typeof v === 'string' ? v : null;
}

/** The TZID parameter of a property, if any. */
export function tzidOf(prop: JProp): string | null {
  const tz = prop[1]['tzid'];
  return typeof tz === 'string' ? tz : null;
}

/** VEVENTs of the calendar and the one that carries the structured fields. */
export function eventsOf(cal: JComp): { events: JComp[]; master: JComp | undefined } {
  const events = cal[2].filter((c) => c[0] === 'vevent');
  // An object holding only overrides (a CalDAV invitation to one instance) has no
  // real master; the first override stands in for it.
  const master = events.find((e) => !findProp(e, 'recurrence-id')) ?? events[0];
  return { events, master };
}
