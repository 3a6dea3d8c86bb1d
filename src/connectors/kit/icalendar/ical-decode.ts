/**
 * iCalendar bytes → text, without losing a character. RFC 5545 §3.1 folds lines at 75
 * octets, and some writers cut a multi-byte UTF-8 character in two doing it; others
 * still write Latin-1 or Windows-1252. So: valid UTF-8 is taken as it is (byte-exact
 * text, folds kept); otherwise lines are unfolded on octets first and decoded after,
 * which puts split characters back together; what is still not UTF-8 is converted from
 * Windows-1252 (or the CHARSET a property names) with a warning, or refused. Never U+FFFD.
 */
import { foldLine } from './ical-serialise.js';

export type Decoded =
  | { ok: true; text: string; /** Set when the text is not what the bytes said as UTF-8: say so to the user. */ warning: string | null }
  | { ok: false; error: string };

// ignoreBOM keeps a byte order mark in the text, so valid UTF-8 comes back byte for byte.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Windows-1252 0x80–0x9F. Node 20's TextDecoder('windows-1252') decodes these as
 * Latin-1 C1 controls (a known Node bug), so the table is here; 0 marks the five unassigned bytes.
 */
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
  0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

function cp1252(byte: number): number {
  return byte >= 0x80 && byte < 0xa0 ? CP1252_HIGH[byte - 0x80]! : byte;
}

function utf8(bytes: Uint8Array): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

/** Removes every line fold (CRLF or LF, then one space or tab), working on octets. */
export function unfoldOctets(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const lf = b === 0x0a ? 1 : b === 0x0d && bytes[i + 1] === 0x0a ? 2 : 0;
    const next = lf ? bytes[i + lf] : undefined;
    if (next === 0x20 || next === 0x09) {
      i += lf; // skip the line end and the space (the loop's ++ takes the space)
      continue;
    }
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when there is none. */
function utf8SequenceAt(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  const size = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (!size || i + size > bytes.length) return 0;
  return utf8(bytes.subarray(i, i + size)) === null ? 0 : size;
}

interface Fallback {
  text: string;
  /** Bytes read as Windows-1252, and where the first one is (1-based line of the unfolded text). */
  converted: number;
  firstLine: number;
  /** Valid multi-byte UTF-8 sequences kept as UTF-8. */
  utf8Kept: number;
  /** Bytes Windows-1252 leaves unassigned. */
  unassigned: number;
}

/** UTF-8 where the bytes are valid UTF-8, Windows-1252 for every other byte. */
function decodeFallback(bytes: Uint8Array): Fallback {
  const r: Fallback = { text: '', converted: 0, firstLine: 0, utf8Kept: 0, unassigned: 0 };
  const parts: string[] = [];
  let line = 1;
  let from = 0;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    if (b === 0x0a) line++;
    if (b < 0x80) {
      i++;
      continue;
    }
    const size = utf8SequenceAt(bytes, i);
    if (size) {
      r.utf8Kept++;
      i += size;
      continue;
    }
    parts.push(UTF8.decode(bytes.subarray(from, i)));
    const cp = cp1252(b);
    if (cp === 0) r.unassigned++;
    parts.push(String.fromCodePoint(cp || b));
    if (!r.converted++) r.firstLine = line;
    from = ++i;
  }
  parts.push(UTF8.decode(bytes.subarray(from)));
  r.text = parts.join('');
  return r;
}

/** The first CHARSET parameter value in the (unfolded) bytes, lower case, if any. */
function charsetHint(bytes: Uint8Array): string | null {
  const m = /;CHARSET="?([A-Za-z0-9_.:-]+)"?[;:]/i.exec(Buffer.from(bytes).toString('latin1'));
  return m ? m[1]!.toLowerCase() : null;
}

/**
 * The unfolded text as content lines again, folded at 75 octets. A converted text drops
 * its CHARSET parameters: it is UTF-8 now, and writing it back must not say otherwise.
 */
function relines(text: string, converted = true): string {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => foldLine(converted ? dropCharset(l) : l)).join('\r\n') + '\r\n';
}

/** Drops CHARSET= from the parameters of one content line (before the first colon outside quotes). */
function dropCharset(line: string): string {
  let quoted = false;
  let end = line.length;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) {
      end = i;
      break;
    }
  }
  const head = line.slice(0, end).replace(/;CHARSET=("[^"]*"|[^;:]*)/gi, '');
  return head + line.slice(end);
}

function fromCharset(bytes: Uint8Array, label: string): Decoded | null {
  let encoding: string;
  try {
    encoding = new TextDecoder(label).encoding;
  } catch {
    return { ok: false, error: `its CHARSET parameter names "${label}", an encoding Timebridge cannot read` };
  }
  if (encoding === 'utf-8' || encoding === 'windows-1252') return null; // the fallback below handles both
  try {
    const text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
    return { ok: true, text: relines(text), warning: `was not UTF-8; read as ${encoding}, as its CHARSET parameter says` };
  } catch {
    return { ok: false, error: `it is neither UTF-8 nor valid ${encoding}, the encoding its CHARSET parameter names` };
  }
}

/** What the bytes of one iCalendar object say, as text; `error` says why they cannot be read. */
export function decodeIcs(bytes: Uint8Array): Decoded {
  const whole = utf8(bytes);
  if (whole !== null) return { ok: true, text: whole, warning: null };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
    try {
      const text = new TextDecoder(encoding, { fatal: true }).decode(bytes);
      return { ok: true, text: relines(text), warning: `was ${encoding.toUpperCase()}; read and kept as UTF-8 text` };
    } catch {
      return { ok: false, error: `it starts with a ${encoding.toUpperCase()} byte order mark but is not valid ${encoding.toUpperCase()}` };
    }
  }
  const flat = unfoldOctets(bytes);
  // A fold that cut a character in two (RFC 5545 §3.1 asks readers to mend it): nothing is lost.
  const mended = utf8(flat);
  if (mended !== null) return { ok: true, text: relines(mended, false), warning: null };
  if (flat.includes(0)) return { ok: false, error: 'it holds NUL bytes (UTF-16 without a byte order mark, or not text at all)' };
  const hint = charsetHint(flat);
  const named = hint ? fromCharset(flat, hint) : null;
  if (named) return named;
  const fb = decodeFallback(flat);
  if (fb.unassigned)
    return { ok: false, error: `it is not UTF-8, and ${fb.unassigned} of its bytes mean nothing in Windows-1252 either (first on line ${fb.firstLine})` };
  const mixed = fb.utf8Kept ? `, while ${fb.utf8Kept} characters elsewhere are UTF-8` : '';
  const warning = `was not UTF-8: ${fb.converted} byte${fb.converted === 1 ? '' : 's'} (first on line ${fb.firstLine}) read as Windows-1252 (Latin-1)${mixed}`;
  return { ok: true, text: relines(fb.text), warning };
}
