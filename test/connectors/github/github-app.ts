/**
 * A GitHub emulator and the service with its HTTP server listening on a free port in this
 * process: one GitHub connection (webhook secret, `autoStartTimer` on) linked into scope
 * `dev`, with persons whose `githubLogin` matches the emulator's users, and the emulator's
 * hook pointed at `/webhooks/github/gh`. A second service on the same store can be opened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import type { HubRecord } from '../../../src/core/model.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createGithubEmulator, EMULATOR_TOKEN, type GithubEmulator } from '../../../src/emulators/github/index.js';
import { addRepo } from '../../../src/emulators/github/github-data.js';

export const HOOK_SECRET = 'github-webhook-secret-0123456789';
const SECRET_KEY = Buffer.alloc(32, 9).toString('base64');

export interface Served {
  svc: Service;
  app: FastifyInstance;
  url: string;
  logs: string[];
  close(): Promise<void>;
}

export interface GithubApp {
  dir: string;
  emu: GithubEmulator;
  main: Served;
  /** Another service process on the same hub store (not working the queue). */
  second(): Promise<Served>;
  /** The live task of an issue, once a run made it (waits up to 20 s). */
  task(n: number, until?: (t: HubRecord) => boolean): Promise<HubRecord>;
  person(login: string): Promise<string>;
  close(): Promise<void>;
}

function config(api: string): string {
  return `store:
  path: hub.sqlite
serve:
  scheduler: false
  concurrency: 2
  webhookGraceMs: 50
connections:
  gh:
    type: github
    repo: acme/shop
    apiUrl: ${api}
    token: ${EMULATOR_TOKEN}
    autoStartTimer: true
    webhook:
      secret: ${HOOK_SECRET}
links:
  gh-issues:
    connection: gh
    scope: dev
    externalKind: issue
`;
}

async function serve(dir: string, work: boolean): Promise<Served> {
  const logs: string[] = [];
  const sink = new Writable({
    write: (c, _e, cb) => {
      logs.push(...String(c).split('\n').filter(Boolean));
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
  const { app } = await buildServer(svc, 'test');
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  if (work) await svc.startWorkers();
  return {
    svc,
    app,
    url,
    logs,
    async close() {
      await app.close();
      await svc.stop(1000);
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startGithubApp(): Promise<GithubApp> {
  const emu = createGithubEmulator();
  const api = await emu.listen();
  addRepo(emu.data(), 'acme', 'shop');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-github-'));
  fs.writeFileSync(path.join(dir, 'timebridge.yaml'), config(api));
  const main = await serve(dir, true);
  const others: Served[] = [];
  const persons = new Map<string, string>();
  for (const [login, name] of [
    ['octo', 'Octo Cat'],
    ['hubot', 'Hu Bot'],
  ] as const) {
    const r = await main.svc.records.create({
      scope: 'dev',
      kind: 'person',
      actor: { origin: 'cli:test' },
      fields: { name, email: `${login}@example.com`, username: login, timeZone: 'Europe/Berlin', active: true, githubLogin: login === 'octo' ? 'Octo' : login },
    });
    persons.set(login, r.id);
  }
  return {
    dir,
    emu,
    main,
    async second() {
      const s = await serve(dir, false);
      others.push(s);
      return s;
    },
    task: (n, until = () => true) =>
      waitFor(`the task of acme/shop#${n}`, async () =>
        (await main.svc.store.findByIdentity('dev', 'task', `task:acme/shop#${n}`)).find((t) => !t.tombstone && until(t)),
      ),
    person: async (login) => persons.get(login)!,
    async close() {
      for (const o of others) await o.close();
      await main.close();
      await emu.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
