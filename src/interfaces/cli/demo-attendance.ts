/**
 * The office-attendance part of `timebridge demo`: an SMTP receiver that keeps each mail as
 * `mail/<n>.eml` in the workspace, the office's people and reservations made through the
 * hub's own operations (records, moffman's reservation desk), the approvals of a sync mailed
 * as the service's outbox would, and the summary lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { ApprovalOutbox, type OutboxQueue } from '../../app/approval-outbox.js';
import { AttendanceDesk } from '../../app/attendance-desk.js';
import type { App } from '../../app/compose.js';
import { DEMO_OFFICE_PEOPLE, DEMO_RESERVATIONS } from '../../app/demo-data.js';
import { personIdentity } from '../../core/fields/time-entry.js';
import { HubRecords } from '../../runtime/records.js';
import type { RunResult } from '../../runtime/run-link.js';

/** A local SMTP server (no TLS, no auth) writing every message it accepts to `<dir>/mail/<n>.eml`; the env override points the approvals' mail at it. */
export async function startMailReceiver(dir: string): Promise<{ env: Record<string, string>; folder: string; close: () => Promise<void> }> {
  const folder = path.join(dir, 'mail');
  fs.mkdirSync(folder, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const n = fs.readdirSync(folder).filter((f) => f.endsWith('.eml')).length + 1;
        // Written before the 250, so a mail the sender saw accepted is on disk.
        fs.writeFileSync(path.join(folder, `${String(n).padStart(3, '0')}.eml`), Buffer.concat(chunks));
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    env: { TIMEBRIDGE_ATTENDANCE__APPROVALS__MAIL__SMTP__HOST: '127.0.0.1', TIMEBRIDGE_ATTENDANCE__APPROVALS__MAIL__SMTP__PORT: String(port) },
    folder,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** The office's people (hub person records of the attendance scope) and the demo's reservations, booked as moffman's workflow would. */
export async function seedAttendance(app: App): Promise<string[]> {
  const cfg = app.config.config.attendance;
  if (!cfg) return [];
  const records = new HubRecords(app.store, app.clock);
  const actor = { origin: 'cli:demo' };
  for (const p of DEMO_OFFICE_PEOPLE) {
    const fields = { name: p.name, email: p.email, username: null, timeZone: 'Europe/Prague', active: true };
    if ((await app.store.findByIdentity(cfg.scope, 'person', personIdentity(fields)!)).some((r) => !r.tombstone)) continue;
    await records.create({ scope: cfg.scope, kind: 'person', fields, actor });
  }
  const desk = new AttendanceDesk(app.store, records, cfg, app.clock);
  const today = app.clock().toISOString().slice(0, 10);
  const lines: string[] = [];
  for (const r of DEMO_RESERVATIONS) {
    const start = addDays(today, r.fromDay);
    const name = DEMO_OFFICE_PEOPLE.find((p) => p.email === r.email)!.name;
    const { outcome } = await desk.reserve(actor, {
      user: { name, email: r.email },
      approved: r.approved,
      start,
      end: addDays(start, r.days),
      office_id: r.office,
    });
    lines.push(`${name}, ${r.office}, ${start} (${r.days} ${r.days === 1 ? 'day' : 'days'}, ${r.approved ? 'approved' : 'pending'}): ${outcome}`);
  }
  return lines;
}

/**
 * The approvals the sync's runs made (a manual event approved), formed and mailed now — what
 * the service's outbox jobs do after a run (app/approval-outbox.ts). The outbox's "mailed"
 * mark keeps a later service from mailing one again.
 */
export async function mailApprovals(app: App, results: RunResult[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const outbox = new ApprovalOutbox(app.store, app.config.config.attendance, env, app.clock);
  if (!outbox.config) return [];
  const jobs: Parameters<OutboxQueue['enqueue']>[0][] = [];
  const queue: OutboxQueue = {
    enqueue: async (data) => {
      jobs.push(data);
      return { id: data.linkId, folded: false };
    },
  };
  for (const r of results) if (r.hubWrites > 0) await outbox.queueFromRun(queue, app.store, r.run.id);
  const done: string[] = [];
  for (const job of jobs) {
    const out = await outbox.process(job.approval);
    done.push(`${job.approval.reservationId}: ${String(out.state ?? out.skipped)}${out.already ? ' (already mailed)' : ''}`);
  }
  return done;
}

/** The summary: each office with its reservations (person, days, state, whether its event is in the calendar). */
export async function attendanceSummary(app: App): Promise<string[]> {
  const cfg = app.config.config.attendance;
  if (!cfg) return [];
  const persons = new Map((await app.store.listScope(cfg.scope, 'person')).map((p) => [p.id, String(p.fields.name ?? p.fields.email)]));
  const reservations = (await app.store.listScope(cfg.scope, 'reservation')).filter((r) => !r.tombstone);
  const lines: string[] = [];
  for (const office of cfg.offices) {
    const mine = reservations
      .filter((r) => r.fields.office === office.id)
      .sort((a, b) => String(a.fields.firstDay).localeCompare(String(b.fields.firstDay)))
      .map((r) => {
        const days = r.fields.firstDay === r.fields.lastDay ? String(r.fields.firstDay) : `${String(r.fields.firstDay)}…${String(r.fields.lastDay)}`;
        return `${persons.get(String(r.fields.personId)) ?? String(r.fields.personId)} ${days} ${String(r.fields.state)} (via ${String(r.fields.source)})`;
      });
    lines.push(`office ${office.id} (${office.name ?? office.id}, calendar ${office.calendar}): ${mine.length ? mine.join('; ') : 'no reservations'}`);
  }
  return lines;
}
