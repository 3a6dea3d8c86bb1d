/**
 * The dashboard's records pages end to end: `timebridge serve` as a subprocess, its scope's
 * projects and activities pulled from a Kimai emulator in this process, persons made with
 * `timebridge records create person`, driven by headless Chromium. A user starts and stops
 * the timer and sees the entry in the week, edits it, books a waiting entry from the to-book
 * page, submits the month; an admin locks it and the edit then shows PERIOD_LOCKED with its
 * hint; another user sees none of it; the history shows the API's changes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { createKimaiEmulator } from '../../../src/emulators/kimai/index.js';
import { emptyData, newActivity, newCustomer, newProject, newUser } from '../../../src/emulators/kimai/kimai-data.js';
import { api, startServe, tb, tempDir, until, type Served } from '../../support/serve.js';
import { apiToken, chromiumGate, launchChromium, signIn as openSignedIn } from '../../support/browser.js';

const KIMAI_TOKEN = 'kimai-records-admin-token-0123456789';

function person(dir: string, username: string): string {
  const fields = JSON.stringify({ name: username[0]!.toUpperCase() + username.slice(1), username, timeZone: 'UTC' });
  const r = tb(dir, ['records', 'create', 'person', '--scope', 'work', '--json-fields', fields, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout).id;
}

function kimai() {
  const data = emptyData();
  newUser(data, { username: 'admin', timezone: 'UTC', admin: true, apiToken: KIMAI_TOKEN, apiPassword: 'admin-api-password' });
  newProject(data, 'Website', newCustomer(data, 'Acme'));
  newActivity(data, 'Design', null);
  return createKimaiEmulator({ data });
}

const today = () => new Date().toISOString().slice(0, 10);

const signIn = (browser: Browser, base: string, tok: string, to: string) => openSignedIn(browser, base, tok, to, { acceptDialogs: true });

describe('records pages (headless Chromium against timebridge serve)', chromiumGate('records pages'), () => {
  let dir: string, srv: Served, browser: Browser, emu: ReturnType<typeof kimai>;
  let admin: string, alice: string, bob: string, aliceId: string, entryId: string, waitingId: string;

  before(async () => {
    emu = kimai();
    const url = await emu.listen();
    dir = tempDir('tb-records-');
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'store:',
        '  path: hub.sqlite',
        'connections:',
        `  kimai: { type: kimai, url: "${url}", token: ${KIMAI_TOKEN}, timeZone: UTC }`,
        'links:',
        '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
        '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
        '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
        '',
      ].join('\n'),
    );
    admin = apiToken(dir, 'root', 'admin');
    alice = apiToken(dir, 'alice', 'user');
    bob = apiToken(dir, 'bob', 'user');
    aliceId = person(dir, 'alice');
    person(dir, 'bob');
    srv = await startServe(dir);
    for (const l of ['kimai-customers', 'kimai-projects', 'kimai-activities']) {
      const run = await api(srv.url, 'POST', `/api/v1/links/${l}/sync?wait=true`, { token: admin, body: {} });
      assert.equal(run.body.result?.status, 'ok', `${l}: ${JSON.stringify(run.body)}`);
    }
    // An entry an import brought in without a project: it waits to be booked.
    const waiting = await api(srv.url, 'POST', '/api/v1/records/timeEntry?scope=work', {
      token: admin,
      body: { fields: { date: today(), personId: aliceId, durationSeconds: 1800, description: 'Unbooked call' } },
    });
    assert.equal(waiting.status, 201, JSON.stringify(waiting.body));
    waitingId = waiting.body.id;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    await emu?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without a session the records pages lead to the sign-in page', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    for (const p of ['/records', '/records/entry/x', '/tasks', '/timesheets', '/to-book']) {
      await page.goto(srv.url + p);
      assert.equal(new URL(page.url()).pathname, '/signin', p);
    }
    await ctx.close();
  });

  it('a user who is no person anywhere picks a scope and is told how to become one', async () => {
    const carol = apiToken(dir, 'carol', 'user');
    const { ctx, page } = await signIn(browser, srv.url, carol, '/records');
    await page.getByText('Pick a scope').waitFor();
    await page.getByLabel('Scope', { exact: true }).fill('work');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/\/records\?scope=work$/);
    // The page answers after its API call: wait for the answer, not for the URL alone.
    await page.getByText(/You are no person in scope work/).waitFor();
    assert.match(await page.locator('main').innerText(), /You are no person in scope work[\s\S]*username "carol"/);
    await ctx.close();
  });

  it('a user starts and stops the timer and sees the entry in the week, with its day total', async () => {
    // Her only scope as a person is picked for her (she has no grant on it).
    const { ctx, page } = await signIn(browser, srv.url, alice, '/records');
    await until('the scope she is a person in', async () => (await page.getByLabel('Scope', { exact: true }).inputValue()) === 'work');
    assert.deepEqual(await page.locator('#scope-list option').evaluateAll((o) => o.map((e) => (e as HTMLOptionElement).value)), ['work']);
    const timer = page.getByRole('region', { name: 'Timer' });
    await timer.getByText('No timer is running.').waitFor();
    await timer.getByLabel('What are you working on?').fill('Writing the spec');
    await timer.getByLabel('Project').selectOption({ label: 'Website' });
    await timer.getByRole('button', { name: 'Start timer' }).click();
    await timer.getByText(/Running since .*: Writing the spec/).waitFor();
    assert.equal((await api(srv.url, 'GET', '/api/v1/timers/current?scope=work', { token: alice })).body.running, true);
    await timer.getByRole('button', { name: 'Stop timer' }).click();
    await timer.getByText('No timer is running.').waitFor();
    const week = page.getByRole('region', { name: 'Week' });
    const row = week.locator('tr', { hasText: 'Writing the spec' });
    await row.waitFor();
    assert.match(await row.innerText(), /Website/);
    const day = week.locator(`tbody[data-day="${today()}"]`);
    assert.match(await day.locator('.day-total').innerText(), /^\d+:\d\d$/);
    assert.match(await week.innerText(), /Unbooked call[\s\S]*to book|to book[\s\S]*Unbooked call/);
    // The start is a <time> in the viewer's zone, the entry's zone on hover.
    assert.match((await row.locator('time').getAttribute('title')) ?? '', /\(UTC\)$/);
    entryId = (await row.getAttribute('data-entry'))!;
    assert.ok(entryId);
    await ctx.close();
  });

  it('edits the entry against its version, and the history shows the API changes', async () => {
    const { ctx, page } = await signIn(browser, srv.url, alice, `/records/entry/${entryId}`);
    const form = page.getByRole('form', { name: 'Edit entry' });
    await form.getByLabel('Description').fill('Wrote the spec');
    await form.getByLabel('Duration (minutes)').fill('90');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const rec = await api(srv.url, 'GET', `/api/v1/records/timeEntry/${entryId}`, { token: alice });
    assert.equal(rec.body.fields.description, 'Wrote the spec');
    assert.equal(rec.body.fields.durationSeconds, 5400);
    const history = page.getByRole('region', { name: 'History' });
    const latest = history.locator(`li[data-version="${rec.body.version}"]`);
    await latest.waitFor();
    assert.match(await latest.innerText(), /update by alice via the API/);
    const change = latest.locator('tr', { has: page.locator('th', { hasText: /^description$/ }) });
    assert.equal(await change.locator('td.before').innerText(), 'Writing the spec');
    assert.equal(await change.locator('td.after').innerText(), 'Wrote the spec');
    assert.match(await history.innerText(), /create by alice via the API/);

    // A stale version: someone else changed it since the page read it.
    const patched = await api(srv.url, 'PATCH', `/api/v1/records/timeEntry/${entryId}`, {
      token: admin,
      headers: { 'if-match': `"${rec.body.version}"` },
      body: { fields: { billable: true } },
    });
    assert.equal(patched.status, 200, patched.text);
    await form.getByLabel('Description').fill('Wrote the spec twice');
    await form.getByRole('button', { name: 'Save' }).click();
    const alert = form.getByRole('alert').first();
    await alert.waitFor();
    assert.match(await alert.innerText(), /RESOURCE_CONFLICT[\s\S]*reload/);
    await alert.getByRole('button', { name: 'Reload' }).click();
    await until('the reloaded version shows the other change', () => page.getByRole('form', { name: 'Edit entry' }).getByLabel('Billable').isChecked());
    assert.equal(await page.getByRole('form', { name: 'Edit entry' }).getByLabel('Description').inputValue(), 'Wrote the spec');

    // Split it: the first 60 minutes stay, the other 30 become a new entry; then delete that one.
    const split = page.getByRole('form', { name: 'Split entry' });
    await split.getByLabel(/Minutes in the first part/).fill('60');
    await split.getByRole('button', { name: 'Split' }).click();
    await page.getByRole('status').filter({ hasText: 'Split in two.' }).waitFor();
    const listed = await api(srv.url, 'GET', `/api/v1/records/timeEntry?scope=work&personId=${aliceId}`, { token: alice });
    const parts = listed.body.items.filter((e: { fields: { description: string } }) => e.fields.description === 'Wrote the spec');
    assert.deepEqual(parts.map((e: { fields: { durationSeconds: number } }) => e.fields.durationSeconds).sort(), [1800, 3600]);
    const second = parts.find((e: { id: string }) => e.id !== entryId);
    await page.goto(`${srv.url}/records/entry/${second.id}`);
    await page.getByRole('button', { name: 'Delete entry' }).click();
    await page.waitForURL(/\/records\?scope=work$/);
    await page.getByRole('region', { name: 'Week' }).locator('tr', { hasText: 'Wrote the spec' }).waitFor();
    assert.equal(await page.getByRole('region', { name: 'Week' }).locator('tr', { hasText: 'Wrote the spec' }).count(), 1);
    assert.equal((await api(srv.url, 'GET', `/api/v1/records/timeEntry/${second.id}`, { token: alice })).body.deleted, true);
    await ctx.close();
  });

  it('books a waiting entry from the to-book page onto a project and activity', async () => {
    const { ctx, page } = await signIn(browser, srv.url, alice, '/to-book?scope=work');
    const row = page.locator(`tr[data-entry="${waitingId}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Unbooked call[\s\S]*project, activity[\s\S]*none/);
    assert.equal(await page.getByRole('button', { name: 'Apply rules' }).count(), 0, 'a user who does not own the scope applies no rules');
    await row.getByRole('link', { name: /Book…/ }).click();
    await page.waitForURL(/\/records\/entry\//);
    const book = page.getByRole('group', { name: 'Book on a project' });
    await book.getByLabel('Project').selectOption({ label: 'Website' });
    await book.getByLabel('Activity').selectOption({ label: 'Design' });
    await book.getByRole('button', { name: 'Book' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const rec = await api(srv.url, 'GET', `/api/v1/records/timeEntry/${waitingId}`, { token: alice });
    assert.ok(rec.body.fields.projectId && rec.body.fields.activityId, JSON.stringify(rec.body.fields));
    // The history names the project the entry was booked on.
    const booked = page.getByRole('region', { name: 'History' }).locator(`li[data-version="${rec.body.version}"]`);
    // The page names the project once it has read the scope's projects: wait for the name, not the row alone.
    await booked
      .locator('tr', { has: page.locator('th', { hasText: /^projectId$/ }) })
      .locator('td.after', { hasText: /^Website$/ })
      .waitFor();
    await page.goto(srv.url + '/to-book?scope=work');
    await page.locator('table, .empty').first().waitFor();
    assert.equal(await page.locator(`tr[data-entry="${waitingId}"]`).count(), 0);
    await ctx.close();
  });

  it('another user sees none of her entries in the week, nor the entry itself', async () => {
    const me = await api(srv.url, 'GET', '/api/v1/me/persons', { token: bob });
    assert.deepEqual(
      me.body.persons.map((p: { scope: string; name: string }) => [p.scope, p.name]),
      [['work', 'Bob']],
    );
    const { ctx, page } = await signIn(browser, srv.url, bob, `/records?scope=work&person=${aliceId}`);
    await page.getByText('Person: ').waitFor();
    assert.match(await page.getByText('Person: ').innerText(), /Bob/);
    await page.getByText('No time entries this week.').waitFor();
    const text = await page.locator('main').innerText();
    assert.ok(!text.includes('Wrote the spec') && !text.includes('Unbooked call'), text);
    await page.goto(`${srv.url}/records/entry/${entryId}`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /no hub record/);
    await ctx.close();
  });

  it('submits the month; an admin locks it; then an edit shows PERIOD_LOCKED with its hint', async () => {
    const month = today().slice(0, 7);
    const mine = await signIn(browser, srv.url, alice, '/timesheets?scope=work');
    await mine.page.getByText(/State: Draft/).waitFor();
    assert.match(await mine.page.locator('main').innerText(), /Wrote the spec/);
    await mine.page.getByRole('button', { name: 'Submit month' }).click();
    await mine.page.locator('.sheet-state', { hasText: 'Submitted' }).waitFor();
    assert.equal(await mine.page.getByRole('button', { name: 'Lock month' }).count(), 0, 'only admins lock');

    const root = await signIn(browser, srv.url, admin, `/timesheets?scope=work&person=${aliceId}`);
    await root.page.locator('.sheet-state', { hasText: 'Submitted' }).waitFor();
    await root.page.getByRole('button', { name: 'Lock month' }).click();
    await root.page.getByRole('status').filter({ hasText: 'Locked 1 submitted timesheet' }).waitFor();
    await root.page.locator('.sheet-state', { hasText: 'Locked' }).waitFor();
    await root.ctx.close();
    const sheet = await api(srv.url, 'GET', `/api/v1/timesheets?scope=work&month=${month}`, { token: alice });
    assert.equal(sheet.body.state, 'exported');

    await mine.page.goto(`${srv.url}/records/entry/${entryId}`);
    const form = mine.page.getByRole('form', { name: 'Edit entry' });
    await form.getByLabel('Description').fill('Too late');
    await form.getByRole('button', { name: 'Save' }).click();
    const alert = form.getByRole('alert').first();
    await alert.waitFor();
    const text = await alert.innerText();
    assert.match(text, /PERIOD_LOCKED/);
    assert.ok(text.split('\n').length > 1, `the hint follows the message: ${text}`);
    await mine.ctx.close();
  });

  it('lists, creates and moves tasks; the pages fit a phone and are keyboard reachable', async () => {
    const { ctx, page } = await signIn(browser, srv.url, alice, '/tasks?scope=work');
    await page.getByText(/No tasks/).waitFor();
    const form = page.getByRole('form', { name: 'New task' });
    await form.getByLabel('Key').fill('WEB-1');
    await form.getByLabel('Summary').fill('Fix the <b>header</b>');
    await form.getByRole('button', { name: 'Create task' }).click();
    const row = page.locator('tr', { hasText: 'WEB-1' });
    await row.waitFor();
    assert.match(await row.innerText(), /Fix the <b>header<\/b>/);
    await row.getByLabel('State of WEB-1').selectOption('done');
    await until('the task is done', async () => {
      const tasks = await api(srv.url, 'GET', '/api/v1/records/task?scope=work', { token: alice });
      return tasks.body.items.some((t: { fields: { key: string; state?: string } }) => t.fields.key === 'WEB-1' && t.fields.state === 'done');
    });
    await page.getByLabel('State', { exact: true }).selectOption('done');
    await page.locator('tr', { hasText: 'WEB-1' }).waitFor();
    await page.getByLabel('State', { exact: true }).selectOption('todo');
    await page.getByText('No tasks in state todo.').waitFor();

    await page.setViewportSize({ width: 375, height: 740 });
    for (const p of ['/records?scope=work', `/records/entry/${entryId}`, '/timesheets?scope=work', '/to-book?scope=work', '/tasks?scope=work']) {
      await page.goto(srv.url + p);
      await page.locator('main h1').waitFor();
      await page.locator('main table, main .empty, main form[aria-label="Edit entry"]').first().waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .map((e) => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)
          .slice(0, 8),
      );
      assert.ok(overflow <= 0, `${p} is ${overflow}px wider than the phone: ${wide.join(', ')}`);
    }
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await ctx.close();
  });
});
