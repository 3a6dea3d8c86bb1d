/**
 * The service and its HTTP server in this process (Fastify's inject, no socket), on
 * SQLite or on a fresh PostgreSQL schema, with three tokens — admin `root`, users
 * `alice` and `bob` — and resources of each kind owned by alice, by bob, and global
 * (from the config file): connections, links, runs, jobs. `restore()` puts back any
 * fixture a probe deleted or changed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import { buildServer, type RouteEntry } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { adminQuery, freshSchemaName, PG_URL } from '../../support/postgres.js';
import { event } from '../../support/serve.js';
import { injectCall } from '../../support/inject-call.js';

export const HOOK_SECRET = 'global-webhook-secret-0123456789';
export const SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

export type Actor = 'anonymous' | 'alice' | 'bob' | 'admin';
export const ACTORS: Actor[] = ['anonymous', 'alice', 'bob', 'admin'];

export interface Harness {
  dir: string;
  svc: Service;
  app: FastifyInstance;
  routes: RouteEntry[];
  tokens: Record<Exclude<Actor, 'anonymous'>, string>;
  /** Log lines the service wrote (pino JSON). */
  logs(): string[];
  /** Ids of a run and a job of each fixture link. */
  runs: Record<'alice' | 'bob' | 'global', { runId: string; jobId: string }>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field in assertions
  call(actor: Actor, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; text: string }>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  store: 'sqlite' | 'postgres';
  /** serve.outbound as YAML lines (indented under outbound:). */
  outbound?: string;
}

const USERS = ['alice', 'bob'] as const;

export async function startHarness(o: HarnessOptions): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-security-'));
  fs.mkdirSync(path.join(dir, 'g'));
  fs.writeFileSync(path.join(dir, 'g', 'one.ics'), event('one@test', 'Global one'));
  for (const u of USERS) {
    fs.mkdirSync(path.join(dir, 'users', u, 'cal'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'users', u, 'cal', `${u}.ics`), event(`${u}@test`, `${u}'s event`));
  }
  const schema = freshSchemaName();
  const store = o.store === 'sqlite' ? '  path: hub.sqlite\n' : `  type: postgres\n  url: ${PG_URL}\n  schema: ${schema}\n`;
  fs.writeFileSync(
    path.join(dir, 'timebridge.yaml'),
    `store:
${store}serve:
  scheduler: false
  concurrency: 1
  webhookGraceMs: 50
  dataRoot: users
${o.outbound ? `  outbound:\n${o.outbound}` : ''}connections:
  g:
    type: ics-folder
    path: g
    webhook:
      secret: ${HOOK_SECRET}
links:
  g:
    connection: g
    scope: team
`,
  );
  const lines: string[] = [];
  const sink = new Writable({
    write: (c, _e, cb) => {
      lines.push(...String(c).split('\n').filter(Boolean));
      cb();
    },
  });
  const env: NodeJS.ProcessEnv = { ...process.env, TIMEBRIDGE_SECRET_KEY: SECRET_KEY };
  for (const k of Object.keys(env)) if (k.startsWith('TIMEBRIDGE_') && k !== 'TIMEBRIDGE_SECRET_KEY') delete env[k];
  const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
    env,
    logger: createLogger({ destination: sink, level: 'info' }),
    scheduler: false,
  });
  const { app, routes } = await buildServer(svc, 'test');
  await svc.startWorkers();
  const tokens = {
    admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
    alice: (await createToken(svc.store, { userId: 'alice', role: 'user' })).token,
    bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
  };

  const call: Harness['call'] = injectCall(app, tokens);

  const restore = async () => {
    for (const u of USERS) {
      const conn = `${u}-conn`;
      if (!(await svc.catalog.getConnection(conn)))
        await svc.catalog.putConnection({ name: conn, type: 'ics-folder', owner: u, settings: { path: 'cal' } }, null);
      const link = await svc.catalog.getLink(`${u}-link`);
      if (!link || link.config.scope !== `${u}-scope` || !link.enabled) {
        await svc.catalog.putLink(`${u}-link`, linkDefaults(conn, `${u}-scope`), u, true);
      }
    }
    const g = await svc.catalog.getLink('g');
    if (!g?.enabled) await svc.catalog.setLinkEnabled('g', true);
    await svc.refreshSchedules();
  };
  await restore();

  const runs = {} as Harness['runs'];
  for (const [who, link, actor] of [
    ['alice', 'alice-link', 'alice'],
    ['bob', 'bob-link', 'bob'],
    ['global', 'g', 'admin'],
  ] as const) {
    const r = await call(actor, 'POST', `/api/v1/links/${link}/sync?wait=true`);
    if (r.status !== 200 || !r.body.result?.runId) throw new Error(`fixture sync of ${link} failed: ${r.text}`);
    runs[who] = { runId: r.body.result.runId, jobId: r.body.id };
  }

  return {
    dir,
    svc,
    app,
    routes,
    tokens,
    runs,
    call,
    restore,
    logs: () => lines,
    async close() {
      await app.close();
      await svc.stop(1000);
      if (o.store === 'postgres') {
        await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await adminQuery(`DROP SCHEMA IF EXISTS "${schema}_jobs" CASCADE`);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A link config as the API would store it (defaults filled). */
export function linkDefaults(connection: string, scope: string) {
  return {
    connection,
    scope,
    direction: 'both' as const,
    conflict: 'keep-both' as const,
    fieldOwners: {},
    deletes: { toExternal: true, toHub: true },
    externalOnly: 'import' as const,
    guard: { maxDeleteCount: 10, maxDeleteShare: 0.25 },
  };
}
