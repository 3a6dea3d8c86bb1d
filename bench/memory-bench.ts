/**
 * `npm run bench:memory` — folder ↔ folder at a size where holding the collection would not
 * fit: N generated events (default 200,000) in folder A, folder B empty, the real CLI
 * (`node --max-old-space-size=<cap> bin/timebridge.js sync`) as its own process per phase,
 * with the V8 heap capped at vdirsyncer's 50k peak RSS (default 189 MB, issue 24). Phases:
 * initial sync, no-change resync, resync after 2 % changed on A. After every phase both
 * folders must hold exactly the expected UIDs with the expected SUMMARY and the CLI must
 * exit 0. Reports success and peak RSS per phase (not a timed test: no time is asserted).
 *
 * Options:
 *   --events N            events in folder A (default 200000)
 *   --cap-mb MB           --max-old-space-size for the CLI (default 189)
 *   --smoke               CI smoke: N = 3000, cap 64 MB
 *   --keep                keep the temp folders
 *   --tmp DIR             put them under DIR (default: the OS temp dir)
 *   --build / --skip-build  always / never build dist first (default: when dist is stale)
 *   --seed N              data seed (default 20240601)
 * Writes bench/out/memory-latest.json. Exit code 1 when a phase failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, buildDist, printHelpAndExit, wholeNumbers, type BuildMode } from './cli-kit.js';
import { parseRunLines, writeAtomic } from './folder-bench.js';
import { checkFolders, scanFolder } from './ics-check.js';
import { edited, makeEvent, prng, render, type EventSpec } from './ics-gen.js';
import { measureNode } from './measure.js';
import { mb, sec, table } from './table.js';

interface Options {
  events: number;
  capMb: number;
  keep: boolean;
  tmp: string;
  build: BuildMode;
  seed: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      events: { type: 'string' },
      'cap-mb': { type: 'string' },
      smoke: { type: 'boolean' },
      keep: { type: 'boolean' },
      tmp: { type: 'string' },
      build: { type: 'boolean' },
      'skip-build': { type: 'boolean' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) printHelpAndExit(import.meta.url);
  const smoke = values.smoke ?? false;
  const one = (v: string | undefined, what: string, dflt: number) => (v === undefined ? dflt : wholeNumbers(v, what)[0]!);
  return {
    events: one(values.events, '--events', smoke ? 3000 : 200_000),
    capMb: one(values['cap-mb'], '--cap-mb', smoke ? 64 : 189),
    keep: values.keep ?? false,
    tmp: values.tmp ?? os.tmpdir(),
    build: values.build ? 'always' : values['skip-build'] ? 'never' : 'auto',
    seed: one(values.seed, '--seed', 20240601),
  };
}

interface PhaseRow {
  phase: string;
  ok: boolean;
  exitCode: number | null;
  wallS: number;
  peakRssMb: number | null;
  counts: Record<string, Record<string, number>>;
  problem?: string;
}

export async function runMemoryBench(o: Options, log: (l: string) => void): Promise<{ ok: boolean; rows: PhaseRow[] }> {
  const dir = fs.mkdtempSync(path.join(o.tmp, `timebridge-memory-${o.events}-`));
  const a = path.join(dir, 'a'),
    b = path.join(dir, 'b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  const config = path.join(dir, 'timebridge.yaml');
  const q = JSON.stringify;
  fs.writeFileSync(
    config,
    [
      `store: { type: sqlite, path: ${q(path.join(dir, 'hub.sqlite'))} }`,
      'connections:',
      `  a: { type: ics-folder, path: ${q(a)} }`,
      `  b: { type: ics-folder, path: ${q(b)} }`,
      'links:',
      '  a: { connection: a, scope: bench }',
      '  b: { connection: b, scope: bench }',
      '',
    ].join('\n'),
  );
  const rand = prng(o.seed ^ o.events);
  const events = new Map<string, EventSpec>();
  let serial = 0;
  log(`  generating ${o.events.toLocaleString('en')} events in ${a}`);
  for (let i = 0; i < o.events; i++) {
    const e = makeEvent(rand, serial++);
    fs.writeFileSync(path.join(a, e.file), render(e));
    events.set(e.uid, e);
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TIMEBRIDGE_') && k !== 'NODE_OPTIONS') env[k] = v;
  const rows: PhaseRow[] = [];
  const phase = async (name: string) => {
    const m = await measureNode([`--max-old-space-size=${o.capMb}`, path.join(REPO, 'bin', 'timebridge.js'), '--config', config, 'sync'], { cwd: REPO, env });
    const parsed = parseRunLines(m.stdout);
    const check = checkFolders(scanFolder(a), scanFolder(b), new Map([...events.values()].map((e) => [e.uid, e.summary])));
    const ok = m.exitCode === 0 && !parsed.notOk.length && check.ok;
    const problem = ok
      ? undefined
      : [`exit ${m.exitCode}${m.signal ? ` (${m.signal})` : ''}`, ...parsed.notOk, check.ok ? '' : 'folders differ', m.stderr.slice(0, 800)].join('\n');
    rows.push({ phase: name, ok, exitCode: m.exitCode, wallS: m.wallS, peakRssMb: m.peakRssMb, counts: parsed.counts, ...(problem ? { problem } : {}) });
    log(`    ${name}: ${ok ? 'ok' : 'FAILED'}, ${m.wallS.toFixed(1)} s, peak RSS ${m.peakRssMb?.toFixed(0) ?? '?'} MB`);
    return ok;
  };
  try {
    if (await phase('initial sync (A full, B empty)')) {
      if (await phase('no-change resync')) {
        // 1 % edited, 0.5 % deleted, 0.5 % added in A.
        const uids = [...events.keys()];
        const edit = Math.round(o.events * 0.01),
          del = Math.round(o.events * 0.005),
          add = del;
        for (let i = 0; i < edit + del; i++) {
          const j = i + Math.floor(rand() * (uids.length - i));
          [uids[i], uids[j]] = [uids[j]!, uids[i]!];
        }
        const now = new Date();
        for (const uid of uids.slice(0, edit)) {
          const e = edited(rand, events.get(uid)!, serial++, now);
          events.set(uid, e);
          writeAtomic(path.join(a, e.file), render(e));
        }
        for (const uid of uids.slice(edit, edit + del)) {
          fs.unlinkSync(path.join(a, events.get(uid)!.file));
          events.delete(uid);
        }
        for (let i = 0; i < add; i++) {
          const e = makeEvent(rand, serial++);
          writeAtomic(path.join(a, e.file), render(e));
          events.set(e.uid, e);
        }
        await phase('resync after 2 % changed on A');
      }
    }
  } finally {
    if (!o.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
  return { ok: rows.length === 3 && rows.every((r) => r.ok), rows };
}

async function main(): Promise<void> {
  const o = options(process.argv.slice(2));
  buildDist(o.build);
  const log = (l: string) => process.stdout.write(`${l}\n`);
  log(`memory run: folder ↔ folder, ${o.events.toLocaleString('en')} events, heap capped at ${o.capMb} MB (--max-old-space-size)`);
  const r = await runMemoryBench(o, log);
  log(
    table(
      ['phase', 'result', 'wall s', 'peak RSS MB'],
      r.rows.map((x) => [x.phase, x.ok ? 'ok' : 'FAILED', sec(x.wallS), mb(x.peakRssMb)]),
      [false, false, true, true],
    ),
  );
  for (const x of r.rows) if (x.problem) log(`  ${x.phase}:\n${x.problem}`);
  log(r.ok ? `memory run: ok — every phase succeeded with the heap capped at ${o.capMb} MB` : 'memory run: FAILED');
  const out = path.join(REPO, 'bench', 'out', 'memory-latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ events: o.events, capMb: o.capMb, ...r }, null, 2));
  process.exitCode = r.ok ? 0 : 1;
}

await main();
