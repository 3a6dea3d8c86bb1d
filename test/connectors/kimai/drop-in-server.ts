/**
 * The real service (store, job queue, workers) and its Fastify server started in this
 * process on a free port against a timebridge.yaml, for tests of the drop-in endpoints
 * over HTTP. Calls carry an admin token unless told otherwise.
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
import { until } from '../../support/serve.js';
import { CLOCK } from './kimai-workspace.js';

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export interface DropInServer {
  svc: Service;
  url: string;
  admin: string;
  user: string;
  /** Log lines the service wrote (pino JSON). */
  logs: string[];
  call(method: string, route: string, opts?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Answer>;
  jobsDone(jobIds: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startDropIns(yaml: string, opts: { env?: Record<string, string> } = {}): Promise<DropInServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-dropin-'));
  fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml);
  const logs: string[] = [];
  const sink = new Writable({
    write: (c, _e, cb) => {
      logs.push(String(c));
      cb();
    },
  });
  const env = { ...process.env, ...opts.env };
  const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
    env,
    logger: createLogger({ destination: sink }),
    scheduler: false,
    clock: () => CLOCK,
  });
  const { app }: { app: FastifyInstance } = await buildServer(svc, 'test');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  await svc.startWorkers();
  const admin = (await createToken(svc.store, { userId: 'root', role: 'admin' })).token;
  const user = (await createToken(svc.store, { userId: 'alice', role: 'user' })).token;
  return {
    svc,
    url,
    admin,
    user,
    logs,
    async call(method, route, o = {}) {
      const token = o.token === undefined ? admin : o.token;
      const body = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
      const res = await fetch(url + route, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...o.headers,
        },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async jobsDone(ids) {
      for (const id of ids) await until(`job ${id}`, async () => ['done', 'dead'].includes((await svc.queue.get(id))?.state ?? ''));
    },
    async close() {
      await app.close();
      await svc.stop(1000);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
