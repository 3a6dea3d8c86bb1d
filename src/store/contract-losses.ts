/** Store contract: the write losses of linked items (LossRow), kept with the status rows they describe. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LossRow } from './types.js';
import type { WithStore } from './contract.js';

function loss(linkId: string, hubId: string, over: Partial<LossRow> = {}): LossRow {
  return {
    linkId,
    hubId,
    extId: `ext-${hubId}`,
    label: `Lunch, then review (${hubId})`,
    losses: [{ field: 'summary', sent: 'Lunch, then review', stored: 'Lunch' }],
    detectedAt: '2025-03-01T10:00:00.000Z',
    runId: 'run-1',
    ...over,
  };
}

export function lossTests(withStore: WithStore): void {
  describe('write losses', () => {
    it(
      'puts, replaces, lists by link and clears the losses of items',
      withStore(async (store) => {
        assert.deepEqual(await store.listLosses(), []);
        await store.commit({ lossesPut: [loss('link:b', 'h1'), loss('link:a', 'h2'), loss('link:a', 'h1')] });
        assert.deepEqual(await store.listLosses('link:a'), [loss('link:a', 'h1'), loss('link:a', 'h2')]);
        assert.deepEqual(
          (await store.listLosses()).map((l) => `${l.linkId} ${l.hubId}`),
          ['link:a h1', 'link:a h2', 'link:b h1'],
        );
        const two = loss('link:a', 'h1', {
          runId: 'run-2',
          losses: [
            { field: 'summary', sent: 'a, b', stored: 'a' },
            { field: 'extras.ics', sent: { norm: 'x' }, stored: null },
          ],
        });
        await store.commit({ lossesPut: [two] });
        assert.deepEqual(await store.listLosses('link:a'), [two, loss('link:a', 'h2')]);
        await store.commit({
          lossesClear: [
            { linkId: 'link:a', hubId: 'h2' },
            { linkId: 'link:a', hubId: 'unknown' },
          ],
        });
        assert.deepEqual(await store.listLosses('link:a'), [two]);
        // An empty list is no loss: the row goes.
        await store.commit({ lossesPut: [{ ...two, losses: [] }] });
        assert.deepEqual(await store.listLosses('link:a'), []);
        assert.deepEqual(await store.listLosses('link:b'), [loss('link:b', 'h1')]);
      }),
    );

    it(
      'unlinking an item (its status row deleted) forgets its losses',
      withStore(async (store) => {
        const row = { linkId: 'link:a', hubId: 'h1', extId: 'ext-h1', hubVersion: 1, hubHash: 'h', extEtag: 'e', extHash: 'x' };
        await store.commit({ statusUpserts: [row], lossesPut: [loss('link:a', 'h1'), loss('link:b', 'h1')] });
        await store.commit({ statusDeletes: [{ linkId: 'link:a', hubId: 'h1' }] });
        assert.deepEqual(await store.listLosses(), [loss('link:b', 'h1')]);
      }),
    );

    it(
      'losses commit with the rest of their batch or not at all',
      withStore(async (store) => {
        const stale = {
          id: 'r1',
          kind: 'event' as const,
          scope: 'cal:work',
          fields: {},
          identity: null,
          tombstone: false,
          origin: 'link:a',
          runId: null,
          expectedVersion: 4,
          updatedAt: '2025-03-01T10:00:00.000Z',
        };
        await assert.rejects(store.commit({ records: [stale], lossesPut: [loss('link:a', 'h1')] }));
        assert.deepEqual(await store.listLosses(), []);
      }),
    );
  });
}
