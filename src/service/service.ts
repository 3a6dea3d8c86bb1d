/**
 * The long-lived service behind `timebridge serve` and `timebridge worker`: the store,
 * the catalog of connections and links, the job queue (SQLite file or pg-boss), the
 * leadership (which process fires the schedules and keeps push channels), webhook intake
 * and metrics, wired once. Runs only ever happen as queue jobs, so per-link exclusion,
 * retries and dead-lettering apply to every trigger alike.
 */
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { AttendanceBook } from '../app/attendance-book.js';
import { Catalog, type ConnectorWrapper } from '../app/catalog.js';
import type { ServeConfig } from '../app/config-schema.js';
import type { LoadedConfig } from '../app/config.js';
import { openStore, postgresUrl, type OpenedStore } from '../app/compose.js';
import { secretBoxFromEnv, type SecretBox } from '../app/secret-box.js';
import { TimebridgeError, isTimebridgeError } from '../core/errors.js';
import { RecordAccess } from '../app/record-access.js';
import { ApprovalOutbox } from '../app/approval-outbox.js';
import { openChat, type ChatSide } from '../app/chat.js';
import { LinkTemplates } from '../app/link-templates.js';
import type { HubRecord } from '../core/model.js';
import { HubRecords } from '../runtime/records.js';
import { runLink } from '../runtime/run-link.js';
import { linkIdOf, linkNameOf, type RunDeps } from '../runtime/types.js';
import type { JobHandler, JobQueue } from './jobs/types.js';
import { LeaderDuties } from './leader-duties.js';
import { soleLeader, type Leadership } from './leadership.js';
import { createMetrics, type Metrics } from './metrics.js';
import { counted, httpMetrics } from './rate-limit.js';
import { PushChannels } from './push-channels.js';
import { Scheduler, type ScheduledLink } from './scheduler.js';
import { PendingStates } from './oauth-states.js';
import { ReplayGuard } from './webhooks.js';
import { RunEvents } from './run-events.js';
import { TimerCues } from './timer-cues.js';
import { TimerEvents } from './timer-events.js';
import { isWrite, type Plan } from '../core/plan-types.js';
import { outboundGuard } from '../connectors/kit/outbound-policy.js';

export interface Service {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  serve: ServeConfig;
  store: OpenedStore;
  catalog: Catalog;
  queue: JobQueue;
  metrics: Metrics;
  logger: Logger;
  box: SecretBox | null;
  clock: () => Date;
  replay: ReplayGuard;
  /** OAuth sign-ins under way, in the store so any process can complete one. */
  oauthStates: PendingStates;
  scheduler: Scheduler | null;
  /** Whether this process leads now: fires the schedules and keeps the push channels. */
  isLeader(): boolean;
  /** This process as job results and the leadership connection name it: `<host>:<pid>`. */
  instance: string;
  /** Queue a run of a link after the webhook grace period (or `o.graceMs`); bursts fold into one run. */
  notifyWebhook(linkName: string, receivedAt: Date, o?: { graceMs?: number; trigger?: string }): Promise<{ jobId: string; folded: boolean }>;
  /** Queue a run now (API, CLI). */
  enqueueRun(
    linkName: string,
    opts: {
      trigger: string;
      full?: boolean;
      allowDeletes?: boolean;
      retryParked?: boolean;
      window?: { start: string; end: string };
      only?: string[];
      expect?: Plan;
    },
  ): Promise<{ jobId: string; folded: boolean }>;
  /** Progress of the runs this process executes (the dashboard's live view). */
  events: RunEvents;
  /** Office attendance's offices and manual users in force (app/attendance-book.ts); absent without an `attendance:` block. */
  attendance?: AttendanceBook;
  /** Hub records people change (the records API, timers, timesheets, the month lock). */
  records: HubRecords;
  /** Who may see and change which hub records. */
  access: RecordAccess;
  /** Timer starts and stops in this process, for notices. */
  timerEvents: TimerEvents;
  /** Timers cued by webhooks (a GitHub assignment): checked at receipt, started by a job. */
  timerCues: TimerCues;
  /** Approval forms and e-mail (app/approval-outbox.ts): queue the outbox job of a reservation just approved (null: the config does not ask for one). */
  approvals: { queue(reservation: HubRecord, via: 'calendar' | 'api', creatorEmail?: string): Promise<{ jobId: string } | null> };
  /** A hub record of this scope changed outside any run: queue the scope's enabled links, so the change reaches them (folded per link). */
  hubChanged(scope: string, trigger: string): Promise<{ link: string; jobId: string; folded: boolean }[]>;
  /** `/tt`, notices and daily summaries of the chat (Slack) connections. */
  chat: ChatSide;
  /** The config's link templates (app/link-templates.ts). */
  templates: LinkTemplates;
  /** Queue a template's expansion and then a run of each of its enabled links (only the collection `key`'s, when given). */
  runTemplate(name: string, o: { key?: string; trigger: string }): Promise<{ jobId: string; folded: boolean }>;
  /** Re-read the links' schedules (after the API changed a link). */
  refreshSchedules(): Promise<void>;
  /** Open the push channels (once the server listens, so their first notification is answered). */
  startChannels(): Promise<void>;
  /** Open push channels by link. */
  channels(): { link: string; expiresAt: string }[];
  startWorkers(concurrency?: number): Promise<void>;
  /** Stop taking jobs, let running ones finish within the grace period, close everything. */
  stop(graceMs?: number): Promise<void>;
}

export interface ServiceOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Campaign to lead: fire the links' cron schedules and keep push channels while leading (default: serve.scheduler). */
  scheduler?: boolean;
  clock?: () => Date;
  /** How often a process that does not lead tries to (and the leader checks its lock); default 2 s. */
  leaderRetryMs?: number;
}

/** While leading, the schedules are re-read this often, so links changed through another process reach them. */
const SCHEDULE_REFRESH_MS = 30_000;

async function openQueue(loaded: LoadedConfig, env: NodeJS.ProcessEnv, serve: ServeConfig, logger: Logger): Promise<JobQueue> {
  const s = loaded.config.store;
  const opts = { maxAttempts: serve.maxAttempts, onError: (err: unknown) => logger.error({ err: describe(err) }, 'job queue storage error; retrying') };
  if (s.type === 'sqlite') {
    const { openSqliteQueue } = await import('./jobs/sqlite-queue.js');
    const hub = path.resolve(loaded.baseDir, s.path);
    return openSqliteQueue(path.join(path.dirname(hub), `${path.basename(hub, path.extname(hub))}.jobs.sqlite`), opts);
  }
  const { openPgBossQueue } = await import('./jobs/pgboss-queue.js');
  return openPgBossQueue({ url: postgresUrl(s, env), schema: s.schema === 'public' ? 'timebridge_jobs' : `${s.schema}_jobs`, ...opts });
}

async function openLeadership(loaded: LoadedConfig, env: NodeJS.ProcessEnv, logger: Logger, retryMs: number): Promise<Leadership> {
  const s = loaded.config.store;
  // One process per SQLite hub: it leads.
  if (s.type === 'sqlite') return soleLeader();
  const { openPgLeadership } = await import('./pg-leadership.js');
  return openPgLeadership({ url: postgresUrl(s, env), schema: s.schema, instance: WORKER, retryMs, log: logger.child({ instance: WORKER }) });
}

export async function openService(loaded: LoadedConfig, opts: ServiceOptions): Promise<Service> {
  const clock = opts.clock ?? (() => new Date());
  const serve = loaded.config.serve;
  const box = secretBoxFromEnv(opts.env);
  const store = await openStore(loaded, opts.env);
  let queue: JobQueue | null = null;
  const metrics = createMetrics(() => queue);
  // Connector calls are counted here; HTTP requests are paced per account, and retried, in the connectors' HTTP clients.
  const wrap: ConnectorWrapper = (c, { connection }) => counted(c, { onCall: () => metrics.apiCall(connection) });
  const http = {
    events: (connection: string) => httpMetrics(metrics, connection, (e) => opts.logger.info({ connection, ...e }, 'retrying an HTTP request')),
  };
  const catalog = new Catalog(store, loaded, box, wrap, clock, {
    env: opts.env,
    dataRoot: serve.dataRoot ? path.resolve(loaded.baseDir, serve.dataRoot) : null,
    outbound: outboundGuard(serve.outbound ?? {}),
    http,
  });
  // Every process (a worker too) takes the attendance sheet's last good config from the store.
  const attendance = loaded.config.attendance ? new AttendanceBook(loaded.config.attendance, catalog, opts.logger, clock) : undefined;
  if (attendance) {
    catalog.linkOverlay = attendance.overlay;
    catalog.linkOverlayLoad = () => attendance.loadStored();
    catalog.linkDisabledReason = attendance.disabledReason;
  }
  const candidate = opts.scheduler ?? serve.scheduler;
  let leadership: Leadership | null = null;
  try {
    await catalog.syncFileDefinitions();
    await catalog.assertSecretsReadable();
    queue = await openQueue(loaded, opts.env, serve, opts.logger);
    await queue.start();
    if (candidate) leadership = await openLeadership(loaded, opts.env, opts.logger, opts.leaderRetryMs ?? 2000);
  } catch (err) {
    await queue?.close().catch(() => undefined);
    await catalog.close();
    await store.close();
    throw err;
  }
  const q = queue;
  const log = opts.logger;
  const scheduler = leadership
    ? new Scheduler(
        q,
        (link, err) => log.error({ link, err: describe(err) }, 'could not queue a scheduled run'),
        (link, folded) => metrics.scheduleTick(link, folded),
      )
    : null;
  const pendingHooks = new Map<string, { jobId: string; runAt: number }>();
  const channels = scheduler && serve.publicUrl ? new PushChannels(catalog, serve.publicUrl, log) : null;
  const duties =
    leadership && scheduler
      ? new LeaderDuties({
          leadership,
          scheduler,
          channels,
          log,
          refreshMs: SCHEDULE_REFRESH_MS,
          schedules: async () => [...(await scheduledLinks(catalog)), ...templateSchedules(templates)],
          onChange: (leader) => metrics.leading(leader),
        })
      : null;

  const events = new RunEvents();
  const approvals = new ApprovalOutbox(store, loaded.config.attendance, opts.env, clock);
  const records = new HubRecords(store, clock);
  const timerEvents = new TimerEvents();
  const timerCues = new TimerCues({ store, records, catalog, events: timerEvents, log: opts.logger, clock, graceMs: serve.webhookGraceMs });
  const templates = new LinkTemplates(catalog, loaded.config.linkTemplates, clock);
  const chat = openChat({
    store,
    timekeeping: { store, records },
    catalog,
    queue: q,
    events: timerEvents,
    clock,
    log,
    hubChanged: (scope, trigger) => service.hubChanged(scope, trigger),
  });
  scheduler?.addDuty({ name: 'chat-daily-summaries', schedule: '* * * * *', run: () => chat.outbox.tick(clock()) });
  const handler: JobHandler = async (job, ctx) => {
    if (job.data.approval) return approvals.process(job.data.approval);
    if (job.data.chat) return chat.outbox.process(job.data.chat);
    if (job.data.timerCue) return timerCues.process(job.data.timerCue);
    if (job.data.template) return runTemplateJob(job.data.template, job.data.trigger);
    const name = linkNameOf(job.data.linkId);
    events.emit({ type: 'started', link: name, jobId: job.id, trigger: job.data.trigger });
    try {
      return await runJob(job, ctx);
    } catch (err) {
      const e = describe(err);
      events.emit({ type: 'failed', link: name, jobId: job.id, code: e.code, message: e.message });
      throw err;
    }
  };
  /** Expand the template, then queue one job per derived link: each runs alone, under the link's own lock, like any link. */
  const runTemplateJob = async (t: { name: string; key?: string }, trigger: string) => {
    const r = await templates.reconcile(t.name);
    log.info({ template: t.name, created: r.created, enabled: r.enabled, disabled: r.disabled, problems: r.problems }, 'link template expanded');
    // New or disabled links change which schedules the leader keeps.
    if (r.created.length || r.enabled.length || r.disabled.length) await duties?.refresh();
    const links = (await catalog.listLinks()).filter(
      (l) => l.derived?.template === t.name && l.enabled && (t.key === undefined || l.derived.key === t.key || l.derived.name === t.key),
    );
    if (t.key !== undefined && !links.length)
      throw new TimebridgeError('LINK_UNKNOWN', `template ${t.name} has no enabled link of collection ${t.key}`, {
        hint: 'check the key (GET /api/v1/links shows each derived link with its key), and that the collection is active and let in by forEach',
      });
    const queued: string[] = [];
    for (const l of links) {
      await q.enqueue({ linkId: linkIdOf(l.name), trigger: `template:${t.name}:${trigger}`, full: true }, { dedupeKey: `template-run:${linkIdOf(l.name)}` });
      queued.push(l.name);
    }
    return { template: t.name, created: r.created, enabled: r.enabled, disabled: r.disabled.map((d) => d.name), problems: r.problems, queued };
  };
  const runJob: JobHandler = async (job, ctx) => {
    const name = linkNameOf(job.data.linkId);
    const view = await catalog.getLink(name);
    if (!view) throw new TimebridgeError('LINK_UNKNOWN', `link ${name} no longer exists`, { hint: 'nothing to do: the job can be deleted' });
    if (!view.enabled) return { skipped: 'the link is disabled' };
    const link = await catalog.linkSpec(view);
    const deps: RunDeps = {
      store,
      clock,
      signal: ctx.signal,
      onProgress: (p) => events.emit({ type: 'progress', link: name, phase: p.phase, done: p.done, total: p.total }),
      ...(store.lockLink ? { lockLink: store.lockLink.bind(store) } : {}),
    };
    const result = await runLink(link, deps, {
      trigger: job.data.trigger,
      full: job.data.full ?? false,
      allowDeletes: job.data.allowDeletes ?? false,
      ...(job.data.retryParked ? { retryParked: true } : {}),
      ...(job.data.window ? { window: job.data.window } : {}),
      ...(job.data.only ? { only: job.data.only } : {}),
      ...(job.data.expect ? { expect: job.data.expect } : {}),
    }).catch((err: unknown) => {
      metrics.runFailed(link.id, err);
      throw err;
    });
    metrics.recordRun(result.run);
    const planned = ((result.run.plan as unknown as Plan | null)?.actions ?? []).filter(isWrite).length;
    events.emit({
      type: 'finished',
      link: name,
      jobId: job.id,
      runId: result.run.id,
      status: result.run.status,
      planned,
      applied: Math.max(0, planned - result.run.errors.length - (result.run.counts.parked ?? 0)),
      failed: result.run.errors.length,
    });
    if (job.data.receivedAt) metrics.webhookToDone((clock().getTime() - Date.parse(job.data.receivedAt)) / 1000);
    log.info({ link: name, run: result.run.id, status: result.run.status, counts: result.run.counts, trigger: job.data.trigger }, 'run finished');
    // What this run wrote into the hub must reach the other links of its scope, and reservations it approved get their form and e-mail.
    if (result.hubWrites > 0) await approvals.queueFromRun(q, store, result.run.id);
    if (result.hubWrites > 0) {
      for (const other of await catalog.listLinks()) {
        if (other.name === name || !other.enabled || other.config.scope !== link.scope) continue;
        await q.enqueue(
          { linkId: linkIdOf(other.name), trigger: `hub-change:${name}`, ...(job.data.receivedAt ? { receivedAt: job.data.receivedAt } : {}) },
          { dedupeKey: `hub-change:${linkIdOf(other.name)}` },
        );
      }
    }
    const retryable = result.run.errors.find((e) => e.error.kind === 'transient' || e.error.kind === 'rate_limited');
    if (result.run.status === 'partial' && retryable) {
      throw new TimebridgeError(
        'CONNECTOR_TRANSIENT',
        `run ${result.run.id}: ${result.run.errors.length} items failed (${retryable.error.message}); trying again`,
        { hint: 'the failed items are retried with backoff' },
      );
    }
    return { runId: result.run.id, status: result.run.status, worker: WORKER };
  };

  const service: Service = {
    loaded,
    env: opts.env,
    serve,
    store,
    catalog,
    queue: q,
    metrics,
    logger: log,
    box,
    clock,
    replay: new ReplayGuard(store),
    oauthStates: new PendingStates(store, clock),
    scheduler,
    events,
    records,
    timerEvents,
    timerCues,
    chat,
    ...(attendance ? { attendance } : {}),
    access: new RecordAccess(store, catalog.scopes),
    approvals: {
      queue: (reservation, via, creatorEmail) => approvals.queue(q, reservation, via, creatorEmail),
    },
    async hubChanged(scope, trigger) {
      const out: { link: string; jobId: string; folded: boolean }[] = [];
      for (const l of await catalog.listLinks()) {
        if (!l.enabled || l.config.scope !== scope) continue;
        const r = await q.enqueue({ linkId: linkIdOf(l.name), trigger }, { dedupeKey: `hub-change:${linkIdOf(l.name)}` });
        out.push({ link: l.name, jobId: r.id, folded: r.folded });
      }
      return out;
    },
    isLeader: () => duties?.isLeader ?? false,
    instance: WORKER,
    async notifyWebhook(linkName, receivedAt, o = {}) {
      const linkId = linkIdOf(linkName);
      const graceMs = o.graceMs ?? serve.webhookGraceMs;
      const pending = pendingHooks.get(linkId);
      // Inside the grace period the queued run will see this change too: no store write needed.
      if (pending && Date.now() < pending.runAt - 25) return { jobId: pending.jobId, folded: true };
      const r = await q.enqueue(
        { linkId, trigger: o.trigger ?? 'webhook', receivedAt: receivedAt.toISOString() },
        { delayMs: graceMs, dedupeKey: `webhook:${linkId}` },
      );
      if (!r.folded) pendingHooks.set(linkId, { jobId: r.id, runAt: Date.now() + graceMs });
      return { jobId: r.id, folded: r.folded };
    },
    async enqueueRun(linkName, o) {
      const r = await q.enqueue({
        linkId: linkIdOf(linkName),
        trigger: o.trigger,
        ...(o.full ? { full: true } : {}),
        ...(o.allowDeletes ? { allowDeletes: true } : {}),
        ...(o.retryParked ? { retryParked: true } : {}),
        ...(o.window ? { window: o.window } : {}),
        ...(o.only ? { only: o.only } : {}),
        ...(o.expect ? { expect: o.expect } : {}),
      });
      return { jobId: r.id, folded: r.folded };
    },
    templates,
    async runTemplate(name, o) {
      templates.get(name);
      const key = o.key ?? '*';
      const r = await q.enqueue(
        { linkId: `template:${name}`, trigger: o.trigger, template: { name, ...(o.key !== undefined ? { key: o.key } : {}) } },
        { dedupeKey: `template:${name}:${key}` },
      );
      return { jobId: r.id, folded: r.folded };
    },
    async refreshSchedules() {
      await duties?.refresh();
    },
    async startChannels() {
      await duties?.startChannels();
    },
    channels: () => channels?.list() ?? [],
    async startWorkers(concurrency = serve.concurrency) {
      await q.work(handler, { concurrency });
    },
    async stop(graceMs = serve.shutdownGraceMs) {
      // Stops the schedules and channels, then releases the lead, so another process takes over at once.
      await duties?.stop();
      await q.stop({ graceMs });
      await q.close();
      await catalog.close();
      await store.close();
    },
  };
  await duties?.start();
  // On start, a process that may lead expands each template and runs its links (folded with another process's by the dedupe key).
  if (candidate) for (const name of Object.keys(templates.templates)) await service.runTemplate(name, { trigger: 'start' });
  return service;
}

/** Each template expands and runs its links on its own schedule (daily by default). */
function templateSchedules(templates: LinkTemplates): ScheduledLink[] {
  return Object.entries(templates.templates).map(([name, t]) => ({
    name: `template:${name}`,
    schedule: t.schedule,
    job: { linkId: `template:${name}`, trigger: 'schedule', template: { name } },
  }));
}

/** The enabled links that have a schedule (their own or their connector's default). */
async function scheduledLinks(catalog: Catalog): Promise<ScheduledLink[]> {
  const schedules: ScheduledLink[] = [];
  for (const l of await catalog.listLinks()) {
    const schedule = l.enabled ? await catalog.scheduleOf(l) : null;
    if (schedule) schedules.push({ name: l.name, schedule });
  }
  return schedules;
}

/** Which process ran a job, for operators reading the job list. */
const WORKER = `${os.hostname()}:${process.pid}`;

function describe(err: unknown): { code: string; message: string } {
  return isTimebridgeError(err) ? { code: err.code, message: err.message } : { code: 'BUG', message: String(err) };
}
