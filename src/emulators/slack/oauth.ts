/**
 * The Slack emulator's OAuth v2 install, as Slack does it:
 * - `GET /oauth/v2/authorize?client_id&scope&user_scope&redirect_uri&state`: the consent page,
 *   signed in as a workspace user (`signedIn`, default the first), redirects to
 *   `redirect_uri?code&state`; a cancelled consent to `?error=access_denied&state`.
 * - `POST /api/oauth.v2.access` (client_id + client_secret as form fields or Basic auth, code,
 *   redirect_uri): HTTP 200 `{ok:true, app_id, authed_user: {id, scope, access_token: xoxp-…,
 *   token_type: user}, team: {id, name}, enterprise: null, is_enterprise_install: false}`, plus
 *   the bot's `access_token`, `token_type: bot`, `scope` and `bot_user_id` when bot scopes were
 *   asked for; errors `{ok:false, error}`: `invalid_client_id`, `bad_client_secret`,
 *   `invalid_code` (unknown, used or older than ten minutes), `bad_redirect_uri`.
 * Control: `PUT /_emulator/slack/oauth/signed-in {userId | null}`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SlackWorkspace } from './workspace.js';

const CODE_TTL_MS = 10 * 60_000;

export function registerSlackOAuth(app: FastifyInstance, ws: () => SlackWorkspace): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/oauth/v2/authorize', async (req, reply) => {
    const w = ws();
    const q = req.query;
    if (q.client_id !== w.oauth.clientId) return reply.code(400).type('text/html').send('<p>Invalid client_id parameter</p>');
    if (!q.redirect_uri) return reply.code(400).type('text/html').send('<p>redirect_uri did not match any configured URIs (none given)</p>');
    const back = new URL(q.redirect_uri);
    if (q.state !== undefined) back.searchParams.set('state', q.state);
    const userId = w.oauth.signedIn === undefined ? [...w.users.keys()][0] : w.oauth.signedIn;
    if (!userId) {
      back.searchParams.set('error', 'access_denied');
      return reply.redirect(back.href, 302);
    }
    const code = `${Date.now()}.${randomBytes(12).toString('hex')}`;
    w.oauth.codes.set(code, { redirectUri: q.redirect_uri, userId, userScope: q.user_scope ?? '', scope: q.scope ?? '', expiresAt: Date.now() + CODE_TTL_MS });
    back.searchParams.set('code', code);
    return reply.redirect(back.href, 302);
  });

  app.post('/api/oauth.v2.access', async (req: FastifyRequest) => {
    const w = ws();
    const a = { ...((req.query as Record<string, unknown>) ?? {}), ...(req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {}) };
    const str = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : '');
    const basic = /^basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const clientId = basicId ?? str('client_id');
    const clientSecret = basicSecret ?? str('client_secret');
    if (clientId !== w.oauth.clientId) return { ok: false, error: 'invalid_client_id' };
    if (clientSecret !== w.oauth.clientSecret) return { ok: false, error: 'bad_client_secret' };
    const code = w.oauth.codes.get(str('code'));
    w.oauth.codes.delete(str('code'));
    if (!code || code.expiresAt <= Date.now()) return { ok: false, error: 'invalid_code' };
    if (str('redirect_uri') !== (code.redirectUri ?? '')) return { ok: false, error: 'bad_redirect_uri' };
    const userToken = `xoxp-${randomBytes(16).toString('hex')}`;
    w.oauth.userTokens.set(userToken, code.userId);
    return {
      ok: true,
      app_id: 'A0TIMEBRDG',
      authed_user: { id: code.userId, scope: code.userScope, access_token: userToken, token_type: 'user' },
      ...(code.scope ? { access_token: w.botToken, token_type: 'bot', scope: code.scope, bot_user_id: 'U0TIMEBRDG' } : {}),
      team: { id: w.teamId, name: w.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
    };
  });

  app.put<{ Body: { userId?: string | null } }>('/_emulator/slack/oauth/signed-in', async (req, reply) => {
    const userId = req.body?.userId;
    if (userId !== null && (typeof userId !== 'string' || !ws().users.has(userId))) {
      return reply.code(400).send({ error: 'userId must be a user of the workspace (U…), or null (the person cancels)' });
    }
    ws().oauth.signedIn = userId;
    return { signedIn: userId };
  });
}
