/**
 * Tempo worklog listings against the emulator's listing faults: complete and exactly the
 * live worklogs, or incomplete with the reason. The shift is the case the independent
 * check found: a worklog deleted between pages used to push a live one past the boundary.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { fullListing, onPage } from '../../support/listing-faults.js';
import { movableClock, siteData, startJira, startTempo, tempoConnector, type Jira, type Tempo } from '../jira/jira-fixture.js';

const PATH = '^/4/worklogs$';

function sample(n: number): WorklogItem {
  const start = new Date(Date.UTC(2026, 2, 2, 6) + n * 3_600_000).toISOString().slice(0, 19) + 'Z';
  return {
    issueId: '1001',
    authorAccountId: 'a:ada',
    onBehalfOf: null,
    date: start.slice(0, 10),
    start,
    timeZone: null,
    seconds: 1800,
    description: `Entry ${n}`,
    billableSeconds: null,
    visibility: null,
    estimate: 'auto',
  };
}

describe('Tempo worklog listing under listing faults (10 worklogs, pages of 3)', () => {
  let jira: Jira, tempo: Tempo;
  const connector = () => tempoConnector<WorklogItem>(tempo.base, jira.base, 'worklog', 'A', { pageSize: 3 });
  const live = () =>
    tempo
      .data()
      .worklogs.map((w) => String(w.tempoWorklogId))
      .sort();

  before(async () => {
    jira = await startJira(siteData('A', 1000), movableClock());
    tempo = await startTempo(jira);
    const c = connector();
    for (let n = 1; n <= 10; n++) await c.create(sample(n), { hubId: `h${n}`, key: `h${n}` });
  });
  afterEach(() => tempo.faults.clear());
  after(async () => {
    await tempo.close();
    await jira.close();
  });

  it('without a fault: complete, all 10', async () => {
    const l = await fullListing(connector());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
    assert.equal(l.ids.length, 10);
  });

  it('a short page 2: the overlap still proves the pages join, complete and exact', async () => {
    tempo.inject(onPage(PATH, 2, { kind: 'short' }));
    const l = await fullListing(connector());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
    assert.equal(tempo.faults.list()[0]!.fired, 1);
  });

  it('an empty page 2: the overlap is missing, read again, complete and exact', async () => {
    tempo.inject(onPage(PATH, 2, { kind: 'empty' }));
    const l = await fullListing(connector());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
  });

  it('a worklog deleted between page 1 and page 2: seen as a shift, read again, exactly the 9 live ones', async () => {
    tempo.inject(onPage(PATH, 2, { kind: 'shift' }));
    const l = await fullListing(connector());
    assert.equal(live().length, 9, 'the emulator really deleted one');
    assert.deepEqual([l.complete, l.ids], [true, live()]);
  });

  it('a list that keeps shifting gives up, incomplete with the reason', async () => {
    tempo.inject({ method: 'GET', path: PATH, after: 1, every: 2, listing: { kind: 'shift' } });
    const l = await fullListing(connector());
    assert.equal(l.complete, false);
    assert.match(
      l.incompleteReason ?? '',
      /^page 2 of Tempo worklogs \(\/4\/worklogs\) did not start on the last item of page 1 \(expected \d+, got \d+\): the list moved under offset paging \(read 3 times, it kept moving\)$/,
    );
  });
});
