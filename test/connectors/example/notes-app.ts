/**
 * The service and its HTTP server in this process (Fastify's inject, no socket) with two
 * notes connections from timebridge.yaml linked into one hub scope, two in-test notes
 * servers behind them, and tokens for an admin and two users.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { startNotesServer, type NotesServer } from './notes-server.js';
import { injectCall } from '../../support/inject-call.js';

export const HOOK_SECRET = 'notes-webhook-secret-0123456789';
export const TOKEN_A = 'token-of-notes-a-from-env';
export const TOKEN_B = 'token-of-notes-b-inline';
const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export type Actor = 'admin' | 'alice' | 'bob' | 'anonymous';

export interface NotesApp {
  dir: string;
  svc: Service;
  app: FastifyInstance;
  a: NotesServer;
  b: NotesServer;
  /** Log lines the service wrote (pino JSON). */
  logs(): string[];
  call(
    actor: Actor,
    method: string,
    url: string,
    body?: unknown,
    headers?: Record<string, string>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field in assertions
  ): Promise<{ status: number; body: any; text: string; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** timebridge.yaml: notes-a reads its token from the environment (an admin's right), notes-b has it inline. */
export function notesConfig(a: string, b: string): string {
  return `store:
  path: hub.sqlite
serve:
  scheduler: false
  concurrency: 1
  webhookGraceMs: 50
  dataRoot: users
  outbound:
    allowNetworks: [127.0.0.0/8]
connections:
  notes-a:
    type: notes-example
    baseUrl: ${a}
    apiTokenEnv: NOTES_TOKEN_A
    pageSize: 2
    webhook:
      secret: ${HOOK_SECRET}
  notes-b:
    type: notes-example
    baseUrl: ${b}
    apiToken: ${TOKEN_B}
links:
  notes-a:
    connection: notes-a
    scope: team-notes
  notes-b:
    connection: notes-b
    scope: team-notes
`;
}

export async function startNotesApp(): Promise<NotesApp> {
  const [a, b] = await Promise.all([startNotesServer(TOKEN_A), startNotesServer(TOKEN_B)]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-notes-'));
  fs.writeFileSync(path.join(dir, 'timebridge.yaml'), notesConfig(a.url, b.url));
  const lines: string[] = [];
  const sink = new Writable({
    write: (c, _e, cb) => {
      lines.push(...String(c).split('\n').filter(Boolean));
      cb();
    },
  });
  const env: NodeJS.ProcessEnv = { ...process.env, TIMEBRIDGE_SECRET_KEY: SECRET_KEY, NOTES_TOKEN_A: TOKEN_A };
  for (const k of Object.keys(env)) if (k.startsWith('TIMEBRIDGE_') && k !== 'TIMEBRIDGE_SECRET_KEY') delete env[k];
  const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
    env,
    logger: createLogger({ destination: sink, level: 'info' }),
    scheduler: false,
  });
  const { app } = await buildServer(svc, 'test');
  await svc.startWorkers();
  const tokens = {
    admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
    alice: (await createToken(svc.store, { userId: 'alice', role: 'user' })).token,
    bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
  };
  const call: NotesApp['call'] = injectCall(app, tokens);
  return {
    dir,
    svc,
    app,
    a,
    b,
    call,
    logs: () => lines,
    async close() {
      await app.close();
      await svc.stop(1000);
      await Promise.all([a.close(), b.close()]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
