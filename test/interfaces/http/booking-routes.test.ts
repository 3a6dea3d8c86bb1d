/**
 * Booking rules through the API: GET/PUT /scopes/:scope/rules (admins and the scope owner;
 * a grantee 403, anyone else 404), rule errors that name the rule, grants and rules kept
 * side by side, GET /to-book (what the caller may read, with the rule that books it now)
 * and POST …/rules/apply booking the waiting entries through the change log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Fields, RecordKind } from '../../../src/core/model.js';
import { startHarness, type Harness } from './security-harness.js';

const SCOPE = 'alice-scope';

async function put(h: Harness, id: string, kind: RecordKind, fields: Fields): Promise<void> {
  await h.svc.store.commit({
    records: [
      {
        id,
        kind,
        scope: SCOPE,
        fields,
        identity: null,
        tombstone: false,
        origin: 'test',
        runId: null,
        expectedVersion: 0,
        updatedAt: new Date().toISOString(),
      },
    ],
  });
}

const entry = (description: string, personId: string | null): Fields => ({
  date: '2026-03-02',
  start: '2026-03-02T09:00:00Z',
  durationSeconds: 3600,
  timeZone: 'UTC',
  description,
  personId,
  projectId: null,
  activityId: null,
  taskId: null,
  billable: null,
  tags: [],
});

describe('booking rules API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ store: 'sqlite' });
    await put(h, 'per-alice', 'person', { name: 'Alice', email: 'alice@example.com', username: 'alice', timeZone: null, active: true });
    await put(h, 'proj-acme', 'project', { name: 'ACME' });
    await put(h, 'e-acme', 'timeEntry', entry('ACME weekly', 'per-alice'));
    await put(h, 'e-other', 'timeEntry', entry('Lunch', 'per-alice'));
    await put(h, 'e-nobody', 'timeEntry', entry('ACME review', null));
  });
  after(async () => {
    await h.close();
  });

  const rule = { name: 'acme', when: { summary: 'acme' }, set: { project: 'ACME', tags: ['client'] } };

  it('the owner puts and reads rules; another user meets 404, a grantee 403; an admin may', async () => {
    const putRes = await h.call('alice', 'PUT', `/api/v1/scopes/${SCOPE}/rules`, { rules: [rule] });
    assert.equal(putRes.status, 200, putRes.text);
    assert.deepEqual(putRes.body.api, [rule]);
    assert.deepEqual(putRes.body.problems, []);
    const got = await h.call('alice', 'GET', `/api/v1/scopes/${SCOPE}/rules`);
    assert.deepEqual([got.status, got.body.api[0].name], [200, 'acme']);

    assert.equal((await h.call('bob', 'GET', `/api/v1/scopes/${SCOPE}/rules`)).status, 404);
    assert.equal((await h.call('bob', 'PUT', `/api/v1/scopes/${SCOPE}/rules`, { rules: [] })).status, 404);
    const grant = await h.call('admin', 'POST', `/api/v1/scopes/${SCOPE}/grants`, { user: 'bob', access: 'read' });
    assert.equal(grant.status, 200, grant.text);
    assert.equal((await h.call('bob', 'GET', `/api/v1/scopes/${SCOPE}/rules`)).status, 403);
    assert.equal((await h.call('bob', 'PUT', `/api/v1/scopes/${SCOPE}/rules`, { rules: [] })).status, 403);
    // The grant did not drop the rules, and the rules did not drop the grant.
    assert.deepEqual((await h.call('admin', 'GET', `/api/v1/scopes/${SCOPE}/rules`)).body.api, [rule]);
    assert.equal((await h.svc.catalog.scopes.view(SCOPE)).grants.bob, 'read');
  });

  it('the routes are in the OpenAPI document', async () => {
    const doc = await h.call('anonymous', 'GET', '/openapi.json');
    for (const p of ['/api/v1/scopes/{scope}/rules', '/api/v1/scopes/{scope}/rules/apply', '/api/v1/to-book']) assert.ok(doc.body.paths[p], p);
  });

  it('an invalid rule is refused naming the rule and the field; an unknown name is a problem, not an error', async () => {
    const bad = await h.call('alice', 'PUT', `/api/v1/scopes/${SCOPE}/rules`, {
      rules: [rule, { name: 'broken', when: { summaryRegex: '(' }, set: { project: 'ACME' } }],
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.error.code, 'REQUEST_INVALID');
    assert.match(bad.body.error.message, /rules\.1\.when\.summaryRegex \(rule "broken"\): is not a valid regular expression/);
    const unknown = await h.call('alice', 'PUT', `/api/v1/scopes/${SCOPE}/rules`, {
      rules: [rule, { name: 'later', when: { summary: 'x' }, set: { project: 'Not yet synced' } }],
    });
    assert.equal(unknown.status, 200, unknown.text);
    assert.match(unknown.body.problems[0], /booking rule "later": no hub project is "Not yet synced"/);
  });

  it('to-book lists what the caller may read, with the rule that books it now; apply books it through the change log', async () => {
    const alice = await h.call('alice', 'GET', `/api/v1/to-book?scope=${SCOPE}`);
    assert.equal(alice.status, 200, alice.text);
    const byId = new Map(alice.body.entries.map((e: { id: string }) => [e.id, e]));
    assert.deepEqual([...byId.keys()].sort(), ['e-acme', 'e-nobody', 'e-other']);
    assert.deepEqual(byId.get('e-acme'), {
      id: 'e-acme',
      version: 1,
      date: '2026-03-02',
      description: 'ACME weekly',
      personId: 'per-alice',
      missing: ['project'],
      rule: 'acme',
    });
    assert.deepEqual((byId.get('e-nobody') as { missing: string[] }).missing, ['person', 'project']);
    assert.equal((byId.get('e-other') as { rule: string | null }).rule, null);
    // A user with no grant and no person in the scope sees none of it.
    await h.call('admin', 'DELETE', `/api/v1/scopes/${SCOPE}/grants/bob`);
    assert.deepEqual((await h.call('bob', 'GET', `/api/v1/to-book?scope=${SCOPE}`)).body.entries, []);

    assert.equal((await h.call('bob', 'POST', `/api/v1/scopes/${SCOPE}/rules/apply`)).status, 404);
    const applied = await h.call('alice', 'POST', `/api/v1/scopes/${SCOPE}/rules/apply`);
    assert.equal(applied.status, 200, applied.text);
    assert.deepEqual(applied.body.booked.map((b: { id: string }) => b.id).sort(), ['e-acme', 'e-nobody']);
    const [acme] = await h.svc.store.getRecords(['e-acme']);
    assert.deepEqual([acme!.fields.projectId, acme!.fields.personId, acme!.fields.tags, acme!.origin], ['proj-acme', 'per-alice', ['client'], 'rule:acme']);
    const left = (await h.call('alice', 'GET', `/api/v1/to-book?scope=${SCOPE}`)).body.entries.map((e: { id: string; missing: string[] }) => [e.id, e.missing]);
    assert.deepEqual(left.sort(), [
      ['e-nobody', ['person']],
      ['e-other', ['project']],
    ]);
  });
});
