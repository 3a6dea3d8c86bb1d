/**
 * The CalDAV connector against a real Radicale (Debian package), started per file with
 * its own config and storage: the shared connector contract, discovery, sync tokens and
 * their fallbacks, the time-range window, faults on single items, and calendar fidelity.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createCaldavConnector, type CaldavOptions } from '../../../src/connectors/caldav/caldav-connector.js';
import { connectionMarks } from '../../../src/app/secret-fields.js';
import { resolveServerReads } from '../../../src/app/server-reads.js';
import { httpAuthOf } from '../../../src/connectors/caldav/index.js';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { isItemFailure, type Connector } from '../../../src/connectors/kit/connector.js';
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import { isTimebridgeError, type ErrorKind } from '../../../src/core/errors.js';
import { BERLIN_VTIMEZONE, NEW_YORK_VTIMEZONE, ctx, vcal, vevent } from '../ics-folder/ical-fixtures.js';
import { basicAuth, needsRadicale, startRadicale, type Radicale } from '../../support/radicale.js';

let server: Radicale;
let calendars = 0;

function connector(extra: Partial<CaldavOptions> = {}): Connector<string> {
  return createCaldavConnector({
    url: server.url,
    auth: { type: 'basic', username: 'alice', password: 'secret' },
    calendar: `cal-${++calendars}`,
    create: true,
    displayName: null,
    batchSize: 100,
    timeoutMs: 15_000,
    ...extra,
  });
}

function event(uid: string, summary: string, start = '20240506T090000Z'): string {
  return vcal(vevent([`DTSTART:${start}`, 'DTEND:20240506T100000Z'.replace('20240506', start.slice(0, 8)), `SUMMARY:${summary}`], uid));
}

/** Structured fields and the normalised rest, as the hub sees them: what must survive a server round trip. */
function meaning(text: string): { fields: string; norm: string } {
  const r = icsEventMapper.toHub(text, ctx);
  assert.ok(r.ok, `toHub failed: ${JSON.stringify(r)}`);
  const ics = (r.value.fields.extras as { ics: { $fieldsHash: string; norm: string } }).ics;
  return { fields: ics.$fieldsHash, norm: ics.norm };
}

async function rejectsWith(promise: Promise<unknown>, kind: ErrorKind, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isTimebridgeError(err), String(err));
    assert.equal(err.kind, kind, err.message);
    if (message) assert.match(`${err.message} ${err.hint ?? ''}`, message);
    return true;
  });
}

/** Another client writing to the same server, not through the connector. */
async function otherClient(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await fetch(new URL(path, server.url), {
    method,
    headers: { ...basicAuth(), 'content-type': 'text/calendar', ...headers },
    ...(body ? { body } : {}),
  });
  await res.arrayBuffer();
  return res;
}

/** A fetch that answers some requests itself (a server fault) and passes the rest on. */
function faultyFetch(fault: (method: string, url: string, body: string) => Response | null): typeof fetch {
  return async (input, init) => {
    const url = input instanceof URL ? input.href : String(input);
    const injected = fault(init?.method ?? 'GET', url, typeof init?.body === 'string' ? init.body : '');
    return injected ?? fetch(input, init);
  };
}

describe('CalDAV connector on Radicale', needsRadicale(), () => {
  before(async () => {
    server = await startRadicale({ logRequests: true });
  });
  after(async () => {
    await server?.stop();
  });

  connectorContractSuite('caldav connector contract', async () => {
    const calendar = `cal-${++calendars}`;
    return {
      connector: connector({ calendar }),
      fresh: () => connector({ calendar }),
      sample: (n) => event(`sample-${n}@timebridge.test`, `Sample ${n}`),
      change: (data) => data.replace(/^SUMMARY:(.*)$/m, 'SUMMARY:$1 (changed)'),
      // Radicale stores its own serialisation (LF, reordered properties): compare meaning, not bytes.
      same: (a, b) => JSON.stringify(meaning(a)) === JSON.stringify(meaning(b)),
      teardown: async () => undefined,
    };
  });

  describe('discovery', () => {
    it('finds a calendar by path segment or display name from the server root, and creates one only when allowed', async () => {
      const missing = connector({ calendar: 'not-there', create: false });
      await rejectsWith(missing.list({ cursor: null, window: null }), 'not_found', /no calendar "not-there"/);
      const made = connector({ calendar: 'team', displayName: 'Team calendar' });
      await made.create(event('d1@test', 'Discovered'), { hubId: 'd1', key: 'k' });
      for (const name of ['team', 'Team calendar']) {
        const found = connector({ calendar: name, create: false });
        const listing = await found.list({ cursor: null, window: null });
        assert.deepEqual(
          listing.refs.map((r) => r.id),
          ['d1.ics'],
          `calendar found as "${name}"`,
        );
      }
      const direct = connector({ url: `${server.url}alice/team/`, calendar: null, create: false });
      assert.equal((await direct.list({ cursor: null, window: null })).refs.length, 1, 'a calendar URL is used as it is');
      await rejectsWith(connector({ calendar: 'nope', create: false }).list({ cursor: null, window: null }), 'not_found', /"team" \(Team calendar\)/);
    });

    it('a wrong password is an auth error that does not echo the password', async () => {
      const c = connector({ auth: { type: 'basic', username: 'alice', password: 'wrong-horse-battery' } });
      await assert.rejects(c.list({ cursor: null, window: null }), (err: unknown) => {
        assert.ok(isTimebridgeError(err));
        assert.equal(err.kind, 'auth');
        assert.ok(!JSON.stringify({ m: err.message, d: err.details }).includes('wrong-horse-battery'));
        return true;
      });
    });

    it('bearer auth sends the token on every request', async () => {
      // Radicale only knows Basic: a gateway in front of it checks the token and swaps it, as a reverse proxy would.
      const seen: string[] = [];
      const gateway: typeof fetch = async (input, init) => {
        const headers = new Headers(init?.headers);
        seen.push(headers.get('authorization') ?? '(none)');
        if (headers.get('authorization') !== 'Bearer tok-123') return new Response('no', { status: 401 });
        headers.set('authorization', basicAuth().authorization!);
        return fetch(input, { ...init, headers });
      };
      const c = connector({ auth: { type: 'bearer', token: 'tok-123' }, fetch: gateway });
      const ref = await c.create(event('b1@test', 'Bearer'), { hubId: 'b1', key: 'k' });
      assert.deepEqual((await c.list({ cursor: null, window: null })).refs, [ref]);
      assert.ok(seen.length >= 3 && seen.every((h) => h === 'Bearer tok-123'), seen.join(', '));
    });

    it('a URL that is not a CalDAV server gets an error saying so', async () => {
      const web = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Login</body></html>');
      });
      await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = web.address() as AddressInfo;
        await rejectsWith(
          connector({ url: `http://127.0.0.1:${port}/` }).list({ cursor: null, window: null }),
          'invalid_input',
          /not a WebDAV multistatus.*CalDAV server/,
        );
      } finally {
        web.close();
      }
    });

    it('secrets come from the environment (resolved by the composition root), and a missing variable is a config error naming it', () => {
      const ctx = (env: NodeJS.ProcessEnv) => ({ env, baseDir: '.', connection: 'cal' });
      const settings = resolveServerReads(
        { auth: { type: 'basic', username: 'alice', passwordEnv: 'TB_PW' } },
        connectionMarks('caldav'),
        ctx({ TB_PW: 's3' }),
      );
      assert.deepEqual(settings, { auth: { type: 'basic', username: 'alice', password: 's3' } });
      assert.deepEqual(httpAuthOf(settings.auth as never), { type: 'basic', username: 'alice', password: 's3' });
      assert.throws(
        () => resolveServerReads({ auth: { type: 'bearer', tokenEnv: 'TB_TOKEN' } }, connectionMarks('caldav'), ctx({})),
        /TB_TOKEN \(auth.tokenEnv of connection cal\) is not set/,
      );
      assert.throws(() => httpAuthOf({ type: 'bearer', tokenEnv: 'TB_TOKEN' }), /CalDAV token is not set/);
    });
  });

  describe('incremental reading', () => {
    it('with a sync token a listing holds only what changed, and deletions as removed', async () => {
      const c = connector();
      const a = await c.create(event('i1@test', 'One'), { hubId: 'i1', key: 'k' });
      const b = await c.create(event('i2@test', 'Two'), { hubId: 'i2', key: 'k' });
      const first = await c.list({ cursor: null, window: null });
      assert.equal(first.mode, 'full');
      const before = server.requestCounts();
      const quiet = await c.list({ cursor: first.cursor, window: null });
      const after = server.requestCounts();
      assert.deepEqual([quiet.mode, quiet.refs, quiet.removed], ['delta', [], []]);
      assert.equal(total(after) - total(before), 1, 'nothing changed: one request');
      assert.equal((after.REPORT ?? 0) - (before.REPORT ?? 0), 1, 'and it is the sync-collection REPORT');
      const a2 = await c.update(a.id, event('i1@test', 'One (edited)'), a.etag);
      await c.delete(b.id, b.etag);
      const delta = await c.list({ cursor: quiet.cursor, window: null });
      assert.deepEqual(delta.refs, [a2]);
      assert.deepEqual(delta.removed, [b.id]);
      assert.equal(delta.complete, true);
    });

    it('a stale sync token falls back to a full listing with a new token', async () => {
      const c = connector();
      await c.create(event('s1@test', 'One'), { hubId: 's1', key: 'k' });
      const first = await c.list({ cursor: null, window: null });
      const stale = JSON.stringify({ ...JSON.parse(first.cursor!), sync: 'http://radicale.org/ns/sync/0000' });
      const again = await c.list({ cursor: stale, window: null });
      assert.equal(again.mode, 'full', 'a rejected token means a full listing, never an empty delta');
      assert.deepEqual(
        again.refs.map((r) => r.id),
        ['s1.ics'],
      );
      assert.equal((await c.list({ cursor: again.cursor, window: null })).mode, 'delta', 'the new token works');
    });

    it('a server without sync-collection gets a PROPFIND etag listing, skipped while the ctag is unchanged', async () => {
      const noSync = faultyFetch((method, _url, body) =>
        method === 'REPORT' && body.includes('sync-collection') ? new Response('<error xmlns="DAV:"><supported-report/></error>', { status: 403 }) : null,
      );
      const c = connector({ fetch: noSync });
      await c.create(event('p1@test', 'One'), { hubId: 'p1', key: 'k' });
      const first = await c.list({ cursor: null, window: null });
      assert.equal(first.mode, 'full');
      assert.deepEqual(
        first.refs.map((r) => r.id),
        ['p1.ics'],
      );
      assert.match(first.cursor!, /"ctag"/);
      const quiet = await c.list({ cursor: first.cursor, window: null });
      assert.deepEqual([quiet.mode, quiet.refs.length], ['delta', 0], 'same ctag: nothing listed');
      await c.create(event('p2@test', 'Two'), { hubId: 'p2', key: 'k' });
      const moved = await c.list({ cursor: quiet.cursor, window: null });
      assert.equal(moved.mode, 'full');
      assert.deepEqual(moved.refs.map((r) => r.id).sort(), ['p1.ics', 'p2.ics']);
    });

    it('a calendar deleted on the server is an error, not an empty listing', async () => {
      const c = connector({ calendar: 'doomed', create: false });
      await connector({ calendar: 'doomed' }).create(event('x1@test', 'One'), { hubId: 'x1', key: 'k' });
      const first = await c.list({ cursor: null, window: null });
      await otherClient('DELETE', '/alice/doomed/');
      await rejectsWith(connector({ calendar: 'doomed', create: false }).list({ cursor: first.cursor, window: null }), 'not_found');
      await rejectsWith(c.list({ cursor: first.cursor, window: null }), 'not_found');
    });
  });

  describe('the time-range window', () => {
    it('marks events outside the window as outside, so they are not read', async () => {
      const c = connector();
      await c.create(event('w-in@test', 'Inside', '20240506T090000Z'), { hubId: 'win', key: 'k' });
      await c.create(event('w-out@test', 'Outside', '20230101T090000Z'), { hubId: 'wout', key: 'k' });
      const weekly = vcal(vevent(['DTSTART:20230102T090000Z', 'DTEND:20230102T100000Z', 'RRULE:FREQ=WEEKLY', 'SUMMARY:Weekly'], 'w-rec@test'));
      await c.create(weekly, { hubId: 'wrec', key: 'k' });
      const listing = await c.list({ cursor: null, window: { start: '2024-05-01T00:00:00Z', end: '2024-06-01T00:00:00Z' } });
      assert.deepEqual(listing.refs.map((r) => r.id).sort(), ['win.ics', 'wout.ics', 'wrec.ics'], 'every member is listed (present)');
      assert.deepEqual(listing.outsideWindow, ['wout.ics'], 'a recurring event with an instance in the window is inside');
    });
  });

  describe('faults', () => {
    it('a server error on one item in a multiget fails that item only', async () => {
      const c0 = connector();
      const refs = [];
      for (let n = 1; n <= 3; n++) refs.push(await c0.create(event(`f${n}@test`, `F${n}`), { hubId: `f${n}`, key: 'k' }));
      const broken = faultyFetch((method, url, body) => {
        if (method === 'REPORT' && body.includes('f2.ics')) return new Response('Internal Server Error', { status: 500 });
        if (method === 'GET' && url.endsWith('/f2.ics')) return new Response('Internal Server Error', { status: 500 });
        return null;
      });
      const c = connector({ fetch: broken, calendar: `cal-${calendars}`, create: false });
      const got = await c.get(refs.map((r) => r.id));
      assert.deepEqual(
        got.map((g) => (isItemFailure(g) ? `${g.id}:${g.error.kind}` : g.id)),
        ['f1.ics', 'f2.ics:transient', 'f3.ics'],
      );
    });

    it('a create whose UID is already used by another resource is a conflict with a clear message', async () => {
      const c = connector();
      await c.create(event('same@test', 'First'), { hubId: 'u1', key: 'k' });
      await rejectsWith(c.create(event('same@test', 'Second'), { hubId: 'u2', key: 'k' }), 'conflict', /same UID/);
    });
  });

  describe('text encoding', () => {
    /**
     * Radicale re-encodes what it is sent (a Latin-1 PUT is stored as UTF-8) and answers 500
     * for a non-UTF-8 file in its storage, so it never serves such bytes: a fetch between
     * the connector and Radicale puts them into the multiget answers, as a file-backed server might.
     */
    const rewriting =
      (swaps: [string, Buffer][]) =>
      async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
        const res = await fetch(input, init);
        if (init?.method !== 'REPORT') return res;
        let body = Buffer.from(await res.arrayBuffer());
        for (const [from, to] of swaps) {
          const parts: Buffer[] = [];
          let at = 0,
            i: number;
          while ((i = body.indexOf(from, at)) >= 0) {
            parts.push(body.subarray(at, i), to);
            at = i + Buffer.byteLength(from);
          }
          body = Buffer.concat([...parts, body.subarray(at)]);
        }
        return new Response(body, { status: res.status, headers: res.headers });
      };
    const swaps: [string, Buffer][] = [
      ['Zürich', Buffer.from([0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68])], // Latin-1 ü
      ['Köln', Buffer.from([0x4b, 0xc3, 0x0d, 0x0a, 0x20, 0xb6, 0x6c, 0x6e])], // a fold between the two bytes of ö
      ['Broken', Buffer.from([0x42, 0x72, 0x81, 0x6b, 0x65, 0x6e])], // 0x81: nothing in UTF-8 or Windows-1252
    ];

    it('mends a fold that cut a character, converts Latin-1 with a warning naming the href, and refuses what neither reads, naming the href', async () => {
      const c = connector({ fetch: rewriting(swaps) as typeof fetch });
      for (const [id, summary] of [
        ['zurich', 'Meeting in Zürich'],
        ['koeln', 'Meeting in Köln'],
        ['broken', 'Broken meeting'],
        ['bern', 'Meeting in Bern'],
      ]) {
        await c.create(event(`${id}@test`, summary!), { hubId: id!, key: id! });
      }
      const got = await c.get(['zurich.ics', 'koeln.ics', 'broken.ics', 'bern.ics']);
      const [zurich, koeln, broken, bern] = got;
      assert.ok(zurich && !isItemFailure(zurich) && koeln && !isItemFailure(koeln) && bern && !isItemFailure(bern), JSON.stringify(got));
      assert.match(zurich.data, /^SUMMARY:Meeting in Zürich\r$/m);
      assert.equal(zurich.warnings?.length, 1);
      assert.match(zurich.warnings![0]!, /\/alice\/cal-\d+\/zurich\.ics was not UTF-8: 1 byte \(first on line \d+\) read as Windows-1252/);
      assert.match(koeln.data, /^SUMMARY:Meeting in Köln\r$/m);
      assert.equal(koeln.warnings, undefined, 'a mended fold loses nothing: no warning');
      assert.match(bern.data, /^SUMMARY:Meeting in Bern\r$/m);
      assert.ok(broken && isItemFailure(broken));
      assert.equal(broken.error.code, 'ITEM_UNPARSABLE');
      assert.match(broken.error.message, /\/alice\/cal-\d+\/broken\.ics was not read: it is not UTF-8, and 1 of its bytes mean nothing in Windows-1252/);
      for (const item of [zurich, koeln, bern]) assert.ok(!item.data.includes('\ufffd'), `${item.id} holds U+FFFD`);
    });

    it('numeric character references and entities in calendar data are read as the characters they stand for', async () => {
      const c = connector({ fetch: rewriting([['Tom &amp; Jerry', Buffer.from('Tom &#38; Jerry &#xE9;&#233;')]]) as typeof fetch });
      await c.create(event('refs@test', 'Tom & Jerry <3'), { hubId: 'refs', key: 'refs' });
      const [refs] = await c.get(['refs.ics']);
      assert.ok(refs && !isItemFailure(refs));
      assert.match(refs.data, /^SUMMARY:Tom & Jerry éé <3\r$/m);
    });
  });

  describe('calendar fidelity through the server', () => {
    const samples: Record<string, string> = {
      'time zones': vcal(
        BERLIN_VTIMEZONE,
        NEW_YORK_VTIMEZONE,
        vevent(['DTSTART;TZID=Europe/Berlin:20240506T090000', 'DTEND;TZID=America/New_York:20240506T050000', 'SUMMARY:Across zones'], 'tz@test'),
      ),
      'all-day, several days': vcal(vevent(['DTSTART;VALUE=DATE:20240506', 'DTEND;VALUE=DATE:20240509', 'SUMMARY:Offsite'], 'allday@test')),
      'recurrence with EXDATE and an override': vcal(
        BERLIN_VTIMEZONE,
        vevent(
          [
            'DTSTART;TZID=Europe/Berlin:20240506T090000',
            'DTEND;TZID=Europe/Berlin:20240506T093000',
            'RRULE:FREQ=WEEKLY;COUNT=6',
            'EXDATE;TZID=Europe/Berlin:20240513T090000',
            'SUMMARY:Standup',
          ],
          'rec@test',
        ),
        vevent(
          [
            'RECURRENCE-ID;TZID=Europe/Berlin:20240520T090000',
            'DTSTART;TZID=Europe/Berlin:20240520T100000',
            'DTEND;TZID=Europe/Berlin:20240520T103000',
            'SUMMARY:Standup (moved)',
          ],
          'rec@test',
        ),
      ),
      'unknown properties and alarms': vcal(
        vevent(
          [
            'DTSTART:20240506T090000Z',
            'DURATION:PT45M',
            'SUMMARY:Kept',
            'X-ACME-PROJECT:Apollo',
            'ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT:mailto:bob@example.com',
            'BEGIN:VALARM',
            'ACTION:DISPLAY',
            'TRIGGER:-PT10M',
            'DESCRIPTION:Soon',
            'END:VALARM',
          ],
          'extra@test',
        ),
      ),
    };
    for (const [name, text] of Object.entries(samples)) {
      it(`${name}: what the server stores means the same to the hub`, async () => {
        const c = connector();
        const ref = await c.create(text, { hubId: 'fid', key: 'k' });
        const [item] = await c.get([ref.id]);
        assert.ok(item && !isItemFailure(item));
        assert.deepEqual(meaning(item.data), meaning(text), 'no field and no other content changed, whatever the server rewrote');
        assert.equal(item.etag, ref.etag, 'the etag the PUT returned is the one listed');
        assert.ok(item.data.endsWith('END:VCALENDAR\r\n') && !/[^\r]\n/.test(item.data), 'CRLF line ends, though XML turned them into LF');
      });
    }

    it('a server rewriting PRODID, DTSTAMP and the VTIMEZONE order is not a change', async () => {
      const text = samples['time zones']!;
      const rewritten = text
        .replace('PRODID:-//Test//Test//EN', 'PRODID:-//Radicale//NONSGML Radicale Server//EN')
        .replace('DTSTAMP:20240101T120000Z', 'DTSTAMP:20261122T080000Z');
      const tz = [BERLIN_VTIMEZONE.join('\r\n'), NEW_YORK_VTIMEZONE.join('\r\n')];
      const swapped = rewritten.replace(`${tz[0]}\r\n${tz[1]}`, `${tz[1]}\r\n${tz[0]}`);
      assert.notEqual(swapped, text);
      assert.deepEqual(meaning(swapped), meaning(text));
    });
  });
});

function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}
