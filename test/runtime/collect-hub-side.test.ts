/**
 * When a link's listing is as its last clean run left it and only the hub changed, the run
 * reads the status rows of the changed records alone (runtime/collect.ts, collectHubSide).
 * Oracle: the plan the whole-index collection makes for the same state (no prior digest).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Action } from '../../src/core/plan-types.js';
import { planLink, runLink } from '../../src/runtime/run-link.js';
import type { HubStore } from '../../src/store/types.js';
import { createHarness, eventText, type Harness } from './sync-harness.js';

type HubOp = { kind: 'edit'; at: number; summary: string } | { kind: 'delete'; at: number } | { kind: 'create'; uid: string };

/** The store, counting whole-index loads. */
function counting(store: HubStore): { store: HubStore; indexLoads: () => number } {
  let loads = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'loadStatusIndex' || prop === 'loadStatus') loads++;
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
  return { store: wrapped, indexLoads: () => loads };
}

async function applyHubOps(h: Harness, ops: HubOp[]): Promise<void> {
  for (const op of ops) {
    const live = (await h.store.listScope('team', 'event')).filter((r) => !r.tombstone).sort((a, b) => (a.id < b.id ? -1 : 1));
    const base = { kind: 'event' as const, scope: 'team', origin: 'user:test', runId: null, updatedAt: new Date().toISOString() };
    if (op.kind === 'create') {
      const any = live[0] ?? (await h.store.listScope('team', 'event'))[0]!;
      const fields = { ...any.fields, uid: op.uid, summary: `new ${op.uid}`, extras: {} };
      await h.store.commit({ records: [{ ...base, id: `rec-${op.uid}`, fields, identity: op.uid, tombstone: false, expectedVersion: 0 }] });
      continue;
    }
    const rec = live[op.at % Math.max(1, live.length)];
    if (!rec) continue;
    const fields = op.kind === 'edit' ? { ...rec.fields, summary: op.summary } : rec.fields;
    await h.store.commit({
      records: [{ ...base, id: rec.id, fields, identity: rec.identity, tombstone: op.kind === 'delete', expectedVersion: rec.version }],
    });
  }
}

const shape = (a: Action) => `${a.op} ${a.hubId ?? '-'} ${a.extId ?? '-'} v${a.hubVersion} ${a.extEtag ?? '-'}`;

const hubOp: fc.Arbitrary<HubOp> = fc.oneof(
  fc.record({ kind: fc.constant('edit' as const), at: fc.nat(20), summary: fc.stringMatching(/^[a-z]{1,8}$/) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(20) }),
  fc.record({ kind: fc.constant('create' as const), uid: fc.stringMatching(/^n[a-z0-9]{1,6}$/) }),
);

describe('collect: only the hub changed since the last clean run', () => {
  it('plans what the whole-index collection plans, without loading the whole index', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 8 }),
        fc.uniqueArray(hubOp, { minLength: 1, maxLength: 6, selector: (o) => (o.kind === 'create' ? o.uid : `${o.kind}${'at' in o ? o.at : ''}`) }),
        async (n, ops) => {
          const h = createHarness({ guard: { maxDeleteCount: 2, maxDeleteShare: 0.5, allowDeletes: false } });
          try {
            fs.mkdirSync(h.dirs.a, { recursive: true });
            for (let i = 0; i < n; i++) fs.writeFileSync(path.join(h.dirs.a, `e${i}.ics`), eventText(`e${i}`, `s${i}`));
            const deps = { store: h.store, clock: () => new Date() };
            for (const l of h.links) await runLink(l, deps, { trigger: 't' });
            await runLink(h.links[1]!, deps, { trigger: 't' }); // a clean run stores the listing digest
            const prior = (await h.store.getLinkState('link:b')).extDigest;
            assert.ok(prior, 'the clean run stored a digest');
            await applyHubOps(h, ops);

            const c = counting(h.store);
            const fast = await planLink(h.links[1]!, { store: c.store, clock: deps.clock }, { trigger: 't' }, prior);
            assert.equal(c.indexLoads(), 0, 'no whole status index was loaded');
            const whole = await planLink(h.links[1]!, deps, { trigger: 't' }, null);
            assert.deepEqual(fast.plan.actions.map(shape), whole.plan.actions.map(shape));
            assert.deepEqual(fast.plan.guard, whole.plan.guard);
            assert.deepEqual(fast.plan.counts, whole.plan.counts);
            assert.equal(fast.col.input.linkedCount, whole.col.input.linkedCount);
          } finally {
            await h.cleanup();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
