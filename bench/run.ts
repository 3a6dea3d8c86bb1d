/**
 * `npm run bench` — the benchmarks:
 *   1. plan() throughput on synthetic status rows (default 1,000,000);
 *   2. folder → hub → folder with the real CLI, one process per phase (default N = 10k, 50k),
 *      beside vdirsyncer's reference numbers;
 *   3. the service: webhook ingest (autocannon) and webhook → write done (bench/serve-bench.ts);
 *   4. the Google Calendar, Kimai and Tempo → Jira connectors against their in-repo emulators:
 *      first sync, no-change resync, resync after 2 % changed remotely (bench/emulator-bench.ts);
 *   5. start-up: a no-change CLI sync of two folders of 20 events, CPU, wall, RSS and module
 *      files loaded, from dist/ and from the bundle with its code cache (bench/startup-bench.ts).
 *
 * Options:
 *   --sizes 1000,10000      folder sizes (default 10000,50000)
 *   --planner-rows N        planner rows (default 1000000; 0 skips the planner)
 *   --planner-runs N        plan() calls timed (default 5: first is cold, median of the rest)
 *   --no-change-runs N      how often the no-change resync runs; median reported (default 3)
 *   --smoke                 CI smoke: N = 1000, 100k planner rows, 3 planner calls, 1 no-change run
 *   --json FILE             also write the results to FILE (always: bench/out/latest.json)
 *   --cpu-prof DIR          pass --cpu-prof --cpu-prof-dir=DIR to every CLI run (from dist/, not the bundle: samples keep their file names)
 *   --keep                  keep the temp folders and stores
 *   --tmp DIR               put the temp folders and store under DIR (default: the OS temp dir).
 *                           Note: on the benchmark VM, creating files in a fresh folder costs
 *                           25-950 µs a file depending on the moment (thin-provisioned disk), which
 *                           shows up in the initial sync's writes to B
 *   --build / --skip-build  always / never run `tsc -p tsconfig.build.json` (default: when dist is stale)
 *   --seed N                data seed (default 20240601)
 *   --serve-seconds N       webhook ingest duration against `timebridge serve` (default 10; smoke 2; 0 skips the service bench)
 *   --serve-samples N       webhook → write-in-folder-B samples (default 40; smoke 5)
 *   --emulator-items N      items preloaded in each emulator (default 5000; smoke 200; 0 skips the emulator bench)
 *   --emulator-systems L    which of google,kimai,tempo (default all three)
 *   --emulator-latency MS   delay each emulator adds to every API request, standing in for the
 *                           network round trip to a real site (default 0)
 *   --startup-runs N        measured runs of the start-up bench per mode (default 10; smoke 3; 0 skips)
 * Exit code 1 when any result check failed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO, buildDist, printHelpAndExit, wholeNumbers, type BuildMode } from './cli-kit.js';
import { PHASE_LABELS, runFolderBench, type FolderResult, type PhaseId } from './folder-bench.js';
import { hasGnuTime } from './measure.js';
import { runPlannerBench, type PlannerResult } from './planner-bench.js';
import { formatServeBench, runServeBench, type ServeBenchResult } from './serve-bench.js';
import { emulatorFailures, formatEmulatorTable, runEmulatorBench, type EmuSystemResult } from './emulator-bench.js';
import { SYSTEMS, type SystemId } from './emulator-scenarios.js';
import { formatSummary, summarise, type ProfileSummary } from './profile-summary.js';
import { formatStartup, runStartupBoth, type StartupResult } from './startup-bench.js';
import { formatFolderTable, formatPlannerTable } from './table.js';

const int = (n: number) => n.toLocaleString('en');
const OUT_DIR = path.join(REPO, 'bench', 'out');

/** vdirsyncer reference (issue "Foundation"): seconds per phase and peak RSS (MB). */
export const VDIRSYNCER: Record<number, Record<PhaseId, number> & { peakRssMb: number }> = {
  50000: { initial: 36.4, noChange: 4.06, changedA: 4.59, changedB: 4.75, peakRssMb: 158 },
  10000: { initial: 9.27, noChange: 0.87, changedA: 1.02, changedB: 0.96, peakRssMb: 63 },
};
/** We aim to be at least this many times faster than vdirsyncer in every phase. */
export const TARGET_SPEEDUP = 5;

interface Options {
  sizes: number[];
  plannerRows: number;
  plannerRuns: number;
  noChangeRuns: number;
  json: string | null;
  cpuProfDir: string | null;
  keep: boolean;
  tmp: string;
  build: BuildMode;
  seed: number;
  smoke: boolean;
  serveSeconds: number;
  serveSamples: number;
  emulatorItems: number;
  emulatorSystems: SystemId[];
  emulatorLatencyMs: number;
  startupRuns: number;
}

function systems(text: string | undefined): SystemId[] {
  if (text === undefined) return SYSTEMS;
  const xs = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = xs.filter((x) => !(SYSTEMS as string[]).includes(x));
  if (bad.length) throw new Error(`--emulator-systems: unknown ${bad.join(', ')} (known: ${SYSTEMS.join(', ')})`);
  return xs as SystemId[];
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string' },
      'planner-rows': { type: 'string' },
      'planner-runs': { type: 'string' },
      'no-change-runs': { type: 'string' },
      smoke: { type: 'boolean' },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean' },
      tmp: { type: 'string' },
      build: { type: 'boolean' },
      'skip-build': { type: 'boolean' },
      seed: { type: 'string' },
      'serve-seconds': { type: 'string' },
      'serve-samples': { type: 'string' },
      'emulator-items': { type: 'string' },
      'emulator-systems': { type: 'string' },
      'emulator-latency': { type: 'string' },
      'startup-runs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) printHelpAndExit(import.meta.url);
  const smoke = values.smoke ?? false;
  const one = (v: string | undefined, what: string, dflt: number) => (v === undefined ? dflt : wholeNumbers(v, what)[0]!);
  return {
    smoke,
    sizes: values.sizes !== undefined ? wholeNumbers(values.sizes, '--sizes').filter((n) => n > 0) : smoke ? [1000] : [10_000, 50_000],
    plannerRows: one(values['planner-rows'], '--planner-rows', smoke ? 100_000 : 1_000_000),
    plannerRuns: Math.max(1, one(values['planner-runs'], '--planner-runs', smoke ? 3 : 5)),
    noChangeRuns: Math.max(1, one(values['no-change-runs'], '--no-change-runs', smoke ? 1 : 3)),
    json: values.json ?? null,
    cpuProfDir: values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null,
    keep: values.keep ?? false,
    tmp: path.resolve(values.tmp ?? os.tmpdir()),
    build: values.build ? 'always' : values['skip-build'] ? 'never' : 'auto',
    seed: one(values.seed, '--seed', 20_240_601),
    serveSeconds: one(values['serve-seconds'], '--serve-seconds', smoke ? 2 : 10),
    serveSamples: Math.max(1, one(values['serve-samples'], '--serve-samples', smoke ? 5 : 40)),
    emulatorItems: one(values['emulator-items'], '--emulator-items', smoke ? 200 : 5000),
    emulatorSystems: systems(values['emulator-systems']),
    emulatorLatencyMs: one(values['emulator-latency'], '--emulator-latency', 0),
    startupRuns: one(values['startup-runs'], '--startup-runs', smoke ? 3 : 10),
  };
}

function gitInfo(): { head: string | null; dirtySrc: string[] } {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.trim());
    return { head, dirtySrc: dirty };
  } catch {
    return { head: null, dirtySrc: [] };
  }
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
    peakRssMethod: hasGnuTime() ? '/usr/bin/time -v' : 'process.resourceUsage().maxRSS via --import bench/rss-hook.mjs',
  };
  log(`timebridge bench: ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, load ${machine.loadAvgAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  if (opts.cpuProfDir) fs.mkdirSync(opts.cpuProfDir, { recursive: true });
  fs.mkdirSync(opts.tmp, { recursive: true });

  let planner: PlannerResult | null = null;
  if (opts.plannerRows > 0) {
    log(`planner: ${opts.plannerRows.toLocaleString('en')} status rows, ${opts.plannerRuns} plan() calls…`);
    planner = await runPlannerBench(opts.plannerRows, opts.plannerRuns);
  }

  const folders: FolderResult[] = [];
  let buildInfo = { ran: false, seconds: 0 };
  if (opts.sizes.length) {
    buildInfo = buildDist(opts.build);
    if (buildInfo.ran) log(`built dist in ${buildInfo.seconds.toFixed(1)} s`);
    log('folder → hub → folder (real CLI, one process per phase):');
    for (const n of opts.sizes) {
      folders.push(
        await runFolderBench(n, {
          repo: REPO,
          seed: opts.seed,
          noChangeRuns: opts.noChangeRuns,
          keep: opts.keep,
          baseDir: opts.tmp,
          cpuProfDir: opts.cpuProfDir,
          log,
        }),
      );
    }
  }

  let service: ServeBenchResult | null = null;
  if (opts.serveSeconds > 0) {
    if (!buildInfo.ran) buildInfo = buildDist(opts.build);
    service = await runServeBench({ seconds: opts.serveSeconds, samples: opts.serveSamples, tmp: opts.tmp, log });
  }

  let emulators: EmuSystemResult[] = [];
  if (opts.emulatorItems > 0 && opts.emulatorSystems.length) {
    if (!buildInfo.ran) buildInfo = buildDist(opts.build);
    emulators = await runEmulatorBench({
      repo: REPO,
      n: opts.emulatorItems,
      systems: opts.emulatorSystems,
      seed: opts.seed,
      keep: opts.keep,
      baseDir: opts.tmp,
      latencyMs: opts.emulatorLatencyMs,
      log,
    });
  }

  let startup: StartupResult[] = [];
  if (opts.startupRuns > 0) {
    if (!buildInfo.ran) buildInfo = buildDist(opts.build);
    log('start-up: no-change sync of two small folders, from dist/ and from the bundle:');
    startup = await runStartupBoth({ events: 20, runs: opts.startupRuns, baseDir: opts.tmp, cpuProfDir: opts.cpuProfDir, keep: opts.keep, log });
  }

  const out: string[] = [''];
  if (planner) out.push(formatPlannerTable(planner), '');
  if (service) out.push(formatServeBench(service), '');
  for (const f of folders) out.push(formatFolderTable(f, VDIRSYNCER[f.n] ?? null, TARGET_SPEEDUP), '');
  if (emulators.length) out.push(formatEmulatorTable(emulators), '');
  if (startup.length) out.push(formatStartup(startup), '');
  const profiles: Record<string, ProfileSummary> = {};
  for (const f of folders) {
    for (const p of f.phases) {
      for (const file of p.cpuProfiles ?? []) {
        if (!fs.existsSync(file)) continue;
        const sum = summarise(file, 15);
        profiles[path.basename(file)] = sum;
        out.push(`CPU PROFILE  N = ${int(f.n)}, ${PHASE_LABELS[p.id]}`, formatSummary(sum), '');
      }
    }
  }
  const failures = [
    ...(planner && !(planner.countsOk && planner.guardOk) ? ['planner: counts differ from the mix or the guard stopped the plan'] : []),
    ...emulatorFailures(emulators),
    ...startup.flatMap((s) => s.problems.map((p) => `start-up (${s.mode}): ${p}`)),
    ...(service && service.ingest.non2xx > 0 ? [`service: ${service.ingest.non2xx} webhook deliveries were not accepted`] : []),
    ...folders.flatMap((f) =>
      f.phases
        .filter((p) => !p.ok)
        .map(
          (p) =>
            `N=${f.n} ${PHASE_LABELS[p.id]}: ${[
              p.exitCodes.some((c) => c !== 0) ? `exit ${p.exitCodes.join('/')}` : '',
              p.countsOk ? '' : `counts ${JSON.stringify(p.counts)} ≠ expected ${JSON.stringify(p.expectedCounts)}`,
              p.check.ok ? '' : `folders: ${p.check.problems.slice(0, 5).join('; ')}`,
              p.stderr ?? '',
            ]
              .filter(Boolean)
              .join(' | ')}`,
        ),
    ),
  ];
  out.push(
    failures.length
      ? `RESULT CHECKS FAILED:\n  ${failures.join('\n  ')}`
      : 'All result checks passed (plan counts; exit codes, action counts, UIDs and SUMMARY in both folders after every phase; emulator phases: hub count, no-change writes nothing, exactly the changed items updated).',
  );
  process.stdout.write(out.join('\n') + '\n');

  const git = gitInfo();
  const result = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    options: opts,
    machine: { ...machine, loadAvgAtEnd: os.loadavg() },
    git,
    build: buildInfo,
    planner,
    service,
    folders,
    emulators,
    startup,
    profiles,
    vdirsyncer: VDIRSYNCER,
    targetSpeedup: TARGET_SPEEDUP,
    ok: failures.length === 0,
    failures,
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const text = JSON.stringify(result, null, 2) + '\n';
  fs.writeFileSync(path.join(OUT_DIR, 'latest.json'), text);
  if (opts.json) fs.writeFileSync(path.resolve(opts.json), text);
  log(`results written to ${path.relative(process.cwd(), path.join(OUT_DIR, 'latest.json'))}${opts.json ? ` and ${opts.json}` : ''}`);
  return failures.length ? 1 : 0;
}

process.exitCode = await main();
