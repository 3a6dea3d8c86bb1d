/**
 * The dashboard's office page end to end: `timebridge serve` as a subprocess with an
 * `attendance:` block of two offices on a Google emulator in this process, reservations
 * made through moffman's `POST /api/v1/reservations`, driven by headless Chromium. The
 * month view shows who is in on which day, pending and approved told apart in text; a
 * user with a read grant, and the person herself, are refused the approval with the API's
 * message and hint; an admin approves and the page and the API say approved; a user
 * without access sees no Offices entry. Screenshots go to TIMEBRIDGE_SCREENSHOTS like the journey's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createGoogleEmulator } from '../../../src/emulators/google/index.js';
import { DEMO_USER } from '../../../src/emulators/google/oauth.js';
import { api, startServe, tb, tempDir, type Served } from '../../support/serve.js';
import { apiToken, chromiumGate, launchChromium, SCREENSHOTS, signIn as openSignedIn } from '../../support/browser.js';
import { googleEmulatorConnection } from '../../support/google.js';

const SHOTS = SCREENSHOTS;
const PRAGUE = 'prague-office@group.calendar.google.com';
const BRNO = 'brno-office@group.calendar.google.com';

function person(dir: string, name: string, username: string): string {
  const fields = JSON.stringify({ name, username, email: `${username}@example.com` });
  const r = tb(dir, ['records', 'create', 'person', '--scope', 'office', '--json-fields', fields, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout).id;
}

const dayText = (page: Page, day: string) => page.locator(`tr[data-day="${day}"] td`).innerText();

const signIn = (browser: Browser, base: string, tok: string, to: string, width = 1280) =>
  openSignedIn(browser, base, tok, to, { width, height: 900, acceptDialogs: true });

describe('office page (headless Chromium against timebridge serve)', chromiumGate('office page'), () => {
  let dir: string, srv: Served, browser: Browser, google: ReturnType<typeof createGoogleEmulator>;
  let admin: string, ann: string, carl: string, dave: string, annPending: string;

  before(async () => {
    google = createGoogleEmulator({ seed: 21 });
    google.store.createCalendar(DEMO_USER, { id: PRAGUE, summary: 'Prague office', timeZone: 'UTC' });
    google.store.createCalendar(DEMO_USER, { id: BRNO, summary: 'Brno office', timeZone: 'UTC' });
    const gUrl = await google.listen();
    dir = tempDir('tb-offices-');
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'serve: { scheduler: false }',
        'store:',
        '  path: hub.sqlite',
        'connections:',
        '  google:',
        ...googleEmulatorConnection(gUrl),
        'links:',
        `  prague-office: { connection: google, scope: office, collection: "${PRAGUE}", externalKind: attendance, mapper: google-attendance, options: { office: prague } }`,
        `  brno-office: { connection: google, scope: office, collection: "${BRNO}", externalKind: attendance, mapper: google-attendance, options: { office: brno } }`,
        'attendance:',
        '  scope: office',
        '  offices:',
        `    - { id: prague, name: Prague, calendar: "${PRAGUE}", connection: google }`,
        `    - { id: brno, name: Brno, calendar: "${BRNO}", connection: google }`,
        '',
      ].join('\n'),
    );
    admin = apiToken(dir, 'root', 'admin');
    ann = apiToken(dir, 'ann', 'user');
    carl = apiToken(dir, 'carl', 'user');
    dave = apiToken(dir, 'dave', 'user');
    person(dir, 'Ann Novak', 'ann');
    person(dir, 'Ben Dvorak', 'ben');
    person(dir, 'Eva Brno', 'eva');
    srv = await startServe(dir);
    const grant = await api(srv.url, 'POST', '/api/v1/scopes/office/grants', { token: admin, body: { user: 'carl', access: 'read' } });
    assert.equal(grant.status, 200, grant.text);
    const reserve = async (email: string, office: string, start: string, end: string, approved: boolean) => {
      const r = await api(srv.url, 'POST', '/api/v1/reservations', {
        token: admin,
        body: { user: { name: email, email }, approved, start, end, request_dt: '09:00:00 2030/02/20', office_id: office },
      });
      assert.equal(r.status, 200, r.text);
      return r.body.id as string;
    };
    annPending = await reserve('ann@example.com', 'prague', '2030-03-04', '2030-03-06', false);
    await reserve('ben@example.com', 'prague', '2030-03-05', '2030-03-06', true);
    await reserve('eva@example.com', 'brno', '2030-03-04', '2030-03-05', true);
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await srv?.stop();
    await google?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the Offices entry leads to an office’s month: who is in on which day, pending and approved in words', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Offices' }).click();
    await page.getByText('Choose an office to see who is in.').waitFor();
    await page.getByLabel('Office').selectOption('prague');
    await page.waitForURL(/\/offices\/prague\?month=\d{4}-\d{2}$/);
    await page.goto(srv.url + '/offices/prague?month=2030-03');
    await page.getByRole('heading', { name: /Prague, March 2030/ }).waitFor();
    assert.equal((await dayText(page, '2030-03-03')).trim(), 'nobody');
    assert.match(await dayText(page, '2030-03-04'), /^Ann Novak pending$/);
    const fifth = await dayText(page, '2030-03-05');
    assert.match(fifth, /Ann Novak pending/);
    assert.match(fifth, /Ben Dvorak approved/);
    assert.equal((await dayText(page, '2030-03-06')).trim(), 'nobody', 'moffman’s end is exclusive');
    assert.doesNotMatch(await page.locator('table.attendance').innerText(), /Eva/, 'Brno’s reservation stays out of Prague');
    assert.match(await page.locator('[data-request]').innerText(), /Ann Novak: 2030-03-04 to 2030-03-05/);
    await page.getByRole('button', { name: 'Previous month' }).click();
    await page.waitForURL(/month=2030-02$/);
    await page.getByText('Nobody has a reservation for Prague in February 2030.').waitFor();
    await page.getByRole('button', { name: 'Next month' }).click();
    await page.getByRole('heading', { name: /Prague, March 2030/ }).waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'offices-month.png'), fullPage: true });
    await ctx.close();
  });

  it('a user with a read grant sees the month but the API refuses the approval, and the page says so', async () => {
    const { ctx, page } = await signIn(browser, srv.url, carl, '/offices/prague?month=2030-03');
    await page.getByRole('button', { name: 'Approve Ann Novak' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /may read reservation .* but not change it[\s\S]*AUTH_FORBIDDEN[\s\S]*scope owner and admins/);
    const r = await api(srv.url, 'GET', `/api/v1/records/reservation/${annPending}`, { token: admin });
    assert.equal(r.body.fields.state, 'pending');
    await ctx.close();
  });

  it('the person herself sees her own request but may not approve it', async () => {
    const { ctx, page } = await signIn(browser, srv.url, ann, '/offices/prague?month=2030-03');
    assert.match(await dayText(page, '2030-03-04'), /^Ann Novak pending$/);
    assert.doesNotMatch(await page.locator('table.attendance').innerText(), /Ben/, 'she sees only her own reservations');
    await page.getByRole('button', { name: 'Approve Ann Novak' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /only admins and the owner of scope office approve or reject a reservation[\s\S]*AUTH_FORBIDDEN/);
    await ctx.close();
  });

  it('an admin approves a pending request: the page and the API say approved', async () => {
    const { ctx, page } = await signIn(browser, srv.url, admin, '/offices/prague?month=2030-03', 390);
    await page.getByRole('button', { name: 'Approve Ann Novak' }).click();
    await page.getByText('No pending requests for Prague in March 2030.').waitFor();
    assert.match(await dayText(page, '2030-03-04'), /^Ann Novak approved$/);
    const r = await api(srv.url, 'GET', `/api/v1/records/reservation/${annPending}`, { token: admin });
    assert.equal(r.body.fields.state, 'approved');
    await page.screenshot({ path: path.join(SHOTS, 'offices-approved-phone.png'), fullPage: true });
    await ctx.close();
  });

  it('a user without access to the attendance scope has no Offices entry and is told why', async () => {
    const { ctx, page } = await signIn(browser, srv.url, dave, '/offices');
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').innerText(), /office attendance is not available to you/);
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Offices' }).count(), 0);
    await ctx.close();
  });
});
