/**
 * `npm run bench:peer` — Timebridge and vdirsyncer side by side on the same workload, in
 * one run: folder ↔ folder and folder ↔ Radicale (a real Radicale with its own config on a
 * free port), phases initial, no change, 2 % changed on A, 2 % changed on B. Reports wall
 * time, peak RSS and the HTTP requests each tool sent (counted from Radicale's request
 * log), and checks after every run that both sides hold exactly the expected events.
 * vdirsyncer (Debian package) is installed with apt-get when /usr/bin/vdirsyncer is missing.
 *
 * Options:
 *   --sizes 1000,10000            event counts (default 1000,10000)
 *   --workloads folder-folder,folder-radicale   (default both)
 *   --no-change-runs N            no-change runs per tool, median reported (default 3)
 *   --smoke                       CI smoke: N = 50, both workloads, 1 no-change run
 *   --upload                      folder ↔ Radicale initial phase: always upload folder → empty
 *                                 Radicale (Radicale's PUT cost grows with the collection: ~33 min
 *                                 per tool at 10k, whatever the client)
 *   --preload-from N              otherwise, from N events on (default 5000) the calendar is written
 *                                 into Radicale's storage while it is stopped, and the initial phase
 *                                 is "Radicale full → empty folder"
 *   --keep                        keep the temp folders (data, stores, Radicale storage and log)
 *   --tmp DIR                     put them under DIR (default: the OS temp dir)
 *   --build / --skip-build        always / never build dist first (default: when dist is stale)
 *   --seed N                      data seed (default 20240601)
 * Writes bench/out/peer-latest.json. Exit code 1 when any check failed or a tool exited ≠ 0.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, buildDist, printHelpAndExit, wholeNumbers, type BuildMode } from './cli-kit.js';
import { RADICALE_BIN, radicaleAvailable } from '../test/support/radicale.js';
import { hasGnuTime } from './measure.js';
import { TOOLS, WORKLOADS, removeLiveScenarioDirs, runPeerScenario, type PeerResult, type Workload } from './peer-bench.js';
import { stopAllRadicales } from './peer-radicale.js';
import { formatPeerTable } from './peer-table.js';
import { ensureVdirsyncer, vdirsyncerVersion } from './peer-vdirsyncer.js';

const OUT_FILE = path.join(REPO, 'bench', 'out', 'peer-latest.json');
/** The goal: no-change and incremental syncs at least this many times faster than vdirsyncer. */
export const TARGET_SPEEDUP = 5;

interface Options {
  sizes: number[];
  workloads: Workload[];
  noChangeRuns: number;
  smoke: boolean;
  upload: boolean;
  preloadFrom: number;
  keep: boolean;
  tmp: string;
  build: BuildMode;
  seed: number;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      workloads: { type: 'string' },
      'no-change-runs': { type: 'string' },
      smoke: { type: 'boolean' },
      upload: { type: 'boolean' },
      'preload-from': { type: 'string' },
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
  const workloads = (values.workloads ?? WORKLOADS.join(','))
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean);
  const unknown = workloads.filter((w) => !(WORKLOADS as string[]).includes(w));
  if (unknown.length || !workloads.length) throw new Error(`--workloads: expected some of ${WORKLOADS.join(', ')}, got "${values.workloads}"`);
  return {
    smoke,
    sizes: values.sizes !== undefined ? wholeNumbers(values.sizes, '--sizes').filter((n) => n > 0) : smoke ? [50] : [1000, 10_000],
    workloads: workloads as Workload[],
    noChangeRuns: Math.max(1, one(values['no-change-runs'], '--no-change-runs', smoke ? 1 : 3)),
    upload: values.upload ?? false,
    preloadFrom: one(values['preload-from'], '--preload-from', 5000),
    keep: values.keep ?? false,
    tmp: path.resolve(values.tmp ?? os.tmpdir()),
    build: values.build ? 'always' : values['skip-build'] ? 'never' : 'auto',
    seed: one(values.seed, '--seed', 20_240_601),
  };
}

function radicaleVersion(): string {
  const r = spawnSync(RADICALE_BIN, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '?').trim();
}

/** What went wrong, one line per failed run; and notes that do not fail the run. */
function findings(results: PeerResult[]): { failures: string[]; notes: string[] } {
  const failures: string[] = [];
  const notes: string[] = [];
  for (const r of results) {
    for (const tool of TOOLS) {
      const lf = r.phases.flatMap((p) => p.tools[tool].runs.map((run) => ({ p, ...run.lfOnly })));
      const most = lf.reduce((m, x) => (x.a + x.b > m.a + m.b ? x : m), { p: r.phases[0]!, a: 0, b: 0 });
      if (most.a + most.b > 0) {
        notes.push(
          `${r.workload} N=${r.n} ${tool}: up to ${most.a} file(s) in A and ${most.b} in B with bare-LF line endings, not CRLF ` +
            `(first after "${lf.find((x) => x.a + x.b > 0)!.p.label}"); the check reads them as CRLF`,
        );
      }
    }
    for (const p of r.phases) {
      for (const tool of TOOLS) {
        p.tools[tool].runs.forEach((run, i) => {
          const where = `${r.workload} N=${r.n} ${p.label}${p.tools[tool].runs.length > 1 ? ` #${i + 1}` : ''} ${tool}`;
          if (run.error) failures.push(`${where}: ${run.error.split('\n').slice(0, 6).join(' | ')}`);
          if (!run.check.ok) failures.push(`${where}: sides differ: ${run.check.problems.slice(0, 5).join('; ')}`);
          if (run.actionsOk === false) notes.push(`${where}: actions ${JSON.stringify(run.actions)} are not just the change made`);
        });
      }
    }
  }
  return { failures, notes };
}

async function main(): Promise<number> {
  const opts = options(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(line + '\n');
  const started = new Date();
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? '?',
    memGb: os.totalmem() / 2 ** 30,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAvgAtStart: os.loadavg(),
    peakRssMethod: hasGnuTime() ? '/usr/bin/time -v' : 'none for vdirsyncer (no GNU time); rss hook for Timebridge',
  };
  const installedVdirsyncer = ensureVdirsyncer(log);
  if (opts.workloads.includes('folder-radicale') && !radicaleAvailable()) {
    throw new Error(`Radicale is not installed (${RADICALE_BIN}); install it with apt-get install radicale, or pass --workloads folder-folder`);
  }
  const versions = {
    vdirsyncer: vdirsyncerVersion(),
    radicale: opts.workloads.includes('folder-radicale') ? radicaleVersion() : null,
    installedVdirsyncer,
  };
  log(
    `timebridge bench:peer: ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, vdirsyncer ${versions.vdirsyncer}` +
      `${versions.radicale ? `, Radicale ${versions.radicale}` : ''}, load ${machine.loadAvgAtStart.map((x) => x.toFixed(2)).join(' ')}`,
  );
  const built = buildDist(opts.build);
  if (built.ran) log(`built dist in ${built.seconds.toFixed(1)} s`);
  fs.mkdirSync(opts.tmp, { recursive: true });

  const results: PeerResult[] = [];
  for (const n of opts.sizes) {
    for (const workload of opts.workloads) {
      const t0 = performance.now();
      results.push(
        await runPeerScenario(workload, n, {
          repo: REPO,
          seed: opts.seed,
          noChangeRuns: opts.noChangeRuns,
          keep: opts.keep,
          baseDir: opts.tmp,
          preloadFrom: opts.preloadFrom,
          upload: opts.upload,
          log,
        }),
      );
      log(`  ${workload}, N = ${n.toLocaleString('en')} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  }

  const { failures, notes } = findings(results);
  const out: string[] = [''];
  for (const r of results) out.push(formatPeerTable(r, TARGET_SPEEDUP), '');
  if (notes.length) out.push(`Notes:\n  ${notes.join('\n  ')}`, '');
  out.push(
    failures.length
      ? `CHECKS FAILED:\n  ${failures.join('\n  ')}`
      : "All checks passed (exit codes; UIDs and SUMMARY on both sides of each tool's copy after every run).",
  );
  process.stdout.write(out.join('\n') + '\n');

  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    options: opts,
    machine: { ...machine, loadAvgAtEnd: os.loadavg() },
    versions,
    targetSpeedup: TARGET_SPEEDUP,
    results,
    ok: failures.length === 0,
    failures,
    notes,
  };
  fs.mkdirSync(path.dirname(OUT_FILE), { recursive: true });
  fs.writeFileSync(OUT_FILE, JSON.stringify(result, null, 2) + '\n');
  log(`results written to ${path.relative(process.cwd(), OUT_FILE)}`);
  return failures.length ? 1 : 0;
}

// Radicale must not outlive the benchmark: stop it on Ctrl-C / SIGTERM and on any error.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping Radicale, removing the temp folders…\n`);
    void stopAllRadicales().finally(() => {
      removeLiveScenarioDirs();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  });
}
try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`bench:peer: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
} finally {
  await stopAllRadicales();
}
