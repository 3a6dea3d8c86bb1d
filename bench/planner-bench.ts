/**
 * Planner throughput. `runPlannerBench` starts this file as its own node process (with
 * --expose-gc, so heap figures are clean and the folder benchmark's heap does not mix
 * in); the child builds the input, then times `plan()` alone, several times, and checks
 * that every plan's counts equal the mix and its guard lets it through.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { plan } from '../src/core/planner.js';
import { buildPlanInput, expectedCounts, mixOf, type Mix } from './planner-input.js';

export interface PlannerResult {
  rows: number;
  mix: Mix;
  buildS: number;
  /** First call (cold JIT) and the median / best of the following calls, seconds. */
  firstS: number;
  medianS: number;
  bestS: number;
  runsS: number[];
  /** CPU time (user + system) of each call, seconds: less disturbed by other load than wall time. */
  cpuS: number[];
  rowsPerS: number;
  /** Heap held by the input after a full GC, MiB. */
  inputHeapMb: number;
  /** Heap growth over one plan() call before any forced GC (garbage + result), MiB. */
  planHeapGrowthMb: number;
  /** Heap the plan result keeps alive after a full GC, MiB. */
  planRetainedMb: number;
  peakRssMb: number;
  actions: number;
  counts: Record<string, number>;
  expected: Record<string, number>;
  countsOk: boolean;
  guardOk: boolean;
}

const MB = 1024 * 1024;

function sameCounts(a: Record<string, number | undefined>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

function childMain(rows: number, runs: number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const t0 = performance.now();
  const input = buildPlanInput(rows);
  const buildS = (performance.now() - t0) / 1000;
  const mix = mixOf(rows);
  const expected = expectedCounts(mix);
  gc();
  const heapInput = process.memoryUsage().heapUsed;
  const times: number[] = [];
  const cpu: number[] = [];
  const holder: { plan: ReturnType<typeof plan> | null } = { plan: null };
  let countsOk = true,
    guardOk = true,
    actions = 0,
    growth = 0,
    retained = 0;
  let counts: Record<string, number> = {};
  for (let r = 0; r < runs; r++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const c0 = process.cpuUsage();
    const start = performance.now();
    const p = plan(input);
    times.push((performance.now() - start) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
    holder.plan = p;
    if (r === 0) {
      growth = process.memoryUsage().heapUsed - before;
      gc();
      retained = process.memoryUsage().heapUsed - before;
    }
    counts = p.counts as Record<string, number>;
    actions = p.actions.length;
    countsOk &&= sameCounts(p.counts, expected) && actions === Object.values(expected).reduce((s, n) => s + n, 0);
    guardOk &&= p.guard.ok && !p.partialListing;
    holder.plan = null;
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  const medianS = rest.length ? rest[Math.floor(rest.length / 2)]! : times[0]!;
  const result: PlannerResult = {
    rows,
    mix,
    buildS,
    firstS: times[0]!,
    medianS,
    bestS: Math.min(...times),
    runsS: times,
    cpuS: cpu,
    rowsPerS: rows / medianS,
    inputHeapMb: heapInput / MB,
    planHeapGrowthMb: growth / MB,
    planRetainedMb: retained / MB,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    actions,
    counts,
    expected,
    countsOk,
    guardOk,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

export async function runPlannerBench(rows: number, runs: number): Promise<PlannerResult> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', '--max-old-space-size=8192', self, '--child', String(rows), String(runs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`planner benchmark child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as PlannerResult;
}

if (process.argv[2] === '--child') childMain(Number(process.argv[3]), Number(process.argv[4] ?? 5));
