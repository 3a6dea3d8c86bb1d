/** Plain-text tables of the benchmark results. */
import type { FolderResult, PhaseId } from './folder-bench.js';
import type { PlannerResult } from './planner-bench.js';

const int = (n: number) => Math.round(n).toLocaleString('en');
export const sec = (s: number | null) => (s === null ? '?' : s < 10 ? s.toFixed(2) : s.toFixed(1));
export const mb = (m: number | null) => (m === null ? '?' : m.toFixed(0));

export function table(head: string[], rows: string[][], right: boolean[]): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), width.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatPlannerTable(p: PlannerResult): string {
  const pct = (n: number) => `${((n / p.rows) * 100).toFixed(1)} %`;
  const rest = p.runsS.length - 1;
  const counts = Object.entries(p.counts)
    .map(([op, n]) => `${op} ${int(n)}`)
    .join(', ');
  const cpu = (i: number) => (p.cpuS[i] === undefined ? '' : `   (cpu ${sec(p.cpuS[i]!)} s)`);
  const medianIndex = p.runsS.indexOf(p.medianS);
  return [
    `PLANNER  plan() on ${int(p.rows)} status rows, full complete listing`,
    `  mix: unchanged ${pct(p.mix.unchanged)}, changed externally ${pct(p.mix.extChanged)}, changed in hub ${pct(p.mix.hubChanged)}, deleted externally ${pct(p.mix.extDeleted)}`,
    table(
      ['measure', 'value'],
      [
        ['input build (not timed)', `${sec(p.buildS)} s`],
        ['plan() first call (cold)', `${sec(p.firstS)} s${cpu(0)}`],
        [rest > 0 ? `plan() median of next ${rest}` : 'plan() (single call)', `${sec(p.medianS)} s${medianIndex >= 0 ? cpu(medianIndex) : ''}`],
        ['plan() best', `${sec(p.bestS)} s`],
        ['throughput (median)', `${int(p.rowsPerS)} rows/s`],
        ['throughput (best)', `${int(p.rows / p.bestS)} rows/s`],
        ['heap: input (after GC)', `${mb(p.inputHeapMb)} MiB`],
        ['heap: growth during 1 plan()', `${mb(p.planHeapGrowthMb)} MiB`],
        ['heap: kept by the plan', `${p.planRetainedMb.toFixed(1)} MiB`],
        ['process peak RSS', `${mb(p.peakRssMb)} MiB`],
        ['actions', `${int(p.actions)}: ${counts}`],
        ['check', `${p.countsOk ? 'counts equal the mix ✓' : 'COUNTS DIFFER FROM THE MIX ✗'}; ${p.guardOk ? 'guard ok ✓' : 'GUARD STOPPED ✗'}`],
      ],
      [false, false],
    ),
  ].join('\n');
}

function actionsOf(counts: Record<string, Record<string, number>>): string {
  const short: Record<string, string> = {
    'pull-create': '+hub',
    'pull-update': '~hub',
    'pull-delete': '-hub',
    'push-create': '+ext',
    'push-update': '~ext',
    'push-delete': '-ext',
  };
  return Object.entries(counts)
    .map(([link, c]) => {
      const parts = Object.entries(c)
        .filter(([, n]) => n)
        .map(([op, n]) => `${short[op] ?? op} ${n}`);
      return `${link}: ${parts.length ? parts.join(' ') : '—'}`;
    })
    .join('; ');
}

export function formatFolderTable(f: FolderResult, ref: (Record<PhaseId, number> & { peakRssMb: number }) | null, target: number): string {
  const rows = f.phases.map((p) => {
    const vd = ref ? ref[p.id] : null;
    const speedup = vd !== null ? vd / p.wallS : null;
    const runs = p.samples.length > 1 ? ` (median of ${p.samples.length})` : '';
    return [
      p.label + runs,
      sec(p.wallS),
      sec(p.cpuS),
      mb(p.peakRssMb),
      vd === null ? '—' : sec(vd),
      speedup === null ? '—' : `${speedup.toFixed(2)}×`,
      vd === null ? '—' : sec(vd / target),
      speedup === null ? '—' : speedup >= target ? 'yes' : 'NO',
      p.ok ? 'ok' : 'FAIL',
      p.linkMs.map((l) => `${l.link} ${(l.ms / 1000).toFixed(2)}`).join(' + '),
      actionsOf(p.counts),
    ];
  });
  const peakRatio = ref && f.peakRssMb !== null ? `${(f.peakRssMb / ref.peakRssMb).toFixed(2)}× vdirsyncer's` : '';
  rows.push(['peak RSS over all phases', '', '', mb(f.peakRssMb), ref ? `${ref.peakRssMb} MB` : '—', peakRatio, '', '', '', '', '']);
  return [
    `FOLDER → HUB → FOLDER  N = ${int(f.n)} events (${(f.bytesA / 1e6).toFixed(1)} MB of .ics in A), CLI process per phase`,
    "  wall = whole CLI process (spawn to exit); cpu = user + sys; link runs = each link run's own time as the CLI printed it",
    table(
      [
        'phase',
        'wall s',
        'cpu s',
        'peak MB',
        'vdirsyncer',
        'speed-up',
        `≤ s for ${target}×`,
        `${target}× met`,
        'check',
        'link runs s',
        'actions (link: op count)',
      ],
      rows,
      [false, true, true, true, true, true, true, false, false, false, false],
    ),
  ].join('\n');
}
