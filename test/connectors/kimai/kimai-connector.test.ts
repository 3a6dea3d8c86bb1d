/**
 * The Kimai connector on its own: credentials (and that they never show in errors), a
 * create whose reply is lost, the mapper's refusals, settings validation, and Kimai's
 * time format.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Catalog } from '../../../src/app/catalog.js';
import { parseConfig } from '../../../src/app/config.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { createKimaiConnector, kimaiApiOf, kimaiConfigSchema } from '../../../src/connectors/kimai/index.js';
import { formatKimai, parseKimai } from '../../../src/connectors/kimai/kimai-time.js';
import { instantToWall } from '../../../src/connectors/kit/zone-time.js';
import type { KimaiEntry } from '../../../src/connectors/kimai/kimai-types.js';
import { timesheetMapper } from '../../../src/connectors/kimai/timesheet-mapper.js';
import { placeInDay } from '../../../src/connectors/kimai/timesheet-codec.js';
import type { RefLookup } from '../../../src/connectors/kit/mapper.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { ADMIN_TOKEN, kimaiConfig, kimaiConnector, startKimai } from './kimai-fixture.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

const entry = (over: Partial<KimaiEntry> = {}): KimaiEntry => ({
  start: '2026-03-02T08:00:00Z',
  date: '2026-03-02',
  durationSeconds: 3600,
  breakSeconds: 0,
  timeZone: null,
  user: 1,
  project: 20,
  activity: 31,
  description: 'x',
  tags: [],
  billable: true,
  exported: false,
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; kind?: string; hint?: string }> {
  try {
    await p;
  } catch (err) {
    assert.ok(isTimebridgeError(err), String(err));
    return err;
  }
  assert.fail('expected a rejection');
}

describe('Kimai connector', () => {
  let emu: Emu;
  before(async () => {
    emu = await startKimai();
  });
  after(async () => {
    await emu.close();
  });

  it('authenticates with the legacy user + API password, and never puts a secret in an error', async () => {
    const legacy = kimaiConnector(emu.base, 'timesheet', 'all', { token: undefined, user: 'anna', password: 'anna-pass' } as never);
    assert.equal((await legacy.list({ cursor: null, window: null })).complete, true);
    const wrong = createKimaiConnector(kimaiConfigSchema.parse({ url: emu.base, user: 'anna', password: 'secret-wrong-pass' }), {
      externalKind: 'customer',
      collection: null,
    });
    const e1 = await rejection(wrong.list({ cursor: null, window: null }));
    assert.equal(e1.kind, 'auth');
    assert.ok(!e1.message.includes('secret-wrong-pass'));
    const badToken = createKimaiConnector(kimaiConfigSchema.parse({ url: `${emu.base}/api/`, token: 'tok-SECRET-123456' }), {
      externalKind: 'customer',
      collection: null,
    });
    const e2 = await rejection(badToken.list({ cursor: null, window: null }));
    assert.equal(e2.kind, 'auth');
    assert.ok(!JSON.stringify({ m: e2.message, h: e2.hint }).includes('tok-SECRET-123456'));
  });

  it('refuses settings without credentials, or with both kinds, saying what to give', () => {
    const none = kimaiConfigSchema.safeParse({ url: 'https://kimai.example.com' });
    assert.ok(!none.success);
    assert.match(none.error.issues[0]!.message, /either token\/tokenEnv .* or user with password\/passwordEnv/);
    assert.ok(!kimaiConfigSchema.safeParse({ url: 'https://k.example.com', token: 't', user: 'u', password: 'p' }).success);
    assert.ok(!kimaiConfigSchema.safeParse({ url: 'https://k.example.com', token: 't', dayStart: '8am' }).success);
    assert.ok(!kimaiConfigSchema.safeParse({ url: 'https://k.example.com', token: 't', timeZone: 'Mars/Olympus' }).success);
    assert.throws(
      () => createKimaiConnector(kimaiConfig('https://k.example.com'), { externalKind: 'timesheet', collection: 'anna' }),
      /not a Kimai user id or "all"/,
    );
    const env = kimaiConfigSchema.parse({ url: 'https://k.example.com', tokenEnv: 'KIMAI_TEST_TOKEN_UNSET' });
    assert.throws(() => kimaiApiOf(env), /Kimai API token is not set/, 'the connector never reads the environment itself');
  });

  it('a 500 on page 7 of a timesheet listing is retried and the listing completes', async () => {
    const config = kimaiConfig(emu.base, { pageSize: 1 });
    const slept: number[] = [];
    const api = kimaiApiOf(config, undefined, {
      http: {
        clock: {
          sleep: async (ms) => {
            slept.push(ms);
          },
        },
      },
    });
    const c = createKimaiConnector(config, { externalKind: 'timesheet', collection: 'all' }, api);
    const need = 10 - emu.data().timesheets.length;
    for (let i = 0; i < need; i++) {
      await c.create(entry({ start: `2026-03-03T${String(6 + i).padStart(2, '0')}:00:00Z`, date: '2026-03-03', durationSeconds: 1800 }), {
        hubId: `hub-page-${i}`,
        key: 'k',
      });
    }
    const total = emu.data().timesheets.length;
    assert.ok(total >= 10);
    emu.inject({ method: 'GET', path: '^/api/timesheets$', status: 500, after: 6, times: 1 });
    const listing = await c.list({ cursor: null, window: null });
    assert.deepEqual([listing.complete, listing.refs.length], [true, total]);
    assert.deepEqual([slept.length, api.retries], [1, 1]);
  });

  it('a create whose reply was lost is found again, not made twice', async () => {
    let lose = true;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (lose && init?.method === 'POST' && String(input).endsWith('/api/timesheets')) {
        lose = false;
        throw new TypeError('fetch failed: socket hang up');
      }
      return res;
    };
    const slept: number[] = [];
    const api = kimaiApiOf(kimaiConfig(emu.base), lossy, {
      http: {
        clock: {
          sleep: async (ms) => {
            slept.push(ms);
          },
        },
      },
    });
    const c = createKimaiConnector(kimaiConfig(emu.base), { externalKind: 'timesheet', collection: 'all' }, api);
    const before = emu.data().timesheets.length;
    const key = { hubId: 'hub-lost-reply', key: 'hub-lost-reply' };
    // The POST is not repeated by itself; the whole create is, and its lookup finds what the first try made.
    const made = await c.create(entry({ start: '2026-03-09T08:00:00Z', date: '2026-03-09' }), key);
    assert.equal(emu.data().timesheets.length, before + 1);
    assert.deepEqual([slept.length, api.retries], [1, 1]);
    const found = await c.findByKey(key);
    assert.equal(found?.id, made.id, 'findByKey finds it too');
    const again = await c.create(entry({ start: '2026-03-09T08:00:00Z', date: '2026-03-09' }), key);
    assert.equal(again.id, made.id);
    assert.equal(emu.data().timesheets.length, before + 1);
  });

  it('a day-granular create retried after a lost reply takes the slot of its first try', async () => {
    const c = kimaiConnector<KimaiEntry>(emu.base, 'timesheet', '1');
    const key = { hubId: 'hub-day', key: 'hub-day' };
    const day = entry({ start: null, date: '2026-03-12', description: 'day log' });
    const first = await c.create(day, key);
    const second = await c.create(day, key);
    assert.equal(second.id, first.id);
    const other = await c.create(day, { hubId: 'hub-day-2', key: 'hub-day-2' });
    assert.notEqual(other.id, first.id, 'another entry with the same content is a second record');
    const [a, b] = emu
      .data()
      .timesheets.filter((t) => t.description?.startsWith('day log'))
      .sort((x, y) => x.begin - y.begin);
    assert.equal(a!.description, 'day log\n\n[timebridge id=hub-day]', "the key is the description's last line in Kimai");
    assert.equal(instantToWall(a!.begin, 'Europe/Berlin'), '2026-03-12T08:00:00');
    assert.equal(b!.begin, a!.end);
  });

  it('refuses an entry of another user on a per-user link, taxonomy deletes and user writes, with what to do', async () => {
    const ben = kimaiConnector<KimaiEntry>(emu.base, 'timesheet', '2');
    const e = await rejection(ben.create(entry({ user: 1 }), { hubId: 'h-x', key: 'h-x' }));
    assert.match(e.message, /belongs to Kimai user 1, but the link covers user 2/);
    assert.match(e.hint ?? '', /collection: all/);
    const customers = kimaiConnector(emu.base, 'customer');
    const d = await rejection(customers.delete('10', 'x'));
    assert.match(d.hint ?? '', /Hide it in Kimai/);
    const users = kimaiConnector(emu.base, 'user');
    assert.match((await rejection(users.create({} as never, { hubId: 'u', key: 'u' }))).hint ?? '', /direction: pull/);
  });

  it('the timesheet mapper names what Kimai does not know (REF_UNRESOLVED)', () => {
    const refs: RefLookup = { hubId: () => null, extId: (kind, hubId) => (kind === 'user' && hubId === 'p1' ? '1' : null) };
    const r = timesheetMapper({ granularity: 'exact' }).toExternal(
      {
        date: '2026-03-02',
        start: '2026-03-02T08:00:00Z',
        durationSeconds: 60,
        timeZone: null,
        description: null,
        personId: 'p1',
        projectId: 'proj-x',
        activityId: null,
        taskId: null,
        billable: true,
        tags: [],
      },
      { now: new Date(), link: 't', refs },
      null,
    );
    // Not booked on an activity: it waits to be booked instead of failing.
    assert.ok(!r.ok && 'skip' in r);
    assert.equal(r.skip, 'waiting to be booked: no activity — add a booking rule or set activityId');
    const unknown = timesheetMapper({ granularity: 'exact' }).toExternal(
      {
        date: '2026-03-09',
        start: '2026-03-09T08:00:00Z',
        durationSeconds: 3600,
        timeZone: null,
        description: null,
        personId: 'p1',
        projectId: 'proj-x',
        activityId: 'act-x',
        taskId: null,
        billable: true,
        tags: [],
      },
      { now: new Date(), link: 't', refs },
      null,
    );
    assert.ok(!unknown.ok && 'error' in unknown);
    assert.match(unknown.error, /^REF_UNRESOLVED: Kimai does not know project proj-x \(not a Kimai project\), activity act-x \(not a Kimai activity\)/);
    const pulled = timesheetMapper({ granularity: 'day' }).toHub(entry(), {
      now: new Date(),
      link: 't',
      refs: { hubId: (k, id) => `${k}-${id}`, extId: () => null },
    });
    assert.ok(pulled.ok);
    assert.equal(pulled.value.fields.start, null, 'granularity day keeps the day and the length only');
    assert.equal(pulled.value.fields.personId, 'user-1');
    assert.equal(pulled.value.identity, null, 'two equal work logs of a day are two entries, not a duplicate');
    const timed = timesheetMapper({ granularity: 'exact' }).toHub(entry(), {
      now: new Date(),
      link: 't',
      refs: { hubId: (k, id) => `${k}-${id}`, extId: () => null },
    });
    assert.ok(timed.ok);
    assert.equal(timed.value.identity, 'timeEntry:user-1|2026-03-02T08:00:00Z|3600|project-20|activity-31');
  });

  it('formats and parses Kimai times: +HHMM without a colon, DST, the local day of the record', () => {
    assert.equal(formatKimai(Date.UTC(2026, 0, 1, 0, 0), 'Asia/Kolkata'), '2026-01-01T05:30:00+0530');
    assert.equal(formatKimai(Date.UTC(2026, 6, 1, 12), 'America/New_York'), '2026-07-01T08:00:00-0400');
    assert.deepEqual(parseKimai('2020-03-27T14:35:00+1300'), { instantMs: Date.UTC(2020, 2, 27, 1, 35), date: '2020-03-27' });
    assert.equal(parseKimai('2020-03-27T14:35:00Z'), null);
    const nine = Date.UTC(2026, 2, 2, 8);
    const rows = [{ end: '2026-03-02T10:15:00+0100' }, { end: '2026-03-02T09:30:00+0100' }] as never[];
    assert.equal(placeInDay(rows, nine - 3_600_000, 0), Date.UTC(2026, 2, 2, 9, 15));
    assert.equal(placeInDay([], nine, 0), nine);
  });

  it('lists customers with an etag that changes with content only', async () => {
    const c = kimaiConnector(emu.base, 'customer');
    const first = await c.list({ cursor: null, window: null });
    const second = await c.list({ cursor: null, window: null });
    assert.deepEqual(second.refs, first.refs);
    await fetch(`${emu.base}/api/customers/10`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{"comment":"vip"}',
    });
    const third = await c.list({ cursor: null, window: null });
    assert.notEqual(third.refs.find((r) => r.id === '10')!.etag, first.refs.find((r) => r.id === '10')!.etag);
    assert.equal(third.refs.find((r) => r.id === '11')!.etag, first.refs.find((r) => r.id === '11')!.etag);
  });
});

describe('Kimai link defaults', () => {
  it("a timesheet link without window or schedule gets the sync service's fallback: ±31 days, every 2 hours", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-kimai-defaults-'));
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      const yaml =
        `connections:\n  k: { type: kimai, url: "http://127.0.0.1:9", token: t }\nlinks:\n` +
        `  sheets: { connection: k, scope: s, externalKind: timesheet }\n` +
        `  own: { connection: k, scope: s, externalKind: timesheet, window: { pastDays: 7, futureDays: 0 }, schedule: "*/10 * * * *" }\n` +
        `  projects: { connection: k, scope: s, externalKind: project }\n` +
        `  all: { connection: k, scope: s, externalKind: timesheet, window: null }\n`;
      const catalog = new Catalog(store, parseConfig(yaml, path.join(dir, 'tb.yaml'), {}), null);
      assert.deepEqual((await catalog.linkSpec('sheets')).window, { pastDays: 31, futureDays: 31 });
      assert.equal(await catalog.scheduleOf((await catalog.getLink('sheets'))!), '0 */2 * * *');
      assert.deepEqual((await catalog.linkSpec('own')).window, { pastDays: 7, futureDays: 0 }, "the link's own settings win");
      assert.equal(await catalog.scheduleOf((await catalog.getLink('own'))!), '*/10 * * * *');
      assert.equal((await catalog.linkSpec('projects')).window, null, 'taxonomy links are not windowed');
      assert.equal((await catalog.linkSpec('all')).window, null, 'window: null reads everything');
      assert.equal(await catalog.scheduleOf((await catalog.getLink('projects'))!), null);
      await catalog.close();
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
