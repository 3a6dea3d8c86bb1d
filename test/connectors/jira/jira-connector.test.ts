/**
 * The connectors on the emulators, beyond the shared contract: Jira's delta listing from
 * the updated/deleted feeds, Tempo's window listing (an item moved out of the window is
 * not taken as deleted), the remaining-estimate modes, per-issue serialisation, and the
 * configuration errors a user meets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jiraApiOf, jiraSiteSchema, createJiraConnector } from '../../../src/connectors/jira/index.js';
import { IssueQueue } from '../../../src/connectors/kit/atlassian/issue-queue.js';
import type { EstimateMode, WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import type { Connector, Listing } from '../../../src/connectors/kit/connector.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import {
  basic,
  bearer,
  call,
  jiraConnector,
  movableClock,
  siteData,
  startJira,
  startTempo,
  tempoConnector,
  type Clock,
  type Jira,
  type Tempo,
} from './jira-fixture.js';

const item = (issueId: string, hour: number, estimate: EstimateMode = 'auto', authorAccountId = 'b:sync'): WorklogItem => ({
  issueId,
  authorAccountId,
  onBehalfOf: null,
  date: '2026-03-09',
  start: `2026-03-09T${String(hour).padStart(2, '0')}:00:00Z`,
  timeZone: null,
  seconds: 3600,
  description: `at ${hour}`,
  billableSeconds: null,
  visibility: null,
  estimate,
});
const key = (n: number) => ({ hubId: `hub-${n}`, key: `hub-${n}` });

describe('Jira worklog connector', () => {
  let clock: Clock, jira: Jira, c: Connector<WorklogItem>;
  const remaining = (id: string) => jira.data().issues.find((i) => i.id === id)!.remainingEstimateSeconds;
  before(async () => {
    clock = movableClock();
    jira = await startJira(siteData('B', 2000), clock);
    c = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B');
  });
  after(() => jira.close());

  it('estimate modes: auto reduces, retain leaves, manual reduces on create only', async () => {
    const a = await c.create(item('2001', 6, 'auto'), key(1));
    assert.equal(remaining('2001'), 32_400);
    await c.create(item('2001', 7, 'retain'), key(2));
    assert.equal(remaining('2001'), 32_400);
    const m = await c.create(item('2001', 8, 'manual'), key(3));
    assert.equal(remaining('2001'), 28_800);
    await c.update(m.id, { ...item('2001', 8, 'manual'), seconds: 7200 }, m.etag);
    assert.equal(remaining('2001'), 28_800, 'manual leaves the estimate on update');
    await c.update(a.id, { ...item('2001', 6, 'auto'), seconds: 5400 }, a.etag);
    assert.equal(remaining('2001'), 27_000, 'auto: by the difference');
    assert.equal(jira.data().issues.find((i) => i.id === '2001')!.timeSpentSeconds, 3600 + 5400 + 3600 + 7200 - 3600 + 3600 - 3600);
  });

  it('an update that changes nothing is not sent', async () => {
    const r = await c.create(item('2002', 9), key(4));
    const again = await c.update(r.id, item('2002', 9), r.etag);
    assert.equal(again.etag, r.etag);
  });

  it('refuses to move a worklog to another issue, with what to do instead', async () => {
    const r = await c.create(item('2002', 10), key(5));
    await assert.rejects(
      c.update(r.id, item('2003', 10), r.etag),
      (e: unknown) => isTimebridgeError(e) && e.kind === 'invalid_input' && /Delete the entry and log it again/.test(e.hint ?? ''),
    );
  });

  it('lists in full first (with the window), then deltas from the feeds: changes in refs, deletions in removed', async () => {
    const window = { start: '2026-03-09T06:30:00Z', end: '2026-03-10T00:00:00Z' };
    const full = await c.list({ cursor: null, window });
    assert.equal(full.mode, 'full');
    assert.equal(full.refs.length, 5);
    assert.equal(full.outsideWindow!.length, 1, 'the 06:00 worklog lies before the window');
    clock.advance(120_000);
    const made = await call(`${jira.base}/rest/api/3/issue/B-3/worklog`, {
      method: 'POST',
      auth: basic('B'),
      expect: 201,
      body: { started: '2026-03-09T12:00:00.000+0000', timeSpentSeconds: 60 },
    });
    const gone = full.refs[0]!;
    await c.delete(gone.id, gone.etag);
    const early = await c.list({ cursor: full.cursor, window });
    assert.ok(!early.refs.some((r) => r.id === made.json.id), "not within the feed's blind minute");
    clock.advance(61_000);
    const delta: Listing = await c.list({ cursor: full.cursor, window });
    assert.equal(delta.mode, 'delta');
    assert.ok(delta.refs.some((r) => r.id === made.json.id));
    assert.deepEqual(delta.removed, [gone.id]);
    const quiet = await c.list({ cursor: delta.cursor, window });
    assert.deepEqual([quiet.refs, quiet.removed], [[], []], 'the cursor moved past what it reported');
  });

  it('writes to one issue go one at a time; different issues overlap', async () => {
    const q = new IssueQueue();
    let running = 0,
      most = 0;
    const write = (ms: number) => async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
    };
    await Promise.all([q.run('1', write(20)), q.run('1', write(5)), q.run('1', write(5))]);
    assert.equal(most, 1);
    most = 0;
    await Promise.all([q.run('1', write(20)), q.run('2', write(20))]);
    assert.equal(most, 2);
    const order: number[] = [];
    await Promise.allSettled([
      q.run('1', async () => {
        throw new Error('x');
      }),
      q.run('1', async () => {
        order.push(2);
      }),
    ]);
    assert.deepEqual(order, [2], 'a failed write does not stop the next');
  });
});

describe('Tempo worklog connector', () => {
  let clock: Clock, jira: Jira, tempo: Tempo, c: Connector<WorklogItem>;
  before(async () => {
    clock = movableClock();
    jira = await startJira(siteData('A', 1000), clock);
    tempo = await startTempo(jira);
    c = tempoConnector<WorklogItem>(tempo.base, jira.base, 'worklog', 'A');
  });
  after(async () => {
    await tempo.close();
    await jira.close();
  });

  it('retain sends the current remaining estimate; auto lets Tempo reduce it', async () => {
    await c.create(item('1001', 6, 'retain', 'a:ada'), key(1));
    assert.equal(jira.data().issues.find((i) => i.id === '1001')!.remainingEstimateSeconds, 36_000);
    await c.create(item('1001', 7, 'auto', 'a:ada'), key(2));
    assert.equal(jira.data().issues.find((i) => i.id === '1001')!.remainingEstimateSeconds, 32_400);
  });

  it('a window listing keeps an item that moved out of the window present, and sees a deletion', async () => {
    const window = { start: '2026-03-09T00:00:00Z', end: '2026-03-10T00:00:00Z' };
    const first = await c.list({ cursor: null, window });
    assert.equal(first.refs.length, 2);
    const moved = tempo.data().worklogs[0]!;
    clock.advance(60_000);
    await call(`${tempo.base}/4/worklogs/${moved.tempoWorklogId}`, {
      method: 'PUT',
      auth: bearer,
      expect: 200,
      body: { authorAccountId: 'a:ada', startDate: '2026-01-05', startTime: '09:00:00', timeSpentSeconds: 3600 },
    });
    const second = await c.list({ cursor: first.cursor, window });
    assert.ok(
      second.refs.some((r) => r.id === String(moved.tempoWorklogId)),
      'found through updatedFrom',
    );
    assert.deepEqual(second.outsideWindow, [String(moved.tempoWorklogId)]);
    const other = tempo.data().worklogs[1]!;
    await call(`${tempo.base}/4/worklogs/${other.tempoWorklogId}`, { method: 'DELETE', auth: bearer, expect: 204 });
    const third = await c.list({ cursor: second.cursor, window });
    assert.ok(!third.refs.some((r) => r.id === String(other.tempoWorklogId)), 'a deleted worklog is simply absent from the complete listing');
    assert.equal(third.complete, true);
  });
});

describe('configuration errors', () => {
  it('names a missing token variable, and a collection that is not a project key', () => {
    const config = jiraSiteSchema.parse({ url: 'http://127.0.0.1:9', email: 'x@y.z', tokenEnv: 'TB_TEST_NO_SUCH_TOKEN' });
    assert.throws(() => jiraApiOf(config), /The Jira API token is not set/, 'the connector never reads the environment itself');
    const api = jiraApiOf(jiraSiteSchema.parse({ url: 'http://127.0.0.1:9', email: 'x@y.z', token: 't' }));
    assert.throws(() => createJiraConnector(api, { externalKind: 'worklog', collection: 'my project' }), /is not a project key/);
    assert.throws(() => createJiraConnector(api, { externalKind: 'user', collection: 'B' }), /takes no collection/);
    assert.equal(jiraSiteSchema.safeParse({ url: 'http://x', email: 'a@b.c', token: 't', tokenEnv: 'T' }).success, false, 'one of token and tokenEnv');
  });
});
