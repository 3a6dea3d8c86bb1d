/**
 * `timebridge status`'s line on the approval outbox (app/approval-outbox.ts): approvals
 * whose form or e-mail failed and wait for their next try, and dead ones, read from the
 * service's SQLite job queue beside the hub file (read only: the queue is not started,
 * so a running service's jobs are left as they are). On PostgreSQL the queue is pg-boss's;
 * the line points at the API.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LoadedConfig } from '../../app/config.js';

export async function approvalOutboxLine(loaded: LoadedConfig): Promise<string | null> {
  if (!loaded.config.attendance?.approvals) return null;
  const s = loaded.config.store;
  if (s.type !== 'sqlite') return 'approval outbox: failed approvals are listed by GET /api/v1/jobs (linkId outbox:approval:…)';
  const hub = path.resolve(loaded.baseDir, s.path);
  const file = path.join(path.dirname(hub), `${path.basename(hub, path.extname(hub))}.jobs.sqlite`);
  if (!fs.existsSync(file)) return null;
  const { openSqliteQueue } = await import('../../service/jobs/sqlite-queue.js');
  const q = openSqliteQueue(file);
  try {
    const jobs = [...(await q.list({ state: 'dead', limit: 1000 })), ...(await q.list({ state: 'queued', limit: 1000 }))].filter((j) => j.data.approval);
    const dead = jobs.filter((j) => j.state === 'dead');
    const retrying = jobs.filter((j) => j.state === 'queued' && j.lastError);
    if (!dead.length && !retrying.length) return 'approval outbox: nothing failing';
    const first = (dead[0] ?? retrying[0])!;
    return [
      `approval outbox: ${retrying.length} approval e-mails waiting to retry, ${dead.length} dead`,
      `  first: job ${first.id} (reservation ${first.data.approval!.reservationId}): ${first.lastError!.code}: ${first.lastError!.message}`,
      `  list them: GET /api/v1/jobs; try a dead one again: POST /api/v1/jobs/{id}/retry`,
    ].join('\n');
  } finally {
    await q.close();
  }
}
