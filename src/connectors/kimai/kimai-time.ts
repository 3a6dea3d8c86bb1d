/**
 * Kimai's date/time rules (api-contracts §1.2), as pure functions shared by the
 * connector and the emulator:
 * - input `begin`/`end` are local wall times `YYYY-MM-DDTHH:MM[:SS]` without offset, read
 *   in the user's time zone (a space instead of `T` is accepted);
 * - output is `Y-m-d\TH:i:sO`, e.g. `2024-05-06T09:00:00+0200` (no colon in the offset);
 * - `modified_after` is a UTC wall time.
 */
import { formatWall, offsetMs } from '../kit/zone-time.js';

// Wall time ⇄ instant conversions are the kit's (connectors/kit/zone-time.ts): instantToWall, wallMsToInstant.

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/;

/** Wall time `YYYY-MM-DDTHH:MM[:SS]` as ms "as if UTC", or null when it is not one (an offset is not allowed). */
export function parseLocal(text: string): number | null {
  const m = LOCAL_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const s = m[6] === undefined ? 0 : Number(m[6]);
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // 2024-02-31 is not a date.
  if (back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return ms;
}

/** Kimai's output format `Y-m-d\TH:i:sO` for an instant shown in a zone. */
export function formatKimai(instantMs: number, zone: string): string {
  const off = offsetMs(instantMs, zone);
  const abs = Math.abs(off) / 60_000;
  const sign = off < 0 ? '-' : '+';
  return `${formatWall(instantMs + off)}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

const OUTPUT_RE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})([+-])(\d{2}):?(\d{2})$/;

/** A Kimai output date-time: the instant, and the local day it was shown in. Null when it is not one. */
export function parseKimai(text: string): { instantMs: number; date: string } | null {
  const m = OUTPUT_RE.exec(text);
  if (!m) return null;
  const wall = parseLocal(`${m[1]}T${m[2]}`);
  if (wall === null) return null;
  const off = (Number(m[4]) * 60 + Number(m[5])) * 60_000 * (m[3] === '-' ? -1 : 1);
  return { instantMs: wall - off, date: m[1]! };
}

/** A UTC instant as the hub writes it: `YYYY-MM-DDTHH:MM:SSZ`. */
export function utcInstant(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `HH:MM` as minutes after midnight, or null. */
export function parseClock(text: string): number | null {
  const m = /^(\d{2}):(\d{2})$/.exec(text);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return null;
  return Number(m[1]) * 60 + Number(m[2]);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
