/**
 * Fidelity of the Google Calendar emulator to api-contracts §3: sync tokens and 410,
 * paging, ids and 409, If-Match and 412, filters, time ranges, series, push channels,
 * Google's error shape for faults and expired tokens, the OAuth grants, and
 * `timebridge emulate google` as a user starts it.
 */
import assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { googleErrorBody } from '../../src/emulators/google/errors.js';
import { SERVICE_ACCOUNT_EMAIL } from '../../src/emulators/google/oauth.js';
import { accessToken, raw, startEmulator, type Running } from '../connectors/google-calendar/google-support.js';
import { BIN, startEmulate, until } from '../support/serve.js';

let r: Running;
let token: string;
const cal = '/calendar/v3/calendars/primary/events';
const ev = (summary: string, day: string, extra: Record<string, unknown> = {}) => ({
  summary,
  start: { dateTime: `2026-12-${day}T10:00:00+01:00` },
  end: { dateTime: `2026-12-${day}T11:00:00+01:00` },
  ...extra,
});

before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
});
beforeEach(async () => {
  await raw(r, 'POST', '/_emulator/reset');
  token = await accessToken(r);
});

async function insert(body: object): Promise<{ id: string; etag: string }> {
  const res = await raw(r, 'POST', cal, { token, body });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

describe('google emulator: events.list', () => {
  it('pages with nextPageToken and gives nextSyncToken on the last page only; a sync token lists changes and tombstones', async () => {
    for (let i = 1; i <= 5; i++) await insert(ev(`E${i}`, String(i).padStart(2, '0')));
    const pages = [];
    let pageToken: string | undefined;
    do {
      const res = await raw(r, 'GET', `${cal}?maxResults=2${pageToken ? `&pageToken=${pageToken}` : ''}`, { token });
      pages.push(res.body);
      pageToken = res.body.nextPageToken;
    } while (pageToken);
    assert.equal(pages.length, 3);
    assert.deepEqual(
      pages.map((p) => [p.items.length, 'nextPageToken' in p, 'nextSyncToken' in p]),
      [
        [2, true, false],
        [2, true, false],
        [1, false, true],
      ],
    );
    const sync = pages[2].nextSyncToken as string;
    const first = pages[0].items[0];
    await raw(r, 'DELETE', `${cal}/${first.id}`, { token });
    const changed = await insert(ev('E6', '06'));
    const delta = await raw(r, 'GET', `${cal}?syncToken=${encodeURIComponent(sync)}`, { token });
    assert.equal(delta.status, 200);
    assert.deepEqual(
      delta.body.items.map((i: { id: string; status: string }) => [i.id, i.status]).sort(),
      [
        [changed.id, 'confirmed'],
        [first.id, 'cancelled'],
      ].sort(),
    );
    const quiet = await raw(r, 'GET', `${cal}?syncToken=${encodeURIComponent(delta.body.nextSyncToken)}`, { token });
    assert.deepEqual(quiet.body.items, []);
  });

  it("a stale sync token answers 410 fullSyncRequired in Google's shape; syncToken with timeMin is a 400", async () => {
    const list = await raw(r, 'GET', cal, { token });
    await raw(r, 'POST', '/_emulator/google/invalidate-sync-tokens');
    const stale = await raw(r, 'GET', `${cal}?syncToken=${encodeURIComponent(list.body.nextSyncToken)}`, { token });
    assert.equal(stale.status, 410);
    assert.equal(stale.body.error.code, 410);
    assert.deepEqual(stale.body.error.errors[0], {
      domain: 'calendar',
      reason: 'fullSyncRequired',
      message: 'Sync token is no longer valid, a full sync is required.',
      locationType: 'parameter',
      location: 'syncToken',
    });
    const mixed = await raw(r, 'GET', `${cal}?syncToken=x&timeMin=2026-01-01T00:00:00Z`, { token });
    assert.equal(mixed.status, 400);
  });

  it('timeMin/timeMax keep overlapping events only (both exclusive); an all-day end date is exclusive', async () => {
    await insert(ev('ten', '01'));
    await insert({ summary: 'day', start: { date: '2026-12-02' }, end: { date: '2026-12-03' } });
    const q = (min: string, max: string) => raw(r, 'GET', `${cal}?timeMin=${encodeURIComponent(min)}&timeMax=${encodeURIComponent(max)}`, { token });
    assert.deepEqual(
      (await q('2026-12-01T10:00:00Z', '2026-12-02T00:00:00Z')).body.items.map((i: { summary: string }) => i.summary),
      [],
      'ends 10:00 UTC = timeMin, starts after',
    );
    assert.deepEqual(
      (await q('2026-12-01T09:59:00Z', '2026-12-01T10:00:00Z')).body.items.map((i: { summary: string }) => i.summary),
      ['ten'],
    );
    assert.deepEqual((await q('2026-12-03T00:00:00Z', '2026-12-04T00:00:00Z')).body.items, [], 'the all-day event ends before 3 December');
    assert.equal((await q('2026-12-02T00:00:00Z', '2026-12-01T00:00:00Z')).body.error.errors[0].reason, 'timeRangeEmpty');
  });

  it('privateExtendedProperty filters by name=value; all constraints must hold', async () => {
    await insert(ev('a', '01', { extendedProperties: { private: { timebridgeId: 'h1', k: 'x' } } }));
    await insert(ev('b', '02', { extendedProperties: { private: { timebridgeId: 'h2' } } }));
    const only = await raw(r, 'GET', `${cal}?privateExtendedProperty=timebridgeId%3Dh1`, { token });
    assert.deepEqual(
      only.body.items.map((i: { summary: string }) => i.summary),
      ['a'],
    );
    const both = await raw(r, 'GET', `${cal}?privateExtendedProperty=timebridgeId%3Dh1&privateExtendedProperty=k%3Dy`, { token });
    assert.deepEqual(both.body.items, []);
  });

  it('singleEvents expands a series with its cancelled instance left out; orderBy=startTime needs singleEvents', async () => {
    const series = await insert({
      summary: 'weekly',
      start: { dateTime: '2026-03-23T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-03-23T09:30:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
    });
    const inst = await raw(r, 'GET', `${cal}/${series.id}/instances`, { token });
    // Berlin moves to summer time on 29 March: 09:00 local stays 09:00 (08:00 → 07:00 UTC).
    assert.deepEqual(
      inst.body.items.map((i: { id: string }) => i.id),
      [`${series.id}_20260323T080000Z`, `${series.id}_20260330T070000Z`, `${series.id}_20260406T070000Z`],
    );
    assert.equal((await raw(r, 'DELETE', `${cal}/${series.id}_20260330T070000Z`, { token })).status, 204);
    const single = await raw(r, 'GET', `${cal}?singleEvents=true&orderBy=startTime`, { token });
    assert.deepEqual(
      single.body.items.map((i: { start: { dateTime: string } }) => i.start.dateTime),
      ['2026-03-23T09:00:00+01:00', '2026-04-06T09:00:00+02:00'],
    );
    assert.equal(single.body.items[0].recurringEventId, series.id);
    const withDeleted = await raw(r, 'GET', `${cal}?showDeleted=true`, { token });
    const exc = withDeleted.body.items.find((i: { id: string }) => i.id.endsWith('_20260330T070000Z'));
    assert.equal(exc.status, 'cancelled');
    assert.deepEqual(exc.originalStartTime, { dateTime: '2026-03-30T09:00:00+02:00', timeZone: 'Europe/Berlin' });
    assert.equal((await raw(r, 'GET', `${cal}?orderBy=startTime`, { token })).status, 400);
  });
});

describe('google emulator: instances of a series', () => {
  it('a PATCH on an instance id makes an exception: recurringEventId and originalStartTime stay, instances (and originalStart) show it', async () => {
    const series = await insert({
      summary: 'daily',
      start: { dateTime: '2026-10-24T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-10-24T09:30:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=DAILY;COUNT=4'],
    });
    // 26 October is after the fall-back change: 09:00 Berlin is 08:00 UTC.
    const id = `${series.id}_20261026T080000Z`;
    const moved = await raw(r, 'PATCH', `${cal}/${id}`, {
      token,
      body: {
        start: { dateTime: '2026-10-26T15:00:00+01:00' },
        end: { dateTime: '2026-10-26T15:30:00+01:00' },
        recurringEventId: 'other',
        originalStartTime: { dateTime: '2026-10-27T09:00:00+01:00' },
      },
    });
    assert.equal(moved.status, 200);
    assert.equal(moved.body.id, id);
    assert.equal(moved.body.recurringEventId, series.id, 'immutable');
    assert.deepEqual(moved.body.originalStartTime, { dateTime: '2026-10-26T09:00:00+01:00', timeZone: 'Europe/Berlin' }, 'immutable');
    assert.equal(moved.body.summary, 'daily', 'the rest comes from the series');
    const all = await raw(r, 'GET', `${cal}/${series.id}/instances`, { token });
    assert.deepEqual(
      all.body.items.map((i: { start: { dateTime: string } }) => new Date(i.start.dateTime).toISOString()),
      ['2026-10-24T07:00:00.000Z', '2026-10-25T08:00:00.000Z', '2026-10-26T14:00:00.000Z', '2026-10-27T08:00:00.000Z'],
    );
    const one = await raw(r, 'GET', `${cal}/${series.id}/instances?originalStart=${encodeURIComponent('2026-10-26T08:00:00Z')}`, { token });
    assert.deepEqual(
      one.body.items.map((i: { id: string }) => i.id),
      [id],
    );
    assert.equal((await raw(r, 'GET', `${cal}/${series.id}_20261028T080000Z`, { token })).status, 404, 'not an instance of the series');
  });
});

describe('google emulator: writes', () => {
  it('client ids are base32hex of 5–1024 characters; a taken id is 409 duplicate, even after a delete', async () => {
    assert.equal((await raw(r, 'POST', cal, { token, body: ev('bad', '01', { id: 'UPPER-case' }) })).status, 400);
    await insert(ev('mine', '01', { id: 'abcdev0123' }));
    const again = await raw(r, 'POST', cal, { token, body: ev('twin', '01', { id: 'abcdev0123' }) });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.errors[0].reason, 'duplicate');
    await raw(r, 'DELETE', `${cal}/abcdev0123`, { token });
    assert.equal((await raw(r, 'POST', cal, { token, body: ev('twin', '01', { id: 'abcdev0123' }) })).status, 409);
    assert.equal((await raw(r, 'DELETE', `${cal}/abcdev0123`, { token })).body.error.errors[0].reason, 'deleted', 'a second delete is 410 deleted');
  });

  it('If-Match with an old etag is 412 conditionNotMet; every write gives a new etag; PATCH merges private properties', async () => {
    const made = await insert(ev('v1', '01', { extendedProperties: { private: { a: '1' } } }));
    const patched = await raw(r, 'PATCH', `${cal}/${made.id}`, {
      token,
      body: { summary: 'v2', extendedProperties: { private: { b: '2' } } },
      headers: { 'if-match': made.etag },
    });
    assert.equal(patched.status, 200);
    assert.notEqual(patched.body.etag, made.etag);
    assert.deepEqual(patched.body.extendedProperties.private, { a: '1', b: '2' });
    const stale = await raw(r, 'PUT', `${cal}/${made.id}`, { token, body: ev('v3', '01'), headers: { 'if-match': made.etag } });
    assert.equal(stale.status, 412);
    assert.deepEqual(stale.body, googleErrorBody(412));
    assert.equal((await raw(r, 'DELETE', `${cal}/${made.id}`, { token, headers: { 'if-match': made.etag } })).status, 412);
    assert.equal((await raw(r, 'GET', `${cal}/${made.id}`, { token })).body.summary, 'v2');
  });

  it('calendars.insert, acl.insert and calendarList: a shared calendar shows up for the sharee', async () => {
    const made = await raw(r, 'POST', '/calendar/v3/calendars', { token, body: { summary: 'AW-XY', timeZone: 'Europe/Berlin' } });
    assert.match(made.body.id, /@group\.calendar\.google\.com$/);
    const rule = await raw(r, 'POST', `/calendar/v3/calendars/${encodeURIComponent(made.body.id)}/acl`, {
      token,
      body: { role: 'owner', scope: { type: 'user', value: 'boss@example.com' } },
    });
    assert.equal(rule.body.id, 'user:boss@example.com');
    const boss = r.emulator.oauth.issueRefreshToken('boss@example.com');
    const t = await fetch(r.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'timebridge-emulator.apps.googleusercontent.com',
        client_secret: 'emulator-client-secret',
        refresh_token: boss,
      }),
    });
    const bossToken = ((await t.json()) as { access_token: string }).access_token;
    const list = await raw(r, 'GET', '/calendar/v3/users/me/calendarList', { token: bossToken });
    assert.ok(list.body.items.some((c: { id: string; accessRole: string }) => c.id === made.body.id && c.accessRole === 'owner'));
  });
});

describe('google emulator: auth and faults', () => {
  it('expired access tokens answer 401 authError; a refresh gives a working one', async () => {
    await raw(r, 'POST', '/_emulator/google/expire-tokens');
    const res = await raw(r, 'GET', cal, { token });
    assert.equal(res.status, 401);
    assert.equal(res.body.error.errors[0].reason, 'authError');
    assert.equal((await raw(r, 'GET', cal, { token: await accessToken(r) })).status, 200);
  });

  it("fault rules answer in Google's shape: 403 rateLimitExceeded, 403 userRateLimitExceeded, 429, 503", async () => {
    r.emulator.inject({ path: '/events$', method: 'GET', status: 403, times: 1 });
    // Every rule counts every request it matches: `after` lines them up one per request.
    r.emulator.inject({ path: '/events$', method: 'GET', status: 403, body: googleErrorBody(403, 'userRateLimitExceeded'), after: 1, times: 1 });
    r.emulator.inject({ path: '/events$', method: 'GET', status: 429, retryAfter: 3, after: 2, times: 1 });
    r.emulator.inject({ path: '/events$', method: 'GET', status: 503, after: 3, times: 1 });
    const got = [];
    for (let i = 0; i < 5; i++) {
      const res = await raw(r, 'GET', cal, { token });
      got.push([res.status, res.body.error?.errors[0].reason ?? null, res.body.error?.errors[0].domain ?? null]);
    }
    assert.deepEqual(got, [
      [403, 'rateLimitExceeded', 'usageLimits'],
      [403, 'userRateLimitExceeded', 'usageLimits'],
      [429, 'rateLimitExceeded', 'usageLimits'],
      [503, 'backendError', 'global'],
      [200, null, null],
    ]);
  });

  it("the JWT bearer grant accepts the service account's signed assertion and refuses a bad signature", async () => {
    const key = (await raw(r, 'GET', '/_emulator/google/service-account')).body;
    assert.equal(key.client_email, SERVICE_ACCOUNT_EMAIL);
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: key.private_key_id })}.${b64({ iss: key.client_email, scope: 'https://www.googleapis.com/auth/calendar', aud: r.tokenUrl, iat: now, exp: now + 3600, sub: 'alice@example.com' })}`;
    const jwt = `${input}.${createSign('RSA-SHA256').update(input).sign(key.private_key, 'base64url')}`;
    const grant = (assertion: string) =>
      fetch(r.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      });
    const ok = await grant(jwt);
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { access_token: string; expires_in: number };
    assert.equal(body.expires_in, 3599);
    const list = await raw(r, 'GET', '/calendar/v3/users/me/calendarList', { token: body.access_token });
    assert.ok(
      list.body.items.some((c: { id: string }) => c.id === 'alice@example.com'),
      'sub makes the token act as the user',
    );
    const forged = await grant(`${input}.${Buffer.from('nope').toString('base64url')}`);
    assert.equal(forged.status, 400);
    assert.equal(((await forged.json()) as { error: string }).error, 'invalid_grant');
  });
});

describe('google emulator: push channels', () => {
  it('events.watch POSTs a sync ping, then an exists ping per change with the X-Goog headers; channels.stop ends it', async () => {
    const got: Record<string, string | undefined>[] = [];
    const receiver = http.createServer((req, res) => {
      got.push({
        id: req.headers['x-goog-channel-id'] as string,
        token: req.headers['x-goog-channel-token'] as string,
        state: req.headers['x-goog-resource-state'] as string,
        n: req.headers['x-goog-message-number'] as string,
        resource: req.headers['x-goog-resource-id'] as string,
      });
      res.writeHead(200).end();
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    try {
      const address = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const ch = await raw(r, 'POST', `${cal}/watch`, { token, body: { id: 'chan-1', type: 'web_hook', address, token: 'opaque', params: { ttl: '3600' } } });
      assert.equal(ch.status, 200);
      assert.equal(ch.body.kind, 'api#channel');
      assert.ok(Number(ch.body.expiration) > Date.now() + 3500_000 && Number(ch.body.expiration) <= Date.now() + 3600_000);
      await until('the sync notification', () => got.length === 1, 5000);
      await insert(ev('ping', '01'));
      await until('the change notification', () => got.length === 2, 5000);
      assert.deepEqual(
        got.map((g) => [g.id, g.token, g.state, g.n]),
        [
          ['chan-1', 'opaque', 'sync', '1'],
          ['chan-1', 'opaque', 'exists', '2'],
        ],
      );
      assert.equal(got[1]!.resource, ch.body.resourceId);
      assert.equal((await raw(r, 'POST', '/calendar/v3/channels/stop', { token, body: { id: 'chan-1', resourceId: ch.body.resourceId } })).status, 204);
      await insert(ev('quiet', '02'));
      await new Promise((ok) => setTimeout(ok, 150));
      assert.equal(got.length, 2, 'a stopped channel is not notified');
    } finally {
      receiver.close();
    }
  });
});

describe('timebridge emulate google', () => {
  it(
    'starts, prints its URL and credentials, answers the API, and stops on SIGTERM',
    {
      skip: fs.existsSync(path.join(path.dirname(BIN), '..', 'dist', 'emulators', 'google', 'index.js'))
        ? false
        : 'dist/ has no Google emulator: run npm run build first',
    },
    async () => {
      const emu = await startEmulate('google');
      try {
        const url = emu.url,
          out = emu.stdout();
        assert.match(out, /type: google-calendar/);
        const t = await fetch(`${url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'refresh_token',
            client_id: 'timebridge-emulator.apps.googleusercontent.com',
            client_secret: 'emulator-client-secret',
            refresh_token: '1//emu-demo-refresh-token-alice',
          }),
        });
        const access = ((await t.json()) as { access_token: string }).access_token;
        const list = await fetch(`${url}/calendar/v3/calendars/primary/events`, { headers: { authorization: `Bearer ${access}` } });
        assert.equal(list.status, 200);
        assert.ok(((await list.json()) as { items: unknown[] }).items.length >= 3, 'the demo data is there');
      } finally {
        assert.equal(await emu.stop(), 0);
      }
    },
  );
});
