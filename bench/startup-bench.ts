/**
 * Start-up: a no-change `timebridge sync` of a small folder pair, the way a user runs it
 * (`node bin/timebridge.js --config … sync`, compiled dist), where nearly all the time is
 * start-up. Two ics-folder links on one scope, N events (default 20) synced once before
 * measuring; then R measured runs (CPU user+sys, wall, peak RSS; median reported) and one
 * more run with bench/module-count-hook.mjs preloaded to count the modules loaded (ESM
 * files plus CommonJS files in require.cache; built-ins not counted). Measured both ways
 * bin/timebridge.js runs the CLI: dist/ as ES modules (TB_CLI_FROM_DIST=1) and the one-file
 * bundle with its V8 code cache (the default; the first run writes the cache).
 *
 * Run alone: `node --import tsx bench/startup-bench.ts [--runs R] [--events N] [--cpu-prof DIR]`.
 * The machine may be shared: compare CPU time, which the load barely moves, before wall time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { REPO, buildDist } from './cli-kit.js';
import { median, parseRunLines } from './folder-bench.js';
import { makeEvent, prng, render } from './ics-gen.js';
import { measureNode } from './measure.js';

const MODULE_HOOK = fileURLToPath(new URL('./module-count-hook.mjs', import.meta.url));

/** How bin/timebridge.js runs the CLI: the one-file bundle with its code cache (the default), or dist/ as ES modules (TB_CLI_FROM_DIST=1). */
export type StartupMode = 'bundle' | 'dist';

export interface StartupResult {
  mode: StartupMode;
  events: number;
  runs: number;
  /** Medians over the measured runs. */
  cpuS: number | null;
  wallS: number;
  peakRssMb: number | null;
  /** Module files loaded by one run (ESM files + CommonJS files; node: built-ins not counted; the bundle, compiled through vm.Script, is not among them). */
  modules: number;
  /** Of those, under node_modules. */
  packageModules: number;
  samples: { wallS: number; cpuS: number | null; peakRssMb: number | null; loadBefore: number }[];
  ok: boolean;
  problems: string[];
}

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TIMEBRIDGE_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, ...extra };
}

export async function runStartupBench(opts: {
  mode: StartupMode;
  events: number;
  runs: number;
  baseDir: string;
  cpuProfDir: string | null;
  keep: boolean;
  log: (line: string) => void;
}): Promise<StartupResult> {
  const dir = fs.mkdtempSync(path.join(opts.baseDir, 'timebridge-startup-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  const config = path.join(dir, 'timebridge.yaml');
  fs.writeFileSync(
    config,
    [
      'store:',
      '  type: sqlite',
      `  path: ${JSON.stringify(path.join(dir, 'store', 'hub.sqlite'))}`,
      'connections:',
      '  a: { type: ics-folder, path: ' + JSON.stringify(a) + ' }',
      '  b: { type: ics-folder, path: ' + JSON.stringify(b) + ' }',
      'links:',
      '  a: { connection: a, scope: startup }',
      '  b: { connection: b, scope: startup }',
      '',
    ].join('\n'),
  );
  const r = prng(0x5747);
  for (let i = 0; i < opts.events; i++) {
    const e = makeEvent(r, i);
    fs.writeFileSync(path.join(a, e.file), render(e));
  }
  const modeEnv: NodeJS.ProcessEnv = opts.mode === 'dist' ? { TB_CLI_FROM_DIST: '1' } : {};
  const cli = (pre: string[], env?: NodeJS.ProcessEnv) =>
    measureNode([...pre, path.join(REPO, 'bin', 'timebridge.js'), '--config', config, 'sync'], { cwd: dir, env: cleanEnv({ ...modeEnv, ...env }) });
  const problems: string[] = [];
  try {
    const first = await cli([]);
    if (first.exitCode !== 0) problems.push(`initial sync exited ${first.exitCode}: ${first.stderr.split('\n')[0]}`);
    const samples: StartupResult['samples'] = [];
    for (let i = 0; i < opts.runs; i++) {
      const prof = opts.cpuProfDir && i === 0 ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`, `--cpu-prof-name=startup-${opts.mode}.cpuprofile`] : [];
      const m = await cli(prof);
      const parsed = parseRunLines(m.stdout);
      const acted = Object.entries(parsed.counts).filter(([, c]) => Object.keys(c).length);
      if (m.exitCode !== 0) problems.push(`run ${i + 1} exited ${m.exitCode}: ${m.stderr.split('\n')[0]}`);
      if (parsed.linkMs.length !== 2 || acted.length || parsed.notOk.length)
        problems.push(`run ${i + 1} was not a no-change run of both links: ${m.stdout.trim()}`);
      // The profiled run is slower: not part of the medians.
      if (!prof.length)
        samples.push({
          wallS: m.wallS,
          cpuS: m.userS !== null && m.sysS !== null ? m.userS + m.sysS : null,
          peakRssMb: m.peakRssMb,
          loadBefore: m.loadBefore,
        });
      opts.log(
        `    start-up (${opts.mode}) run ${i + 1}: ${m.wallS.toFixed(3)} s wall, ${m.userS !== null && m.sysS !== null ? (m.userS + m.sysS).toFixed(2) : '?'} s CPU`,
      );
    }
    const listFile = path.join(dir, 'modules.txt');
    const counted = await cli(['--import', MODULE_HOOK], { TB_BENCH_MODULES_FILE: listFile });
    if (counted.exitCode !== 0) problems.push(`module-count run exited ${counted.exitCode}: ${counted.stderr.split('\n')[0]}`);
    const urls = new Set(fs.existsSync(listFile) ? fs.readFileSync(listFile, 'utf8').split('\n').filter(Boolean) : []);
    urls.delete(new URL(`file://${MODULE_HOOK}`).href);
    const cpus = samples.map((s) => s.cpuS).filter((x): x is number => x !== null);
    const rss = samples.map((s) => s.peakRssMb).filter((x): x is number => x !== null);
    return {
      mode: opts.mode,
      events: opts.events,
      runs: samples.length,
      cpuS: cpus.length ? median(cpus) : null,
      wallS: samples.length ? median(samples.map((s) => s.wallS)) : 0,
      peakRssMb: rss.length ? median(rss) : null,
      modules: urls.size,
      packageModules: [...urls].filter((u) => u.includes('/node_modules/')).length,
      samples,
      ok: problems.length === 0,
      problems,
    };
  } finally {
    if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}

const MODE_LABEL: Record<StartupMode, string> = {
  bundle: 'bundle + code cache (default)',
  dist: 'dist/ ES modules (TB_CLI_FROM_DIST=1)',
};

export function formatStartup(rs: StartupResult[]): string {
  const f = (x: number | null, d: number) => (x === null ? '?' : x.toFixed(d));
  const first = rs[0];
  if (!first) return '';
  return [
    `START-UP  no-change \`timebridge sync\` of two folders of ${first.events} events (medians of ${first.runs} runs; compare CPU on a shared machine)`,
    ...rs.map(
      (s) =>
        `  ${MODE_LABEL[s.mode].padEnd(40)} CPU ${f(s.cpuS, 3)} s   wall ${s.wallS.toFixed(3)} s   peak RSS ${f(s.peakRssMb, 0)} MB   ` +
        `module files ${s.modules} (${s.packageModules} from node_modules)`,
    ),
    ...rs.flatMap((s) => s.problems.map((p) => `  PROBLEM (${s.mode}): ${p}`)),
  ].join('\n');
}

/** Both ways of running the CLI, dist/ first. */
export async function runStartupBoth(opts: Omit<Parameters<typeof runStartupBench>[0], 'mode'>): Promise<StartupResult[]> {
  return [await runStartupBench({ ...opts, mode: 'dist' }), await runStartupBench({ ...opts, mode: 'bundle' })];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      events: { type: 'string' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean' },
      'skip-build': { type: 'boolean' },
      json: { type: 'string' },
    },
  });
  buildDist(values['skip-build'] ? 'never' : 'auto');
  const cpuProfDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null;
  if (cpuProfDir) fs.mkdirSync(cpuProfDir, { recursive: true });
  const res = await runStartupBoth({
    events: Number(values.events ?? 20),
    runs: Number(values.runs ?? 10),
    baseDir: os.tmpdir(),
    cpuProfDir,
    keep: values.keep ?? false,
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(formatStartup(res) + '\n');
  if (values.json) fs.writeFileSync(values.json, JSON.stringify(res, null, 2) + '\n');
  process.exitCode = res.every((r) => r.ok) ? 0 : 1;
}
