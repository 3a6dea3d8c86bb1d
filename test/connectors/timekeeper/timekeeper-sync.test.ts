/**
 * Timekeeper ⇄ hub ⇄ Kimai on a real Virtuoso and the Kimai emulator: work logs made,
 * edited (duration, day, task) and deleted in Timekeeper reach Kimai, entries made in Kimai
 * become work logs on their person's day, our writes leave foreign triples alone, the month
 * lock exports Timekeeper's timesheet with its work logs, the mu-auth headers are sent, and
 * Virtuoso stopped mid-run leaves a partial run that the next run completes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedUris } from '../../../src/app/timekeeper-seed.js';
import { timeEntryFieldsSchema } from '../../../src/core/fields/time-entry.js';
import { lockMonth } from '../../../src/runtime/month-lock.js';
import { needsVirtuoso, startVirtuoso, type Virtuoso } from '../../support/virtuoso.js';
import { ADMIN_TOKEN, startKimai } from '../kimai/kimai-fixture.js';
import { CLOCK, config, kimaiLinks, taxonomy, workspace, type Workspace } from '../kimai/kimai-workspace.js';
import { reseed, seedData, startProxy, tkConnector, triplesOf, type Proxy } from './timekeeper-fixture.js';

const CAL = 'http://www.w3.org/2002/12/cal/ical#';
const DCT = 'http://purl.org/dc/terms/';
const PROV = 'http://www.w3.org/ns/prov#';
const PREFIX = `PREFIX cal: <${CAL}> PREFIX dct: <${DCT}> PREFIX ext: <http://mu.semte.ch/vocabularies/ext/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>`;
const RED = 'http://mu.semte.ch/graphs/redpencil';
const WINDOW = 'window: { pastDays: 60, futureDays: 60 }';

const localDay = (ms: number, timeZone: string) => new Date(ms).toLocaleDateString('sv-SE', { timeZone });

describe('Timekeeper ⇄ hub ⇄ Kimai', needsVirtuoso(), () => {
  let v: Virtuoso, kimai: Awaited<ReturnType<typeof startKimai>>, ws: Workspace, proxy: Proxy;
  const a1 = seedUris.workLog('a1');
  const b1 = seedUris.workLog('b1');

  before(async () => {
    v = await startVirtuoso();
    await reseed(
      v,
      seedData({
        workLogs: [
          { key: 'a1', username: 'anna', kimaiActivityId: 31, date: '2026-03-02', duration: 'PT2H' },
          { key: 'b1', username: 'ben', kimaiActivityId: 32, date: '2026-03-03', duration: 'PT1H30M' },
        ],
        timesheets: [
          { username: 'anna', month: '2026-03', state: 'submitted' },
          { username: 'ben', month: '2026-03', state: 'draft' },
        ],
      }),
    );
    proxy = await startProxy(() => v.sparqlUrl);
    kimai = await startKimai();
    const k = kimaiLinks('kimai', kimai.base, { timesheets: `options: { granularity: day }, ${WINDOW}` });
    const tk = {
      connection: `  tk:\n    type: timekeeper\n    endpoint: ${proxy.url}\n`,
      links: [
        `  tk-work-logs: { connection: tk, scope: work, externalKind: work-log, options: { kimai: kimai }, ${WINDOW} }`,
        `  tk-timesheets: { connection: tk, scope: work, externalKind: timesheet, options: { kimai: kimai } }`,
      ].join('\n'),
    };
    ws = await workspace(config([k, tk]));
    const results = await ws.runAll(taxonomy('kimai'));
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
  });
  after(async () => {
    await ws?.close();
    await kimai?.close();
    await proxy?.close();
    await v?.stop();
  });

  const ok = async (links: string[]) => {
    const results = await ws.runAll(links);
    assert.deepEqual(
      results.map((r) => [r.run.linkId, r.run.status, r.run.errors]),
      results.map((r) => [r.run.linkId, 'ok', []]),
    );
    return results;
  };
  const toKimai = () => ok(['tk-work-logs', 'kimai-timesheets']);
  const fromKimai = () => ok(['kimai-timesheets', 'tk-work-logs']);
  const kimaiOf = (user: number) => kimai.data().timesheets.filter((t) => t.user === user);

  it('brings the work logs to Kimai with the Kimai ids Timekeeper keeps, each on its day in its person’s zone', async () => {
    await toKimai();
    const [anna] = kimaiOf(1);
    const [ben] = kimaiOf(2);
    assert.deepEqual([anna!.project, anna!.activity, (anna!.end! - anna!.begin) / 1000], [20, 31, 7200]);
    assert.deepEqual([ben!.project, ben!.activity, (ben!.end! - ben!.begin) / 1000], [21, 32, 5400]);
    assert.equal(localDay(anna!.begin, 'Europe/Berlin'), '2026-03-02');
    assert.equal(localDay(ben!.begin, 'America/New_York'), '2026-03-03');
    const hub = await ws.one('timeEntry', (f) => f.durationSeconds === 7200);
    assert.deepEqual([hub.fields.date, hub.fields.start, hub.fields.timeZone], ['2026-03-02', null, 'Europe/Berlin']);
    // A work log made in Timekeeper is a whole hub time entry, which every other link can write.
    for (const e of await ws.records('timeEntry')) {
      const parsed = timeEntryFieldsSchema.safeParse(e.fields);
      assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
    }
  });

  it('sends a fresh mu-call-id (ours: the delta receiver ignores its echoes), the allowed groups and the scope with every request, and no mu-auth-sudo', () => {
    assert.ok(proxy.seen.length > 3);
    const ids = new Set(proxy.seen.map((s) => s.headers['mu-call-id']));
    assert.equal(ids.size, proxy.seen.length, 'one call id per request');
    for (const s of proxy.seen) {
      assert.match(String(s.headers['mu-call-id']), /^timebridge-[0-9a-f-]{36}$/);
      assert.deepEqual(JSON.parse(String(s.headers['mu-auth-allowed-groups'])), [{ name: 'public', variables: [] }]);
      assert.equal(s.headers['mu-auth-scope'], 'http://services.redpencil.io/timekeeper-kimai-sync-service');
      assert.equal(s.headers['mu-auth-sudo'], undefined);
    }
  });

  it('sends mu-auth-sudo only from a connection that is set to', async () => {
    const sudo = tkConnector(v, 'work-log', { config: { endpoint: proxy.url, sudo: true, allowedGroups: null, scope: null } });
    const from = proxy.seen.length;
    await sudo.list({ cursor: null, window: null });
    const sent = proxy.seen.slice(from);
    assert.ok(sent.length > 0);
    for (const s of sent) {
      assert.equal(s.headers['mu-auth-sudo'], 'true');
      assert.equal(s.headers['mu-auth-allowed-groups'], undefined);
      assert.equal(s.headers['mu-auth-scope'], undefined);
    }
  });

  it('carries an edit of duration, day and task in Timekeeper to the same Kimai record', async () => {
    const before = kimaiOf(1)[0]!;
    await v.sparql(`${PREFIX} WITH <${RED}> DELETE { <${a1}> cal:duration ?d ; cal:dtstart ?s ; dct:subject ?t } INSERT { <${a1}> cal:duration "PT3H" ; cal:dtstart "2026-03-04"^^xsd:date ; dct:subject <${seedUris.task(32)}> }
      WHERE { <${a1}> cal:duration ?d ; cal:dtstart ?s ; dct:subject ?t }`);
    await toKimai();
    const [after] = kimaiOf(1);
    assert.equal(after!.id, before.id);
    assert.deepEqual([after!.project, after!.activity, (after!.end! - after!.begin) / 1000], [21, 32, 10800]);
    assert.equal(localDay(after!.begin, 'Europe/Berlin'), '2026-03-04');
  });

  it('writes a Kimai edit back touching only its own triples: a note and a foreign triple on the work log survive', async () => {
    await v.sparql(`${PREFIX} INSERT DATA { GRAPH <${RED}> { <${a1}> cal:comment "Sprint review" ; ext:foreign "kept" } }`);
    const before = await triplesOf(v, a1);
    const rec = kimaiOf(1)[0]!;
    const res = await fetch(`${kimai.base}/api/timesheets/${rec.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      // Kimai reads a wall time in the user's zone.
      body: JSON.stringify({ end: new Date(rec.begin + 4 * 3600_000).toLocaleString('sv-SE', { timeZone: 'Europe/Berlin' }).replace(' ', 'T') }),
    });
    assert.equal(res.status, 200, await res.text());
    await fromKimai();
    const after = await triplesOf(v, a1);
    assert.deepEqual(after[`${CAL}duration`], ['PT4H']);
    const { [`${CAL}duration`]: _d1, ...restBefore } = before;
    const { [`${CAL}duration`]: _d2, ...restAfter } = after;
    assert.deepEqual(restAfter, restBefore, 'every other triple of the work log is as it was');
    assert.deepEqual(after[`${CAL}comment`], ['Sprint review']);
  });

  it('makes a Kimai entry a work log on its person’s local day, under the base URI with a uuid', async () => {
    const res = await fetch(`${kimai.base}/api/timesheets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      // 00:30 in Berlin on 5 March is still 4 March in UTC.
      body: JSON.stringify({ user: 1, project: 20, activity: 31, begin: '2026-03-05T00:30', end: '2026-03-05T01:30' }),
    });
    assert.equal(res.status, 200, await res.text());
    await fromKimai();
    const body = (await v.sparql(
      `${PREFIX} SELECT ?wl ?uuid ?date ?duration ?task ?person WHERE { ?wl a cal:Vevent ; <http://mu.semte.ch/vocabularies/core/uuid> ?uuid ; cal:dtstart ?date ; cal:duration ?duration ; dct:subject ?task ; <${PROV}wasAssociatedWith> ?person . FILTER (?wl NOT IN (<${a1}>, <${b1}>)) }`,
      'query',
    )) as { results: { bindings: Record<string, { value: string }>[] } };
    assert.equal(body.results.bindings.length, 1);
    const row = body.results.bindings[0]!;
    assert.equal(row.wl!.value, `http://timekeeper.redpencil.io/work-logs/${row.uuid!.value}`);
    assert.deepEqual(
      [row.date!.value, row.duration!.value, row.task!.value, row.person!.value],
      ['2026-03-05', 'PT1H', seedUris.task(31), seedUris.person('anna')],
    );
  });

  it('deletes the Kimai record of a work log deleted in Timekeeper', async () => {
    assert.equal(kimaiOf(2).length, 1);
    await v.sparql(`DELETE WHERE { GRAPH <${RED}> { <${b1}> ?p ?o } }`);
    await toKimai();
    assert.equal(kimaiOf(2).length, 0);
  });

  it('locks the month end to end: Timekeeper’s timesheet exported with the month’s work logs as members, Kimai’s entries exported', async () => {
    await ok(['tk-timesheets']);
    const anna = (await ws.byField('person', 'username', 'anna')).id;
    const sheet = await ws.one('timesheet', (f) => f.personId === anna);
    assert.deepEqual([sheet.fields.month, sheet.fields.state], ['2026-03', 'submitted']);
    const report = await lockMonth({
      store: ws.app.store,
      scope: 'work',
      year: 2026,
      month: 3,
      origin: 'user:test',
      now: CLOCK,
      linkIds: ['link:kimai-timesheets'],
    });
    assert.deepEqual(
      report.locked.map((l) => l.timesheetId),
      [sheet.id],
    );
    await ok(['tk-timesheets', 'kimai-timesheets']);
    const ts = await triplesOf(v, seedUris.timesheet('anna', '2026-03'));
    assert.deepEqual(ts['http://www.w3.org/ns/adms#status'], ['http://timekeeper.redpencil.io/concepts/9d50b644-3d61-4a9d-b3a9-0b27f4f1d566']);
    const members = ts['http://www.w3.org/2004/02/skos/core#member'] ?? [];
    assert.equal(members.length, 2, 'both of anna’s March work logs');
    assert.ok(members.includes(a1));
    assert.ok(
      kimaiOf(1).every((t) => t.exported),
      'Kimai entries exported',
    );
    const benSheet = await triplesOf(v, seedUris.timesheet('ben', '2026-03'));
    assert.deepEqual(
      benSheet['http://www.w3.org/ns/adms#status'],
      ['http://timekeeper.redpencil.io/concepts/f1fa3569-7f98-47a9-b03b-90b42e9f3c52'],
      'a draft stays a draft',
    );
  });

  it('ends a run partial when Virtuoso stops mid-run, loses nothing, and the next run completes without duplicates', async () => {
    for (const day of ['06', '09', '10']) {
      const res = await fetch(`${kimai.base}/api/timesheets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user: 2, project: 22, activity: 30, begin: `2026-04-${day}T10:00`, end: `2026-04-${day}T11:00` }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    await ok(['kimai-timesheets']);
    let updates = 0;
    proxy.before = async (s) => {
      if (s.form === 'update' && ++updates === 2) await v.halt();
    };
    const [broken] = await ws.runAll(['tk-work-logs']);
    proxy.before = null;
    assert.equal(broken!.run.status, 'partial', JSON.stringify(broken!.run.errors));
    assert.ok(broken!.run.errors.length > 0 && broken!.run.errors.every((e) => e.error.kind === 'transient'), JSON.stringify(broken!.run.errors));
    await v.start();
    await ok(['tk-work-logs']);
    const april = (await v.sparql(`${PREFIX} SELECT ?wl WHERE { ?wl a cal:Vevent ; cal:dtstart ?d . FILTER (?d >= "2026-04-01"^^xsd:date) }`, 'query')) as {
      results: { bindings: unknown[] };
    };
    assert.equal(april.results.bindings.length, 3, 'each Kimai entry became exactly one work log');
    const entries = (await ws.records('timeEntry')).filter((e) => String(e.fields.date).startsWith('2026-04'));
    assert.equal(entries.length, 3);
    // Read back from Timekeeper, where the global activity Meeting has no project, the entries keep theirs.
    await v.sparql(
      `${PREFIX} WITH <${RED}> DELETE { ?wl cal:duration ?d } INSERT { ?wl cal:duration "PT2H" } WHERE { ?wl a cal:Vevent ; cal:dtstart "2026-04-06"^^xsd:date ; cal:duration ?d }`,
    );
    await ok(['tk-work-logs', 'kimai-timesheets']);
    const moved = await ws.one('timeEntry', (f) => f.date === '2026-04-06');
    assert.equal(moved.fields.durationSeconds, 7200);
    assert.equal(moved.fields.projectId, entries.find((e) => e.fields.date === '2026-04-06')!.fields.projectId);
    const inKimai = kimaiOf(2).find((t) => localDay(t.begin, 'Europe/Berlin') === '2026-04-06')!;
    assert.deepEqual([inKimai.project, inKimai.activity, (inKimai.end! - inKimai.begin) / 1000], [22, 30, 7200]);
  });
});
