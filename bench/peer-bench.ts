/**
 * One peer scenario: a workload (folder ↔ folder, or folder ↔ a Radicale calendar) at
 * N events, run by vdirsyncer and by Timebridge, each on its own copy of the same data
 * (own folders, own calendar on one Radicale, own status/store). Per phase every tool
 * runs as its own measured process, alternating which goes first; Radicale requests are
 * counted from its log between a tool's start and exit, so the harness's own requests
 * (warm-up, side-B edits) never count. After every run both sides of that tool's copy
 * must hold exactly the expected UIDs with the expected SUMMARY.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Radicale } from '../test/support/radicale.js';
import { median, sameCounts, writeAtomic } from './folder-bench.js';
import { checkFolders, readMaster, type CheckResult, type FolderItem, type FolderScan } from './ics-check.js';
import { edited, makeEvent, prng, render, type EventSpec, type Rand } from './ics-gen.js';
import type { Measured } from './measure.js';
import {
  PASSWORD,
  USER,
  calendarDir,
  deleteItem,
  hrefOf,
  logSize,
  putItem,
  requestDelta,
  serverSeconds,
  startPeerRadicale,
  stopPeerRadicale,
  storageRootOf,
  warmCalendar,
  writeCalendar,
} from './peer-radicale.js';
import { runTimebridge, writeTimebridgeConfig } from './peer-timebridge.js';
import { runVdirsyncer, vdirsyncerDiscover, writeVdirsyncerConfig } from './peer-vdirsyncer.js';

export type Workload = 'folder-folder' | 'folder-radicale';
export const WORKLOADS: Workload[] = ['folder-folder', 'folder-radicale'];
export type Tool = 'vdirsyncer' | 'timebridge';
export const TOOLS: Tool[] = ['vdirsyncer', 'timebridge'];
export type PeerPhaseId = 'initial' | 'noChange' | 'changedA' | 'changedB';
/** folders: A full → B empty; upload: folder full → empty calendar; preload: calendar full (written to storage) → empty folder. */
export type InitialMode = 'folders' | 'upload' | 'preload';

type Counts = Record<string, Record<string, number>>;

export interface PeerOptions {
  repo: string;
  seed: number;
  noChangeRuns: number;
  keep: boolean;
  baseDir: string;
  /** folder ↔ Radicale at N ≥ this preloads the calendar instead of uploading it (unless upload). */
  preloadFrom: number;
  upload: boolean;
  log: (line: string) => void;
}

export interface ToolRun {
  wallS: number;
  cpuS: number | null;
  peakRssMb: number | null;
  exitCode: number | null;
  /** Radicale requests by method during the run (null: no server in this workload). */
  requests: Record<string, number> | null;
  /** Seconds Radicale spent answering them, from its log. */
  serverS: number | null;
  check: CheckResult;
  /** Files per side whose line endings are bare LF (read as CRLF for the check; see scanSide). */
  lfOnly: { a: number; b: number };
  /** Timebridge: actions per link as the CLI printed them, and whether they are what the change implies. */
  actions?: Counts;
  actionsOk?: boolean;
  /** Timebridge: each link run's own time as the CLI printed it (the rest of the wall time is start-up and exit). */
  linkMs?: { link: string; ms: number }[];
  /** Exit code ≠ 0 or a link not ok: the first lines of output. */
  error?: string;
  loadBefore: number;
}

export interface ToolPhase {
  /** Of the median run when the phase ran several times. */
  wallS: number;
  cpuS: number | null;
  requests: Record<string, number> | null;
  serverS: number | null;
  /** Highest of the runs. */
  peakRssMb: number | null;
  runs: ToolRun[];
  ok: boolean;
}

export interface PeerPhase {
  id: PeerPhaseId;
  label: string;
  tools: Record<Tool, ToolPhase>;
  /** Seconds the harness took to make the change (not timed for either tool). */
  changeS?: number;
}

export interface PeerResult {
  workload: Workload;
  n: number;
  initialMode: InitialMode;
  bytes: number;
  generateS: number;
  /** Preloading storage, starting Radicale, warming its cache, vdirsyncer discover. */
  setupS: number;
  change: { edit: number; del: number; add: number };
  phases: PeerPhase[];
  ok: boolean;
  dir: string | null;
}

/**
 * Like ics-check's scanFolder, but a file with bare-LF line endings is read after turning
 * them into CRLF and only counted (`lfOnly`): items read from a CalDAV server arrive with
 * LF, because XML parsers normalise the CRLF inside the calendar-data text (RFC 5545 wants
 * CRLF, so this is reported, but the events are the same).
 */
export function scanSide(dir: string): FolderScan & { lfOnly: number } {
  const items = new Map<string, FolderItem>();
  const problems: string[] = [];
  let files = 0;
  let lfOnly = 0;
  for (const file of fs.readdirSync(dir)) {
    if (!file.endsWith('.ics') || file.startsWith('.')) continue;
    files++;
    const raw = fs.readFileSync(path.join(dir, file), 'utf8');
    const text = /\r\n$/.test(raw) && !/[^\r]\n/.test(raw) ? raw : raw.replace(/\r?\n/g, '\r\n').replace(/([^\n])$/, '$1\r\n');
    if (text !== raw) lfOnly++;
    const m = readMaster(text);
    if (m.problem || !m.uid) {
      problems.push(`${file}: ${m.problem ?? 'no UID'}`);
      continue;
    }
    const dup = items.get(m.uid);
    if (dup) {
      problems.push(`${file}: UID ${m.uid} also in ${dup.file}`);
      continue;
    }
    items.set(m.uid, { file, uid: m.uid, summary: m.summary, text });
  }
  return { items, files, problems, lfOnly };
}

/** One side of one tool's copy: a folder, or a calendar read from Radicale's storage and written over HTTP. */
interface SideStore {
  kind: 'folder' | 'Radicale';
  scan(): FolderScan & { lfOnly: number };
  put(name: string, text: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** Name of a new item the harness adds. */
  nameFor(e: EventSpec): string;
}

function folderSide(dir: string): SideStore {
  return {
    kind: 'folder',
    scan: () => scanSide(dir),
    put: async (name, text) => writeAtomic(path.join(dir, name), text),
    remove: async (name) => fs.unlinkSync(path.join(dir, name)),
    nameFor: (e) => e.file,
  };
}

/** Read from the storage folder (no requests, so nothing to count); written as another client would. */
function calendarSide(r: Radicale, calendar: string): SideStore {
  return {
    kind: 'Radicale',
    scan: () => scanSide(calendarDir(r.storageRoot, calendar)),
    put: (name, text) => putItem(r, calendar, name, text),
    remove: (name) => deleteItem(r, calendar, name),
    nameFor: (e) => hrefOf(e.uid),
  };
}

interface Copy {
  tool: Tool;
  dir: string;
  a: SideStore;
  b: SideStore;
  config: string;
}

interface Change {
  edits: EventSpec[];
  deletes: string[];
  adds: EventSpec[];
}

const CALENDARS: Record<Tool, string> = { vdirsyncer: 'vds', timebridge: 'tb' };

export function phaseLabel(id: PeerPhaseId, workload: Workload, mode: InitialMode): string {
  const b = workload === 'folder-radicale' ? 'Radicale' : 'folder';
  switch (id) {
    case 'initial':
      return mode === 'preload'
        ? 'initial: Radicale full (preloaded) → empty folder'
        : mode === 'upload'
          ? 'initial: folder full → empty Radicale'
          : 'initial: folder A full → empty folder B';
    case 'noChange':
      return 'no change';
    case 'changedA':
      return '2 % changed on A (folder)';
    case 'changedB':
      return `2 % changed on B (${b})`;
  }
}

/** Scenario folders not removed yet, so an interrupted run can remove them too. */
const liveDirs = new Set<string>();

/** Removes the folders of scenarios still running (on Ctrl-C), unless --keep. */
export function removeLiveScenarioDirs(): void {
  for (const dir of liveDirs) fs.rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

class PeerScenario {
  readonly dir: string;
  readonly mode: InitialMode;
  /** The truth: every live event by UID. */
  readonly events = new Map<string, EventSpec>();
  readonly copies: Copy[] = [];
  radicale: Radicale | null = null;
  private readonly rand: Rand;
  private serial = 0;
  private round = 0;

  constructor(
    readonly workload: Workload,
    readonly n: number,
    readonly opts: PeerOptions,
  ) {
    this.dir = fs.mkdtempSync(path.join(opts.baseDir, `timebridge-peer-${workload}-${n}-`));
    if (!opts.keep) liveDirs.add(this.dir);
    this.mode = workload === 'folder-folder' ? 'folders' : !opts.upload && n >= opts.preloadFrom ? 'preload' : 'upload';
    this.rand = prng(opts.seed ^ n);
  }

  /** Same events for both tools: into each copy's folder A, or (preload) each tool's calendar in storage. */
  generate(): number {
    const texts: [EventSpec, string][] = [];
    let bytes = 0;
    for (let i = 0; i < this.n; i++) {
      const e = makeEvent(this.rand, this.serial++);
      const text = render(e);
      bytes += Buffer.byteLength(text);
      texts.push([e, text]);
      this.events.set(e.uid, e);
    }
    for (const tool of TOOLS) {
      const a = path.join(this.dir, tool, 'a');
      fs.mkdirSync(a, { recursive: true });
      if (this.workload === 'folder-folder') fs.mkdirSync(path.join(this.dir, tool, 'b'));
      if (this.mode !== 'preload') for (const [e, text] of texts) fs.writeFileSync(path.join(a, e.file), text);
    }
    if (this.workload === 'folder-radicale') {
      const root = storageRootOf(path.join(this.dir, 'radicale'));
      for (const tool of TOOLS) {
        writeCalendar(root, CALENDARS[tool], this.mode === 'preload' ? texts.map(([e, text]) => [hrefOf(e.uid), text]) : []);
      }
    }
    return bytes;
  }

  /** Start Radicale (warming each calendar with one request), write both tools' configs, vdirsyncer discover. */
  async setup(): Promise<void> {
    const log = this.opts.log;
    if (this.workload === 'folder-radicale') {
      const r = await startPeerRadicale(path.join(this.dir, 'radicale'));
      this.radicale = r;
      for (const tool of TOOLS) {
        const s = await warmCalendar(r, CALENDARS[tool]);
        log(`    warmed Radicale's cache of /${USER}/${CALENDARS[tool]}/ in ${s.toFixed(1)} s (one calendar-query, not counted)`);
      }
    }
    for (const tool of TOOLS) {
      const dir = path.join(this.dir, tool);
      const aPath = path.join(dir, 'a');
      const bPath = path.join(dir, 'b');
      const r = this.radicale;
      const cal = r ? CALENDARS[tool] : null;
      const config =
        tool === 'vdirsyncer'
          ? writeVdirsyncerConfig(
              dir,
              { type: 'folder', path: aPath },
              r ? { type: 'caldav', url: `${r.url}${USER}/${cal}/`, username: USER, password: PASSWORD } : { type: 'folder', path: bPath },
            )
          : writeTimebridgeConfig(
              dir,
              { type: 'folder', path: aPath },
              r ? { type: 'caldav', url: r.url, username: USER, password: PASSWORD, calendar: cal! } : { type: 'folder', path: bPath },
            );
      this.copies.push({ tool, dir, config, a: folderSide(aPath), b: r ? calendarSide(r, cal!) : folderSide(bPath) });
    }
    vdirsyncerDiscover(this.copy('vdirsyncer').config);
  }

  copy(tool: Tool): Copy {
    return this.copies.find((c) => c.tool === tool)!;
  }

  expected(): Map<string, string> {
    return new Map([...this.events.values()].map((e) => [e.uid, e.summary]));
  }

  sizes(): { edit: number; del: number; add: number } {
    const share = (p: number) => Math.max(1, Math.round(this.n * p));
    return { edit: share(0.01), del: share(0.005), add: share(0.005) };
  }

  /** 1 % edited, 0.5 % deleted, 0.5 % added: decided once, applied to both copies. */
  planChange(): Change {
    const { edit, del, add } = this.sizes();
    const uids = [...this.events.keys()];
    for (let i = uids.length - 1; i > 0; i--) {
      const j = Math.floor(this.rand() * (i + 1));
      [uids[i], uids[j]] = [uids[j]!, uids[i]!];
    }
    const now = new Date();
    const edits = uids.slice(0, edit).map((uid) => edited(this.rand, this.events.get(uid)!, this.serial++, now));
    const deletes = uids.slice(edit, edit + del);
    const adds = Array.from({ length: add }, () => makeEvent(this.rand, this.serial++));
    for (const e of edits) this.events.set(e.uid, e);
    for (const uid of deletes) this.events.delete(uid);
    for (const e of adds) this.events.set(e.uid, e);
    return { edits, deletes, adds };
  }

  /** Makes the change on one side of one copy; items are found by UID (each tool names files its own way). */
  async apply(side: SideStore, change: Change): Promise<void> {
    const fileOf = new Map([...side.scan().items.values()].map((it) => [it.uid, it.file]));
    const nameOf = (uid: string) => {
      const f = fileOf.get(uid);
      if (!f) throw new Error(`cannot change ${uid}: not on the ${side.kind} side`);
      return f;
    };
    for (const e of change.edits) await side.put(nameOf(e.uid), render(e));
    for (const uid of change.deletes) await side.remove(nameOf(uid));
    for (const e of change.adds) await side.put(side.nameFor(e), render(e));
  }

  /** Runs one tool once: measured process, requests between its start and exit, then the check. */
  async runTool(copy: Copy, expectedCounts: Counts): Promise<ToolRun> {
    const r = this.radicale;
    const before = r ? r.requestCounts() : null;
    const logFrom = r ? logSize(r) : 0;
    let m: Measured;
    let actions: Counts | undefined;
    let notOk: string[] = [];
    let linkMs: { link: string; ms: number }[] | undefined;
    if (copy.tool === 'vdirsyncer') {
      m = await runVdirsyncer(copy.config);
    } else {
      const t = await runTimebridge(this.opts.repo, copy.config, PASSWORD);
      m = t.m;
      actions = t.counts;
      notOk = t.notOk;
      linkMs = t.linkMs;
    }
    const requests = r && before ? requestDelta(before, r.requestCounts()) : null;
    const serverS = r ? serverSeconds(r, logFrom, logSize(r)) : null;
    const a = copy.a.scan();
    const b = copy.b.scan();
    const check = checkFolders(a, b, this.expected());
    const failed = m.exitCode !== 0 || notOk.length > 0;
    const output = `${m.stdout}\n${m.stderr}`.split('\n').filter(Boolean);
    return {
      wallS: m.wallS,
      cpuS: m.userS !== null && m.sysS !== null ? m.userS + m.sysS : null,
      peakRssMb: m.peakRssMb,
      exitCode: m.exitCode,
      requests,
      serverS,
      check,
      lfOnly: { a: a.lfOnly, b: b.lfOnly },
      loadBefore: m.loadBefore,
      ...(actions ? { actions, actionsOk: sameCounts(actions, expectedCounts) } : {}),
      ...(linkMs ? { linkMs } : {}),
      ...(failed ? { error: [`exit ${m.exitCode}${m.signal ? ` (signal ${m.signal})` : ''}`, ...notOk, ...output.slice(-25)].join('\n') } : {}),
    };
  }

  /** Both tools, `runs` times each, alternating which goes first. */
  async runPhase(id: PeerPhaseId, runs: number, expectedCounts: Counts): Promise<PeerPhase> {
    const label = phaseLabel(id, this.workload, this.mode);
    const samples: Record<Tool, ToolRun[]> = { vdirsyncer: [], timebridge: [] };
    for (let i = 0; i < runs; i++) {
      const order = this.round++ % 2 === 0 ? TOOLS : [...TOOLS].reverse();
      for (const tool of order) {
        this.opts.log(`    ${label}${runs > 1 ? ` #${i + 1}` : ''}: ${tool} …`);
        const run = await this.runTool(this.copy(tool), expectedCounts);
        samples[tool].push(run);
        this.opts.log(
          `      ${tool}: ${run.wallS.toFixed(2)} s, ${run.peakRssMb?.toFixed(0) ?? '?'} MB, exit ${run.exitCode}` +
            `${run.linkMs ? ` (link runs ${run.linkMs.map((l) => `${l.link} ${(l.ms / 1000).toFixed(2)}`).join(' + ')} s)` : ''}` +
            `${run.requests ? `, ${Object.values(run.requests).reduce((s, x) => s + x, 0)} requests (Radicale busy ${run.serverS!.toFixed(1)} s)` : ''}` +
            `, ${run.check.ok ? 'sides agree' : `SIDES DIFFER (${run.check.problems.length} problems)`}` +
            `${run.actionsOk === false ? `, unexpected actions ${JSON.stringify(run.actions)}` : ''}`,
        );
        if (run.error)
          this.opts.log(
            run.error
              .split('\n')
              .map((l) => `        ${l}`)
              .join('\n'),
          );
      }
    }
    return { id, label, tools: { vdirsyncer: summarise(samples.vdirsyncer), timebridge: summarise(samples.timebridge) } };
  }

  async stop(): Promise<void> {
    if (this.radicale) await stopPeerRadicale(this.radicale);
    this.radicale = null;
  }

  cleanup(): void {
    liveDirs.delete(this.dir);
    if (!this.opts.keep) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function summarise(runs: ToolRun[]): ToolPhase {
  const mid = runs.find((r) => r.wallS === median(runs.map((x) => x.wallS))) ?? runs[0]!;
  const peaks = runs.map((r) => r.peakRssMb).filter((x): x is number => x !== null);
  return {
    wallS: mid.wallS,
    cpuS: mid.cpuS,
    requests: mid.requests,
    serverS: mid.serverS,
    peakRssMb: peaks.length ? Math.max(...peaks) : null,
    runs,
    ok: runs.every((r) => r.exitCode === 0 && !r.error && r.check.ok),
  };
}

const pull = (s: { edit: number; del: number; add: number }) => ({ 'pull-update': s.edit, 'pull-delete': s.del, 'pull-create': s.add });
const push = (s: { edit: number; del: number; add: number }) => ({ 'push-update': s.edit, 'push-delete': s.del, 'push-create': s.add });

export async function runPeerScenario(workload: Workload, n: number, opts: PeerOptions): Promise<PeerResult> {
  const sc = new PeerScenario(workload, n, opts);
  const log = opts.log;
  try {
    log(
      `  ${workload}, N = ${n.toLocaleString('en')} (${sc.mode === 'preload' ? 'initial: Radicale storage preloaded' : sc.mode === 'upload' ? 'initial: real upload' : 'folders'}) in ${sc.dir}`,
    );
    let t0 = performance.now();
    const bytes = sc.generate();
    const generateS = (performance.now() - t0) / 1000;
    log(`    generated ${n.toLocaleString('en')} events (${(bytes / 1e6).toFixed(1)} MB) for each tool in ${generateS.toFixed(1)} s`);
    t0 = performance.now();
    await sc.setup();
    const setupS = (performance.now() - t0) / 1000;
    const phases: PeerPhase[] = [];
    const initial: Counts = sc.mode === 'preload' ? { b: { 'pull-create': n }, a: { 'push-create': n } } : { a: { 'pull-create': n }, b: { 'push-create': n } };
    phases.push(await sc.runPhase('initial', 1, initial));
    phases.push(await sc.runPhase('noChange', opts.noChangeRuns, { a: {}, b: {} }));
    for (const side of ['a', 'b'] as const) {
      const change = sc.planChange();
      t0 = performance.now();
      for (const copy of sc.copies) await sc.apply(copy[side], change);
      const changeS = (performance.now() - t0) / 1000;
      const s = { edit: change.edits.length, del: change.deletes.length, add: change.adds.length };
      log(
        `    changed ${side.toUpperCase()} of both copies: ${s.edit} edited, ${s.del} deleted, ${s.add} added in ${changeS.toFixed(1)} s (harness, not counted)`,
      );
      const expected = side === 'a' ? { a: pull(s), b: push(s) } : { a: push(s), b: pull(s) };
      phases.push({ ...(await sc.runPhase(side === 'a' ? 'changedA' : 'changedB', 1, expected)), changeS });
    }
    return {
      workload,
      n,
      initialMode: sc.mode,
      bytes,
      generateS,
      setupS,
      change: sc.sizes(),
      phases,
      ok: phases.every((p) => TOOLS.every((t) => p.tools[t].ok)),
      dir: opts.keep ? sc.dir : null,
    };
  } finally {
    await sc.stop();
    sc.cleanup();
  }
}
