/**
 * Google Calendar listings against the emulator's listing faults. Google declares no
 * totals and may answer short or empty pages; pages continue from a key, so a deletion
 * between pages moves nothing. A listing is complete only when its last page brought the
 * nextSyncToken.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { GoogleItem } from '../../../src/connectors/google-calendar/google-types.js';
import { fullListing, onPage } from '../../support/listing-faults.js';
import { connector, newCalendar, startEmulator, type Running } from './google-support.js';

describe('Google Calendar listing under listing faults (10 events, pages of 3)', () => {
  let r: Running;
  let calendar: string;
  let made: string[] = [];
  let path = '';
  const c = (instances = false) => connector(r, { calendar, pageSize: 3, instances });

  before(async () => {
    r = await startEmulator();
    calendar = await newCalendar(r);
    path = `^/calendar/v3/calendars/${encodeURIComponent(calendar).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/events$`;
    const writer = c();
    for (let n = 1; n <= 10; n++) {
      const day = String(n).padStart(2, '0');
      const item: GoogleItem = {
        event: {
          id: '',
          summary: `Event ${n}`,
          start: { dateTime: `2026-12-${day}T10:00:00`, timeZone: 'Europe/Berlin' },
          end: { dateTime: `2026-12-${day}T11:00:00`, timeZone: 'Europe/Berlin' },
        },
        exceptions: [],
      };
      made.push((await writer.create(item, { hubId: `0190f0d2-0000-7000-8000-0000000000${day}`, key: 'k' })).id);
    }
    made = made.sort();
  });
  afterEach(() => r.emulator.faults.clear());
  after(() => r.emulator.close());

  it('without a fault: complete, all 10, with a cursor', async () => {
    const l = await fullListing(c());
    assert.deepEqual([l.complete, l.ids], [true, made]);
    assert.ok(l.cursor);
  });

  for (const [name, fault] of [
    ['a short page 2', { kind: 'short' }],
    ['an empty page 2', { kind: 'empty' }],
  ] as const) {
    it(`${name} (Google may answer one with a token): complete and exact`, async () => {
      r.emulator.inject(onPage(path, 2, fault));
      const l = await fullListing(c());
      assert.deepEqual([l.complete, l.ids], [true, made]);
      assert.equal(r.emulator.faults.list()[0]!.fired, 1);
    });
  }

  it('an event deleted between page 1 and page 2: nothing live is missed', async () => {
    r.emulator.inject(onPage(path, 2, { kind: 'shift' }));
    const l = await fullListing(c(true));
    const live = made.filter((id) => id !== made[0]);
    assert.equal(l.complete, true, l.incompleteReason);
    assert.deepEqual(l.ids, made, 'the first event was read on page 1, before it was deleted; every live one is there');
    const [gone, kept] = await c().get([made[0]!, made[1]!]);
    assert.ok(gone && 'error' in gone && gone.error.kind === 'not_found', 'get says the deleted one is gone');
    assert.ok(kept && !('error' in kept));
    const again = await fullListing(c(true));
    assert.deepEqual(again.ids, live);
  });

  it("a page that keeps failing after the first (past the client's retries): incomplete, with the reason, and no cursor", async () => {
    r.emulator.inject({ method: 'GET', path, after: 1, times: 50, status: 503 });
    const l = await fullListing(c());
    assert.equal(l.complete, false);
    assert.equal(l.cursor, null);
    assert.match(l.incompleteReason ?? '', /^page 2 of Google Calendar events failed: GET .* HTTP 503/);
  });

  it('a page that fails once is retried within the listing: complete', async () => {
    const clean = await fullListing(c());
    r.emulator.inject({ method: 'GET', path, after: 1, times: 1, status: 503 });
    const l = await fullListing(c());
    assert.deepEqual([l.complete, l.ids], [true, clean.ids]);
  });
});
