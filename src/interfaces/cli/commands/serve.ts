/**
 * `timebridge serve` (HTTP API, webhooks, scheduler and workers in one process) and
 * `timebridge worker` (jobs only, for more processes on PostgreSQL). SIGTERM or SIGINT
 * stops taking jobs and requests; runs under way finish the item they are writing
 * within `serve.shutdownGraceMs` and leave the rest to the next run.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { configPath, loadConfig } from '../../../app/config.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Service } from '../../../service/service.js';
import type { GlobalOpts } from '../context.js';

export function packageVersion(): string {
  const file = new URL('../../../../package.json', import.meta.url);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Resolve on the first SIGTERM/SIGINT; a second one exits at once. */
function onStopSignal(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    void stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`timebridge: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

export interface ServeOptions {
  port?: string;
  host?: string;
  worker: boolean;
  scheduler: boolean;
  announce?: (url: string, svc: Service) => Promise<void>;
  /** Called once the service has stopped (the demo stops its Virtuoso). */
  onStop?: () => Promise<void>;
}

export async function serve(g: GlobalOpts, o: ServeOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const loaded = loadConfig(configPath(g.config, env), env);
  // The service stack (Fastify, pino, pg-boss, the scheduler) is loaded only by the commands that run it.
  const [{ createLogger }, { openService }, { buildServer }] = await Promise.all([
    import('../../../app/logger.js'),
    import('../../../service/service.js'),
    import('../../http/server.js'),
  ]);
  const logger = createLogger();
  const svc = await openService(loaded, { env, logger, scheduler: o.scheduler && loaded.config.serve.scheduler });
  const { app, state } = await buildServer(svc, packageVersion());
  // Before listening: a SIGTERM that comes as soon as the URL is known must still stop cleanly.
  onStopSignal(async (signal) => {
    logger.info({ signal }, 'stopping: no new requests or jobs; runs under way finish their current item');
    state.stopping = true;
    await app.close();
    await svc.stop();
    await o.onStop?.();
    logger.info('stopped');
  });
  const port = o.port !== undefined ? Number(o.port) : loaded.config.serve.port;
  const host = o.host ?? loaded.config.serve.host;
  try {
    await app.listen({ port, host });
  } catch (err) {
    await svc.stop(0);
    await o.onStop?.();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new TimebridgeError('CONFIG_INVALID', `port ${port} on ${host} is already in use`, {
        hint: 'stop the other process, or pick another port with --port or serve.port',
      });
    }
    throw err;
  }
  if (o.worker) await svc.startWorkers();
  await svc.startChannels();
  const address = app.server.address();
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${typeof address === 'object' && address ? address.port : port}`;
  logger.info(
    { url, store: loaded.config.store.type, workers: o.worker ? loaded.config.serve.concurrency : 0, instance: svc.instance, leader: svc.isLeader() },
    'timebridge serve is listening',
  );
  if (o.announce) await o.announce(url, svc);
  else process.stdout.write(`Timebridge is listening on ${url} (API reference: ${url}/docs)\n`);
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the service: HTTP API, webhooks, schedules and workers (Ctrl-C or SIGTERM stops it cleanly)')
    .option('-p, --port <port>', 'port to listen on (default: serve.port, 8787; 0 picks a free one)')
    .option('--host <host>', 'address to listen on (default: serve.host, 127.0.0.1)')
    .option('--no-worker', 'take no jobs in this process (run `timebridge worker` processes instead; PostgreSQL only)')
    .option('--no-scheduler', "never lead: leave the links' cron schedules and push channels to other processes")
    .action(async (o: ServeOptions, cmd: Command) => {
      await serve(cmd.optsWithGlobals<GlobalOpts>(), o);
    });

  program
    .command('worker')
    .description('take queued runs from the shared queue (PostgreSQL: start as many as you like)')
    .option('--concurrency <n>', 'runs at the same time in this process (default: serve.concurrency)')
    .option('--scheduler', "also campaign to lead: fire the links' cron schedules and keep push channels while leading (one process leads at a time)")
    .action(async (o: { concurrency?: string; scheduler?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      const loaded = loadConfig(configPath(g.config, process.env), process.env);
      const [{ createLogger }, { openService }] = await Promise.all([import('../../../app/logger.js'), import('../../../service/service.js')]);
      const logger = createLogger();
      const svc = await openService(loaded, { env: process.env, logger, scheduler: o.scheduler ?? false });
      await svc.startWorkers(o.concurrency ? Number(o.concurrency) : undefined);
      await svc.startChannels();
      logger.info(
        { store: loaded.config.store.type, concurrency: o.concurrency ?? loaded.config.serve.concurrency, instance: svc.instance, leader: svc.isLeader() },
        'timebridge worker is taking jobs',
      );
      onStopSignal(async (signal) => {
        logger.info({ signal }, 'stopping: no new jobs; runs under way finish their current item');
        await svc.stop();
        logger.info('stopped');
      });
    });
}
