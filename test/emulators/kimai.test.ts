/**
 * Fidelity of the Kimai emulator to api-contracts §1: auth answers, date formats and
 * zones, rounding, paging headers, list filters, the exported lock, form errors, status
 * codes, faults in Kimai's error shape, and the demo data set.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createKimaiEmulator, type KimaiEmulator } from '../../src/emulators/kimai/index.js';
import { ADMIN_TOKEN, USER_TOKEN, testData } from '../connectors/kimai/kimai-fixture.js';

let clock = Date.UTC(2026, 2, 10, 12, 0, 0);
let emu: KimaiEmulator;
let base: string;

async function call(
  method: string,
  path: string,
  opts: { token?: string | null; headers?: Record<string, string>; body?: unknown } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any; text: string; headers: Headers }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* empty or not JSON */
  }
  return { status: res.status, body, text, headers: res.headers };
}

async function sheet(body: Record<string, unknown>, token = ADMIN_TOKEN) {
  const r = await call('POST', '/api/timesheets', { token, body: { project: 20, activity: 31, ...body } });
  assert.equal(r.status, 200, r.text);
  return r.body;
}

describe('Kimai emulator', () => {
  before(async () => {
    emu = createKimaiEmulator({ data: testData(), now: () => clock });
    base = await emu.listen();
  });
  after(async () => {
    await emu.close();
  });
  beforeEach(() => {
    emu.data().timesheets = [];
    emu.faults.clear();
    emu.settings.maxPageSize = 500;
  });

  it('answers auth failures exactly as Kimai does', async () => {
    assert.deepEqual((await call('GET', '/api/ping', { token: null })).body, { code: 401, message: 'Unauthorized' });
    const bad = await call('GET', '/api/ping', { token: 'nope' });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    const noUser = await call('GET', '/api/ping', { token: null, headers: { 'x-auth-token': 'x' } });
    assert.deepEqual([noUser.status, noUser.body], [403, { message: 'Authentication required, missing user header: X-AUTH-USER' }]);
    const ok = await call('GET', '/api/ping', { token: null, headers: { 'x-auth-user': 'anna', 'x-auth-token': 'anna-pass' } });
    assert.deepEqual([ok.status, ok.body], [200, { message: 'pong' }]);
    const wrong = await call('GET', '/api/ping', { token: null, headers: { 'x-auth-user': 'anna', 'x-auth-token': 'wrong' } });
    assert.deepEqual([wrong.status, wrong.body], [403, { message: 'Invalid credentials' }]);
    for (let i = 0; i < 5; i++) await call('GET', '/api/ping', { token: null, headers: { 'x-auth-user': 'anna', 'x-auth-token': 'wrong' } });
    const blocked = await call('GET', '/api/ping', { token: null, headers: { 'x-auth-user': 'anna', 'x-auth-token': 'anna-pass' } });
    assert.equal(blocked.status, 400);
    assert.equal(blocked.body.message, 'Too many API requests with invalid username. Possible attack?');
    clock += 61_000; // the limit is per minute
    assert.equal((await call('GET', '/api/ping', { token: null, headers: { 'x-auth-user': 'anna', 'x-auth-token': 'anna-pass' } })).status, 200);
  });

  it('answers ping and version', async () => {
    assert.deepEqual((await call('GET', '/api/ping')).body, { message: 'pong' });
    const v = (await call('GET', '/api/version')).body;
    assert.deepEqual(Object.keys(v).sort(), ['copyright', 'version', 'versionId']);
  });

  it("reads local input in the caller's zone, writes Y-m-d\\TH:i:sO without a colon, and rounds to the minute", async () => {
    const a = await sheet({ begin: '2026-03-02T14:35:59', end: '2026-03-02 15:29:04' });
    assert.equal(a.begin, '2026-03-02T14:35:00+0100');
    assert.equal(a.end, '2026-03-02T15:30:00+0100');
    assert.equal(a.duration, 55 * 60);
    const summer = await sheet({ begin: '2026-07-01T09:00', end: '2026-07-01T10:00' });
    assert.equal(summer.begin, '2026-07-01T09:00:00+0200');
    const ben = await sheet({ begin: '2026-03-02T09:00', end: '2026-03-02T10:00', activity: 30 }, USER_TOKEN);
    assert.equal(ben.begin, '2026-03-02T09:00:00-0500');
    assert.equal(ben.user, 2);
    const withOffset = await call('POST', '/api/timesheets', { body: { project: 20, activity: 31, begin: '2026-03-02T09:00:00+01:00' } });
    assert.equal(withOffset.status, 400);
    assert.deepEqual(withOffset.body.errors.children.begin, { errors: ['This value is not valid.'] });
  });

  it('creates with 200, deletes with 204 and an empty body, answers 404 for unknown ids', async () => {
    const created = await call('POST', '/api/timesheets', { body: { project: 20, activity: 31, begin: '2026-03-02T09:00', end: '2026-03-02T10:00' } });
    assert.equal(created.status, 200);
    assert.equal(created.body.fixedRate, null, 'the entity view has the rate fields');
    assert.ok('metaFields' in created.body);
    const del = await call('DELETE', `/api/timesheets/${created.body.id}`);
    assert.deepEqual([del.status, del.text], [204, '']);
    assert.deepEqual((await call('GET', `/api/timesheets/${created.body.id}`)).body, { code: 404, message: 'Not Found' });
  });

  it('pages the timesheet list with X-* headers, caps the page size and answers 404 past the last page', async () => {
    for (let i = 0; i < 7; i++) await sheet({ begin: `2026-03-0${i + 1}T09:00`, end: `2026-03-0${i + 1}T10:00` });
    const first = await call('GET', '/api/timesheets?size=3&page=1');
    assert.deepEqual(
      ['x-page', 'x-total-count', 'x-total-pages', 'x-per-page'].map((h) => first.headers.get(h)),
      ['1', '7', '3', '3'],
    );
    assert.equal(first.body[0].begin, '2026-03-07T09:00:00+0100', 'default order: begin, descending');
    assert.equal(first.body[0].fixedRate, undefined, 'the list view has no rate fields');
    assert.equal((await call('GET', '/api/timesheets?size=3&page=3')).body.length, 1);
    assert.deepEqual((await call('GET', '/api/timesheets?size=3&page=4')).body, { code: 404, message: 'Not Found' });
    assert.equal((await call('GET', '/api/timesheets?size=0')).headers.get('x-per-page'), '50');
    assert.equal((await call('GET', '/api/timesheets?size=9999')).headers.get('x-per-page'), '500');
    emu.settings.maxPageSize = 2;
    assert.equal((await call('GET', '/api/timesheets?size=50')).headers.get('x-total-pages'), '4');
    assert.equal((await call('GET', '/api/customers')).headers.get('x-total-count'), null, 'other lists are plain arrays');
  });

  it('filters by user (own by default, all for admins), begin/end on begin, exported and active', async () => {
    await sheet({ begin: '2026-03-02T09:00', end: '2026-03-02T17:00' });
    await sheet({ begin: '2026-03-03T09:00', end: '2026-03-03T10:00', activity: 30 }, USER_TOKEN);
    const running = await sheet({ begin: '2026-03-04T09:00' });
    assert.equal(running.end, null);
    assert.equal((await call('GET', '/api/timesheets')).body.length, 2, "the caller's own by default");
    assert.equal((await call('GET', '/api/timesheets?user=all')).body.length, 3);
    assert.equal((await call('GET', '/api/timesheets?user=1', { token: USER_TOKEN })).status, 403);
    assert.equal((await call('GET', '/api/timesheets?user=all', { token: USER_TOKEN })).status, 403);
    // `end` filters on begin: the 09:00–17:00 record is in although it ends after 10:00.
    assert.equal((await call('GET', '/api/timesheets?begin=2026-03-02T00:00&end=2026-03-02T10:00')).body.length, 1);
    assert.equal((await call('GET', '/api/timesheets?active=1')).body[0].id, running.id);
    assert.equal((await call('GET', '/api/timesheets?exported=1')).body.length, 0);
    assert.equal((await call('GET', '/api/timesheets?begin=yesterday')).status, 400);
  });

  it('filters modified_after in UTC, inclusively', async () => {
    clock = Date.UTC(2026, 2, 10, 12, 0, 0, 700);
    const a = await sheet({ begin: '2026-03-02T09:00', end: '2026-03-02T10:00' });
    clock = Date.UTC(2026, 2, 10, 12, 0, 5);
    await sheet({ begin: '2026-03-03T09:00', end: '2026-03-03T10:00' });
    const ids = async (q: string) => (await call('GET', `/api/timesheets?modified_after=${q}`)).body.map((t: { id: number }) => t.id).length;
    assert.equal(await ids('2026-03-10T12:00:00'), 2, 'inclusive: the record changed at 12:00:00.7 UTC counts');
    assert.equal(await ids('2026-03-10T12:00:01'), 1);
    assert.equal(await ids('2026-03-10T12:00:06'), 0);
    assert.ok(a.id);
  });

  it('refuses PATCH and DELETE of an exported record with 403 unless the caller may edit exported ones; /export toggles', async () => {
    const t = await sheet({ begin: '2026-03-03T09:00', end: '2026-03-03T10:00', activity: 30 }, USER_TOKEN);
    assert.equal((await call('PATCH', `/api/timesheets/${t.id}/export`, { token: USER_TOKEN })).status, 403, 'a user may not export');
    assert.equal((await call('PATCH', `/api/timesheets/${t.id}/export`)).body.exported, true);
    for (const [method, body] of [
      ['PATCH', { description: 'late edit' }],
      ['DELETE', undefined],
    ] as const) {
      const r = await call(method, `/api/timesheets/${t.id}`, { token: USER_TOKEN, ...(body ? { body } : {}) });
      assert.deepEqual([r.status, r.body], [403, { code: 403, message: 'Forbidden' }]);
    }
    assert.equal((await call('GET', `/api/timesheets/${t.id}`, { token: USER_TOKEN })).status, 200, 'reading still works');
    assert.equal((await call('PATCH', `/api/timesheets/${t.id}`, { body: { description: 'admin fix' } })).body.description, 'admin fix');
    assert.equal((await call('PATCH', `/api/timesheets/${t.id}/export`)).body.exported, false, 'the second call toggles back');
    assert.equal((await call('PATCH', `/api/timesheets/${t.id}`, { token: USER_TOKEN, body: { description: 'mine again' } })).status, 200);
  });

  it('answers validation errors in the FOSRest form shape', async () => {
    const missing = await call('POST', '/api/timesheets', { body: { begin: '2026-03-02T09:00' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.message, 'Validation Failed');
    assert.deepEqual(missing.body.errors.children.project, { errors: ['This value should not be blank.'] });
    assert.deepEqual(missing.body.errors.children.begin, {});
    const wrongActivity = await call('POST', '/api/timesheets', { body: { project: 22, activity: 31, begin: '2026-03-02T09:00' } });
    assert.deepEqual(wrongActivity.body.errors.children.activity, { errors: ['The selected choice is invalid.'] });
    const backwards = await call('POST', '/api/timesheets', { body: { project: 20, activity: 31, begin: '2026-03-02T10:00', end: '2026-03-02T09:00' } });
    assert.deepEqual(backwards.body.errors.errors, ['The end date must not be earlier than the start date.']);
    const extra = await call('POST', '/api/timesheets', { token: USER_TOKEN, body: { project: 20, activity: 30, exported: true, colour: 'red' } });
    assert.deepEqual(extra.body.errors.errors, ['This form should not contain extra fields.']);
  });

  it('drops unknown tags, stops the running record on a new one, and keeps exported reset on duplicate', async () => {
    const t = await sheet({ begin: '2026-03-02T09:00', end: '2026-03-02T10:00', tags: 'meeting,unknown' });
    assert.deepEqual(t.tags, ['meeting']);
    const first = await sheet({ begin: '2026-03-02T11:00' });
    clock = Date.UTC(2026, 2, 2, 11, 30, 10);
    await sheet({ begin: '2026-03-02T12:00' });
    const stopped = (await call('GET', `/api/timesheets/${first.id}`)).body;
    assert.notEqual(stopped.end, null, 'hard limit 1: the earlier running record was stopped');
    await call('PATCH', `/api/timesheets/${t.id}/export`);
    assert.equal((await call('PATCH', `/api/timesheets/${t.id}/duplicate`)).body.exported, false);
  });

  it('lists taxonomy with global activities (project null), hidden ones on request, and parent titles', async () => {
    const activities = (await call('GET', '/api/activities')).body;
    assert.equal(activities.find((a: { name: string }) => a.name === 'Meeting').project, null);
    const projects = (await call('GET', '/api/projects?customer=10')).body;
    assert.deepEqual(
      projects.map((p: { name: string; parentTitle: string }) => [p.name, p.parentTitle]),
      [
        ['Support', 'Acme'],
        ['Website', 'Acme'],
      ],
    );
    await call('PATCH', '/api/customers/11', { body: { visible: false } });
    assert.equal((await call('GET', '/api/customers')).body.length, 1);
    assert.equal((await call('GET', '/api/customers?visible=3')).body.length, 2);
    await call('PATCH', '/api/customers/11', { body: { visible: true } });
    assert.equal((await call('POST', '/api/customers', { token: USER_TOKEN, body: { name: 'X' } })).status, 403);
    assert.equal((await call('GET', '/api/users', { token: USER_TOKEN })).status, 403, 'listing users needs view_user');
    assert.equal((await call('GET', '/api/users/me', { token: USER_TOKEN })).body.timezone, 'America/New_York');
  });

  it("answers injected faults in Kimai's error shape", async () => {
    emu.inject({ method: 'GET', path: '^/api/timesheets$', status: 500, times: 1 });
    assert.deepEqual((await call('GET', '/api/timesheets')).body, { code: 500, message: 'Internal Server Error' });
    assert.equal((await call('GET', '/api/timesheets')).status, 200);
  });

  it('has a demo data set with a customer and a project without colour, a global activity and two users in two zones', () => {
    const demo = createKimaiEmulator({ demo: true }).data();
    assert.ok(demo.customers.some((c) => c.color === null));
    assert.ok(demo.projects.some((p) => p.color === null));
    assert.ok(demo.activities.some((a) => a.project === null));
    assert.deepEqual(
      demo.users.map((u) => u.timezone),
      ['Europe/Berlin', 'America/New_York'],
    );
    assert.ok(demo.timesheets.length >= 3 && demo.timesheets.some((t) => t.exported));
  });
});
