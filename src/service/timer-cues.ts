/**
 * Timers from webhooks (issue 21): a delivery's timer cue (an issue assigned on GitHub)
 * starts the assignee's timer on the task the issue is linked to, for connections whose
 * entry says so (`autoStartTimer`). At receipt the cue is checked — the connection wants
 * it, a link of the connection takes the item's kind, a person of the link's scope carries
 * the login — and what cannot be done is reported in the webhook's answer and the log, never
 * refused. The rest becomes a job (`RunJobData.timerCue`), delayed past the webhook's run so
 * the task exists; until the link has made it, the job fails as transient and the queue
 * tries again. Starting stops the person's running timer first (runtime/timers.ts); a timer
 * already running on the task is left alone, so a job tried twice starts it once.
 */
import type { Logger } from 'pino';
import type { Catalog } from '../app/catalog.js';
import { linkMapping } from '../app/link-mapping.js';
import { CONNECTORS } from '../connectors/registry.js';
import type { TimerCue } from '../connectors/kit/webhooks.js';
import { TimebridgeError } from '../core/errors.js';
import type { HubRecord } from '../core/model.js';
import type { HubRecords } from '../runtime/records.js';
import { runningTimer, startTimer } from '../runtime/timers.js';
import { linkIdOf } from '../runtime/types.js';
import type { HubStore } from '../store/types.js';
import type { TimerEvents } from './timer-events.js';

/** What a timer-cue job carries. */
export interface TimerCueJob {
  connection: string;
  link: string;
  personId: string;
  cue: TimerCue;
}

/** What the webhook's answer says of each cue. */
export type CueReport = { cue: string; login: string; queued: string; jobId: string } | { cue: string; login: string; skipped: string };

interface Queue {
  enqueue(
    data: { linkId: string; trigger: string; timerCue: TimerCueJob },
    opts?: { delayMs?: number; dedupeKey?: string },
  ): Promise<{ id: string; folded: boolean }>;
}

export interface TimerCueDeps {
  store: HubStore;
  records: HubRecords;
  catalog: Catalog;
  events: TimerEvents;
  log: Logger;
  clock: () => Date;
  /** The webhook's run waits this long; the cue waits a little longer. */
  graceMs: number;
}

/** The live persons of a scope whose field holds this value (any case). */
async function personsBy(store: HubStore, scope: string, cue: TimerCue): Promise<HubRecord[]> {
  const want = cue.person.value.toLowerCase();
  return (await store.listScope(scope, 'person')).filter((p) => {
    const v = p.fields[cue.person.field];
    return !p.tombstone && typeof v === 'string' && v.toLowerCase() === want;
  });
}

export class TimerCues {
  constructor(private readonly deps: TimerCueDeps) {}

  /** Queue what can be done of a delivery's cues; report each. */
  async receive(q: Queue, connection: string, delivery: string, cues: TimerCue[]): Promise<CueReport[]> {
    const out: CueReport[] = [];
    for (const [n, cue] of cues.entries()) {
      // A cue that cannot be checked or queued is reported; the delivery is accepted all the same (its runs are queued).
      const r = await this.receiveOne(q, connection, `${delivery}:${n}`, cue).catch((err: unknown): CueReport => ({
        cue: cue.label,
        login: cue.person.value,
        skipped: `could not queue the timer: ${err instanceof Error ? err.message : String(err)}`,
      }));
      if ('skipped' in r) this.deps.log.warn({ connection, cue: cue.label, login: cue.person.value, skipped: r.skipped }, 'timer cue skipped');
      out.push(r);
    }
    return out;
  }

  private async receiveOne(q: Queue, connection: string, key: string, cue: TimerCue): Promise<CueReport> {
    const base = { cue: cue.label, login: cue.person.value };
    const conn = await this.deps.catalog.connectionSettings(connection);
    const entry = CONNECTORS[conn.type];
    if (!entry?.startsTimers?.(conn.settings)) return { ...base, skipped: `autoStartTimer is off for connection ${connection}` };
    const links = (await this.deps.catalog.listLinks()).filter((l) => {
      if (!l.enabled || l.config.connection !== connection) return false;
      const m = linkMapping(entry, conn.type, l.config);
      return typeof m !== 'string' && m.externalKind === cue.externalKind && m.hubKind === 'task';
    });
    if (!links.length) return { ...base, skipped: `no enabled link of connection ${connection} takes ${cue.externalKind}s into tasks` };
    for (const link of links) {
      const found = await personsBy(this.deps.store, link.config.scope, cue);
      if (found.length !== 1) continue;
      const job: TimerCueJob = { connection, link: link.name, personId: found[0]!.id, cue };
      const r = await q.enqueue(
        { linkId: `cue:timer:${connection}:${key}`, trigger: `webhook:${conn.type}`, timerCue: job },
        { delayMs: this.deps.graceMs + 1000, dedupeKey: `timer-cue:${connection}:${key}` },
      );
      return { ...base, queued: `start the timer of person ${found[0]!.id} on ${cue.label}`, jobId: r.id };
    }
    const scopes = [...new Set(links.map((l) => l.config.scope))].join(', ');
    return {
      ...base,
      skipped: `no single person of scope ${scopes} has ${cue.person.field} "${cue.person.value}": set it on the person to start their timers`,
    };
  }

  /** The job: start the person's timer on the task, once the link has made it. */
  async process(job: TimerCueJob): Promise<Record<string, unknown>> {
    const { store } = this.deps;
    const link = await this.deps.catalog.getLink(job.link);
    if (!link) return { skipped: `link ${job.link} no longer exists` };
    const scope = link.config.scope;
    const hubId = (await store.loadStatusIndex(linkIdOf(job.link))).find((k) => k.extId === job.cue.extId)?.hubId;
    const [task] = hubId ? await store.getRecords([hubId]) : [];
    if (!task || task.tombstone) {
      throw new TimebridgeError('CONNECTOR_TRANSIENT', `the task of ${job.cue.label} is not in the hub yet (link ${job.link} has not run since the webhook)`, {
        hint: 'the timer starts once the link has brought the issue in; the job is tried again',
      });
    }
    if (typeof task.fields.key !== 'string' || task.fields.key.toLowerCase() !== job.cue.taskKey.toLowerCase()) {
      return {
        skipped: `the item ${job.cue.extId} of link ${job.link} is task ${String(task.fields.key)}, not ${job.cue.taskKey} (a delivery about another repository?)`,
      };
    }
    const running = await runningTimer(store, scope, job.personId);
    if (running && running.fields.taskId === task.id) return { skipped: `the timer of person ${job.personId} already runs on ${job.cue.label}` };
    const origin = `webhook:${job.connection}`;
    const now = this.deps.clock();
    const summary = typeof task.fields.summary === 'string' ? ` ${task.fields.summary}` : '';
    const started = await startTimer(
      { store, records: this.deps.records },
      {
        scope,
        personId: job.personId,
        taskId: task.id,
        projectId: typeof task.fields.projectId === 'string' ? task.fields.projectId : null,
        description: `${job.cue.label}${summary}`,
        actor: { origin },
        now,
      },
    );
    if (started.stopped) this.deps.events.emit({ kind: 'stopped', scope, personId: job.personId, record: started.stopped.entry, origin });
    this.deps.events.emit({ kind: 'started', scope, personId: job.personId, record: started.timer, origin });
    this.deps.log.info({ connection: job.connection, cue: job.cue.label, person: job.personId, timer: started.timer.id }, 'timer started from an assignment');
    return { started: started.timer.id, personId: job.personId, taskId: task.id, stopped: started.stopped?.entry.id ?? null };
  }
}
