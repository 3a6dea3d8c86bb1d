/**
 * An incomplete Timekeeper listing deletes nothing: when Virtuoso cuts its answers at a low
 * `ResultSetMaxRows`, or a proxy in front of it loses a page's rows, the listing's URIs
 * fall short of the count, and the work logs missing from it stay in the hub and in Kimai.
 * Once the listing is whole again, a work log really deleted in Timekeeper is deleted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedUris } from '../../../src/app/timekeeper-seed.js';
import { needsVirtuoso, startVirtuoso, type Virtuoso } from '../../support/virtuoso.js';
import { startKimai } from '../kimai/kimai-fixture.js';
import { config, kimaiLinks, taxonomy, workspace, type Workspace } from '../kimai/kimai-workspace.js';
import { reseed, seedData, startProxy, type Proxy } from './timekeeper-fixture.js';

const RED = 'http://mu.semte.ch/graphs/redpencil';
const WINDOW = 'window: { pastDays: 60, futureDays: 60 }';
const KEYS = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];

describe('an incomplete Timekeeper listing', needsVirtuoso(), () => {
  let v: Virtuoso, kimai: Awaited<ReturnType<typeof startKimai>>, ws: Workspace, proxy: Proxy;

  before(async () => {
    v = await startVirtuoso();
    await reseed(
      v,
      seedData({ workLogs: KEYS.map((key, i) => ({ key, username: 'anna', kimaiActivityId: 31, date: `2026-03-0${i + 2}`, duration: 'PT1H' })) }),
    );
    proxy = await startProxy(() => v.sparqlUrl);
    kimai = await startKimai();
    const k = kimaiLinks('kimai', kimai.base, { timesheets: `options: { granularity: day }, ${WINDOW}` });
    const tk = {
      connection: `  tk:\n    type: timekeeper\n    endpoint: ${proxy.url}\n    pageSize: 10\n`,
      links: `  tk-work-logs: { connection: tk, scope: work, externalKind: work-log, options: { kimai: kimai }, ${WINDOW} }`,
    };
    ws = await workspace(config([k, tk]));
    const results = await ws.runAll([...taxonomy('kimai'), 'tk-work-logs', 'kimai-timesheets']);
    assert.deepEqual(
      results.map((r) => [r.run.linkId, r.run.status, r.run.errors]),
      results.map((r) => [r.run.linkId, 'ok', []]),
    );
  });
  after(async () => {
    await ws?.close();
    await kimai?.close();
    await proxy?.close();
    await v?.stop();
  });

  /** Anna's work logs: live hub time entries and Kimai records (their count each). */
  const held = async () => ({
    hub: (await ws.records('timeEntry')).length,
    kimai: kimai.data().timesheets.filter((t) => t.user === 1).length,
  });
  /** URIs the store itself holds (read as its owner, not through the listing). */
  const stored = async () =>
    (
      (await v.sparql(`SELECT ?s WHERE { GRAPH <${RED}> { ?s a <http://www.w3.org/2002/12/cal/ical#Vevent> } }`, 'query')) as {
        results: { bindings: unknown[] };
      }
    ).results.bindings.length;

  const runIncomplete = async () => {
    const [tkRun, kimaiRun] = await ws.runAll(['tk-work-logs', 'kimai-timesheets']);
    assert.equal(tkRun!.run.status, 'partial', 'a cut listing does not pass for a whole one');
    assert.deepEqual(
      tkRun!.run.errors.map((e) => e.error.code),
      ['LISTING_INCOMPLETE'],
    );
    assert.match(tkRun!.run.errors[0]!.error.message, /but the total said 6/);
    const plan = tkRun!.run.plan as { partialListing?: boolean; actions: { op: string }[] };
    assert.equal(plan.partialListing, true);
    assert.deepEqual(
      plan.actions.filter((a) => a.op === 'delete'),
      [],
    );
    assert.equal(tkRun!.hubWrites, 0, JSON.stringify(tkRun!.run));
    assert.equal(kimaiRun!.run.status, 'ok', JSON.stringify(kimaiRun!.run.errors));
  };

  it('starts with six work logs in Timekeeper, the hub and Kimai', async () => {
    assert.equal(await stored(), 6);
    assert.deepEqual(await held(), { hub: 6, kimai: 6 });
  });

  it('keeps the work logs Virtuoso left out when ResultSetMaxRows cuts the listing, and says why', async () => {
    await v.halt();
    await v.start({ resultSetMaxRows: 3 });
    // The store still has all six; its answers stop at three rows.
    assert.equal(await stored(), 3, 'Virtuoso cuts its answers at three rows');
    await runIncomplete();
    assert.deepEqual(await held(), { hub: 6, kimai: 6 });
    await v.halt();
    await v.start({ resultSetMaxRows: 100_000 });
    assert.equal(await stored(), 6);
  });

  it('keeps the work logs a proxy dropped from a page', async () => {
    let dropped = 0;
    proxy.rewrite = (s, answer) => {
      if (s.form !== 'query' || !/SELECT DISTINCT \?uri/.test(s.text)) return answer;
      const body = JSON.parse(answer) as { results: { bindings: unknown[] } };
      dropped += body.results.bindings.splice(1, 2).length;
      return JSON.stringify(body);
    };
    try {
      await runIncomplete();
    } finally {
      proxy.rewrite = null;
    }
    assert.ok(dropped >= 2, 'each read of the page lost two rows');
    assert.deepEqual(await held(), { hub: 6, kimai: 6 });
  });

  it('deletes a work log deleted in Timekeeper once the listing is whole again', async () => {
    await v.sparql(`DELETE WHERE { GRAPH <${RED}> { <${seedUris.workLog('w6')}> ?p ?o } }`);
    const results = await ws.runAll(['tk-work-logs', 'kimai-timesheets']);
    assert.deepEqual(
      results.map((r) => [r.run.linkId, r.run.status]),
      results.map((r) => [r.run.linkId, 'ok']),
    );
    assert.deepEqual(await held(), { hub: 5, kimai: 5 });
  });
});
