/**
 * The dashboard at `/`: one HTML shell for every page URL (the browser app renders the page
 * from the URL), its static assets (Preact + htm from node_modules, no CDN), and the
 * session routes that turn an API token into a session cookie. Pages without a live
 * session answer 303 to the sign-in page.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import type { Service } from '../../service/service.js';
import { hashToken } from '../../service/tokens.js';
import { errorSchema } from '../http/schemas.js';
import { clearSessionCookie, sessionOf, setSessionCookie } from './session-cookie.js';
import { csrfMatches, type WebSessions } from './sessions.js';

/** Page URLs the dashboard answers (the records pages call the records, timers, timesheets and booking routes). */
export const PAGES = [
  '/',
  '/runs',
  '/runs/:id',
  '/plan/:name',
  '/conflicts',
  '/connections',
  '/records',
  '/records/entry/:id',
  '/tasks',
  '/timesheets',
  '/to-book',
  '/offices',
  '/offices/:office',
];

const ASSET_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** The assets, read once: a fixed list, so no request path ever reaches the file system. */
function loadAssets(): Map<string, { type: string; body: Buffer }> {
  const files: [string, string][] = [
    ['app.js', path.join(ASSET_DIR, 'app.js')],
    ['app.css', path.join(ASSET_DIR, 'app.css')],
    ['records.js', path.join(ASSET_DIR, 'records.js')],
    ['offices.js', path.join(ASSET_DIR, 'offices.js')],
    ['vendor/htm-preact.js', fileURLToPath(import.meta.resolve('htm/preact/standalone'))],
  ];
  return new Map(files.map(([name, file]) => [name, { type: TYPES[path.extname(name)]!, body: fs.readFileSync(file) }]));
}

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Timebridge</title>
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<div id="app"><noscript>The Timebridge dashboard needs JavaScript.</noscript></div>
</body>
</html>
`;

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const webRoutes =
  (svc: Service, sessions: WebSessions, apiPrefix: string): FastifyPluginAsyncZod =>
  async (app) => {
    const assets = loadAssets();
    const page = { config: { public: true }, schema: { hide: true } } as const;
    const shell = (reply: import('fastify').FastifyReply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', CSP)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .send(SHELL);

    for (const url of PAGES) {
      app.get(url, page, async (req, reply) => {
        if (!sessionOf(req, sessions)) return reply.redirect(`/signin?next=${encodeURIComponent(req.url)}`, 303);
        return shell(reply);
      });
    }
    app.get('/signin', page, async (_req, reply) => shell(reply));
    app.get('/assets/*', page, async (req, reply) => {
      const a = assets.get((req.params as { '*': string })['*']);
      if (!a) throw new TimebridgeError('RESOURCE_NOT_FOUND', `no dashboard asset ${req.url}`, { hint: 'open the dashboard at /' });
      return reply.type(a.type).header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(a.body);
    });

    const sessionView = z.object({
      userId: z.string(),
      role: z.enum(['admin', 'user']),
      csrf: z.string().describe('Send it as x-csrf-token on requests that change something'),
    });
    app.post(
      `${apiPrefix}/session`,
      {
        config: { public: true },
        schema: {
          tags: ['dashboard'],
          summary: 'Sign in to the dashboard with an API token: answers a session cookie (HttpOnly, SameSite=Strict) and its CSRF token',
          body: z.object({ token: z.string().min(1).max(200) }).strict(),
          response: { 200: sessionView, 401: errorSchema },
        },
      },
      async (req, reply) => {
        const token = await svc.store.findToken(hashToken(req.body.token.trim()));
        if (!token)
          throw new TimebridgeError('AUTH_REQUIRED', 'this API token is unknown or revoked', {
            hint: 'create one with `timebridge token create --user <name>`',
          });
        const s = sessions.open(token.hash);
        setSessionCookie(req, reply, s);
        return { userId: token.userId, role: token.role, csrf: s.csrf };
      },
    );
    app.get(
      `${apiPrefix}/session`,
      {
        config: { public: true },
        schema: { tags: ['dashboard'], summary: 'The dashboard session of this cookie', response: { 200: sessionView, 401: errorSchema } },
      },
      async (req) => {
        const s = sessionOf(req, sessions);
        const token = s ? await svc.store.findToken(s.tokenHash) : null;
        if (!s || !token) throw new TimebridgeError('AUTH_REQUIRED', 'you are not signed in', { hint: 'sign in with an API token at /signin' });
        return { userId: token.userId, role: token.role, csrf: s.csrf };
      },
    );
    app.delete(
      `${apiPrefix}/session`,
      { config: { public: true }, schema: { tags: ['dashboard'], summary: 'Sign out: the session ends', response: { 204: z.null(), 403: errorSchema } } },
      async (req, reply) => {
        const s = sessionOf(req, sessions);
        if (s) {
          if (!csrfMatches(s, req.headers['x-csrf-token'] as string | undefined))
            throw new TimebridgeError('AUTH_CSRF', 'signing out needs the session’s CSRF token', { hint: 'use the Sign out button of the dashboard' });
          sessions.end(s.id);
        }
        clearSessionCookie(reply);
        return reply.code(204).send(null);
      },
    );
  };
