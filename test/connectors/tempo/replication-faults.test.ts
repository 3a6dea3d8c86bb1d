/**
 * Replication between Tempo (site A) and Jira (site B) while both Jira sites answer about
 * 20 % of their requests with 500 or 429: the reads, the idempotent writes (PUT, DELETE,
 * the read-only POST /worklog/list) and the creates, which repeat their marker lookup
 * before posting again. One `timebridge sync` (syncLinks over every link, as the CLI runs
 * it) must bring everything across, with no duplicate. Waits run on virtual time.
 * Also: a Jira create whose reply was lost is found by its repeat, not made twice.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adfToText, textToAdf } from '../../../src/connectors/kit/atlassian/adf.js';
import type { WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { bucketRegistry } from '../../../src/connectors/kit/rate-limiter.js';
import type { RetryEvent } from '../../../src/connectors/kit/retry.js';
import { seededRandom } from '../../../src/core/random.js';
import { syncLinks } from '../../../src/runtime/sync-links.js';
import { virtualTime } from '../../support/virtual-time.js';
import {
  basicAs,
  bearer,
  call,
  jiraConnector,
  movableClock,
  siteData,
  startJira,
  startTempo,
  type Clock,
  type Jira,
  type Tempo,
} from '../jira/jira-fixture.js';
import { DIRECTORY, allOk, replicationYaml, workspace, type Workspace } from '../jira/jira-workspace.js';

describe('replication with 20 % of Jira requests failing (500 or 429)', () => {
  let clock: Clock, jiraA: Jira, jiraB: Jira, tempo: Tempo, ws: Workspace;
  const vt = virtualTime({ random: seededRandom(7) });
  const retries: RetryEvent[] = [];

  before(async () => {
    clock = movableClock();
    jiraA = await startJira(siteData('A', 1000), clock);
    jiraB = await startJira(siteData('B', 2000), clock);
    tempo = await startTempo(jiraA);
    ws = await workspace(replicationYaml({ tempo: tempo.base, jiraA: jiraA.base, jiraB: jiraB.base }), clock, {
      clock: vt,
      buckets: bucketRegistry(vt),
      events: () => ({ onRetry: (e) => retries.push(e) }),
    });
    assert.equal(allOk(await ws.runAll(DIRECTORY)), null);
  });
  after(async () => {
    await ws.close();
    await tempo.close();
    await jiraA.close();
    await jiraB.close();
  });

  const sync = async () => {
    clock.advance(120_000);
    return syncLinks([...ws.app.links.values()], { store: ws.app.store, clock: () => new Date(clock.now()) }, { trigger: 'cli' });
  };
  const tempoDescriptions = () =>
    tempo
      .data()
      .worklogs.map((w) => w.description.split('\n')[0])
      .sort();
  const jiraDescriptions = () =>
    jiraB
      .data()
      .worklogs.map((w) => adfToText(w.comment).split('\n')[0])
      .sort();

  it('one sync copies every worklog both ways (on A-1 = B-1 by the key map), each exactly once', async () => {
    for (let i = 0; i < 10; i++) {
      await call(`${tempo.base}/4/worklogs`, {
        method: 'POST',
        auth: bearer,
        expect: 200,
        body: {
          issueId: 1001,
          authorAccountId: 'a:ada',
          startDate: '2026-03-09',
          startTime: `${String(8 + i).padStart(2, '0')}:00:00`,
          timeSpentSeconds: 1800,
          description: `A-log ${i}`,
        },
      });
      await call(`${jiraB.base}/rest/api/3/issue/B-1/worklog`, {
        method: 'POST',
        auth: basicAs('ben@example.com'),
        expect: 201,
        body: { started: `2026-03-10T${String(8 + i).padStart(2, '0')}:00:00.000+0000`, timeSpentSeconds: 900, comment: textToAdf(`B-log ${i}`) },
      });
    }
    for (const site of [jiraA, jiraB]) {
      site.inject({ path: '^/rest/api/3/', status: 500, rate: 0.1 });
      site.inject({ path: '^/rest/api/3/', status: 429, retryAfter: 1, rate: 0.1 });
    }
    const results = await sync();
    assert.equal(allOk(results), null);
    const all = [...Array(10).keys()];
    assert.deepEqual(tempoDescriptions(), [...all.map((i) => `A-log ${i}`), ...all.map((i) => `B-log ${i}`)].sort());
    assert.deepEqual(jiraDescriptions(), [...all.map((i) => `A-log ${i}`), ...all.map((i) => `B-log ${i}`)].sort());
    const fired = [jiraA, jiraB].flatMap((s) => s.faults.list()).reduce((n, f) => n + f.fired, 0);
    // Several faults of both kinds (checked below); how many depends on how many requests the sync makes.
    assert.ok(fired >= 3, `the faults fired ${fired} times`);
    assert.equal(retries.length, fired, 'every failed Jira request was retried, none given up');
    assert.ok(retries.some((r) => r.error.kind === 'rate_limited') && retries.some((r) => r.error.kind === 'transient'));
    assert.ok(
      retries.filter((r) => r.error.kind === 'rate_limited').every((r) => r.delayMs >= 1000),
      'Retry-After: 1 was honoured',
    );
  });

  it('edits and a deletion travel under the same faults (PUT and DELETE retried), and a second sync has nothing to do', async () => {
    const a0 = tempo.data().worklogs.find((w) => w.description.startsWith('A-log 0'))!;
    await call(`${tempo.base}/4/worklogs/${a0.tempoWorklogId}`, {
      method: 'PUT',
      auth: bearer,
      expect: 200,
      body: { authorAccountId: 'a:ada', startDate: a0.startDate, startTime: a0.startTime, timeSpentSeconds: 3600, description: 'A-log 0 (longer)' },
    });
    const a1 = tempo.data().worklogs.find((w) => w.description.startsWith('A-log 1'))!;
    await call(`${tempo.base}/4/worklogs/${a1.tempoWorklogId}`, { method: 'DELETE', auth: bearer, expect: 204 });
    const before = retries.length;
    assert.equal(allOk(await sync()), null);
    const onB = jiraB.data().worklogs;
    assert.equal(onB.find((w) => adfToText(w.comment).startsWith('A-log 0'))!.timeSpentSeconds, 3600);
    assert.match(adfToText(onB.find((w) => adfToText(w.comment).startsWith('A-log 0'))!.comment), /^A-log 0 \(longer\)/);
    assert.equal(onB.filter((w) => adfToText(w.comment).startsWith('A-log 1')).length, 0);
    assert.equal(new Set(jiraDescriptions()).size, jiraDescriptions().length, 'no duplicate');
    assert.ok(retries.length > before, 'this sync met faults too');
    const quiet = await sync();
    assert.equal(allOk(quiet), null);
    assert.equal(
      quiet.reduce((n, r) => n + r.hubWrites, 0),
      0,
    );
    assert.equal(jiraB.data().worklogs.length, 19);
    assert.equal(tempo.data().worklogs.length, 19);
  });
});

describe('a Jira worklog create whose reply was lost', () => {
  let clock: Clock, jira: Jira;
  before(async () => {
    clock = movableClock();
    jira = await startJira(siteData('B', 2000), clock);
  });
  after(async () => {
    await jira.close();
  });

  it('is repeated as a whole: the marker lookup finds what the first POST made, no second worklog', async () => {
    let lost = 0;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST' && /\/issue\/[^/]+\/worklog$/.test(new URL(String(input)).pathname) && lost++ === 0) {
        return new Response('upstream timed out', { status: 504 });
      }
      return res;
    };
    const vt = virtualTime();
    const c = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B', { fetch: lossy, http: { clock: vt, buckets: bucketRegistry(vt) } });
    const issueId = jira.data().issues.find((i) => i.key === 'B-1')!.id;
    const item: WorklogItem = {
      issueId,
      authorAccountId: null,
      onBehalfOf: null,
      date: '2026-03-09',
      start: '2026-03-09T08:00:00Z',
      timeZone: 'UTC',
      seconds: 1800,
      description: 'lost reply',
      billableSeconds: null,
      visibility: null,
      estimate: 'auto',
    };
    const ref = await c.create(item, { hubId: 'hub-lost', key: 'hub-lost' });
    const made = jira.data().worklogs.filter((w) => adfToText(w.comment).startsWith('lost reply'));
    assert.equal(made.length, 1, 'one worklog');
    assert.equal(ref.id, String(made[0]!.id));
    assert.deepEqual([lost, vt.slept.length], [1, 1], "the POST was sent once: the repeat's lookup found what it made");
  });
});
