/**
 * Event ids and etags. A create uses an id derived from the hub id, so a retried create
 * hits 409 instead of making a twin; the hub id also goes into
 * `extendedProperties.private.timebridgeId` for `findByKey`. A series' etag covers its
 * exceptions, since a cancelled instance changes the series as the hub sees it.
 */
import { createHash } from 'node:crypto';
import type { GEvent } from './google-types.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** Property names Timebridge keeps in `extendedProperties.private`. */
export const PROP_HUB_ID = 'timebridgeId';
export const PROP_UID = 'timebridgeUid';
/** What the event mapper keeps for the hub that Google cannot hold (JSON). */
export const PROP_HUB_FIELDS = 'timebridgeHub';
/** What of the hub event Google does not hold (RDATE periods), in words: a read warns with it. */
export const PROP_NOT_HELD = 'timebridgeNotHeld';

/** base32hex (lower case, no padding) of the hub id's UTF-8: 'a'–'v' and '0'–'9', reversible, ≥ 5 characters. */
export function googleIdOf(hubId: string): string {
  let bits = 0,
    value = 0,
    out = '';
  for (const byte of Buffer.from(hubId, 'utf8')) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.padEnd(5, '0').slice(0, 1024);
}

/** The etag the engine keeps for an item: the event's own, plus a digest of its exceptions. */
export function itemEtag(event: GEvent, exceptions: GEvent[]): string {
  if (!exceptions.length) return event.etag ?? '';
  const h = createHash('sha256');
  for (const e of [...exceptions].sort((a, b) => (a.id < b.id ? -1 : 1))) h.update(`${e.id}\u0000${e.etag ?? ''}\u0000`);
  return `${event.etag ?? ''}|${h.digest('base64url').slice(0, 12)}`;
}

/** An etag that matches nothing the engine has stored, so the item is fetched (a delta names a series, not its exceptions). */
export function unsureEtag(event: GEvent): string {
  return `${event.etag ?? ''}|?`;
}

/** Google's own etag inside an item etag, for If-Match. */
export function eventEtagOf(itemEtagValue: string): string {
  return itemEtagValue.split('|')[0]!;
}
