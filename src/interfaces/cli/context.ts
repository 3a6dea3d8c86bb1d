/** Shared plumbing of CLI commands: load config, compose the app, pick links, map errors to exit codes. */
import { composeApp, type App } from '../../app/compose.js';
import { configPath, loadConfig } from '../../app/config.js';
import { TimebridgeError, describeError, isTimebridgeError } from '../../core/errors.js';
import type { RunResult } from '../../runtime/run-link.js';
import type { LinkSpec, RunDeps } from '../../runtime/types.js';
import { EXIT } from './exit-codes.js';
import { formatError, formatRun } from './format.js';
import { progressReporter } from './progress.js';

export interface GlobalOpts {
  config?: string;
}

export async function withApp<T>(g: GlobalOpts, fn: (app: App) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const loaded = loadConfig(configPath(g.config, env), env);
  // Requests retried within the run, per connection: said once at the end (each one with TIMEBRIDGE_DEBUG).
  const retried = new Map<string, number>();
  const app = await composeApp(loaded, {
    http: {
      events: (connection) => ({
        onRetry: (e) => {
          retried.set(connection, (retried.get(connection) ?? 0) + 1);
          if (env.TIMEBRIDGE_DEBUG)
            process.stderr.write(`timebridge: ${connection}: ${e.method} ${e.path} failed (${e.error.code}); try ${e.attempt + 1} in ${e.delayMs} ms\n`);
        },
      }),
    },
  });
  try {
    return await fn(app);
  } finally {
    for (const [connection, n] of retried) {
      process.stderr.write(
        `timebridge: connection ${connection}: ${n} ${n === 1 ? 'retry' : 'retries'} of failed requests within the run (server errors, rate limits or network failures).\n`,
      );
    }
    await app.close();
  }
}

export function selectLinks(app: App, names: string[]): LinkSpec[] {
  if (!names.length) return [...app.links.values()];
  return names.map((n) => {
    const l = app.links.get(n);
    if (!l) {
      const known = [...app.links.keys()].join(', ') || '(none configured)';
      throw new TimebridgeError('LINK_UNKNOWN', `no link named "${n}" in ${app.config.file}`, { hint: `use one of: ${known}` });
    }
    return l;
  });
}

export function runDeps(app: App): RunDeps & { done(): void } {
  const p = progressReporter();
  return {
    store: app.store,
    clock: app.clock,
    ...(app.lockLink ? { lockLink: app.lockLink } : {}),
    ...(p.onProgress ? { onProgress: p.onProgress } : {}),
    done: () => p.clear(),
  };
}

/** The callback that prints each run as it finishes (after clearing the progress line). */
export function printRun(deps: { done(): void }): (r: RunResult) => void {
  return (r) => {
    deps.done();
    process.stdout.write(formatRun(r.run) + '\n');
  };
}

/** Print an error the way a person can act on, and return the exit code for it. */
export function reportError(err: unknown): number {
  const info = describeError(err);
  process.stderr.write(`timebridge: ${formatError(info)}\n`);
  if (!isTimebridgeError(err)) {
    if (process.env.TIMEBRIDGE_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return EXIT.ERROR;
  }
  if (
    err.code.startsWith('CONFIG_') ||
    err.code.startsWith('SECRET_') ||
    err.code === 'LINK_UNKNOWN' ||
    err.code === 'PLAN_INVALID' ||
    err.code === 'REQUEST_INVALID' ||
    err.code === 'RUN_UNKNOWN'
  )
    return EXIT.USAGE;
  if (err.code === 'PLAN_DRIFTED') return EXIT.DRIFTED;
  return EXIT.ERROR;
}
