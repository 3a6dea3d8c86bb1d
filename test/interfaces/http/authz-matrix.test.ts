/**
 * The authorization matrix: every route the server registers × {anonymous, alice, bob,
 * admin} × {alice's resource, bob's, a global one}, generated from the route table
 * (`buildServer`'s `routes`), so a new route without an expectation fails this test.
 * The rules it checks: no token → 401 (public routes aside); another user's resource
 * is missing (404), never forbidden or described; global resources are read by users
 * and changed by admins (file ones are read-only, 409); admin-only routes answer users
 * 403. Runs on SQLite and on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNECTORS } from '../../../src/connectors/registry.js';
import { needsPostgres } from '../../support/postgres.js';
import { ACTORS, startHarness, type Actor, type Harness } from './security-harness.js';

/** own: alice's; other: bob's; global: the config file's; mine: the caller's own (collection routes); none: no resource. */
type Which = 'own' | 'other' | 'global' | 'mine' | 'none';
/** How the caller stands to the resource. */
type Rel = 'anonymous' | 'owner' | 'stranger' | 'user-global' | 'admin-user' | 'admin-global' | 'user' | 'admin';

interface Spec {
  targets: Which[];
  /** Expected statuses by relation; anonymous defaults to 401 and stranger to 404. */
  expect: Partial<Record<Rel, number[]>>;
  body?: (which: Which, actor: Actor) => unknown;
  query?: string;
}

const OK = [200],
  AUTH = [401],
  FORBID = [403],
  MISSING = [404];
const oauthProviders = (): string[] => [...new Set(Object.values(CONNECTORS).flatMap((e) => (e.oauth ? [e.oauth.provider] : [])))];
const RES: Which[] = ['own', 'other', 'global'];
let seq = 0;

const DELTA: Spec = { targets: ['none'], body: () => [], expect: { anonymous: [404, 401], user: [404, 401], admin: [404, 401] } };

/** Expectations by `METHOD url` exactly as registered. */
const SPECS: Record<string, Spec> = {
  'GET /healthz': { targets: ['none'], expect: { anonymous: OK, user: OK, admin: OK } },
  'GET /readyz': { targets: ['none'], expect: { anonymous: OK, user: OK, admin: OK } },
  'GET /metrics': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /openapi.json': { targets: ['none'], expect: { anonymous: OK, user: OK, admin: OK } },
  'GET /api/v1/me': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/tokens': { targets: ['none'], expect: { user: FORBID, admin: OK } },
  'POST /api/v1/tokens': { targets: ['none'], body: () => ({ userId: 'carol', role: 'user' }), expect: { user: FORBID, admin: [201] } },
  'DELETE /api/v1/tokens/:id': { targets: ['none'], expect: { user: FORBID, admin: MISSING } },

  'GET /api/v1/connections': { targets: ['none'], expect: { user: OK, admin: OK } },
  'POST /api/v1/connections': {
    targets: ['mine', 'global'],
    body: (w) => ({ name: `made-${++seq}`, type: 'ics-folder', settings: { path: 'cal' }, ...(w === 'global' ? { global: true } : {}) }),
    expect: { owner: [201], 'user-global': FORBID, 'admin-user': [201], 'admin-global': [201] },
  },
  'GET /api/v1/connections/:name': { targets: RES, expect: { owner: OK, 'user-global': OK, 'admin-user': OK, 'admin-global': OK } },
  'PATCH /api/v1/connections/:name': {
    targets: RES,
    body: () => ({ settings: { path: 'cal' } }),
    expect: { owner: OK, 'user-global': FORBID, 'admin-user': OK, 'admin-global': [409] },
  },
  'DELETE /api/v1/connections/:name': { targets: RES, expect: { owner: [409], 'user-global': FORBID, 'admin-user': [409], 'admin-global': [409] } },
  'POST /api/v1/connections/:name/test': { targets: RES, expect: { owner: OK, 'user-global': FORBID, 'admin-user': OK, 'admin-global': OK } },
  'GET /api/v1/connections/:name/oauth/start': { targets: RES, expect: { owner: [400], 'user-global': FORBID, 'admin-user': [400], 'admin-global': [409] } },
  'DELETE /api/v1/connections/:name/oauth': { targets: RES, expect: { owner: [400], 'user-global': FORBID, 'admin-user': [400], 'admin-global': [409] } },

  'GET /api/v1/links': { targets: ['none'], expect: { user: OK, admin: OK } },
  'POST /api/v1/links': {
    targets: ['mine', 'global'],
    body: (w, a) =>
      w === 'global'
        ? { name: `made-${++seq}`, global: true, config: { connection: 'g', scope: 'team', direction: 'pull' } }
        : { name: `made-${++seq}`, config: { connection: a === 'admin' ? 'g' : `${a}-conn`, scope: a === 'admin' ? 'team' : `${a}-scope`, direction: 'pull' } },
    expect: { owner: [201], 'user-global': FORBID, 'admin-user': [201], 'admin-global': [201] },
  },
  'GET /api/v1/links/:name': { targets: RES, expect: { owner: OK, 'user-global': OK, 'admin-user': OK, 'admin-global': OK } },
  'PATCH /api/v1/links/:name': {
    targets: RES,
    body: (w) => ({
      config:
        w === 'global'
          ? { connection: 'g', scope: 'team' }
          : { connection: w === 'own' ? 'alice-conn' : 'bob-conn', scope: w === 'own' ? 'alice-scope' : 'bob-scope' },
    }),
    expect: { owner: OK, 'user-global': FORBID, 'admin-user': OK, 'admin-global': [409] },
  },
  'DELETE /api/v1/links/:name': { targets: RES, expect: { owner: [204], 'user-global': FORBID, 'admin-user': [204], 'admin-global': [409] } },
  'POST /api/v1/links/:name/enable': { targets: RES, expect: { owner: OK, 'user-global': FORBID, 'admin-user': OK, 'admin-global': OK } },
  'POST /api/v1/links/:name/disable': { targets: RES, expect: { owner: OK, 'user-global': FORBID, 'admin-user': OK, 'admin-global': OK } },
  'POST /api/v1/links/:name/plan': { targets: RES, expect: { owner: OK, 'user-global': OK, 'admin-user': OK, 'admin-global': OK } },
  'POST /api/v1/links/:name/sync': { targets: RES, expect: { owner: [202], 'user-global': [202], 'admin-user': [202], 'admin-global': [202] } },
  // The audit reads like a plan: whoever sees the link.
  'GET /api/v1/links/:name/audit': { targets: RES, expect: { owner: OK, 'user-global': OK, 'admin-user': OK, 'admin-global': OK } },
  // Link templates are the config file's: admins run them; the harness has none, so an admin meets 404.
  'POST /api/v1/templates/:name/run': { targets: ['none'], expect: { user: FORBID, admin: MISSING } },

  'GET /api/v1/runs': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/runs/:id': { targets: RES, expect: { owner: OK, 'user-global': OK, 'admin-user': OK, 'admin-global': OK } },
  'POST /api/v1/runs/:id/undo': { targets: RES, expect: { owner: OK, 'user-global': FORBID, 'admin-user': OK, 'admin-global': OK } },
  'GET /api/v1/conflicts': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/parked': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/losses': { targets: ['none'], expect: { user: OK, admin: OK } },
  'POST /api/v1/conflicts/:link/:hubId/resolve': {
    targets: RES,
    body: () => ({ choose: 'hub' }),
    expect: { owner: MISSING, 'user-global': FORBID, 'admin-user': MISSING, 'admin-global': MISSING },
  },
  'GET /api/v1/jobs': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/jobs/:id': { targets: RES, expect: { owner: OK, 'user-global': OK, 'admin-user': OK, 'admin-global': OK } },
  'POST /api/v1/jobs/:id/retry': { targets: RES, expect: { owner: [409], 'user-global': FORBID, 'admin-user': [409], 'admin-global': [409] } },

  'GET /api/v1/scopes': { targets: ['none'], expect: { user: OK, admin: OK } },
  'POST /api/v1/scopes/:scope/grants': { targets: ['none'], body: () => ({ user: 'carol', access: 'read' }), expect: { user: FORBID, admin: OK } },
  'DELETE /api/v1/scopes/:scope/grants/:user': { targets: ['none'], expect: { user: FORBID, admin: MISSING } },
  // Booking rules: admins and the scope's owner; nobody owns some-scope, so a user does not see it.
  'GET /api/v1/scopes/:scope/rules': { targets: ['none'], expect: { user: MISSING, admin: OK } },
  'PUT /api/v1/scopes/:scope/rules': { targets: ['none'], body: () => ({ rules: [] }), expect: { user: MISSING, admin: OK } },
  'POST /api/v1/scopes/:scope/rules/apply': { targets: ['none'], expect: { user: MISSING, admin: OK } },
  'GET /api/v1/to-book': { targets: ['none'], query: '?scope=some-scope', expect: { user: OK, admin: OK } },

  // Timers and timesheets: nobody in the harness is a person of scope team, so acting for oneself is 404; locking is the admins'.
  'POST /api/v1/timers/start': { targets: ['none'], body: () => ({ scope: 'team' }), expect: { user: MISSING, admin: MISSING } },
  'POST /api/v1/timers/stop': { targets: ['none'], body: () => ({ scope: 'team' }), expect: { user: MISSING, admin: MISSING } },
  'GET /api/v1/timers/current': { targets: ['none'], query: '?scope=team', expect: { user: MISSING, admin: MISSING } },
  'DELETE /api/v1/timers/current': { targets: ['none'], query: '?scope=team', expect: { user: MISSING, admin: MISSING } },
  'GET /api/v1/timesheets': { targets: ['none'], query: '?scope=team&month=2024-01', expect: { user: MISSING, admin: MISSING } },
  'POST /api/v1/timesheets/submit': { targets: ['none'], body: () => ({ scope: 'team', month: '2024-01' }), expect: { user: MISSING, admin: MISSING } },
  'POST /api/v1/timesheets/reopen': { targets: ['none'], body: () => ({ scope: 'team', month: '2024-01' }), expect: { user: MISSING, admin: MISSING } },
  'POST /api/v1/timesheets/lock': { targets: ['none'], body: () => ({ month: '2024-01' }), expect: { user: FORBID, admin: OK } },
  // Hub records: who may see which is app/record-access.ts's (its own tests); here no fixture record exists, so reads of one are 404.
  // moffman's drop-in API: admins and the attendance scope's owner; the harness configures no attendance block, so both are 404.
  'POST /api/v1/reservations': {
    targets: ['none'],
    body: () => ({ user: { name: 'Ann', email: 'ann@example.com' }, approved: false, start: '2024-01-02', end: '2024-01-03', office_id: 'prague' }),
    expect: { user: MISSING, admin: MISSING },
  },
  'GET /api/v1/config_update': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  // The dashboard's office list: readers of the attendance scope and its persons; no attendance block here, so 404 for all.
  'GET /api/v1/offices': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'GET /api/v1/records/:kind': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/records/:kind/:id': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'GET /api/v1/records/:kind/:id/history': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'POST /api/v1/records/:kind': {
    targets: ['none'],
    query: '?scope=team',
    body: () => ({ fields: { name: `person-${++seq}`, username: `person-${seq}` } }),
    expect: { user: FORBID, admin: [201] },
  },
  'PATCH /api/v1/records/:kind/:id': { targets: ['none'], body: () => ({ fields: {} }), expect: { user: [428], admin: [428] } },
  'DELETE /api/v1/records/:kind/:id': { targets: ['none'], expect: { user: [428], admin: [428] } },
  'POST /api/v1/records/timeEntry/:id/split': { targets: ['none'], body: () => ({ durationsSeconds: [1, 1] }), expect: { user: [428], admin: [428] } },

  // The dashboard: pages need a session cookie (a bearer token is not one), so every caller here is sent to the sign-in page.
  ...Object.fromEntries(
    [
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
    ].map((p) => [`GET ${p}`, { targets: ['none'], expect: { anonymous: [303], user: [303], admin: [303] } } satisfies Spec]),
  ),
  'GET /signin': { targets: ['none'], expect: { anonymous: OK, user: OK, admin: OK } },
  'GET /assets/*': { targets: ['none'], expect: { anonymous: MISSING, user: MISSING, admin: MISSING } },
  'POST /api/v1/session': { targets: ['none'], body: () => ({ token: 'tb_not-a-token' }), expect: { anonymous: AUTH, user: AUTH, admin: AUTH } },
  'GET /api/v1/session': { targets: ['none'], expect: { anonymous: AUTH, user: AUTH, admin: AUTH } },
  'DELETE /api/v1/session': { targets: ['none'], expect: { anonymous: [204], user: [204], admin: [204] } },
  'GET /api/v1/overview': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/me/persons': { targets: ['none'], expect: { user: OK, admin: OK } },
  'GET /api/v1/runs/:id/diff': { targets: RES, expect: { owner: OK, 'user-global': OK, 'admin-user': OK, 'admin-global': OK } },
  'GET /api/v1/events': { targets: ['none'], query: '?timeoutMs=1', expect: { user: OK, admin: OK } },
  'POST /api/v1/links/:name/apply': {
    targets: RES,
    body: (w) => ({ plan: { linkId: `link:${w === 'global' ? 'g' : w === 'own' ? 'alice-link' : 'bob-link'}`, actions: [] } }),
    expect: { owner: [200, 409], 'user-global': [200, 409], 'admin-user': [200, 409], 'admin-global': [200, 409] },
  },

  // Public: the token does not matter; an address that takes no webhooks is 404, an unsigned delivery 401.
  'POST /webhooks/:type/:connection': { targets: ['own', 'global'], body: () => '{}', expect: { anonymous: [404, 401], user: [404, 401], admin: [404, 401] } },
  // Public, signed by the chat service (Slack): the token does not matter; this service has no chat connection, so every caller meets 404.
  'POST /chat/:type/:connection': { targets: ['own', 'global'], body: () => '{}', expect: { anonymous: MISSING, user: MISSING, admin: MISSING } },
  // Each OAuth provider's callback, from the registry (a new connector's adds one): public; without a pending state, 401.
  ...Object.fromEntries(
    oauthProviders().map((p) => [`GET /oauth/${p}/callback`, { targets: ['none'], expect: { anonymous: AUTH, user: AUTH, admin: AUTH } } satisfies Spec]),
  ),

  // Kimai drop-ins: this service has no Kimai link, so every caller who may call them meets 404.
  'POST /sync-from-kimai/customers': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'POST /sync-from-kimai/tasks': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'POST /sync-from-kimai/accounts': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'POST /sync-to-kimai/work-logs': { targets: ['none'], body: () => ({ start: '2024-01-01', end: '2024-01-31' }), expect: { user: MISSING, admin: MISSING } },
  'POST /update-queue/work-logs/:id': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'PUT /kimai-timesheets/:kimaiId': { targets: ['none'], expect: { user: MISSING, admin: MISSING } },
  'POST /timesheets/lock': { targets: ['none'], body: () => ({ month: 1, year: 2024 }), expect: { user: FORBID, admin: MISSING } },
  // The mu-semtech delta receiver, once an entry mounts it: public (the notifier sends no token); with no Timekeeper connection 404, untrusted 401.
  ...(Object.values(CONNECTORS).some((e) => e.routes?.routes.some((r) => r.path === '/delta')) ? { 'POST /delta': DELTA } : {}),
};

/** The API reference pages: public, never 401, never 5xx. */
const isDocs = (url: string) => url === '/docs' || url.startsWith('/docs/');

function relation(actor: Actor, which: Which): Rel {
  if (actor === 'anonymous') return 'anonymous';
  if (which === 'none') return actor === 'admin' ? 'admin' : 'user';
  if (actor === 'admin') return which === 'global' ? 'admin-global' : 'admin-user';
  if (which === 'global') return 'user-global';
  if (which === 'mine') return 'owner';
  return (which === 'own') === (actor === 'alice') ? 'owner' : 'stranger';
}

function fill(url: string, which: Which, h: Harness): string {
  const who = which === 'own' ? 'alice' : which === 'other' ? 'bob' : 'global';
  const kind = /\/connections\/:name/.test(url) ? 'conn' : 'link';
  const named = which === 'global' ? 'g' : `${who}-${kind}`;
  const run = h.runs[who as 'alice'] ?? h.runs.global;
  return url
    .replace(':type', 'ics-folder')
    .replace(':connection', which === 'global' ? 'g' : `${who}-conn`)
    .replace(':name', named)
    .replace(':link', which === 'global' ? 'g' : `${who}-link`)
    .replace(':hubId', 'no-such-record')
    .replace(':id', /\/runs\//.test(url) ? run.runId : /\/jobs\//.test(url) ? run.jobId : 'no-such-id')
    .replace(':scope', 'some-scope')
    .replace(':user', 'nobody')
    .replace(':kimaiId', '1')
    .replace(':kind', /\/records\/:kind$/.test(url) ? 'person' : 'timeEntry')
    .replace('*', 'index.html');
}

for (const store of ['sqlite', 'postgres'] as const) {
  describe(`authorization matrix on ${store}`, store === 'postgres' ? await needsPostgres() : {}, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness({ store });
    });
    after(async () => {
      await h?.close();
    });

    it('every registered route has an expectation', () => {
      const missing = h.routes.filter((r) => !isDocs(r.url) && !SPECS[`${r.method} ${r.url}`]).map((r) => `${r.method} ${r.url}`);
      assert.deepEqual(missing, [], 'add these routes to SPECS in authz-matrix.test.ts');
      const stale = Object.keys(SPECS).filter((k) => !h.routes.some((r) => `${r.method} ${r.url}` === k));
      assert.deepEqual(stale, [], 'SPECS names routes the server no longer has');
    });

    it('every route × caller × resource answers as the rules say', async () => {
      const failures: string[] = [];
      let cases = 0;
      for (const route of h.routes) {
        const key = `${route.method} ${route.url}`;
        const spec: Spec = isDocs(route.url) ? { targets: ['none'], expect: {} } : SPECS[key]!;
        for (const which of spec.targets) {
          for (const actor of ACTORS) {
            const rel = relation(actor, route.public ? 'none' : which);
            const allowed = spec.expect[rel] ?? (rel === 'anonymous' ? AUTH : rel === 'stranger' ? MISSING : null);
            const url = fill(route.url, which, h) + (spec.query ?? '');
            const res = await h.call(actor, route.method, url, spec.body?.(which, actor));
            cases++;
            const ok = isDocs(route.url) ? res.status < 500 && res.status !== 401 : allowed !== null && allowed.includes(res.status);
            if (!ok)
              failures.push(
                `${key} as ${actor} on ${which} (${url}): ${res.status} ${res.text.slice(0, 160)} — expected ${allowed?.join('|') ?? '(no expectation)'}`,
              );
            // Every error answer has the one shape.
            if (res.status >= 400 && !isDocs(route.url) && !(res.body?.error?.code && res.body?.error?.message))
              failures.push(`${key} as ${actor}: error without {error: {code, message}}: ${res.text.slice(0, 120)}`);
            // Another user's resource answers exactly as one that does not exist.
            if (rel === 'stranger') {
              const ghost = await h.call(
                actor,
                route.method,
                url.replace(/(alice|bob)-(conn|link)/g, 'ghost-$2').replace(/\/(runs|jobs)\/[^/]+/, '/$1/ghost-id'),
                spec.body?.(which, actor),
              );
              const shape = (r: typeof res) =>
                `${r.status} ${r.body?.error?.code} ${String(r.body?.error?.message).replace(/(alice|bob|ghost)-(conn|link)|[0-9a-f-]{36}|ghost-id|run_[\w-]+|job_[\w-]+/g, 'X')}`;
              if (shape(res) !== shape(ghost))
                failures.push(`${key} as ${actor}: another user's resource (${shape(res)}) answers unlike a missing one (${shape(ghost)})`);
            }
            if (res.status < 300 && route.method !== 'GET') await h.restore();
          }
        }
      }
      assert.deepEqual(failures, []);
      assert.ok(cases >= 300, `${cases} cases`);
      console.log(`# authorization matrix on ${store}: ${cases} cases over ${h.routes.length} routes`);
    });
  });
}
