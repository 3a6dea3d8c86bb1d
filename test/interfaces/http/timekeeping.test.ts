/**
 * Timers and timesheets through the real service and Fastify server (the security
 * harness: tokens of admin `root`, users `alice` and `bob`): a user acts for their own
 * person; another user's person is answered as not found; admins and the scope's owner
 * act for others; only admins lock a month.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from './security-harness.js';

describe('timers and timesheets over HTTP', () => {
  let h: Harness, alice: string, bob: string;
  /** The month of alice's entries (the service runs on the real clock; her day is Berlin's). */
  let month = '';
  const person = async (scope: string, username: string) =>
    (
      await h.svc.records.create({
        scope,
        kind: 'person',
        actor: { origin: 'cli:test' },
        fields: { name: username, email: null, username, timeZone: 'Europe/Berlin', active: true },
      })
    ).id;

  before(async () => {
    h = await startHarness({ store: 'sqlite' });
    alice = await person('team', 'alice');
    bob = await person('team', 'bob');
  });
  after(async () => {
    await h.close();
  });

  it('alice starts and stops her own timer; the change queues the scope’s links', async () => {
    const started = await h.call('alice', 'POST', '/api/v1/timers/start', { scope: 'team', description: 'standup', tags: ['meeting'] });
    assert.equal(started.status, 201, started.text);
    assert.equal(started.body.timer.fields.personId, alice);
    assert.equal(started.body.timer.fields.timeZone, 'Europe/Berlin');
    assert.equal(started.body.timer.origin, 'api:alice');
    assert.deepEqual(
      started.body.jobs.map((j: { link: string }) => j.link),
      ['g'],
    );
    const current = await h.call('alice', 'GET', '/api/v1/timers/current?scope=team');
    assert.deepEqual([current.status, current.body.running, current.body.timer.id], [200, true, started.body.timer.id]);
    const stopped = await h.call('alice', 'POST', '/api/v1/timers/stop', { scope: 'team' });
    assert.equal(stopped.status, 200, stopped.text);
    assert.deepEqual([stopped.body.entry.kind, stopped.body.entry.fields.description, stopped.body.timer.tombstone], ['timeEntry', 'standup', true]);
    month = String(stopped.body.entry.fields.date).slice(0, 7);
    const none = await h.call('alice', 'POST', '/api/v1/timers/stop', { scope: 'team' });
    assert.deepEqual([none.status, none.body.error.code], [404, 'RESOURCE_NOT_FOUND']);
  });

  it("bob cannot see, stop or discard alice's timer (404, as if she had none); an admin can act for her", async () => {
    const started = await h.call('alice', 'POST', '/api/v1/timers/start', { scope: 'team' });
    assert.equal(started.status, 201);
    for (const [method, url, body] of [
      ['POST', '/api/v1/timers/stop', { scope: 'team', personId: alice }],
      ['GET', `/api/v1/timers/current?scope=team&personId=${alice}`, undefined],
      ['DELETE', `/api/v1/timers/current?scope=team&personId=${alice}`, undefined],
    ] as const) {
      const r = await h.call('bob', method, url, body);
      assert.deepEqual([r.status, r.body.error.code], [404, 'RESOURCE_NOT_FOUND'], `${method} ${url}`);
    }
    // A person bob names that does not exist answers alike.
    const ghost = await h.call('bob', 'POST', '/api/v1/timers/stop', { scope: 'team', personId: 'no-such-person' });
    assert.equal(ghost.status, 404);
    assert.equal((await h.call('alice', 'GET', '/api/v1/timers/current?scope=team')).body.running, true, 'still running');
    // Bob's own: he has none.
    assert.equal((await h.call('bob', 'POST', '/api/v1/timers/stop', { scope: 'team' })).status, 404);
    const byAdmin = await h.call('admin', 'POST', '/api/v1/timers/stop', { scope: 'team', personId: alice });
    assert.equal(byAdmin.status, 200, byAdmin.text);
    assert.deepEqual([byAdmin.body.entry.fields.personId, byAdmin.body.entry.origin], [alice, 'api:root']);
    // The admin is no person: without personId there is nobody to act for.
    const self = await h.call('admin', 'POST', '/api/v1/timers/start', { scope: 'team' });
    assert.deepEqual([self.status, self.body.error.code], [404, 'RESOURCE_NOT_FOUND']);
  });

  it('a scope owner acts for the persons of their scope', async () => {
    const carol = await person('alice-scope', 'carol');
    const r = await h.call('alice', 'POST', '/api/v1/timers/start', { scope: 'alice-scope', personId: carol });
    assert.equal(r.status, 201, r.text);
    assert.equal((await h.call('bob', 'DELETE', `/api/v1/timers/current?scope=alice-scope&personId=${carol}`)).status, 404);
    const discarded = await h.call('alice', 'DELETE', `/api/v1/timers/current?scope=alice-scope&personId=${carol}`);
    assert.deepEqual([discarded.status, discarded.body.timer.tombstone], [200, true]);
  });

  it('alice submits and reopens her month; bob cannot submit hers', async () => {
    const shown = await h.call('alice', 'GET', `/api/v1/timesheets?scope=team&month=${month}`);
    assert.equal(shown.status, 200, shown.text);
    assert.equal(shown.body.state, 'draft');
    assert.equal(shown.body.timesheet, null);
    assert.equal(shown.body.entries.length, 2, 'the two stopped timers');
    assert.equal((await h.call('bob', 'POST', '/api/v1/timesheets/submit', { scope: 'team', month, personId: alice })).status, 404);
    const bobs = await h.call('bob', 'GET', `/api/v1/timesheets?scope=team&month=${month}`);
    assert.deepEqual([bobs.body.personId, bobs.body.entries.length], [bob, 0]);
    const submitted = await h.call('alice', 'POST', '/api/v1/timesheets/submit', { scope: 'team', month });
    assert.deepEqual([submitted.status, submitted.body.changed, submitted.body.timesheet.fields.state], [200, true, 'submitted'], submitted.text);
    const again = await h.call('alice', 'POST', '/api/v1/timesheets/submit', { scope: 'team', month });
    assert.deepEqual([again.body.changed, again.body.timesheet.version, again.body.jobs], [false, 1, []]);
    const reopened = await h.call('alice', 'POST', '/api/v1/timesheets/reopen', { scope: 'team', month });
    assert.deepEqual([reopened.status, reopened.body.timesheet.fields.state], [200, 'draft']);
    assert.equal((await h.call('alice', 'POST', '/api/v1/timesheets/submit', { scope: 'team', month })).body.timesheet.fields.state, 'submitted');
    const bad = await h.call('alice', 'GET', '/api/v1/timesheets?scope=team&month=2026-13');
    assert.deepEqual([bad.status, bad.body.error.code], [400, 'REQUEST_INVALID']);
  });

  it('only an admin locks a month; the lock reports, queues the links, and the month is then final', async () => {
    const byUser = await h.call('alice', 'POST', '/api/v1/timesheets/lock', { month });
    assert.deepEqual([byUser.status, byUser.body.error.code], [403, 'AUTH_FORBIDDEN']);
    const locked = await h.call('admin', 'POST', '/api/v1/timesheets/lock', { month });
    assert.equal(locked.status, 200, locked.text);
    assert.equal(locked.body.reports.length, 1, 'only scope team has timesheets of the month');
    const [team] = locked.body.reports;
    assert.equal(team.scope, 'team');
    assert.deepEqual(
      team.report.locked.map((l: { personId: string; entries: string[] }) => [l.personId, l.entries.length]),
      [[alice, 2]],
    );
    assert.deepEqual(team.carriers, [], 'an ics folder does not hold the exported flag');
    assert.deepEqual(
      team.jobs.map((j: { link: string }) => j.link),
      ['g'],
    );
    const reopen = await h.call('alice', 'POST', '/api/v1/timesheets/reopen', { scope: 'team', month });
    assert.deepEqual([reopen.status, reopen.body.error.code], [409, 'PERIOD_LOCKED']);
    assert.match(reopen.body.error.hint, /no unlock/);
    const start = await h.call('alice', 'POST', '/api/v1/timers/start', { scope: 'team' });
    assert.deepEqual([start.status, start.body.error.code], [409, 'PERIOD_LOCKED']);
  });

  it('lists the routes in the OpenAPI document', async () => {
    const doc = await h.call('anonymous', 'GET', '/openapi.json');
    for (const p of ['/api/v1/timers/start', '/api/v1/timers/stop', '/api/v1/timers/current', '/api/v1/timesheets', '/api/v1/timesheets/lock'])
      assert.ok(doc.body.paths[p], p);
  });
});
