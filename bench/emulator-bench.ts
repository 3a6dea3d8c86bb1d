/**
 * The connector benchmark against the in-repo emulators (part of `npm run bench`): for
 * Google Calendar, Kimai and Tempo → Jira (bench/emulator-scenarios.ts), N items are
 * written straight into the emulator's store, and the real CLI (`node bin/timebridge.js
 * sync`, every link of the config in order) runs as its own measured process per phase:
 *   1. first sync into an empty hub; 2. resync with nothing changed; 3. resync after 2 %
 *   of the items changed remotely.
 * The emulators run in this (parent) process, so the child's wall time, CPU and peak RSS
 * are the sync's own; the emulators' CPU is not in them, but their answer times are in
 * the wall time. HTTP requests are the emulators' own request counts (`counts`, as
 * `GET /_emulator` shows them), taken before and after each phase.
 * After every phase: exit 0, every link ok, the checked links' action counts exact (ops that
 * only touch the link's status rows, `record` and `forget`, are shown but not counted), the
 * hub holds N live records, no hub write in the no-change phase (head sequence
 * unchanged), exactly the changed items carry the change in the hub, and the remote side
 * checks of the scenario (e.g. the second calendar mirrors the first).
 */
import fs from 'node:fs';
import path from 'node:path';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { parseRunLines, sameCounts } from './folder-bench.js';
import { measureNode, type Measured } from './measure.js';
import { SCENARIOS, type Counts, type Scenario, type SystemId } from './emulator-scenarios.js';
import { mb, sec, table } from './table.js';

export type EmuPhaseId = 'initial' | 'noChange' | 'changed';

export const EMU_PHASE_LABELS: Record<EmuPhaseId, string> = {
  initial: 'first sync, empty hub',
  noChange: 'resync, nothing changed',
  changed: 'resync, 2 % changed remotely',
};

export interface EmuPhaseResult {
  id: EmuPhaseId;
  wallS: number;
  cpuS: number | null;
  peakRssMb: number | null;
  /** CPU of this (the emulators') process during the phase: the servers' share of the wall time. */
  emulatorCpuS: number;
  loadBefore: number;
  exitCode: number | null;
  /** Requests the emulators answered during the phase, by emulator, then `METHOD route`. */
  requests: Record<string, Record<string, number>>;
  requestsTotal: number;
  /** Of those, writes (POST/PUT/PATCH/DELETE other than token, search and bulk-read calls). */
  remoteWrites: number;
  /** Answers with a status ≥ 400 (e.g. Tempo's 429 when the pacing is off). */
  errorAnswers: number;
  /** Hub records written (head sequence moved by). */
  hubWrites: number;
  /** The scenario's target (e.g. site B): requests it answered, items created there, and requests per created item (null: none created). */
  target: { emulator: string; requests: number; creates: number; perCreate: number | null } | null;
  hubLive: number;
  counts: Counts;
  expectedCounts: Counts;
  /** Items changed remotely before this phase. */
  changedItems: number;
  linkMs: { link: string; ms: number }[];
  problems: string[];
  ok: boolean;
}

export interface EmuSystemResult {
  id: SystemId;
  title: string;
  n: number;
  /** Links whose actions are checked exactly (the rest are directory/taxonomy links). */
  measured: string[];
  preloadS: number;
  phases: EmuPhaseResult[];
  ok: boolean;
}

export interface EmuBenchOptions {
  repo: string;
  n: number;
  systems: SystemId[];
  seed: number;
  keep: boolean;
  baseDir: string;
  /** Delay every emulator adds to each API request (ms), standing in for the network round trip to a real site. */
  latencyMs: number;
  log: (line: string) => void;
}

/** Non-GET routes that only read (token grants, searches, bulk reads). */
const READ_ONLY = /\/token\b|search|\/worklog\/list\b|\/_emulator/;

function isWrite(key: string): boolean {
  const [method, route = ''] = key.split(' ');
  return method !== 'GET' && method !== 'HEAD' && !READ_ONLY.test(route);
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('TIMEBRIDGE_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return env;
}

async function hubState(file: string, sc: Scenario): Promise<{ head: number; live: number; marked: number }> {
  if (!fs.existsSync(file)) return { head: 0, live: 0, marked: 0 };
  const store = openSqliteStore(file);
  try {
    const live = (await store.listScope(sc.scope, sc.kind)).filter((r) => !r.tombstone);
    const marked = live.filter((r) => String(r.fields[sc.markField] ?? '').startsWith(sc.changedMark)).length;
    return { head: await store.headSeq(), live: live.length, marked };
  } finally {
    await store.close();
  }
}

/** Each emulator's request counts, and a counter of error answers added before it listens. */
function snapshot(sc: Scenario): Map<string, Map<string, number>> {
  return new Map(sc.emulators.map(({ name, emu }) => [name, new Map(emu.counts)]));
}

/** Ops that write neither the hub nor the remote side: the link's status row only (a version noted, an agreement dropped). */
const BOOKKEEPING = new Set(['record', 'forget']);

function countsExpected(sc: Scenario, all: Counts, want: Counts, id: EmuPhaseId): boolean {
  const got = Object.fromEntries(Object.entries(all).map(([l, c]) => [l, Object.fromEntries(Object.entries(c).filter(([op]) => !BOOKKEEPING.has(op)))]));
  if (id === 'initial') {
    // Only the measured links are exact on the first sync; the directory/taxonomy links fill the hub too.
    const pick = (c: Counts) => Object.fromEntries(sc.measured.map((l) => [l, c[l] ?? {}]));
    return sameCounts(pick(got), pick(want));
  }
  return sameCounts(got, want);
}

async function runPhase(
  sc: Scenario,
  dir: string,
  id: EmuPhaseId,
  n: number,
  changedItems: number,
  errorCount: () => number,
  opts: EmuBenchOptions,
): Promise<EmuPhaseResult> {
  const config = path.join(dir, 'timebridge.yaml');
  const hubFile = path.join(dir, 'hub.sqlite');
  const before = await hubState(hubFile, sc);
  const reqBefore = snapshot(sc);
  const errBefore = errorCount();
  const cpuBefore = process.cpuUsage();
  const m: Measured = await measureNode([path.join(opts.repo, 'bin', 'timebridge.js'), '--config', config, 'sync'], { cwd: dir, env: childEnv() });
  const cpuUsed = process.cpuUsage(cpuBefore);
  const emulatorCpuS = (cpuUsed.user + cpuUsed.system) / 1e6;
  const after = await hubState(hubFile, sc);
  const requests: Record<string, Record<string, number>> = {};
  let requestsTotal = 0,
    remoteWrites = 0;
  for (const { name, emu } of sc.emulators) {
    const was = reqBefore.get(name)!;
    const diff: Record<string, number> = {};
    for (const [key, count] of emu.counts) {
      const d = count - (was.get(key) ?? 0);
      if (!d) continue;
      diff[key] = d;
      requestsTotal += d;
      if (isWrite(key)) remoteWrites += d;
    }
    requests[name] = diff;
  }
  const parsed = parseRunLines(m.stdout);
  const expectedCounts: Counts = id === 'initial' ? sc.initialCounts : id === 'changed' ? sc.changedCounts(changedItems) : {};
  const problems: string[] = [];
  if (m.exitCode !== 0) problems.push(`exit ${m.exitCode}${m.signal ? ` (signal ${m.signal})` : ''}: ${m.stderr.split('\n').slice(0, 8).join(' / ')}`);
  problems.push(...parsed.notOk);
  if (!countsExpected(sc, parsed.counts, expectedCounts, id))
    problems.push(`counts ${JSON.stringify(parsed.counts)} ≠ expected ${JSON.stringify(expectedCounts)}`);
  if (after.live !== n) problems.push(`hub holds ${after.live} live ${sc.kind} records, expected ${n}`);
  const hubWrites = after.head - before.head;
  if (id === 'noChange' && hubWrites !== 0) problems.push(`the no-change resync wrote ${hubWrites} hub records`);
  if (id === 'noChange' && remoteWrites !== 0) problems.push(`the no-change resync sent ${remoteWrites} writes to the emulators`);
  if (id === 'changed' && hubWrites !== changedItems) problems.push(`the resync wrote ${hubWrites} hub records for ${changedItems} changed items`);
  const wantMarked = id === 'changed' ? changedItems : 0;
  if (after.marked !== wantMarked) problems.push(`${after.marked} hub records carry the change, expected ${wantMarked}`);
  problems.push(...sc.checkRemote(id));
  const target = targetLoad(sc, requests, parsed.counts);
  const cpuS = m.userS !== null && m.sysS !== null ? m.userS + m.sysS : null;
  const result: EmuPhaseResult = {
    id,
    wallS: m.wallS,
    cpuS,
    peakRssMb: m.peakRssMb,
    emulatorCpuS,
    loadBefore: m.loadBefore,
    exitCode: m.exitCode,
    requests,
    requestsTotal,
    remoteWrites,
    errorAnswers: errorCount() - errBefore,
    hubWrites,
    target,
    hubLive: after.live,
    counts: parsed.counts,
    expectedCounts,
    changedItems,
    linkMs: parsed.linkMs,
    problems,
    ok: problems.length === 0,
  };
  opts.log(
    `    ${EMU_PHASE_LABELS[id]}: ${m.wallS.toFixed(2)} s, ${m.peakRssMb?.toFixed(0) ?? '?'} MB, ${requestsTotal} requests` +
      `${target?.perCreate != null ? ` (${target.perCreate.toFixed(3)} per item created on ${target.emulator})` : ''}, exit ${m.exitCode}` +
      `${problems.length ? `, PROBLEMS: ${problems.join('; ')}` : ', checks ok'}`,
  );
  return result;
}

/** Requests the scenario's target answered in a phase, and how many items its link created there. */
function targetLoad(sc: Scenario, requests: Record<string, Record<string, number>>, counts: Counts): EmuPhaseResult['target'] {
  if (!sc.target) return null;
  const total = Object.values(requests[sc.target.emulator] ?? {}).reduce((a, b) => a + b, 0);
  const creates = counts[sc.target.link]?.['push-create'] ?? 0;
  return { emulator: sc.target.emulator, requests: total, creates, perCreate: creates ? total / creates : null };
}

export async function runEmulatorBench(opts: EmuBenchOptions): Promise<EmuSystemResult[]> {
  const out: EmuSystemResult[] = [];
  opts.log(`connectors against their emulators (N = ${opts.n.toLocaleString('en')}, CLI process per phase, emulators in this process):`);
  for (const id of opts.systems) {
    const t0 = performance.now();
    const sc = await SCENARIOS[id](opts.n, opts.seed);
    for (const { emu } of sc.emulators) emu.settings.latencyMs = opts.latencyMs;
    const preloadS = (performance.now() - t0) / 1000;
    const dir = fs.mkdtempSync(path.join(opts.baseDir, `timebridge-emu-bench-${id}-`));
    // Count error answers (429s, 5xx); the emulators are already listening, so count from the request log instead of a hook.
    let errors = 0;
    for (const { emu } of sc.emulators) {
      emu.app.server.on('request', (_req, res) => {
        res.on('finish', () => {
          if (res.statusCode >= 400) errors++;
        });
      });
    }
    opts.log(
      `  ${id}: ${sc.title}; ${opts.n} items preloaded in ${preloadS.toFixed(1)} s${opts.latencyMs ? `; ${opts.latencyMs} ms added to each request` : ''}`,
    );
    try {
      fs.writeFileSync(path.join(dir, 'timebridge.yaml'), sc.yaml);
      const phases: EmuPhaseResult[] = [];
      phases.push(await runPhase(sc, dir, 'initial', opts.n, 0, () => errors, opts));
      phases.push(await runPhase(sc, dir, 'noChange', opts.n, 0, () => errors, opts));
      // Kimai's delta listing asks for `modified_after` in whole seconds of the last listing: change in a later second.
      await new Promise((r) => setTimeout(r, 1100));
      const k = sc.change();
      phases.push(await runPhase(sc, dir, 'changed', opts.n, k, () => errors, opts));
      out.push({ id, title: sc.title, n: opts.n, measured: sc.measured, preloadS, phases, ok: phases.every((p) => p.ok) });
    } finally {
      await sc.close();
      if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
      else opts.log(`    kept ${dir}`);
    }
  }
  return out;
}

const SHORT: Record<string, string> = {
  'pull-create': '+hub',
  'pull-update': '~hub',
  'pull-delete': '-hub',
  'push-create': '+ext',
  'push-update': '~ext',
  'push-delete': '-ext',
};

function actions(counts: Counts, measured: string[] | null): string {
  const parts = Object.entries(counts)
    .filter(([link]) => !measured || measured.includes(link))
    .map(([link, c]) => {
      const ops = Object.entries(c)
        .filter(([, n]) => n)
        .map(([op, n]) => `${SHORT[op] ?? op} ${n}`);
      return ops.length ? `${link}: ${ops.join(' ')}` : '';
    })
    .filter(Boolean);
  return parts.length ? parts.join('; ') : '—';
}

/** Top request routes of a phase, e.g. "GET /4/worklogs 7, POST …/worklog 5000". */
function topRoutes(p: EmuPhaseResult, count = 3): string {
  const all = Object.entries(p.requests).flatMap(([, r]) => Object.entries(r));
  return all
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, v]) => `${k.replace(/\/rest\/api\/3/, '').replace(/\/calendar\/v3/, '')} ${v}`)
    .join(', ');
}

export function formatEmulatorTable(results: EmuSystemResult[]): string {
  if (!results.length) return '';
  const n = results[0]!.n;
  const rows: string[][] = [];
  for (const s of results) {
    for (const p of s.phases) {
      rows.push([
        s.id,
        EMU_PHASE_LABELS[p.id],
        sec(p.wallS),
        sec(p.cpuS),
        mb(p.peakRssMb),
        sec(p.emulatorCpuS),
        p.requestsTotal.toLocaleString('en'),
        p.target?.perCreate != null ? p.target.perCreate.toFixed(3) : '—',
        p.remoteWrites.toLocaleString('en'),
        String(p.errorAnswers),
        p.hubWrites.toLocaleString('en'),
        p.ok ? 'ok' : 'FAIL',
        actions(p.counts, p.id === 'initial' ? s.measured : null),
        topRoutes(p),
      ]);
    }
  }
  return [
    `CONNECTORS vs EMULATORS  N = ${n.toLocaleString('en')} items each, CLI process per phase (emulators in the bench process)`,
    "  wall/cpu/peak = the CLI child; emu cpu = the emulators' process meanwhile; requests = answered by the emulators; writes = remote POST/PUT/PATCH/DELETE; err = answers ≥ 400; hub w = hub records written",
    '  req/new = requests per created item on the target system (requests the target answered ÷ items the target link created there)',
    ...results.map((s) => `  ${s.id}: ${s.title}`),
    table(
      [
        'system',
        'phase',
        'wall s',
        'cpu s',
        'peak MB',
        'emu cpu s',
        'requests',
        'req/new',
        'writes',
        'err',
        'hub w',
        'check',
        'actions (checked links)',
        'top routes',
      ],
      rows,
      [false, false, true, true, true, true, true, true, true, true, true, false, false, false],
    ),
    ...targetLines(results),
  ].join('\n');
}

/** Each phase's requests to the scenario's target by route, e.g. "jira-b, first sync: 2,000 created, 2,006 requests (1.003 each): POST …/worklog 2000, …". */
function targetLines(results: EmuSystemResult[]): string[] {
  const out: string[] = [];
  for (const s of results) {
    for (const p of s.phases) {
      if (!p.target) continue;
      const routes = Object.entries(p.requests[p.target.emulator] ?? {})
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k.replace(/\/rest\/api\/3/, '')} ${v}`)
        .join(', ');
      const each = p.target.perCreate != null ? ` (${p.target.perCreate.toFixed(3)} per created item)` : '';
      out.push(
        `  ${s.id} → ${p.target.emulator}, ${EMU_PHASE_LABELS[p.id]}: ${p.target.creates.toLocaleString('en')} created, ${p.target.requests.toLocaleString('en')} requests${each}: ${routes || 'none'}`,
      );
    }
  }
  return out.length ? ['REQUESTS ON THE TARGET by route', ...out] : [];
}

export function emulatorFailures(results: EmuSystemResult[]): string[] {
  return results.flatMap((s) => s.phases.filter((p) => !p.ok).map((p) => `emulator ${s.id} ${EMU_PHASE_LABELS[p.id]}: ${p.problems.join(' | ')}`));
}
