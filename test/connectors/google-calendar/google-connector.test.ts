/**
 * The Google Calendar connector against the emulator: the event mapper's round trips,
 * listing modes (delta, 410 → full, a failing page), credentials (refresh before expiry,
 * a 401 mid-run, service accounts with delegation, the connect flow), and calendars
 * made and shared on demand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { googleEventMapper } from '../../../src/connectors/google-calendar/event-mapper.js';
import { GoogleCalendarClient } from '../../../src/connectors/google-calendar/google-client.js';
import { createGoogleCalendarConnector } from '../../../src/connectors/google-calendar/google-connector.js';
import type { GoogleItem } from '../../../src/connectors/google-calendar/google-types.js';
import { googleIdOf } from '../../../src/connectors/google-calendar/ids.js';
import { authorizationUrl, exchangeCode, revokeToken } from '../../../src/connectors/google-calendar/oauth-flow.js';
import { structuredOf } from '../../../src/core/fields/event.js';
import { isItemFailure, type ExternalItem } from '../../../src/connectors/kit/connector.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import type { Fields } from '../../../src/core/model.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../../src/emulators/google/oauth.js';
import { DEMO_USER, client, connector, newCalendar, oauthCredentials, raw, serviceAccountCredentials, startEmulator, type Running } from './google-support.js';

let r: Running;
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
});

const ctx = { now: new Date('2026-11-01T00:00:00Z'), link: 'test' };
const base = { summary: 'Planning', description: null, location: null, status: null, transp: null, rrule: null, exdates: [], rdates: [], overrides: [] };

async function roundTrip(fields: Fields): Promise<Fields> {
  const c = connector(r, { calendar: await newCalendar(r) });
  const out = googleEventMapper.toExternal(fields, ctx, null);
  assert.ok(out.ok, JSON.stringify(out));
  const ref = await c.create(out.value, { hubId: `hub-${Math.random()}`, key: 'k' });
  const [got] = await c.get([ref.id]);
  assert.ok(got && !isItemFailure(got));
  const back = googleEventMapper.toHub(got.data, ctx);
  assert.ok(back.ok, JSON.stringify(back));
  return back.value.fields;
}

async function one(c: ReturnType<typeof connector>, id: string): Promise<ExternalItem<GoogleItem>> {
  const [got] = await c.get([id]);
  assert.ok(got && !isItemFailure(got), `get ${id}: ${got && isItemFailure(got) ? got.error.message : ''}`);
  return got;
}

describe('google-event mapper through the emulator', () => {
  const cases: [string, Fields][] = [
    [
      'a zoned event keeps wall time and TZID',
      { ...base, uid: 'zoned@test', allDay: false, start: '2026-11-03T09:30:00', startTz: 'Europe/Berlin', end: '2026-11-03T10:45:00', endTz: 'Europe/Berlin' },
    ],
    [
      'a UTC event stays UTC',
      { ...base, uid: 'utc@test', allDay: false, start: '2026-11-03T09:30:00Z', startTz: null, end: '2026-11-03T10:00:00Z', endTz: null },
    ],
    [
      'a multi-day all-day event keeps its exclusive end',
      { ...base, uid: 'trip@test', allDay: true, start: '2026-11-10', startTz: null, end: '2026-11-13', endTz: null },
    ],
    [
      'STATUS:CONFIRMED, TRANSP:TRANSPARENT, text fields',
      {
        ...base,
        uid: 'st@test',
        summary: 'Focus',
        description: 'Line 1\nLine 2',
        location: 'Desk',
        status: 'CONFIRMED',
        transp: 'TRANSPARENT',
        allDay: false,
        start: '2026-11-04T08:00:00Z',
        startTz: null,
        end: '2026-11-04T09:00:00Z',
        endTz: null,
      },
    ],
    [
      'a weekly series with EXDATEs across a DST change',
      {
        ...base,
        uid: 'series@test',
        allDay: false,
        start: '2026-10-19T09:00:00',
        startTz: 'Europe/Berlin',
        end: '2026-10-19T09:15:00',
        endTz: 'Europe/Berlin',
        rrule: 'FREQ=WEEKLY;COUNT=6',
        exdates: ['2026-10-26T09:00:00', '2026-11-09T09:00:00'],
      },
    ],
    [
      'an all-day series with a date EXDATE',
      {
        ...base,
        uid: 'alldays@test',
        allDay: true,
        start: '2026-11-02',
        startTz: null,
        end: '2026-11-03',
        endTz: null,
        rrule: 'FREQ=DAILY;COUNT=5',
        exdates: ['2026-11-04'],
      },
    ],
  ];
  for (const [title, fields] of cases) {
    it(title, async () => {
      assert.deepEqual(structuredOf(await roundTrip(fields)), structuredOf(fields));
    });
  }

  it('an instance cancelled in Google becomes an EXDATE of the series; a moved one an override', async () => {
    const cal = await newCalendar(r);
    const c = connector(r, { calendar: cal });
    const g = client(r);
    const series = await g.insertEvent(cal, {
      id: undefined as unknown as string,
      summary: 'Daily',
      start: { dateTime: '2026-11-02T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-11-02T09:15:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=DAILY;COUNT=4'],
    });
    const listed1 = await c.list({ cursor: null, window: null });
    await g.deleteEvent(cal, `${series.id}_20261103T080000Z`, series.etag!);
    const moved = await g.getEvent(cal, `${series.id}_20261104T080000Z`);
    await g.updateEvent(
      cal,
      moved.id,
      { ...moved, start: { dateTime: '2026-11-04T10:00:00', timeZone: 'Europe/Berlin' }, end: { dateTime: '2026-11-04T10:15:00', timeZone: 'Europe/Berlin' } },
      null,
    );
    const delta = await c.list({ cursor: listed1.cursor, window: null });
    assert.equal(delta.mode, 'delta');
    assert.deepEqual(
      delta.refs.map((x) => x.id),
      [series.id],
      'the series is named, not its exceptions',
    );
    assert.notEqual(delta.refs[0]!.etag, listed1.refs[0]!.etag);
    const item = await one(c, series.id);
    const full = await c.list({ cursor: null, window: null });
    assert.equal(full.refs[0]!.etag, item.etag, 'a full listing gives the same etag as a get: nothing is fetched twice');
    const f = googleEventMapper.toHub(item.data, ctx);
    assert.ok(f.ok);
    assert.deepEqual(f.value.fields['exdates'], ['2026-11-03T09:00:00']);
    assert.deepEqual(f.value.fields['overrides'], [
      {
        id: '2026-11-04T09:00:00',
        idTz: 'Europe/Berlin',
        allDay: false,
        start: '2026-11-04T10:00:00',
        startTz: 'Europe/Berlin',
        end: '2026-11-04T10:15:00',
        endTz: 'Europe/Berlin',
        summary: series.summary ?? null,
        description: null,
        location: null,
        status: null,
      },
    ]);
  });
});

describe('google-calendar connector listing', () => {
  it('a stale sync token (410) lists everything again, in full mode', async () => {
    const cal = await newCalendar(r);
    const c = connector(r, { calendar: cal });
    const made = await c.create(
      { event: { id: '', summary: 'kept', start: { date: '2026-11-02' }, end: { date: '2026-11-03' } }, exceptions: [] },
      { hubId: 'h-410', key: 'k' },
    );
    const first = await c.list({ cursor: null, window: null });
    await raw(r, 'POST', '/_emulator/google/invalidate-sync-tokens');
    const again = await c.list({ cursor: first.cursor, window: null });
    assert.equal(again.mode, 'full');
    assert.equal(again.complete, true);
    assert.deepEqual(again.refs, [made]);
    assert.notEqual(again.cursor, first.cursor);
  });

  it('a window lists instances inside it with timeMin/timeMax, reporting tombstones instead of inferring absence', async () => {
    const cal = await newCalendar(r);
    const g = client(r);
    const at = (day: string) => ({
      start: { dateTime: `2026-11-${day}T10:00:00Z`, timeZone: 'UTC' },
      end: { dateTime: `2026-11-${day}T11:00:00Z`, timeZone: 'UTC' },
    });
    await g.insertEvent(cal, { id: undefined as unknown as string, summary: 'before', ...at('01') });
    const inside = await g.insertEvent(cal, { id: undefined as unknown as string, summary: 'inside', ...at('10') });
    const gone = await g.insertEvent(cal, { id: undefined as unknown as string, summary: 'gone', ...at('11') });
    await g.deleteEvent(cal, gone.id, gone.etag!);
    const c = connector(r, { calendar: cal, instances: true });
    const l = await c.list({ cursor: null, window: { start: '2026-11-05T00:00:00.000Z', end: '2026-11-20T00:00:00.000Z' } });
    assert.deepEqual([l.mode, l.complete, l.refs.map((x) => x.id), l.removed], ['delta', true, [inside.id], [gone.id]]);
    assert.ok(l.cursor, 'the sync token of the windowed listing is kept');
    await assert.rejects(
      c.delete(inside.id, inside.etag!),
      (err: unknown) => isTimebridgeError(err) && err.kind === 'invalid_input' && /direction to pull/.test(err.hint ?? ''),
      'instances are read-only',
    );
  });

  it('a page that fails once is retried within the listing; one that keeps failing makes the listing incomplete, with no cursor', async () => {
    const cal = await newCalendar(r);
    const c = connector(r, { calendar: cal, pageSize: 2 });
    for (let i = 0; i < 5; i++)
      await c.create(
        { event: { id: '', summary: `e${i}`, start: { date: '2026-11-02' }, end: { date: '2026-11-03' } }, exceptions: [] },
        { hubId: `h-page-${i}`, key: 'k' },
      );
    r.emulator.inject({ method: 'GET', path: '/events$', status: 503, after: 1, times: 1 });
    const retried = await c.list({ cursor: null, window: null });
    assert.deepEqual([retried.complete, retried.cursor !== null, retried.refs.length], [true, true, 5]);
    // Six tries (the default maxAttempts) of the second page, all 503.
    r.emulator.inject({ method: 'GET', path: '/events$', status: 503, after: 1, times: 6 });
    const l = await c.list({ cursor: null, window: null });
    assert.deepEqual([l.complete, l.cursor, l.refs.length], [false, null, 2]);
  });

  it('403 rateLimitExceeded and 429 are retried within the call; when they persist they are rate_limited with a retry delay; other 403s are auth errors at once', async () => {
    const c = connector(r, { calendar: await newCalendar(r) });
    for (const fault of [{ status: 403 }, { status: 429, retryAfter: 7 }]) {
      r.emulator.inject({ method: 'GET', path: '/events$', times: 1, ...fault });
      assert.equal((await c.list({ cursor: null, window: null })).complete, true, `one ${fault.status} is retried`);
      r.emulator.inject({ method: 'GET', path: '/events$', times: 6, ...fault });
      await assert.rejects(c.list({ cursor: null, window: null }), (err: unknown) => {
        assert.ok(isTimebridgeError(err));
        assert.equal(err.kind, 'rate_limited');
        assert.equal(err.retryAfter, fault.retryAfter ?? 2);
        assert.equal(err.details?.['attempts'], 6);
        assert.match(err.hint ?? '', /It was tried 6 times within this run\..*lower the connection's rateLimit/);
        return true;
      });
    }
    r.emulator.inject({
      method: 'GET',
      path: '/events$',
      times: 1,
      status: 403,
      body: { error: { errors: [{ domain: 'global', reason: 'forbidden', message: 'Forbidden' }], code: 403, message: 'Forbidden' } },
    });
    await assert.rejects(c.list({ cursor: null, window: null }), (err: unknown) => isTimebridgeError(err) && err.kind === 'auth');
  });

  it('creates use a base32hex id of the hub id, and findByKey finds them by the private property', async () => {
    const c = connector(r, { calendar: await newCalendar(r) });
    const hubId = '0b9f7c2e-5d1a-4c3b-9e8f-1a2b3c4d5e6f';
    const ref = await c.create(
      { event: { id: '', summary: 'x', start: { date: '2026-11-02' }, end: { date: '2026-11-03' } }, exceptions: [] },
      { hubId, key: 'k' },
    );
    assert.equal(ref.id, googleIdOf(hubId));
    assert.match(ref.id, /^[a-v0-9]{5,1024}$/);
    assert.deepEqual(await c.findByKey({ hubId, key: 'k' }), ref);
  });
});

describe('google credentials', () => {
  it('an access token that expires mid-listing is refreshed once and the listing goes on', async () => {
    const cal = await newCalendar(r);
    const seed = connector(r, { calendar: cal });
    for (let i = 0; i < 6; i++)
      await seed.create(
        { event: { id: '', summary: `e${i}`, start: { date: '2026-11-02' }, end: { date: '2026-11-03' } }, exceptions: [] },
        { hubId: `h-exp-${i}`, key: 'k' },
      );
    let lists = 0;
    const wrapped: typeof fetch = async (input, init) => {
      if (String(input).includes('/events') && ++lists === 2) await raw(r, 'POST', '/_emulator/google/expire-tokens');
      return fetch(input, init);
    };
    for (const credentials of [oauthCredentials(), serviceAccountCredentials(r, DEMO_USER)]) {
      lists = 0;
      const api = new GoogleCalendarClient({ baseUrl: r.api, tokenUrl: r.tokenUrl, credentials, timeoutMs: 10_000, fetch: wrapped });
      const c = createGoogleCalendarConnector({ client: api, calendar: cal, create: null, instances: false, pageSize: 2 });
      const l = await c.list({ cursor: null, window: null });
      assert.deepEqual([l.complete, l.refs.length], [true, 6]);
      assert.equal(api.tokens.fetched, 2, `${credentials.type}: one token at the start, one after the 401`);
    }
  });

  it('a token is refreshed before it expires, not after', async () => {
    let now = Date.parse('2026-11-01T00:00:00Z');
    const api = new GoogleCalendarClient({ baseUrl: r.api, tokenUrl: r.tokenUrl, credentials: oauthCredentials(), timeoutMs: 10_000, now: () => now });
    await api.tokens.token();
    now += 3599_000 - 61_000;
    await api.tokens.token();
    assert.equal(api.tokens.fetched, 1);
    now += 2_000;
    await api.tokens.token();
    assert.equal(api.tokens.fetched, 2, 'within a minute of expiry a new token is fetched');
  });

  it('service accounts: delegation refused and a wrong key give errors that say what to fix', async () => {
    r.emulator.oauth.delegation = false;
    try {
      const c = connector(r, { credentials: serviceAccountCredentials(r, DEMO_USER) });
      await assert.rejects(
        c.list({ cursor: null, window: null }),
        (err: unknown) => isTimebridgeError(err) && err.kind === 'auth' && /domain-wide delegation/.test(err.hint ?? ''),
      );
    } finally {
      r.emulator.oauth.delegation = true;
    }
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const c = connector(r, { credentials: { ...serviceAccountCredentials(r), privateKey: other } as ReturnType<typeof serviceAccountCredentials> });
    await assert.rejects(
      c.list({ cursor: null, window: null }),
      (err: unknown) => isTimebridgeError(err) && err.code === 'CONNECTOR_AUTH' && /invalid_grant/.test(err.message),
    );
  });

  it('the connect flow: consent link → code → refresh token that works → revoke → OAUTH_REQUIRED', async () => {
    const oauth = {
      clientId: EMULATOR_CLIENT_ID,
      clientSecret: EMULATOR_CLIENT_SECRET,
      authUrl: `${r.url}/o/oauth2/v2/auth`,
      tokenUrl: r.tokenUrl,
      revokeUrl: `${r.url}/revoke`,
    };
    const redirect = 'http://127.0.0.1:1/oauth/google/callback';
    const link = authorizationUrl(oauth, redirect, 'state-123', 'bob@example.com');
    const u = new URL(link);
    assert.deepEqual([u.searchParams.get('access_type'), u.searchParams.get('prompt'), u.searchParams.get('response_type')], ['offline', 'consent', 'code']);
    const consent = await fetch(link, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const back = new URL(consent.headers.get('location')!);
    assert.equal(back.searchParams.get('state'), 'state-123');
    const tokens = await exchangeCode(oauth, back.searchParams.get('code')!, redirect);
    const c = connector(r, { credentials: oauthCredentials(tokens.refreshToken) });
    assert.equal((await c.list({ cursor: null, window: null })).complete, true, "bob's primary calendar reads");
    await revokeToken(oauth, tokens.refreshToken);
    const after = connector(r, { credentials: oauthCredentials(tokens.refreshToken) });
    await assert.rejects(
      after.list({ cursor: null, window: null }),
      (err: unknown) => isTimebridgeError(err) && err.code === 'OAUTH_REQUIRED' && /oauth\/start/.test(err.hint ?? ''),
    );
    await assert.rejects(
      connector(r, { credentials: oauthCredentials(null) }).list({ cursor: null, window: null }),
      (err: unknown) => isTimebridgeError(err) && err.code === 'OAUTH_REQUIRED',
    );
    await assert.rejects(
      exchangeCode(oauth, back.searchParams.get('code')!, redirect),
      (err: unknown) => isTimebridgeError(err) && err.code === 'OAUTH_REQUIRED',
      'a code works once',
    );
  });
});

describe('calendars made on demand', () => {
  it('a named calendar that is missing is made by the service account and shared; the next connector finds it', async () => {
    const sa = serviceAccountCredentials(r);
    const opts = {
      calendar: 'AW-ABC',
      credentials: sa,
      create: { timeZone: 'Europe/Berlin', shareWith: [{ email: 'boss@example.com', role: 'owner' as const }] },
    };
    const c1 = connector(r, opts);
    const id = await c1.calendarId();
    assert.match(id, /@group\.calendar\.google\.com$/);
    const acl = await raw(r, 'GET', `/calendar/v3/calendars/${encodeURIComponent(id)}/acl`, { token: await c1.client.tokens.token() });
    assert.ok(acl.body.items.some((a: { id: string; role: string }) => a.id === 'user:boss@example.com' && a.role === 'owner'));
    assert.equal(await connector(r, opts).calendarId(), id, 'found by name, not made twice');
    await assert.rejects(
      connector(r, { calendar: 'AW-NOPE', credentials: sa }).calendarId(),
      (err: unknown) => isTimebridgeError(err) && err.kind === 'not_found' && /AW-ABC/.test(err.message),
    );
  });
});
