/**
 * What a Jira worklog create costs the site, and that it stays safe: the marker lookup
 * reads an issue's worklogs once, not before every create (N creates on one issue take
 * about N requests); a create whose connection drops after Jira committed it is repeated
 * without a second worklog; a process that crashed after a create finds it by its key;
 * and the engine checks each write against Jira's answer (no read-back request) and still
 * names a write that Jira stored differently.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adfToText, textToAdf } from '../../../src/connectors/kit/atlassian/adf.js';
import type { WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { bucketRegistry } from '../../../src/connectors/kit/rate-limiter.js';
import { createJiraEmulator } from '../../../src/emulators/jira/index.js';
import { virtualTime } from '../../support/virtual-time.js';
import { jiraConnector, movableClock, siteData, startJira, startTempo, type Clock, type Jira, type Tempo } from './jira-fixture.js';
import { DIRECTORY, allOk, replicationYaml, workspace, type Workspace } from './jira-workspace.js';

const entry = (issueId: string, n: number): WorklogItem => ({
  issueId,
  authorAccountId: null,
  onBehalfOf: null,
  date: '2026-03-09',
  start: new Date(Date.UTC(2026, 2, 9, 6) + n * 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  timeZone: 'UTC',
  seconds: 600,
  description: `entry ${n}`,
  billableSeconds: null,
  visibility: null,
  estimate: 'auto',
});
const key = (n: number) => ({ hubId: `hub-req-${n}`, key: `hub-req-${n}` });
const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

describe('Jira worklog creates: requests and repeats', () => {
  let clock: Clock, jira: Jira, issueId: string;
  before(async () => {
    clock = movableClock();
    jira = await startJira(siteData('B', 2000), clock);
    issueId = jira.data().issues.find((i) => i.key === 'B-2')!.id;
  });
  after(() => jira.close());

  it('N creates on one issue that already holds worklogs cost at most 1.05 N + 3 requests, each made once', async () => {
    const c = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B');
    for (let n = 0; n < 30; n++) await c.create(entry(issueId, n), key(n));
    const fresh = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B');
    const before = total(jira.counts);
    const N = 200;
    for (let n = 100; n < 100 + N; n++) await fresh.create(entry(issueId, n), key(n));
    const used = total(jira.counts) - before;
    assert.ok(used <= 1.05 * N + 3, `${used} requests for ${N} creates`);
    const onIssue = jira.data().worklogs.filter((w) => w.issueId === issueId);
    assert.equal(onIssue.length, 30 + N);
    assert.equal(new Set(onIssue.map((w) => JSON.stringify(w.properties['timebridge']))).size, 30 + N, 'each key once');
    // The index knows what this connector made: a repeat of the same key is found, not posted.
    const again = await fresh.create(entry(issueId, 150), key(150));
    assert.equal(again.id, onIssue.find((w) => (w.properties['timebridge'] as { hubId: string }).hubId === 'hub-req-150')!.id);
    assert.equal(jira.data().worklogs.filter((w) => w.issueId === issueId).length, 30 + N);
  });

  it('a create whose connection drops after Jira committed it is repeated by a lookup, not a second POST', async () => {
    const vt = virtualTime();
    const c = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B', { http: { clock: vt, buckets: bucketRegistry(vt) } });
    // The connector reads the issue once (the index); the next create's POST lands and its answer is lost.
    await c.create(entry(issueId, 500), key(500));
    jira.inject({ method: 'POST', path: '/issue/[^/]+/worklog$', dropAfter: true, times: 1 });
    const posts = () => jira.counts.get('POST /rest/api/3/issue/:idOrKey/worklog') ?? 0;
    const postsBefore = posts();
    const ref = await c.create(entry(issueId, 501), key(501));
    const made = jira.data().worklogs.filter((w) => adfToText(w.comment) === 'entry 501');
    assert.equal(made.length, 1, 'one worklog');
    assert.equal(ref.id, made[0]!.id);
    assert.equal(posts() - postsBefore, 1, 'the POST was sent once: the repeat found what it made');
    assert.deepEqual([jira.faults.list().at(-1)!.fired, vt.slept.length], [1, 1], 'the answer was dropped, and the create repeated once');
  });

  it('after a crash, a fresh connector finds the create by its key, and a repeated create returns it', async () => {
    const c = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B');
    const made = await c.create(entry(issueId, 600), key(600));
    const next = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B');
    assert.equal((await next.findByKey(key(600)))?.id, made.id);
    assert.equal((await next.create(entry(issueId, 600), key(600))).id, made.id);
    assert.equal(jira.data().worklogs.filter((w) => adfToText(w.comment) === 'entry 600').length, 1);
  });

  it('a worklog deleted after the index read it is not returned: the create makes a new one', async () => {
    const c = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B');
    await c.list({ cursor: null, window: null });
    const target = jira.data().worklogs.find((w) => adfToText(w.comment) === 'entry 600')!;
    jira.data().worklogs = jira.data().worklogs.filter((w) => w !== target);
    const ref = await c.create(entry(issueId, 600), key(600));
    assert.notEqual(ref.id, target.id);
    assert.equal(jira.data().worklogs.filter((w) => adfToText(w.comment) === 'entry 600').length, 1);
  });
});

describe('the engine checks Jira writes against their answers', () => {
  let clock: Clock, jiraA: Jira, jiraB: Jira, tempo: Tempo, ws: Workspace;
  before(async () => {
    clock = movableClock();
    jiraA = await startJira(siteData('A', 1000), clock);
    // Site B keeps only the first 4 characters of a worklog comment, as a server with a short field would.
    const b = createJiraEmulator({ data: siteData('B', 2000), now: clock.now });
    b.app.addHook('preHandler', async (req) => {
      const body = req.body as { comment?: unknown } | undefined;
      if (req.method === 'POST' && /\/worklog$/.test(req.url.split('?')[0]!) && body?.comment) {
        body.comment = textToAdf(adfToText(body.comment as never).slice(0, 4));
      }
    });
    jiraB = Object.assign(b, { base: await b.listen() });
    tempo = await startTempo(jiraA);
    ws = await workspace(replicationYaml({ tempo: tempo.base, jiraA: jiraA.base, jiraB: jiraB.base }), clock);
    assert.equal(allOk(await ws.runAll(DIRECTORY)), null);
  });
  after(async () => {
    await ws.close();
    await tempo.close();
    await jiraA.close();
    await jiraB.close();
  });

  it('a create stored differently is named as a write loss, with no read-back request', async () => {
    const ada = (await ws.one('person', (f) => f.email === 'ada@example.com')).id;
    const task = (await ws.one('task', (f) => f.key === 'A-1')).id;
    await ws.write('timeEntry', {
      date: '2026-03-09',
      start: '2026-03-09T09:00:00Z',
      durationSeconds: 1800,
      timeZone: 'Europe/Berlin',
      description: 'Quarterly planning',
      personId: ada,
      projectId: null,
      activityId: null,
      taskId: task,
      billable: null,
      tags: [],
    });
    const lists = () => jiraB.counts.get('POST /rest/api/3/worklog/list') ?? 0;
    const listsBefore = lists();
    const r = await ws.run('b-worklogs');
    assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
    assert.equal(r.run.counts['push-create'], 1);
    assert.equal(r.run.counts['writeLosses'], 1, JSON.stringify(r.run.counts));
    assert.equal(r.run.counts['readBack'] ?? 0, 0, 'checked against the answer, not read back');
    assert.equal(lists() - listsBefore, 0);
    const loss = r.run.warnings.find((w) => w.code === 'WRITE_LOSS');
    assert.ok(loss && /description sent .*Quarterly planning.*stored .*Quar/.test(loss.message), loss?.message);
  });
});

describe('a crash while four creates are under way', () => {
  let clock: Clock, jiraA: Jira, jiraB: Jira, tempo: Tempo, ws: Workspace;
  before(async () => {
    clock = movableClock();
    jiraA = await startJira(siteData('A', 1000), clock);
    jiraB = await startJira(siteData('B', 2000), clock);
    tempo = await startTempo(jiraA);
    ws = await workspace(replicationYaml({ tempo: tempo.base, jiraA: jiraA.base, jiraB: jiraB.base }), clock);
    assert.equal(allOk(await ws.runAll(DIRECTORY)), null);
    const ada = (await ws.one('person', (f) => f.email === 'ada@example.com')).id;
    const task = (await ws.one('task', (f) => f.key === 'A-1')).id;
    for (let h = 6; h < 14; h++) {
      await ws.write('timeEntry', {
        date: '2026-03-09',
        start: `2026-03-09T${String(h).padStart(2, '0')}:00:00Z`,
        durationSeconds: 1800,
        timeZone: 'Europe/Berlin',
        description: `Session ${h}`,
        personId: ada,
        projectId: null,
        activityId: null,
        taskId: task,
        billable: null,
        tags: [],
      });
    }
  });
  after(async () => {
    await ws.close();
    await tempo.close();
    await jiraA.close();
    await jiraB.close();
  });

  it('the next run finds every create that landed by its key, makes the rest, and no worklog twice', async () => {
    class Crash extends Error {}
    let writes = 0;
    const crash = (point: string) => {
      if (point === 'after-external-write' && ++writes === 1) throw new Crash(point);
    };
    await assert.rejects(ws.run('b-worklogs', {}, { fault: crash }), Crash);
    const landed = jiraB.data().worklogs.length;
    assert.ok(landed >= 1 && landed < 8, `${landed} creates landed before the crash stopped the run`);
    clock.advance(120_000);
    const next = await ws.run('b-worklogs');
    assert.equal(next.run.status, 'ok', JSON.stringify(next.run.errors));
    assert.equal(next.run.counts['push-create'], 8 - landed, 'only what had not landed is created');
    const sessions = jiraB.data().worklogs.map((w) => adfToText(w.comment).split('\n')[0]);
    assert.deepEqual([...sessions].sort(), Array.from({ length: 8 }, (_, i) => `Session ${i + 6}`).sort(), 'each entry once');
    clock.advance(120_000);
    const third = await ws.run('b-worklogs');
    assert.equal(third.run.counts['push-create'] ?? 0, 0);
    assert.equal(jiraB.data().worklogs.length, 8);
  });
});
