/**
 * Summarise V8 .cpuprofile files (from `node --cpu-prof`): top functions by self time,
 * and a breakdown of samples by sync phase, attributed to the innermost frame on the
 * stack that names a phase (so a commit inside apply counts as "commit").
 *
 *   node --import tsx bench/profile-summary.ts /tmp/prof/*.cpuprofile [--top 25]
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Phase markers: [phase, function name, file fragment] (innermost match wins). */
const PHASES: [string, string, string][] = [
  ['startup (module load, config, open store)', 'composeApp', 'compose'],
  ['startup (module load, config, open store)', 'loadConfig', 'config'],
  ['listing (readdir + stat)', 'list', 'folder-connector'],
  ['fetch (read files)', 'readItem', 'folder-connector'],
  ['parse + map (toHub, hashes)', 'mapItem', 'collect'],
  ['hub read (status rows)', 'loadStatus', 'sqlite-store'],
  ['hub read (status rows)', 'loadStatusIndex', 'sqlite-store'],
  ['hub read (status rows)', 'loadAgreements', 'sqlite-store'],
  ['listing digest', 'refsDigest', 'listing-digest'],
  ['listing digest', 'listingAfterRun', 'listing-digest'],
  ['hub read (status rows)', 'getStatus', 'sqlite-store'],
  ['hub read (status rows)', 'countStatus', 'sqlite-store'],
  ['collect: maps, etag diff, plan input', 'collectHubSide', 'runtime/collect'],
  ['hub read (records / changes)', 'collectHub', 'collect'],
  ['hub read (adoption candidates)', 'findByIdentity', 'sqlite-store'],
  ['collect: maps, etag diff, plan input', 'collect', 'runtime/collect'],
  ['collect: maps, etag diff, plan input', 'collectExternal', 'runtime/collect'],
  ['collect: maps, etag diff, plan input', 'collectAll', 'runtime/collect'],
  ['run bookkeeping (maps, cursors, plan record)', 'execute', 'run-link'],
  ['plan', 'plan', 'planner'],
  ['apply: external writes (files)', 'externalWrite', 'apply-steps'],
  ['apply: toExternal (serialise)', 'externalData', 'apply-steps'],
  ['apply: hub/status rows (build)', 'localStep', 'apply-steps'],
  ['apply: hub/status rows (build)', 'pushResult', 'apply-steps'],
  ['apply: other', 'applyBatch', 'apply'],
  ['apply: other', 'applyPlan', 'apply'],
  ['commit (SQLite transaction)', 'commit', 'sqlite-store'],
  ['commit (SQLite transaction)', 'commitOrSplit', 'apply'],
  ['run record (saveRun: plan JSON)', 'saveRun', 'sqlite-store'],
  ['run record (saveRun: plan JSON)', 'planForRecord', 'run-link'],
  ['recover intents', 'recoverIntents', 'recover'],
];

export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: { name: string; where: string; selfMs: number; share: number }[];
  phases: { phase: string; ms: number; share: number }[];
  /** Time with the function anywhere on the stack (counted once per sample). */
  inclusive: { name: string; where: string; ms: number; share: number }[];
}

function where(cf: CallFrame): string {
  if (!cf.url) return '';
  const file = cf.url.startsWith('file://') ? fileURLToPath(cf.url) : cf.url;
  const rel = file.includes('/node_modules/') ? file.slice(file.lastIndexOf('/node_modules/') + 14) : path.basename(file);
  return `${rel}:${cf.lineNumber + 1}`;
}

export function summarise(file: string, topN = 25): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  prof.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));

  const phaseOf = new Map<number, string>();
  const resolvePhase = (id: number): string => {
    const known = phaseOf.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const cf = n.callFrame;
    let phase: string | undefined;
    if (cf.functionName === '(garbage collector)') phase = 'GC';
    else if (cf.functionName === '(idle)' || cf.functionName === '(program)') phase = cf.functionName;
    else {
      const hit = PHASES.find(([, fn, frag]) => cf.functionName === fn && cf.url.includes(frag));
      if (hit) phase = hit[0];
    }
    if (phase === undefined) {
      const p = parent.get(id);
      phase = p === undefined ? 'other (startup, module load, CLI)' : resolvePhase(p);
    }
    phaseOf.set(id, phase);
    return phase;
  };

  const selfByFn = new Map<string, { name: string; where: string; us: number }>();
  const byPhase = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    total += us;
    const cf = byId.get(id)!.callFrame;
    const key = `${cf.functionName}@${cf.url}:${cf.lineNumber}`;
    const e = selfByFn.get(key) ?? { name: cf.functionName || '(anonymous)', where: where(cf), us: 0 };
    e.us += us;
    selfByFn.set(key, e);
    const ph = resolvePhase(id);
    byPhase.set(ph, (byPhase.get(ph) ?? 0) + us);
  }
  // Inclusive time: walk each sampled stack once, crediting every distinct function on it.
  const inclusiveUs = new Map<string, { name: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      if (!cf.url || cf.url.startsWith('node:')) continue;
      const key = `${cf.functionName}@${cf.url}:${cf.lineNumber}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = inclusiveUs.get(key) ?? { name: cf.functionName || '(anonymous)', where: where(cf), us: 0 };
      e.us += us;
      inclusiveUs.set(key, e);
    }
  }
  const inclusive = [...inclusiveUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: e.us / total }));
  const top = [...selfByFn.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, topN)
    .map((e) => ({ name: e.name, where: e.where, selfMs: e.us / 1000, share: e.us / total }));
  const phases = [...byPhase.entries()].sort((a, b) => b[1] - a[1]).map(([phase, us]) => ({ phase, ms: us / 1000, share: us / total }));
  return { file, totalMs: total / 1000, top, phases, inclusive };
}

export function formatSummary(s: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [`${path.basename(s.file)}: ${(s.totalMs / 1000).toFixed(2)} s sampled`, '  by phase:'];
  for (const p of s.phases) lines.push(`    ${p.ms.toFixed(0).padStart(7)} ms ${pct(p.share)}  ${p.phase}`);
  lines.push('  top self time:');
  for (const t of s.top) lines.push(`    ${t.selfMs.toFixed(0).padStart(7)} ms ${pct(t.share)}  ${t.name}  ${t.where}`);
  lines.push('  top inclusive time (JS functions outside node internals):');
  for (const t of s.inclusive) lines.push(`    ${t.ms.toFixed(0).padStart(7)} ms ${pct(t.share)}  ${t.name}  ${t.where}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const topN = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 25;
  for (const f of args) console.log(formatSummary(summarise(f, topN)) + '\n');
}
