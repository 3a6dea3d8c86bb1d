/**
 * The Advoware connector on the emulator: the gateway signature (the contract's test
 * vector), a token kept until shortly before it expires and then fetched again, one new
 * token and one more try after a 401 (and an auth error, not a loop, when that fails too),
 * the gateway's refusals as errors that say what to fix, discovery, the employee list for
 * link templates, special entries left out, owner fields on create, and the secrets sealed.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { tokenSignature } from '../../../src/connectors/advoware/advoware-api.js';
import { splitKey } from '../../../src/connectors/advoware/advoware-connector.js';
import { connectionMarks, splitSecrets } from '../../../src/app/secret-fields.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { advowareApiOf, advowareConfigSchema } from '../../../src/connectors/advoware/index.js';
import { EMULATORS } from '../../../src/emulators/registry.js';
import { advowareEntry, connectorOn, quickHttp, settings, startAdvoware, type RunningAdvoware } from './advoware-fixture.js';

let clock = Date.UTC(2026, 2, 10, 12);
/** How far the emulator's clock moves each time it is read (tokens that die on the way). */
let tick = 0;
const at = () => clock;
const emuNow = () => (clock += tick);
const http = { ...quickHttp, clock: { ...quickHttp.clock, now: at } };

describe('Advoware connector', () => {
  let r: RunningAdvoware;
  before(async () => {
    r = await startAdvoware({ now: emuNow });
  });
  after(() => r.close());
  beforeEach(() => {
    clock = Date.UTC(2026, 2, 10, 12);
    tick = 0;
    r.emu.gateway.tokenLifetimeSec = 600;
    r.emu.faults.clear();
  });

  it("signs token requests as the contract's test vector says", () => {
    assert.equal(
      tokenSignature('ZW11bGF0b3Itc2VjcmV0', 64, 'hub-app', '00000000-0000-0000-0000-000000000001', '2024-05-06T07:00:00.000Z'),
      'qAB3xM40ngdz5zSBi3eLVgZcKSevjGqOfIdAZZwHFK+UTFh8X2/mrMfLIuUsEWzK5M7pp2tt+ZC5EcB+Cg6pZg==',
    );
  });

  it('keeps a token until the refresh margin before it expires, then fetches a new one', async () => {
    const api = advowareApiOf(settings(r.base, { tokenRefreshMarginSec: 120 }), { http });
    await api.employees();
    clock += 400_000;
    await api.employees();
    assert.equal(api.tokensFetched, 1, 'the token is reused while fresh');
    clock += 81_000; // 481 s: within the margin of a 600 s token, which the gateway still takes
    await api.employees();
    assert.equal(api.tokensFetched, 2, 'a new token before the old one expired');
  });

  it('after a 401 fetches one new token and sends the call once more; a second 401 is an auth error', async () => {
    const api = advowareApiOf(settings(r.base), { http });
    await api.employees();
    assert.equal((await fetch(`${r.base}/_emulator/advoware/expire-tokens`, { method: 'POST' })).status, 200);
    assert.equal((await api.employees()).length, 2);
    assert.equal(api.tokensFetched, 2);
    // Tokens that are dead on arrival: one retry, then the error.
    r.emu.gateway.tokenLifetimeSec = 1;
    tick = 2000;
    const dead = advowareApiOf(settings(r.base, { tokenRefreshMarginSec: 0 }), { http });
    await assert.rejects(dead.employees(), (err: unknown) => isTimebridgeError(err) && err.kind === 'auth' && /HTTP 401/.test(err.message));
    assert.equal(dead.tokensFetched, 2, 'one new token, no loop');
  });

  it("turns the gateway's refusals into errors that name the cause", async () => {
    await assert.rejects(
      advowareApiOf(settings(r.base, { password: 'falsch' }), { http }).employees(),
      (err: unknown) => isTimebridgeError(err) && err.kind === 'auth' && /Falscher Name oder falsches Kennwort/.test(err.message),
    );
    await assert.rejects(
      advowareApiOf(settings(r.base, { apiKey: 'b3RoZXIta2V5' }), { http }).employees(),
      (err: unknown) => isTimebridgeError(err) && /HMAC512Signature ist ungültig/.test(err.message),
    );
    await assert.rejects(
      advowareApiOf(settings(r.base, { kanzlei: 'NOPE' }), { http }).employees(),
      (err: unknown) => isTimebridgeError(err) && /ist nicht registriert/.test(err.message),
    );
    assert.throws(() => settings(r.base, { apiKey: 'not base64!' }), /apiKey.*base64/s);
  });

  it('finds the API and the gateway through discovery', async () => {
    const api = advowareApiOf(settings(r.base, { discover: true }), { http });
    assert.deepEqual(
      (await api.employees()).map((e) => e.kuerzel),
      ['MUE', 'SCH'],
    );
  });

  it('lists the employees for link templates', async () => {
    r.emu.data().employees.push({ kuerzel: 'ALT', name: 'Alt', email: null, aktiv: false });
    try {
      const list = await advowareEntry.collections!(settings(r.base), { baseDir: '.', target: { collection: null, externalKind: 'appointment' }, http });
      assert.deepEqual(list, [
        { key: 'MUE', name: 'Employee MUE', active: true },
        { key: 'SCH', name: 'Employee SCH', active: true },
        { key: 'ALT', name: 'Alt', active: false },
      ]);
    } finally {
      r.emu.data().employees.pop();
    }
  });

  it('leaves special entries out, sets the owner on create and keeps its key line out of the notes it shows', async () => {
    const c = connectorOn(r.base, 'MUE', advowareApiOf(settings(r.base), { http }));
    await fetch(`${r.base}/_emulator/advoware/termine`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ frNr: -4, datum: '2026-03-11', dauertermin: 1, text: 'Urlaub', anwalt: 'MUE' }),
    });
    const made = await c.create(
      { termin: { frNr: 0, datum: '2026-03-12T00:00:00', uhrzeitVon: '10:00:00', text: 'Neu', notiz: 'Hallo' }, kuerzel: 'MUE' },
      { hubId: 'h1', key: 'k1' },
    );
    const edge = await c.create({ termin: { frNr: 0, datum: '2026-04-02T00:00:00', text: 'Am Rand' }, kuerzel: 'MUE' }, { hubId: 'h2', key: 'k2' });
    const listing = await c.list({ cursor: null, window: { start: '2026-03-01T00:00:00Z', end: '2026-04-01T00:00:00Z' } });
    assert.deepEqual(
      listing.refs.map((x) => x.id),
      [made.id, edge.id],
    );
    assert.deepEqual(listing.outsideWindow, [edge.id], 'the day after the window is listed (a day either side) but outside it');
    const raw = r.emu.data().termine.get(Number(made.id))!;
    assert.deepEqual([raw.sb, raw.anwalt], ['MUE', 'MUE']);
    assert.equal(raw.notiz, 'Hallo\r\nTimebridge-Key: h1/k1');
    assert.equal(made.stored?.data.termin.notiz, 'Hallo');
    assert.deepEqual(splitKey(raw.notiz), { notiz: 'Hallo', key: 'h1/k1' });
  });

  it('works with the snippet `timebridge emulate advoware` prints, on its demo data', async () => {
    const entry = await EMULATORS.advoware!.load();
    const demo = await entry.create({ seed: 1, demo: true });
    try {
      const url = await demo.listen();
      const snippet = entry.usage(url);
      const values = Object.fromEntries([...snippet.matchAll(/^ {4}(\w+): (.+)$/gm)].map((m) => [m[1]!, m[2]!]));
      assert.equal(values['type'], 'advoware');
      const { type: _type, ...config } = values;
      void _type;
      const list = await advowareEntry.collections!(advowareConfigSchema.parse(config), {
        baseDir: '.',
        target: { collection: null, externalKind: 'appointment' },
        http: quickHttp,
      });
      assert.deepEqual(
        list.map((e) => e.key),
        ['MUE', 'SCH', 'WEB'],
      );
    } finally {
      await demo.close();
    }
  });

  it('seals the API key and the password', () => {
    const { open, secrets } = splitSecrets(settings(r.base) as never, connectionMarks('advoware'));
    assert.deepEqual(Object.keys(secrets ?? {}).sort(), ['apiKey', 'password']);
    assert.equal(open['apiKey'], undefined);
    assert.equal(open['password'], undefined);
  });
});
