/**
 * `direction: mirror`, the one-way copy: the hub is the source of truth for the link's
 * items. Case by case, then a property over random mixes of both sides' edits: the plan
 * never writes the hub, and once applied (by a small model of apply written here) the
 * external side holds exactly the hub's live items with the hub's content.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { contentHash } from '../../src/core/hash.js';
import type { Fields } from '../../src/core/model.js';
import type { Action } from '../../src/core/plan-types.js';
import { plan } from '../../src/core/planner.js';
import type { ConflictPolicy } from '../../src/core/policy.js';
import { agreed, ext, hub, input } from './planner-fixtures.js';

const base = { summary: 'Review', start: '2026-11-20T09:00:00Z', durationSeconds: 3600 };
const mirror = { direction: 'mirror' as const };
const only = (actions: Action[]): Action => {
  assert.equal(actions.length, 1, `expected one action, got ${JSON.stringify(actions.map((a) => a.op))}`);
  return actions[0]!;
};

describe('direction: mirror (one-way copy)', () => {
  it('an item moved externally is restored from the hub, with a reason saying so', () => {
    const a = only(
      plan(input({ agreements: [agreed('h1', 'ev1', base)], fetched: [ext('ev1', { ...base, start: '2026-11-20T11:00:00Z' })], policy: mirror })).actions,
    );
    assert.equal(a.op, 'push-update');
    assert.equal(a.extEtag, 'e2', 'the write is conditional on the moved item, not the agreed one');
    assert.equal(a.hubVersion, 1);
    assert.equal(a.reason, 'changed externally; restored from the hub: this link is a one-way copy (direction: mirror)');
  });

  it('with direction both the same move is pulled into the hub', () => {
    const a = only(
      plan(input({ agreements: [agreed('h1', 'ev1', base)], fetched: [ext('ev1', { ...base, start: '2026-11-20T11:00:00Z' })], policy: { direction: 'both' } }))
        .actions,
    );
    assert.equal(a.op, 'pull-update');
  });

  it('an item deleted externally is created again, and the guard does not count it as a deletion', () => {
    const agreements = Array.from({ length: 20 }, (_, i) => agreed(`h${i}`, `ev${i}`, base));
    const p = plan(input({ agreements, present: [], policy: mirror }));
    assert.equal(p.actions.length, 20);
    assert.ok(
      p.actions.every(
        (a) => a.op === 'push-create' && a.reason === 'deleted externally; created again from the hub: this link is a one-way copy (direction: mirror)',
      ),
    );
    assert.deepEqual(p.guard, { ok: true });
  });

  it('with direction push an external deletion only forgets the pairing (nothing is restored)', () => {
    const a = only(
      plan(input({ agreements: [agreed('h1', 'ev1', base), agreed('h2', 'ev2', base)], present: ['ev2'], policy: { direction: 'push' } })).actions,
    );
    assert.equal(a.op, 'forget');
  });

  it('changed on both sides: the hub version is written, no merge, no conflict', () => {
    const a = only(
      plan(
        input({
          agreements: [agreed('h1', 'ev1', base)],
          changed: [hub('h1', { ...base, summary: 'Hub' }, 2)],
          fetched: [ext('ev1', { ...base, summary: 'Calendar' })],
          policy: { ...mirror, conflict: 'external-wins' },
        }),
      ).actions,
    );
    assert.equal(a.op, 'push-update');
    assert.equal(a.hubVersion, 2);
    assert.match(a.reason, /changed externally and in hub; restored from the hub/);
  });

  it('deleted in the hub: deleted externally too, even if the copy was edited there', () => {
    const a = only(
      plan(
        input({
          agreements: [agreed('h1', 'ev1', base)],
          changed: [hub('h1', base, 2, { tombstone: true })],
          fetched: [ext('ev1', { ...base, summary: 'Calendar' })],
          policy: mirror,
        }),
      ).actions,
    );
    assert.equal(a.op, 'push-delete');
  });

  it('an item made only externally is not imported', () => {
    assert.deepEqual(plan(input({ fetched: [ext('ev9', base)], policy: mirror })).actions, []);
  });
});

// ---------------------------------------------------------------------------------------
// The property

type HubFate = 'same' | 'touched' | 'changed' | 'deleted';
type ExtFate = 'same' | 'touched' | 'changed' | 'deleted';
interface ItemCase {
  hub: HubFate;
  ext: ExtFate;
  hubText: string;
  extText: string;
}

const itemCase: fc.Arbitrary<ItemCase> = fc.record({
  hub: fc.constantFrom<HubFate>('same', 'touched', 'changed', 'deleted'),
  ext: fc.constantFrom<ExtFate>('same', 'touched', 'changed', 'deleted'),
  hubText: fc.constantFrom('A', 'B', 'C'),
  extText: fc.constantFrom('A', 'B', 'C'),
});

const fieldsOf = (i: number, text: string): Fields => ({ ...base, summary: `item ${i} ${text}` });

describe('direction: mirror, property', () => {
  it('the hub never changes from an external change, and after apply the external side equals the hub', () => {
    fc.assert(
      fc.property(
        fc.array(itemCase, { maxLength: 12 }),
        fc.nat({ max: 3 }),
        fc.nat({ max: 3 }),
        fc.constantFrom<ConflictPolicy>('hub-wins', 'external-wins', 'newest-wins', 'keep-both'),
        (items, newInHub, newExternal, conflict) => {
          const agreements = [],
            changed = [],
            fetched = [],
            present: string[] = [];
          // The model of both sides after the plan: hub content by hub id, external content by external id.
          const hubSide = new Map<string, Fields>(),
            extSide = new Map<string, Fields>(),
            pairing = new Map<string, string>();
          for (const [i, c] of items.entries()) {
            const hubId = `h${i}`,
              extId = `ev${i}`,
              agreedFields = fieldsOf(i, 'agreed');
            agreements.push(agreed(hubId, extId, agreedFields));
            pairing.set(hubId, extId);
            const hubFields = c.hub === 'changed' ? fieldsOf(i, c.hubText) : agreedFields;
            if (c.hub !== 'same') changed.push(hub(hubId, hubFields, 2, { tombstone: c.hub === 'deleted' }));
            if (c.hub !== 'deleted') hubSide.set(hubId, hubFields);
            if (c.ext === 'deleted') continue;
            present.push(extId);
            const extFields = c.ext === 'changed' ? fieldsOf(i, `ext ${c.extText}`) : agreedFields;
            if (c.ext !== 'same') fetched.push(ext(extId, extFields));
            extSide.set(extId, extFields);
          }
          for (let j = 0; j < newInHub; j++) {
            const f = fieldsOf(100 + j, 'new');
            changed.push(hub(`n${j}`, f));
            hubSide.set(`n${j}`, f);
          }
          const strangers = new Set<string>();
          for (let j = 0; j < newExternal; j++) {
            const id = `x${j}`;
            fetched.push(ext(id, fieldsOf(200 + j, 'stranger')));
            present.push(id);
            extSide.set(id, fieldsOf(200 + j, 'stranger'));
            strangers.add(id);
          }

          const p = plan(input({ agreements, changed, fetched, present, policy: { direction: 'mirror', conflict } }));
          for (const a of p.actions) {
            assert.ok(
              !a.op.startsWith('pull-') && a.op !== 'conflict' && a.writeHub !== true,
              `${a.op} (${a.reason}) would change the hub or wait for a person`,
            );
          }
          // Apply the plan to the model: every external write sends the hub's content.
          for (const a of p.actions) {
            if (a.op === 'push-create') {
              const id = a.extId ?? `made-${a.hubId}`;
              extSide.set(id, hubSide.get(a.hubId!)!);
              pairing.set(a.hubId!, id);
            } else if (a.op === 'push-update') extSide.set(a.extId!, hubSide.get(a.hubId!)!);
            else if (a.op === 'push-delete') {
              extSide.delete(a.extId!);
              pairing.delete(a.hubId!);
            } else if (a.op === 'forget') pairing.delete(a.hubId!);
          }
          const want = new Map([...hubSide].map(([id, f]) => [pairing.get(id)!, contentHash(f)]));
          const got = new Map([...extSide].filter(([id]) => !strangers.has(id)).map(([id, f]) => [id, contentHash(f)]));
          assert.deepEqual(got, want);
        },
      ),
      { numRuns: Number(process.env.TB_FC_RUNS ?? 300) },
    );
  });
});
