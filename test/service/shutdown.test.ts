/**
 * SIGTERM during a run: the service stops taking jobs, the run stops after the write
 * under way (intents make the rest resumable), the process exits 0; after a restart the
 * queued job runs again and both folders converge without a duplicate.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { api, event, startServe, tb, workspace } from '../support/serve.js';

const N = 1500;

describe('SIGTERM during a run', () => {
  it('exits cleanly mid-run, and the restarted service converges with no duplicate', async () => {
    const dir = workspace();
    try {
      fs.writeFileSync(
        path.join(dir, 'timebridge.yaml'),
        fs.readFileSync(path.join(dir, 'timebridge.yaml'), 'utf8').replace('shutdownGraceMs: 2000', 'shutdownGraceMs: 0'),
      );
      for (let i = 0; i < N; i++) fs.writeFileSync(path.join(dir, 'a', `e${i}.ics`), event(`e${i}@test`, `Event ${i}`));
      const token = tb(dir, ['token', 'create', '--user', 'root', '--role', 'admin']).stdout.trim();
      const first = await startServe(dir);
      const queued = await api(first.url, 'POST', '/api/v1/links/a/sync', { token });
      assert.equal(queued.status, 202);
      // Wait until b is being written, then stop the service in the middle of it.
      for (let i = 0; i < 600 && fs.readdirSync(path.join(dir, 'b')).length < 50; i++) await new Promise((r) => setTimeout(r, 25));
      const partway = fs.readdirSync(path.join(dir, 'b')).length;
      assert.equal(await first.stop('SIGTERM'), 0, first.stderr());
      const atStop = fs.readdirSync(path.join(dir, 'b')).filter((f) => f.endsWith('.ics')).length;
      assert.ok(atStop < N, `the run was still going when SIGTERM came (b had ${partway} then ${atStop} of ${N})`);
      assert.match(first.stderr(), /stopping: no new requests or jobs/);

      const second = await startServe(dir);
      try {
        const end = Date.now() + 60_000;
        for (;;) {
          const jobs = await api(second.url, 'GET', '/api/v1/jobs?limit=50', { token });
          const open = jobs.body.jobs.filter((j: { state: string }) => j.state === 'queued' || j.state === 'active');
          if (!open.length && fs.readdirSync(path.join(dir, 'b')).filter((f) => f.endsWith('.ics')).length === N) break;
          assert.ok(Date.now() < end, `did not converge: ${JSON.stringify(jobs.body.counts)}, b has ${fs.readdirSync(path.join(dir, 'b')).length}`);
          await new Promise((r) => setTimeout(r, 200));
        }
        const uids = new Set(
          fs
            .readdirSync(path.join(dir, 'b'))
            .filter((f) => f.endsWith('.ics'))
            .map((f) => /UID:(\S+)/.exec(fs.readFileSync(path.join(dir, 'b', f), 'utf8'))![1]),
        );
        assert.equal(uids.size, N, 'every event once in b');
        const plan = await api(second.url, 'POST', '/api/v1/links/b/plan', { token });
        assert.equal(plan.body.plan.actions.filter((a: { op: string }) => a.op !== 'record').length, 0, 'nothing left to do');
        const runs = (await api(second.url, 'GET', '/api/v1/runs?limit=50', { token })).body.runs as {
          status: string;
          errors: { error: { code: string } }[];
        }[];
        assert.ok(
          runs.some((r) => r.errors.some((e) => e.error.code === 'RUN_ABORTED')),
          'the interrupted run says why',
        );
      } finally {
        assert.equal(await second.stop(), 0);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
