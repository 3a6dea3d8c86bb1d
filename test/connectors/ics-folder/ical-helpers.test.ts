import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { foldLine } from '../../../src/connectors/kit/icalendar/ical-serialise.js';
import { endFromDuration, isDateTimeValue, isDateValue, parseDuration } from '../../../src/connectors/kit/icalendar/ical-time.js';

describe('foldLine', () => {
  it('leaves lines of up to 75 octets alone', () => {
    const line = 'SUMMARY:' + 'x'.repeat(67);
    assert.equal(foldLine(line), line);
    assert.equal(foldLine('SUMMARY:' + 'é'.repeat(33)), 'SUMMARY:' + 'é'.repeat(33), '74 octets');
  });

  it('counts octets, not characters, including the continuation space', () => {
    const line = 'DESCRIPTION:' + 'é'.repeat(100);
    const parts = foldLine(line).split('\r\n');
    assert.deepEqual(
      parts.map((p) => Buffer.byteLength(p)),
      [74, 75, 65],
    );
    assert.equal(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join(''), line);
  });

  it('never splits a 4-octet character or a surrogate pair', () => {
    const line = 'X:' + '😀'.repeat(60);
    const parts = foldLine(line).split('\r\n');
    for (const p of parts) {
      assert.ok(Buffer.byteLength(p) <= 75);
      assert.equal(Buffer.from(p, 'utf8').toString('utf8'), p, 'valid UTF-8 on its own');
      assert.doesNotMatch(p, /^ ?[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
    assert.equal(parts.map((p, i) => (i === 0 ? p : p.slice(1))).join(''), line);
  });
});

describe('time values', () => {
  it('validates real dates and times only', () => {
    assert.ok(isDateValue('2024-02-29'));
    assert.ok(!isDateValue('2023-02-29'));
    assert.ok(!isDateValue('2024-13-01'));
    assert.ok(isDateTimeValue('2024-06-30T23:59:60Z'), 'a leap second is legal');
    assert.ok(!isDateTimeValue('2024-06-30T24:00:00'));
    assert.ok(!isDateTimeValue('2024-06-30T10:00'));
  });

  it('parses durations into nominal days and exact seconds', () => {
    assert.deepEqual(parseDuration('P1W2D'), { sign: 1, days: 9, seconds: 0 });
    assert.deepEqual(parseDuration('-PT1H30M5S'), { sign: -1, days: 0, seconds: 5405 });
    assert.equal(parseDuration('P'), null);
    assert.equal(parseDuration('PT'), null);
    assert.equal(parseDuration('1H'), null);
  });

  it('adds exact time from the first of two ambiguous wall times', () => {
    // 02:30 on 2024-10-27 happens twice in Berlin; RFC 5545 §3.3.5 means the first (CEST).
    // One hour after 02:30 CEST is 02:30 CET.
    assert.equal(endFromDuration('2024-10-27T02:30:00', 'Europe/Berlin', parseDuration('PT1H')!), '2024-10-27T02:30:00');
    assert.equal(endFromDuration('2024-10-27T02:30:00', 'Europe/Berlin', parseDuration('PT2H')!), '2024-10-27T03:30:00');
  });

  it('falls back to wall arithmetic for floating times and unknown zones', () => {
    const d = parseDuration('PT1H')!;
    assert.equal(endFromDuration('2024-03-31T01:30:00', null, d), '2024-03-31T02:30:00');
    assert.equal(endFromDuration('2024-03-31T01:30:00', 'W. Europe Standard Time', d), '2024-03-31T02:30:00');
    assert.equal(endFromDuration('2024-03-31T01:30:00', 'Europe/Berlin', d), '2024-03-31T03:30:00');
  });
});
