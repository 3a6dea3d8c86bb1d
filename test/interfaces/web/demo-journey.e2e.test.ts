/**
 * A new user's journey through the dashboard, end to end: `timebridge demo --serve` (what
 * `npm start` runs) as a subprocess, its printed URL and tokens, driven by headless
 * Chromium. The admin signs in, sees the overview, plans and applies a link, undoes that
 * run, resolves a conflict; Kimai's demo user anna starts and stops a timer, books an
 * imported Google event from the to-book page and submits her month, which the admin
 * locks; anna's own link stays hidden from ben. Every page is saved as a PNG in
 * TIMEBRIDGE_SCREENSHOTS (default test-artifacts/screenshots/, CI keeps them); with
 * TIMEBRIDGE_UPDATE_DOCS_SCREENSHOTS=1 they also replace the ones in docs/dashboard/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { api, ROOT, startCli, tb, tempDir, until, type Served } from '../../support/serve.js';
import { chromiumGate, launchChromium, SCREENSHOTS, signIn as openSignedIn } from '../../support/browser.js';

const SHOTS = SCREENSHOTS;
const DOCS_SHOTS = process.env.TIMEBRIDGE_UPDATE_DOCS_SCREENSHOTS === '1' ? path.join(ROOT, 'docs', 'dashboard') : null;
/** The pages docs/dashboard.md shows (about 75 KB each: the committed set stays near half a megabyte). */
const IN_DOCS = new Set(['01-sign-in', '02-overview', '03-plan', '06-conflict', '08-week', '09-to-book', '11-timesheet-locked']);

/** The page as it is now, 1280×800, into the artifacts folder (and docs/dashboard/ when asked). */
async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => document.fonts.ready);
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  if (DOCS_SHOTS && IN_DOCS.has(name)) fs.copyFileSync(file, path.join(DOCS_SHOTS, `${name}.png`));
}

/** Replace an .ics file's SUMMARY line (and its folded continuation lines). */
function setSummary(file: string, summary: string): void {
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace(/SUMMARY:[^\r\n]*(\r?\n [^\r\n]*)*/, `SUMMARY:${summary}`));
}

/** The file of a folder that holds the event with this UID (the hub names the files it writes). */
function fileOf(folder: string, uid: string): string {
  const name = fs.readdirSync(folder).find((f) => fs.readFileSync(path.join(folder, f), 'utf8').includes(`UID:${uid}`));
  assert.ok(name, `no file in ${folder} holds ${uid}`);
  return path.join(folder, name);
}

const signIn = (browser: Browser, base: string, tok: string, to: string) => openSignedIn(browser, base, tok, to, { acceptDialogs: true });

describe('the demo journey (headless Chromium against timebridge demo --serve)', chromiumGate('demo journey'), () => {
  let parent: string, dir: string, srv: Served, browser: Browser, admin: string, anna: string, annaId: string;
  const month = new Date().toISOString().slice(0, 7);

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    parent = tempDir('tb-journey-');
    dir = path.join(parent, 'demo');
    srv = await startCli(['demo', '--serve', '--no-schedule', '--dir', dir, '--port', '0'], {
      cwd: parent,
      ready: /dashboard:\s+(http:\/\/\S+)\/ /,
      timeoutMs: 60_000,
    });
    const printed = await until('the demo prints both tokens', () => /admin token:\s+(tb_\S+)[\s\S]*user token:\s+(tb_\S+)/.exec(srv.stdout()));
    [admin, anna] = [printed[1]!, printed[2]!];
    const me = await api(srv.url, 'GET', '/api/v1/me/persons', { token: anna });
    const inHours = me.body.persons.find((p: { scope: string }) => p.scope === 'hours');
    assert.ok(inHours, `anna is a person of scope hours: ${JSON.stringify(me.body)}`);
    annaId = inHours.id;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('npm start prints the dashboard and how to sign in; the sign-in page takes the admin token to the overview', async () => {
    assert.match(srv.stdout(), /user token:\s+tb_\S+\s+\(anna, a person of scope hours/);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(srv.url + '/');
    await page.waitForURL(/\/signin\?next=%2F$/);
    await page.getByLabel('API token').waitFor();
    await shot(page, '01-sign-in');
    await page.getByLabel('API token').fill(admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    for (const l of ['work', 'phone', 'google-hours', 'kimai-timesheets']) await page.locator(`tr[data-link="${l}"]`).waitFor();
    assert.match(await page.locator('tr[data-link="work"]').innerText(), /All good/);
    await shot(page, '02-overview');
    await ctx.close();
  });

  let runId = '';
  it('plans a link after a calendar edit, applies exactly that plan, and shows the run with its diff', async () => {
    setSummary(path.join(dir, 'calendars', 'work', 'review.ics'), 'Quarterly review, moved to the big room');
    const { ctx, page } = await signIn(browser, srv.url, admin, '/plan/work');
    await page.getByRole('heading', { name: 'Plan for work' }).waitFor();
    await page.getByRole('button', { name: 'Make a plan' }).click();
    const plan = page.getByRole('region', { name: 'Plan' });
    await plan.waitFor();
    assert.match(await plan.innerText(), /pull-update/);
    assert.match(await plan.innerText(), /moved to the big room/);
    await shot(page, '03-plan');
    await page.getByRole('button', { name: 'Apply this plan' }).click();
    await page.waitForURL(/\/runs\/[^/]+$/);
    await page.locator('.run-status').waitFor();
    assert.equal(await page.locator('.run-status').innerText(), 'ok');
    const summary = page.locator('table.diff tr', { has: page.locator('th', { hasText: /^summary$/ }) }).first();
    assert.equal(await summary.locator('td.after').innerText(), 'Quarterly review, moved to the big room');
    runId = new URL(page.url()).pathname.split('/').pop()!;
    await until('the phone folder has the new summary', () =>
      fs.readFileSync(fileOf(path.join(dir, 'calendars', 'phone'), 'review@demo.timebridge'), 'utf8').includes('moved to the big room'),
    );
    await shot(page, '04-run');
    await ctx.close();
  });

  it('undoes that run from its page: the hub and both folders have the old summary again', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin, `/runs/${runId}`);
    await page.getByRole('button', { name: 'Undo this run' }).click();
    const status = page.getByRole('status').filter({ hasText: /Restored \d+ record/ });
    await status.waitFor();
    assert.match(await status.innerText(), /Restored 1 record\(s\); \d+ sync\(s\) queued/);
    await status.scrollIntoViewIfNeeded();
    await shot(page, '05-undo');
    for (const folder of ['work', 'phone'])
      await until(`${folder} has the old summary back`, () =>
        fs.readFileSync(fileOf(path.join(dir, 'calendars', folder), 'review@demo.timebridge'), 'utf8').includes('SUMMARY:Quarterly review 📈'),
      );
    await ctx.close();
  });

  it('resolves a conflict: the same event changed differently in both folders', async () => {
    setSummary(fileOf(path.join(dir, 'calendars', 'work'), 'dentist@phone.example'), 'Dentist (work copy)');
    setSummary(path.join(dir, 'calendars', 'phone', 'dentist.ics'), 'Dentist, Dr. Weiß');
    for (const l of ['phone', 'work']) await api(srv.url, 'POST', `/api/v1/links/${l}/sync?wait=true`, { token: admin, body: {} });
    assert.equal((await api(srv.url, 'GET', '/api/v1/conflicts', { token: admin })).body.conflicts.length, 1);

    const { ctx, page } = await signIn(browser, srv.url, admin, '/');
    assert.match(await page.locator('tr[data-link="work"]').innerText(), /Needs action[\s\S]*conflict/);
    await page.getByRole('link', { name: 'Conflicts' }).first().click();
    const card = page.locator('article.conflict');
    await card.waitFor();
    const row = card.locator('tr', { has: page.locator('th', { hasText: /^summary$/ }) });
    // Base, hub (phone synced first), external (work).
    const sides = (await row.locator('td').allInnerTexts()).slice(0, 3);
    assert.deepEqual(sides, ['Dentist', 'Dentist, Dr. Weiß', 'Dentist (work copy)']);
    await shot(page, '06-conflict');
    await card.getByRole('button', { name: "Keep the hub's version" }).click();
    await page.getByText('No open conflicts.').waitFor();
    await until('the hub’s version reached the work folder', () =>
      fs.readFileSync(fileOf(path.join(dir, 'calendars', 'work'), 'dentist@phone.example'), 'utf8').includes('SUMMARY:Dentist, Dr. Weiß'),
    );
    await ctx.close();
  });

  it('anna starts and stops a timer and sees the entry in her week', async () => {
    const { ctx, page } = await signIn(browser, srv.url, anna, '/records?scope=hours');
    const timer = page.getByRole('region', { name: 'Timer' });
    await timer.getByText('No timer is running.').waitFor();
    await timer.getByLabel('What are you working on?').fill('Release notes');
    await timer.getByLabel('Project').selectOption({ label: 'Website' });
    await timer.getByRole('button', { name: 'Start timer' }).click();
    await timer.getByText(/Running since .*: Release notes/).waitFor();
    await shot(page, '07-timer-running');
    await timer.getByRole('button', { name: 'Stop timer' }).click();
    await timer.getByText('No timer is running.').waitFor();
    const row = page.getByRole('region', { name: 'Week' }).locator('tr', { hasText: 'Release notes' });
    await row.waitFor();
    assert.match(await row.innerText(), /Website/);
    await shot(page, '08-week');
    await ctx.close();
  });

  it('anna books an imported Google event from the to-book page; the review was booked by a rule', async () => {
    const { ctx, page } = await signIn(browser, srv.url, anna, '/to-book?scope=hours');
    const rows = page.locator('tr[data-entry]', { hasText: 'stand-up' });
    await rows.first().waitFor();
    const main = await page.locator('main').innerText();
    assert.ok(!main.includes('Project review'), `the rule "reviews" booked the review: ${main}`);
    const waiting = await rows.count();
    const entry = (await rows.first().getAttribute('data-entry'))!;
    assert.match(await rows.first().innerText(), /project, activity/);
    await shot(page, '09-to-book');
    await rows.first().getByRole('link', { name: /Book…/ }).click();
    await page.waitForURL(/\/records\/entry\//);
    const book = page.getByRole('group', { name: 'Book on a project' });
    await book.getByLabel('Project').selectOption({ label: 'Website' });
    await book.getByLabel('Activity').selectOption({ label: 'Meeting' });
    await book.getByRole('button', { name: 'Book' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const booked = page.getByRole('region', { name: 'History' }).locator('tr', { has: page.locator('th', { hasText: /^projectId$/ }) });
    // The page names the project once it has read the scope's projects: wait for the name, not the row alone.
    await booked
      .first()
      .locator('td.after', { hasText: /^Website$/ })
      .waitFor();
    await shot(page, '10-entry');
    await page.goto(srv.url + '/to-book?scope=hours');
    await page.locator('table, .empty').first().waitFor();
    await until('the other stand-ups still wait', async () => (await page.locator('tr[data-entry]', { hasText: 'stand-up' }).count()) === waiting - 1);
    assert.equal(await page.locator(`tr[data-entry="${entry}"]`).count(), 0);
    await ctx.close();
  });

  it('anna submits her month; the admin locks it', async () => {
    const mine = await signIn(browser, srv.url, anna, '/timesheets?scope=hours');
    await mine.page.getByText(/State: Draft/).waitFor();
    assert.match(await mine.page.locator('main').innerText(), /Release notes/);
    await mine.page.getByRole('button', { name: 'Submit month' }).click();
    await mine.page.locator('.sheet-state', { hasText: 'Submitted' }).waitFor();
    await mine.ctx.close();

    const root = await signIn(browser, srv.url, admin, `/timesheets?scope=hours&person=${annaId}`);
    await root.page.locator('.sheet-state', { hasText: 'Submitted' }).waitFor();
    await root.page.getByRole('button', { name: 'Lock month' }).click();
    await root.page.getByRole('status').filter({ hasText: 'Locked 1 submitted timesheet' }).waitFor();
    await root.page.locator('.sheet-state', { hasText: 'Locked' }).waitFor();
    await shot(root.page, '11-timesheet-locked');
    await root.ctx.close();
    const sheet = await api(srv.url, 'GET', `/api/v1/timesheets?scope=hours&month=${month}`, { token: anna });
    assert.equal(sheet.body.state, 'exported');
  });

  it('anna’s own link is hers: ben, another demo user, does not see it', async () => {
    fs.mkdirSync(path.join(dir, 'users', 'anna', 'cal'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'users', 'anna', 'cal', 'gym.ics'),
      ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', 'BEGIN:VEVENT', 'UID:gym@anna', 'DTSTAMP:20261101T000000Z', 'SUMMARY:Gym']
        .concat(['DTSTART:20261208T170000Z', 'DTEND:20261208T180000Z', 'END:VEVENT', 'END:VCALENDAR', ''])
        .join('\r\n'),
    );
    const conn = await api(srv.url, 'POST', '/api/v1/connections', { token: anna, body: { name: 'anna-cal', type: 'ics-folder', settings: { path: 'cal' } } });
    assert.equal(conn.status, 201, conn.text);
    const link = await api(srv.url, 'POST', '/api/v1/links', {
      token: anna,
      body: { name: 'anna-link', config: { connection: 'anna-cal', scope: 'anna-private' } },
    });
    assert.equal(link.status, 201, link.text);
    const run = await api(srv.url, 'POST', '/api/v1/links/anna-link/sync?wait=true', { token: anna, body: {} });
    assert.equal(run.body.result?.status, 'ok', JSON.stringify(run.body));

    const own = await signIn(browser, srv.url, anna, '/');
    await own.page.locator('tr[data-link="anna-link"]').waitFor();
    await own.ctx.close();

    const created = tb(dir, ['token', 'create', '--user', 'ben', '--role', 'user']);
    assert.equal(created.code, 0, created.stderr);
    const { ctx, page } = await signIn(browser, srv.url, created.stdout.trim(), '/');
    await page.locator('tr[data-link="work"]').waitFor();
    assert.equal(await page.locator('tr[data-link="anna-link"]').count(), 0);
    await page.goto(`${srv.url}/runs/${run.body.result.runId}`);
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /no run with id/);
    await page.goto(`${srv.url}/runs`);
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.locator('table, .empty').first().waitFor();
    assert.ok(!(await page.locator('main').innerText()).includes('anna-link'));
    await shot(page, '12-runs-as-ben');
    await ctx.close();
  });
});
