/**
 * The GitHub emulator against api-contracts §6: token auth, the issue list with pull
 * requests mixed in and `Link` paging, filters, closing, the rate limit, and webhooks —
 * signed with `X-Hub-Signature-256` over the exact bytes (checked here with node:crypto),
 * `ping` when a hook is added, every issue action, and redelivery with the same GUID.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createGithubEmulator, EMULATOR_TOKEN, type GithubEmulator } from '../../src/emulators/github/index.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver that records what it is sent and answers 202. */
async function receiver(): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => new Promise((r) => server.close(() => r())) };
}

const hmac = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('GitHub emulator', () => {
  let emu: GithubEmulator, base: string;
  const get = (path: string, token = EMULATOR_TOKEN) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    emu = createGithubEmulator();
    base = await emu.listen();
    const r = await fetch(`${base}/_emulator/github/repos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"owner":"acme","name":"shop"}',
    });
    assert.equal(r.status, 201);
    const bulk = await fetch(`${base}/_emulator/github/repos/acme/shop/issues/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: 250, pulls: 40 }),
    });
    assert.deepEqual(await bulk.json(), { issues: 250, pulls: 40 });
  });
  after(async () => {
    await emu.close();
  });

  it('refuses a missing or wrong token with 401 Bad credentials', async () => {
    const none = await fetch(`${base}/repos/acme/shop/issues`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { message: string }).message, 'Bad credentials');
    assert.equal((await get('/repos/acme/shop/issues', 'ghp_wrong')).status, 401);
  });

  it('pages the issue list by Link (per_page at most 100), with pull requests mixed in by their pull_request key', async () => {
    const numbers: number[] = [];
    let pulls = 0;
    let url: string | null = `/repos/acme/shop/issues?per_page=500`;
    let pages = 0;
    while (url) {
      const r = await get(url.replace(base, ''));
      assert.equal(r.status, 200);
      const rows = (await r.json()) as { number: number; pull_request?: unknown }[];
      assert.ok(rows.length <= 100, 'per_page is capped at 100');
      for (const row of rows) {
        numbers.push(row.number);
        if (row.pull_request) pulls++;
      }
      const link = r.headers.get('link');
      url = link ? (/<([^>]+)>; rel="next"/.exec(link)?.[1] ?? null) : null;
      pages++;
    }
    assert.equal(pages, 3);
    assert.equal(numbers.length, 290);
    assert.equal(new Set(numbers).size, 290, 'no issue twice');
    assert.equal(pulls, 40);
    assert.deepEqual(numbers.slice(0, 2), [290, 289], 'newest first, as GitHub sorts by default');
    const last = await get('/repos/acme/shop/issues?per_page=100&page=3');
    assert.match(last.headers.get('link') ?? '', /rel="prev"/);
    assert.doesNotMatch(last.headers.get('link') ?? '', /rel="next"/, 'the last page has no next');
  });

  it('filters by state and labels, reads one issue, and closes one by PATCH', async () => {
    const opened = await emu.act('acme/shop', { action: 'opened', title: 'Crash on login', labels: ['bug', 'critical'] });
    const byLabel = (await (await get('/repos/acme/shop/issues?labels=bug,critical')).json()) as { number: number; labels: { name: string }[] }[];
    assert.deepEqual(
      byLabel.map((i) => i.number),
      [opened.number],
    );
    assert.deepEqual(
      byLabel[0]!.labels.map((l) => l.name),
      ['bug', 'critical'],
    );
    const patched = await fetch(`${base}/repos/acme/shop/issues/${opened.number}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${EMULATOR_TOKEN}`, 'content-type': 'application/json' },
      body: '{"state":"closed"}',
    });
    const closed = (await patched.json()) as { state: string; state_reason: string; closed_at: string | null };
    assert.deepEqual([closed.state, closed.state_reason, typeof closed.closed_at], ['closed', 'completed', 'string']);
    assert.equal(((await (await get('/repos/acme/shop/issues?labels=bug')).json()) as unknown[]).length, 0, 'a closed issue leaves the open list');
    assert.equal(((await (await get('/repos/acme/shop/issues?labels=bug&state=closed')).json()) as unknown[]).length, 1);
    assert.equal((await get('/repos/acme/shop/issues/99999')).status, 404);
  });

  it('counts the rate limit in x-ratelimit-* headers and answers 403, or 429, once it is used up until the reset', async () => {
    const ok = await get('/repos/acme/shop');
    const remaining = Number(ok.headers.get('x-ratelimit-remaining'));
    assert.ok(remaining < 5000 && remaining > 0);
    assert.ok(Number(ok.headers.get('x-ratelimit-reset')) > Date.now() / 1000);
    await fetch(`${base}/_emulator/github/rate-limit`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"remaining":0}' });
    const limited = await get('/repos/acme/shop/issues');
    assert.equal(limited.status, 403);
    assert.equal(limited.headers.get('x-ratelimit-remaining'), '0');
    assert.match(((await limited.json()) as { message: string }).message, /rate limit exceeded/);
    await fetch(`${base}/_emulator/github/rate-limit`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"status":429}' });
    assert.equal((await get('/repos/acme/shop/issues')).status, 429);
    await fetch(`${base}/_emulator/github/rate-limit`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"resetInSeconds":0}' });
    assert.equal((await get('/repos/acme/shop/issues')).status, 200, 'after the reset the limit is full again');
  });

  it('delivers ping and every issue action, signed over the exact body, and redelivers with the same GUID and bytes', async () => {
    const hook = await receiver();
    try {
      const secret = 'hook-secret-for-the-emulator-test';
      const added = await emu.addHook('acme/shop', { url: hook.url, secret });
      assert.equal(added.deliveries[0]?.event, 'ping');
      const opened = await emu.act('acme/shop', { action: 'opened', title: 'New issue', labels: ['enhancement'] });
      const n = opened.number;
      await emu.act('acme/shop', { action: 'edited', number: n, title: 'New issue, renamed' });
      await emu.act('acme/shop', { action: 'labeled', number: n, label: 'bug' });
      await emu.act('acme/shop', { action: 'unlabeled', number: n, label: 'enhancement' });
      await emu.act('acme/shop', { action: 'assigned', number: n, assignee: 'octocat' });
      await emu.act('acme/shop', { action: 'unassigned', number: n, assignee: 'octocat' });
      await emu.act('acme/shop', { action: 'closed', number: n });
      await emu.act('acme/shop', { action: 'reopened', number: n });
      const events = hook.got.map((g) => {
        const p = JSON.parse(g.body) as { action?: string };
        return `${String(g.headers['x-github-event'])}${p.action ? `.${p.action}` : ''}`;
      });
      assert.deepEqual(events, [
        'ping',
        'issues.opened',
        'issues.edited',
        'issues.labeled',
        'issues.unlabeled',
        'issues.assigned',
        'issues.unassigned',
        'issues.closed',
        'issues.reopened',
      ]);
      for (const g of hook.got) {
        assert.equal(g.headers['x-hub-signature-256'], hmac(secret, g.body), 'HMAC-SHA256 of the raw body');
        assert.match(String(g.headers['x-github-delivery']), /^[0-9a-f-]{36}$/);
        assert.equal(g.headers['x-github-hook-installation-target-type'], 'repository');
      }
      const assigned = JSON.parse(hook.got[5]!.body) as { assignee: { login: string }; issue: { assignees: { login: string }[] } };
      assert.equal(assigned.assignee.login, 'octocat', 'assigned carries the top-level assignee');
      const labeled = JSON.parse(hook.got[3]!.body) as { label: { name: string } };
      assert.equal(labeled.label.name, 'bug');
      const edited = JSON.parse(hook.got[2]!.body) as { changes: { title: { from: string } } };
      assert.equal(edited.changes.title.from, 'New issue');
      const closed = JSON.parse(hook.got[7]!.body) as { issue: { state: string; state_reason: string } };
      assert.deepEqual([closed.issue.state, closed.issue.state_reason], ['closed', 'completed']);

      const first = hook.got[1]!;
      const again = await fetch(`${base}/_emulator/github/deliveries/${String(first.headers['x-github-delivery'])}/redeliver`, { method: 'POST' });
      assert.equal(again.status, 200);
      const re = hook.got.at(-1)!;
      assert.equal(re.headers['x-github-delivery'], first.headers['x-github-delivery'], 'a redelivery reuses the GUID');
      assert.equal(re.body, first.body, 'and the bytes');
      const log = (await (await fetch(`${base}/_emulator/github/deliveries`)).json()) as { deliveries: { status: number; redelivery: boolean }[] };
      assert.deepEqual(log.deliveries.at(-1) && [log.deliveries.at(-1)!.status, log.deliveries.at(-1)!.redelivery], [202, true]);
    } finally {
      await hook.close();
    }
  });
});
