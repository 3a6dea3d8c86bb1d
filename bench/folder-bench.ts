/**
 * Folder → hub → folder: N generated events as .ics files in folder A, empty folder B,
 * two ics-folder links on one scope, and the real CLI (`node bin/timebridge.js sync`)
 * run as its own process per phase. After every phase both folders must hold exactly
 * the expected UIDs, each with the expected SUMMARY, the CLI must exit 0, and each
 * link must report exactly the expected action counts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { checkFolders, scanFolder, type CheckResult } from './ics-check.js';
import { edited, makeEvent, prng, render, type EventSpec, type Rand } from './ics-gen.js';
import { hasGnuTime, measureNode, type Measured } from './measure.js';
import type { ActionOp } from '../src/core/plan-types.js';

export type PhaseId = 'initial' | 'noChange' | 'changedA' | 'changedB';

export const PHASE_LABELS: Record<PhaseId, string> = {
  initial: 'initial sync (A full, B empty)',
  noChange: 'no-change resync',
  changedA: 'resync after 2 % changed on A',
  changedB: 'resync after 2 % changed on B',
};

export interface RunSample {
  wallS: number;
  linkMs: { link: string; ms: number }[];
  cpuS: number | null;
  userS: number | null;
  sysS: number | null;
  peakRssMb: number | null;
  loadBefore: number;
}

export interface PhaseResult {
  id: PhaseId;
  label: string;
  /** Wall time reported (the median when the phase ran several times). */
  wallS: number;
  cpuS: number | null;
  peakRssMb: number | null;
  loadBefore: number;
  samples: RunSample[];
  exitCodes: number[];
  /** Each link run's own duration as the CLI printed it (median run), in run order. */
  linkMs: { link: string; ms: number }[];
  /** Actions per link, summed over the passes of the run, as the CLI printed them. */
  counts: Record<string, Record<string, number>>;
  expectedCounts: Record<string, Record<string, number>>;
  countsOk: boolean;
  check: CheckResult;
  ok: boolean;
  /** First lines of CLI stderr when something went wrong. */
  stderr?: string;
  cpuProfiles?: string[];
}

export interface FolderResult {
  n: number;
  generateS: number;
  filesA: number;
  bytesA: number;
  phases: PhaseResult[];
  peakRssMb: number | null;
  ok: boolean;
  dir: string | null;
  rssMethod: Measured['method'];
}

export interface FolderOptions {
  repo: string;
  seed: number;
  /** How often the no-change resync runs (median reported). */
  noChangeRuns: number;
  keep: boolean;
  /** Where the scenario folders and the store go (default: the OS temp dir). */
  baseDir: string;
  /** Pass --cpu-prof to the CLI, writing profiles here. */
  cpuProfDir: string | null;
  log: (line: string) => void;
}

type Counts = Record<string, Record<string, number>>;

export function writeAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.bench-${process.pid}-${path.basename(file)}.tmp`);
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * "link a: ok in 812 ms — pull-create 10000  (run …)" → counts per link, the links' run
 * times in order (a link that runs again in a later pass appears twice), and lines
 * whose status is not ok. Only plan actions are counted: the run's other counts (the
 * read-by-id checks behind deletions, read-backs after writes, parked items) are evidence
 * of how the actions were made, not actions.
 */
const ACTIONS: ReadonlySet<string> = new Set<ActionOp>([
  'push-create',
  'push-update',
  'push-delete',
  'pull-create',
  'pull-update',
  'pull-delete',
  'merge',
  'adopt',
  'record',
  'forget',
  'conflict',
  'error',
  'unsupported',
] satisfies ActionOp[]);

export function parseRunLines(stdout: string): { counts: Counts; linkMs: { link: string; ms: number }[]; notOk: string[] } {
  const counts: Counts = {};
  const linkMs: { link: string; ms: number }[] = [];
  const notOk: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^link (\S+): (\S+) in (\S+) ms — (.*?)\s+\(run /.exec(line);
    if (!m) continue;
    const [, link, status, ms, rest] = m as unknown as [string, string, string, string, string];
    linkMs.push({ link, ms: Number(ms) });
    if (status !== 'ok') notOk.push(line);
    const c = (counts[link] ??= {});
    if (rest === 'nothing to do') continue;
    for (const part of rest.split(', ')) {
      const [op, n] = part.split(' ');
      // Counts that are not plan actions are evidence (see above).
      if (op && n && ACTIONS.has(op)) c[op] = (c[op] ?? 0) + Number(n);
    }
  }
  return { counts, linkMs, notOk };
}

export function sameCounts(got: Counts, want: Counts): boolean {
  const links = new Set([...Object.keys(got), ...Object.keys(want)]);
  for (const l of links) {
    const g = got[l] ?? {},
      w = want[l] ?? {};
    for (const op of new Set([...Object.keys(g), ...Object.keys(w)])) if ((g[op] ?? 0) !== (w[op] ?? 0)) return false;
  }
  return true;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

class Scenario {
  readonly dir: string;
  readonly a: string;
  readonly b: string;
  readonly config: string;
  /** The truth: every live event by UID (file = its name in A). */
  readonly events = new Map<string, EventSpec>();
  private readonly rand: Rand;
  private serial = 0;

  constructor(
    readonly n: number,
    readonly opts: FolderOptions,
  ) {
    this.dir = fs.mkdtempSync(path.join(opts.baseDir, `timebridge-bench-${n}-`));
    this.a = path.join(this.dir, 'a');
    this.b = path.join(this.dir, 'b');
    fs.mkdirSync(this.a);
    fs.mkdirSync(this.b);
    this.config = path.join(this.dir, 'timebridge.yaml');
    fs.writeFileSync(
      this.config,
      [
        'store:',
        '  type: sqlite',
        `  path: ${JSON.stringify(path.join(this.dir, 'store', 'hub.sqlite'))}`,
        'connections:',
        '  a:',
        '    type: ics-folder',
        `    path: ${JSON.stringify(this.a)}`,
        '  b:',
        '    type: ics-folder',
        `    path: ${JSON.stringify(this.b)}`,
        'links:',
        '  a:',
        '    connection: a',
        '    scope: bench',
        '  b:',
        '    connection: b',
        '    scope: bench',
        '',
      ].join('\n'),
    );
    this.rand = prng(opts.seed ^ n);
  }

  generate(): { files: number; bytes: number } {
    let bytes = 0;
    for (let i = 0; i < this.n; i++) {
      const e = makeEvent(this.rand, this.serial++);
      const text = render(e);
      bytes += Buffer.byteLength(text);
      fs.writeFileSync(path.join(this.a, e.file), text);
      this.events.set(e.uid, e);
    }
    return { files: this.n, bytes };
  }

  expected(): Map<string, string> {
    return new Map([...this.events.values()].map((e) => [e.uid, e.summary]));
  }

  /** Distinct live UIDs, chosen at random. */
  private choose(count: number): string[] {
    const uids = [...this.events.keys()];
    for (let i = uids.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [uids[i], uids[j]] = [uids[j]!, uids[i]!];
    }
    return uids.slice(0, count);
  }

  sizes(): { edit: number; del: number; add: number } {
    return { edit: Math.round(this.n * 0.01), del: Math.round(this.n * 0.005), add: Math.round(this.n * 0.005) };
  }

  /** 1 % edited, 0.5 % deleted, 0.5 % added in `side`, as a calendar client would. */
  change(side: 'a' | 'b'): { edit: number; del: number; add: number } {
    const { edit, del, add } = this.sizes();
    const dir = side === 'a' ? this.a : this.b;
    // B's file names are Timebridge's own (<hubId>.ics): find them by UID.
    const fileOf =
      side === 'a'
        ? new Map([...this.events.values()].map((e) => [e.uid, e.file]))
        : new Map([...scanFolder(this.b).items.values()].map((it) => [it.uid, it.file]));
    const picked = this.choose(edit + del);
    const now = new Date();
    for (const uid of picked.slice(0, edit)) {
      const e = edited(this.rand, this.events.get(uid)!, this.serial++, now);
      this.events.set(uid, e);
      writeAtomic(path.join(dir, fileOf.get(uid)!), render(e));
    }
    for (const uid of picked.slice(edit)) {
      fs.unlinkSync(path.join(dir, fileOf.get(uid)!));
      this.events.delete(uid);
    }
    for (let i = 0; i < add; i++) {
      const e = makeEvent(this.rand, this.serial++);
      writeAtomic(path.join(dir, e.file), render(e));
      this.events.set(e.uid, e);
    }
    return { edit, del, add };
  }

  async runCli(tag: string): Promise<Measured> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (k.startsWith('TIMEBRIDGE_') || k === 'NODE_OPTIONS') continue;
      env[k] = v;
    }
    const prof = this.opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${this.opts.cpuProfDir}`, `--cpu-prof-name=${this.n}-${tag}.cpuprofile`] : [];
    // A profiled run takes the compiled modules, not the one-file bundle: their file names are
    // what bench/profile-summary.ts attributes samples to phases by.
    if (this.opts.cpuProfDir) env['TB_CLI_FROM_DIST'] = '1';
    return measureNode([...prof, path.join(this.opts.repo, 'bin', 'timebridge.js'), '--config', this.config, 'sync'], { cwd: this.opts.repo, env });
  }

  cleanup(): void {
    if (!this.opts.keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function runPhase(sc: Scenario, id: PhaseId, runs: number, expectedCounts: Counts, log: (l: string) => void): Promise<PhaseResult> {
  const samples: RunSample[] = [];
  const exitCodes: number[] = [];
  const profiles: string[] = [];
  let counts: Counts = {};
  let countsOk = true;
  let stderr: string | undefined;
  let check: CheckResult | null = null;
  for (let r = 0; r < runs; r++) {
    const tag = runs > 1 ? `${id}-${r + 1}` : id;
    const m = await sc.runCli(tag);
    if (sc.opts.cpuProfDir) profiles.push(path.join(sc.opts.cpuProfDir, `${sc.n}-${tag}.cpuprofile`));
    const parsed = parseRunLines(m.stdout);
    samples.push({
      wallS: m.wallS,
      linkMs: parsed.linkMs,
      cpuS: m.userS !== null && m.sysS !== null ? m.userS + m.sysS : null,
      userS: m.userS,
      sysS: m.sysS,
      peakRssMb: m.peakRssMb,
      loadBefore: m.loadBefore,
    });
    exitCodes.push(m.exitCode ?? -1);
    counts = parsed.counts;
    const thisOk = sameCounts(parsed.counts, expectedCounts) && parsed.notOk.length === 0;
    countsOk &&= thisOk;
    if (m.exitCode !== 0 || !thisOk) {
      stderr = [`exit ${m.exitCode}${m.signal ? ` (signal ${m.signal})` : ''}`, ...parsed.notOk, m.stderr.split('\n').slice(0, 15).join('\n')].join('\n');
    }
    // Every run is checked; a failing one is kept as the phase's check.
    const c = checkFolders(scanFolder(sc.a), scanFolder(sc.b), sc.expected());
    if (!check || !c.ok) check = c;
    log(
      `    ${PHASE_LABELS[id]}${runs > 1 ? ` #${r + 1}` : ''}: ${m.wallS.toFixed(2)} s, ${m.peakRssMb?.toFixed(0) ?? '?'} MB, exit ${m.exitCode}, ` +
        `${c.ok ? 'folders ok' : 'FOLDERS DIFFER'}${thisOk ? '' : ', UNEXPECTED COUNTS'}`,
    );
  }
  const walls = samples.map((s) => s.wallS);
  const mid = samples.find((s) => s.wallS === median(walls)) ?? samples[0]!;
  const peaks = samples.map((s) => s.peakRssMb).filter((x): x is number => x !== null);
  return {
    id,
    label: PHASE_LABELS[id],
    wallS: mid.wallS,
    linkMs: mid.linkMs,
    cpuS: mid.cpuS,
    peakRssMb: peaks.length ? Math.max(...peaks) : null,
    loadBefore: mid.loadBefore,
    samples,
    exitCodes,
    counts,
    expectedCounts,
    countsOk,
    check: check!,
    ok: countsOk && exitCodes.every((c) => c === 0) && check!.ok,
    ...(stderr ? { stderr } : {}),
    ...(profiles.length ? { cpuProfiles: profiles } : {}),
  };
}

function pullCounts(s: { edit: number; del: number; add: number }): Record<string, number> {
  return { 'pull-update': s.edit, 'pull-delete': s.del, 'pull-create': s.add };
}

function pushCounts(s: { edit: number; del: number; add: number }): Record<string, number> {
  return { 'push-update': s.edit, 'push-delete': s.del, 'push-create': s.add };
}

export async function runFolderBench(n: number, opts: FolderOptions): Promise<FolderResult> {
  const sc = new Scenario(n, opts);
  const log = opts.log;
  try {
    log(`  N = ${n}: generating in ${sc.dir}`);
    const t0 = performance.now();
    const gen = sc.generate();
    const generateS = (performance.now() - t0) / 1000;
    log(`    ${gen.files} files, ${(gen.bytes / 1e6).toFixed(1)} MB in ${generateS.toFixed(1)} s`);
    const phases: PhaseResult[] = [];
    phases.push(await runPhase(sc, 'initial', 1, { a: { 'pull-create': n }, b: { 'push-create': n } }, log));
    phases.push(await runPhase(sc, 'noChange', opts.noChangeRuns, { a: {}, b: {} }, log));
    const ca = sc.change('a');
    phases.push(await runPhase(sc, 'changedA', 1, { a: pullCounts(ca), b: pushCounts(ca) }, log));
    const cb = sc.change('b');
    phases.push(await runPhase(sc, 'changedB', 1, { a: pushCounts(cb), b: pullCounts(cb) }, log));
    const peaks = phases.map((p) => p.peakRssMb).filter((x): x is number => x !== null);
    return {
      n,
      generateS,
      filesA: gen.files,
      bytesA: gen.bytes,
      phases,
      peakRssMb: peaks.length ? Math.max(...peaks) : null,
      ok: phases.every((p) => p.ok),
      dir: opts.keep ? sc.dir : null,
      rssMethod: hasGnuTime() ? 'gnu-time' : 'rss-hook',
    };
  } finally {
    sc.cleanup();
  }
}
