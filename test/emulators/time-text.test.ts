/**
 * The emulators' own date and time texts, checked against values worked out by hand from the
 * zones' published rules (not against the connectors' code, which they exist to check).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isUtcZone,
  jiraDurationText,
  jiraTimestamp,
  kimaiDateTime,
  parseJiraDurationText,
  parseJiraTimestamp,
  parseRfc3339,
  rfc3339At,
  wallTimeAt,
  wallTimeToInstant,
  zoneOffsetMinutes,
} from '../../src/emulators/kit/time-text.js';

const at = (iso: string): number => Date.parse(iso);

describe('emulator time texts', () => {
  it('zone offsets: Tokyo has no DST, Berlin and New York change in March and October/November', () => {
    assert.equal(zoneOffsetMinutes(at('2026-12-01T00:00:00Z'), 'Asia/Tokyo'), 540);
    assert.equal(zoneOffsetMinutes(at('2026-01-15T12:00:00Z'), 'Europe/Berlin'), 60);
    assert.equal(zoneOffsetMinutes(at('2026-07-15T12:00:00Z'), 'Europe/Berlin'), 120);
    assert.equal(zoneOffsetMinutes(at('2026-12-01T04:30:00Z'), 'America/New_York'), -300);
    assert.equal(zoneOffsetMinutes(at('2026-07-01T12:00:00Z'), 'America/New_York'), -240);
    assert.equal(zoneOffsetMinutes(at('2026-07-01T12:00:00Z'), 'UTC'), 0);
    assert.equal(zoneOffsetMinutes(at('2026-07-01T12:00:00Z'), 'Asia/Kolkata'), 330);
  });

  it('wall times: a Tokyo morning is the previous UTC day; a Berlin DST gap moves forward, an overlap takes the earlier instant', () => {
    assert.equal(wallTimeToInstant('2026-12-01T07:30', 'Asia/Tokyo'), at('2026-11-30T22:30:00Z'));
    assert.equal(wallTimeToInstant('2026-11-30 23:30:00', 'America/New_York'), at('2026-12-01T04:30:00Z'));
    // 2026-03-29 02:30 does not exist in Berlin (clocks go 02:00 → 03:00): it reads as 03:30 CEST.
    assert.equal(wallTimeToInstant('2026-03-29T02:30', 'Europe/Berlin'), at('2026-03-29T01:30:00Z'));
    // 2026-10-25 02:30 happens twice in Berlin: the first (CEST, +02:00) is taken.
    assert.equal(wallTimeToInstant('2026-10-25T02:30', 'Europe/Berlin'), at('2026-10-25T00:30:00Z'));
    assert.equal(wallTimeToInstant('2026-02-31T10:00', 'UTC'), null);
    assert.equal(wallTimeToInstant('2026-02-01T24:00', 'UTC'), null);
    assert.equal(wallTimeToInstant('2026-02-01T10:00+01:00', 'UTC'), null);
  });

  it('wall times in New York: the March gap moves forward, the November overlap takes EDT', () => {
    // 2026-03-08 02:00 EST → 03:00 EDT: 02:30 reads with the offset before (-05:00), i.e. 03:30 EDT.
    assert.equal(wallTimeToInstant('2026-03-08T02:30:00', 'America/New_York'), at('2026-03-08T07:30:00Z'));
    // 2026-11-01 01:30 happens at 05:30Z (EDT) and 06:30Z (EST): the first is taken.
    assert.equal(wallTimeToInstant('2026-11-01T01:30:00', 'America/New_York'), at('2026-11-01T05:30:00Z'));
    assert.equal(wallTimeAt(at('2026-11-01T06:30:00Z'), 'America/New_York'), '2026-11-01T01:30:00');
    // Before 1893 Berlin kept local mean time, 53 min 28 s ahead of UTC.
    assert.equal(wallTimeAt(at('1880-01-01T00:00:00Z'), 'Europe/Berlin'), '1880-01-01T00:53:28');
  });

  it('Google dateTime: the offset of the zone at that instant, Z for UTC under any name', () => {
    assert.equal(rfc3339At(at('2026-03-29T00:30:00Z'), 'Europe/Berlin'), '2026-03-29T01:30:00+01:00');
    assert.equal(rfc3339At(at('2026-03-29T01:30:00Z'), 'Europe/Berlin'), '2026-03-29T03:30:00+02:00');
    assert.equal(rfc3339At(at('2026-11-01T05:30:00Z'), 'America/New_York'), '2026-11-01T01:30:00-04:00');
    assert.equal(rfc3339At(at('2026-11-01T06:30:00Z'), 'America/New_York'), '2026-11-01T01:30:00-05:00');
    assert.equal(rfc3339At(at('2026-07-01T12:00:00.750Z'), 'Asia/Kolkata'), '2026-07-01T17:30:00+05:30');
    assert.equal(rfc3339At(at('2026-12-01T12:00:00Z'), 'Europe/London'), '2026-12-01T12:00:00+00:00');
    for (const zone of [undefined, null, 'UTC', 'Etc/UTC', 'GMT', 'Zulu']) assert.equal(rfc3339At(at('2026-12-01T12:00:00Z'), zone), '2026-12-01T12:00:00Z');
    assert.equal(isUtcZone('Europe/London'), false);
    // The seconds of a historic offset are dropped from offset and wall alike: the text still parses to the minute.
    assert.equal(rfc3339At(at('1880-01-01T00:00:00Z'), 'Europe/Berlin'), '1880-01-01T00:53:00+00:53');
  });

  it('RFC 3339 input needs its offset and a real date and time', () => {
    assert.equal(parseRfc3339('2026-07-01T12:00:00+02:00'), at('2026-07-01T10:00:00Z'));
    assert.equal(parseRfc3339('2026-11-30T23:30:00-05:00'), at('2026-12-01T04:30:00Z'));
    assert.equal(parseRfc3339('2026-07-01T12:00:00.5Z'), at('2026-07-01T12:00:00.500Z'));
    assert.equal(parseRfc3339('2026-07-01t12:00:00z'), at('2026-07-01T12:00:00Z'));
    assert.equal(parseRfc3339('2028-02-29T00:00:00Z'), at('2028-02-29T00:00:00Z'));
    for (const bad of [
      '2026-07-01T12:00:00',
      '2026-07-01T12:00:00+0200',
      '2026-02-29T10:00:00Z',
      '2026-07-01T24:00:00Z',
      '2026-07-01',
      '2026-07-01T12:00:00+24:00',
    ]) {
      assert.equal(parseRfc3339(bad), null, bad);
    }
  });

  it('Kimai output and Jira timestamps carry the offset without a colon', () => {
    assert.equal(kimaiDateTime(at('2026-11-30T22:30:00Z'), 'Asia/Tokyo'), '2026-12-01T07:30:00+0900');
    assert.equal(kimaiDateTime(at('2026-12-01T04:30:00Z'), 'America/New_York'), '2026-11-30T23:30:00-0500');
    assert.equal(jiraTimestamp(at('2026-12-01T04:30:00.250Z')), '2026-12-01T04:30:00.250+0000');
    assert.equal(jiraTimestamp(at('2026-07-01T10:00:00Z'), 'Europe/Berlin'), '2026-07-01T12:00:00.000+0200');
    assert.equal(parseJiraTimestamp('2026-07-01T12:00:00.000+0200'), at('2026-07-01T10:00:00Z'));
    assert.equal(parseJiraTimestamp('2026-11-30T23:30:00-05:00'), at('2026-12-01T04:30:00Z'));
    assert.ok(Number.isNaN(parseJiraTimestamp('2026-07-01 12:00')));
  });

  it('Jira durations: a day is 8 hours and a week 5 days; a bare number is minutes', () => {
    assert.equal(jiraDurationText(0), '0m');
    assert.equal(jiraDurationText(45), '45s');
    assert.equal(jiraDurationText(12_000), '3h 20m');
    assert.equal(jiraDurationText(28_800 + 3_600), '1d 1h');
    assert.equal(jiraDurationText(144_000 + 28_800), '1w 1d');
    assert.equal(parseJiraDurationText('3h 20m'), 12_000);
    assert.equal(parseJiraDurationText('1.5h'), 5_400);
    assert.equal(parseJiraDurationText('90'), 5_400);
    assert.equal(parseJiraDurationText('2w 4d'), 2 * 144_000 + 4 * 28_800);
    assert.equal(parseJiraDurationText('3 hours'), null);
    assert.equal(parseJiraDurationText(''), null);
  });
});
