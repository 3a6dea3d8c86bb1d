/**
 * What goes wrong between the hub and the two sites: a process that dies right after a
 * worklog was created remotely (before the hub recorded it), and Tempo's 429s at about
 * 5 requests a second. Neither may leave a duplicate, and repeated runs must converge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isTimebridgeError } from '../../../src/core/errors.js';
import type { WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { movableClock, siteData, startJira, startTempo, tempoConnector, type Clock } from '../jira/jira-fixture.js';
import { DIRECTORY, allOk, replicationYaml, workspace, type Workspace } from '../jira/jira-workspace.js';

class Crash extends Error {}

async function sites(clock: Clock, rateLimit: { perSecond: number; burst: number } | null = null) {
  const jiraA = await startJira(siteData('A', 1000), clock);
  const jiraB = await startJira(siteData('B', 2000), clock);
  const tempo = await startTempo(jiraA, { rateLimit });
  return {
    jiraA,
    jiraB,
    tempo,
    close: async () => {
      await tempo.close();
      await jiraA.close();
      await jiraB.close();
    },
  };
}

/** A hub time entry by Ada on A-1 (B-1 through the key map). */
async function adaEntry(ws: Workspace, description: string, hour: number): Promise<string> {
  const ada = (await ws.one('person', (f) => f.email === 'ada@example.com')).id;
  const a1 = (await ws.one('task', (f) => f.key === 'A-1')).id;
  const start = new Date(Date.UTC(2026, 2, 9, hour)).toISOString().slice(0, 19) + 'Z';
  return ws.write('timeEntry', {
    date: start.slice(0, 10),
    start,
    durationSeconds: 1800,
    timeZone: 'Europe/Berlin',
    description,
    personId: ada,
    projectId: null,
    activityId: null,
    taskId: a1,
    billable: null,
    tags: [],
  });
}

describe('a crash between the remote create and the bookkeeping', () => {
  let clock: Clock, s: Awaited<ReturnType<typeof sites>>, ws: Workspace;
  before(async () => {
    clock = movableClock();
    s = await sites(clock);
    ws = await workspace(replicationYaml({ tempo: s.tempo.base, jiraA: s.jiraA.base, jiraB: s.jiraB.base }), clock);
    assert.equal(allOk(await ws.runAll(DIRECTORY)), null);
    await adaEntry(ws, 'Crash test', 9);
  });
  after(async () => {
    await ws.close();
    await s.close();
  });

  for (const [link, count] of [
    ['b-worklogs', () => s.jiraB.data().worklogs.length],
    ['a-worklogs', () => s.tempo.data().worklogs.length],
  ] as const) {
    it(`${link}: the next run finds the worklog by its key and does not create a second one`, async () => {
      const crash = (point: string) => {
        if (point === 'after-external-write') throw new Crash(point);
      };
      await assert.rejects(ws.run(link, {}, { fault: crash }), Crash);
      assert.equal(count(), 1, 'the create reached the site');
      clock.advance(120_000);
      const next = await ws.run(link);
      assert.equal(next.run.status, 'ok', JSON.stringify(next.run.errors));
      assert.equal(count(), 1, 'no duplicate');
      clock.advance(120_000);
      const third = await ws.run(link);
      assert.equal(third.run.counts['push-create'] ?? 0, 0, 'the interrupted create is linked, not planned again');
      assert.equal(count(), 1);
    });
  }

  it('the recovered worklogs are linked: a hub edit updates them in place', async () => {
    const id = (await ws.one('timeEntry', (f) => f.description === 'Crash test')).id;
    const rec = (await ws.app.store.getRecords([id]))[0]!;
    await ws.app.store.commit({
      records: [
        {
          ...rec,
          fields: { ...rec.fields, durationSeconds: 2700 },
          origin: 'user:test',
          runId: null,
          expectedVersion: rec.version,
          updatedAt: new Date(clock.now()).toISOString(),
        },
      ],
    });
    clock.advance(120_000);
    assert.equal(allOk(await ws.runAll(['a-worklogs', 'b-worklogs'])), null);
    assert.deepEqual(
      s.tempo.data().worklogs.map((w) => w.timeSpentSeconds),
      [2700],
    );
    assert.deepEqual(
      s.jiraB.data().worklogs.map((w) => w.timeSpentSeconds),
      [2700],
    );
  });
});

describe("Tempo's rate limit (5 requests a second, then 429)", () => {
  let clock: Clock, s: Awaited<ReturnType<typeof sites>>, ws: Workspace;
  before(async () => {
    clock = movableClock();
    s = await sites(clock, { perSecond: 5, burst: 5 });
    // The emulator's limit runs on the wall clock, so this workspace paces and retries on it too, as the CLI does.
    ws = await workspace(replicationYaml({ tempo: s.tempo.base, jiraA: s.jiraA.base, jiraB: s.jiraB.base }), clock, {});
    assert.equal(allOk(await ws.runAll(DIRECTORY)), null);
  });
  after(async () => {
    await ws.close();
    await s.close();
  });

  it('without pacing or retries, a 429 is a rate_limited error, and its Retry-After pauses the account', async () => {
    const c = tempoConnector<WorklogItem>(s.tempo.base, s.jiraA.base, 'worklog', 'A', { requestsPerSecond: 0 }, { retry: false });
    let err: unknown = null;
    for (let i = 0; i < 10 && !err; i++)
      await c.get(['999']).then((r) => {
        if ('error' in r[0]! && r[0].error.kind === 'rate_limited') err = r[0].error;
      });
    assert.ok(err, 'a burst of 10 requests met a 429');
    // The 429 paused the account's bucket: the next request waits out Retry-After instead of meeting another 429.
    const listed = await c.list({ cursor: null, window: null });
    assert.equal(listed.complete, true);
  });

  it("a burst of 12 creates is paced under Tempo's limit, a stray 429 retried after its Retry-After: one run, every worklog once (without pacing it took 11 runs)", async () => {
    for (let i = 0; i < 12; i++) await adaEntry(ws, `burst ${i}`, 6 + i);
    const statuses: string[] = [];
    let sawLimit = false;
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise((r) => setTimeout(r, 1100));
      try {
        const r = await ws.run('a-worklogs');
        statuses.push(r.run.status);
        sawLimit ||= r.run.errors.some((e) => e.error.kind === 'rate_limited');
        if (r.run.status === 'ok') break;
      } catch (err) {
        assert.ok(isTimebridgeError(err) && err.kind === 'rate_limited', `only 429s may stop a run: ${String(err)}`);
        statuses.push('failed (429 while listing)');
        sawLimit = true;
      }
    }
    assert.equal(statuses.at(-1), 'ok', statuses.join(', '));
    // The pacer keeps under the limit; a rare 429 from timing is retried within the run.
    assert.deepEqual(statuses, ['ok'], `429 reached the run: ${sawLimit}`);
    const descriptions = s.tempo.data().worklogs.map((w) => w.description.split('\n')[0]);
    assert.equal(descriptions.length, 12);
    assert.equal(new Set(descriptions).size, 12, 'no duplicate');
  });
});
