/**
 * Loss detection on write, the way a user meets it: the real CLI (compiled dist/, build
 * first: `npx tsc -p tsconfig.build.json`) as a subprocess, a folder and a real Radicale.
 * Radicale 3.1 answers a PUT with success but cuts a SUMMARY at a comma written without
 * its backslash. The run names that loss, `status` keeps it visible, and the cut value is
 * never pulled back into the folder; a real edit on the server still is.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { basicAuth, needsRadicale, startRadicale, type Radicale } from '../../support/radicale.js';
import { api, startServe } from '../../support/serve.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'timebridge.js');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
interface LossJson {
  item: string;
  extId: string;
  fields: { field: string; sent: unknown; stored: unknown }[];
}
interface StatusJson {
  link: string;
  losses: LossJson[];
}

function tb(cwd: string, ...args: string[]): Ran {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: cwd };
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ok(r: Ran, what: string): Ran {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r;
}

function event(uid: string, lines: string[]): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Timebridge//loss tests//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20260101T080000Z',
    'DTSTART:20260310T120000Z',
    'DTEND:20260310T130000Z',
    ...lines,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

const unfold = (t: string) => t.replace(/\r?\n[ \t]/g, '');
const unescape = (v: string) => v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
function prop(text: string, name: string): string | undefined {
  const m = new RegExp(`^${name}(?:;[^:\\r\\n]*)?:(.*?)\\r?$`, 'm').exec(unfold(text));
  return m ? unescape(m[1]!) : undefined;
}

describe('write loss against Radicale, through the CLI', needsRadicale(), () => {
  let server: Radicale;
  let dir: string;
  const cal = () => path.join(dir, 'cal');
  const status = () => JSON.parse(ok(tb(dir, 'status', '--json'), 'status').stdout) as StatusJson[];
  const lossesOf = (link: string) => status().find((s) => s.link === link)!.losses;

  /** The server's copy of an event: its URL, etag and text, read as another client would. */
  async function onServer(uid: string): Promise<{ url: URL; etag: string; text: string }> {
    const base = `${server.url}alice/loss/`;
    const res = await fetch(base, { method: 'PROPFIND', headers: { ...basicAuth(), depth: '1' } });
    for (const [, href] of (await res.text()).matchAll(/<[^>]*href>([^<]+\.ics)<\//g)) {
      const url = new URL(href!, server.url);
      const got = await fetch(url, { headers: basicAuth() });
      const text = await got.text();
      if (prop(text, 'UID') === uid) return { url, etag: got.headers.get('etag')!, text };
    }
    throw new Error(`${uid} is not on the server`);
  }

  async function editOnServer(uid: string, name: string, value: string): Promise<void> {
    const { url, etag, text } = await onServer(uid);
    const next = unfold(text).replace(new RegExp(`^${name}(;[^:\\r\\n]*)?:.*$`, 'm'), `${name}:${value}`);
    const put = await fetch(url, { method: 'PUT', headers: { ...basicAuth(), 'content-type': 'text/calendar', 'if-match': etag }, body: next });
    assert.ok(put.ok, `PUT ${url}: HTTP ${put.status}`);
  }

  before(async () => {
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'interfaces', 'cli', 'main.js')), 'dist/ is missing: run `npx tsc -p tsconfig.build.json` first');
    server = await startRadicale();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-loss-'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'store:',
        '  path: hub.sqlite',
        'connections:',
        '  cal: { type: ics-folder, path: cal, create: true }',
        `  server: { type: caldav, url: "${server.url}", auth: { type: basic, username: alice, password: secret }, calendar: loss, create: true }`,
        'links:',
        '  cal: { connection: cal, scope: team }',
        '  server: { connection: server, scope: team }',
        '',
      ].join('\n'),
    );
    fs.mkdirSync(cal());
    // The comma is written without its backslash, as several exporters write it.
    fs.writeFileSync(path.join(cal(), 'lunch.ics'), event('lunch@loss.test', ['SUMMARY:Lunch, then review', 'LOCATION:Room 1']));
    fs.writeFileSync(path.join(cal(), 'plain.ics'), event('plain@loss.test', ['SUMMARY:Standup\\, short', 'LOCATION:Room 3', 'DESCRIPTION:Daily\\; as ever']));
  });
  after(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the truncated SUMMARY on the sync (exit 0: a loss is a warning) and keeps it in status', async () => {
    const r = ok(tb(dir, 'sync'), 'first sync');
    assert.match(
      r.stdout,
      /WRITE_LOSS: link server wrote \S+ \(UID lunch@loss\.test\) and the server stored it differently: summary sent "Lunch, then review", stored "Lunch"/,
    );
    assert.equal(prop((await onServer('lunch@loss.test')).text, 'SUMMARY'), 'Lunch', 'Radicale 3.1 cuts at the bare comma (else this test proves nothing)');
    const losses = lossesOf('server');
    assert.deepEqual(
      losses.map((l) => l.fields),
      [[{ field: 'summary', sent: 'Lunch, then review', stored: 'Lunch' }]],
    );
    assert.match(losses[0]!.item, /^Lunch, then review/);
    assert.deepEqual(lossesOf('cal'), []);
    assert.match(
      ok(tb(dir, 'status'), 'status').stdout,
      /1 with write losses[^\n]*\n {2}write loss: Lunch, then review .*summary sent "Lunch, then review", stored "Lunch"/,
    );
  });

  it('the API lists the loss (GET /api/v1/losses)', async () => {
    const admin = ok(tb(dir, 'token', 'create', '--user', 'root', '--role', 'admin'), 'token').stdout.trim();
    const srv = await startServe(dir, [], { TIMEBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') });
    try {
      const r = await api(srv.url, 'GET', '/api/v1/losses?link=server', { token: admin });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        (r.body.losses as LossJson[]).map((l) => ({ item: l.item.replace(/ \(.*/, ''), fields: l.fields })),
        [{ item: 'Lunch, then review', fields: [{ field: 'summary', sent: 'Lunch, then review', stored: 'Lunch' }] }],
      );
    } finally {
      await srv.stop();
    }
  });

  it('a normal object through Radicale reports no loss: its rewriting (property order, line ends) is harmless', async () => {
    const stored = (await onServer('plain@loss.test')).text;
    assert.equal(prop(stored, 'SUMMARY'), 'Standup, short');
    assert.notEqual(stored, fs.readFileSync(path.join(cal(), 'plain.ics'), 'utf8'), 'Radicale rewrote the object (else this test proves nothing)');
    // Both writes were checked, by one read-back request, and only one lost anything.
    const runs = JSON.parse(ok(tb(dir, 'runs', '--link', 'server', '--json'), 'runs').stdout) as { counts: Record<string, number> }[];
    const first = runs.at(-1)!.counts;
    assert.deepEqual(
      { created: first['push-create'], readBack: first['readBack'], unchecked: first['readBackUnchecked'], losses: first['writeLosses'] },
      { created: 2, readBack: 1, unchecked: undefined, losses: 1 },
    );
    assert.ok(!lossesOf('server').some((l) => /Standup/.test(l.item)));
    const again = ok(tb(dir, 'sync'), 'sync with nothing to do');
    assert.doesNotMatch(again.stdout, /WRITE_LOSS/);
  });

  it('an edit of another property on the server reaches the folder, and the full SUMMARY stays', async () => {
    await editOnServer('lunch@loss.test', 'LOCATION', 'Room 2');
    ok(tb(dir, 'sync'), 'sync after the LOCATION edit');
    const text = fs.readFileSync(path.join(cal(), 'lunch.ics'), 'utf8');
    assert.equal(prop(text, 'LOCATION'), 'Room 2');
    assert.equal(prop(text, 'SUMMARY'), 'Lunch, then review');
    assert.equal(lossesOf('server').length, 1, 'the server still holds the cut value: the loss stays listed');
  });

  it('an edit of the lost SUMMARY on the server is a real edit: it reaches the folder and the loss is gone', async () => {
    await editOnServer('lunch@loss.test', 'SUMMARY', 'Dinner instead');
    ok(tb(dir, 'sync'), 'sync after the SUMMARY edit');
    const text = fs.readFileSync(path.join(cal(), 'lunch.ics'), 'utf8');
    assert.equal(prop(text, 'SUMMARY'), 'Dinner instead');
    assert.equal(prop(text, 'LOCATION'), 'Room 2');
    assert.deepEqual(lossesOf('server'), []);
  });
});
