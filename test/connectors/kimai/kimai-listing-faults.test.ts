/**
 * Kimai timesheet listings against the emulator's listing faults: each listing is either
 * complete and exactly the live records, or incomplete with the reason — never complete
 * while a live record is missing.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { KimaiEntry } from '../../../src/connectors/kimai/kimai-types.js';
import { fullListing, onPage } from '../../support/listing-faults.js';
import { kimaiConnector, startKimai } from './kimai-fixture.js';

const PATH = '^/api/timesheets$';

describe('Kimai timesheet listing under listing faults (10 records, pages of 3)', () => {
  let emu: Awaited<ReturnType<typeof startKimai>>;
  const connector = () => kimaiConnector<KimaiEntry>(emu.base, 'timesheet', 'all', { pageSize: 3 });
  const live = () =>
    emu
      .data()
      .timesheets.map((t) => String(t.id))
      .sort();

  before(async () => {
    emu = await startKimai();
    for (let i = 0; i < 10; i++) {
      const begin = Date.UTC(2026, 2, 2, 8) + i * 86_400_000;
      emu.data().timesheets.push({
        id: emu.data().nextId++,
        user: 1,
        project: 20,
        activity: 31,
        begin,
        end: begin + 3_600_000,
        zone: 'Europe/Berlin',
        breakSeconds: 0,
        description: `day ${i}`,
        tags: [],
        exported: false,
        billable: true,
        hourlyRate: 60,
        fixedRate: null,
        modifiedAt: begin,
      });
    }
  });
  afterEach(() => emu.faults.clear());
  after(() => emu.close());

  it('without a fault: complete, all 10', async () => {
    const l = await fullListing(connector());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
    assert.equal(l.ids.length, 10);
  });

  it('a short page 2 with truthful totals: incomplete, naming the page', async () => {
    emu.inject(onPage(PATH, 2, { kind: 'short' }));
    const l = await fullListing(connector());
    assert.equal(l.complete, false);
    assert.equal(l.incompleteReason, 'page 2 of 4 of Kimai timesheets held 2 items, fewer than the page size 3, yet was not the last');
  });

  it('an empty page 2 whose totals still claim every record: incomplete', async () => {
    emu.inject(onPage(PATH, 2, { kind: 'empty', totals: 'claim' }));
    const l = await fullListing(connector());
    assert.equal(l.complete, false);
    assert.equal(l.incompleteReason, 'page 2 of 4 of Kimai timesheets came back empty while the total said 10');
  });

  it('an empty last page (200 [] with normal X-Total-* headers): the count does not match, read again, then complete and exact', async () => {
    emu.inject(onPage(PATH, 4, { kind: 'empty', totals: 'claim' }));
    const l = await fullListing(connector());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
    assert.equal(emu.faults.list()[0]!.fired, 1, 'the fault did fire');
  });

  it('an empty page 2 with truthful totals: the total moved, read again, then complete and exact', async () => {
    emu.inject(onPage(PATH, 2, { kind: 'empty', totals: 'truthful' }));
    const l = await fullListing(connector());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
  });

  it('a record deleted between page 1 and page 2: read again, complete with exactly the 9 live ones', async () => {
    const before = live();
    emu.inject(onPage(PATH, 2, { kind: 'shift' }));
    const l = await fullListing(connector());
    assert.equal(live().length, 9, 'the emulator really deleted one');
    assert.deepEqual([l.complete, l.ids], [true, live()]);
    assert.equal(before.filter((id) => !l.ids.includes(id)).length, 1);
  });

  it('a page that keeps failing in the same way gives up with the reason', async () => {
    emu.inject({ method: 'GET', path: PATH, every: 2, listing: { kind: 'shift' } });
    const l = await fullListing(connector());
    assert.equal(l.complete, false);
    assert.match(
      l.incompleteReason ?? '',
      /^the total of Kimai timesheets changed from \d+ to \d+ between page 1 and page 2 \(read 3 times, it kept moving\)$/,
    );
  });

  it('the control route takes a listing fault', async () => {
    const res = await fetch(`${emu.base}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'GET', path: PATH, times: 1, listing: { kind: 'empty' } }),
    });
    assert.equal(res.status, 201);
    const bad = await fetch(`${emu.base}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ listing: { kind: 'gone' } }),
    });
    assert.equal(bad.status, 400);
    const l = await fullListing(connector());
    assert.equal(l.complete, false);
    assert.match(l.incompleteReason ?? '', /^page 1 of \d+ of Kimai timesheets came back empty while the total said \d+$/);
  });
});
