/**
 * The records API through the real server: who sees and changes which record (alice's
 * entries are hers, bob meets 404, admins and the scope owner see all), optimistic versions
 * (If-Match: 409 when stale, 428 when missing), validation naming the field, tasks with their
 * workflow fields, merge-patch nulls, split, locked months (409 PERIOD_LOCKED, nothing
 * changed) and keyset paging that neither skips nor repeats a record.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startRecordsHarness, type RecordsHarness } from './records-harness.js';

const R = '/api/v1/records';
const entry = (date: string, start: string, extra: Record<string, unknown> = {}) => ({
  fields: { date, start, durationSeconds: 3600, description: `work on ${date}`, projectId: null, ...extra },
});

describe('records API', () => {
  let h: RecordsHarness;
  let alice: string, bob: string;
  let aliceEntry: string;

  before(async () => {
    h = await startRecordsHarness();
    await h.svc.catalog.scopes.claim('work', 'carol');
    const made = async (username: string) => {
      const r = await h.call('admin', 'POST', `${R}/person?scope=work`, { fields: { name: username, username } });
      assert.equal(r.status, 201, r.text);
      return r.body.id as string;
    };
    alice = await made('alice');
    bob = await made('bob');
  });
  after(async () => {
    await h?.close();
  });

  describe('ownership', () => {
    it("alice creates her entry: it is hers without saying so, with the optional fields' defaults", async () => {
      const r = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-03-02', '2026-03-02T09:00:00Z'));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers.etag, '"1"');
      aliceEntry = r.body.id;
      assert.equal(r.body.fields.personId, alice);
      assert.equal(r.body.owner, alice);
      assert.deepEqual([r.body.fields.tags, r.body.fields.taskId, r.body.fields.billable], [[], null, null]);
      assert.equal(r.body.origin, 'api:alice');
    });

    it('alice lists and reads her entries; bob sees none of them and meets 404 as for an id that does not exist', async () => {
      const mine = await h.call('alice', 'GET', `${R}/timeEntry`);
      assert.equal(mine.status, 200, mine.text);
      assert.deepEqual(
        mine.body.items.map((i: { id: string }) => i.id),
        [aliceEntry],
      );
      assert.equal((await h.call('alice', 'GET', `${R}/timeEntry/${aliceEntry}`)).status, 200);
      const theirs = await h.call('bob', 'GET', `${R}/timeEntry?scope=work`);
      assert.deepEqual(theirs.body.items, []);
      const probe = await h.call('bob', 'GET', `${R}/timeEntry/${aliceEntry}`);
      const ghost = await h.call('bob', 'GET', `${R}/timeEntry/01900000-0000-7000-8000-000000000000`);
      assert.equal(probe.status, 404);
      assert.equal(probe.body.error.code, ghost.body.error.code);
      const patch = await h.call('bob', 'PATCH', `${R}/timeEntry/${aliceEntry}`, { fields: { description: 'mine now' } }, { 'if-match': '"1"' });
      assert.equal(patch.status, 404, patch.text);
      const del = await h.call('bob', 'DELETE', `${R}/timeEntry/${aliceEntry}`, undefined, { 'if-match': '"1"' });
      assert.equal(del.status, 404, del.text);
      assert.equal((await h.call('alice', 'GET', `${R}/timeEntry/${aliceEntry}`)).body.version, 1, 'unchanged');
    });

    it('an admin and the scope owner see every entry; a kind that does not match the record is 404', async () => {
      for (const who of ['admin', 'carol'] as const) {
        const r = await h.call(who, 'GET', `${R}/timeEntry`);
        assert.ok(
          r.body.items.some((i: { id: string }) => i.id === aliceEntry),
          `${who}: ${r.text}`,
        );
      }
      assert.equal((await h.call('carol', 'GET', `${R}/timeEntry/${aliceEntry}`)).status, 200);
      assert.equal((await h.call('admin', 'GET', `${R}/task/${aliceEntry}`)).status, 404);
    });

    it("alice may not create an entry for bob's person, nor give hers to bob (403)", async () => {
      const r = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-03-03', '2026-03-03T09:00:00Z', { personId: bob }));
      assert.equal(r.status, 403, r.text);
      assert.equal(r.body.error.code, 'AUTH_FORBIDDEN');
      const give = await h.call('alice', 'PATCH', `${R}/timeEntry/${aliceEntry}`, { fields: { personId: bob } }, { 'if-match': '"1"' });
      assert.equal(give.status, 403, give.text);
      assert.equal((await h.call('alice', 'GET', `${R}/timeEntry/${aliceEntry}`)).body.fields.personId, alice);
    });

    it('a user who is no person in the scope is told how to become one', async () => {
      const r = await h.call('bob', 'POST', `${R}/timeEntry?scope=elsewhere`, entry('2026-03-03', '2026-03-03T09:00:00Z'));
      assert.equal(r.status, 404, r.text);
      assert.match(r.body.error.message, /no person in scope elsewhere/);
      assert.match(r.body.error.hint, /username "bob"/);
    });
  });

  describe('optimistic concurrency', () => {
    it('alice edits her entry with If-Match; two edits from the same version: one wins, one is 409', async () => {
      const ok = await h.call('alice', 'PATCH', `${R}/timeEntry/${aliceEntry}`, { fields: { description: 'Landing page' } }, { 'if-match': '"1"' });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.headers.etag, '"2"');
      const both = await Promise.all(
        ['first', 'second'].map((d) => h.call('alice', 'PATCH', `${R}/timeEntry/${aliceEntry}`, { fields: { description: d } }, { 'if-match': '"2"' })),
      );
      assert.deepEqual(both.map((r) => r.status).sort(), [200, 409]);
      const lost = both.find((r) => r.status === 409)!;
      assert.equal(lost.body.error.code, 'RESOURCE_CONFLICT');
      assert.match(lost.body.error.hint, /If-Match/);
      const now = await h.call('alice', 'GET', `${R}/timeEntry/${aliceEntry}`);
      assert.equal(now.body.version, 3);
      assert.equal(now.body.fields.description, both.find((r) => r.status === 200)!.body.fields.description);
    });

    it('a patch that changes nothing writes no new version', async () => {
      const now = await h.call('alice', 'GET', `${R}/timeEntry/${aliceEntry}`);
      const same = await h.call(
        'alice',
        'PATCH',
        `${R}/timeEntry/${aliceEntry}`,
        { fields: { description: now.body.fields.description } },
        { 'if-match': now.headers.etag as string },
      );
      assert.equal(same.status, 200, same.text);
      assert.equal(same.body.version, now.body.version);
    });

    it('a change without If-Match is 428', async () => {
      for (const [method, url, body] of [
        ['PATCH', `${R}/timeEntry/${aliceEntry}`, { fields: { description: 'x' } }],
        ['DELETE', `${R}/timeEntry/${aliceEntry}`, undefined],
        ['POST', `${R}/timeEntry/${aliceEntry}/split`, { durationsSeconds: [600, 3000] }],
      ] as const) {
        const r = await h.call('alice', method, url, body);
        assert.equal(r.status, 428, `${method} ${url}: ${r.text}`);
        assert.equal(r.body.error.code, 'IF_MATCH_REQUIRED');
      }
    });
  });

  describe('validation', () => {
    it('bad fields are 400 naming the field; a missing required field is named', async () => {
      const bad = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-03-04', '2026-03-04T09:00:00Z', { durationSeconds: 'long' }));
      assert.equal(bad.status, 400, bad.text);
      assert.match(bad.body.error.message, /durationSeconds/);
      const day = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('4 March', '2026-03-04T09:00:00Z'));
      assert.match(day.body.error.message, /date: is not YYYY-MM-DD/);
      const missing = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, { fields: { durationSeconds: 60 } });
      assert.equal(missing.status, 400);
      assert.match(missing.body.error.message, /needs date/);
      const unknown = await h.call('alice', 'PATCH', `${R}/timeEntry/${aliceEntry}`, { fields: { colour: 'red' } }, { 'if-match': '"3"' });
      assert.equal(unknown.status, 400, unknown.text);
      assert.match(unknown.body.error.message, /colour/);
    });

    it("an unknown kind is 400; timers and timesheets point to their routes; other kinds are the links'", async () => {
      const widget = await h.call('admin', 'GET', `${R}/widget`);
      assert.equal(widget.status, 400);
      assert.match(widget.body.error.hint, /timeEntry/);
      const timer = await h.call('admin', 'POST', `${R}/timer?scope=work`, { fields: {} });
      assert.equal(timer.status, 400);
      assert.match(timer.body.error.hint, /\/api\/v1\/timers\//);
      const sheet = await h.call('admin', 'POST', `${R}/timesheet?scope=work`, { fields: {} });
      assert.match(sheet.body.error.hint, /\/api\/v1\/timesheets\//);
      const project = await h.call('admin', 'POST', `${R}/project?scope=work`, { fields: { name: 'x' } });
      assert.equal(project.status, 400);
      assert.match(project.body.error.message, /written by links only/);
    });
  });

  describe('tasks', () => {
    let task: string;
    it('alice creates a task: its key is its id, it is assigned to her and todo', async () => {
      const r = await h.call('alice', 'POST', `${R}/task?scope=work`, { fields: { summary: 'Write the docs', labels: ['docs'], priority: 'high' } });
      assert.equal(r.status, 201, r.text);
      task = r.body.id;
      assert.deepEqual([r.body.fields.key, r.body.fields.assigneeId, r.body.fields.state], [task, alice, 'todo']);
    });

    it('moves through its states, is found by state and assignee, and a null removes an optional field', async () => {
      const r = await h.call('alice', 'PATCH', `${R}/task/${task}`, { fields: { state: 'in-progress', labels: null, summary: null } }, { 'if-match': '"1"' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.fields.state, 'in-progress');
      assert.ok(!('labels' in r.body.fields), 'labels may be absent: null removed it');
      assert.equal(r.body.fields.summary, null, 'summary is nullable: null set it');
      const found = await h.call('alice', 'GET', `${R}/task?state=in-progress&assigneeId=${alice}`);
      assert.deepEqual(
        found.body.items.map((i: { id: string }) => i.id),
        [task],
      );
      assert.deepEqual((await h.call('alice', 'GET', `${R}/task?state=done`)).body.items, []);
      const bad = await h.call('alice', 'PATCH', `${R}/task/${task}`, { fields: { state: 'blocked' } }, { 'if-match': '"2"' });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /state/);
    });
  });

  describe('split', () => {
    it('splits an entry at an instant in one commit: it keeps the first part, a new entry of hers has the rest', async () => {
      const made = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-03-05', '2026-03-05T09:00:00Z', { tags: ['a'] }));
      const r = await h.call('alice', 'POST', `${R}/timeEntry/${made.body.id}/split`, { at: '2026-03-05T09:20:00Z' }, { 'if-match': '"1"' });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual([r.body.kept.fields.durationSeconds, r.body.kept.version], [1200, 2]);
      assert.deepEqual(
        [r.body.created.fields.start, r.body.created.fields.durationSeconds, r.body.created.fields.personId, r.body.created.fields.tags],
        ['2026-03-05T09:20:00Z', 2400, alice, ['a']],
      );
      const outside = await h.call('alice', 'POST', `${R}/timeEntry/${made.body.id}/split`, { durationsSeconds: [1000, 1000] }, { 'if-match': '"2"' });
      assert.equal(outside.status, 400);
      assert.match(outside.body.error.message, /1200/);
      const stale = await h.call('alice', 'POST', `${R}/timeEntry/${made.body.id}/split`, { durationsSeconds: [600, 600] }, { 'if-match': '"1"' });
      assert.equal(stale.status, 409);
    });
  });

  describe('a locked month', () => {
    it('refuses to create, edit, delete, split or move an entry into it (409 PERIOD_LOCKED with a hint), and changes nothing', async () => {
      const feb = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-02-10', '2026-02-10T09:00:00Z'));
      const march = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-03-10', '2026-03-10T09:00:00Z'));
      await h.svc.records.create({
        scope: 'work',
        kind: 'timesheet',
        fields: { personId: alice, month: '2026-02', state: 'exported' },
        actor: { origin: 'api:root' },
      });
      const id = feb.body.id;
      const tries = [
        await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-02-11', '2026-02-11T09:00:00Z')),
        await h.call('alice', 'PATCH', `${R}/timeEntry/${id}`, { fields: { description: 'later' } }, { 'if-match': '"1"' }),
        await h.call('alice', 'DELETE', `${R}/timeEntry/${id}`, undefined, { 'if-match': '"1"' }),
        await h.call('alice', 'POST', `${R}/timeEntry/${id}/split`, { durationsSeconds: [600, 3000] }, { 'if-match': '"1"' }),
        await h.call('alice', 'PATCH', `${R}/timeEntry/${march.body.id}`, { fields: { date: '2026-02-12' } }, { 'if-match': '"1"' }),
      ];
      for (const t of tries) {
        assert.equal(t.status, 409, t.text);
        assert.equal(t.body.error.code, 'PERIOD_LOCKED');
        assert.match(t.body.error.hint, /reopen/);
      }
      const now = await h.call('alice', 'GET', `${R}/timeEntry/${id}`);
      assert.deepEqual([now.body.version, now.body.deleted, now.body.fields.description], [1, false, 'work on 2026-02-10']);
      assert.equal((await h.call('alice', 'GET', `${R}/timeEntry?from=2026-02-01&to=2026-02-28`)).body.items.length, 1, 'nothing was created');
      // Bob's February is open.
      const bobs = await h.call('admin', 'POST', `${R}/timeEntry?scope=work`, entry('2026-02-11', '2026-02-11T09:00:00Z', { personId: bob }));
      assert.equal(bobs.status, 201, bobs.text);
    });
  });

  describe('keyset paging', () => {
    it('250 records in pages of 100: three pages, every id once, and one created between pages is on a later page', async () => {
      for (let i = 0; i < 250; i++) {
        await h.svc.records.create({
          scope: 'bulk',
          kind: 'timeEntry',
          fields: {
            ...entry('2026-01-05', '2026-01-05T08:00:00Z').fields,
            description: `n${i}`,
            personId: null,
            activityId: null,
            taskId: null,
            timeZone: null,
            billable: null,
            tags: [],
          },
          actor: { origin: 'api:root' },
        });
      }
      const seen: string[] = [];
      let next: string | null = null;
      let pages = 0,
        late: string | null = null;
      do {
        const r = await h.call('admin', 'GET', `${R}/timeEntry?scope=bulk&limit=100${next ? `&after=${next}` : ''}`);
        assert.equal(r.status, 200, r.text);
        seen.push(...r.body.items.map((i: { id: string }) => i.id));
        next = r.body.next;
        if (++pages === 1) {
          const made = await h.call('admin', 'POST', `${R}/timeEntry?scope=bulk`, entry('2026-01-06', '2026-01-06T08:00:00Z'));
          late = made.body.id;
        }
      } while (next);
      assert.equal(pages, 3);
      assert.equal(seen.length, 251);
      assert.equal(new Set(seen).size, 251, 'no id twice');
      assert.ok(seen.indexOf(late!) >= 100, 'the late record is on a later page');
      assert.deepEqual(seen, [...seen].sort(), 'ordered by id');
      const over = await h.call('admin', 'GET', `${R}/timeEntry?scope=bulk&limit=1001`);
      assert.equal(over.status, 400);
    });

    it('a deleted record is listed only with includeDeleted, as deleted', async () => {
      const made = await h.call('alice', 'POST', `${R}/timeEntry?scope=work`, entry('2026-03-20', '2026-03-20T09:00:00Z'));
      const del = await h.call('alice', 'DELETE', `${R}/timeEntry/${made.body.id}`, undefined, { 'if-match': '"1"' });
      assert.equal(del.status, 200, del.text);
      assert.equal(del.body.deleted, true);
      const live = await h.call('alice', 'GET', `${R}/timeEntry?from=2026-03-20&to=2026-03-20`);
      assert.deepEqual(live.body.items, []);
      const all = await h.call('alice', 'GET', `${R}/timeEntry?from=2026-03-20&to=2026-03-20&includeDeleted=true`);
      assert.deepEqual(
        all.body.items.map((i: { id: string; deleted: boolean }) => [i.id, i.deleted]),
        [[made.body.id, true]],
      );
    });
  });

  it('the routes are in /openapi.json under the records tag, and the document is valid OpenAPI 3.1', async () => {
    const doc = (await h.call('admin', 'GET', '/openapi.json')).body;
    const valid = await new Validator().validate(doc);
    assert.equal(valid.valid, true, JSON.stringify(valid.errors, null, 2));
    for (const p of ['/api/v1/records/{kind}', '/api/v1/records/{kind}/{id}', '/api/v1/records/{kind}/{id}/history', '/api/v1/records/timeEntry/{id}/split'])
      assert.ok(doc.paths[p], `${p} in ${Object.keys(doc.paths).join(', ')}`);
    assert.deepEqual(doc.paths['/api/v1/records/{kind}'].post.tags, ['records']);
  });
});
