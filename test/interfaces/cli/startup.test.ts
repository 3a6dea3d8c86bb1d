/**
 * Start-up (issue 24): a run imports only the module of the command it names, and
 * bin/timebridge.js runs most commands from the one-file bundle dist/cli-bundle/main.cjs with a
 * V8 code cache, unless told to run dist/ itself (TB_CLI_FROM_DIST=1). Both must behave the
 * same, with or without a cache, and with a broken one. Build first: `npm run build`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { BUNDLED_COMMANDS, commandOf } from '../../../src/interfaces/cli/command-of.js';
import { buildProgram, MODULES } from '../../../src/interfaces/cli/main.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'timebridge.js');
const roots: string[] = [];
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function tb(cwd: string, args: string[], fromDist: boolean): { code: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TIMEBRIDGE_') && k !== 'NODE_TEST_CONTEXT' && k !== 'NODE_OPTIONS') env[k] = v;
  if (fromDist) env.TB_CLI_FROM_DIST = '1';
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('which command a run names', () => {
  it('skips the global --config and its value in every spelling', () => {
    assert.equal(commandOf(['node', 'tb', 'sync', 'a']), 'sync');
    assert.equal(commandOf(['node', 'tb', '-c', 'x.yaml', 'sync']), 'sync');
    assert.equal(commandOf(['node', 'tb', '--config', 'x.yaml', 'records', 'list']), 'records');
    assert.equal(commandOf(['node', 'tb', '--config=x.yaml', 'plan']), 'plan');
    assert.equal(commandOf(['node', 'tb', '-cx.yaml', 'status']), 'status');
  });
  it('is none for no arguments, or when another option comes first', () => {
    assert.equal(commandOf(['node', 'tb']), undefined);
    assert.equal(commandOf(['node', 'tb', '--help', 'sync']), undefined);
    assert.equal(commandOf(['node', 'tb', '-c', 'x.yaml']), undefined);
  });
});

describe('loading only the named command', () => {
  it('each command module defines exactly the commands the table says, and together they are all', async () => {
    const all = (await buildProgram(['node', 'tb'])).commands.map((c) => c.name());
    assert.deepEqual([...all].sort(), MODULES.flatMap((m) => m.commands).sort());
    for (const m of MODULES) {
      for (const name of m.commands) {
        const one = (await buildProgram(['node', 'tb', name])).commands.map((c) => c.name());
        assert.deepEqual(one, m.commands, `a run of \`${name}\` should define ${m.commands.join(', ')}`);
      }
    }
  });
  it('an unknown command loads every module, so the error can suggest the right one', async () => {
    assert.equal((await buildProgram(['node', 'tb', 'synk'])).commands.length, MODULES.flatMap((m) => m.commands).length);
  });
  it('the bundle runs every command but the service and emulator ones, which run from dist/', () => {
    const known = MODULES.flatMap((m) => m.commands);
    for (const c of BUNDLED_COMMANDS) assert.ok(known.includes(c), `${c} is not a command`);
    assert.deepEqual(known.filter((c) => !BUNDLED_COMMANDS.has(c)).sort(), ['demo', 'emulate', 'serve', 'worker']);
  });
});

describe('the bundled CLI and dist/ behave the same', () => {
  it('the bundle is built and at least as new as dist/', () => {
    const b = fs.statSync(path.join(ROOT, 'dist', 'cli-bundle', 'main.cjs'));
    assert.ok(b.mtimeMs >= fs.statSync(path.join(ROOT, 'dist', 'interfaces', 'cli', 'main.js')).mtimeMs, 'run `npm run build`');
  });

  it('help, a usage error, a config error, and sync of a folder pair then a no-change sync', () => {
    const outs = [true, false].map((fromDist) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-startup-'));
      roots.push(dir);
      for (const side of ['a', 'b']) fs.mkdirSync(path.join(dir, side));
      fs.writeFileSync(
        path.join(dir, 'a', 'one.ics'),
        'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:one@test\r\nDTSTAMP:20240101T000000Z\r\n' +
          'DTSTART:20240102T100000Z\r\nDTEND:20240102T110000Z\r\nSUMMARY:One\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n',
      );
      const config = ['store: { type: sqlite, path: hub.sqlite }', 'connections:', '  a: { type: ics-folder, path: a }', '  b: { type: ics-folder, path: b }'];
      fs.writeFileSync(path.join(dir, 'bad.yaml'), [...config, 'links:', '  a: { connection: c, scope: s }', ''].join('\n'));
      fs.writeFileSync(
        path.join(dir, 'timebridge.yaml'),
        [...config, 'links:', '  a: { connection: a, scope: s }', '  b: { connection: b, scope: s }', ''].join('\n'),
      );
      const runs = [['--help'], ['sync', '--help'], ['sync', '--frobnicate'], ['-c', 'bad.yaml', 'sync'], ['sync'], ['sync'], ['status']].map((args) => {
        const r = tb(dir, args, fromDist);
        // Run ids, times and durations differ between runs.
        const clean = (s: string) =>
          s
            .replace(/\(run [0-9a-f-]+\)/g, '(run …)')
            .replace(/in \d+ ms/g, 'in … ms')
            .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
            .replaceAll(dir, '<dir>');
        return { args: args.join(' '), code: r.code, stdout: clean(r.stdout), stderr: clean(r.stderr) };
      });
      return { runs, files: fs.readdirSync(path.join(dir, 'b')).length };
    });
    const [dist, bundle] = outs as [(typeof outs)[0], (typeof outs)[0]];
    assert.deepEqual(bundle, dist);
    assert.equal(dist.files, 1, 'the event reached b');
    assert.deepEqual(
      dist.runs.map((r) => r.code),
      [0, 0, 2, 2, 0, 0, 0],
    );
    assert.match(dist.runs[5]!.stdout, /link a: ok in … ms — nothing to do/);
  });

  it('a code cache V8 cannot use is rewritten, and the run is the same', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-startup-'));
    roots.push(dir);
    for (const side of ['a', 'b']) fs.mkdirSync(path.join(dir, side));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      'store: { type: sqlite, path: hub.sqlite }\nconnections:\n  a: { type: ics-folder, path: a }\nlinks:\n  a: { connection: a, scope: s }\n',
    );
    const bundleDir = path.join(ROOT, 'dist', 'cli-bundle');
    const check = () => {
      const r = tb(dir, ['check'], false);
      return { ...r, stdout: r.stdout.replace(/\d+ ms/g, '… ms') };
    };
    const first = check();
    assert.equal(first.code, 0, first.stderr);
    const caches = fs.readdirSync(bundleDir).filter((f) => /^main\.cjs\.check\..*\.cache$/.test(f));
    assert.equal(caches.length, 1, `one cache for check: ${fs.readdirSync(bundleDir).join(', ')}`);
    const cache = path.join(bundleDir, caches[0]!);
    fs.writeFileSync(cache, Buffer.alloc(4096, 7));
    const again = check();
    assert.deepEqual(again, first);
    assert.notDeepEqual(fs.readFileSync(cache), Buffer.alloc(4096, 7), 'the broken cache was not rewritten');
  });
});
