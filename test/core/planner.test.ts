/** The planner's decision table (architecture.md §3 step 4), case by case, with the reason that fired. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { plan } from '../../src/core/planner.js';
import type { Action } from '../../src/core/plan-types.js';
import { agreed, ext, hub, input } from './planner-fixtures.js';

const base = { uid: 'u1', summary: 'Standup', location: 'Room 1' };
const only = (actions: Action[]): Action => {
  assert.equal(actions.length, 1, `expected one action, got ${JSON.stringify(actions.map((a) => a.op))}`);
  return actions[0]!;
};

describe('planner decision table', () => {
  it('unchanged / unchanged → nothing', () => {
    const p = plan(input({ agreements: [agreed('h1', 'a.ics', base)] }));
    assert.deepEqual(p.actions, []);
  });

  it('hub changed / external unchanged → push update', () => {
    const a = only(plan(input({ agreements: [agreed('h1', 'a.ics', base)], changed: [hub('h1', { ...base, summary: 'New' }, 2)] })).actions);
    assert.equal(a.op, 'push-update');
    assert.equal(a.reason, 'changed in hub');
    assert.equal(a.extEtag, 'e1');
    assert.equal(a.hubVersion, 2);
  });

  it('external changed / hub unchanged → pull update', () => {
    const a = only(plan(input({ agreements: [agreed('h1', 'a.ics', base)], fetched: [ext('a.ics', { ...base, summary: 'New' })] })).actions);
    assert.equal(a.op, 'pull-update');
    assert.equal(a.reason, 'changed externally');
    assert.equal(a.hubVersion, 1);
  });

  it('an etag that moved without a content change is recorded, not synced', () => {
    const a = only(plan(input({ agreements: [agreed('h1', 'a.ics', base)], fetched: [ext('a.ics', base, 'e9')] })).actions);
    assert.equal(a.op, 'record');
    assert.match(a.reason, /without a content change/);
  });

  it('a hub version bump without a content change is recorded', () => {
    const a = only(plan(input({ agreements: [agreed('h1', 'a.ics', base)], changed: [hub('h1', base, 5)] })).actions);
    assert.equal(a.op, 'record');
  });

  it('both changed to the same content → just record', () => {
    const next = { ...base, summary: 'Same' };
    const a = only(plan(input({ agreements: [agreed('h1', 'a.ics', base)], changed: [hub('h1', next, 2)], fetched: [ext('a.ics', next)] })).actions);
    assert.equal(a.op, 'record');
    assert.match(a.reason, /same content/);
  });

  it('both changed, different fields → field-level merge with no contest', () => {
    const a = only(
      plan(
        input({
          agreements: [agreed('h1', 'a.ics', base)],
          changed: [hub('h1', { ...base, summary: 'Hub title' }, 2)],
          fetched: [ext('a.ics', { ...base, location: 'Room 9' })],
        }),
      ).actions,
    );
    assert.equal(a.op, 'merge');
    assert.deepEqual(a.merged, { uid: 'u1', summary: 'Hub title', location: 'Room 9' });
    assert.equal(a.writeHub, true);
    assert.equal(a.writeExt, true);
    assert.match(a.reason, /no field contested/);
  });

  const contested = (policy: object, modifiedAt: string | null = null) =>
    only(
      plan(
        input({
          agreements: [agreed('h1', 'a.ics', base)],
          changed: [hub('h1', { ...base, summary: 'Hub title' }, 2)],
          fetched: [ext('a.ics', { ...base, summary: 'Ext title' }, 'e2', modifiedAt)],
          policy,
        }),
      ).actions,
    );

  it('same field changed on both sides: keep-both flags a conflict and writes nothing', () => {
    const a = contested({ conflict: 'keep-both' });
    assert.equal(a.op, 'conflict');
    assert.deepEqual(a.fields, ['summary']);
    assert.match(a.reason, /keep-both/);
  });

  it('hub-wins and external-wins decide the contested field', () => {
    assert.equal(contested({ conflict: 'hub-wins' }).merged?.summary, 'Hub title');
    const e = contested({ conflict: 'external-wins' });
    assert.equal(e.merged?.summary, 'Ext title');
    assert.match(e.reason, /summary→external/);
  });

  it('newest-wins compares the hub time with the remote modification time', () => {
    assert.equal(contested({ conflict: 'newest-wins' }, '2026-11-21T00:00:00Z').merged?.summary, 'Ext title');
    assert.equal(contested({ conflict: 'newest-wins' }, '2026-11-19T00:00:00Z').merged?.summary, 'Hub title');
  });

  it('a field owner wins before the policy is asked', () => {
    const a = contested({ conflict: 'keep-both', fieldOwners: { summary: 'external' } });
    assert.equal(a.op, 'merge');
    assert.equal(a.merged?.summary, 'Ext title');
  });

  it('hub deleted / external unchanged → delete external', () => {
    const a = only(plan(input({ agreements: [agreed('h1', 'a.ics', base)], changed: [hub('h1', base, 2, { tombstone: true })] })).actions);
    assert.equal(a.op, 'push-delete');
    assert.equal(a.reason, 'deleted in hub');
  });

  it('hub deleted but the delete policy keeps external items → nothing', () => {
    const p = plan(
      input({
        agreements: [agreed('h1', 'a.ics', base)],
        changed: [hub('h1', base, 2, { tombstone: true })],
        policy: { deletes: { toExternal: false, toHub: true } },
      }),
    );
    assert.deepEqual(p.actions, []);
  });

  it('external deleted / hub unchanged → tombstone in hub', () => {
    const a = only(
      plan(
        input({ agreements: [agreed('h1', 'a.ics', base)], present: [], policy: { guard: { maxDeleteCount: 10, maxDeleteShare: 0.25, allowDeletes: true } } }),
      ).actions,
    );
    assert.equal(a.op, 'pull-delete');
    assert.equal(a.reason, 'deleted externally');
  });

  it('a partial listing never infers deletions', () => {
    const p = plan(input({ agreements: [agreed('h1', 'a.ics', base)], present: [], complete: false }));
    assert.deepEqual(p.actions, []);
    assert.equal(p.partialListing, true);
  });

  it('hub deleted / external changed → the change wins: hub restored', () => {
    const a = only(
      plan(
        input({
          agreements: [agreed('h1', 'a.ics', base)],
          changed: [hub('h1', base, 2, { tombstone: true })],
          fetched: [ext('a.ics', { ...base, summary: 'Edited' })],
        }),
      ).actions,
    );
    assert.equal(a.op, 'pull-update');
    assert.match(a.reason, /the change wins/);
    assert.equal(a.hubVersion, 2);
  });

  it('external deleted / hub changed → the change wins: recreated externally', () => {
    const a = only(
      plan(
        input({
          agreements: [agreed('h1', 'a.ics', base), agreed('h2', 'b.ics', base)],
          present: ['b.ics'],
          changed: [hub('h1', { ...base, summary: 'Edited' }, 2)],
        }),
      ).actions,
    );
    assert.equal(a.op, 'push-create');
    assert.match(a.reason, /the change wins/);
  });

  it('deleted on both sides → forget the agreement', () => {
    const a = only(
      plan(
        input({
          agreements: [agreed('h1', 'a.ics', base), agreed('h2', 'b.ics', base)],
          present: ['b.ics'],
          changed: [hub('h1', base, 2, { tombstone: true })],
        }),
      ).actions,
    );
    assert.equal(a.op, 'forget');
  });

  it('new in hub → create external; a pull-only link does not', () => {
    assert.equal(only(plan(input({ changed: [hub('h1', base)] })).actions).op, 'push-create');
    assert.deepEqual(plan(input({ changed: [hub('h1', base)], policy: { direction: 'pull' } })).actions, []);
  });

  it('new externally → create in hub; a push-only link does not', () => {
    assert.equal(only(plan(input({ fetched: [ext('a.ics', base)] })).actions).op, 'pull-create');
    assert.deepEqual(plan(input({ fetched: [ext('a.ics', base)], policy: { direction: 'push' } })).actions, []);
  });

  it('new externally with the identity of an unlinked hub record → adopt, not duplicate (and no push-create of that record)', () => {
    const h = hub('h1', base);
    const p = plan(input({ fetched: [ext('a.ics', base)], changed: [h], candidates: [h] }));
    const a = only(p.actions);
    assert.equal(a.op, 'adopt');
    assert.equal(a.hubId, 'h1');
    assert.equal(a.writeHub, false);
    assert.equal(a.writeExt, false);
  });

  it('adopting differing content merges with no base, deciding by policy', () => {
    const h = hub('h1', base);
    const a = only(
      plan(input({ fetched: [ext('a.ics', { ...base, summary: 'Other' })], changed: [h], candidates: [h], policy: { conflict: 'hub-wins' } })).actions,
    );
    assert.equal(a.op, 'adopt');
    assert.equal(a.merged?.summary, 'Standup');
    assert.equal(a.writeExt, true);
  });

  it('two new items with the same identity: an error naming both, others still planned', () => {
    const p = plan(input({ fetched: [ext('a.ics', base), ext('b.ics', base), ext('c.ics', { uid: 'u3', summary: 'Other' })] }));
    const errors = p.actions.filter((a) => a.op === 'error');
    assert.equal(errors.length, 2);
    assert.match(errors[0]!.error!.message, /a\.ics and b\.ics/);
    assert.equal(p.actions.filter((a) => a.op === 'pull-create').length, 1);
  });

  it('a new item with the identity of an already linked, still present item is an error naming both', () => {
    const h = hub('h1', base);
    const a = only(plan(input({ agreements: [agreed('h1', 'a.ics', base)], fetched: [ext('b.ics', base)], candidates: [h] })).actions);
    assert.equal(a.op, 'error');
    assert.equal(a.error?.code, 'ITEM_DUPLICATE_IDENTITY');
    assert.match(a.error!.message, /b\.ics .* a\.ics/);
  });

  it('an identity that is a name (identityIsName): twins are each created, one already linked does not block a new one, two hub records of a name adopt nothing', () => {
    const twins = plan({ ...input({ fetched: [ext('a.ics', base), ext('b.ics', base)], candidates: [hub('h1', base)] }), identityIsName: true });
    assert.deepEqual(
      twins.actions.map((a) => a.op),
      ['pull-create', 'pull-create'],
    );
    const second = only(
      plan({ ...input({ agreements: [agreed('h1', 'a.ics', base)], fetched: [ext('b.ics', base)], candidates: [hub('h1', base)] }), identityIsName: true })
        .actions,
    );
    assert.equal(second.op, 'pull-create');
    const shared = only(plan({ ...input({ fetched: [ext('c.ics', base)], candidates: [hub('h1', base), hub('h2', base)] }), identityIsName: true }).actions);
    assert.equal(shared.op, 'pull-create');
    const one = only(
      plan({ ...input({ fetched: [ext('c.ics', base)], changed: [hub('h1', base)], candidates: [hub('h1', base)] }), identityIsName: true }).actions,
    );
    assert.deepEqual([one.op, one.hubId], ['adopt', 'h1']);
  });

  it('an unmappable item is an error and its hub record is not pushed over it', () => {
    const p = plan(
      input({
        agreements: [agreed('h1', 'a.ics', base)],
        changed: [hub('h1', { ...base, summary: 'X' }, 2)],
        fetched: [{ extId: 'a.ics', etag: 'e2', modifiedAt: null, mapped: { ok: false, error: 'line 3: bad' } }],
      }),
    );
    const a = only(p.actions);
    assert.equal(a.op, 'error');
    assert.equal(a.error?.code, 'ITEM_UNPARSABLE');
  });

  it('an item that could not be read is an error, not a deletion', () => {
    const p = plan(
      input({ agreements: [agreed('h1', 'a.ics', base)], present: [], failed: [{ extId: 'a.ics', code: 'CONNECTOR_TRANSIENT', message: 'timeout' }] }),
    );
    assert.deepEqual(
      p.actions.map((a) => a.op),
      ['error'],
    );
  });
});

describe('guards', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => agreed(`h${i}`, `${i}.ics`, { uid: `u${i}` }));

  it('a suddenly empty external side stops the run', () => {
    const p = plan(input({ agreements: many(3), present: [] }));
    assert.equal(p.guard.ok, false);
    assert.equal(p.guard.code, 'PLAN_EMPTY_SIDE');
    assert.match(p.guard.hint!, /--allow-deletes/);
  });

  it('deletions over both the count and the share stop the run', () => {
    const ags = many(40);
    const p = plan(input({ agreements: ags, present: ags.slice(0, 28).map((a) => a.extId) }));
    assert.equal(p.guard.code, 'PLAN_MASS_DELETE');
  });

  it('deletions over the count but under the share pass', () => {
    const ags = many(100);
    const p = plan(input({ agreements: ags, present: ags.slice(0, 80).map((a) => a.extId) }));
    assert.equal(p.guard.ok, true);
    assert.equal(p.counts['pull-delete'], 20);
  });

  it('deletions over the share but under the count pass', () => {
    const ags = many(8);
    const p = plan(input({ agreements: ags, present: ags.slice(0, 2).map((a) => a.extId) }));
    assert.equal(p.guard.ok, true);
  });

  it('every hub record deleted stops the run; --allow-deletes lets it through', () => {
    const ags = many(3);
    const tomb = ags.map((a) => hub(a.hubId, a.base, 2, { tombstone: true }));
    assert.equal(plan(input({ agreements: ags, changed: tomb })).guard.code, 'PLAN_EMPTY_SIDE');
    assert.equal(
      plan(input({ agreements: ags, changed: tomb, policy: { guard: { maxDeleteCount: 10, maxDeleteShare: 0.25, allowDeletes: true } } })).guard.ok,
      true,
    );
  });
});

describe('items the engine wrote (external hash not read back yet)', () => {
  const fields = { uid: 'u1', summary: 'Standup' };
  const written = { ...agreed('h1', 'a.ics', fields), extHash: '' };

  it('an etag move with content equal to the agreed hub content is bookkeeping', () => {
    const a = only(plan(input({ agreements: [written], fetched: [ext('a.ics', fields, 'e9')] })).actions);
    assert.equal(a.op, 'record');
  });

  it('different content is a change', () => {
    const a = only(plan(input({ agreements: [written], fetched: [ext('a.ics', { ...fields, summary: 'Edited' }, 'e9')] })).actions);
    assert.equal(a.op, 'pull-update');
  });
});
