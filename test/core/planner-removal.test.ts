/**
 * A mapper's `remove` (an item made straight in the remote that the link's config says does
 * not belong there, e.g. a foreign hand-made event with foreignEvents: delete): the planner
 * plans an external delete of an unlinked item when the policy may push deletes, reports it
 * otherwise, never deletes a linked item this way, and the guard limits such deletes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkGuards } from '../../src/core/guard.js';
import { plan } from '../../src/core/planner.js';
import type { ExtView } from '../../src/core/planner.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { agreed, ext, input } from './planner-fixtures.js';

const foreign = (extId: string): ExtView => ({
  extId,
  etag: 'e9',
  modifiedAt: null,
  mapped: { ok: false, remove: `event ${extId} by x@example.com: deleted` },
});

describe('planner: items the mapper says to remove', () => {
  it('deletes an unlinked one externally, with the mapper’s reason, and leaves the rest to the usual rules', () => {
    const p = plan(input({ fetched: [foreign('f1'), ext('n1', { uid: 'n1', summary: 'new' })] }));
    const del = p.actions.filter((a) => a.op === 'push-delete');
    assert.deepEqual(
      del.map((a) => [a.extId, a.hubId, a.extEtag, a.reason]),
      [['f1', null, 'e9', 'event f1 by x@example.com: deleted']],
    );
    assert.deepEqual(
      p.actions.filter((a) => a.extId === 'n1').map((a) => a.op),
      ['pull-create'],
    );
  });

  it('reports instead when the link may not push deletes, or when the item is linked to a hub record', () => {
    for (const policy of [{ direction: 'pull' as const }, { deletes: { toExternal: false, toHub: true } }]) {
      const p = plan(input({ fetched: [foreign('f1')], policy }));
      assert.deepEqual(
        p.actions.map((a) => [a.op, a.extId]),
        [['error', 'f1']],
      );
      assert.match(p.actions[0]!.error!.message, /x@example\.com.*left in place/);
    }
    const f = { uid: 'a', summary: 'a' };
    const linked = plan(input({ agreements: [agreed('h1', 'f1', f)], fetched: [foreign('f1')] }));
    assert.deepEqual(
      linked.actions.map((a) => [a.op, a.hubId]),
      [['error', 'h1']],
    );
  });

  it('counts them against the delete guard', () => {
    const many = plan(input({ fetched: Array.from({ length: 11 }, (_, i) => foreign(`f${i}`)) }));
    const verdict = checkGuards(many.actions, 0, null, DEFAULT_POLICY.guard);
    assert.equal(verdict.ok, false);
  });
});
