/**
 * Deltas end to end on a real Virtuoso: the service (`POST /delta`, the job queue, its
 * workers) with a Timekeeper connection and the Kimai emulator. A work log made, edited and
 * deleted in Timekeeper reaches Kimai through the delta the notifier sends (posted here as
 * the notifier would: the v0.0.1 change set of the same triples); a change whose delta is
 * lost reaches Kimai through the link's reconcile (its 2-hour schedule); a delta of our own
 * writes (our mu-call-id in its trail) runs nothing; Virtuoso down during a run leaves it
 * partial with nothing lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedUris } from '../../../src/app/timekeeper-seed.js';
import { newCallId } from '../../../src/connectors/timekeeper/delta/index.js';
import { needsVirtuoso, startVirtuoso, type Virtuoso } from '../../support/virtuoso.js';
import { until } from '../../support/serve.js';
import { startKimai } from '../kimai/kimai-fixture.js';
import { config, kimaiLinks, taxonomy } from '../kimai/kimai-workspace.js';
import { startDropIns, type DropInServer } from '../kimai/drop-in-server.js';
import { reseed, seedData, triplesOf } from './timekeeper-fixture.js';

const CAL = 'http://www.w3.org/2002/12/cal/ical#';
const DCT = 'http://purl.org/dc/terms/';
const PROV = 'http://www.w3.org/ns/prov#';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const MU_UUID = 'http://mu.semte.ch/vocabularies/core/uuid';
const RED = 'http://mu.semte.ch/graphs/redpencil';
const XSD_DATE = 'http://www.w3.org/2001/XMLSchema#date';
const WINDOW = 'window: { pastDays: 60, futureDays: 60 }';

type Term = { type: 'uri' | 'literal'; value: string; datatype?: string };
type Triple = { subject: Term; predicate: Term; object: Term };
const uri = (value: string): Term => ({ type: 'uri', value });
const lit = (value: string, datatype?: string): Term => ({ type: 'literal', value, ...(datatype ? { datatype } : {}) });

/** A work log's triples, as Timekeeper's frontend writes them. */
function workLog(s: string, o: { uuid: string; date: string; duration: string; task: string; person: string }): Triple[] {
  return [
    { subject: uri(s), predicate: uri(RDF_TYPE), object: uri(`${CAL}Vevent`) },
    { subject: uri(s), predicate: uri(MU_UUID), object: lit(o.uuid) },
    { subject: uri(s), predicate: uri(`${CAL}dtstart`), object: lit(o.date, XSD_DATE) },
    { subject: uri(s), predicate: uri(`${CAL}duration`), object: lit(o.duration) },
    { subject: uri(s), predicate: uri(`${DCT}subject`), object: uri(o.task) },
    { subject: uri(s), predicate: uri(`${PROV}wasAssociatedWith`), object: uri(o.person) },
  ];
}

const term = (t: Term) => (t.type === 'uri' ? `<${t.value}>` : `${JSON.stringify(t.value)}${t.datatype ? `^^<${t.datatype}>` : ''}`);
const data = (ts: Triple[]) => ts.map((t) => `${term(t.subject)} ${term(t.predicate)} ${term(t.object)} .`).join('\n');

describe('Timekeeper deltas end to end (Virtuoso, the service, the Kimai emulator)', needsVirtuoso(), () => {
  let v: Virtuoso, kimai: Awaited<ReturnType<typeof startKimai>>, s: DropInServer;
  const wl = 'http://timekeeper.redpencil.io/work-logs/0b7a3c52-5f3e-4a59-9a0b-delta0000001';
  const anna = { uuid: '0b7a3c52-5f3e-4a59-9a0b-delta0000001', date: '2026-03-06', task: seedUris.task(31), person: seedUris.person('anna') };

  /** Writes to Timekeeper's store (as its frontend would), then posts the notifier's delta of those triples unless it is "lost". */
  async function change(o: { inserts?: Triple[]; deletes?: Triple[]; lost?: boolean }): Promise<void> {
    if (o.deletes?.length) await v.sparql(`DELETE DATA { GRAPH <${RED}> { ${data(o.deletes)} } }`);
    if (o.inserts?.length) await v.sparql(`INSERT DATA { GRAPH <${RED}> { ${data(o.inserts)} } }`);
    if (o.lost) return;
    const res = await s.call('POST', '/delta', {
      token: null,
      body: [{ inserts: o.inserts ?? [], deletes: o.deletes ?? [] }],
      headers: { 'mu-call-id': 'frontend-call-1', 'mu-call-id-trail': '["frontend-call-0"]' },
    });
    assert.equal(res.status, 204, JSON.stringify(res.body));
  }
  const annasKimai = () => kimai.data().timesheets.filter((t) => t.user === 1);
  const deltaRuns = async () => (await s.svc.store.listRuns({ linkId: 'link:tk-work-logs', limit: 50 })).filter((r) => r.trigger === 'delta:tk');

  before(async () => {
    v = await startVirtuoso();
    // Ben's work log stays throughout: deleting Anna's then leaves the listing with an item (an empty one would stop the run).
    await reseed(
      v,
      seedData({
        workLogs: [{ key: 'b1', username: 'ben', kimaiActivityId: 32, date: '2026-03-03', duration: 'PT1H30M' }],
        timesheets: [{ username: 'ben', month: '2026-03', state: 'submitted' }],
      }),
    );
    kimai = await startKimai();
    const k = kimaiLinks('kimai', kimai.base, { timesheets: `options: { granularity: day }, ${WINDOW}` });
    const tk = {
      connection: `  tk:\n    type: timekeeper\n    endpoint: ${v.sparqlUrl}\n    delta: { gracePeriodMs: 200 }\n`,
      // One work log deleted out of one is all of them: the delete guard is not what this test is about.
      links: `  tk-work-logs: { connection: tk, scope: work, externalKind: work-log, options: { kimai: kimai }, guard: { maxDeleteShare: 1 }, ${WINDOW} }\n  tk-timesheets: { connection: tk, scope: work, externalKind: timesheet, options: { kimai: kimai } }`,
    };
    s = await startDropIns(config([k, tk]).replace('store:\n', 'serve:\n  concurrency: 1\n  scheduler: false\nstore:\n'));
    for (const link of [...taxonomy('kimai'), 'tk-timesheets']) await s.jobsDone([(await s.svc.enqueueRun(link, { trigger: 'test' })).jobId]);
  });
  after(async () => {
    await s?.close();
    await kimai?.close();
    await v?.stop();
  });

  it('carries a work log made in Timekeeper to Kimai through its delta', async () => {
    await change({ inserts: workLog(wl, { ...anna, duration: 'PT2H' }) });
    await until('the work log in Kimai', () => annasKimai().length === 1, 30_000);
    const [rec] = annasKimai();
    assert.deepEqual([rec!.project, rec!.activity, (rec!.end! - rec!.begin) / 1000], [20, 31, 7200]);
    assert.ok((await deltaRuns()).length >= 1, 'a run the delta started');
  });

  it('carries an edit of the duration through its delta to the same Kimai record', async () => {
    const before = annasKimai()[0]!;
    const old = workLog(wl, { ...anna, duration: 'PT2H' }).filter((t) => t.predicate.value === `${CAL}duration`);
    const now = workLog(wl, { ...anna, duration: 'PT3H30M' }).filter((t) => t.predicate.value === `${CAL}duration`);
    await change({ deletes: old, inserts: now });
    await until('the new duration in Kimai', () => annasKimai().some((t) => t.end! - t.begin === 3.5 * 3600_000), 30_000);
    assert.deepEqual(
      annasKimai().map((t) => t.id),
      [before.id],
    );
  });

  it('ignores a delta of our own writes: it runs nothing', async () => {
    const runs = (await deltaRuns()).length;
    const res = await s.call('POST', '/delta', {
      token: null,
      body: [{ inserts: workLog(wl, { ...anna, duration: 'PT9H' }), deletes: [] }],
      headers: { 'mu-call-id-trail': JSON.stringify([newCallId()]) },
    });
    assert.equal(res.status, 204);
    await until('the receiver logs the delta as ours', () => s.logs.some((l) => l.includes('delta ignored')));
    const queued = (await s.svc.queue.list({ limit: 100 })).filter((j) => j.data.trigger === 'delta:tk' && !['done', 'dead'].includes(j.state));
    assert.deepEqual(queued, [], 'no run queued for our own write');
    assert.equal((await deltaRuns()).length, runs);
  });

  it('catches up on a change whose delta was lost through the link’s reconcile (its 2-hour schedule)', async () => {
    const view = (await s.svc.catalog.listLinks()).find((l) => l.name === 'tk-work-logs');
    assert.equal(await s.svc.catalog.scheduleOf(view!), '0 */2 * * *', "the Kimai sync service's fallback schedule is the link's default");
    const old = workLog(wl, { ...anna, duration: 'PT3H30M' }).filter((t) => t.predicate.value === `${CAL}duration`);
    const now = workLog(wl, { ...anna, duration: 'PT1H' }).filter((t) => t.predicate.value === `${CAL}duration`);
    await change({ deletes: old, inserts: now, lost: true });
    // What the schedule queues every 2 hours: a reconcile of the link.
    await s.jobsDone([(await s.svc.enqueueRun('tk-work-logs', { trigger: 'schedule' })).jobId]);
    await until('the duration in Kimai after the reconcile', () => annasKimai().some((t) => t.end! - t.begin === 3600_000), 30_000);
  });

  it('deletes the Kimai record when the work log is deleted in Timekeeper, through its delta', async () => {
    await change({ deletes: workLog(wl, { ...anna, duration: 'PT1H' }) });
    await until('the Kimai record gone', () => annasKimai().length === 0, 30_000).catch(async (e) => {
      const r = async (l: string) =>
        (await s.svc.store.listRuns({ linkId: `link:${l}`, limit: 3 })).map((x) => [x.trigger, x.status, x.counts, x.errors, x.warnings]);
      throw new Error(`${String(e)}\n${JSON.stringify(await r('tk-work-logs'))}\n${JSON.stringify(await r('kimai-timesheets'))}`);
    });
  });

  it('ends a run partial when Virtuoso is down, loses nothing, and the next run completes', async () => {
    const wl2 = `${wl.slice(0, -1)}2`;
    await change({ inserts: workLog(wl2, { ...anna, uuid: `${anna.uuid.slice(0, -1)}2`, duration: 'PT45M' }) });
    await until('the second work log in Kimai', () => annasKimai().length === 1, 30_000);
    const kept = annasKimai()[0]!;
    const runs = async () => s.svc.store.listRuns({ linkId: 'link:tk-work-logs', limit: 100 });
    const seen = new Set((await runs()).map((r) => r.id));
    await v.halt();
    try {
      await s.svc.enqueueRun('tk-work-logs', { trigger: 'test', full: true });
      // The run retries within its budget, then ends; the queue may try the job again later.
      await until('a run while the store is down', async () => (await runs()).some((r) => !seen.has(r.id) && r.status !== 'running'), 120_000);
      const down = (await runs()).filter((r) => !seen.has(r.id) && r.status !== 'running');
      assert.ok(
        down.every((r) => r.status !== 'ok'),
        JSON.stringify(down.map((r) => r.status)),
      );
      assert.deepEqual(
        annasKimai().map((t) => t.id),
        [kept.id],
        'nothing deleted in Kimai',
      );
      for (const r of down) seen.add(r.id);
    } finally {
      await v.start();
    }
    await s.jobsDone([(await s.svc.enqueueRun('tk-work-logs', { trigger: 'test', full: true })).jobId]);
    await until('an ok run after the store is back', async () => (await runs()).some((r) => !seen.has(r.id) && r.status === 'ok'), 60_000);
    assert.deepEqual(
      annasKimai().map((t) => [t.id, t.end! - t.begin]),
      [[kept.id, 45 * 60_000]],
    );
  });

  it("locks the month through the drop-in /timesheets/lock: Timekeeper's timesheet exported with its work logs, Kimai's entries exported", async () => {
    const b1 = seedUris.workLog('b1');
    await until('ben’s work log in Kimai', () => kimai.data().timesheets.some((t) => t.user === 2), 30_000);
    const res = await s.call('POST', '/timesheets/lock', { body: { month: 3, year: 2026 } });
    assert.ok([202, 204].includes(res.status), JSON.stringify(res.body));
    const sheet = seedUris.timesheet('ben', '2026-03');
    await until(
      'Timekeeper’s timesheet exported',
      async () => {
        const ts = await triplesOf(v, sheet);
        return (ts['http://www.w3.org/ns/adms#status'] ?? []).includes('http://timekeeper.redpencil.io/concepts/9d50b644-3d61-4a9d-b3a9-0b27f4f1d566');
      },
      30_000,
    );
    assert.ok(((await triplesOf(v, sheet))['http://www.w3.org/2004/02/skos/core#member'] ?? []).includes(b1), 'the month’s work log is a member');
    await until(
      'Kimai’s entries exported',
      () =>
        kimai
          .data()
          .timesheets.filter((t) => t.user === 2)
          .every((t) => t.exported),
      30_000,
    );
  });
});
