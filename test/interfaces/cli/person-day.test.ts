/**
 * A time entry's day is its person's day, whatever zone a remote renders it in: the real
 * CLI (`timebridge sync`, a child process) against the Kimai and Jira emulators (in this
 * process). The API users sit in other zones than the people whose work they sync (Kimai
 * A's in UTC, Kimai B's and Jira B's in Berlin), and the entries lie near midnight and on a
 * DST change, where the API user's day and the person's differ. An edit of the description
 * alone on the remote side must leave the hub's `date` and `timeZone` the person's, and
 * the copy on the other system must sit on the same local day.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createKimaiEmulator, type KimaiEmulator } from '../../../src/emulators/kimai/index.js';
import { emptyData, newUser, type KimaiData } from '../../../src/emulators/kimai/kimai-data.js';
import type { HubRecord } from '../../../src/core/model.js';
import { instantToLocalDate } from '../../../src/connectors/kit/zone-time.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { cliChild } from '../../support/cli-child.js';
import { tempDir } from '../../support/serve.js';

const PEOPLE = [
  { username: 'kenji', timezone: 'Asia/Tokyo' },
  { username: 'greta', timezone: 'Europe/Berlin' },
  { username: 'nora', timezone: 'America/New_York' },
];

/** A Kimai whose API user `sync` lives in `apiZone`, with the three people and one customer, project and activity. */
function kimaiData(apiZone: string, token: string): KimaiData {
  const data = emptyData();
  newUser(data, { username: 'sync', timezone: apiZone, admin: true, apiToken: token, apiPassword: `${token}-pw` });
  for (const p of PEOPLE) newUser(data, { ...p, admin: false, apiToken: `${p.username}-${token}`, apiPassword: `${p.username}-pw` });
  data.customers.push({
    id: 10,
    name: 'Acme',
    number: null,
    comment: null,
    visible: true,
    billable: true,
    company: null,
    country: 'DE',
    currency: 'EUR',
    timezone: 'UTC',
    color: null,
  });
  data.projects.push({
    id: 20,
    name: 'Website',
    customer: 10,
    orderNumber: null,
    orderDate: null,
    start: null,
    end: null,
    comment: null,
    visible: true,
    billable: true,
    globalActivities: true,
    number: null,
    color: null,
  });
  data.activities.push({ id: 30, name: 'Work', project: null, comment: null, visible: true, billable: true, number: null, color: null });
  data.nextId = 100;
  return data;
}

async function startKimai(apiZone: string, token: string): Promise<KimaiEmulator & { base: string }> {
  const emu = createKimaiEmulator({ data: kimaiData(apiZone, token) });
  return Object.assign(emu, { base: await emu.listen() });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function kimai(emu: { base: string }, token: string, method: string, route: string, body?: unknown): Promise<any> {
  const res = await fetch(`${emu.base}/api${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${route}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function kimaiLinks(name: string, scope: string, timesheetOptions = ''): string {
  return [
    `  ${name}-customers: { connection: ${name}, scope: ${scope}, externalKind: customer, direction: pull }`,
    `  ${name}-projects: { connection: ${name}, scope: ${scope}, externalKind: project, direction: pull }`,
    `  ${name}-activities: { connection: ${name}, scope: ${scope}, externalKind: activity, direction: pull }`,
    `  ${name}-users: { connection: ${name}, scope: ${scope}, externalKind: user, direction: pull }`,
    `  ${name}-timesheets: { connection: ${name}, scope: ${scope}, externalKind: timesheet, collection: all, window: null${timesheetOptions} }`,
  ].join('\n');
}

function kimaiConnection(name: string, url: string, token: string, zone: string): string {
  return `  ${name}:\n    type: kimai\n    url: ${url}\n    token: ${token}\n    timeZone: ${zone}\n`;
}

async function sync(dir: string): Promise<{ status: string; counts: Record<string, number>; errors: unknown[] }[]> {
  const r = await cliChild(dir, ['--config', path.join(dir, 'timebridge.yaml'), 'sync', '--json']);
  assert.equal(r.code, 0, `sync exited ${r.code}\n${r.stdout.slice(0, 3000)}\n${r.stderr.slice(0, 3000)}`);
  return JSON.parse(r.stdout) as { status: string; counts: Record<string, number>; errors: unknown[] }[];
}

async function hubRecords(dir: string, scope: string, kind: 'timeEntry' | 'person'): Promise<HubRecord[]> {
  const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
  try {
    return (await store.listScope(scope, kind)).filter((r) => !r.tombstone);
  } finally {
    await store.close();
  }
}

/** The hub entry of a person (by Kimai username), found through the hub person record. */
async function entryOf(dir: string, scope: string, username: string): Promise<HubRecord> {
  const person = (await hubRecords(dir, scope, 'person')).find((p) => p.fields.username === username);
  assert.ok(person, `no hub person ${username}`);
  const entries = (await hubRecords(dir, scope, 'timeEntry')).filter((e) => e.fields.personId === person.id);
  assert.equal(entries.length, 1, `hub entries of ${username}`);
  return entries[0]!;
}

const writes = (runs: { counts: Record<string, number> }[]) =>
  runs.reduce(
    (n, r) =>
      n +
      Object.entries(r.counts)
        .filter(([k]) => /^(push|pull)-|^merge$|^adopt$/.test(k))
        .reduce((m, [, v]) => m + v, 0),
    0,
  );

/** UTC wall times (`sync` of Kimai A types in UTC) and the person's day they fall on. */
const ENTRIES = [
  { username: 'kenji', beginUtc: '2026-11-30T22:30', day: '2026-12-01', why: 'Tokyo 07:30 on Dec 1' },
  { username: 'nora', beginUtc: '2026-12-01T04:30', day: '2026-11-30', why: 'New York 23:30 on Nov 30' },
  { username: 'greta', beginUtc: '2026-10-24T23:30', day: '2026-10-25', why: 'Berlin 01:30 on Oct 25, the night summer time ends' },
];

describe("the person's day, across Kimai instances whose API users live elsewhere (CLI)", () => {
  const TOKEN_A = 'kimai-a-token-0123456789',
    TOKEN_B = 'kimai-b-token-0123456789',
    TOKEN_C = 'kimai-c-token-0123456789';
  let a: KimaiEmulator & { base: string }, b: KimaiEmulator & { base: string }, c: KimaiEmulator & { base: string };
  let dir: string;
  const ids = new Map<string, number>();

  before(async () => {
    a = await startKimai('UTC', TOKEN_A);
    b = await startKimai('Europe/Berlin', TOKEN_B);
    c = await startKimai('UTC', TOKEN_C);
    dir = tempDir('tb-person-day-');
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'store:\n  path: hub.sqlite\nconnections:\n',
        kimaiConnection('a', a.base, TOKEN_A, 'UTC'),
        kimaiConnection('b', b.base, TOKEN_B, 'Europe/Berlin'),
        kimaiConnection('c', c.base, TOKEN_C, 'UTC'),
        'links:\n',
        kimaiLinks('a', 'work'),
        '\n',
        kimaiLinks('b', 'work'),
        '\n',
        kimaiLinks('c', 'days', ', options: { granularity: day }'),
        '\n',
      ].join(''),
    );
    const users = (await kimai(a, TOKEN_A, 'GET', '/users')) as { id: number; username: string }[];
    for (const e of ENTRIES) {
      const user = users.find((u) => u.username === e.username)!.id;
      const end = new Date(Date.parse(`${e.beginUtc}Z`) + 3_600_000).toISOString().slice(0, 16);
      const t = await kimai(a, TOKEN_A, 'POST', '/timesheets', { user, project: 20, activity: 30, begin: e.beginUtc, end, description: 'planning' });
      ids.set(e.username, t.id as number);
    }
    // A day-granular hub (scope days): Kenji's 07:30 on Dec 1 in Tokyo, typed in by the UTC API user.
    const kenjiC = ((await kimai(c, TOKEN_C, 'GET', '/users')) as { id: number; username: string }[]).find((u) => u.username === 'kenji')!.id;
    ids.set(
      'c:kenji',
      (
        await kimai(c, TOKEN_C, 'POST', '/timesheets', {
          user: kenjiC,
          project: 20,
          activity: 30,
          begin: '2026-11-30T22:30',
          end: '2026-11-30T23:30',
          description: 'review',
        })
      ).id as number,
    );
  });
  after(async () => {
    await Promise.all([a.close(), b.close(), c.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("pulls each entry on its person's day and zone, and Kimai B gets it on the same local day", async () => {
    const runs = await sync(dir);
    assert.ok(
      runs.every((r) => r.status === 'ok'),
      JSON.stringify(runs.filter((r) => r.status !== 'ok')),
    );
    const bRows = (await kimai(b, TOKEN_B, 'GET', '/timesheets?user=all')) as { begin: string; user: number; description: string }[];
    const bUsers = (await kimai(b, TOKEN_B, 'GET', '/users')) as { id: number; username: string }[];
    for (const e of ENTRIES) {
      const hub = await entryOf(dir, 'work', e.username);
      const zone = PEOPLE.find((p) => p.username === e.username)!.timezone;
      assert.equal(hub.fields.date, e.day, `${e.why}: hub date`);
      assert.equal(hub.fields.timeZone, zone, `${e.why}: hub zone`);
      const copy = bRows.find((r) => r.user === bUsers.find((u) => u.username === e.username)!.id);
      assert.ok(copy, `${e.why}: no copy in Kimai B`);
      assert.equal(
        instantToLocalDate(Date.parse(copy.begin.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')), zone),
        e.day,
        `${e.why}: Kimai B's copy (${copy.begin}) on the person's day`,
      );
    }
  });

  it("an edit of only the description in Kimai keeps the person's day and zone, and the next run writes nothing", async () => {
    for (const e of ENTRIES) await kimai(a, TOKEN_A, 'PATCH', `/timesheets/${ids.get(e.username)}`, { description: `planning (${e.username})` });
    await sync(dir);
    for (const e of ENTRIES) {
      const hub = await entryOf(dir, 'work', e.username);
      assert.equal(hub.fields.description, `planning (${e.username})`, `${e.why}: the edit arrived`);
      assert.equal(hub.fields.date, e.day, `${e.why}: hub date after the edit`);
      assert.equal(hub.fields.timeZone, PEOPLE.find((p) => p.username === e.username)!.timezone, `${e.why}: hub zone after the edit`);
    }
    assert.equal(writes(await sync(dir)), 0, 'the run after the edit changes nothing');
  });

  it('a day-granular entry keeps its day across a description edit', async () => {
    const first = await entryOf(dir, 'days', 'kenji');
    assert.deepEqual([first.fields.date, first.fields.start, first.fields.timeZone], ['2026-12-01', null, 'Asia/Tokyo']);
    await kimai(c, TOKEN_C, 'PATCH', `/timesheets/${ids.get('c:kenji')}`, { description: 'review, done' });
    await sync(dir);
    const edited = await entryOf(dir, 'days', 'kenji');
    assert.deepEqual([edited.fields.date, edited.fields.description], ['2026-12-01', 'review, done']);
  });
});

describe('Kimai activities whose names differ only in case, or not at all, are records of their own (CLI)', () => {
  const TOKEN = 'kimai-n-token-0123456789';
  let k: KimaiEmulator & { base: string };
  let dir: string;
  /** Kimai activity id → the description of the timesheet booked on it. */
  const booked = new Map<number, string>([
    [31, 'on Support'],
    [32, 'on support'],
    [33, 'on Review one'],
    [34, 'on Review two'],
  ]);

  before(async () => {
    const data = kimaiData('UTC', TOKEN);
    data.activities.push(
      { id: 31, name: 'Support', project: 20, comment: null, visible: true, billable: true, number: null, color: null },
      { id: 32, name: 'support', project: 20, comment: null, visible: true, billable: true, number: null, color: null },
      { id: 33, name: 'Review', project: 20, comment: null, visible: true, billable: true, number: null, color: null },
      { id: 34, name: 'Review', project: 20, comment: null, visible: true, billable: true, number: null, color: null },
    );
    k = Object.assign(createKimaiEmulator({ data }), { base: '' });
    k.base = await k.listen();
    for (const [activity, description] of booked) {
      await kimai(k, TOKEN, 'POST', '/timesheets', {
        project: 20,
        activity,
        begin: `2026-12-0${activity - 29}T09:00`,
        end: `2026-12-0${activity - 29}T10:00`,
        description,
      });
    }
    dir = tempDir('tb-kimai-names-');
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      ['store:\n  path: hub.sqlite\nconnections:\n', kimaiConnection('k', k.base, TOKEN, 'UTC'), 'links:\n', kimaiLinks('k', 'work'), '\n'].join(''),
    );
  });
  after(async () => {
    await k.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('syncs each activity to its own hub record, books each timesheet on its own, and the next run is a no-op', async () => {
    const runs = await sync(dir);
    const errors = runs.flatMap((r) => r.errors);
    assert.deepEqual(errors, [], 'no run reports an error (ITEM_DUPLICATE_IDENTITY before)');
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      const activities = (await store.listScope('work', 'activity')).filter((r) => !r.tombstone && r.fields.name !== 'Work');
      assert.deepEqual(activities.map((a) => a.fields.name).sort(), ['Review', 'Review', 'Support', 'support']);
      const linkOf = new Map((await store.loadStatusIndex('link:k-activities')).map((s) => [s.hubId, Number(s.extId)]));
      const entries = (await store.listScope('work', 'timeEntry')).filter((r) => !r.tombstone);
      assert.equal(entries.length, booked.size);
      for (const e of entries) {
        const kimaiActivity = linkOf.get(e.fields.activityId as string);
        assert.equal(booked.get(kimaiActivity!), e.fields.description, `${String(e.fields.description)} is booked on Kimai activity ${kimaiActivity}`);
      }
    } finally {
      await store.close();
    }
    assert.equal(writes(await sync(dir)), 0, 'the second run writes nothing');
  });
});
