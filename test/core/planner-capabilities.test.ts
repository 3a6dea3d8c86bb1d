/**
 * Per-kind capabilities: the planner plans no external write the link's kind cannot take
 * (its connector's manifest), marks it `unsupported` with the reason, and plans everything
 * else exactly as it would have.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Fields } from '../../src/core/model.js';
import { plan } from '../../src/core/planner.js';
import type { Action } from '../../src/core/plan-types.js';
import type { ConflictPolicy, Direction } from '../../src/core/policy.js';
import { agreed, ext, hub, input } from './planner-fixtures.js';

const base: Fields = { uid: 'u', summary: 's', description: null };
const f = (i: number, text: string): Fields => ({ ...base, uid: `u${i}`, summary: `item ${i} ${text}` });

const needs = (a: Action): 'create' | 'update' | 'delete' | null => {
  if (a.op === 'push-create') return 'create';
  if (a.op === 'push-delete') return 'delete';
  if (a.op === 'push-update' || ((a.op === 'merge' || a.op === 'adopt') && a.writeExt)) return 'update';
  return null;
};

describe('planner: what a kind can take', () => {
  it('a hub deletion of a Kimai activity (no delete) is shown, not sent; its edit is still sent', () => {
    const can = { create: true, update: true, delete: false };
    const p = plan({
      ...input({
        agreements: [agreed('h1', 'e1', f(1, 'a')), agreed('h2', 'e2', f(2, 'a'))],
        changed: [hub('h1', f(1, 'a'), 2, { tombstone: true }), hub('h2', f(2, 'b'), 2)],
      }),
      can,
    });
    const byHub = new Map(p.actions.map((a) => [a.hubId, a]));
    assert.equal(byHub.get('h1')?.op, 'unsupported');
    assert.match(byHub.get('h1')!.reason, /deleted in hub; not written: this kind of item cannot be deleted here/);
    assert.equal(byHub.get('h2')?.op, 'push-update');
    assert.equal(p.guard.ok, true);
  });

  it('a read-only kind (Jira users) sends nothing, and still takes what the remote changed', () => {
    const can = { create: false, update: false, delete: false };
    const p = plan({
      ...input({
        agreements: [agreed('h1', 'e1', f(1, 'a')), agreed('h2', 'e2', f(2, 'a'))],
        changed: [hub('h1', f(1, 'hub edit'), 2), hub('n1', f(9, 'new'))],
        fetched: [ext('e2', f(2, 'remote edit'))],
      }),
      can,
    });
    assert.deepEqual(p.actions.map((a) => [a.hubId, a.op]).sort(), [
      ['h1', 'unsupported'],
      ['h2', 'pull-update'],
      ['n1', 'unsupported'],
    ]);
  });

  it('property: with some writes withheld, the plan is the full plan with exactly those actions marked unsupported', () => {
    type Fate = 'same' | 'changed' | 'deleted';
    const fate = fc.constantFrom<Fate>('same', 'changed', 'deleted');
    fc.assert(
      fc.property(
        fc.array(fc.record({ hub: fate, ext: fate }), { maxLength: 10 }),
        fc.nat({ max: 3 }),
        fc.record({ create: fc.boolean(), update: fc.boolean(), delete: fc.boolean() }),
        fc.constantFrom<ConflictPolicy>('hub-wins', 'external-wins', 'newest-wins', 'keep-both'),
        fc.constantFrom<Direction>('both', 'push', 'pull', 'mirror'),
        (items, fresh, can, conflict, direction) => {
          const agreements = [],
            changed = [],
            fetched = [],
            present: string[] = [];
          for (const [i, c] of items.entries()) {
            agreements.push(agreed(`h${i}`, `e${i}`, f(i, 'agreed')));
            if (c.hub !== 'same') changed.push(hub(`h${i}`, f(i, 'hub'), 2, { tombstone: c.hub === 'deleted', updatedAt: '2026-11-21T10:00:00Z' }));
            if (c.ext === 'deleted') continue;
            present.push(`e${i}`);
            if (c.ext === 'changed') fetched.push(ext(`e${i}`, { ...f(i, 'agreed'), description: 'remote' }, 'e2', '2026-11-21T11:00:00Z'));
          }
          for (let j = 0; j < fresh; j++) changed.push(hub(`n${j}`, f(100 + j, 'new')));
          const c = input({
            agreements,
            changed,
            fetched,
            present,
            policy: { conflict, direction, guard: { maxDeleteCount: 1000, maxDeleteShare: 1, allowDeletes: false } },
          });
          const full = plan(c),
            narrow = plan({ ...c, can });
          assert.equal(narrow.actions.length, full.actions.length);
          full.actions.forEach((a, i) => {
            const b = narrow.actions[i]!;
            const need = needs(a);
            if (need && !can[need]) {
              assert.equal(b.op, 'unsupported', `${a.op} needs ${need}`);
              assert.ok(b.reason.startsWith(a.reason));
            } else {
              assert.deepEqual(b, a);
            }
            assert.ok(!(needs(b) && !can[needs(b)!]), `${b.op} was planned though the kind cannot take it`);
          });
        },
      ),
      { numRuns: Number(process.env.TB_FC_RUNS ?? 300) },
    );
  });
});
