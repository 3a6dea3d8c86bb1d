/**
 * Locked periods in the sync engine, on a two-way Jira worklog link (the Jira emulator,
 * a workspace built from a timebridge.yaml): once Ben's March is locked, his worklog
 * edited in Jira is restored from the hub (the hub record untouched), a new worklog of
 * his in March is refused with PERIOD_LOCKED and not created in the hub (nor deleted in
 * Jira), and an open month syncs as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { textToAdf } from '../../src/connectors/kit/atlassian/adf.js';
import { API_TOKEN, basicAs, call, movableClock, siteData, startJira, type Clock, type Jira } from '../connectors/jira/jira-fixture.js';
import { allOk, workspace, type Workspace } from '../connectors/jira/jira-workspace.js';

const yaml = (jira: string) => `store:
  path: hub.sqlite
connections:
  b:
    type: jira
    url: ${jira}
    email: sync@b.example
    token: ${API_TOKEN}
links:
  b-users: { connection: b, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  b-issues: { connection: b, scope: work, externalKind: issue, collection: B, direction: pull, conflict: hub-wins }
  b-worklogs: { connection: b, scope: work, externalKind: worklog, collection: B, direction: both }
`;

describe('locked periods on a two-way Jira worklog link', () => {
  let clock: Clock, jira: Jira, ws: Workspace, ben: string, worklog: string;

  before(async () => {
    clock = movableClock();
    jira = await startJira(siteData('B', 2000), clock);
    ws = await workspace(yaml(jira.base), clock);
    assert.equal(allOk(await ws.runAll(['b-users', 'b-issues'])), null);
    ben = (await ws.one('person', (f) => f.email === 'ben@example.com')).id;
    worklog = (await logAsBen('2026-03-09T14:00:00.000+0000', 5400, 'Review')).id;
    assert.equal(allOk([await sync()]), null);
    await ws.write('timesheet', { personId: ben, month: '2026-03', state: 'exported' });
  });
  after(async () => {
    await ws.close();
    await jira.close();
  });

  /** The worklog feeds hide their last minute: time moves on before the run that should see a change. */
  const sync = () => {
    clock.advance(120_000);
    return ws.run('b-worklogs');
  };
  function logAsBen(started: string, seconds: number, text: string) {
    return call(`${jira.base}/rest/api/3/issue/B-2/worklog`, {
      method: 'POST',
      auth: basicAs('ben@example.com'),
      expect: 201,
      body: { started, timeSpentSeconds: seconds, comment: textToAdf(text) },
    }).then((r) => r.json as { id: string });
  }
  const inJira = (id: string) => jira.data().worklogs.find((w) => w.id === id);

  it('a worklog edited in Jira in a locked month is restored from the hub; the hub record keeps its version', async () => {
    const before = await ws.one('timeEntry', (f) => f.description === 'Review');
    assert.equal(before.fields.personId, ben);
    await call(`${jira.base}/rest/api/3/issue/B-2/worklog/${worklog}`, {
      method: 'PUT',
      auth: basicAs('ben@example.com'),
      expect: 200,
      body: { timeSpentSeconds: 600, comment: textToAdf('Review (cut short)') },
    });
    const r = await sync();
    assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
    const restore = r.plan.actions.find((a) => a.extId === worklog)!;
    assert.equal(restore.op, 'push-update');
    assert.match(restore.reason, /^changed externally; restored from the hub: the entry's period is locked \(2026-03 of person .* is locked/);
    assert.equal(inJira(worklog)!.timeSpentSeconds, 5400, "Jira shows the hub's duration again");
    const afterRun = await ws.one('timeEntry', (f) => f.personId === ben && f.date === '2026-03-09');
    assert.equal(afterRun.version, before.version, 'the hub record was not written');
    assert.equal(afterRun.fields.description, 'Review');
    const quiet = await sync();
    assert.equal(quiet.run.status, 'ok');
    assert.deepEqual(
      quiet.plan.actions.filter((a) => a.op !== 'record'),
      [],
      'the restore settles: nothing more to do',
    );
  });

  it('a new worklog in the locked month is refused with PERIOD_LOCKED: not taken into the hub, not deleted in Jira', async () => {
    const late = (await logAsBen('2026-03-05T09:00:00.000+0000', 1800, 'Late booking')).id;
    const r = await sync();
    assert.equal(r.run.status, 'partial');
    assert.equal(r.run.errors.length, 1);
    assert.equal(r.run.errors[0]!.error.code, 'PERIOD_LOCKED');
    assert.match(
      r.run.errors[0]!.error.message,
      /Late booking \(b id \d+\) was new in b, but 2026-03 of person .* is locked .*: it is not taken into the hub; delete it in b or move it to an open month, or ask an admin to reopen the month$/,
    );
    assert.equal((await ws.records('timeEntry')).filter((e) => e.fields.description === 'Late booking').length, 0);
    assert.ok(inJira(late), 'still in Jira');
    const again = await sync();
    assert.equal(again.run.status, 'ok', 'reported once');
    // A full reconcile reads it again: it is still parked at the version it was refused at, so it is skipped, not reported.
    const full = await ws.run('b-worklogs', { full: true });
    assert.equal(full.run.status, 'ok', JSON.stringify(full.run.errors));
    assert.equal(full.run.counts.parked, 1);
    assert.equal((await ws.records('timeEntry')).filter((e) => e.fields.description === 'Late booking').length, 0);
  });

  it('an open month syncs as before', async () => {
    await logAsBen('2026-02-26T09:00:00.000+0000', 3600, 'February work');
    const r = await sync();
    assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
    const feb = await ws.one('timeEntry', (f) => f.description === 'February work');
    assert.equal(feb.fields.personId, ben);
    assert.equal(feb.fields.durationSeconds, 3600);
  });
});
