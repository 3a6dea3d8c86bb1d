/**
 * Worklog replication between two sites through the hub, built from a timebridge.yaml:
 * site A keeps worklogs in Tempo, site B has native Jira worklogs only. Issues match by
 * a key map and a custom field, persons by email. Creates, edits and deletions travel
 * both ways; a person missing on A is logged as the fallback author (and stays who they
 * are in the hub); a worklog whose issue is not mapped yet waits and arrives exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adfToText, textToAdf } from '../../../src/connectors/kit/atlassian/adf.js';
import { addIssue } from '../../../src/emulators/jira/jira-data.js';
import type { HubRecord } from '../../../src/core/model.js';
import { basicAs, bearer, call, movableClock, siteData, startJira, startTempo, type Clock, type Jira, type Tempo } from '../jira/jira-fixture.js';
import { DIRECTORY, WORKLOGS, allOk, replicationYaml, workspace, type Workspace } from '../jira/jira-workspace.js';

describe('Tempo (site A) ↔ hub ↔ Jira native worklogs (site B)', () => {
  let clock: Clock, jiraA: Jira, jiraB: Jira, tempo: Tempo, ws: Workspace;
  let ada: string, ben: string, dan: string;

  before(async () => {
    clock = movableClock();
    jiraA = await startJira(siteData('A', 1000), clock);
    const b = siteData('B', 2000);
    b.issues.find((i) => i.key === 'B-2')!.custom.customfield_10042 = 'A-2';
    jiraB = await startJira(b, clock);
    tempo = await startTempo(jiraA);
    ws = await workspace(replicationYaml({ tempo: tempo.base, jiraA: jiraA.base, jiraB: jiraB.base }), clock);
    const results = await ws.runAll(DIRECTORY);
    assert.equal(allOk(results), null);
    const person = async (email: string) => (await ws.one('person', (f) => f.email === email)).id;
    [ada, ben, dan] = [await person('ada@example.com'), await person('ben@example.com'), await person('dan@example.com')];
  });
  after(async () => {
    await ws.close();
    await tempo.close();
    await jiraA.close();
    await jiraB.close();
  });

  /** The worklog feeds hide their last minute: time moves on between a change and the sync that should see it. */
  const sync = async () => {
    clock.advance(120_000);
    const results = await ws.runAll(WORKLOGS);
    assert.equal(allOk(results), null);
    return results;
  };
  const entry = (description: RegExp) => ws.one('timeEntry', (f) => description.test(String(f.description)));
  const tempoLogs = () => tempo.data().worklogs;
  const jiraLogs = () => jiraB.data().worklogs;
  const task = async (key: string) => (await ws.one('task', (f) => f.key === key)).id;

  it("puts both sites' users and issues on one hub record each (email; key map; custom field)", async () => {
    const persons = (await ws.records('person')).map((p) => p.fields.email).sort();
    assert.deepEqual(persons, ['ada@example.com', 'ben@example.com', 'dan@example.com', 'sync@a.example', 'sync@b.example'], 'app accounts are left out');
    const tasks = (await ws.records('task')).map((t) => t.fields.key).sort();
    assert.deepEqual(tasks, ['A-1', 'A-2', 'A-3', 'B-3'], 'B-1 is A-1 by the key map, B-2 is A-2 by customfield_10042');
  });

  let adaLog: number, benLog: string;
  it("copies a Tempo worklog to B, logged by B's API user on Ada's behalf, at the same instant", async () => {
    adaLog = (
      await call(`${tempo.base}/4/worklogs`, {
        method: 'POST',
        auth: bearer,
        expect: 200,
        body: { issueId: 1001, authorAccountId: 'a:ada', startDate: '2026-03-09', startTime: '09:00:00', timeSpentSeconds: 7200, description: 'Kick-off' },
      })
    ).json.tempoWorklogId;
    await sync();
    const hub = await entry(/^Kick-off$/);
    assert.deepEqual(
      [hub.fields.start, hub.fields.date, hub.fields.timeZone, hub.fields.durationSeconds, hub.fields.personId, hub.fields.taskId],
      ['2026-03-09T08:00:00Z', '2026-03-09', 'Europe/Berlin', 7200, ada, await task('A-1')],
    );
    assert.equal(jiraLogs().length, 1);
    const copy = jiraLogs()[0]!;
    assert.equal(copy.issueId, '2001', 'on B-1, the issue the key map names');
    assert.equal(copy.started, Date.UTC(2026, 2, 9, 8));
    assert.equal(copy.timeSpentSeconds, 7200);
    assert.equal(copy.authorAccountId, 'b:sync', 'Jira Cloud logs native worklogs as the API user');
    assert.equal(adfToText(copy.comment), `Kick-off\n\n[timebridge for=${ada} name="Ada Lovelace <ada@example.com>"]`);
    assert.deepEqual((copy.properties.timebridge as { onBehalfOf: unknown }).onBehalfOf, { personId: ada, name: 'Ada Lovelace <ada@example.com>' });
    assert.equal(jiraB.data().issues.find((i) => i.id === '2001')!.timeSpentSeconds, 7200, "the issue's time spent moved");
  });

  it("copies Ben's own Jira worklog to Tempo as Ben, at his local time in New York", async () => {
    benLog = (
      await call(`${jiraB.base}/rest/api/3/issue/B-2/worklog`, {
        method: 'POST',
        auth: basicAs('ben@example.com'),
        expect: 201,
        body: { started: '2026-03-09T14:00:00.000+0000', timeSpentSeconds: 5400, comment: textToAdf('Review') },
      })
    ).json.id;
    await sync();
    const hub = await entry(/^Review$/);
    assert.equal(hub.fields.personId, ben);
    assert.equal(hub.fields.taskId, await task('A-2'));
    const copy = tempoLogs().find((w) => w.issueId === 1002)!;
    assert.deepEqual([copy.authorAccountId, copy.startDate, copy.startTime, copy.timeSpentSeconds], ['a:ben', '2026-03-09', '10:00:00', 5400]);
    assert.equal(copy.description, `Review\n\n[timebridge id=${hub.id}]`, 'the marker that makes the create retry-safe');
    assert.equal(tempoLogs().length, 2);
    assert.equal(jiraLogs().length, 2, 'nothing came back as a new worklog');
  });

  it('brings edits both ways: a Tempo PUT to B, a Jira PUT to Tempo', async () => {
    await call(`${tempo.base}/4/worklogs/${adaLog}`, {
      method: 'PUT',
      auth: bearer,
      expect: 200,
      body: { authorAccountId: 'a:ada', startDate: '2026-03-09', startTime: '09:00:00', timeSpentSeconds: 10_800, description: 'Kick-off and planning' },
    });
    await call(`${jiraB.base}/rest/api/3/issue/B-2/worklog/${benLog}`, {
      method: 'PUT',
      auth: basicAs('ben@example.com'),
      expect: 200,
      body: { timeSpentSeconds: 3600, comment: textToAdf('Review, round 2') },
    });
    await sync();
    const adaCopy = jiraLogs().find((w) => w.issueId === '2001')!;
    assert.equal(adaCopy.timeSpentSeconds, 10_800);
    assert.match(adfToText(adaCopy.comment), /^Kick-off and planning\n\n\[timebridge for=/);
    assert.equal(jiraB.data().issues.find((i) => i.id === '2001')!.timeSpentSeconds, 10_800);
    const benCopy = tempoLogs().find((w) => w.issueId === 1002)!;
    assert.equal(benCopy.timeSpentSeconds, 3600);
    assert.match(benCopy.description, /^Review, round 2\n\n\[timebridge id=/, 'the PUT kept the marker');
    assert.deepEqual([tempoLogs().length, jiraLogs().length], [2, 2]);
    const quiet = await sync();
    assert.equal(
      quiet.reduce((n, r) => n + r.hubWrites, 0),
      0,
      'a second sync finds nothing to do',
    );
  });

  it('logs Dan (no user on A) as the fallback author, marks it, and keeps Dan as the person', async () => {
    await call(`${jiraB.base}/rest/api/3/issue/B-1/worklog`, {
      method: 'POST',
      auth: basicAs('dan@example.com'),
      expect: 201,
      body: { started: '2026-03-10T07:00:00.000+0000', timeSpentSeconds: 1800, comment: textToAdf('Hotfix') },
    });
    await sync();
    const copy = tempoLogs().find((w) => w.description.startsWith('Hotfix'))!;
    assert.equal(copy.authorAccountId, 'a:sync', 'options.fallbackAuthor');
    assert.match(
      copy.description,
      new RegExp(`\\[timebridge id=\\S+ for=${dan} name="Dan Brown <dan@example\\.com>"\\]$`),
      'the worklog says whose it is, by name and e-mail',
    );
    // Someone corrects it in Tempo (the text they see includes the marker line).
    await call(`${tempo.base}/4/worklogs/${copy.tempoWorklogId}`, {
      method: 'PUT',
      auth: bearer,
      expect: 200,
      body: {
        authorAccountId: 'a:sync',
        startDate: copy.startDate,
        startTime: copy.startTime,
        timeSpentSeconds: 2400,
        description: copy.description.replace('Hotfix', 'Hotfix (checked)'),
      },
    });
    const results = await sync();
    const hub = await entry(/^Hotfix \(checked\)$/);
    assert.equal(hub.fields.personId, dan, "read back, it is still Dan's work, not the fallback user's");
    assert.deepEqual((hub.fields.extras as { tempo: unknown }).tempo, {
      authorFallback: { loggedAs: 'a:sync', for: dan, name: 'Dan Brown <dan@example.com>' },
    });
    const pulled = (results[0]!.run.plan as { actions: { op: string; label: string }[] }).actions.find((a) => a.op === 'pull-update');
    assert.match(pulled?.label ?? '', /Hotfix \(checked\) \(logged as a fallback author on tempo\)/, 'the plan shows it');
    const original = jiraLogs().find((w) => w.authorAccountId === 'b:dan')!;
    assert.equal(original.timeSpentSeconds, 2400);
    assert.equal(adfToText(original.comment), 'Hotfix (checked)', 'Dan\'s own worklog gets no "on behalf" mark');
  });

  it('deletes both ways: a Tempo deletion (seen by the window listing) and a Jira deletion (seen in the deleted feed)', async () => {
    await call(`${tempo.base}/4/worklogs/${adaLog}`, { method: 'DELETE', auth: bearer, expect: 204 });
    await call(`${jiraB.base}/rest/api/3/issue/B-2/worklog/${benLog}`, { method: 'DELETE', auth: basicAs('ben@example.com'), expect: 204 });
    const results = await sync();
    assert.equal(results[0]!.run.counts['pull-delete'], 1);
    assert.equal(results[1]!.run.counts['pull-delete'], 1);
    assert.equal(jiraLogs().filter((w) => w.issueId === '2001' && adfToText(w.comment).startsWith('Kick-off')).length, 0);
    assert.equal(tempoLogs().filter((w) => w.issueId === 1002).length, 0);
    assert.equal(jiraB.data().issues.find((i) => i.id === '2001')!.timeSpentSeconds, 2400, "only Dan's time is left on B-1");
    assert.equal((await ws.records('timeEntry')).length, 1);
  });

  it('a worklog whose issue is not mapped on the other site waits (REF_UNRESOLVED), then arrives exactly once', async () => {
    await call(`${tempo.base}/4/worklogs`, {
      method: 'POST',
      auth: bearer,
      expect: 200,
      body: { issueId: 1003, authorAccountId: 'a:ada', startDate: '2026-03-10', startTime: '14:00:00', timeSpentSeconds: 2700, description: 'Release notes' },
    });
    clock.advance(120_000);
    assert.equal((await ws.run('a-worklogs')).run.status, 'ok');
    const early = await ws.run('b-worklogs');
    assert.equal(early.run.status, 'partial');
    assert.match(early.run.errors[0]!.error.message, /REF_UNRESOLVED: task \S+ is not an issue on this site yet/);
    assert.equal(early.run.errors[0]!.error.code, 'REF_UNRESOLVED');
    // B gets the issue later, pointing at A-3, and Ben logs on it before B's issue link has seen it.
    const b4 = addIssue(jiraB.data(), 'B', 'Ship it (B side)', { custom: { customfield_10042: 'A-3' } });
    await call(`${jiraB.base}/rest/api/3/issue/B-4/worklog`, {
      method: 'POST',
      auth: basicAs('ben@example.com'),
      expect: 201,
      body: { started: '2026-03-10T15:00:00.000+0000', timeSpentSeconds: 900, comment: textToAdf('Checklist') },
    });
    clock.advance(120_000);
    const waiting = await ws.run('b-worklogs');
    assert.deepEqual(
      waiting.run.errors.map((e) => /REF_UNRESOLVED/.test(e.error.message)),
      [true, true],
      JSON.stringify(waiting.run.errors),
    );
    assert.equal(allOk(await ws.runAll(DIRECTORY)), null);
    await sync();
    await sync();
    const onB4 = jiraLogs().filter((w) => w.issueId === b4.id);
    assert.deepEqual(onB4.map((w) => adfToText(w.comment).split('\n')[0]).sort(), ['Checklist', 'Release notes'], 'each once');
    const onA3 = tempoLogs().filter((w) => w.issueId === 1003);
    assert.deepEqual(onA3.map((w) => w.description.split('\n')[0]).sort(), ['Checklist', 'Release notes']);
    const hub: HubRecord[] = await ws.records('timeEntry');
    assert.equal(hub.length, 3, 'Hotfix, Release notes, Checklist');
  });
});
