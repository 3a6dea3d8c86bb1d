/**
 * Several processes on one PostgreSQL database: `timebridge serve --no-worker` (API and
 * scheduler) plus two `timebridge worker` processes. 200 runs of 20 links are queued
 * through the API; every one runs exactly once, never two of one link at a time, and
 * both workers take part. A scheduled link fires from the scheduler process.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { adminQuery, freshSchemaName, needsPostgres, PG_URL } from '../support/postgres.js';
import { api, BIN, cleanEnv, event, startServe, tb, tempDir } from '../support/serve.js';

const LINKS = 20,
  RUNS = 200;

describe('two workers and a scheduler on PostgreSQL', await needsPostgres(), () => {
  const schema = freshSchemaName();
  const dir = tempDir('tb-pg-workers-');
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}_jobs" CASCADE`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs every queued run exactly once, one run per link at a time', async () => {
    let yaml = `store:\n  type: postgres\n  url: ${PG_URL}\n  schema: ${schema}\nserve:\n  concurrency: 3\nconnections:\n`;
    for (let i = 0; i < LINKS; i++) {
      fs.mkdirSync(path.join(dir, `f${i}`));
      fs.writeFileSync(path.join(dir, `f${i}`, 'x.ics'), event(`x${i}@test`, `Item ${i}`));
      yaml += `  f${i}:\n    type: ics-folder\n    path: f${i}\n`;
    }
    yaml += 'links:\n';
    for (let i = 0; i < LINKS; i++) yaml += `  l${i}:\n    connection: f${i}\n    scope: s${i}\n${i === 0 ? '    schedule: "* * * * * *"\n' : ''}`;
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml);

    const token = tb(dir, ['token', 'create', '--user', 'root', '--role', 'admin']);
    assert.equal(token.code, 0, token.stderr);
    const t = token.stdout.trim();
    const srv = await startServe(dir, ['--no-worker']);
    try {
      for (let w = 0; w < 2; w++) {
        const child = spawn(process.execPath, [BIN, 'worker'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
        child.stderr!.resume();
        children.push(child);
      }
      const jobIds: string[] = [];
      for (let r = 0; r < RUNS; r++) {
        const res = await api(srv.url, 'POST', `/api/v1/links/l${r % LINKS}/sync`, { token: t });
        assert.equal(res.status, 202, res.text);
        jobIds.push(res.body.jobId);
      }
      assert.equal(new Set(jobIds).size, RUNS, 'API runs are never folded together');
      const end = Date.now() + 120_000;
      let jobs: { id: string; state: string; result: { runId: string; worker: string } | null; data: { trigger: string } }[] = [];
      for (;;) {
        jobs = [];
        for (const id of jobIds) jobs.push((await api(srv.url, 'GET', `/api/v1/jobs/${id}`, { token: t })).body);
        if (jobs.every((j) => j.state === 'done')) break;
        assert.ok(
          Date.now() < end,
          `not all done: ${JSON.stringify(jobs.reduce<Record<string, number>>((a, j) => ({ ...a, [j.state]: (a[j.state] ?? 0) + 1 }), {}))}`,
        );
        await new Promise((r) => setTimeout(r, 500));
      }
      const runIds = jobs.map((j) => j.result!.runId);
      assert.equal(new Set(runIds).size, RUNS, 'each job made its own run');
      const workers = new Set(jobs.map((j) => j.result!.worker));
      assert.equal(workers.size, 2, `both workers ran jobs: ${[...workers].join(', ')}`);

      const runs = await adminQuery<{ id: string; link_id: string; started_at: string; finished_at: string; trigger: string; status: string }>(
        `SELECT id, link_id, started_at, finished_at, trigger, status FROM "${schema}".runs`,
      );
      const apiRuns = runs.filter((r) => r.trigger.startsWith('api:'));
      assert.equal(apiRuns.length, RUNS, 'exactly one run per queued job');
      assert.ok(
        apiRuns.every((r) => r.status === 'ok'),
        'every run ok',
      );
      const byLink = new Map<string, { s: number; e: number }[]>();
      for (const r of runs) {
        const list = byLink.get(r.link_id) ?? [];
        list.push({ s: Date.parse(r.started_at), e: Date.parse(r.finished_at) });
        byLink.set(r.link_id, list);
      }
      for (const [link, list] of byLink) {
        list.sort((a, b) => a.s - b.s);
        for (let i = 1; i < list.length; i++) assert.ok(list[i]!.s >= list[i - 1]!.e, `${link}: two runs overlapped`);
      }
      assert.ok(
        runs.some((r) => r.trigger === 'schedule' && r.link_id === 'link:l0'),
        'the scheduler fired l0',
      );
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
      assert.equal(await srv.stop(), 0);
    }
  });
});
