/**
 * Every HTTP connector converges through faults, as a user meets them: the real CLI
 * (`timebridge sync`, a child process) against the in-repo emulators (in this process),
 * with about 20 % of API requests answered 500, 503, 429 with Retry-After and 429 without,
 * and listing pages cut short or served empty (with totals that still claim the rows). Within 3 runs each system must reach the state a fault-free
 * sync reaches: every item on the target, none twice, nothing deleted, and no run may exit
 * 0 while work is left undone. Requests and wall time per system are printed (diagnostics,
 * never asserted).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliChild } from '../../support/cli-child.js';
import { SCENARIOS, SYSTEMS, type Scenario } from '../../../bench/emulator-scenarios.js';
import type { FaultRule } from '../../../src/emulators/kit/faults.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';

const N = 40;
const MAX_RUNS = 3;

/** About 20 % of API requests fail, in four ways; the control routes are left alone. */
const API = '^/(?!_emulator)';
export const FAULTS: FaultRule[] = [
  { path: API, status: 500, rate: 0.08 },
  { path: API, status: 503, rate: 0.04 },
  { path: API, status: 429, retryAfter: 1, rate: 0.04 },
  { path: API, status: 429, rate: 0.04 },
  { path: API, method: 'GET', listing: { kind: 'short' }, rate: 0.05 },
  { path: API, method: 'GET', listing: { kind: 'empty', totals: 'claim' }, rate: 0.02 },
];

/** The CLI as a child process, without blocking this process's event loop (the emulators answer from here). */
const cli = (args: string[]) => cliChild(process.cwd(), args, 240_000);

function requests(s: Scenario): number {
  let n = 0;
  for (const { emu } of s.emulators) for (const c of emu.counts.values()) n += c;
  return n;
}

async function hubState(file: string, s: Scenario): Promise<{ live: number; uniqueKeys: number }> {
  const store = openSqliteStore(file);
  try {
    const live = (await store.listScope(s.scope, s.kind)).filter((r) => !r.tombstone);
    return { live: live.length, uniqueKeys: new Set(live.map((r) => r.identity ?? r.id)).size };
  } finally {
    await store.close();
  }
}

describe('convergence through 20 % faults (CLI against the emulators)', () => {
  for (const system of SYSTEMS) {
    it(`${system}: converges within ${MAX_RUNS} runs with no duplicate, no deletion and honest exit codes`, async (t) => {
      const s = await SCENARIOS[system](N, 7);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tb-faults-${system}-`));
      try {
        fs.writeFileSync(path.join(dir, 'timebridge.yaml'), s.yaml);
        const hub = path.join(dir, 'hub.sqlite');
        for (const { emu } of s.emulators) for (const rule of FAULTS) emu.inject(rule);
        const started = performance.now();
        const before = requests(s);
        const runs: { code: number | null; deletes: number; problems: string[] }[] = [];
        for (let i = 0; i < MAX_RUNS; i++) {
          const r = await cli(['--config', path.join(dir, 'timebridge.yaml'), 'sync', '--json']);
          let records: { status: string; counts: Record<string, number> }[] = [];
          try {
            records = JSON.parse(r.stdout) as typeof records;
          } catch {
            /* a run that could not start prints no JSON */
          }
          const deletes = records.reduce((n, x) => n + (x.counts['pull-delete'] ?? 0) + (x.counts['push-delete'] ?? 0), 0);
          runs.push({ code: r.code, deletes, problems: s.checkRemote('initial') });
          assert.ok(r.code === 0 || r.code === 1 || r.code === 3, `run ${i + 1} exited ${r.code}:\n${r.stderr.slice(0, 2000)}`);
          if (r.code === 0) {
            // Honest: exit 0 means nothing was left undone.
            assert.ok(
              records.every((x) => x.status === 'ok'),
              `run ${i + 1} exited 0 with ${records.map((x) => x.status).join(', ')}`,
            );
            assert.deepEqual(runs.at(-1)!.problems, [], `run ${i + 1} exited 0 but the remote side is not synced`);
            break;
          }
        }
        const wallS = (performance.now() - started) / 1000,
          sent = requests(s) - before;
        const fired = s.emulators.reduce((n, { emu }) => n + emu.faults.list().reduce((m, f) => m + f.fired, 0), 0);
        t.diagnostic(
          `${system}: ${runs.length} run(s), exit codes ${runs.map((r) => r.code).join(',')}, ${sent} requests (${fired} answered with a fault), ${wallS.toFixed(1)} s`,
        );
        assert.equal(
          runs.at(-1)!.code,
          0,
          `not converged in ${MAX_RUNS} runs: exit codes ${runs.map((r) => r.code).join(', ')}; remote: ${runs.at(-1)!.problems.join('; ')}`,
        );
        assert.equal(
          runs.reduce((n, r) => n + r.deletes, 0),
          0,
          'a run deleted something although nothing was deleted anywhere',
        );
        for (const { emu } of s.emulators) emu.faults.clear();
        assert.deepEqual(s.checkRemote('initial'), []);
        const state = await hubState(hub, s);
        assert.equal(state.live, N, 'hub records');
        assert.equal(state.uniqueKeys, N, 'no hub record twice');
      } finally {
        await s.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
