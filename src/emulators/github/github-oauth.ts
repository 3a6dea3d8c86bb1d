/**
 * The GitHub emulator's OAuth App sign-in, as github.com does it (web application flow):
 * - `GET /login/oauth/authorize?client_id&redirect_uri&scope&state`: the consent page; the
 *   person signed in (`signedIn`, set by the control route) approves at once, and the page
 *   redirects to `redirect_uri?code&state` (denied: `?error=access_denied&state`). An unknown
 *   client id is a 404 page.
 * - `POST /login/oauth/access_token` (form or JSON: client_id, client_secret, code,
 *   redirect_uri?): HTTP 200 always; `{access_token: gho_…, token_type: bearer, scope}`, or
 *   `{error: bad_verification_code | incorrect_client_credentials | redirect_uri_mismatch,
 *   error_description, error_uri}`. JSON with `Accept: application/json`, else form-encoded,
 *   as GitHub answers. A code works once, for ten minutes. The token does not expire.
 * - `GET /user`: the token's login (through the token check of the REST API).
 * - `DELETE /applications/{client_id}/token` with the app's Basic auth and `{access_token}`:
 *   204, the token stops working; a token the app did not issue: 422.
 * Control: `PUT /_emulator/github/oauth/signed-in {login | null}`,
 * `POST /_emulator/github/oauth/apps {clientId, clientSecret}`.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GithubData } from './github-data.js';

const CODE_TTL_MS = 10 * 60_000;
const DOCS = 'https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors';

/** A login's user as `GET /user` shows it (the fields the hub reads, and a few more). */
function userJson(base: string, login: string) {
  let id = 0;
  for (const ch of login) id = (id * 31 + ch.charCodeAt(0)) % 9_000_000;
  return {
    login,
    id: id + 1000,
    node_id: `U_${Buffer.from(login).toString('base64url')}`,
    type: 'User',
    site_admin: false,
    name: login,
    url: `${base}/users/${login}`,
  };
}

export function registerOAuthRoutes(app: FastifyInstance, ctx: { data(): GithubData; now(): Date; base(req: FastifyRequest): string }): void {
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
  }

  app.get<{ Querystring: Record<string, string | undefined> }>('/login/oauth/authorize', async (req, reply) => {
    const o = ctx.data().oauth;
    const q = req.query;
    if (!q.client_id || !o.apps.has(q.client_id))
      return reply.code(404).type('text/html').send('<h1>404</h1><p>This is not the web page you are looking for.</p>');
    if (!q.redirect_uri) return reply.code(400).type('text/html').send('<p>The redirect_uri is missing (this emulator has no registered callback URL).</p>');
    const back = new URL(q.redirect_uri);
    if (q.state !== undefined) back.searchParams.set('state', q.state);
    if (o.signedIn === null) {
      back.searchParams.set('error', 'access_denied');
      back.searchParams.set('error_description', 'The user has denied your application access.');
      return reply.redirect(back.href, 302);
    }
    const code = randomBytes(10).toString('hex');
    o.codes.set(code, {
      clientId: q.client_id,
      redirectUri: q.redirect_uri,
      login: o.signedIn,
      scope: q.scope ?? '',
      expiresAt: ctx.now().getTime() + CODE_TTL_MS,
    });
    back.searchParams.set('code', code);
    return reply.redirect(back.href, 302);
  });

  app.post('/login/oauth/access_token', async (req, reply) => {
    const d = ctx.data();
    const a = { ...((req.query as Record<string, unknown>) ?? {}), ...(req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {}) };
    const str = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : '');
    const answer = (body: Record<string, string>) =>
      /application\/json/i.test(req.headers.accept ?? '')
        ? reply.send(body)
        : reply.type('application/x-www-form-urlencoded').send(new URLSearchParams(body).toString());
    const fail = (error: string, description: string) => answer({ error, error_description: description, error_uri: DOCS });
    const appRow = d.oauth.apps.get(str('client_id'));
    if (!appRow || appRow.clientSecret !== str('client_secret'))
      return fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.');
    const code = d.oauth.codes.get(str('code'));
    if (!code || code.clientId !== str('client_id') || code.expiresAt <= ctx.now().getTime()) {
      if (code) d.oauth.codes.delete(str('code'));
      return fail('bad_verification_code', 'The code passed is incorrect or expired.');
    }
    if (str('redirect_uri') && str('redirect_uri') !== code.redirectUri)
      return fail('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.');
    d.oauth.codes.delete(str('code'));
    const token = `gho_${randomBytes(18).toString('base64url')}`;
    d.tokens.add(token);
    d.oauth.logins.set(token, code.login);
    return answer({ access_token: token, token_type: 'bearer', scope: code.scope });
  });

  app.get('/user', async (req, reply) => {
    const token = /^(?:bearer|token)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
    const login = ctx.data().oauth.logins.get(token);
    return login
      ? userJson(ctx.base(req), login)
      : reply.code(401).send({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
  });

  app.delete<{ Params: { clientId: string }; Body: { access_token?: string } }>('/applications/:clientId/token', async (req, reply) => {
    const d = ctx.data();
    const basic = /^basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const appRow = d.oauth.apps.get(req.params.clientId);
    if (!appRow || id !== req.params.clientId || secret !== appRow.clientSecret) {
      return reply.code(404).send({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest/apps/oauth-applications', status: '404' });
    }
    const token = req.body?.access_token ?? '';
    if (!d.oauth.logins.has(token) || !d.tokens.has(token)) {
      return reply.code(422).send({ message: 'Validation Failed', errors: [{ message: 'access_token is not valid' }], status: '422' });
    }
    d.tokens.delete(token);
    d.oauth.logins.delete(token);
    return reply.code(204).send();
  });

  app.put<{ Body: { login?: string | null } }>('/_emulator/github/oauth/signed-in', async (req, reply) => {
    const login = req.body?.login;
    if (login !== null && (typeof login !== 'string' || !/^[A-Za-z0-9-]+$/.test(login))) {
      return reply.code(400).send({ error: 'login must be a GitHub login such as octocat, or null (the person denies access)' });
    }
    ctx.data().oauth.signedIn = login;
    return { signedIn: login };
  });
  app.post<{ Body: { clientId?: string; clientSecret?: string } }>('/_emulator/github/oauth/apps', async (req, reply) => {
    const { clientId, clientSecret } = req.body ?? {};
    if (!clientId || !clientSecret) return reply.code(400).send({ error: 'clientId and clientSecret are required' });
    ctx.data().oauth.apps.set(clientId, { clientSecret });
    return reply.code(201).send({ clientId });
  });
}

/** Paths the REST API's token check leaves alone: the sign-in (no token yet) and the app's own Basic-auth route. */
export const isOAuthPath = (path: string): boolean => path.startsWith('/login/oauth/') || path.startsWith('/applications/');
