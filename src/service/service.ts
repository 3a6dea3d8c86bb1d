/**
 * The long-lived service behind `timebridge serve` and `timebridge worker`: the store,
 * the catalog of connections and links, the job queue (SQLite file or pg-boss), the
 * scheduler, webhook intake and metrics, wired once. Runs only ever happen as queue
 * jobs, so per-link exclusion, retries and dead-lettering apply to every trigger alike.
 */
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { Catalog, type ConnectorWrapper } from '../app/catalog.js';
import type { ServeConfig } from '../app/config-schema.js';
import type { LoadedConfig } from '../app/config.js';
import { openStore, postgresUrl, type OpenedStore } from '../app/compose.js';
import { secretBoxFromEnv, type SecretBox } from '../app/secret-box.js';
import { TimebridgeError, isTimebridgeError } from '../core/errors.js';
import { runLink } from '../runtime/run-link.js';
import { linkIdOf, linkNameOf, type RunDeps } from '../runtime/types.js';
import type { JobHandler, JobQueue } from './jobs/types.js';
import { createMetrics, type Metrics } from './metrics.js';
import { counted, rateLimited, tokenBucket } from './rate-limit.js';
import { PushChannels } from './push-channels.js';
import { Scheduler } from './scheduler.js';
import { ReplayGuard } from './webhooks.js';
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
  scheduler: Scheduler | null;
  /** Queue a run of a link after the webhook grace period; bursts fold into one run. */
  notifyWebhook(linkName: string, receivedAt: Date): Promise<{ jobId: string; folded: boolean }>;
  /** Queue a run now (API, CLI). */
  enqueueRun(linkName: string, opts: { trigger: string; full?: boolean; allowDeletes?: boolean; window?: { start: string; end: string } }): Promise<{ jobId: string; folded: boolean }>;
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
  /** Fire the links' cron schedules in this process (default: serve.scheduler). */
  scheduler?: boolean;
  clock?: () => Date;
}

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

export async function openService(loaded: LoadedConfig, opts: ServiceOptions): Promise<Service> {
  const clock = opts.clock ?? (() => new Date());
  const serve = loaded.config.serve;
  const box = secretBoxFromEnv(opts.env);
  const store = await openStore(loaded, opts.env);
  let queue: JobQueue | null = null;
  const metrics = createMetrics(() => queue);
  // One bucket per connection: the links of one account (several calendars, Kimai kinds) share its limit.
  const buckets = new Map<string, { spec: string; limiter: ReturnType<typeof tokenBucket> }>();
  const wrap: ConnectorWrapper = (c, { connection, common }) => {
    const events = { onCall: () => metrics.apiCall(connection), onWait: (ms: number) => metrics.rateLimitWait(connection, ms) };
    const limit = common.rateLimit ?? c.manifest.rateLimit;
    if (!limit) return counted(c, events);
    const spec = `${limit.requests}/${limit.perSeconds}`;
    let bucket = buckets.get(connection);
    if (!bucket || bucket.spec !== spec) buckets.set(connection, bucket = { spec, limiter: tokenBucket(limit) });
    return rateLimited(c, bucket.limiter, events);
  };
  const catalog = new Catalog(store, loaded, box, wrap, clock, {
    env: opts.env, dataRoot: serve.dataRoot ? path.resolve(loaded.baseDir, serve.dataRoot) : null, outbound: outboundGuard(serve.outbound ?? {}),
  });
  try {
    await catalog.syncFileDefinitions();
    await catalog.assertSecretsReadable();
    queue = await openQueue(loaded, opts.env, serve, opts.logger);
    await queue.start();
  } catch (err) {
    await queue?.close().catch(() => undefined);
    await catalog.close();
    await store.close();
    throw err;
  }
  const q = queue;
  const log = opts.logger;
  const scheduler = (opts.scheduler ?? serve.scheduler)
    ? new Scheduler(q, (link, err) => log.error({ link, err: describe(err) }, 'could not queue a scheduled run'))
    : null;
  const pendingHooks = new Map<string, { jobId: string; runAt: number }>();
  let channelsStarted = false;
  const channels = scheduler && serve.publicUrl ? new PushChannels(catalog, serve.publicUrl, log) : null;

  const handler: JobHandler = async (job, ctx) => {
    const name = linkNameOf(job.data.linkId);
    const view = await catalog.getLink(name);
    if (!view) throw new TimebridgeError('LINK_UNKNOWN', `link ${name} no longer exists`, { hint: 'nothing to do: the job can be deleted' });
    if (!view.enabled) return { skipped: 'the link is disabled' };
    const link = await catalog.linkSpec(view);
    const deps: RunDeps = { store, clock, signal: ctx.signal, ...(store.lockLink ? { lockLink: store.lockLink.bind(store) } : {}) };
    const result = await runLink(link, deps, { trigger: job.data.trigger, full: job.data.full ?? false, allowDeletes: job.data.allowDeletes ?? false, ...(job.data.window ? { window: job.data.window } : {}) })
      .catch((err: unknown) => { metrics.runFailed(link.id, err); throw err; });
    metrics.recordRun(result.run);
    if (job.data.receivedAt) metrics.webhookToDone((clock().getTime() - Date.parse(job.data.receivedAt)) / 1000);
    log.info({ link: name, run: result.run.id, status: result.run.status, counts: result.run.counts, trigger: job.data.trigger }, 'run finished');
    // What this run wrote into the hub must reach the other links of its scope.
    if (result.hubWrites > 0) {
      for (const other of await catalog.listLinks()) {
        if (other.name === name || !other.enabled || other.config.scope !== link.scope) continue;
        await q.enqueue({ linkId: linkIdOf(other.name), trigger: `hub-change:${name}`, ...(job.data.receivedAt ? { receivedAt: job.data.receivedAt } : {}) },
          { dedupeKey: `hub-change:${linkIdOf(other.name)}` });
      }
    }
    const retryable = result.run.errors.find((e) => e.error.kind === 'transient' || e.error.kind === 'rate_limited');
    if (result.run.status === 'partial' && retryable) {
      throw new TimebridgeError('CONNECTOR_TRANSIENT', `run ${result.run.id}: ${result.run.errors.length} items failed (${retryable.error.message}); trying again`, { hint: 'the failed items are retried with backoff' });
    }
    return { runId: result.run.id, status: result.run.status, worker: WORKER };
  };

  const service: Service = {
    loaded, env: opts.env, serve, store, catalog, queue: q, metrics, logger: log, box, clock, replay: new ReplayGuard(), scheduler,
    async notifyWebhook(linkName, receivedAt) {
      const linkId = linkIdOf(linkName);
      const pending = pendingHooks.get(linkId);
      // Inside the grace period the queued run will see this change too: no store write needed.
      if (pending && Date.now() < pending.runAt - 25) return { jobId: pending.jobId, folded: true };
      const r = await q.enqueue({ linkId, trigger: 'webhook', receivedAt: receivedAt.toISOString() }, { delayMs: serve.webhookGraceMs, dedupeKey: `webhook:${linkId}` });
      if (!r.folded) pendingHooks.set(linkId, { jobId: r.id, runAt: Date.now() + serve.webhookGraceMs });
      return { jobId: r.id, folded: r.folded };
    },
    async enqueueRun(linkName, o) {
      const r = await q.enqueue({ linkId: linkIdOf(linkName), trigger: o.trigger, ...(o.full ? { full: true } : {}), ...(o.allowDeletes ? { allowDeletes: true } : {}), ...(o.window ? { window: o.window } : {}) });
      return { jobId: r.id, folded: r.folded };
    },
    async refreshSchedules() {
      if (!scheduler) return;
      const schedules = [];
      for (const l of await catalog.listLinks()) {
        const schedule = l.enabled ? await catalog.scheduleOf(l) : null;
        if (schedule) schedules.push({ name: l.name, schedule });
      }
      scheduler.reload(schedules);
      if (channelsStarted) await channels?.reload();
    },
    async startChannels() {
      channelsStarted = true;
      await channels?.reload();
    },
    channels: () => channels?.list() ?? [],
    async startWorkers(concurrency = serve.concurrency) {
      await q.work(handler, { concurrency });
    },
    async stop(graceMs = serve.shutdownGraceMs) {
      scheduler?.stop();
      await channels?.stop();
      await q.stop({ graceMs });
      await q.close();
      await catalog.close();
      await store.close();
    },
  };
  await service.refreshSchedules();
  return service;
}

/** Which process ran a job, for operators reading the job list. */
const WORKER = `${os.hostname()}:${process.pid}`;

function describe(err: unknown): { code: string; message: string } {
  return isTimebridgeError(err) ? { code: err.code, message: err.message } : { code: 'BUG', message: String(err) };
}
