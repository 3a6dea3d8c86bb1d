/**
 * Sync through the hub between an `.ics` folder and a calendar on a real Radicale: the
 * `timebridge` CLI as a user runs it, and the engine with faults injected — a stale sync
 * token, another client editing between read and write (412), a server error on one
 * item, and a calendar emptied on the server.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createCaldavConnector } from '../../../src/connectors/caldav/caldav-connector.js';
import { createIcsFolderConnector } from '../../../src/connectors/ics-folder/folder-connector.js';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { isItemFailure, type Connector, type ExternalItem } from '../../../src/connectors/kit/connector.js';
import { DEFAULT_POLICY, type LinkPolicy } from '../../../src/core/policy.js';
import { syncLinks } from '../../../src/runtime/sync-links.js';
import type { LinkSpec, RunDeps } from '../../../src/runtime/types.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../../src/store/types.js';
import { basicAuth, needsRadicale, startRadicale, type Radicale } from '../../support/radicale.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'timebridge.js');

let server: Radicale;
const BOB_PASSWORD = 'bob-Zq8-not-in-any-file';
let calendars = 0;
const roots: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-caldav-sync-'));
  roots.push(dir);
  return dir;
}

function eventText(uid: string, summary: string, location = ''): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T000000Z',
    `SUMMARY:${summary}`,
    ...(location ? [`LOCATION:${location}`] : []),
    'DTSTART:20261201T100000Z',
    'DTEND:20261201T110000Z',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

/** uid → summaries in a folder (a list, so duplicates show). */
function folderEvents(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ics'))) add(out, fs.readFileSync(path.join(dir, f), 'utf8'));
  return out;
}

/** uid → summaries on the server, read as any client would. */
async function calendarEvents(cal: string): Promise<Map<string, string[]>> {
  const c = caldav(cal);
  const listing = await c.list({ cursor: null, window: null });
  const out = new Map<string, string[]>();
  for (const g of await c.get(listing.refs.map((r) => r.id))) {
    assert.ok(!isItemFailure(g), `reading ${g.id} failed`);
    add(out, g.data);
  }
  return out;
}

function add(out: Map<string, string[]>, text: string): void {
  const flat = text.replace(/\r?\n[ \t]/g, '');
  const uid = /^UID:(.*)$/m.exec(flat)?.[1]?.trim() ?? '?';
  const summary = /^SUMMARY:(.*)$/m.exec(flat)?.[1]?.trim() ?? '';
  out.set(uid, [...(out.get(uid) ?? []), summary]);
}

function sorted(m: Map<string, string[]>): [string, string[]][] {
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

function caldav(cal: string, fetchImpl?: typeof fetch): Connector<string> {
  return createCaldavConnector({
    url: server.url,
    auth: { type: 'basic', username: 'alice', password: 'secret' },
    calendar: cal,
    create: true,
    displayName: null,
    batchSize: 100,
    timeoutMs: 15_000,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

/** The resource holding `uid`, read as any client would. */
async function resourceOf(cal: string, uid: string): Promise<ExternalItem<string>> {
  const c = caldav(cal);
  const listing = await c.list({ cursor: null, window: null });
  for (const g of await c.get(listing.refs.map((r) => r.id))) if (!isItemFailure(g) && g.data.includes(`UID:${uid}`)) return g;
  return assert.fail(`no event ${uid} in ${cal}`);
}

/** Another client: rewrites or deletes the resource holding `uid`, conditionally. */
async function otherClient(cal: string, uid: string, change: { summary?: string; location?: string } | 'delete'): Promise<void> {
  const g = await resourceOf(cal, uid);
  if (change === 'delete') {
    await caldav(cal).delete(g.id, g.etag);
    return;
  }
  let text = g.data;
  if (change.summary) text = text.replace(/^SUMMARY:.*$/m, `SUMMARY:${change.summary}`);
  if (change.location) text = text.replace(/^(SUMMARY:.*)$/m, `$1\r\nLOCATION:${change.location}`);
  await caldav(cal).update(g.id, text, g.etag);
}

/** A fetch that answers some requests itself while `fault` says so. */
function faultyFetch(fault: (method: string, url: string, body: string) => Response | null): typeof fetch {
  return async (input, init) => {
    const url = input instanceof URL ? input.href : String(input);
    return fault(init?.method ?? 'GET', url, typeof init?.body === 'string' ? init.body : '') ?? fetch(input, init);
  };
}

interface Setup {
  dir: string;
  cal: string;
  store: HubStore;
  links: LinkSpec<string>[];
  deps: RunDeps;
  sync(opts?: { allowDeletes?: boolean }): Promise<Awaited<ReturnType<typeof syncLinks>>>;
}

/** A folder and a new Radicale calendar linked to one hub scope, on an in-memory store. */
function setup(opts: { policy?: Partial<LinkPolicy>; wrap?: (c: Connector<string>, cal: string) => Connector<string>; fetch?: typeof fetch } = {}): Setup {
  const dir = tempDir();
  const cal = `sync-${++calendars}`;
  const store = openSqliteStore(':memory:');
  const policy = { ...DEFAULT_POLICY, ...opts.policy };
  const server = caldav(cal, opts.fetch);
  const links: LinkSpec<string>[] = [
    {
      id: 'link:folder',
      name: 'folder',
      scope: 'team',
      kind: 'event',
      window: null,
      policy,
      mapper: icsEventMapper,
      connector: createIcsFolderConnector({ path: dir }),
    },
    {
      id: 'link:server',
      name: 'server',
      scope: 'team',
      kind: 'event',
      window: null,
      policy,
      mapper: icsEventMapper,
      connector: opts.wrap ? opts.wrap(server, cal) : server,
    },
  ];
  const deps: RunDeps = { store, clock: () => new Date() };
  return {
    dir,
    cal,
    store,
    links,
    deps,
    sync: (o = {}) => syncLinks(links, deps, { trigger: 'test', ...o }),
  };
}

function seed(dir: string, n: number): void {
  for (let i = 1; i <= n; i++) fs.writeFileSync(path.join(dir, `e${i}.ics`), eventText(`e${i}@test`, `Event ${i}`));
}

after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

describe('sync between an .ics folder and Radicale', needsRadicale(), () => {
  before(async () => {
    server = await startRadicale({ logRequests: true, users: { alice: 'secret', bob: BOB_PASSWORD } });
  });
  after(async () => {
    await server?.stop();
  });

  it('the CLI syncs both ways with edits on both sides, and a quiet resync costs one request', async () => {
    const dir = tempDir();
    const folder = path.join(dir, 'laptop');
    fs.mkdirSync(folder);
    seed(folder, 5);
    const config = [
      'store: { path: hub.sqlite }',
      'connections:',
      '  laptop: { type: ics-folder, path: laptop }',
      '  server:',
      '    type: caldav',
      `    url: ${server.url}`,
      '    auth: { type: basic, username: alice, passwordEnv: TB_TEST_CALDAV_PASSWORD }',
      '    calendar: cli-team',
      '    create: true',
      'links:',
      '  laptop: { connection: laptop, scope: team }',
      '  server: { connection: server, scope: team }',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), config);
    const tb = (...args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? '', HOME: dir, TB_TEST_CALDAV_PASSWORD: 'secret' },
      });
      return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
    };

    let r = tb('sync');
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(sorted(await calendarEvents('cli-team')), sorted(folderEvents(folder)), "the calendar holds the folder's events");

    fs.writeFileSync(path.join(folder, 'e1.ics'), eventText('e1@test', 'Event 1 (laptop edit)'));
    fs.rmSync(path.join(folder, 'e2.ics'));
    fs.writeFileSync(path.join(folder, 'new-laptop.ics'), eventText('laptop-new@test', 'Added on the laptop'));
    await otherClient('cli-team', 'e3@test', { summary: 'Event 3 (server edit)' });
    await otherClient('cli-team', 'e4@test', 'delete');
    const put = await fetch(new URL('/alice/cli-team/phone-made.ics', server.url), {
      method: 'PUT',
      headers: { ...basicAuth(), 'content-type': 'text/calendar', 'if-none-match': '*' },
      body: eventText('phone-new@test', 'Added on the phone'),
    });
    assert.equal(put.status, 201);

    r = tb('sync');
    assert.equal(r.code, 0, r.out);
    const expected = [
      ['e1@test', ['Event 1 (laptop edit)']],
      ['e3@test', ['Event 3 (server edit)']],
      ['e5@test', ['Event 5']],
      ['laptop-new@test', ['Added on the laptop']],
      ['phone-new@test', ['Added on the phone']],
    ];
    assert.deepEqual(sorted(folderEvents(folder)), expected);
    assert.deepEqual(sorted(await calendarEvents('cli-team')), expected);

    const before = server.requestCounts();
    r = tb('sync');
    assert.equal(r.code, 0, r.out);
    const after = server.requestCounts();
    const sent = Object.fromEntries(
      Object.keys(after)
        .map((m) => [m, (after[m] ?? 0) - (before[m] ?? 0)])
        .filter(([, n]) => n !== 0),
    );
    assert.deepEqual(sent, { REPORT: 1 }, 'nothing changed: one sync-collection report, no discovery');

    const status = tb('status');
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /server/);
    const check = tb('check');
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /✓ server \(caldav\): 5 items/);
    assert.match(check.out, /✓ laptop \(ics-folder\): 5 items/);
  });

  it('the CLI mends a split character, converts Latin-1 with a warning naming the href, and refuses undecodable data (exit 3), never writing U+FFFD', async () => {
    // Radicale re-encodes what it is sent and answers 500 for a non-UTF-8 file in its storage,
    // so a small proxy in front of it puts such bytes into its REPORT answers, as a file-backed server might.
    const swaps: [string, Buffer][] = [
      ['Zürich', Buffer.from([0x5a, 0xfc, 0x72, 0x69, 0x63, 0x68])], // Latin-1 ü
      ['Köln', Buffer.from([0x4b, 0xc3, 0x0d, 0x0a, 0x20, 0xb6, 0x6c, 0x6e])], // a fold between the two bytes of ö
      ['Broken', Buffer.from([0x42, 0x72, 0x81, 0x6b, 0x65, 0x6e])], // 0x81: neither UTF-8 nor Windows-1252
    ];
    const proxy = await rewritingProxy(server.url, swaps);
    try {
      const dir = tempDir();
      fs.mkdirSync(path.join(dir, 'laptop'));
      const put = (name: string, summary: string) =>
        fetch(new URL(`/alice/cli-bytes/${name}.ics`, server.url), {
          method: 'PUT',
          headers: { ...basicAuth(), 'content-type': 'text/calendar' },
          body: eventText(`${name}@test`, summary),
        }).then((r) => assert.equal(r.status, 201));
      assert.equal((await fetch(new URL('/alice/cli-bytes/', server.url), { method: 'MKCALENDAR', headers: basicAuth() })).status, 201);
      await put('zurich', 'Meeting in Zürich');
      await put('koeln', 'Meeting in Köln');
      await put('bern', 'Meeting in Bern');
      fs.writeFileSync(
        path.join(dir, 'timebridge.yaml'),
        [
          'store: { path: hub.sqlite }',
          'connections:',
          '  laptop: { type: ics-folder, path: laptop }',
          `  server: { type: caldav, url: "${proxy.url}", auth: { type: basic, username: alice, password: secret }, calendar: cli-bytes }`,
          'links:',
          '  server: { connection: server, scope: team }',
          '  laptop: { connection: laptop, scope: team }',
          '',
        ].join('\n'),
      );
      const tb = (...args: string[]) => cliAsync(dir, args);
      const summaries = () => [...folderEvents(path.join(dir, 'laptop')).entries()].sort().map(([uid, s]) => `${uid} ${s.join('|')}`);

      let r = await tb('sync');
      assert.equal(r.code, 0, r.out);
      assert.deepEqual(summaries(), ['bern@test Meeting in Bern', 'koeln@test Meeting in Köln', 'zurich@test Meeting in Zürich']);
      assert.match(r.out, /\/alice\/cli-bytes\/zurich\.ics was not UTF-8: 1 byte \(first on line \d+\) read as Windows-1252/);
      assert.ok(!r.out.includes('koeln.ics'), 'a mended fold loses nothing and warns of nothing');

      await put('broken', 'Broken meeting');
      r = await tb('sync');
      assert.equal(r.code, 3, `an item that cannot be read leaves the run partial\n${r.out}`);
      assert.match(r.out, /ITEM_UNPARSABLE/);
      assert.match(r.out, /\/alice\/cli-bytes\/broken\.ics was not read: it is not UTF-8, and 1 of its bytes mean nothing in Windows-1252/);
      assert.equal(summaries().length, 3, 'the rest of the calendar synced; the unreadable object did not');
      for (const f of fs.readdirSync(path.join(dir, 'laptop'))) {
        assert.ok(!fs.readFileSync(path.join(dir, 'laptop', f), 'utf8').includes('\ufffd'), `${f} holds U+FFFD`);
      }
    } finally {
      await proxy.close();
    }
  });

  it('an inline password works but is never written to the hub store; check reports a bad one', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'cal'));
    seed(path.join(dir, 'cal'), 2);
    const write = (password: string) =>
      fs.writeFileSync(
        path.join(dir, 'timebridge.yaml'),
        [
          'connections:',
          '  cal: { type: ics-folder, path: cal }',
          `  server: { type: caldav, url: "${server.url}", auth: { type: basic, username: bob, password: "${password}" }, calendar: bobs, create: true }`,
          'links:',
          '  cal: { connection: cal, scope: team }',
          '  server: { connection: server, scope: team }',
          '',
        ].join('\n'),
      );
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir } });
    write(BOB_PASSWORD);
    const r = run('sync');
    assert.equal(r.status, 0, r.stderr);
    const stored = fs
      .readdirSync(path.join(dir, '.timebridge'))
      .map((f) => fs.readFileSync(path.join(dir, '.timebridge', f)).toString('latin1'))
      .join('');
    assert.ok(stored.includes('bobs'), 'the connection settings are recorded');
    assert.ok(!stored.includes(BOB_PASSWORD), 'but not the password');
    write('wrong-password');
    const bad = run('check', 'server');
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /✗ server \(caldav\): CONNECTOR_AUTH/);
    assert.ok(!bad.stdout.includes('wrong-password'));
  });

  it('a missing password variable is refused before anything runs, naming the variable', () => {
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'connections:',
        `  server: { type: caldav, url: "${server.url}", auth: { type: basic, username: alice, passwordEnv: TB_NOT_SET_ANYWHERE }, calendar: x }`,
        'links:',
        '  server: { connection: server, scope: team }',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [BIN, 'sync'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: dir } });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /TB_NOT_SET_ANYWHERE/);
  });

  it('a stale sync token makes the next run list everything again, without duplicates or lost edits', async () => {
    const s = setup();
    seed(s.dir, 4);
    await s.sync();
    const state = await s.store.getLinkState('link:server');
    const cursor = JSON.parse(state.extCursor!) as { sync: string };
    await s.store.commit({ linkState: { linkId: 'link:server', extCursor: JSON.stringify({ ...cursor, sync: 'http://radicale.org/ns/sync/expired' }) } });
    await otherClient(s.cal, 'e2@test', { summary: 'Event 2 (server edit)' });
    const results = await s.sync();
    assert.ok(
      results.every((r) => r.run.status === 'ok'),
      JSON.stringify(results.map((r) => r.run.errors)),
    );
    const server = results.find((r) => r.run.linkId === 'link:server')!;
    assert.deepEqual(server.run.counts, { 'pull-update': 1 }, 'only the edited event is an action');
    assert.deepEqual(sorted(folderEvents(s.dir)), sorted(await calendarEvents(s.cal)));
    assert.deepEqual(folderEvents(s.dir).get('e2@test'), ['Event 2 (server edit)']);
    assert.equal(folderEvents(s.dir).size, 4);
  });

  describe('a 412 race: another client edits between our read and our write', () => {
    /**
     * Folder and calendar in sync on three events; the laptop edits e1's summary, and another
     * client makes `change` to e1 on the server just before our update of it arrives.
     */
    async function race(change: { summary?: string; location?: string }) {
      let raced = false;
      const s = setup({
        wrap: (c, cal) => ({
          manifest: c.manifest,
          list: (r) => c.list(r),
          get: (ids) => c.get(ids),
          create: (d, k) => c.create(d, k),
          delete: (id, m) => c.delete(id, m),
          findByKey: (k) => c.findByKey(k),
          update: async (id, data, ifMatch) => {
            if (!raced) {
              raced = true;
              await otherClient(cal, 'e1@test', change);
            }
            return c.update(id, data, ifMatch);
          },
        }),
      });
      seed(s.dir, 3);
      await s.sync();
      fs.writeFileSync(path.join(s.dir, 'e1.ics'), eventText('e1@test', 'Event 1 (laptop edit)'));
      const server = (await s.sync()).find((r) => r.run.linkId === 'link:server')!;
      return { s, server };
    }

    it('edits of different fields are both kept: the item is re-read and merged, never overwritten', async () => {
      const { s, server } = await race({ location: 'Room 4' });
      assert.equal(server.run.counts.replanned, 1, 'the refused write was re-planned');
      assert.equal(server.run.status, 'ok', JSON.stringify(server.run.errors));
      const text = await resourceText(s.cal, 'e1@test');
      assert.match(text, /SUMMARY:Event 1 \(laptop edit\)/, 'our edit landed');
      assert.match(text, /LOCATION:Room 4/, "the other client's edit survived");
      assert.match(fs.readFileSync(path.join(s.dir, 'e1.ics'), 'utf8'), /LOCATION:Room 4/, 'and reached the folder');
    });

    it("edits of the same field become a conflict under keep-both; the other client's text stays", async () => {
      const { s, server } = await race({ summary: 'Event 1 (phone edit)' });
      assert.equal(server.run.counts.replanned, 1, 'the refused write was re-planned');
      assert.match(await resourceText(s.cal, 'e1@test'), /SUMMARY:Event 1 \(phone edit\)/, 'never overwritten');
      const conflicts = await s.store.listConflicts('link:server');
      assert.equal(conflicts.length, 1, 'flagged for a person to decide');
    });
  });

  it('a server error on one item fails that item only; the next run finishes it without duplicates', async () => {
    let broken = true;
    const s = setup({
      fetch: faultyFetch((method, _url, body) =>
        broken && method === 'PUT' && body.includes('UID:e3@test') ? new Response('Internal Server Error', { status: 500 }) : null,
      ),
    });
    seed(s.dir, 5);
    const first = await s.sync();
    const server = first.find((r) => r.run.linkId === 'link:server')!;
    assert.equal(server.run.status, 'partial');
    assert.equal(server.run.counts['push-create'], 4);
    assert.equal(server.run.errors.length, 1);
    assert.match(server.run.errors[0]!.error.message, /HTTP 500/);
    assert.equal((await calendarEvents(s.cal)).size, 4);
    broken = false;
    const second = await s.sync();
    assert.ok(second.every((r) => r.run.status === 'ok'));
    assert.deepEqual(sorted(await calendarEvents(s.cal)), sorted(folderEvents(s.dir)));
    assert.equal((await calendarEvents(s.cal)).size, 5, 'no duplicates');
  });

  it('a calendar emptied on the server stops at the guard; nothing is deleted until confirmed', async () => {
    const s = setup();
    seed(s.dir, 5);
    await s.sync();
    for (let i = 1; i <= 5; i++) await otherClient(s.cal, `e${i}@test`, 'delete');
    const results = await s.sync();
    const server = results.find((r) => r.run.linkId === 'link:server')!;
    assert.equal(server.run.status, 'stopped');
    assert.equal(server.run.errors[0]?.error.code, 'PLAN_EMPTY_SIDE');
    assert.equal(folderEvents(s.dir).size, 5, 'the folder keeps every event');
    assert.equal((await s.store.listScope('team', 'event')).filter((r) => !r.tombstone).length, 5, 'the hub too');
    await s.sync({ allowDeletes: true });
    assert.equal(folderEvents(s.dir).size, 0, 'confirmed: the deletion travels');
  });
});

async function resourceText(cal: string, uid: string): Promise<string> {
  return (await resourceOf(cal, uid)).data.replace(/\r?\n[ \t]/g, '');
}

/** The CLI as a child process, without blocking this process's event loop (the proxy answers from here). */
function cliAsync(cwd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** An HTTP proxy to `target` that replaces byte strings in the bodies of REPORT answers. */
async function rewritingProxy(target: string, swaps: [string, Buffer][]): Promise<{ url: string; close(): Promise<void> }> {
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length' && k !== 'connection')) as Record<
        string,
        string
      >;
      void fetch(new URL(req.url ?? '/', target), { method: req.method!, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) }).then(
        async (up) => {
          let body = Buffer.from(await up.arrayBuffer());
          if (req.method === 'REPORT')
            for (const [from, to] of swaps)
              body = Buffer.from(body.toString('latin1').split(Buffer.from(from).toString('latin1')).join(to.toString('latin1')), 'latin1');
          const out: Record<string, string> = {};
          up.headers.forEach((v, k) => {
            if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding', 'keep-alive'].includes(k)) out[k] = v;
          });
          res.writeHead(up.status, { ...out, 'content-length': String(body.length) });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(502);
          res.end(err.message);
        },
      );
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}
