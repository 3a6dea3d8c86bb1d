/**
 * HTTP routes of the Google emulator: Calendar API v3 under /calendar/v3, OAuth at
 * /token, /revoke and /o/oauth2/v2/auth, and Google-specific control routes under
 * /_emulator/google. Every failure answers in Google's error shape.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AclRule, CalendarEvent, CalendarListEntry } from './types.js';
import type { CalendarStore } from './calendar-store.js';
import type { Channels } from './channels.js';
import { GoogleApiError, googleErrorBody } from './errors.js';
import { listEvents, listInstances, type ListQuery } from './event-listing.js';
import { DEMO_USER, EMULATOR_CLIENT_ID, type OAuthState } from './oauth.js';

export interface GoogleParts {
  store: CalendarStore;
  oauth: OAuthState;
  channels: Channels;
  pageSize(): number;
}

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | undefined> }>;

const V3 = '/calendar/v3';
const COLORS = {
  kind: 'calendar#colors',
  updated: '2012-02-14T00:00:00.000Z',
  calendar: Object.fromEntries(Array.from({ length: 24 }, (_, i) => [String(i + 1), { background: '#a4bdfc', foreground: '#1d1d1d' }])),
  event: {
    1: { background: '#a4bdfc', foreground: '#1d1d1d' },
    2: { background: '#7ae7bf', foreground: '#1d1d1d' },
    3: { background: '#dbadff', foreground: '#1d1d1d' },
    4: { background: '#ff887c', foreground: '#1d1d1d' },
    5: { background: '#fbd75b', foreground: '#1d1d1d' },
    6: { background: '#ffb878', foreground: '#1d1d1d' },
    7: { background: '#46d6db', foreground: '#1d1d1d' },
    8: { background: '#e1e1e1', foreground: '#1d1d1d' },
    9: { background: '#5484ed', foreground: '#1d1d1d' },
    10: { background: '#51b749', foreground: '#1d1d1d' },
    11: { background: '#dc2127', foreground: '#1d1d1d' },
  },
};

const baseOf = (req: FastifyRequest): string => `${req.protocol}://${req.headers.host ?? 'localhost'}`;

export function registerGoogleRoutes(app: FastifyInstance, p: GoogleParts): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.setErrorHandler((err: unknown, _req, reply) => {
    if (err instanceof GoogleApiError) return reply.code(err.status).send(err.body());
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply.code(status).send(googleErrorBody(status, status === 400 ? 'parseError' : undefined, err instanceof Error ? err.message : String(err)));
  });

  const who = (req: FastifyRequest): string => {
    const principal = p.oauth.principalOf(req.headers.authorization);
    if (!principal) throw new GoogleApiError(401, 'authError', 'Invalid Credentials');
    return principal;
  };
  const ifMatch = (req: FastifyRequest): string | undefined => {
    const v = req.headers['if-match'];
    return Array.isArray(v) ? v[0] : v;
  };

  app.get(`${V3}/colors`, async (req) => {
    who(req);
    return COLORS;
  });

  app.post(`${V3}/calendars`, async (req: Req) =>
    p.store.createCalendar(who(req), (req.body ?? {}) as { summary?: string; timeZone?: string; description?: string }),
  );
  app.get(`${V3}/calendars/:cid`, async (req: Req) => p.store.calendar(req.params['cid']!, who(req)).cal);
  app.get(`${V3}/users/me/calendarList`, async (req: Req) => {
    const me = who(req);
    p.store.calendar('primary', me);
    const items: CalendarListEntry[] = [];
    for (const rec of p.store.calendars.values()) {
      const rule = rec.owner === me ? 'owner' : rec.acl.get(`user:${me}`)?.role;
      if (rule && rule !== 'none')
        items.push({ kind: 'calendar#calendarListEntry', id: rec.cal.id, summary: rec.cal.summary, timeZone: rec.cal.timeZone ?? 'UTC', accessRole: rule });
    }
    return { kind: 'calendar#calendarList', items };
  });
  app.post(`${V3}/users/me/calendarList`, async (req: Req) => {
    const rec = p.store.calendar(String((req.body as { id?: string } | undefined)?.id ?? ''), who(req));
    return { kind: 'calendar#calendarListEntry', id: rec.cal.id, summary: rec.cal.summary, timeZone: rec.cal.timeZone, accessRole: 'reader' };
  });

  app.get(`${V3}/calendars/:cid/acl`, async (req: Req) => ({
    kind: 'calendar#acl',
    items: [...p.store.calendar(req.params['cid']!, who(req), 'owner').acl.values()],
  }));
  app.post(`${V3}/calendars/:cid/acl`, async (req: Req) =>
    p.store.insertAcl(p.store.calendar(req.params['cid']!, who(req), 'owner'), (req.body ?? {}) as Partial<AclRule>),
  );
  app.delete(`${V3}/calendars/:cid/acl/:rule`, async (req: Req, reply) => {
    const rec = p.store.calendar(req.params['cid']!, who(req), 'owner');
    if (!rec.acl.delete(req.params['rule']!)) throw new GoogleApiError(404, 'notFound', 'Not Found');
    return reply.code(204).send();
  });

  app.get(`${V3}/calendars/:cid/events`, async (req: Req) =>
    listEvents(p.store, p.store.calendar(req.params['cid']!, who(req)), req.query as ListQuery, p.pageSize(), req.listingFault),
  );
  app.post(`${V3}/calendars/:cid/events`, async (req: Req) =>
    p.store.insertEvent(p.store.calendar(req.params['cid']!, who(req), 'writer'), (req.body ?? {}) as CalendarEvent, who(req)),
  );
  app.post(`${V3}/calendars/:cid/events/watch`, async (req: Req) => {
    const rec = p.store.calendar(req.params['cid']!, who(req));
    const uri = `${baseOf(req)}${V3}/calendars/${encodeURIComponent(rec.cal.id)}/events?alt=json`;
    return p.channels.open(rec.cal.id, uri, (req.body ?? {}) as Parameters<Channels['open']>[2]);
  });
  app.get(`${V3}/calendars/:cid/events/:eid`, async (req: Req) => p.store.getEvent(p.store.calendar(req.params['cid']!, who(req)), req.params['eid']!));
  app.get(`${V3}/calendars/:cid/events/:eid/instances`, async (req: Req) =>
    listInstances(p.store, p.store.calendar(req.params['cid']!, who(req)), req.params['eid']!, req.query as ListQuery, p.pageSize()),
  );
  const write = (merge: boolean) => async (req: Req) =>
    p.store.writeEvent(p.store.calendar(req.params['cid']!, who(req), 'writer'), req.params['eid']!, (req.body ?? {}) as CalendarEvent, ifMatch(req), merge);
  app.put(`${V3}/calendars/:cid/events/:eid`, write(false));
  app.patch(`${V3}/calendars/:cid/events/:eid`, write(true));
  app.delete(`${V3}/calendars/:cid/events/:eid`, async (req: Req, reply: FastifyReply) => {
    p.store.deleteEvent(p.store.calendar(req.params['cid']!, who(req), 'writer'), req.params['eid']!, ifMatch(req));
    return reply.code(204).send();
  });
  app.post(`${V3}/channels/stop`, async (req: Req, reply) => {
    who(req);
    const b = (req.body ?? {}) as { id?: string; resourceId?: string };
    if (!p.channels.stop(b.id, b.resourceId)) throw new GoogleApiError(404, 'notFound', `Channel '${b.id ?? ''}' not found for project`);
    return reply.code(204).send();
  });

  app.post('/token', async (req, reply) => {
    const answer = p.oauth.grant((req.body ?? {}) as Record<string, string>, `${baseOf(req)}/token`);
    return reply.code(answer.status).send(answer.body);
  });
  app.post('/revoke', async (req: Req, reply) => {
    const t = req.query['token'] ?? (req.body as Record<string, string> | undefined)?.['token'] ?? '';
    if (!p.oauth.revoke(t)) return reply.code(400).send({ error: 'invalid_token', error_description: 'Token expired or revoked' });
    return reply.code(200).send({});
  });
  app.get('/o/oauth2/v2/auth', async (req: Req, reply) => {
    const r = p.oauth.authorize(req.query);
    if ('error' in r) return reply.code(400).type('text/plain').send(`Error 400: invalid_request\n${r.error}`);
    return reply.redirect(r.redirect, 302);
  });

  app.get('/_emulator/google/service-account', async (req) => p.oauth.serviceAccountKey(baseOf(req)));
  app.post('/_emulator/google/expire-tokens', async () => ({ expired: p.oauth.expireAccessTokens() }));
  app.post('/_emulator/google/invalidate-sync-tokens', async () => {
    p.store.invalidateSyncTokens();
    return { invalidated: true };
  });
  app.post('/_emulator/google/refresh-tokens', async (req: Req) => {
    const email = (req.body as { email?: string } | undefined)?.email ?? DEMO_USER;
    return { refresh_token: p.oauth.issueRefreshToken(email), client_id: EMULATOR_CLIENT_ID };
  });
  app.get('/_emulator/google/channels', async () => ({ channels: p.channels.list(), deliveries: p.channels.deliveries }));
}
