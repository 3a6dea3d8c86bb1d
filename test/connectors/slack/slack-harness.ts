/**
 * The service and its HTTP server listening on a free port, with a Slack connection
 * `team-slack` pointed at a Slack emulator (demo workspace: U0ALICE, U0BOB, channel
 * C0TIMERS), on SQLite or a fresh PostgreSQL schema. Scope `team` holds alice (Slack id on
 * her person, Europe/Berlin), bob (matched by e-mail, America/New_York), three projects and
 * a task. Commands are sent by the emulator, signed as Slack signs them.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import { createSlackEmulator, fillSlackDemo, type SlackEmulator } from '../../../src/emulators/slack/index.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { adminQuery, freshSchemaName, PG_URL } from '../../support/postgres.js';
import { injectCall } from '../../support/inject-call.js';

export const SIGNING_SECRET = 'emulator-signing-secret-0123456789abcdef';

export interface SlackHarness {
  dir: string;
  svc: Service;
  app: FastifyInstance;
  slack: SlackEmulator;
  /** The command receiver's URL. */
  hook: string;
  ids: { alice: string; bob: string; website: string; webshop: string; mobile: string; task: string };
  call: ReturnType<typeof injectCall>;
  /** `/tt <text>` as this Slack user; the answer's status and parsed body. */
  tt(text: string, userId?: string): Promise<{ status: number; body: { response_type?: string; text?: string; error?: { code: string } } }>;
  close(): Promise<void>;
}

export async function startSlackHarness(
  o: { store?: 'sqlite' | 'postgres'; schema?: string; clock?: () => Date; dailySummary?: boolean; slack?: SlackEmulator } = {},
): Promise<SlackHarness> {
  const own = !o.slack;
  const slack = o.slack ?? createSlackEmulator();
  let api = slack.url();
  if (own) {
    fillSlackDemo(slack);
    slack.workspace.signingSecret = SIGNING_SECRET;
    api = await slack.listen();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-slack-'));
  const schema = o.schema ?? freshSchemaName();
  const store = o.store === 'postgres' ? `  type: postgres\n  url: ${PG_URL}\n  schema: ${schema}\n` : '  path: hub.sqlite\n';
  fs.writeFileSync(
    path.join(dir, 'timebridge.yaml'),
    `store:
${store}serve:
  scheduler: false
  concurrency: 2
connections:
  team-slack:
    type: slack
    apiUrl: ${api}/api/
    botToken: xoxb-emulator-bot-token
    signingSecret: ${SIGNING_SECRET}
    scope: team
    noticeChannel: C0TIMERS
    timeZone: Europe/Berlin
    dailySummary: { enabled: ${o.dailySummary ?? false}, at: '18:00' }
`,
  );
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  const env: NodeJS.ProcessEnv = { ...process.env, TIMEBRIDGE_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') };
  for (const k of Object.keys(env)) if (k.startsWith('TIMEBRIDGE_') && k !== 'TIMEBRIDGE_SECRET_KEY') delete env[k];
  const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
    env,
    logger: createLogger({ destination: sink, level: 'info' }),
    scheduler: false,
    ...(o.clock ? { clock: o.clock } : {}),
  });
  const { app } = await buildServer(svc, 'test');
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  await svc.startWorkers();
  const actor = { origin: 'cli:test' };
  const ids = {} as SlackHarness['ids'];
  const existing = (await svc.store.listScope('team', 'person')).find((p) => p.fields.username === 'alice');
  if (existing) {
    // A second worker on the same PostgreSQL schema: the first made the records.
    for (const p of await svc.store.listScope('team', 'person')) ids[p.fields.username === 'alice' ? 'alice' : 'bob'] = p.id;
    Object.assign(ids, { website: 'project-website', webshop: 'project-webshop', mobile: 'project-mobile', task: 'task-login' });
  } else {
    ids.alice = (
      await svc.records.create({
        scope: 'team',
        kind: 'person',
        actor,
        fields: { name: 'Alice', email: 'alice@corp.example', username: 'alice', timeZone: 'Europe/Berlin', active: true, slackId: 'U0ALICE' },
      })
    ).id;
    ids.bob = (
      await svc.records.create({
        scope: 'team',
        kind: 'person',
        actor,
        fields: { name: 'Bob', email: 'bob@example.com', username: 'bob', timeZone: 'America/New_York', active: true },
      })
    ).id;
    for (const [key, name] of [
      ['website', 'Website'],
      ['webshop', 'Web shop'],
      ['mobile', 'Mobile app'],
    ] as const) {
      ids[key] = `project-${key}`;
      await svc.records.commit([svc.records.write({ id: ids[key], kind: 'project', scope: 'team' }, { name }, actor, 0)]);
    }
    ids.task = 'task-login';
    await svc.records.commit([
      svc.records.write(
        { id: ids.task, kind: 'task', scope: 'team' },
        { key: 'MOB-7', summary: 'Fix login', projectId: ids.mobile, status: null, state: 'todo' },
        actor,
        0,
      ),
    ]);
  }
  const tokens = {
    admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
    alice: (await createToken(svc.store, { userId: 'alice', role: 'user' })).token,
    bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
  };
  const hook = `${base}/chat/slack/team-slack`;
  return {
    dir,
    svc,
    app,
    slack,
    hook,
    ids,
    call: injectCall(app, tokens),
    async tt(text, userId = 'U0ALICE') {
      // Slack's own 3 s deadline: an answer later than that is status 0, operation_timeout.
      const r = await slack.sendCommand({ url: hook, text, userId });
      return {
        status: r.status,
        body: r.body ? (JSON.parse(r.body) as { response_type?: string; text?: string }) : { error: { code: r.error ?? 'no answer' } },
      };
    },
    async close() {
      await app.close();
      await svc.stop(1000);
      if (own) await slack.close();
      if (o.store === 'postgres' && !o.schema) {
        await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await adminQuery(`DROP SCHEMA IF EXISTS "${schema}_jobs" CASCADE`);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
