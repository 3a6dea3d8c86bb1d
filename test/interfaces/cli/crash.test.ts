/**
 * Crash test of the `timebridge` command: a `sync` of 10,000 events is killed with SIGKILL
 * in the middle, once while it writes the second folder and once while it fills the hub
 * from the first; the next runs must finish the job with every event exactly once and no
 * interrupted write left open. Build first: `npx tsc -p tsconfig.build.json`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it, type TestContext } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'timebridge.js');
const N = 10_000;

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('TIMEBRIDGE_') || k === 'NODE_TEST_CONTEXT' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return env;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tb(cwd: string, args: string[]): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const show = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout.slice(0, 4000)}\n--- stderr\n${r.stderr.slice(0, 4000)}`;

const roots: string[] = [];
after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

before(() => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'interfaces', 'cli', 'main.js')), 'dist/ is missing: run `npx tsc -p tsconfig.build.json` first');
});

/** A small valid event; every third is all-day, some carry a location and a description. */
function event(i: number): string {
  const day = new Date(Date.UTC(2026, 0, 1) + Math.floor(i / 8) * 86_400_000);
  const ymd = day.toISOString().slice(0, 10).replace(/-/g, '');
  const next = new Date(day.getTime() + 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const hour = String(8 + (i % 8)).padStart(2, '0');
  const when = i % 3 === 0 ? [`DTSTART;VALUE=DATE:${ymd}`, `DTEND;VALUE=DATE:${next}`] : [`DTSTART:${ymd}T${hour}0000Z`, `DTEND:${ymd}T${hour}4500Z`];
  const extra = i % 5 === 0 ? [`LOCATION:Room ${i % 17}`, `DESCRIPTION:Generated event ${i}\\, for the crash test`] : [];
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Timebridge//crash test//EN',
    'BEGIN:VEVENT',
    `UID:crash-${i}@timebridge.test`,
    'DTSTAMP:20260101T000000Z',
    ...when,
    `SUMMARY:Event ${i}`,
    ...extra,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

interface Workspace {
  dir: string;
  a: string;
  b: string;
  wal: string;
}

function workspace(): Workspace {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-crash-'));
  roots.push(dir);
  fs.writeFileSync(
    path.join(dir, 'timebridge.yaml'),
    [
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  a: { type: ics-folder, path: cal-a }',
      '  b: { type: ics-folder, path: cal-b }',
      'links:',
      '  a: { connection: a, scope: bulk }',
      '  b: { connection: b, scope: bulk }',
      '',
    ].join('\n'),
  );
  const a = path.join(dir, 'cal-a'),
    b = path.join(dir, 'cal-b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  for (let i = 0; i < N; i++) fs.writeFileSync(path.join(a, `event-${i}.ics`), event(i));
  return { dir, a, b, wal: path.join(dir, 'hub.sqlite-wal') };
}

const icsFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.ics') && !n.startsWith('.'));

/** UID → the files holding it, from the UID lines of every item file. */
function uidFiles(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const name of icsFiles(dir)) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8').replace(/\r?\n[ \t]/g, '');
    for (const uid of new Set([...text.matchAll(/^UID(?:;[^:\r\n]*)?:(.*?)\r?$/gm)].map((m) => m[1]!))) {
      out.set(uid, [...(out.get(uid) ?? []), name]);
    }
  }
  return out;
}

function assertOneFilePerUid(dir: string): Set<string> {
  const map = uidFiles(dir);
  const dups = [...map].filter(([, files]) => files.length > 1);
  assert.equal(
    dups.length,
    0,
    `${dir}: ${dups.length} UIDs are in more than one file, e.g. ${dups
      .slice(0, 3)
      .map(([u, f]) => `${u}: ${f.join(', ')}`)
      .join('; ')}`,
  );
  return new Set(map.keys());
}

interface Killed {
  killedAt: number;
  exitSignal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start `sync`, poll `ready` every few ms, and SIGKILL the process the moment it holds. */
async function syncAndKill(ws: Workspace, ready: () => boolean, what: string): Promise<Killed> {
  const child = spawn(process.execPath, [BIN, 'sync'], { cwd: ws.dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '',
    stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  void exited.then((e) => {
    exit = e;
  });
  const started = Date.now();
  while (!exit) {
    if (ready()) {
      child.kill('SIGKILL');
      const e = await exited;
      return { killedAt: Date.now() - started, exitSignal: e.signal, stdout, stderr };
    }
    if (Date.now() - started > 90_000) {
      child.kill('SIGKILL');
      await exited;
      break;
    }
    await sleep(5);
  }
  assert.fail(`the kill never landed ${what}: sync ended first (${JSON.stringify(exit)})\n${stdout}\n${stderr}`);
}

interface StatusRow {
  link: string;
  synced: number;
  openIntents: number;
  lastStatus: string | null;
}

function status(ws: Workspace): StatusRow[] {
  const r = tb(ws.dir, ['status', '--json']);
  assert.equal(r.code, 0, show(r));
  return JSON.parse(r.stdout) as StatusRow[];
}

/** Sync again (at most three times) until a run exits 0, then `plan` must have nothing to do. */
function resume(t: TestContext, ws: Workspace): void {
  let last: Ran | null = null;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const t0 = Date.now();
    last = tb(ws.dir, ['sync']);
    t.diagnostic(`resume sync #${attempt}: exit ${last.code} in ${Date.now() - t0} ms: ${last.stdout.trim().replace(/\n/g, ' | ')}`);
    if (last.code === 0) break;
  }
  assert.equal(last!.code, 0, `sync did not recover within three runs: ${show(last!)}`);
  const plan = tb(ws.dir, ['plan']);
  assert.equal(plan.code, 0, show(plan));
  const heads = plan.stdout.split('\n').filter((l) => /^link \S+: /.test(l));
  assert.deepEqual(heads, ['link a: nothing to do', 'link b: nothing to do'], plan.stdout);
}

function assertComplete(t: TestContext, ws: Workspace): void {
  const bFiles = icsFiles(ws.b);
  assert.equal(bFiles.length, N, `folder b holds ${bFiles.length} event files`);
  assert.equal(icsFiles(ws.a).length, N, 'folder a gained or lost files');
  const uidsA = assertOneFilePerUid(ws.a);
  const uidsB = assertOneFilePerUid(ws.b);
  assert.equal(uidsA.size, N);
  assert.equal(uidsB.size, N);
  const missing = [...uidsA].filter((u) => !uidsB.has(u));
  const extra = [...uidsB].filter((u) => !uidsA.has(u));
  assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] }, 'the UIDs of b differ from those of a');
  const rows = status(ws);
  assert.deepEqual(
    rows.map((r) => [r.link, r.synced, r.openIntents, r.lastStatus]),
    [
      ['a', N, 0, 'ok'],
      ['b', N, 0, 'ok'],
    ],
  );
  const hidden = fs.readdirSync(ws.b).filter((n) => n.startsWith('.'));
  if (hidden.length) t.diagnostic(`hidden leftovers in b (never listed as items): ${hidden.join(', ')}`);
}

describe('crash safety: sync of 10,000 events killed with SIGKILL', { concurrency: false }, () => {
  it('killed while writing the second folder, the next sync finishes without duplicates', { timeout: 180_000 }, async (t) => {
    const ws = workspace();
    // 700 is mid-way into the second batch of 500 creates: the first batch is committed, the
    // second has its intents open with only part of its files written.
    const killed = await syncAndKill(ws, () => icsFiles(ws.b).length >= 700, 'while folder b was being written');
    const atKill = icsFiles(ws.b).length;
    t.diagnostic(`killed after ${killed.killedAt} ms (signal ${killed.exitSignal}) with ${atKill} files in b`);
    assert.equal(killed.exitSignal, 'SIGKILL');
    assert.ok(atKill >= 1 && atKill <= N - 1, `the kill did not land mid-sync: b held ${atKill} files`);
    assert.match(killed.stdout, /^link a: ok .*pull-create 10000/m, 'the pull should have finished before b was written');
    assert.doesNotMatch(killed.stdout, /^link b:/m, 'the push run finished before the kill');
    const crashed = status(ws);
    t.diagnostic(`after the kill: ${JSON.stringify(crashed)}`);
    assert.ok(crashed[1]!.synced < N, 'link b already recorded every item');

    resume(t, ws);
    assertComplete(t, ws);
  });

  it('killed while filling the hub from the first folder, the next sync finishes without duplicates', { timeout: 180_000 }, async (t) => {
    const ws = workspace();
    // Before the pull commits anything the hub's WAL holds the schema, the definitions and
    // the run record (about 120 KB); each batch of 500 pulled records adds about 800 KB,
    // spilled into the WAL while its transaction is still open. At 2 MB at least one batch
    // is committed and the next is being written; the status check below proves it.
    const walSize = () => fs.statSync(ws.wal, { throwIfNoEntry: false })?.size ?? 0;
    const killed = await syncAndKill(ws, () => walSize() > 2 * 1024 * 1024, 'while the hub was being filled');
    t.diagnostic(`killed after ${killed.killedAt} ms (signal ${killed.exitSignal}) with the WAL at ${walSize()} bytes`);
    assert.equal(killed.exitSignal, 'SIGKILL');
    assert.doesNotMatch(killed.stdout, /^link a:/m, 'the pull run finished before the kill');
    assert.equal(icsFiles(ws.b).length, 0, 'the kill landed after the pull: b already has files');
    const crashed = status(ws);
    t.diagnostic(`after the kill: ${JSON.stringify(crashed)}`);
    const pulled = crashed.find((r) => r.link === 'a')!.synced;
    assert.ok(pulled >= 1 && pulled <= N - 1, `the hub was not partially filled at the kill: ${pulled} items of link a recorded`);

    resume(t, ws);
    assertComplete(t, ws);
  });
});
