/**
 * The service and its HTTP server in this process (Fastify's inject) on a SQLite file in a
 * temp folder, for the records API tests: tokens for the admin `root` and users (default
 * alice, bob and carol), and the timebridge.yaml the test gives (connections and links).
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
import type { Injected } from '../../support/inject-call.js';

/** `admin` (the admin `root`) or one of the users the harness made tokens for. */
export type Who = string;

export interface RecordsHarness {
  dir: string;
  svc: Service;
  app: FastifyInstance;
  call(who: Who, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Injected>;
  close(): Promise<void>;
}

export async function startRecordsHarness(o: { yaml?: string; clock?: () => Date; users?: string[] } = {}): Promise<RecordsHarness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-records-'));
  fs.writeFileSync(path.join(dir, 'timebridge.yaml'), `store:\n  path: hub.sqlite\nserve:\n  scheduler: false\n  concurrency: 1\n${o.yaml ?? ''}`);
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TIMEBRIDGE_')) env[k] = v;
  const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
    env,
    logger: createLogger({ destination: sink, level: 'info' }),
    scheduler: false,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  const { app } = await buildServer(svc, 'test');
  const tokens: Record<Who, string> = { admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token };
  for (const u of o.users ?? ['alice', 'bob', 'carol']) tokens[u] = (await createToken(svc.store, { userId: u, role: 'user' })).token;
  const call: RecordsHarness['call'] = async (who, method, url, body, headers = {}) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${tokens[who] ?? 'no-such-token'}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    let parsed: unknown = null;
    try {
      parsed = res.body ? JSON.parse(res.body) : null;
    } catch {
      parsed = null;
    }
    return { status: res.statusCode, body: parsed, text: res.body, headers: res.headers };
  };
  return {
    dir,
    svc,
    app,
    call,
    async close() {
      await app.close();
      await svc.stop(1000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
