/**
 * Google's `recurrence` lines (RRULE, EXDATE, RDATE as in RFC 5545, without DTSTART)
 * ⇄ the hub's values ('YYYY-MM-DD', 'YYYY-MM-DDTHH:MM:SS' wall time, '…Z' UTC).
 */

export interface DateValue {
  /** Hub form. */
  value: string;
  /** TZID of a wall time; null for dates and UTC times. */
  tzid: string | null;
}

export interface Recurrence {
  rrule: string | null;
  /** Lines this mapping does not carry (a second RRULE, EXRULE). */
  unsupported: string[];
  exdates: DateValue[];
  rdates: DateValue[];
}

const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?$/;

/** '20240513T090000' → '2024-05-13T09:00:00'; '20240513' → '2024-05-13'; null when neither. */
export function fromCompact(text: string): string | null {
  const m = COMPACT.exec(text.trim());
  if (!m) return null;
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  return m[4] === undefined ? date : `${date}T${m[4]}:${m[5]}:${m[6]}${m[7]}`;
}

export function toCompact(value: string): string {
  return value.replace(/[-:]/g, '');
}

function parseParams(head: string): { name: string; params: Record<string, string> } {
  const [name, ...rest] = head.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const i = p.indexOf('=');
    if (i > 0) params[p.slice(0, i).toUpperCase()] = p.slice(i + 1).replace(/^"|"$/g, '');
  }
  return { name: (name ?? '').toUpperCase(), params };
}

export function parseRecurrence(lines: readonly string[] | undefined): Recurrence {
  const out: Recurrence = { rrule: null, unsupported: [], exdates: [], rdates: [] };
  for (const line of lines ?? []) {
    const colon = line.indexOf(':');
    if (colon < 0) {
      out.unsupported.push(line);
      continue;
    }
    const { name, params } = parseParams(line.slice(0, colon));
    const body = line.slice(colon + 1);
    if (name === 'RRULE' && out.rrule === null) {
      out.rrule = body;
      continue;
    }
    if (name !== 'EXDATE' && name !== 'RDATE') {
      out.unsupported.push(line);
      continue;
    }
    const target = name === 'EXDATE' ? out.exdates : out.rdates;
    for (const raw of body.split(',')) {
      const periodParts = raw.split('/').map(fromCompact);
      if (periodParts.some((p) => p === null)) {
        out.unsupported.push(line);
        break;
      }
      const value = periodParts.join('/');
      const first = periodParts[0]!;
      const zoned = first.includes('T') && !first.endsWith('Z');
      target.push({ value, tzid: zoned ? (params['TZID'] ?? null) : null });
    }
  }
  return out;
}

/** One EXDATE/RDATE line per value, so mixed forms never share a TZID parameter. */
export function dateLine(name: 'EXDATE' | 'RDATE', value: string, tzid: string | null): string {
  if (!value.includes('T')) return `${name};VALUE=DATE:${toCompact(value)}`;
  if (value.includes('/'))
    return `${name};VALUE=PERIOD${tzid && !value.split('/')[0]!.endsWith('Z') ? `;TZID=${tzid}` : ''}:${value.split('/').map(toCompact).join('/')}`;
  if (value.endsWith('Z') || !tzid) return `${name}:${toCompact(value)}`;
  return `${name};TZID=${tzid}:${toCompact(value)}`;
}
