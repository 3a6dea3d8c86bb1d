/**
 * The line Timebridge appends to a worklog's text (Jira comment, Tempo description):
 * `[timebridge id=<hub id> for=<person hub id> name="<who>"]`. `id` marks a create so a
 * retried one is found (Tempo has no other place for it); `for` and `name` say whose
 * work it is when the site logs it as someone else. Reading strips the line again, so
 * the hub's description never carries it.
 */
import type { OnBehalfOf } from './jira-types.js';

export interface Trailer {
  id: string | null;
  onBehalfOf: OnBehalfOf | null;
}

const TRAILER = /\n*\[timebridge(?: id=(\S+?))?(?: for=(\S+?))?(?: name="([^"]*)")?\]\s*$/;

export function splitTrailer(text: string | null | undefined): { description: string | null; trailer: Trailer } {
  const t = text ?? '';
  const m = TRAILER.exec(t);
  if (!m) return { description: t === '' ? null : t, trailer: { id: null, onBehalfOf: null } };
  const rest = t.slice(0, m.index);
  return {
    description: rest === '' ? null : rest,
    trailer: { id: m[1] ?? null, onBehalfOf: m[2] ? { personId: m[2], name: m[3] ?? null } : null },
  };
}

export function withTrailer(description: string | null, trailer: Trailer): string {
  const parts = [
    ...(trailer.id ? [`id=${trailer.id}`] : []),
    ...(trailer.onBehalfOf ? [`for=${trailer.onBehalfOf.personId}`] : []),
    ...(trailer.onBehalfOf?.name ? [`name="${trailer.onBehalfOf.name.replace(/"/g, "'")}"`] : []),
  ];
  const line = parts.length ? `[timebridge ${parts.join(' ')}]` : '';
  if (!line) return description ?? '';
  return description ? `${description}\n\n${line}` : line;
}

/** Who a person is, as a worklog shows it: `Ada Lovelace <ada@example.com>`. */
export function personLabel(name: string | null | undefined, email: string | null | undefined): string | null {
  if (name && email) return `${name} <${email}>`;
  return name ?? email ?? null;
}
