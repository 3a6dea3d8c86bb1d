/**
 * The Slack emulator (`timebridge emulate slack`), faithful to api-contracts §7: the Web API
 * methods the hub calls — `auth.test`, `chat.postMessage`, `chat.postEphemeral`,
 * `users.info`, `users.lookupByEmail` — under `/api/<method>`, with a bot token
 * (`Authorization: Bearer xoxb-…`, or a `token` form field). Errors are HTTP 200
 * `{ok:false, error}` (`not_authed`, `invalid_auth`, `channel_not_found`, `no_text`,
 * `user_not_found`, `users_not_found`, `user_not_in_channel`, `msg_too_long`); a 429 with
 * `Retry-After` and `{ok:false, error:'ratelimited'}` through the kit's fault rules; every
 * call slowed by the kit's `latencyMs` setting.
 *
 * The app's OAuth v2 install (oauth.ts beside): `GET /oauth/v2/authorize` (the consent page,
 * signed in as a workspace user, redirects back with `code` + `state`), `oauth.v2.access`
 * (the app's client id and secret, form fields or Basic auth; answers the bot token and
 * `authed_user {id, scope, access_token: xoxp-…}`), and `auth.revoke`. Every method takes
 * such a user token too; `auth.test` with one answers its `user_id`.
 *
 * Control routes besides the kit's:
 *   GET  /_emulator/slack/messages       messages posted (ordinary and ephemeral), oldest first
 *   POST /_emulator/slack/command        sign a slash command and POST it to `url`; answers what came back
 *     body: { url, text, command?, userId?, channelId?, timestamp?, secret? }; no answer within 3 s:
 *     `{status: 0, error: 'operation_timeout'}`, as Slack shows it
 *   POST /_emulator/slack/response/:id   a command's response_url (5 messages within 30 minutes)
 *   POST /_emulator/slack/event          the same for an Events API JSON body (e.g. `url_verification`)
 *     body: { url, event, timestamp?, secret? }
 */
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';
import { registerSlackOAuth } from './oauth.js';
import {
  emptyWorkspace,
  signedPost,
  SLACK_CLIENT_ID,
  SLACK_CLIENT_SECRET,
  type SentAnswer,
  type SlackMessage,
  type SlackUser,
  type SlackWorkspace,
} from './workspace.js';

export {
  ANSWER_DEADLINE_MS,
  SLACK_CLIENT_ID,
  SLACK_CLIENT_SECRET,
  slackSignature,
  type SentAnswer,
  type SlackChannel,
  type SlackMessage,
  type SlackUser,
  type SlackWorkspace,
} from './workspace.js';

export interface SlackEmulator extends Emulator {
  workspace: SlackWorkspace;
  addUser(u: SlackUser): void;
  addChannel(c: { id: string; name: string; members?: string[] }): void;
  /** Posted messages, oldest first. */
  messages(): SlackMessage[];
  /** Sign a slash command as Slack does and POST it to `url`; the answer as received. */
  sendCommand(o: SlashCommandOptions): Promise<SentAnswer>;
}

export interface SlashCommandOptions {
  url: string;
  text: string;
  command?: string;
  userId?: string;
  channelId?: string;
  /** Unix seconds to sign with (default: now), to send a stale request. */
  timestamp?: number;
  /** Sign with another secret (a bad signature). */
  secret?: string;
}

const MAX_TEXT = 40_000;

const commandSchema = z
  .object({
    url: z.string().url(),
    text: z.string(),
    command: z.string().optional(),
    userId: z.string().optional(),
    channelId: z.string().optional(),
    timestamp: z.number().int().optional(),
    secret: z.string().optional(),
  })
  .strict();

const eventSchema = z.object({
  url: z.string().url(),
  event: z.record(z.string(), z.unknown()),
  timestamp: z.number().int().optional(),
  secret: z.string().optional(),
});

export function createSlackEmulator(opts: { seed?: number; latencyMs?: number } = {}): SlackEmulator {
  let ws = emptyWorkspace();
  let seq = 0;
  const emulator = createEmulator({
    name: 'slack',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.latencyMs !== undefined ? { settings: { latencyMs: opts.latencyMs } } : {}),
    errorBody: (status) => (status === 429 ? { ok: false, error: 'ratelimited' } : { ok: false, error: 'internal_error' }),
    reset: () => {
      const { botToken, signingSecret } = ws;
      ws = { ...emptyWorkspace(), botToken, signingSecret };
    },
    snapshot: () => ws,
    restore: (data) => {
      ws = data as SlackWorkspace;
    },
  });
  const app = emulator.app;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
  const args = (req: FastifyRequest): Record<string, unknown> => ({
    ...((req.query as Record<string, unknown>) ?? {}),
    ...(req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {}),
  });
  const tokenOf = (req: FastifyRequest, a: Record<string, unknown>): string => {
    const h = req.headers.authorization;
    return h?.startsWith('Bearer ') ? h.slice(7) : typeof a.token === 'string' ? a.token : '';
  };
  /** The bot token or a user token of the request, or the `ok:false` error Slack answers (still HTTP 200). */
  const authError = (token: string): string | null => {
    if (!token) return 'not_authed';
    return token === ws.botToken || ws.oauth.userTokens.has(token) ? null : 'invalid_auth';
  };
  const method = (name: string, handle: (a: Record<string, unknown>, token: string) => Record<string, unknown>) => {
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const a = args(req);
      const token = tokenOf(req, a);
      const err = authError(token);
      if (err) return reply.send({ ok: false, error: err });
      return reply.send(handle(a, token));
    };
    app.post(`/api/${name}`, handler);
    app.get(`/api/${name}`, handler);
  };
  const userView = (u: SlackUser) => ({
    id: u.id,
    team_id: ws.teamId,
    name: u.name,
    real_name: u.realName,
    tz: u.tz,
    is_bot: false,
    deleted: false,
    profile: { real_name: u.realName, display_name: u.name, ...(u.email ? { email: u.email } : {}) },
  });
  const messageError = (a: Record<string, unknown>): string | null => {
    if (typeof a.text !== 'string' || !a.text) return a.blocks ? null : 'no_text';
    if (a.text.length > MAX_TEXT) return 'msg_too_long';
    // A user id as the channel: a direct message from the app (its App Home).
    return typeof a.channel === 'string' && (ws.channels.has(a.channel) || ws.users.has(a.channel)) ? null : 'channel_not_found';
  };

  method('auth.test', (_a, token) => {
    const userId = ws.oauth.userTokens.get(token);
    const base = { ok: true, url: `https://${ws.teamDomain}.slack.com/`, team: ws.teamDomain, team_id: ws.teamId };
    if (userId) return { ...base, user: ws.users.get(userId)?.name ?? userId, user_id: userId };
    return { ...base, user: 'timebridge', user_id: 'U0TIMEBRDG', bot_id: 'B0TIMEBRDG' };
  });
  method('auth.revoke', (_a, token) => {
    // The bot token stays (the emulator's app keeps its install); a user token stops working.
    const revoked = ws.oauth.userTokens.delete(token);
    return { ok: true, revoked };
  });
  registerSlackOAuth(app, () => ws);
  method('chat.postMessage', (a) => {
    const err = messageError(a);
    if (err) return { ok: false, error: err };
    const m: SlackMessage = { channel: String(a.channel), text: String(a.text ?? ''), ts: ts(), ephemeral: false, ...(a.blocks ? { blocks: a.blocks } : {}) };
    ws.messages.push(m);
    return { ok: true, channel: m.channel, ts: m.ts, message: { type: 'message', text: m.text, ts: m.ts, bot_id: 'B0TIMEBRDG' } };
  });
  method('chat.postEphemeral', (a) => {
    const err = messageError(a);
    if (err) return { ok: false, error: err };
    const user = String(a.user ?? '');
    if (!ws.users.has(user)) return { ok: false, error: 'user_not_found' };
    if (!ws.channels.get(String(a.channel))?.members.has(user)) return { ok: false, error: 'user_not_in_channel' };
    const m: SlackMessage = { channel: String(a.channel), text: String(a.text ?? ''), ts: ts(), user, ephemeral: true };
    ws.messages.push(m);
    return { ok: true, message_ts: m.ts };
  });
  method('users.info', (a) => {
    const u = ws.users.get(String(a.user ?? ''));
    return u ? { ok: true, user: userView(u) } : { ok: false, error: 'user_not_found' };
  });
  method('users.lookupByEmail', (a) => {
    const email = String(a.email ?? '').toLowerCase();
    const u = [...ws.users.values()].find((x) => x.email?.toLowerCase() === email);
    return u ? { ok: true, user: userView(u) } : { ok: false, error: 'users_not_found' };
  });

  app.get('/_emulator/slack/messages', async () => ({ messages: ws.messages }));
  // A command's response_url: JSON messages, at most 5 within 30 minutes of the command (api-contracts §7.2).
  const responseUrls = new Map<string, { channel: string; user: string; issued: number; used: number }>();
  app.post('/_emulator/slack/response/:id', async (req, reply) => {
    const r = responseUrls.get((req.params as { id: string }).id);
    if (!r) return reply.code(404).send('no_such_response_url');
    if (r.used >= 5 || Date.now() - r.issued > 30 * 60_000) return reply.code(410).send('expired_url');
    const body = (req.body ?? {}) as { text?: unknown; response_type?: unknown };
    if (typeof body.text !== 'string' || !body.text) return reply.code(400).send('no_text');
    r.used++;
    const inChannel = body.response_type === 'in_channel';
    ws.messages.push({ channel: r.channel, text: body.text, ts: ts(), ephemeral: !inChannel, ...(inChannel ? {} : { user: r.user }) });
    return reply.code(200).type('text/plain').send('ok');
  });
  app.post('/_emulator/slack/command', async (req, reply) => {
    const r = commandSchema.safeParse(req.body);
    if (!r.success) return reply.code(400).send({ error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return sendCommand(r.data);
  });
  app.post('/_emulator/slack/event', async (req, reply) => {
    const r = eventSchema.safeParse(req.body);
    if (!r.success) return reply.code(400).send({ error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return signedPost(ws, {
      url: r.data.url,
      body: JSON.stringify(r.data.event),
      contentType: 'application/json',
      ...(r.data.timestamp !== undefined ? { timestamp: r.data.timestamp } : {}),
      ...(r.data.secret !== undefined ? { secret: r.data.secret } : {}),
    });
  });

  /** The form body Slack sends for a slash command (api-contracts §7.2). */
  function sendCommand(o: SlashCommandOptions) {
    const userId = o.userId ?? [...ws.users.keys()][0] ?? 'U0UNKNOWN';
    const channelId = o.channelId ?? [...ws.channels.keys()][0] ?? 'C0UNKNOWN';
    const responseId = randomBytes(8).toString('hex');
    responseUrls.set(responseId, { channel: channelId, user: userId, issued: Date.now(), used: 0 });
    const body = new URLSearchParams({
      token: 'deprecated-verification-token',
      team_id: ws.teamId,
      team_domain: ws.teamDomain,
      channel_id: channelId,
      channel_name: ws.channels.get(channelId)?.name ?? 'unknown',
      user_id: userId,
      user_name: ws.users.get(userId)?.name ?? 'unknown',
      command: o.command ?? '/tt',
      text: o.text,
      api_app_id: 'A0TIMEBRDG',
      is_enterprise_install: 'false',
      response_url: `${emulator.url()}/_emulator/slack/response/${responseId}`,
      trigger_id: `${Date.now()}.${randomBytes(4).toString('hex')}`,
    }).toString();
    return signedPost(ws, {
      url: o.url,
      body,
      contentType: 'application/x-www-form-urlencoded',
      ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
      ...(o.secret !== undefined ? { secret: o.secret } : {}),
    });
  }

  return Object.assign(emulator, {
    get workspace() {
      return ws;
    },
    addUser: (u: SlackUser) => void ws.users.set(u.id, u),
    addChannel: (c: { id: string; name: string; members?: string[] }) =>
      void ws.channels.set(c.id, { id: c.id, name: c.name, members: new Set(c.members ?? []) }),
    messages: () => ws.messages,
    sendCommand,
  });
}

/** The demo workspace: three people (devon is the demo's GitHub assignee) and the notice channel `#timers`. */
export function fillSlackDemo(e: SlackEmulator): void {
  e.addUser({ id: 'U0ALICE', name: 'alice', realName: 'Alice Example', email: 'alice@example.com', tz: 'Europe/Berlin' });
  e.addUser({ id: 'U0BOB', name: 'bob', realName: 'Bob Example', email: 'bob@example.com', tz: 'America/New_York' });
  e.addUser({ id: 'U0DEVON', name: 'devon', realName: 'Devon Park', email: 'devon@example.com', tz: 'Europe/Berlin' });
  e.addChannel({ id: 'C0TIMERS', name: 'timers', members: ['U0ALICE', 'U0BOB', 'U0DEVON'] });
}

export const slackEmulatorEntry: EmulatorEntry = {
  create({ seed, demo }) {
    const e = createSlackEmulator({ seed });
    if (demo) fillSlackDemo(e);
    return e;
  },
  usage: (url) =>
    [
      `Slack Web API at ${url}/api/ (bot token xoxb-emulator-bot-token, signing secret emulator-signing-secret-0123456789abcdef)`,
      `OAuth: clientId ${SLACK_CLIENT_ID}, clientSecret ${SLACK_CLIENT_SECRET}, consent ${url}/oauth/v2/authorize (signs in as the first user; PUT ${url}/_emulator/slack/oauth/signed-in {"userId": "U…"})`,
      'connection: { type: slack, apiUrl: ' + url + '/api/, botToken: xoxb-emulator-bot-token, signingSecret: …, noticeChannel: C0TIMERS }',
      `posted messages: GET ${url}/_emulator/slack/messages; send a signed /tt: POST ${url}/_emulator/slack/command {url, text, userId}`,
    ].join('\n'),
};
