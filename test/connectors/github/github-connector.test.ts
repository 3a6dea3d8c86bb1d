/**
 * The GitHub issue connector on the emulator: every open issue through the `Link` pages
 * (past 100, pull requests skipped), a failed page retried, a short page making the listing
 * incomplete, the label filter, the rate limit waited out or turned into a retryable error,
 * closing on done only when enabled; the mapper's priority rules and assignees; the
 * webhook receiver's signatures and answers.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { isItemFailure, type Connector, type ExternalItem } from '../../../src/connectors/kit/connector.js';
import { githubEntry } from '../../../src/connectors/github/index.js';
import { issueMapper } from '../../../src/connectors/github/issue-mapper.js';
import { githubConfigSchema, priorityOf } from '../../../src/connectors/github/settings.js';
import type { GithubIssueItem } from '../../../src/connectors/github/github-types.js';
import { githubReceiver } from '../../../src/connectors/github/webhook-receiver.js';
import { createGithubEmulator, EMULATOR_TOKEN, type GithubEmulator } from '../../../src/emulators/github/index.js';
import { addIssue, addRepo } from '../../../src/emulators/github/github-data.js';

const fast = { retry: { baseDelayMs: 5, maxDelayMs: 20 } };

function connector(base: string, over: Record<string, unknown> = {}, http: object = fast): Connector<GithubIssueItem> {
  const config = githubConfigSchema.parse({ repo: 'acme/shop', apiUrl: base, token: EMULATOR_TOKEN, ...over });
  return githubEntry.create(config, { baseDir: '.', target: { collection: null, externalKind: 'issue' }, http }) as Connector<GithubIssueItem>;
}

describe('GitHub issue connector', () => {
  let emu: GithubEmulator, base: string;
  before(async () => {
    emu = createGithubEmulator();
    base = await emu.listen();
    const repo = addRepo(emu.data(), 'acme', 'shop');
    const now = new Date('2026-03-02T09:00:00Z');
    // 250 issues and 40 pull requests, mixed: every eighth number is a pull request; some issues carry labels.
    for (let n = 1, i = 0, p = 0; i < 250 || p < 40; n++) {
      const pull = p < 40 && (n % 8 === 0 || i >= 250);
      if (pull) p++;
      else i++;
      addIssue(emu.data(), repo, { title: pull ? `PR ${p}` : `Issue ${i}`, pull, labels: pull ? [] : i % 10 === 0 ? ['bug'] : [] }, now);
    }
  });
  after(async () => {
    await emu.close();
  });

  it('lists all 250 open issues through three pages, skips the 40 pull requests, and retries a failed page 2', async () => {
    emu.faults.clear();
    emu.inject({ method: 'GET', path: '^/repos/acme/shop/issues$', status: 502, after: 1, times: 2 });
    const c = connector(base);
    const listing = await c.list({} as never);
    assert.equal(listing.complete, true, listing.incompleteReason);
    assert.equal(listing.refs.length, 250);
    assert.equal(new Set(listing.refs.map((r) => r.id)).size, 250);
    const items = (await c.get(listing.refs.slice(0, 3).map((r) => r.id))) as ExternalItem<GithubIssueItem>[];
    assert.ok(
      items.every((i) => !isItemFailure(i) && i.data.title.startsWith('Issue ')),
      'no pull request among them',
    );
    const counts = emu.counts.get('GET /repos/:owner/:repo/issues') ?? 0;
    assert.ok(counts >= 5, `three pages and the two failed tries of page 2 (${counts} requests)`);
    emu.faults.clear();
  });

  it('a short page 2 makes the listing incomplete, with the reason', async () => {
    emu.counts.clear();
    emu.inject({ method: 'GET', path: '^/repos/acme/shop/issues$', listing: { kind: 'short', rows: 3 }, after: 1, times: 1 });
    const listing = await connector(base).list({} as never);
    emu.faults.clear();
    assert.equal(listing.complete, false);
    assert.match(listing.incompleteReason ?? '', /GitHub issues of acme\/shop/);
  });

  it('takes only issues carrying the label filter; get of one without it, or of a pull request, is not_found', async () => {
    const c = connector(base, { labels: ['BUG'] });
    const listing = await c.list({} as never);
    assert.equal(listing.complete, true);
    assert.equal(listing.refs.length, 25);
    const pr = emu
      .data()
      .repos.get('acme/shop')!
      .issues.find((i) => i.pull)!;
    const plain = emu
      .data()
      .repos.get('acme/shop')!
      .issues.find((i) => !i.pull && !i.labels.length)!;
    const got = await c.get([String(pr.number), String(plain.number), '99999']);
    assert.deepEqual(
      got.map((g) => (isItemFailure(g) ? g.error.kind : 'item')),
      ['not_found', 'not_found', 'not_found'],
    );
  });

  it('waits out an exhausted rate limit until its reset within the run budget, and beyond the budget fails as rate_limited with the wait', async () => {
    const rate = emu.data().rate;
    rate.remaining = 0;
    rate.reset = Math.floor(Date.now() / 1000) + 1;
    const listing = await connector(base, {}, { retry: { baseDelayMs: 5, maxDelayMs: 20 } }).list({} as never);
    assert.equal(listing.refs.length, 250, 'the listing went on after the reset');
    rate.remaining = 0;
    rate.reset = Math.floor(Date.now() / 1000) + 3600;
    await assert.rejects(
      connector(base, {}, { retry: { baseDelayMs: 5, maxDelayMs: 20, budgetMs: 2000 } }).list({} as never),
      (err: unknown) => isTimebridgeError(err) && err.kind === 'rate_limited' && (err.retryAfter ?? 0) > 3000,
    );
    rate.remaining = rate.limit;
  });

  it('closes an issue whose task is done only when writeBack.closeOnDone is on', async () => {
    const issue = emu
      .data()
      .repos.get('acme/shop')!
      .issues.find((i) => !i.pull && i.state === 'open')!;
    const id = String(issue.number);
    const off = connector(base);
    const [read] = (await off.get([id])) as ExternalItem<GithubIssueItem>[];
    const done = issueMapper.toExternal({ state: 'done' }, { now: new Date(), link: 'l' }, read!.data);
    assert.ok(done.ok);
    await assert.rejects(off.update(id, done.value, read!.etag), /write-back is off/);
    assert.equal(issue.state, 'open');
    const on = connector(base, { writeBack: { closeOnDone: true } });
    const written = await on.update(id, done.value, read!.etag);
    assert.equal(issue.state, 'closed');
    assert.equal(written.stored?.data.state, 'closed');
    await assert.rejects(on.update(id, done.value, read!.etag), (err: unknown) => isTimebridgeError(err) && err.kind === 'precondition', 'a stale etag');
  });
});

describe('GitHub issue mapping', () => {
  const item = (over: Partial<GithubIssueItem> = {}): GithubIssueItem => ({
    repo: 'acme/shop',
    number: 7,
    title: 'Checkout fails',
    state: 'open',
    stateReason: null,
    labels: ['bug'],
    assignees: ['Octo'],
    priority: 'high',
    url: 'https://github.com/acme/shop/issues/7',
    updatedAt: '2026-03-02T09:00:00Z',
    ...over,
  });
  const refs = { hubId: () => null, extId: () => null, personByGithubLogin: (l: string) => (l.toLowerCase() === 'octo' ? 'person-1' : null) };

  it('priority: the first matching rule wins; defaults bug/critical high, enhancement medium, else low', () => {
    const defaults = githubConfigSchema.parse({ repo: 'a/b', token: 'x' });
    assert.equal(priorityOf(['Bug'], defaults), 'high');
    assert.equal(priorityOf(['critical'], defaults), 'high');
    assert.equal(priorityOf(['enhancement'], defaults), 'medium');
    assert.equal(priorityOf(['question'], defaults), 'low');
    const own = githubConfigSchema.parse({
      repo: 'a/b',
      token: 'x',
      priorityRules: [
        { label: 'p0', priority: 'urgent' },
        { label: 'bug', priority: 'medium' },
      ],
    });
    assert.equal(priorityOf(['bug', 'p0'], own), 'urgent', 'rule order, not label order');
    assert.throws(() => githubConfigSchema.parse({ repo: 'not a repo', token: 'x' }), /owner\/name/);
  });

  it('maps title, key, labels, priority, URL, state and the assignee by githubLogin', () => {
    const m = issueMapper.toHub(item(), { now: new Date(), link: 'l', refs, linked: null });
    assert.ok(m.ok && 'value' in m);
    assert.deepEqual(m.value.fields, {
      key: 'acme/shop#7',
      summary: 'Checkout fails',
      projectId: null,
      status: 'open',
      state: 'todo',
      priority: 'high',
      assigneeId: 'person-1',
      labels: ['bug'],
      url: 'https://github.com/acme/shop/issues/7',
    });
    assert.equal(m.value.identity, 'task:acme/shop#7');
    const closed = issueMapper.toHub(item({ state: 'closed', assignees: ['stranger'] }), { now: new Date(), link: 'l', refs, linked: null });
    assert.ok(closed.ok && 'value' in closed);
    assert.deepEqual([closed.value.fields.state, closed.value.fields.assigneeId], ['done', null]);
    const inProgress = issueMapper.toHub(item(), { now: new Date(), link: 'l', refs, linked: { state: 'in-progress' } });
    assert.ok(inProgress.ok && 'value' in inProgress);
    assert.equal(inProgress.value.fields.state, 'in-progress', 'an open issue keeps the hub’s in-progress');
    const back = issueMapper.toExternal({ state: 'todo', summary: 'renamed in the hub' }, { now: new Date(), link: 'l' }, item());
    assert.ok(!back.ok && 'skip' in back, 'only closing is written back');
  });
});

describe('GitHub webhook receiver', () => {
  const secret = 'receiver-secret-0123456789';
  const sign = (body: string, s = secret) => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`;
  const assigned = JSON.stringify({ action: 'assigned', issue: { number: 12 }, assignee: { login: 'octo' }, repository: { full_name: 'acme/shop' } });
  const request = (body: string, headers: Record<string, string>) => ({
    headers: { 'x-github-event': 'issues', 'x-github-delivery': 'guid-1', 'content-type': 'application/json', ...headers },
    body: Buffer.from(body),
    receivedAt: new Date(),
  });

  it('accepts a good signature, naming the delivery by its GUID and cueing the assignee’s timer', async () => {
    const v = await githubReceiver.verify(request(assigned, { 'x-hub-signature-256': sign(assigned) }), secret);
    assert.ok(v.ok);
    assert.equal(v.delivery.key, 'guid-1');
    assert.equal(v.reply, undefined, 'an issue action runs the links');
    assert.deepEqual(v.cues, [
      {
        kind: 'start-timer',
        externalKind: 'issue',
        extId: '12',
        person: { field: 'githubLogin', value: 'octo' },
        label: 'acme/shop#12',
        taskKey: 'acme/shop#12',
      },
    ]);
  });

  it('takes a form-encoded delivery, signed as sent', async () => {
    const form = `payload=${encodeURIComponent(assigned)}`;
    const v = await githubReceiver.verify(request(form, { 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': sign(form) }), secret);
    assert.ok(v.ok);
    assert.equal(v.cues?.[0]?.extId, '12');
  });

  it('refuses a missing or wrong signature, another secret, and a rewritten body', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['missing', {}, assigned],
      ['garbage', { 'x-hub-signature-256': 'sha256=00' }, assigned],
      ['another secret', { 'x-hub-signature-256': sign(assigned, 'another-secret-0123') }, assigned],
      ['body rewritten', { 'x-hub-signature-256': sign(assigned) }, assigned.replace('octo', 'mallory')],
      ['sha1 only', { 'x-hub-signature': `sha1=${createHmac('sha1', secret).update(assigned).digest('hex')}` }, assigned],
    ];
    for (const [what, headers, body] of cases) {
      const v = await githubReceiver.verify(request(body, headers), secret);
      assert.deepEqual(v.ok ? 'accepted' : v.code, 'WEBHOOK_SIGNATURE_INVALID', what);
    }
  });

  it('answers ping, and acknowledges events and actions it does not use without running anything', async () => {
    const ping = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
    const v = await githubReceiver.verify(request(ping, { 'x-github-event': 'ping', 'x-hub-signature-256': sign(ping) }), secret);
    assert.ok(v.ok && v.reply);
    assert.equal(JSON.parse(v.reply.body).zen, 'Design for failure.');
    for (const [event, body] of [
      ['push', JSON.stringify({ ref: 'refs/heads/main' })],
      ['issues', JSON.stringify({ action: 'pinned', issue: { number: 1 } })],
      ['issues', JSON.stringify({ action: 'opened', issue: { number: 2, pull_request: {} } })],
    ] as const) {
      const u = await githubReceiver.verify(request(body, { 'x-github-event': event, 'x-hub-signature-256': sign(body) }), secret);
      assert.ok(u.ok && u.reply, `${event} ${body}`);
      assert.match(u.reply.body, /changes no task/);
    }
  });
});
