/** Bytes → text for iCalendar objects: split folds mended, other encodings converted with a warning or refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeIcs, unfoldOctets } from '../../../src/connectors/kit/icalendar/ical-decode.js';

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

function text(b: Buffer): { text: string; warning: string | null } {
  const d = decodeIcs(b);
  if (!d.ok) assert.fail(`decode failed: ${d.error}`);
  return { text: d.text, warning: d.warning };
}

/** The text with folds removed, for comparing content. */
const flat = (s: string) => s.replace(/\r?\n[ \t]/g, '');

describe('decodeIcs', () => {
  it('returns valid UTF-8 byte for byte, folds, BOM and LF line ends included', () => {
    const src = '\ufeffBEGIN:VCALENDAR\nSUMMARY:Caf\n é 😀\nEND:VCALENDAR\n';
    assert.deepEqual(text(Buffer.from(src, 'utf8')), { text: src, warning: null });
  });

  it('mends a fold that cut a 2-, 3- or 4-byte character in two, without a warning', () => {
    for (const ch of ['ä', '€', '😀', '漢']) {
      const enc = Buffer.from(ch, 'utf8');
      for (let cut = 1; cut < enc.length; cut++) {
        const b = bytes('SUMMARY:x', [...enc.subarray(0, cut)], '\r\n ', [...enc.subarray(cut)], 'y\r\n');
        const d = text(b);
        assert.equal(d.warning, null);
        assert.equal(flat(d.text), `SUMMARY:x${ch}y\r\n`, `${ch} cut after byte ${cut}`);
        assert.ok(!d.text.includes('\ufffd'));
      }
    }
  });

  it('unfolds on octets: CRLF or LF followed by a space or a tab', () => {
    assert.equal(Buffer.from(unfoldOctets(bytes('A:1\r\n 2\n\t3\r\nB:4\n'))).toString(), 'A:123\r\nB:4\n');
  });

  it('converts Latin-1 and Windows-1252 (€, curly quotes) with a warning that says where', () => {
    const latin1 = bytes('BEGIN:VCALENDAR\r\nSUMMARY:M', [0xfc], 'nchen Caf', [0xe9], '\r\nEND:VCALENDAR\r\n');
    const l = text(latin1);
    assert.equal(l.text, 'BEGIN:VCALENDAR\r\nSUMMARY:München Café\r\nEND:VCALENDAR\r\n');
    assert.match(l.warning ?? '', /not UTF-8: 2 bytes \(first on line 2\) read as Windows-1252/);
    const cp = text(bytes('SUMMARY:', [0x93], 'Budget', [0x94], ' 5', [0x80], ' ', [0x96], ' ok\r\n'));
    assert.equal(cp.text, 'SUMMARY:“Budget” 5€ – ok\r\n');
  });

  it('keeps the UTF-8 parts of a file that mixes UTF-8 and Windows-1252, and says so', () => {
    const d = text(bytes('SUMMARY:Grüße ', [0xe4], '\r\n'));
    assert.equal(d.text, 'SUMMARY:Grüße ä\r\n');
    assert.match(d.warning ?? '', /while 2 characters elsewhere are UTF-8/);
  });

  it('follows a CHARSET parameter and drops it from the converted text', () => {
    const d = text(bytes('SUMMARY;CHARSET=ISO-8859-15:', [0xa4], ' 5\r\nX-A;CHARSET="iso-8859-15";X-B=1:', [0xbd], '\r\n'));
    assert.equal(d.text, 'SUMMARY:€ 5\r\nX-A;X-B=1:œ\r\n');
    assert.match(d.warning ?? '', /read as iso-8859-15, as its CHARSET parameter says/);
  });

  it('folds converted text again at 75 octets', () => {
    const d = text(bytes('DESCRIPTION:', Array(120).fill(0xe9), '\r\n'));
    const lines = d.text.split('\r\n').filter(Boolean);
    assert.ok(lines.length > 2 && lines.every((l) => Buffer.byteLength(l) <= 75));
    assert.equal(flat(d.text), `DESCRIPTION:${'é'.repeat(120)}\r\n`);
  });

  it('reads UTF-16 with a byte order mark', () => {
    const src = 'BEGIN:VCALENDAR\r\nSUMMARY:Zürich\r\nEND:VCALENDAR\r\n';
    const d = text(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(src, 'utf16le')]));
    assert.equal(d.text, src);
    assert.match(d.warning ?? '', /UTF-16LE/);
  });

  it('refuses what is neither UTF-8 nor Windows-1252, or names an unknown CHARSET', () => {
    const cases: [Buffer, RegExp][] = [
      [bytes('SUMMARY:a', [0x81], '\r\n'), /mean nothing in Windows-1252/],
      [bytes('S', [0], 'U', [0], [0xe9], '\r\n'), /NUL bytes/],
      [bytes('SUMMARY;CHARSET=x-klingon:', [0xe9], '\r\n'), /CHARSET parameter names "x-klingon"/],
    ];
    for (const [b, why] of cases) {
      const d = decodeIcs(b);
      assert.ok(!d.ok);
      assert.match(d.error, why);
    }
  });
});
