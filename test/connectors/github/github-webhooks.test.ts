/**
 * GitHub's webhooks end to end: the emulator delivers to `/webhooks/github/gh` of a
 * listening service; each issue action reaches the hub task through the link's run; a
 * redelivery (same X-GitHub-Delivery) changes nothing, also at a second service on the same
 * store; a forged or rewritten delivery is 401; events it does not use are 2xx; an
 * assignment starts the assignee's timer on the task, and an unknown assignee is reported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { HubRecord } from '../../../src/core/model.js';
import { runningTimer } from '../../../src/runtime/timers.js';
import type { TimerEvent } from '../../../src/service/timer-events.js';
import { HOOK_SECRET, startGithubApp, waitFor, type GithubApp } from './github-app.js';
import { EMULATOR_TOKEN, signatureOf } from '../../../src/emulators/github/index.js';
import { createToken } from '../../../src/service/tokens.js';

describe('GitHub webhooks into the hub', () => {
  let t: GithubApp;
  const events: TimerEvent[] = [];
  /** Jobs of the link, queued, running or done. */
  const runs = async () => (await t.main.svc.queue.list({ linkId: 'link:gh-issues', limit: 1000 })).length;
  before(async () => {
    t = await startGithubApp();
    t.main.svc.timerEvents.on((e) => {
      events.push(e);
    });
    const added = await t.emu.addHook('acme/shop', { url: `${t.main.url}/webhooks/github/gh`, secret: HOOK_SECRET, events: ['*'] });
    assert.equal(added.deliveries[0]?.status, 200, `ping is answered 200: ${added.deliveries[0]?.response}`);
  });
  after(async () => {
    await t?.close();
  });

  it('every issue action reaches the task: opened, edited, labeled, unlabeled, assigned, unassigned, closed, reopened', async () => {
    const opened = await t.emu.act('acme/shop', { action: 'opened', title: 'Checkout fails', labels: ['enhancement'] });
    assert.equal(opened.deliveries[0]?.status, 202, opened.deliveries[0]?.response);
    const n = opened.number;
    const first = await t.task(n);
    assert.deepEqual(
      [first.fields.summary, first.fields.state, first.fields.priority, first.fields.labels, first.fields.url],
      ['Checkout fails', 'todo', 'medium', ['enhancement'], `https://github.com/acme/shop/issues/${n}`],
    );
    const steps: [Parameters<GithubApp['emu']['act']>[1], (f: HubRecord['fields']) => boolean][] = [
      [{ action: 'edited', number: n, title: 'Checkout fails for big carts' }, (f) => f.summary === 'Checkout fails for big carts'],
      [{ action: 'labeled', number: n, label: 'bug' }, (f) => f.priority === 'high' && JSON.stringify(f.labels) === '["enhancement","bug"]'],
      [{ action: 'unlabeled', number: n, label: 'bug' }, (f) => f.priority === 'medium'],
      [{ action: 'assigned', number: n, assignee: 'hubot' }, (f) => f.assigneeId !== undefined && f.assigneeId !== null],
      [{ action: 'unassigned', number: n, assignee: 'hubot' }, (f) => f.assigneeId === null],
      [{ action: 'closed', number: n }, (f) => f.state === 'done' && f.status === 'closed'],
      [{ action: 'reopened', number: n }, (f) => f.state === 'todo' && f.status === 'open'],
    ];
    for (const [action, holds] of steps) {
      const r = await t.emu.act('acme/shop', action);
      assert.equal(r.deliveries[0]?.status, 202, `${action.action}: ${r.deliveries[0]?.response}`);
      const task = await t.task(n, (x) => holds(x.fields));
      if (action.action === 'assigned') assert.equal(task.fields.assigneeId, await t.person('hubot'));
    }
  });

  it('a GitHub connection made through the API keeps its token and webhook secret sealed, never shown', async () => {
    const { token } = await createToken(t.main.svc.store, { userId: 'root', role: 'admin' });
    const secret = 'another-webhook-secret-9876543210';
    const made = await fetch(`${t.main.url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'gh-api',
        type: 'github',
        settings: { repo: 'acme/shop', apiUrl: t.emu.url(), token: EMULATOR_TOKEN, webhook: { secret } },
      }),
    });
    assert.equal(made.status, 201, await made.text());
    const row = await t.main.svc.store.getDefinition('connection', 'gh-api');
    assert.ok(row?.secrets, 'sealed secrets');
    assert.ok(!JSON.stringify(row).includes(EMULATOR_TOKEN) && !JSON.stringify(row).includes(secret), 'no clear text in the store');
    const bad = await fetch(`${t.main.url}/api/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'gh-bad', type: 'github', settings: { repo: 'no-slash', token: 'x' } }),
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /repo.*owner\/name/);
  });

  it('a redelivery changes nothing and is answered 200, here and at a second service on the same store', async () => {
    const opened = await t.emu.act('acme/shop', { action: 'opened', title: 'Redelivered once' });
    const guid = opened.deliveries[0]!.guid;
    const task = await t.task(opened.number);
    await waitFor('the runs to finish', async () => (await t.main.svc.queue.list({ linkId: 'link:gh-issues', state: 'queued', limit: 10 })).length === 0);
    const before = await runs();
    const again = await t.emu.redeliver(guid);
    assert.equal(again?.status, 200, again?.response);
    assert.deepEqual(JSON.parse(again!.response), { accepted: false, duplicate: true, delivery: guid });
    const second = await t.second();
    const delivered = t.emu.data().deliveries.find((d) => d.guid === guid)!;
    const viaSecond = await fetch(`${second.url}/webhooks/github/gh`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': guid,
        'x-hub-signature-256': signatureOf(HOOK_SECRET, delivered.body),
      },
      body: delivered.body,
    });
    assert.equal(viaSecond.status, 200, 'the second process knows the delivery from the store');
    assert.equal(((await viaSecond.json()) as { duplicate: boolean }).duplicate, true);
    assert.equal(await runs(), before, 'no run was queued for the repeats');
    const same = (await t.main.svc.store.getRecords([task.id]))[0]!;
    assert.equal(same.version, task.version, 'the task was not written again');
  });

  it('refuses a missing signature, a wrong one and a rewritten body with 401, and acknowledges unused events with 2xx', async () => {
    const body = JSON.stringify({ action: 'opened', issue: { number: 1 }, repository: { full_name: 'acme/shop' } });
    const post = (headers: Record<string, string>, b = body) =>
      fetch(`${t.main.url}/webhooks/github/gh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-github-delivery': crypto.randomUUID(), ...headers },
        body: b,
      });
    for (const [what, headers, b] of [
      ['missing', {}, body],
      ['wrong secret', { 'x-hub-signature-256': signatureOf('not-the-secret-at-all', body) }, body],
      ['body rewritten', { 'x-hub-signature-256': signatureOf(HOOK_SECRET, body) }, body.replace('"number":1', '"number":2')],
    ] as const) {
      const r = await post(headers, b);
      assert.equal(r.status, 401, what);
      const e = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(e.error.code, 'WEBHOOK_SIGNATURE_INVALID', what);
    }
    const push = JSON.stringify({ ref: 'refs/heads/main' });
    const unused = await post({ 'x-github-event': 'push', 'x-hub-signature-256': signatureOf(HOOK_SECRET, push) }, push);
    assert.equal(unused.status, 200);
    assert.match(await unused.text(), /changes no task/);
  });

  it('an assignment starts the assignee’s timer on the task (stopping their running one); an unknown assignee is reported, not refused', async () => {
    const octo = await t.person('octo');
    const first = await t.emu.act('acme/shop', { action: 'opened', title: 'First task' });
    const firstTask = await t.task(first.number);
    const a1 = await t.emu.act('acme/shop', { action: 'assigned', number: first.number, assignee: 'octo' });
    assert.equal(a1.deliveries[0]?.status, 202);
    const answer = JSON.parse(a1.deliveries[0]!.response) as { timers: { login: string; queued?: string }[] };
    assert.equal(answer.timers[0]?.login, 'octo');
    assert.ok(answer.timers[0]?.queued, JSON.stringify(answer));
    const timer1 = await waitFor('octo’s timer on the first task', async () => {
      const r = await runningTimer(t.main.svc.store, 'dev', octo);
      return r && r.fields.taskId === firstTask.id ? r : null;
    });
    assert.equal(timer1.origin, 'webhook:gh');
    assert.match(String(timer1.fields.description), /acme\/shop#\d+ First task/);

    const second = await t.emu.act('acme/shop', { action: 'opened', title: 'Second task' });
    const secondTask = await t.task(second.number);
    await t.emu.act('acme/shop', { action: 'assigned', number: second.number, assignee: 'Octo' });
    await waitFor('octo’s timer on the second task', async () => {
      const r = await runningTimer(t.main.svc.store, 'dev', octo);
      return r && r.fields.taskId === secondTask.id ? r : null;
    });
    const entries = (await t.main.svc.store.listScope('dev', 'timeEntry')).filter((e) => e.fields.personId === octo && e.fields.taskId === firstTask.id);
    assert.equal(entries.length, 1, 'the first timer was stopped into a time entry');
    assert.deepEqual(
      events.filter((e) => e.personId === octo).map((e) => e.kind),
      ['started', 'stopped', 'started'],
      'timer events for notices',
    );

    const stranger = await t.emu.act('acme/shop', { action: 'assigned', number: second.number, assignee: 'stranger' });
    assert.equal(stranger.deliveries[0]?.status, 202, 'an unknown assignee is no error');
    const report = JSON.parse(stranger.deliveries[0]!.response) as { timers: { skipped?: string }[] };
    assert.match(report.timers[0]?.skipped ?? '', /githubLogin "stranger"/);
    assert.ok(
      t.main.logs.some((l) => l.includes('timer cue skipped') && l.includes('stranger')),
      'and logged',
    );

    // The same issue number assigned in another repository (a hook with the same secret) starts no timer here.
    const body = JSON.stringify({
      action: 'assigned',
      issue: { number: first.number },
      assignee: { login: 'octo' },
      repository: { full_name: 'other/repo' },
    });
    const foreign = await fetch(`${t.main.url}/webhooks/github/gh`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issues',
        'x-github-delivery': crypto.randomUUID(),
        'x-hub-signature-256': signatureOf(HOOK_SECRET, body),
      },
      body,
    });
    const queued = ((await foreign.json()) as { timers: { jobId: string }[] }).timers[0]!;
    const job = await waitFor('the foreign cue’s job', async () => {
      const j = await t.main.svc.queue.get(queued.jobId);
      return j && (j.state === 'done' || j.state === 'dead') ? j : null;
    });
    assert.match(String(job.result?.skipped), /not other\/repo#\d+/);
    assert.equal((await runningTimer(t.main.svc.store, 'dev', octo))?.fields.taskId, secondTask.id, 'the timer stays on the second task');
  });
});
