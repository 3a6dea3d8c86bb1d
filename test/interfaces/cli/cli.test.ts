/**
 * End-to-end tests of the `timebridge` command: the real CLI (bin/timebridge.js, which runs
 * the compiled dist/) as a subprocess, in temp folders, against real `.ics` folders.
 * Build first: `npx tsc -p tsconfig.build.json`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { needsVirtuoso } from '../../support/virtuoso.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'timebridge.js');

// ---------------------------------------------------------------------------------------
// Running the CLI

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for "the output names X" checks. */
  out: string;
}

/** The parent's environment without TIMEBRIDGE_* settings or test-runner plumbing. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('TIMEBRIDGE_') || k === 'NODE_TEST_CONTEXT' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function tb(cwd: string, args: string[], env: Record<string, string> = {}): Ran {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}\n${r.stderr}` };
}

function expectExit(r: Ran, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: expected exit ${code}, got ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

// ---------------------------------------------------------------------------------------
// Temp folders and .ics files

const roots: string[] = [];
after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-cli-'));
  roots.push(dir);
  return dir;
}

interface EventOpts {
  allDay?: boolean;
  day?: number;
}

function ics(uid: string, summary: string, opts: EventOpts = {}): string {
  const day = String(10 + ((opts.day ?? 0) % 18)).padStart(2, '0');
  const when = opts.allDay
    ? [`DTSTART;VALUE=DATE:202603${day}`, `DTEND;VALUE=DATE:202603${String(Number(day) + 1).padStart(2, '0')}`]
    : [`DTSTART:202603${day}T090000Z`, `DTEND:202603${day}T100000Z`];
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Timebridge//cli tests//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20260101T080000Z',
    ...when,
    `SUMMARY:${summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

/** Item files of a folder: `*.ics`, not hidden. */
function icsFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.ics') && !n.startsWith('.'))
    .sort();
}

const unfold = (text: string) => text.replace(/\r?\n[ \t]/g, '');
const unescape = (v: string) => v.replace(/\\([\\;,nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));

interface FolderEvent {
  /** Files holding a VEVENT with this UID (more than one is a duplicate). */
  files: string[];
  /** SUMMARY of the master VEVENT (the one without RECURRENCE-ID). */
  summary: string | undefined;
}

/** UID → files and summary, parsed from the UID and SUMMARY lines of every file. */
function eventsIn(dir: string): Map<string, FolderEvent> {
  const out = new Map<string, FolderEvent>();
  for (const name of icsFiles(dir)) {
    const text = unfold(fs.readFileSync(path.join(dir, name), 'utf8'));
    const seenHere = new Set<string>();
    for (const m of text.matchAll(/BEGIN:VEVENT\r?\n([\s\S]*?)END:VEVENT/g)) {
      const body = m[1]!;
      const uid = /^UID(?:;[^:\r\n]*)?:(.*?)\r?$/m.exec(body)?.[1];
      if (uid === undefined) continue;
      const ev = out.get(uid) ?? { files: [], summary: undefined };
      if (!seenHere.has(uid)) ev.files.push(name);
      seenHere.add(uid);
      if (!/^RECURRENCE-ID/m.test(body)) {
        const s = /^SUMMARY(?:;[^:\r\n]*)?:(.*?)\r?$/m.exec(body)?.[1];
        ev.summary = s === undefined ? undefined : unescape(s);
      }
      out.set(uid, ev);
    }
  }
  return out;
}

function assertNoDuplicateUids(dir: string): Map<string, FolderEvent> {
  const events = eventsIn(dir);
  const dups = [...events].filter(([, e]) => e.files.length > 1).map(([uid, e]) => `${uid} in ${e.files.join(', ')}`);
  assert.deepEqual(dups, [], `${dir}: a UID appears in more than one file`);
  return events;
}

const uidsOf = (dir: string) => [...eventsIn(dir).keys()].sort();

function summariesOf(dir: string): Record<string, string | undefined> {
  return Object.fromEntries([...assertNoDuplicateUids(dir)].map(([uid, e]) => [uid, e.summary]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
}

/** Both folders hold the same events (UIDs and summaries), each UID in exactly one file. */
function assertInSync(a: string, b: string): Record<string, string | undefined> {
  const sa = summariesOf(a),
    sb = summariesOf(b);
  assert.deepEqual(sb, sa, 'the two folders differ');
  return sa;
}

function fileOf(dir: string, uid: string): string {
  const e = eventsIn(dir).get(uid);
  assert.ok(e && e.files.length === 1, `${uid} should be in exactly one file of ${dir}`);
  return path.join(dir, e.files[0]!);
}

function setSummary(dir: string, uid: string, summary: string): void {
  const file = fileOf(dir, uid);
  const text = fs.readFileSync(file, 'utf8');
  const next = text.replace(/^SUMMARY(?:;[^:\r\n]*)?:.*?(\r?)$/m, `SUMMARY:${summary}$1`);
  assert.notEqual(next, text, `no SUMMARY line in ${file}`);
  fs.writeFileSync(file, next);
}

/** Names, bytes, inode and mtime of every entry: equal snapshots mean nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const snap: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.statSync(p, { bigint: true });
    snap[name] = `${st.mtimeNs}/${st.ino}/${fs.readFileSync(p, 'base64')}`;
  }
  return snap;
}

// ---------------------------------------------------------------------------------------
// A workspace: two .ics folders a and b, linked to one scope

interface Workspace {
  dir: string;
  a: string;
  b: string;
  run(args: string[], env?: Record<string, string>): Ran;
  put(folder: 'a' | 'b', name: string, text: string): void;
}

function workspace(): Workspace {
  const dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'timebridge.yaml'),
    [
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  a: { type: ics-folder, path: cal-a, create: true }',
      '  b: { type: ics-folder, path: cal-b, create: true }',
      'links:',
      '  a:',
      '    connection: a',
      '    scope: team',
      '  b:',
      '    connection: b',
      '    scope: team',
      '',
    ].join('\n'),
  );
  const a = path.join(dir, 'cal-a'),
    b = path.join(dir, 'cal-b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  return {
    dir,
    a,
    b,
    run: (args, env = {}) => tb(dir, args, env),
    put: (folder, name, text) => fs.writeFileSync(path.join(folder === 'a' ? a : b, name), text),
  };
}

/** A workspace whose folder `a` holds `n` events e0..e(n-1), synced once to b. */
function syncedWorkspace(n: number): Workspace {
  const ws = workspace();
  for (let i = 0; i < n; i++) ws.put('a', `e${i}.ics`, ics(`e${i}@cli.test`, `Event ${i}`, { day: i, allDay: i % 4 === 0 }));
  expectExit(ws.run(['sync']), 0, 'first sync');
  assert.equal(icsFiles(ws.b).length, n);
  assertInSync(ws.a, ws.b);
  return ws;
}

interface StatusRow {
  link: string;
  connector: string;
  scope: string;
  kind: string;
  synced: number;
  conflicts: number;
  openIntents: number;
  lastStatus: string | null;
  lastRunAt: string | null;
  lastRunId: string | null;
}
interface RunJson {
  id: string;
  linkId: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  status: string;
  counts: Record<string, number>;
  errors: { id: string; label: string; error: { code: string; message: string } }[];
  plan: { linkId: string; counts: Record<string, number>; actions: { op: string; extId: string | null; hubId: string | null }[] } | null;
  durationMs: number | null;
}
interface PlanFileJson {
  timebridgePlan: number;
  createdAt: string;
  plans: {
    link: string;
    plan: { linkId: string; counts: Record<string, number>; guard: { ok: boolean }; actions: { op: string; extId: string | null; label: string }[] };
  }[];
}

function json<T>(r: Ran, what: string): T {
  expectExit(r, 0, what);
  try {
    return JSON.parse(r.stdout) as T;
  } catch (err) {
    assert.fail(`${what}: stdout is not JSON (${(err as Error).message}):\n${r.stdout}`);
  }
}

/** `plan` prints one line per link; every one says nothing to do. */
function assertNothingToDo(ws: Workspace): void {
  const r = ws.run(['plan']);
  expectExit(r, 0, 'plan');
  const heads = r.stdout.split('\n').filter((l) => /^link \S+: /.test(l));
  assert.equal(heads.length, 2, r.stdout);
  for (const h of heads) assert.match(h, /: nothing to do$/, r.stdout);
}

before(() => {
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'interfaces', 'cli', 'main.js')), 'dist/ is missing: run `npx tsc -p tsconfig.build.json` first');
});

// ---------------------------------------------------------------------------------------

describe('timebridge --help', () => {
  const OPTIONS: Record<string, string[]> = {
    init: ['--force'],
    sync: ['[links...]', '--full', '--allow-deletes', '--json'],
    plan: ['[links...]', '--full', '--json', '--out <file>'],
    apply: ['<plan-file>', '--allow-deletes'],
    status: ['--json'],
    runs: ['[run-id]', '--link <name>', '--limit <n>', '--json'],
    conflicts: ['--json'],
    undo: ['<run-id>', '--no-sync', '--allow-deletes'],
    demo: ['--dir <path>'],
    rules: ['list', 'to-book', 'test', 'apply'],
  };

  it('the program help exits 0 and lists every command and the global --config', () => {
    const dir = tempDir();
    const r = tb(dir, ['--help']);
    expectExit(r, 0, '--help');
    assert.match(r.stdout, /Usage: timebridge/);
    assert.match(r.stdout, /-c, --config <file>/);
    for (const cmd of Object.keys(OPTIONS)) assert.match(r.stdout, new RegExp(`^\\s+${cmd}\\b`, 'm'), `${cmd} missing from --help`);
    assert.equal(r.stderr, '');
  });

  for (const [cmd, opts] of Object.entries(OPTIONS)) {
    it(`${cmd} --help exits 0 and names its options`, () => {
      const r = tb(tempDir(), [cmd, '--help']);
      expectExit(r, 0, `${cmd} --help`);
      assert.match(r.stdout, new RegExp(`Usage: timebridge ${cmd}\\b`));
      for (const o of opts) assert.ok(r.stdout.includes(o), `${cmd} --help does not name ${o}:\n${r.stdout}`);
    });
  }

  it('an unknown command or option is a usage error (exit 2)', () => {
    const dir = tempDir();
    const r = tb(dir, ['frobnicate']);
    expectExit(r, 2, 'unknown command');
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    expectExit(tb(dir, ['sync', '--no-such-option']), 2, 'unknown option');
    assert.deepEqual(fs.readdirSync(dir), [], 'a usage error wrote something');
  });
});

describe('timebridge init', () => {
  it('writes a timebridge.yaml that loads, and refuses to overwrite it without --force', () => {
    const dir = tempDir();
    const file = path.join(dir, 'timebridge.yaml');
    const first = tb(dir, ['init']);
    expectExit(first, 0, 'init');
    assert.ok(first.stdout.includes(file), first.stdout);
    const written = fs.readFileSync(file, 'utf8');

    const rows = json<StatusRow[]>(tb(dir, ['status', '--json']), 'status after init');
    assert.deepEqual(rows.map((r) => [r.link, r.connector, r.scope, r.synced, r.lastStatus]).sort(), [
      ['laptop', 'ics-folder', 'team', 0, null],
      ['shared', 'ics-folder', 'team', 0, null],
    ]);
    expectExit(tb(dir, ['status']), 0, 'status after init');

    fs.appendFileSync(file, '# my own edit\n');
    const edited = fs.readFileSync(file, 'utf8');
    const before = fs.statSync(file, { bigint: true }).mtimeNs;
    const again = tb(dir, ['init']);
    expectExit(again, 2, 'second init');
    assert.match(again.stderr, /already exists/);
    assert.match(again.stderr, /--force/);
    assert.equal(fs.readFileSync(file, 'utf8'), edited, 'the second init changed the file');
    assert.equal(fs.statSync(file, { bigint: true }).mtimeNs, before);

    expectExit(tb(dir, ['init', '--force']), 0, 'init --force');
    assert.equal(fs.readFileSync(file, 'utf8'), written, 'init --force did not restore the template');
  });

  it('honours --config for where to write', () => {
    const dir = tempDir();
    expectExit(tb(dir, ['--config', 'etc/tb.yaml', 'init']), 0, 'init --config');
    assert.ok(fs.existsSync(path.join(dir, 'etc', 'tb.yaml')));
    assert.ok(!fs.existsSync(path.join(dir, 'timebridge.yaml')));
    expectExit(tb(dir, ['--config', 'etc/tb.yaml', 'status']), 0, 'status --config');
  });
});

describe('invalid configuration', () => {
  const VALID = [
    'store:',
    '  path: hub.sqlite',
    'connections:',
    '  a:',
    '    type: ics-folder',
    '    path: cal-a',
    '    create: true',
    'links:',
    '  a:',
    '    connection: a',
    '    scope: team',
    '    direction: both',
    '',
  ].join('\n');

  function refused(text: string, env: Record<string, string> = {}): Ran {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), text);
    const r = tb(dir, ['status'], env);
    expectExit(r, 2, 'invalid config');
    assert.equal(r.stdout, '', 'an invalid config printed a result');
    assert.match(r.stderr, /CONFIG_INVALID/);
    assert.ok(r.stderr.includes(path.join(dir, 'timebridge.yaml')), `the message does not name the file:\n${r.stderr}`);
    assert.deepEqual(fs.readdirSync(dir), ['timebridge.yaml'], 'an invalid config still opened the store or made folders');
    return r;
  }

  it('a wrong enum value names the key, the problem and the allowed values', () => {
    const r = refused(VALID.replace('direction: both', 'direction: bothh'));
    assert.match(r.stderr, /links\.a\.direction: /);
    assert.match(r.stderr, /Invalid option/i);
    assert.match(r.stderr, /Fix: use one of: pull, push, both/);
  });

  it('an unknown key names where it is and suggests removing or respelling it', () => {
    const r = refused(VALID.replace('direction: both', 'directoin: both'));
    assert.match(r.stderr, /links\.a: .*Unrecognized key.*"directoin"/);
    assert.match(r.stderr, /Fix: remove directoin or check the spelling/);
  });

  it('a link naming a missing connection lists the connections there are', () => {
    const r = refused(VALID.replace('connection: a', 'connection: nope'));
    assert.match(r.stderr, /links\.a\.connection: no connection named "nope"/);
    assert.match(r.stderr, /Fix: use one of: a\b/);
  });

  it('broken YAML names the line', () => {
    const r = refused('links:\n  a: [\n    bad: : x\n');
    assert.match(r.stderr, /is not valid YAML/);
    assert.match(r.stderr, /line 3/);
    assert.match(r.stderr, /next: fix the YAML syntax/);
  });

  it('an environment override is validated like the file', () => {
    const r = refused(VALID, { TIMEBRIDGE_LINKS__A__DIRECTION: 'bothh' });
    assert.match(r.stderr, /links\.a\.direction: /);
    assert.match(r.stderr, /Fix: use one of: pull, push, both/);
  });

  it('a missing config file is a usage error that points to init', () => {
    const dir = tempDir();
    const r = tb(dir, ['sync']);
    expectExit(r, 2, 'no config');
    assert.match(r.stderr, /CONFIG_NOT_FOUND/);
    assert.match(r.stderr, /timebridge init/);
  });

  it('TIMEBRIDGE_STORE__PATH moves the database file', () => {
    const ws = workspace();
    ws.put('a', 'one.ics', ics('one@cli.test', 'One'));
    const env = { TIMEBRIDGE_STORE__PATH: 'elsewhere/db.sqlite' };
    expectExit(ws.run(['sync'], env), 0, 'sync with the store moved');
    assert.ok(fs.existsSync(path.join(ws.dir, 'elsewhere', 'db.sqlite')), 'the database is not where the override put it');
    assert.ok(!fs.existsSync(path.join(ws.dir, 'hub.sqlite')), 'the configured database was still created');
    const moved = json<StatusRow[]>(ws.run(['status', '--json'], env), 'status with the override');
    assert.deepEqual(
      moved.map((r) => r.synced),
      [1, 1],
    );
    // Without the override the configured (new, empty) database is used.
    const plain = json<StatusRow[]>(ws.run(['status', '--json']), 'status without the override');
    assert.deepEqual(
      plain.map((r) => r.synced),
      [0, 0],
    );
    assert.ok(fs.existsSync(path.join(ws.dir, 'hub.sqlite')));
  });
});

describe('timebridge demo', () => {
  // The first demo and the second, shared by the Timekeeper check below.
  let dir = '';
  let first: Ran | null = null;
  let second: Ran | null = null;
  it('syncs both sample folders to the same events, and a second run has nothing to do', () => {
    dir = tempDir();
    first = tb(dir, ['demo']);
    expectExit(first, 0, 'demo');
    const work = path.join(dir, 'timebridge-demo', 'calendars', 'work');
    const phone = path.join(dir, 'timebridge-demo', 'calendars', 'phone');
    const events = assertInSync(work, phone);
    assert.deepEqual(Object.keys(events), [
      'dentist@phone.example',
      'night-shift@demo.timebridge',
      'offsite-2026@demo.timebridge',
      'review@demo.timebridge',
      'standup-2026@demo.timebridge',
    ]);
    // The moved stand-up instance travels with its series, in the same file.
    const standup = fs.readFileSync(fileOf(phone, 'standup-2026@demo.timebridge'), 'utf8');
    assert.match(standup, /RECURRENCE-ID;TZID=Europe\/Berlin:20261127T093000/);
    assert.equal(eventsIn(phone).get('review@demo.timebridge')?.summary, 'Quarterly review 📈 — 日本チーム');
    // The emulated Google account and Kimai instance: taxonomy, timesheets exported to Google, Google events imported.
    // Google's demo events lie around today, so how many fall in the hours link's window depends on the time of day.
    const hub = /Hub records — kimai: 11, worklogs: 3, hours: (\d+), replicated: 3/.exec(first.stdout);
    assert.ok(hub, first.stdout);
    assert.ok(Number(hub[1]) >= 3, 'the meeting and at least two stand-ups are imported as hours');
    assert.match(first.stdout, new RegExp(`link google-hours: ok .*pull-create ${hub[1]}`));
    assert.match(first.stdout, /link client-worklogs: ok .*push-create 1/, "the agency's Tempo worklog reaches the client's Jira");
    assert.match(first.stdout, /link agency-worklogs: ok .*push-create 2/, "the client's Jira worklogs reach the agency's Tempo");
    assert.match(first.stdout, /link google-agency: ok .*push-create 3/, 'the replicated worklogs also become Google events');
    assert.match(first.stdout, /link google-worklogs: ok .*push-create 3/);
    // Advoware: the template makes a pair of links per employee; each employee's appointments reach their own AW- calendar.
    assert.match(first.stdout, /template aw-employees: 3 collections; new links aw-MUE, aw-google-MUE, aw-SCH, aw-google-SCH, aw-WEB, aw-google-WEB/);
    for (const k of ['MUE', 'SCH', 'WEB']) {
      const pulled = new RegExp(`link aw-${k}: ok .*pull-create (\\d+)`).exec(first.stdout);
      assert.ok(pulled, `aw-${k} pulled the employee's appointments:\n${first.stdout}`);
      assert.match(first.stdout, new RegExp(`link aw-google-${k}: ok .*push-create ${pulled[1]}`), `AW-${k} got them all`);
    }
    for (const f of ['google.bin', 'kimai.bin', 'tempo.bin', 'jira.bin', 'advoware.bin'])
      assert.ok(fs.existsSync(path.join(dir, 'timebridge-demo', 'emulators', f)), `${f} keeps the emulator's data`);

    const before = { work: snapshot(work), phone: snapshot(phone) };
    second = tb(dir, ['demo']);
    expectExit(second, 0, 'second demo');
    assert.match(second.stdout, /Using the demo workspace/);
    const heads = second.stdout.split('\n').filter((l) => /^link \S+: /.test(l));
    assert.ok(heads.length >= 4, second.stdout); // two plan lines, two run lines
    // `record` is bookkeeping only: reading back what the first demo wrote to Tempo (no write to either side).
    for (const h of heads) assert.match(h, /nothing to do|(:|—) record \d+( |$)/, `second demo did something:\n${second.stdout}`);
    assert.deepEqual({ work: snapshot(work), phone: snapshot(phone) }, before, 'the second demo wrote files');
  });

  it('runs a Timekeeper stand-in on Virtuoso: work logs ⇄ hub ⇄ its Kimai in scope timekeeper, seeded once, stopped after', needsVirtuoso(), () => {
    assert.ok(first && second, 'the demo ran');
    const ws = path.join(dir, 'timebridge-demo');
    assert.match(first.stdout, /Timekeeper stand-in: added its connections and the links of scope timekeeper to timebridge\.yaml/);
    assert.match(first.stdout, /timekeeper \(Virtuoso\) http:\/\/127\.0\.0\.1:\d+\/sparql/);
    // Three work logs seeded in Timekeeper reach the Kimai; its three recent timesheets become work logs.
    assert.match(first.stdout, /link tk-work-logs: ok .*pull-create 3, push-create 3/);
    assert.match(first.stdout, /link tk-kimai-timesheets: ok .*push-create 3/);
    assert.match(first.stdout, /link tk-timesheets: ok .*pull-create 2/);
    const summary = 'Timekeeper stand-in (scope timekeeper): 6 work logs in Timekeeper, 6 time entries in the hub, 7 timesheets in its Kimai';
    assert.ok(first.stdout.includes(summary), first.stdout);
    // The second run seeds nothing again and syncs nothing (its link lines are checked above).
    assert.ok(second.stdout.includes(summary), second.stdout);
    assert.doesNotMatch(second.stdout, /added its connections/);
    assert.ok(/^link tk-work-logs: ok .*nothing to do/m.test(second.stdout), second.stdout);
    const config = fs.readFileSync(path.join(ws, 'timebridge.yaml'), 'utf8');
    assert.equal(config.match(/^ {2}timekeeper: \{ type: timekeeper/gm)?.length, 1, 'the Timekeeper part is written once');
    assert.ok(fs.existsSync(path.join(ws, 'timekeeper', 'virtuoso.db')), "the store's database is kept in the workspace");
    assert.ok(fs.existsSync(path.join(ws, 'emulators', 'kimai-timekeeper.bin')), "its Kimai's data is kept");
    assert.ok(!fs.existsSync(path.join(ws, 'timekeeper', 'virtuoso.lck')), 'Virtuoso was stopped when the demo ended');
  });

  it('goes on without Virtuoso, saying how to get it and writing no Timekeeper part', () => {
    const bare = tempDir();
    const ran = tb(bare, ['demo'], { TB_VIRTUOSO_BIN: path.join(bare, 'no-virtuoso-t') });
    expectExit(ran, 0, 'demo without Virtuoso');
    assert.match(ran.stdout, /Timekeeper stand-in: not started, Virtuoso is not installed .*\n.*apt-get install virtuoso-opensource/);
    assert.doesNotMatch(ran.stdout, /link tk-/);
    const config = fs.readFileSync(path.join(bare, 'timebridge-demo', 'timebridge.yaml'), 'utf8');
    assert.doesNotMatch(config, /timekeeper|tkkimai/);
    assert.ok(!fs.existsSync(path.join(bare, 'timebridge-demo', 'timekeeper')));
  });
});

describe('timebridge sync', () => {
  it('carries edits on both sides, a deletion and new files, without duplicates', () => {
    const ws = workspace();
    for (let i = 0; i < 4; i++) ws.put('a', `a${i}.ics`, ics(`a${i}@cli.test`, `From A ${i}`, { day: i }));
    for (let i = 0; i < 3; i++) ws.put('b', `b${i}.ics`, ics(`b${i}@cli.test`, `From B ${i}`, { day: i, allDay: true }));
    // The same event on both sides is linked, not duplicated.
    ws.put('a', 'shared.ics', ics('shared@cli.test', 'On both'));
    ws.put('b', 'shared-copy.ics', ics('shared@cli.test', 'On both'));
    expectExit(ws.run(['sync']), 0, 'first sync');
    const first = assertInSync(ws.a, ws.b);
    assert.equal(Object.keys(first).length, 8);
    assert.equal(icsFiles(ws.a).length, 8);
    assert.equal(icsFiles(ws.b).length, 8);

    setSummary(ws.a, 'a1@cli.test', 'Edited in A');
    setSummary(ws.a, 'b0@cli.test', 'B event edited in A');
    setSummary(ws.b, 'a2@cli.test', 'A event edited in B');
    fs.rmSync(fileOf(ws.b, 'a3@cli.test'));
    fs.rmSync(fileOf(ws.a, 'b2@cli.test'));
    ws.put('a', 'new-a.ics', ics('new-a@cli.test', 'New in A'));
    ws.put('b', 'new-b.ics', ics('new-b@cli.test', 'New in B', { allDay: true }));

    expectExit(ws.run(['sync']), 0, 'second sync');
    const now = assertInSync(ws.a, ws.b);
    assert.deepEqual(now, {
      'a0@cli.test': 'From A 0',
      'a1@cli.test': 'Edited in A',
      'a2@cli.test': 'A event edited in B',
      'b0@cli.test': 'B event edited in A',
      'b1@cli.test': 'From B 1',
      'new-a@cli.test': 'New in A',
      'new-b@cli.test': 'New in B',
      'shared@cli.test': 'On both',
    });
    assert.equal(icsFiles(ws.a).length, 8);
    assert.equal(icsFiles(ws.b).length, 8);
    assertNothingToDo(ws);
  });

  it('a file touched without a content change is bookkeeping, not a change, on either side', () => {
    const ws = syncedWorkspace(2);
    // e0 came from a; its copy in b was written by the engine. Touch both copies of e0.
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(fileOf(ws.a, 'e0@cli.test'), later, later);
    fs.utimesSync(fileOf(ws.b, 'e0@cli.test'), later, later);
    const doc = json<PlanFileJson>(ws.run(['plan', '--json']), 'plan --json');
    assert.deepEqual(
      doc.plans.map((p) => [p.link, p.plan.actions.map((x) => `${x.op}: ${x.label}`)]),
      [
        ['a', ['record: Event 0 (2026-03-10)']],
        ['b', ['record: Event 0 (2026-03-10)']],
      ],
      'a touched file was planned as a content change',
    );
    const synced = json<RunJson[]>(ws.run(['sync', '--json']), 'sync --json');
    assert.deepEqual(
      synced.map((r) => [r.linkId, r.counts]),
      [
        ['link:a', { record: 1 }],
        ['link:b', { record: 1 }],
      ],
    );
  });

  it('stdout and stderr carry no progress escape codes when not a terminal', () => {
    const ws = workspace();
    for (let i = 0; i < 60; i++) ws.put('a', `e${i}.ics`, ics(`e${i}@cli.test`, `Event ${i}`, { day: i }));
    for (const args of [['plan'], ['sync'], ['status']]) {
      const r = ws.run(args);
      expectExit(r, 0, args.join(' '));
      assert.ok(!r.stdout.includes('\x1b') && !r.stdout.includes('\r'), `${args[0]} stdout has control codes: ${JSON.stringify(r.stdout)}`);
      assert.ok(!r.stderr.includes('\x1b') && !r.stderr.includes('\r'), `${args[0]} stderr has control codes: ${JSON.stringify(r.stderr)}`);
    }
    assert.match(ws.run(['status']).stdout, /^a \(ics-folder ↔ hub team\/event\): 60 in sync/m);
  });
});

describe('timebridge plan and apply', () => {
  it('plan --json prints a plan file and writes nothing', () => {
    const ws = workspace();
    ws.put('a', 'one.ics', ics('one@cli.test', 'One'));
    ws.put('a', 'two.ics', ics('two@cli.test', 'Two', { allDay: true }));
    const doc = json<PlanFileJson>(ws.run(['plan', '--json']), 'plan --json');
    assert.equal(doc.timebridgePlan, 1);
    assert.ok(!Number.isNaN(Date.parse(doc.createdAt)));
    assert.deepEqual(
      doc.plans.map((p) => p.link),
      ['a', 'b'],
    );
    const [pa, pb] = [doc.plans[0]!.plan, doc.plans[1]!.plan];
    assert.equal(pa.linkId, 'link:a');
    assert.deepEqual(pa.counts, { 'pull-create': 2 });
    assert.deepEqual(pa.actions.map((x) => [x.op, x.extId]).sort(), [
      ['pull-create', 'one.ics'],
      ['pull-create', 'two.ics'],
    ]);
    assert.ok(
      pa.actions.some((x) => x.label.startsWith('One (')),
      JSON.stringify(pa.actions),
    );
    assert.equal(pa.guard.ok, true);
    assert.deepEqual(pb.actions, []);
    assert.deepEqual(icsFiles(ws.b), [], 'plan wrote to a folder');
    const status = json<StatusRow[]>(ws.run(['status', '--json']), 'status');
    assert.deepEqual(
      status.map((s) => s.synced),
      [0, 0],
      'plan wrote to the hub',
    );
  });

  it("plan --out then apply applies the saved plan (change in the second link's folder)", () => {
    const ws = syncedWorkspace(5);
    setSummary(ws.b, 'e1@cli.test', 'Edited in B');
    const planned = ws.run(['plan', '--out', 'p.json']);
    expectExit(planned, 0, 'plan --out');
    assert.match(planned.stdout, /plan saved to p\.json/);
    const doc = JSON.parse(fs.readFileSync(path.join(ws.dir, 'p.json'), 'utf8')) as PlanFileJson;
    assert.deepEqual(
      doc.plans.map((p) => p.plan.counts),
      [{}, { 'pull-update': 1 }],
    );

    const applied = ws.run(['apply', 'p.json']);
    expectExit(applied, 0, 'apply');
    assert.match(applied.stdout, /^link b: ok .*pull-update 1/m);
    const run = json<RunJson[]>(ws.run(['runs', '--link', 'b', '--json', '--limit', '1']), 'runs')[0]!;
    assert.equal(run.trigger, 'apply:p.json');
    assert.deepEqual(run.counts, { 'pull-update': 1 });
    // The hub took the change: the next sync carries it to folder a.
    expectExit(ws.run(['sync']), 0, 'sync after apply');
    assert.equal(assertInSync(ws.a, ws.b)['e1@cli.test'], 'Edited in B');
    assertNothingToDo(ws);
  });

  it("plan --out then apply applies the saved plan (change in the first link's folder)", () => {
    const ws = syncedWorkspace(5);
    setSummary(ws.a, 'e2@cli.test', 'Edited in A');
    expectExit(ws.run(['plan', '--out', 'p.json']), 0, 'plan --out');
    // Nothing changes between plan and apply: apply must not call its own writes "drift".
    const applied = ws.run(['apply', 'p.json']);
    expectExit(applied, 0, 'apply of an untouched plan');
    assert.match(applied.stdout, /^link a: ok .*pull-update 1/m);
    expectExit(ws.run(['sync']), 0, 'sync after apply');
    assert.equal(assertInSync(ws.a, ws.b)['e2@cli.test'], 'Edited in A');
    assertNothingToDo(ws);
  });

  it('apply refuses a plan whose side changed since (exit 5) and writes nothing', () => {
    const ws = syncedWorkspace(5);
    setSummary(ws.a, 'e1@cli.test', 'Planned edit');
    expectExit(ws.run(['plan', '--out', 'p.json']), 0, 'plan --out');
    setSummary(ws.a, 'e3@cli.test', 'Edit after the plan');
    const before = { a: snapshot(ws.a), b: snapshot(ws.b) };
    const runsBefore = json<RunJson[]>(ws.run(['runs', '--json']), 'runs').length;

    const r = ws.run(['apply', 'p.json']);
    expectExit(r, 5, 'apply after a change');
    assert.match(r.stderr, /PLAN_DRIFTED/);
    assert.match(r.stderr, /nothing was written/);
    assert.ok(r.stderr.includes(`ext=${path.basename(fileOf(ws.a, 'e3@cli.test'))}@`), r.stderr);
    assert.match(r.stderr, /timebridge plan --out/);
    assert.deepEqual({ a: snapshot(ws.a), b: snapshot(ws.b) }, before, 'a refused apply wrote to a folder');
    assert.equal(eventsIn(ws.b).get('e1@cli.test')?.summary, 'Event 1');
    // The hub is untouched too: both edits are still to be pulled.
    const again = json<PlanFileJson>(ws.run(['plan', '--json']), 'plan after refusal');
    assert.deepEqual(again.plans[0]!.plan.counts, { 'pull-update': 2 });
    const runs = json<RunJson[]>(ws.run(['runs', '--json']), 'runs');
    const fresh = runs.slice(0, runs.length - runsBefore);
    assert.deepEqual(
      fresh.filter((x) => Object.keys(x.counts).length),
      [],
      'a refused apply recorded a run that wrote',
    );
  });

  it('apply refuses (exit 5) and writes nothing at all when a later link drifted', () => {
    const ws = syncedWorkspace(5);
    setSummary(ws.a, 'e1@cli.test', 'Planned edit');
    setSummary(ws.b, 'e2@cli.test', 'Planned edit in B');
    expectExit(ws.run(['plan', '--out', 'p.json']), 0, 'plan --out');
    // After the plan, the second link's folder changes; the first link's part still matches.
    setSummary(ws.b, 'e4@cli.test', 'Edit in B after the plan');
    const before = { a: snapshot(ws.a), b: snapshot(ws.b) };

    const r = ws.run(['apply', 'p.json']);
    expectExit(r, 5, 'apply after a change in b');
    assert.match(r.stderr, /PLAN_DRIFTED/);
    assert.deepEqual({ a: snapshot(ws.a), b: snapshot(ws.b) }, before, 'a refused apply wrote to a folder');
    // Not even the first link's planned pull reached the hub.
    const again = json<PlanFileJson>(ws.run(['plan', '--json']), 'plan after refusal');
    assert.deepEqual(
      again.plans.map((p) => p.plan.counts),
      [{ 'pull-update': 1 }, { 'pull-update': 2 }],
    );
  });

  it('apply of something that is not a plan file is a usage error', () => {
    const ws = workspace();
    fs.writeFileSync(path.join(ws.dir, 'nope.json'), '{"hello": 1}');
    const r = ws.run(['apply', 'nope.json']);
    expectExit(r, 2, 'apply of a non-plan');
    assert.match(r.stderr, /PLAN_INVALID/);
    expectExit(ws.run(['apply', 'missing.json']), 2, 'apply of a missing file');
  });
});

describe('safety guards', () => {
  it('a mass delete stops the run (exit 4) until confirmed with --allow-deletes', () => {
    const ws = syncedWorkspace(40);
    const uidOfFile = new Map([...eventsIn(ws.a)].map(([uid, e]) => [e.files[0]!, uid]));
    const gone = icsFiles(ws.a).slice(0, 20);
    const goneUids = gone.map((n) => uidOfFile.get(n)!);
    assert.equal(new Set(goneUids).size, 20);
    for (const n of gone) fs.rmSync(path.join(ws.a, n));
    const before = snapshot(ws.b);

    const stopped = ws.run(['sync']);
    expectExit(stopped, 4, 'sync with 20 of 40 deleted');
    assert.match(stopped.out, /PLAN_MASS_DELETE/);
    assert.match(stopped.out, /--allow-deletes/);
    assert.equal(icsFiles(ws.b).length, 40);
    assert.deepEqual(snapshot(ws.b), before, 'a stopped run wrote to the other folder');
    assert.equal(uidsOf(ws.b).length, 40);
    const status = json<StatusRow[]>(ws.run(['status', '--json']), 'status');
    assert.deepEqual(
      status.map((s) => [s.link, s.synced, s.lastStatus]),
      [
        ['a', 40, 'stopped'],
        ['b', 40, 'ok'],
      ],
    );

    const allowed = ws.run(['sync', '--allow-deletes']);
    expectExit(allowed, 0, 'sync --allow-deletes');
    assert.equal(icsFiles(ws.a).length, 20);
    assert.equal(icsFiles(ws.b).length, 20);
    const left = assertInSync(ws.a, ws.b);
    assert.equal(Object.keys(left).length, 20);
    for (const uid of goneUids) assert.ok(!(uid in left), `${uid} came back`);
  });

  it('an emptied folder stops the run with PLAN_EMPTY_SIDE (exit 4), even below the count limit', () => {
    const ws = syncedWorkspace(3);
    for (const n of icsFiles(ws.b)) fs.rmSync(path.join(ws.b, n));
    const before = snapshot(ws.a);
    const r = ws.run(['sync']);
    expectExit(r, 4, 'sync with b emptied');
    assert.match(r.out, /PLAN_EMPTY_SIDE/);
    assert.deepEqual(snapshot(ws.a), before, 'the emptied side was propagated');
    assert.equal(uidsOf(ws.a).length, 3);

    expectExit(ws.run(['sync', '--allow-deletes']), 0, 'sync --allow-deletes');
    assert.deepEqual(icsFiles(ws.a), []);
    assert.deepEqual(icsFiles(ws.b), []);
  });
});

describe('items that cannot sync', () => {
  it('two files with the same UID: partial (exit 3), both files named, the rest syncs', () => {
    const ws = workspace();
    for (let i = 0; i < 3; i++) ws.put('a', `ok${i}.ics`, ics(`ok${i}@cli.test`, `Fine ${i}`, { day: i }));
    ws.put('a', 'twin-1.ics', ics('twin@cli.test', 'Twin one'));
    ws.put('a', 'twin-2.ics', ics('twin@cli.test', 'Twin two'));
    const twins = { one: snapshot(ws.a)['twin-1.ics'], two: snapshot(ws.a)['twin-2.ics'] };

    const r = ws.run(['sync']);
    expectExit(r, 3, 'sync with a duplicate UID');
    assert.match(r.out, /ITEM_DUPLICATE_IDENTITY/);
    assert.match(r.out, /twin-1\.ics/);
    assert.match(r.out, /twin-2\.ics/);
    assert.deepEqual(uidsOf(ws.b), ['ok0@cli.test', 'ok1@cli.test', 'ok2@cli.test']);
    assertNoDuplicateUids(ws.b);
    assert.deepEqual({ one: snapshot(ws.a)['twin-1.ics'], two: snapshot(ws.a)['twin-2.ics'] }, twins, 'a twin file was touched');
    const runs = json<RunJson[]>(ws.run(['runs', '--link', 'a', '--json']), 'runs');
    assert.equal(runs[0]!.status, 'partial');

    // Keeping one of them resolves it.
    fs.rmSync(path.join(ws.a, 'twin-2.ics'));
    expectExit(ws.run(['sync']), 0, 'sync after removing a twin');
    assert.equal(assertInSync(ws.a, ws.b)['twin@cli.test'], 'Twin one');
  });

  it('a link whose server is down fails alone: the other links sync, the output names its connection, exit 1', () => {
    const ws = workspace();
    for (let i = 0; i < 3; i++) ws.put('a', `ok${i}.ics`, ics(`ok${i}@cli.test`, `Fine ${i}`, { day: i }));
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    const yaml = fs
      .readFileSync(path.join(ws.dir, 'timebridge.yaml'), 'utf8')
      .replace('connections:\n', 'connections:\n  down: { type: caldav, url: "http://127.0.0.1:9/dav/", calendar: team, timeoutMs: 2000 }\n')
      .replace('links:\n', 'links:\n  remote:\n    connection: down\n    scope: team\n');
    fs.writeFileSync(path.join(ws.dir, 'timebridge.yaml'), yaml);
    const r = ws.run(['sync']);
    expectExit(r, 1, 'sync with one link down');
    assert.match(r.stdout, /link remote: failed/);
    assert.match(r.out, /connection down/);
    assert.deepEqual(uidsOf(ws.b), ['ok0@cli.test', 'ok1@cli.test', 'ok2@cli.test'], 'the working links synced');
    const status = json<(StatusRow & { undone: { code: string }[] })[]>(ws.run(['status', '--json']), 'status');
    const remote = status.find((s) => s.link === 'remote')!;
    assert.equal(remote.lastStatus, 'failed');
    assert.equal(remote.undone[0]?.code, 'CONNECTOR_TRANSIENT');
  });

  it('a broken .ics file: partial (exit 3), named, left untouched, and the rest syncs', () => {
    const ws = workspace();
    for (let i = 0; i < 3; i++) ws.put('a', `ok${i}.ics`, ics(`ok${i}@cli.test`, `Fine ${i}`, { day: i }));
    ws.put('a', 'garbage.ics', 'this is not iCalendar\n\u0000\u0001 at all\n');
    const garbage = snapshot(ws.a)['garbage.ics'];

    const r = ws.run(['sync']);
    expectExit(r, 3, 'sync with a broken file');
    assert.match(r.out, /ITEM_UNPARSABLE/);
    assert.match(r.out, /garbage\.ics/);
    assert.deepEqual(uidsOf(ws.b), ['ok0@cli.test', 'ok1@cli.test', 'ok2@cli.test']);
    assert.equal(icsFiles(ws.b).length, 3);
    assert.equal(snapshot(ws.a)['garbage.ics'], garbage, 'the broken file was changed');

    // A synced file that breaks later is reported too, and its copy on the other side is kept.
    fs.writeFileSync(fileOf(ws.a, 'ok1@cli.test'), 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:ok1@cli.test\r\nDTSTART:nonsense\r\n');
    const again = ws.run(['sync']);
    expectExit(again, 3, 'sync with a synced file broken');
    assert.match(again.out, /ok1\.ics/);
    assert.equal(eventsIn(ws.b).get('ok1@cli.test')?.summary, 'Fine 1', 'the good copy in b was lost');
    assert.equal(snapshot(ws.a)['garbage.ics'], garbage);
  });
});

describe('timebridge undo', () => {
  it('restores hub records a run deleted, to both folders', () => {
    const ws = syncedWorkspace(6);
    const all = assertInSync(ws.a, ws.b);
    fs.rmSync(fileOf(ws.b, 'e1@cli.test'));
    fs.rmSync(fileOf(ws.b, 'e4@cli.test'));
    expectExit(ws.run(['sync']), 0, 'sync with two deletions');
    assert.deepEqual(uidsOf(ws.a), ['e0@cli.test', 'e2@cli.test', 'e3@cli.test', 'e5@cli.test']);

    const runs = json<RunJson[]>(ws.run(['runs', '--json']), 'runs');
    const deleting = runs.find((r) => r.counts['pull-delete'] === 2);
    assert.ok(deleting, `no run with pull-delete 2: ${JSON.stringify(runs.map((r) => r.counts))}`);
    assert.equal(deleting.linkId, 'link:b');

    const r = ws.run(['undo', deleting.id]);
    expectExit(r, 0, 'undo');
    assert.match(r.stdout, /restored 2 hub records/);
    assert.deepEqual(assertInSync(ws.a, ws.b), all);
    assertNothingToDo(ws);

    const unknown = ws.run(['undo', '00000000-0000-7000-8000-000000000000']);
    expectExit(unknown, 2, 'undo of an unknown run');
    assert.match(unknown.stderr, /RUN_UNKNOWN/);
  });
});

describe('timebridge runs and status', () => {
  it('return the run records and link state as JSON', () => {
    const ws = workspace();
    for (let i = 0; i < 3; i++) ws.put('a', `e${i}.ics`, ics(`e${i}@cli.test`, `Event ${i}`, { day: i }));
    const synced = json<RunJson[]>(ws.run(['sync', '--json']), 'sync --json');
    assert.deepEqual(
      synced.map((r) => [r.linkId, r.status, r.counts]),
      [
        ['link:a', 'ok', { 'pull-create': 3 }],
        ['link:b', 'ok', { 'push-create': 3 }],
      ],
    );

    const runs = json<RunJson[]>(ws.run(['runs', '--json']), 'runs --json');
    assert.deepEqual(
      runs.map((r) => r.id),
      [synced[1]!.id, synced[0]!.id],
      'runs are listed newest first',
    );
    for (const r of runs) {
      assert.equal(r.trigger, 'cli');
      assert.equal(r.status, 'ok');
      assert.ok(Date.parse(r.startedAt) <= Date.parse(r.finishedAt!));
      assert.equal(typeof r.durationMs, 'number');
    }
    const text = ws.run(['runs']);
    expectExit(text, 0, 'runs');
    for (const r of runs) assert.ok(text.stdout.includes(r.id), text.stdout);

    const one = json<RunJson>(ws.run(['runs', synced[0]!.id, '--json']), 'runs <id> --json');
    assert.equal(one.id, synced[0]!.id);
    assert.equal(one.linkId, 'link:a');
    assert.deepEqual(one.counts, { 'pull-create': 3 });
    assert.deepEqual(one.plan?.actions.map((a) => [a.op, a.extId]).sort(), [
      ['pull-create', 'e0.ics'],
      ['pull-create', 'e1.ics'],
      ['pull-create', 'e2.ics'],
    ]);
    assert.deepEqual(
      json<RunJson[]>(ws.run(['runs', '--link', 'b', '--json']), 'runs --link b').map((r) => r.id),
      [synced[1]!.id],
    );
    expectExit(ws.run(['runs', 'no-such-run']), 2, 'runs of an unknown id');

    const status = json<StatusRow[]>(ws.run(['status', '--json']), 'status --json');
    assert.deepEqual(
      status.map((s) => ({ ...s, lastRunAt: typeof s.lastRunAt })),
      [
        {
          link: 'a',
          connector: 'ics-folder',
          scope: 'team',
          kind: 'event',
          synced: 3,
          conflicts: 0,
          openIntents: 0,
          lastStatus: 'ok',
          lastRunAt: 'string',
          lastRunId: synced[0]!.id,
          undone: [],
          parked: [],
          losses: [],
        },
        {
          link: 'b',
          connector: 'ics-folder',
          scope: 'team',
          kind: 'event',
          synced: 3,
          conflicts: 0,
          openIntents: 0,
          lastStatus: 'ok',
          lastRunAt: 'string',
          lastRunId: synced[1]!.id,
          undone: [],
          parked: [],
          losses: [],
        },
      ],
    );
    assert.deepEqual(json<unknown[]>(ws.run(['conflicts', '--json']), 'conflicts --json'), []);
  });
});

describe('timebridge emulate', () => {
  it('names the systems it has when asked for one it has not, and refuses a bad number', () => {
    const dir = tempDir();
    const unknown = tb(dir, ['emulate', 'salesforce']);
    expectExit(unknown, 2, 'emulate salesforce');
    assert.match(unknown.stderr, /no emulator named "salesforce"/);
    assert.match(unknown.stderr, /use one of: kimai, google, jira, tempo/);
    const bad = tb(dir, ['emulate', 'kimai', '--latency', 'soon']);
    expectExit(bad, 2, 'emulate --latency soon');
    assert.match(bad.stderr, /latency must be a whole number ≥ 0, not "soon"/);
  });
});
