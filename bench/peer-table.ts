/** Plain-text tables of the peer benchmark: one per workload and N, phases as rows, the two tools side by side. */
import type { PeerPhase, PeerResult, ToolPhase } from './peer-bench.js';
import { formatRequests } from './peer-radicale.js';
import { mb, sec, table } from './table.js';

function check(t: ToolPhase): string {
  const bad = t.runs.filter((r) => !r.check.ok).length;
  const failedExit = t.runs.filter((r) => r.exitCode !== 0 || r.error).length;
  if (!bad && !failedExit) return 'ok';
  return ['FAIL', bad ? `${bad} run(s) differ` : '', failedExit ? `${failedExit} run(s) exit ≠ 0` : ''].filter(Boolean).join(' ');
}

function speedup(p: PeerPhase): number {
  return p.tools.vdirsyncer.wallS / p.tools.timebridge.wallS;
}

export function formatPeerTable(r: PeerResult, target: number): string {
  const dav = r.workload === 'folder-radicale';
  const rows = r.phases.map((p) => {
    const v = p.tools.vdirsyncer,
      t = p.tools.timebridge;
    const runs = v.runs.length > 1 ? ` (median of ${v.runs.length})` : '';
    const x = speedup(p);
    return [
      p.label + runs,
      sec(v.wallS),
      sec(t.wallS),
      `${x.toFixed(2)}×`,
      p.id === 'initial' ? '—' : x >= target ? 'yes' : 'NO',
      sec(v.cpuS),
      sec(t.cpuS),
      mb(v.peakRssMb),
      mb(t.peakRssMb),
      v.peakRssMb === null || t.peakRssMb === null ? '?' : t.peakRssMb <= v.peakRssMb ? 'yes' : 'NO',
      ...(dav ? [formatRequests(v.requests), formatRequests(t.requests), `${sec(v.serverS)} / ${sec(t.serverS)}`] : []),
      check(v),
      check(t),
    ];
  });
  const head = [
    'phase',
    'vdirsyncer s',
    'Timebridge s',
    'speed-up',
    `${target}×`,
    'vds CPU s',
    'TB CPU s',
    'vdirsyncer MB',
    'Timebridge MB',
    'TB MB ≤ vds',
    ...(dav ? ['vdirsyncer requests', 'Timebridge requests', 'Radicale busy s (vds / TB)'] : []),
    'check vds',
    'check TB',
  ];
  const right = head.map((h) => / s$|MB$|speed-up|busy|CPU/.test(h));
  const title = r.workload === 'folder-radicale' ? 'FOLDER ↔ RADICALE' : 'FOLDER ↔ FOLDER';
  const c = r.change;
  return [
    `${title}  N = ${r.n.toLocaleString('en')} events (${(r.bytes / 1e6).toFixed(1)} MB of .ics); 2 % = ${c.edit} edited, ${c.del} deleted, ${c.add} added`,
    "  wall = whole process, spawn to exit; CPU = the client's user + system time (not the server's); peak RSS per phase: /usr/bin/time -v (TB MB ≤ vds: the goal at 50k); speed-up = vdirsyncer s / Timebridge s; " +
      `${target}× is the goal for no-change and incremental syncs`,
    ...(dav ? ['  requests = Radicale log lines between the tool\'s start and exit; "busy" = Radicale\'s own response times summed'] : []),
    ...(r.initialMode === 'preload'
      ? [
          "  initial: the calendar was written into Radicale's storage while it was stopped (an upload costs ~33 min at 10k, server-bound); both tools then sync it into an empty folder",
        ]
      : []),
    table(head, rows, right),
  ].join('\n');
}
