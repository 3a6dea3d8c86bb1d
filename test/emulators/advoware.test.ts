/**
 * Fidelity of the Advoware emulator to api-contracts-more §1: discovery, the gateway's signed
 * token request (the contract's test vector; wrong signature, replayed nonce, stale
 * timestamp, bad login → the gateway's refusals), token lifetime (expired → 401), employees,
 * appointments by Kürzel and date range, `?frnr=` read/replace/delete, the quirks (no start
 * time, `datum` with a time, `HH:MM` times, all-day ends at 23:59), special entries, listing
 * faults, the control routes and the demo data.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createAdvowareEmulator, type AdvowareEmulator } from '../../src/emulators/advoware/index.js';
import { DEMO_API_KEY, DEMO_APP_ID, DEMO_LOGIN, emptyData } from '../../src/emulators/advoware/advoware-data.js';

let clock = Date.UTC(2026, 2, 10, 12, 0, 0);
let emu: AdvowareEmulator;
let base: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = { status: number; body: any; text: string };

async function call(method: string, path: string, opts: { token?: string | null; body?: unknown } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* empty */
  }
  return { status: res.status, body, text };
}

/** Signed the way the contract says, written here apart from both the emulator and the connector. */
function sign(key: string, product: number, app: string, nonce: string, stamp: string): string {
  return createHmac('sha512', Buffer.from(key, 'base64')).update(`${product}:${app}:${nonce}:${stamp}`).digest('base64');
}

function tokenBody(over: Record<string, unknown> = {}, key = DEMO_API_KEY) {
  const nonce = (over['Nonce'] as string | undefined) ?? randomUUID();
  const stamp = (over['RequestTimeStamp'] as string | undefined) ?? new Date(clock).toISOString();
  const body: Record<string, unknown> = {
    AppID: DEMO_APP_ID,
    Kanzlei: DEMO_LOGIN.kanzlei,
    Database: DEMO_LOGIN.database,
    User: DEMO_LOGIN.user,
    Role: 2,
    Product: 64,
    Password: DEMO_LOGIN.password,
    Nonce: nonce,
    RequestTimeStamp: stamp,
    ...over,
  };
  body['HMAC512Signature'] ??= sign(key, Number(body['Product']), String(body['AppID']), nonce, stamp);
  return body;
}

async function token(): Promise<string> {
  const r = await call('POST', '/api/v1/Token', { body: tokenBody() });
  assert.equal(r.status, 200, r.text);
  return r.body.access_token as string;
}

describe('Advoware emulator', () => {
  before(async () => {
    emu = createAdvowareEmulator({ now: () => clock, seed: 7 });
    base = await emu.listen();
  });
  after(async () => {
    await emu.close();
  });
  beforeEach(() => {
    const d = emptyData();
    d.employees = [
      { kuerzel: 'MUE', name: 'Anna Müller', email: null, aktiv: true },
      { kuerzel: 'SCH', name: 'Jonas Schmidt', email: null, aktiv: true },
    ];
    Object.assign(emu.data(), d);
    emu.faults.clear();
    emu.gateway.tokenLifetimeSec = 3300;
    emu.gateway.maxSkewSec = 300;
    clock = Date.UTC(2026, 2, 10, 12, 0, 0);
  });

  it("computes the contract's test vector and hands out a bearer token of the set lifetime", async () => {
    assert.equal(
      sign('ZW11bGF0b3Itc2VjcmV0', 64, 'hub-app', '00000000-0000-0000-0000-000000000001', '2024-05-06T07:00:00.000Z'),
      'qAB3xM40ngdz5zSBi3eLVgZcKSevjGqOfIdAZZwHFK+UTFh8X2/mrMfLIuUsEWzK5M7pp2tt+ZC5EcB+Cg6pZg==',
    );
    clock = Date.UTC(2024, 4, 6, 7, 0, 30);
    const r = await call('POST', '/api/v1/Token', {
      body: tokenBody({
        Nonce: '00000000-0000-0000-0000-000000000001',
        RequestTimeStamp: '2024-05-06T07:00:00.000Z',
        HMAC512Signature: 'qAB3xM40ngdz5zSBi3eLVgZcKSevjGqOfIdAZZwHFK+UTFh8X2/mrMfLIuUsEWzK5M7pp2tt+ZC5EcB+Cg6pZg==',
      }),
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.token_type, 'bearer');
    assert.equal(r.body.expires_in, 3300);
    assert.equal(r.body.expiration_utc, new Date(clock + 3300_000).toISOString());
    assert.ok(r.body.access_token.length > 20);
    assert.equal((await call('GET', '/api/v1/advonet/Mitarbeiter', { token: r.body.access_token })).status, 200);
  });

  it('refuses a wrong signature, a replayed nonce, a stale timestamp, an unknown app, a wrong product and a bad login', async () => {
    const bad = await call('POST', '/api/v1/Token', { body: tokenBody({ HMAC512Signature: sign('b3RoZXIta2V5', 64, DEMO_APP_ID, 'n1', 'x') }) });
    assert.equal(bad.status, 401);
    assert.match(bad.body.Message, /HMAC512Signature ist ungültig/);
    const once = tokenBody({ Nonce: 'nonce-1' });
    assert.equal((await call('POST', '/api/v1/Token', { body: once })).status, 200);
    const replay = await call('POST', '/api/v1/Token', { body: once });
    assert.equal(replay.status, 401);
    assert.match(replay.body.Message, /Nonce nonce-1 wurde bereits verwendet/);
    const stale = await call('POST', '/api/v1/Token', { body: tokenBody({ RequestTimeStamp: new Date(clock - 301_000).toISOString() }) });
    assert.equal(stale.status, 401);
    assert.match(stale.body.Message, /außerhalb des erlaubten Zeitfensters/);
    // A timestamp in PHP's +0000 form is read, and its signature is over the text as sent.
    const php = new Date(clock).toISOString().slice(0, 19) + '+0000';
    assert.equal((await call('POST', '/api/v1/Token', { body: tokenBody({ RequestTimeStamp: php }) })).status, 200);
    const app = await call('POST', '/api/v1/Token', { body: tokenBody({ AppID: 'other-app' }) });
    assert.equal(app.status, 401);
    assert.match(app.body.Message, /freigeschaltet/);
    const product = await call('POST', '/api/v1/Token', { body: tokenBody({ Product: 1 }) });
    assert.equal(product.status, 403);
    assert.match(product.body.Message, /freigeschaltet/);
    const login = await call('POST', '/api/v1/Token', { body: tokenBody({ Password: 'wrong' }) });
    assert.equal(login.status, 401);
    assert.match(login.body.Message, /Falscher Name oder falsches Kennwort/);
    const firm = await call('POST', '/api/v1/Token', { body: tokenBody({ Kanzlei: 'NOPE' }) });
    assert.equal(firm.status, 400);
    assert.match(firm.body.Message, /ist nicht registriert/);
    const missing = await call('POST', '/api/v1/Token', { body: { AppID: DEMO_APP_ID } });
    assert.equal(missing.status, 400);
    assert.match(missing.body.Message, /Fehlende Angaben: Kanzlei, Database/);
  });

  it('answers 401 without a token, with an unknown one, and once the token expired', async () => {
    emu.gateway.tokenLifetimeSec = 60;
    const t = await token();
    assert.equal((await call('GET', '/api/v1/advonet/Mitarbeiter')).status, 401);
    assert.equal((await call('GET', '/api/v1/advonet/Mitarbeiter', { token: 'nope' })).status, 401);
    assert.equal((await call('GET', '/api/v1/advonet/Mitarbeiter', { token: t })).status, 200);
    clock += 61_000;
    const expired = await call('GET', '/api/v1/advonet/Mitarbeiter', { token: t });
    assert.equal(expired.status, 401);
    assert.equal(expired.body.Message, 'Authorization has been denied for this request.');
    const t2 = await token();
    assert.equal((await call('POST', '/_emulator/advoware/expire-tokens')).body.expired >= 1, true);
    assert.equal((await call('GET', '/api/v1/advonet/Mitarbeiter', { token: t2 })).status, 401);
  });

  it('discovers the bases per Kanzlei', async () => {
    const r = await call('GET', `/AdvonetConfigurator/api/Url?Kanzlei=${DEMO_LOGIN.kanzlei}`);
    assert.deepEqual(r.body, { relayUrl: `${base}/`, connectorUrl: null, securityGateway: `${base}/` });
    const unknown = await call('GET', '/AdvonetConfigurator/api/Url?Kanzlei=X');
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.Message, /ist nicht registriert/);
  });

  it('creates, lists by Kürzel and date range, reads, replaces and deletes appointments, with the quirks kept', async () => {
    const t = await token();
    const post = (body: object) => call('POST', '/api/v1/advonet/Termine', { token: t, body });
    const a = await post({ datum: '2026-03-12', uhrzeitVon: '14:30', text: 'Termin A', anwalt: 'MUE', sb: 'MUE' });
    assert.equal(a.status, 200);
    assert.equal(typeof a.body, 'number');
    const b = await post({ datum: '2026-03-13T10:15:00', text: 'B (time in datum)', anwalt: 'mue' });
    const c = await post({ datum: '2026-03-20', datumBis: '2026-03-22', dauertermin: 1, text: 'C all-day', anwalt: 'MUE' });
    const d = await post({ datum: '2026-03-14', text: 'D other employee', anwalt: 'SCH' });
    const e = await post({ datum: '2026-03-15', text: 'E firm-wide', anwalt: '' });
    assert.ok([b, c, d, e].every((x) => x.status === 200));
    const list = (k: string, from: string, to: string) => call('GET', `/api/v1/advonet/Termine?kuerzel=${k}&from=${from}&to=${to}`, { token: t });
    const mue = await list('MUE', '2026-03-01', '2026-03-31');
    assert.ok(Array.isArray(mue.body), 'a bare array');
    assert.deepEqual(
      mue.body.map((x: { frNr: number }) => x.frNr),
      [a.body, b.body, c.body],
    );
    const [ra, rb, rc] = mue.body;
    assert.deepEqual([ra.datum, ra.uhrzeitVon, ra.uhrzeitBis, ra.datumBis], ['2026-03-12T00:00:00', '14:30:00', null, null]);
    assert.equal(rb.uhrzeitVon, '10:15:00', 'a time in datum gives the start time');
    assert.equal(rc.uhrzeitBis, '23:59:00', 'an all-day entry ends at 23:59');
    assert.match(ra.zuletztGeaendertAm, /^2026-03-10T13:00:00\.000$/, 'last modified in Berlin wall time');
    // Overlap, inclusive: the all-day entry of 20–22 March is in a window of the 22nd only.
    assert.deepEqual(
      (await list('MUE', '2026-03-22', '2026-03-22')).body.map((x: { frNr: number }) => x.frNr),
      [c.body],
    );
    assert.deepEqual(
      (await list('Allgemein', '2026-03-01', '2026-03-31')).body.map((x: { frNr: number }) => x.frNr),
      [e.body],
    );
    assert.equal((await list('XYZ', '2026-03-01', '2026-03-31')).status, 404);
    const noFrom = await call('GET', '/api/v1/advonet/Termine?kuerzel=MUE&to=2026-03-31', { token: t });
    assert.equal(noFrom.status, 400);
    assert.match(noFrom.body.Message, /^from:/);

    const one = await call('GET', `/api/v1/advonet/Termine?frnr=${a.body}`, { token: t });
    assert.equal(one.body.text, 'Termin A');
    clock += 60_000;
    const put = await call('PUT', `/api/v1/advonet/Termine?frnr=${a.body}`, { token: t, body: { text: 'Termin A2', uhrzeitBis: '00:00:00' } });
    assert.equal(put.status, 200, put.text);
    const after = (await call('GET', `/api/v1/advonet/Termine?frnr=${a.body}`, { token: t })).body;
    assert.deepEqual(
      [after.text, after.uhrzeitVon, after.uhrzeitBis, after.sb],
      ['Termin A2', '14:30:00', '00:00:00', 'MUE'],
      'PUT merges onto the stored entry',
    );
    assert.notEqual(after.zuletztGeaendertAm, ra.zuletztGeaendertAm);
    assert.equal((await call('DELETE', `/api/v1/advonet/Termine?frnr=${a.body}`, { token: t })).status, 204);
    assert.equal((await call('GET', `/api/v1/advonet/Termine?frnr=${a.body}`, { token: t })).status, 404);
    assert.equal((await call('DELETE', `/api/v1/advonet/Termine?frnr=${a.body}`, { token: t })).status, 404);

    const badTime = await post({ datum: '2026-03-12', uhrzeitVon: '25:00', anwalt: 'MUE' });
    assert.equal(badTime.status, 400);
    assert.match(badTime.body.Message, /^uhrzeitVon:/);
    const badEnd = await post({ datum: '2026-03-12', datumBis: '2026-03-11', anwalt: 'MUE' });
    assert.match(badEnd.body.Message, /^datumBis:/);
  });

  it('keeps special entries (negative numbers) from being changed or deleted, and lets a hand edit them', async () => {
    const t = await token();
    const added = await call('POST', '/_emulator/advoware/termine', { body: { frNr: -3, datum: '2026-03-12', dauertermin: 1, text: 'Urlaub', anwalt: 'MUE' } });
    assert.equal(added.status, 201);
    assert.equal((await call('PUT', '/api/v1/advonet/Termine?frnr=-3', { token: t, body: { text: 'x' } })).status, 403);
    assert.equal((await call('DELETE', '/api/v1/advonet/Termine?frnr=-3', { token: t })).status, 403);
    const edited = await call('PATCH', '/_emulator/advoware/termine/-3', { body: { text: 'Urlaub (verlängert)', datumBis: '2026-03-14' } });
    assert.equal(edited.body.text, 'Urlaub (verlängert)');
    assert.equal((await call('DELETE', '/_emulator/advoware/termine/-3')).status, 204);
  });

  it('adds and removes employees by hand', async () => {
    const t = await token();
    assert.equal((await call('POST', '/_emulator/advoware/employees', { body: { kuerzel: 'NEU', name: 'Neu' } })).status, 201);
    assert.equal((await call('POST', '/_emulator/advoware/employees', { body: { kuerzel: 'neu' } })).status, 409);
    assert.equal((await call('POST', '/_emulator/advoware/employees', { body: {} })).status, 400);
    assert.deepEqual(
      (await call('GET', '/api/v1/advonet/Mitarbeiter', { token: t })).body.map((e: { kuerzel: string }) => e.kuerzel),
      ['MUE', 'SCH', 'NEU'],
    );
    assert.equal((await call('DELETE', '/_emulator/advoware/employees/SCH')).status, 204);
    assert.deepEqual(
      (await call('GET', '/api/v1/advonet/Mitarbeiter', { token: t })).body.map((e: { kuerzel: string }) => e.kuerzel),
      ['MUE', 'NEU'],
    );
  });

  it('serves faults: errors in its shape, 429, and short or empty listings of the bare array', async () => {
    const t = await token();
    for (const day of ['2026-03-12', '2026-03-13', '2026-03-14'])
      await call('POST', '/api/v1/advonet/Termine', { token: t, body: { datum: day, anwalt: 'MUE' } });
    const url = '/api/v1/advonet/Termine?kuerzel=MUE&from=2026-03-01&to=2026-03-31';
    emu.inject({ method: 'GET', path: 'Termine', listing: { kind: 'short' }, times: 1 });
    assert.equal((await call('GET', url, { token: t })).body.length, 2);
    emu.inject({ method: 'GET', path: 'Termine', listing: { kind: 'empty' }, times: 1 });
    assert.equal((await call('GET', url, { token: t })).body.length, 0);
    assert.equal((await call('GET', url, { token: t })).body.length, 3);
    emu.inject({ method: 'GET', path: 'Termine', status: 429, times: 1 });
    const limited = await call('GET', url, { token: t });
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body, { Message: 'Zu viele Anfragen.' });
    emu.inject({ method: 'POST', path: 'Token', status: 500, times: 1 });
    assert.equal((await call('POST', '/api/v1/Token', { body: tokenBody() })).status, 500);
  });

  it('starts with three employees and their appointments in demo mode', async () => {
    const demo = createAdvowareEmulator({ demo: true, now: () => clock });
    const d = demo.data();
    assert.deepEqual(
      d.employees.map((e) => e.kuerzel),
      ['MUE', 'SCH', 'WEB'],
    );
    for (const k of ['MUE', 'SCH', 'WEB']) assert.ok([...d.termine.values()].filter((x) => x.anwalt === k && x.frNr > 0).length >= 3, `${k} has appointments`);
    assert.ok(
      [...d.termine.values()].some((x) => x.frNr < 0),
      'a special entry',
    );
    assert.ok(
      [...d.termine.values()].some((x) => x.turnus > 0 && x.turnusArt === 2),
      'a weekly series',
    );
    await demo.close();
  });
});
