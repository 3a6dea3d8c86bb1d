/**
 * `POST /delta` on the real service over HTTP, without a SPARQL store: the test mounts the
 * receiver on the Kimai entry (and takes it off the Timekeeper entry): a delta then runs that
 * entry's links (the Kimai emulator's), which proves the route reaches the job queue with
 * its grace period and folding, without a token, as the notifier calls it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNECTORS } from '../../../src/connectors/registry.js';
import { kimaiEntry } from '../../../src/connectors/kimai/index.js';
import { kimaiRoutes } from '../../../src/connectors/kimai/drop-in-routes.js';
import { deltaRoute, ICAL, newCallId } from '../../../src/connectors/timekeeper/delta/index.js';
import { startKimai } from '../kimai/kimai-fixture.js';
import { config, kimaiLinks } from '../kimai/kimai-workspace.js';
import { startDropIns, type DropInServer } from '../kimai/drop-in-server.js';
import { until } from '../../support/serve.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;
const SECRET = 'delta-shared-secret-0123456789';
const WL = 'http://timekeeper.redpencil.io/work-logs/8d1e';
const edit = [
  {
    inserts: [{ subject: { type: 'uri', value: WL }, predicate: { type: 'uri', value: `${ICAL}duration` }, object: { type: 'literal', value: 'PT2H' } }],
    deletes: [],
  },
];
const yamlFor = (emu: Emu, extra = '') => {
  const k = kimaiLinks('kimai', emu.base);
  return config([{ ...k, connection: k.connection + extra }]).replace('store:\n', 'serve:\n  concurrency: 1\n  scheduler: false\nstore:\n');
};
const LINKS = ['kimai-customers', 'kimai-projects', 'kimai-activities', 'kimai-users', 'kimai-timesheets'];

describe('POST /delta over HTTP', () => {
  const saved = CONNECTORS.kimai!;
  const keeper = CONNECTORS.timekeeper!;
  let emu: Emu;
  before(async () => {
    CONNECTORS.kimai = { ...kimaiEntry, routes: { ...kimaiRoutes, routes: [...kimaiRoutes.routes, deltaRoute] } };
    CONNECTORS.timekeeper = { ...keeper, routes: undefined };
    emu = await startKimai();
  });
  after(async () => {
    CONNECTORS.kimai = saved;
    CONNECTORS.timekeeper = keeper;
    await emu.close();
  });

  describe('a connection without a secret (trusted by network)', () => {
    let s: DropInServer;
    before(async () => {
      s = await startDropIns(yamlFor(emu));
    });
    after(() => s.close());

    it('folds a burst of deltas into one run per link after the grace period, without a token', async () => {
      for (let i = 0; i < 3; i++) {
        const r = await s.call('POST', '/delta', { token: null, body: edit, headers: { 'mu-call-id': String(i), 'mu-call-id-trail': '["41"]' } });
        assert.deepEqual([r.status, r.body], [204, null]);
      }
      const deltaRuns = async (link: string) => (await s.svc.store.listRuns({ linkId: `link:${link}`, limit: 20 })).filter((r) => r.trigger === 'delta:kimai');
      await until('a delta run of every link', async () => (await Promise.all(LINKS.map(deltaRuns))).every((r) => r.length > 0), 20_000);
      for (const l of LINKS) assert.equal((await deltaRuns(l)).length, 1, `${l}: three deltas, one run`);
    });

    it('answers our own writes with 204 and refuses a malformed delta with 400, logging no content', async () => {
      const own = await s.call('POST', '/delta', { token: null, body: edit, headers: { 'mu-call-id-trail': JSON.stringify([newCallId()]) } });
      assert.equal(own.status, 204);
      const marker = 'CONFIDENTIAL-WORKLOG-NOTE';
      const bad = await s.call('POST', '/delta', { token: null, raw: `[{"inserts": [{"subject": "${marker}"}], "deletes": []}]` });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'REQUEST_INVALID');
      assert.match(bad.body.error.message, /\[0\]\.inserts\[0\]\.subject/);
      const notJson = await s.call('POST', '/delta', { token: null, raw: `{${marker}` });
      assert.deepEqual([notJson.status, notJson.body.error.message], [400, 'the delta is not JSON']);
      await until('the refusals logged', () => s.logs.filter((l) => l.includes('delta refused')).length >= 2);
      assert.ok(!s.logs.join('').includes(marker), 'the body is not in the log');
    });

    it('is in the OpenAPI document as a route without a token', async () => {
      const doc = (await s.call('GET', '/openapi.json', { token: null })).body;
      assert.deepEqual(doc.paths['/delta'].post.security, []);
    });
  });

  describe('a connection with a webhook secret', () => {
    let s: DropInServer;
    before(async () => {
      s = await startDropIns(yamlFor(emu, `    webhook: { secret: ${SECRET} }\n`));
    });
    after(() => s.close());

    it('takes deltas only with the secret, in the query or a header', async () => {
      const none = await s.call('POST', '/delta', { token: null, body: edit });
      assert.deepEqual([none.status, none.body.error.code], [401, 'AUTH_REQUIRED']);
      assert.equal((await s.call('POST', `/delta?token=wrong-${SECRET}`, { token: null, body: edit })).status, 401);
      assert.equal((await s.call('POST', `/delta?token=${SECRET}`, { token: null, body: edit })).status, 204);
      assert.equal((await s.call('POST', '/delta', { token: null, body: edit, headers: { 'x-delta-token': SECRET } })).status, 204);
      await until(
        'the delta run',
        async () => (await s.svc.store.listRuns({ linkId: 'link:kimai-timesheets', limit: 5 })).some((r) => r.trigger === 'delta:kimai'),
        20_000,
      );
      assert.ok(!s.logs.join('').includes(SECRET), 'the secret is not logged');
    });
  });
});
