/**
 * The delta receiver's pure parts (parsing v0.0.1 change sets, the rules, our own call ids,
 * network trust) and its route on a recording context: which links it runs, and when not.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimebridgeError } from '../../../src/core/errors.js';
import type { RouteConnection, RouteContext, RouteLink } from '../../../src/connectors/kit/routes.js';
import {
  DEFAULT_DELTA_RULES,
  ICAL,
  affectedSubjects,
  deltaRoutes,
  isInternalAddress,
  isOwnDelivery,
  newCallId,
  parseDelta,
  receiveDelta,
  type ChangeSet,
} from '../../../src/connectors/timekeeper/delta/index.js';

const WL = 'http://timekeeper.redpencil.io/work-logs/5f0c';
const uri = (value: string) => ({ type: 'uri', value });
const lit = (value: string, datatype?: string) => ({ type: 'literal', value, ...(datatype ? { datatype } : {}) });
const q = (s: string, p: string, o: { type: string; value: string }) => ({
  subject: uri(s),
  predicate: uri(p),
  object: o,
  graph: uri('http://mu.semte.ch/graphs/redpencil'),
});
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

const durationEdit: ChangeSet[] = [
  { inserts: [], deletes: [q(WL, `${ICAL}duration`, lit('PT1H'))] },
  { inserts: [q(WL, `${ICAL}duration`, lit('PT2H30M'))], deletes: [] },
];

describe('delta v0.0.1 parsing', () => {
  it('reads the change sets the notifier sends', () => {
    const r = parseDelta(JSON.stringify(durationEdit));
    assert.ok(r.ok);
    assert.equal(r.changeSets[1]!.inserts[0]!.object.value, 'PT2H30M');
  });

  it('refuses malformed deltas, naming where without quoting the content', () => {
    const secret = 'SECRET-CONTENT-42';
    const cases: [string, RegExp][] = [
      ['', /no body.*resourceFormat "v0\.0\.1"/],
      [`{"${secret}"`, /not JSON/],
      [JSON.stringify({ changeSets: [{ insert: [] }] }), /^the body: expected array, received object/],
      [JSON.stringify([{ inserts: [{ subject: uri(WL), predicate: uri(secret) }], deletes: [] }]), /^\[0\]\.inserts\[0\]\.object: is missing/],
      [
        JSON.stringify([{ inserts: [], deletes: [{ subject: uri(WL), predicate: { type: 'uri', value: 7 }, object: lit(secret) }] }]),
        /^\[0\]\.deletes\[0\]\.predicate\.value: expected string/,
      ],
    ];
    for (const [body, reason] of cases) {
      const r = parseDelta(body);
      assert.ok(!r.ok, body);
      assert.match(r.reason, reason);
      assert.ok(!r.reason.includes(secret), r.reason);
    }
  });
});

describe('delta rules', () => {
  it("match the original rules.js: a work log's type, start, duration, person and task", () => {
    assert.deepEqual(affectedSubjects(durationEdit, DEFAULT_DELTA_RULES), [WL]);
    const made = [
      { inserts: [q(WL, RDF_TYPE, uri(`${ICAL}Vevent`)), q(WL, `${ICAL}dtstart`, lit('2026-03-02', 'http://www.w3.org/2001/XMLSchema#date'))], deletes: [] },
    ];
    assert.deepEqual(affectedSubjects(made, DEFAULT_DELTA_RULES), [WL]);
    for (const p of ['http://www.w3.org/ns/prov#wasAssociatedWith', 'http://purl.org/dc/terms/subject'])
      assert.deepEqual(affectedSubjects([{ inserts: [], deletes: [q(WL, p, uri('http://x/y'))] }], DEFAULT_DELTA_RULES), [WL]);
  });

  it('leave out what the work-log mapping does not read', () => {
    const other = [
      {
        inserts: [
          q(WL, `${ICAL}comment`, lit('a note')),
          q('http://timekeeper.redpencil.io/persons/1', RDF_TYPE, uri('http://xmlns.com/foaf/0.1/Person')),
          q(WL, 'http://purl.org/dc/terms/identifier', lit('123')),
        ],
        deletes: [],
      },
    ];
    assert.deepEqual(affectedSubjects(other, DEFAULT_DELTA_RULES), []);
  });

  it('take configured rules with the notifier’s match semantics ({} matches all)', () => {
    const comments = [{ predicate: { value: `${ICAL}comment` } }];
    const set = [{ inserts: [q(WL, `${ICAL}comment`, lit('a note'))], deletes: [] }];
    assert.deepEqual(affectedSubjects(set, comments), [WL]);
    assert.deepEqual(affectedSubjects(durationEdit, comments), []);
    assert.deepEqual(affectedSubjects(durationEdit, [{}]), [WL]);
  });
});

describe('our own writes and network trust', () => {
  it('knows a delivery caused only by our calls, alone or bundled', () => {
    const ours = newCallId();
    assert.notEqual(ours, newCallId());
    assert.equal(isOwnDelivery({ 'mu-call-id-trail': JSON.stringify(['1234', ours]) }), true);
    assert.equal(isOwnDelivery({ 'mu-call-id-trail': JSON.stringify(['1234']) }), false);
    assert.equal(isOwnDelivery({}), false);
    assert.equal(isOwnDelivery({ 'mu-call-id-trail': 'not json' }), false);
    const bundle = (...trails: string[][]) => ({ 'mu-bundled-call-id-trails': trails.map((t) => JSON.stringify(t)).join(',') });
    assert.equal(isOwnDelivery(bundle([ours], [newCallId()])), true);
    assert.equal(isOwnDelivery(bundle([ours], ['99'])), false, "a bundle with someone else's change is not ours");
  });

  it('trusts loopback and private addresses only', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.18.0.9', '192.168.1.5', '::1', '::ffff:172.18.0.9', 'fd00::5']) assert.ok(isInternalAddress(ip), ip);
    for (const ip of ['8.8.8.8', '172.32.0.1', '::ffff:1.2.3.4', '2001:db8::1']) assert.ok(!isInternalAddress(ip), ip);
  });
});

/** A context that records what the route queues; links per connection. */
function recording(conns: RouteConnection[], links: Record<string, RouteLink[]>) {
  const notified: { link: string; trigger: string; graceMs: number }[] = [];
  const logs: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  const no = () => {
    throw new Error('not used by the delta route');
  };
  const ctx: RouteContext = {
    caller: { userId: 'network:test', admin: false },
    requireAdmin: no,
    links: no,
    otherLinks: no,
    enqueueRun: no,
    waitForJobs: no,
    hubRecord: no,
    tracked: no,
    lockMonth: no,
    connections: async () => conns,
    linksOf: async (c) => links[c] ?? [],
    notifyChange: async (link, o) => {
      notified.push({ link, ...o });
      return { jobId: `j-${notified.length}`, folded: false };
    },
    log: { info: (fields, msg) => logs.push({ level: 'info', fields, msg }), warn: (fields, msg) => logs.push({ level: 'warn', fields, msg }) },
  };
  return { ctx, notified, logs };
}

const link = (name: string, connection: string, externalKind = 'work-log'): RouteLink => ({ name, scope: 'work', externalKind, connection });
const post = (body: unknown, o: { ip?: string; query?: Record<string, unknown>; headers?: Record<string, string> } = {}) => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  query: o.query ?? {},
  headers: o.headers ?? {},
  ip: o.ip ?? '172.18.0.5',
});
const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    if (isTimebridgeError(err)) return err.code;
    throw err;
  }
  return 'accepted';
};

describe('POST /delta', () => {
  const tk = { name: 'tk', owner: null, settings: {}, secret: null };
  it('is mounted at the root without a token', () => {
    assert.deepEqual(
      deltaRoutes.routes.map((r) => [r.method, r.path, r.auth]),
      [['POST', '/delta', 'network']],
    );
    assert.equal(deltaRoutes.prefix, '/');
  });

  it('runs the links of the trusting connection after its grace period', async () => {
    const r = recording([tk, { name: 'tk-ext', owner: null, settings: {}, secret: 'a-long-shared-secret-0001' }], {
      tk: [link('tk-work-logs', 'tk'), link('tk-projects', 'tk', 'project')],
      'tk-ext': [link('other', 'tk-ext')],
    });
    assert.deepEqual(await receiveDelta(post(durationEdit), r.ctx), { status: 204, body: null });
    assert.deepEqual(r.notified, [
      { link: 'tk-work-logs', trigger: 'delta:tk', graceMs: 2000 },
      { link: 'tk-projects', trigger: 'delta:tk', graceMs: 2000 },
    ]);
  });

  it('takes each connection’s delta settings: grace period, rules, kinds', async () => {
    const conn = { ...tk, settings: { delta: { gracePeriodMs: 500, externalKinds: ['work-log'], rules: [{ predicate: { value: `${ICAL}comment` } }] } } };
    const r = recording([conn], { tk: [link('tk-work-logs', 'tk'), link('tk-projects', 'tk', 'project')] });
    await receiveDelta(post(durationEdit), r.ctx);
    assert.deepEqual(r.notified, [], 'duration is not in these rules');
    await receiveDelta(post([{ inserts: [q(WL, `${ICAL}comment`, lit('x'))], deletes: [] }]), r.ctx);
    assert.deepEqual(r.notified, [{ link: 'tk-work-logs', trigger: 'delta:tk', graceMs: 500 }]);
  });

  it('ignores deltas of our own writes, and those no rule matches', async () => {
    const r = recording([tk], { tk: [link('tk-work-logs', 'tk')] });
    assert.equal((await receiveDelta(post(durationEdit, { headers: { 'mu-call-id-trail': JSON.stringify([newCallId()]) } }), r.ctx)).status, 204);
    assert.equal((await receiveDelta(post([{ inserts: [q(WL, `${ICAL}comment`, lit('x'))], deletes: [] }]), r.ctx)).status, 204);
    assert.deepEqual(r.notified, []);
    assert.ok(r.logs.some((l) => l.msg === 'delta ignored'));
  });

  it('trusts the private network for a global connection without a secret, and the secret otherwise', async () => {
    const secret = 'a-long-shared-secret-0001';
    const r = recording([tk, { name: 'tk-ext', owner: null, settings: {}, secret }, { name: 'mine', owner: 'alice', settings: {}, secret: null }], {
      tk: [link('tk-work-logs', 'tk')],
      'tk-ext': [link('ext-work-logs', 'tk-ext')],
      mine: [link('alice-work-logs', 'mine')],
    });
    assert.equal(await refusal(receiveDelta(post(durationEdit, { ip: '203.0.113.9' }), r.ctx)), 'AUTH_REQUIRED');
    assert.equal(await refusal(receiveDelta(post(durationEdit, { ip: '203.0.113.9', query: { token: 'wrong-secret-0000000001' } }), r.ctx)), 'AUTH_REQUIRED');
    assert.equal(r.notified.length, 0);
    await receiveDelta(post(durationEdit, { ip: '203.0.113.9', query: { token: secret } }), r.ctx);
    await receiveDelta(post(durationEdit, { ip: '203.0.113.9', headers: { 'x-delta-token': secret } }), r.ctx);
    assert.deepEqual(
      r.notified.map((n) => n.link),
      ['ext-work-logs', 'ext-work-logs'],
      'the secret reaches only its connection; a user’s connection is never trusted by network',
    );
    assert.ok(r.logs.every((l) => !JSON.stringify(l).includes(secret)));
  });

  it('refuses a malformed delta with 400 and logs it without its content', async () => {
    const r = recording([tk], { tk: [link('tk-work-logs', 'tk')] });
    const marker = 'PRIVATE-NOTE-7';
    assert.equal(await refusal(receiveDelta(post(`[{"inserts": "${marker}"}]`), r.ctx)), 'REQUEST_INVALID');
    assert.equal(await refusal(receiveDelta(post(`{${marker}`), r.ctx)), 'REQUEST_INVALID');
    assert.deepEqual(r.notified, []);
    assert.equal(r.logs.filter((l) => l.level === 'warn').length, 2);
    assert.ok(!JSON.stringify(r.logs).includes(marker));
  });

  it('says when no Timekeeper connection takes deltas', async () => {
    assert.equal(await refusal(receiveDelta(post(durationEdit), recording([], {}).ctx)), 'RESOURCE_NOT_FOUND');
  });
});
