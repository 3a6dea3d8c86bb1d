/**
 * The dashboard end to end: `timebridge serve` as a subprocess over two .ics folders,
 * driven by headless Chromium (playwright-core, the Debian `chromium` package). Sign in,
 * see the links, plan and apply exactly that plan, read the run and its diff, watch live
 * progress, resolve a conflict; and the hostile cases: no session, no CSRF token, another
 * user's link and run, a `<script>` in an event's summary.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { api, event, startServe, until, workspace, type Served } from '../../support/serve.js';
import { apiToken, chromiumGate, launchChromium, signIn as openSignedIn } from '../../support/browser.js';

const XSS = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">Standup';

/** Sign in from the overview, as a person arriving at the dashboard does. */
async function signIn(browser: Browser, base: string, tok: string): Promise<{ ctx: BrowserContext; page: Page }> {
  const opened = await openSignedIn(browser, base, tok, '/');
  await opened.page.getByRole('heading', { name: 'Overview' }).waitFor();
  return opened;
}

describe('dashboard (headless Chromium against timebridge serve)', chromiumGate('dashboard'), () => {
  let dir: string, srv: Served, browser: Browser, admin: string, alice: string, bob: string, bobRun: string;

  before(async () => {
    dir = workspace();
    fs.writeFileSync(path.join(dir, 'a', 'one.ics'), event('one@test', XSS));
    fs.mkdirSync(path.join(dir, 'users', 'bob', 'cal'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'users', 'bob', 'cal', 'b1.ics'), event('b1@test', 'Bob private'));
    admin = apiToken(dir, 'root', 'admin');
    alice = apiToken(dir, 'alice', 'user');
    bob = apiToken(dir, 'bob', 'user');
    srv = await startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    assert.equal(
      (await api(srv.url, 'POST', '/api/v1/connections', { token: bob, body: { name: 'bob-cal', type: 'ics-folder', settings: { path: 'cal' } } })).status,
      201,
    );
    assert.equal(
      (await api(srv.url, 'POST', '/api/v1/links', { token: bob, body: { name: 'bob-link', config: { connection: 'bob-cal', scope: 'bob-scope' } } })).status,
      201,
    );
    const run = await api(srv.url, 'POST', '/api/v1/links/bob-link/sync?wait=true', { token: bob, body: {} });
    assert.equal(run.body.result?.status, 'ok', JSON.stringify(run.body));
    bobRun = run.body.result.runId;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without a session every page leads to the sign-in page, and a wrong token is refused with its message and hint', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    for (const p of ['/', '/runs', `/runs/${bobRun}`, '/conflicts', '/connections', '/plan/a']) {
      await page.goto(srv.url + p);
      assert.equal(new URL(page.url()).pathname, '/signin', p);
      assert.equal(new URL(page.url()).searchParams.get('next'), p);
    }
    await page.getByLabel('API token').fill('tb_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /unknown or revoked[\s\S]*timebridge token create/);
    assert.equal((await api(srv.url, 'GET', '/api/v1/overview')).status, 401);
    await ctx.close();
  });

  it('signs in to a session cookie that is HttpOnly, SameSite=Strict and not the token, and shows the links', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin);
    const [cookie] = await ctx.cookies();
    assert.equal(cookie?.name, 'tb_session');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.ok(!cookie.value.includes(admin) && !cookie.value.includes(admin.slice(3)), 'the cookie must not carry the API token');
    for (const l of ['a', 'b', 'bob-link']) await page.locator(`tr[data-link="${l}"]`).waitFor();
    assert.match(await page.locator('tr[data-link="a"]').innerText(), /never/);
    await ctx.close();
  });

  it('plans, applies exactly that plan, shows the run with its diff and live progress; the summary stays text', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin);
    await page.locator('tr[data-link="a"]').getByRole('link', { name: 'Plan…' }).click();
    await page.getByRole('heading', { name: 'Plan for a' }).waitFor();
    await page.getByRole('button', { name: 'Make a plan' }).click();
    const plan = page.getByRole('region', { name: 'Plan' });
    await plan.waitFor();
    assert.match(await plan.innerText(), /pull-create/);
    assert.ok((await plan.innerText()).includes(XSS), 'the summary is shown as text');
    await page.getByRole('button', { name: 'Apply this plan' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.locator('.run-status').waitFor();
    assert.equal(await page.locator('.run-status').innerText(), 'ok');
    const diff = page.locator('table.diff');
    await diff.first().waitFor();
    const summaryRow = diff.locator('tr', { has: page.locator('th', { hasText: /^summary$/ }) });
    assert.equal(await summaryRow.locator('td.after').innerText(), XSS);
    assert.equal(await summaryRow.locator('td.before').innerText(), '(none)');
    // A record's start is a <time> in the viewer's zone, the instant in datetime.
    const startRow = diff.locator('tr', { has: page.locator('th', { hasText: /^start$/ }) });
    assert.equal(await startRow.locator('td.after time').getAttribute('datetime'), '2026-12-01T10:00:00Z');
    // The live panel saw the run through the server-sent events.
    let live = '';
    await until('live progress of the apply', async () =>
      /a: done \(ok\): 1 planned, 1 applied, 0 failed/.test((live = await page.locator('.live').innerText())),
    ).catch((err: Error) => assert.fail(`${err.message}; the live panel says: ${live}`));
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    // Times are <time datetime> in UTC, shown in the viewer's zone.
    assert.match((await page.locator('time').first().getAttribute('datetime')) ?? '', /Z$/);
    await ctx.close();
  });

  it('refuses to apply a plan when a side changed since, with the message and the hint', async () => {
    await until('b has taken the new event', async () => (await api(srv.url, 'GET', '/api/v1/runs?link=b', { token: admin })).body.runs.length > 0);
    const { ctx, page } = await signIn(browser, srv.url, admin);
    await page.goto(srv.url + '/plan/a');
    fs.writeFileSync(path.join(dir, 'a', 'two.ics'), event('two@test', 'Second'));
    await page.getByRole('button', { name: 'Make a plan' }).click();
    await page.getByRole('region', { name: 'Plan' }).waitFor();
    fs.writeFileSync(path.join(dir, 'a', 'three.ics'), event('three@test', 'Third'));
    await page.getByRole('button', { name: 'Apply this plan' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /PLAN_DRIFTED/);
    assert.match(text, /make a fresh plan/);
    fs.rmSync(path.join(dir, 'a', 'two.ics'));
    fs.rmSync(path.join(dir, 'a', 'three.ics'));
    await ctx.close();
  });

  it('refuses a state-changing request without the CSRF token, and takes it with the token', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin);
    const [without, withToken] = await page.evaluate(async () => {
      const bare = await fetch('/api/v1/links/b/disable', { method: 'POST' });
      const s = await (await fetch('/api/v1/session')).json();
      const ok = await fetch('/api/v1/links/b/enable', { method: 'POST', headers: { 'x-csrf-token': s.csrf } });
      return [{ status: bare.status, body: await bare.json() }, ok.status];
    });
    assert.equal(without.status, 403);
    assert.equal(without.body.error.code, 'AUTH_CSRF');
    assert.equal(withToken, 200);
    assert.equal((await api(srv.url, 'GET', '/api/v1/links/b', { token: admin })).body.enabled, true);
    await ctx.close();
  });

  it('a user sees neither another user’s link nor their run', async () => {
    const { ctx, page } = await signIn(browser, srv.url, alice);
    await page.locator('tr[data-link="a"]').waitFor();
    assert.equal(await page.locator('tr[data-link="bob-link"]').count(), 0);
    await page.goto(`${srv.url}/runs/${bobRun}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /no run with id/);
    await page.goto(`${srv.url}/runs`);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.locator('table, .empty').first().waitFor();
    assert.ok(!(await page.locator('main').innerText()).includes('bob-link'));
    await ctx.close();
  });

  it('resolves a conflict per field from the side-by-side view with the base', async () => {
    await api(srv.url, 'POST', '/api/v1/links/b/sync?wait=true', { token: admin, body: {} });
    const bfile = fs.readdirSync(path.join(dir, 'b')).find((f) => fs.readFileSync(path.join(dir, 'b', f), 'utf8').includes('one@test'))!;
    fs.writeFileSync(path.join(dir, 'a', 'one.ics'), event('one@test', 'From A').replace('DTSTAMP:20261101', 'DTSTAMP:20261102'));
    const btext = fs.readFileSync(path.join(dir, 'b', bfile), 'utf8');
    fs.writeFileSync(path.join(dir, 'b', bfile), btext.replace(/SUMMARY:[^\r\n]*(\r?\n [^\r\n]*)*/, 'SUMMARY:From B'));
    await api(srv.url, 'POST', '/api/v1/links/b/sync?wait=true', { token: admin, body: {} });
    await api(srv.url, 'POST', '/api/v1/links/a/sync?wait=true', { token: admin, body: {} });
    assert.equal((await api(srv.url, 'GET', '/api/v1/conflicts', { token: admin })).body.conflicts.length, 1);

    const { ctx, page } = await signIn(browser, srv.url, admin);
    assert.match(await page.locator('tr[data-link="a"]').innerText(), /Needs action[\s\S]*conflict/);
    await page.getByRole('link', { name: 'Conflicts' }).first().click();
    const card = page.locator('article.conflict');
    await card.waitFor();
    const row = card.locator('tr', { has: page.locator('th', { hasText: /^summary$/ }) });
    assert.deepEqual(
      await row
        .locator('td')
        .allInnerTexts()
        .then((t) => t.slice(0, 3)),
      [XSS, 'From B', 'From A'],
    );
    await row.getByLabel('external').check();
    await card.getByRole('button', { name: 'Keep the fields chosen above' }).click();
    await page.getByText('No open conflicts.').waitFor();
    assert.equal((await api(srv.url, 'GET', '/api/v1/conflicts', { token: admin })).body.conflicts.length, 0);
    await until('the resolution reached b', () => fs.readFileSync(path.join(dir, 'b', bfile), 'utf8').includes('SUMMARY:From A'));
    await ctx.close();
  });

  it('signing out and revoking the token both end a session', async () => {
    const carol = apiToken(dir, 'carol', 'user');
    const first = await signIn(browser, srv.url, carol);
    await first.page.getByRole('button', { name: 'Sign out' }).click();
    await first.page.waitForURL(/\/signin/);
    await first.page.goto(srv.url + '/runs');
    await first.page.waitForURL(/\/signin/);
    await first.ctx.close();

    const second = await signIn(browser, srv.url, carol);
    const overview = async () => (await second.ctx.request.get(srv.url + '/api/v1/overview')).status();
    assert.equal(await overview(), 200, 'the session cookie works before the token is revoked');
    const list = await api(srv.url, 'GET', '/api/v1/tokens', { token: admin });
    const id = list.body.tokens.find((t: { userId: string }) => t.userId === 'carol').id;
    assert.equal((await api(srv.url, 'DELETE', `/api/v1/tokens/${id}`, { token: admin })).status, 204);
    // Asked with the browser's session cookie but outside the page: the page itself may already be
    // navigating to the sign-in form after one of its own requests was refused.
    assert.equal(await overview(), 401);
    await second.page.goto(srv.url + '/runs');
    await second.page.waitForURL(/\/signin/);
    await second.ctx.close();
  });

  it('manages connections and links: test a connection, disable and enable a link, create a connection', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin);
    await page.getByRole('link', { name: 'Connections & links' }).click();
    const conn = page.locator('li[data-connection="a"]');
    await conn.getByRole('button', { name: 'Test' }).click();
    await conn.getByText(/Test passed: \d+ item/).waitFor();
    const link = page.locator('li[data-link="b"]');
    await link.getByRole('button', { name: 'Disable' }).click();
    await link.getByText(/^Disabled/).waitFor();
    assert.equal((await api(srv.url, 'GET', '/api/v1/links/b', { token: admin })).body.enabled, false);
    await link.getByRole('button', { name: 'Enable' }).click();
    await link.getByText(/^Enabled/).waitFor();
    await page.getByLabel('Name').first().fill('made-here');
    await page.getByRole('button', { name: 'Create link' }).click();
    // The API's refusal is shown with its message.
    await page.getByRole('form', { name: 'New link' }).getByRole('alert').waitFor();
    const form = page.getByRole('form', { name: 'New connection' });
    await form.getByLabel('Name').fill('made-here');
    await form.getByRole('button', { name: 'Create connection' }).click();
    await page.locator('li[data-connection="made-here"]').waitFor();
    await ctx.close();
  });

  it('after sign-in, goes only to a page of this site', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${srv.url}/signin?next=${encodeURIComponent('/\\evil.example/')}`);
    await page.getByLabel('API token').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(page.url(), srv.url + '/');
    await ctx.close();
  });

  it('works at a phone width: the navigation and the overview fit', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin);
    await page.setViewportSize({ width: 375, height: 740 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await ctx.close();
  });
});
