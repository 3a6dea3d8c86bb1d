/** References a mapper resolves through the status rows of its connection's other links. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Mapper } from '../../src/connectors/kit/mapper.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { loadRefs } from '../../src/runtime/refs.js';
import type { LinkSpec } from '../../src/runtime/types.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const row = (linkId: string, hubId: string, extId: string) => ({ linkId, hubId, extId, hubVersion: 1, hubHash: 'h', extEtag: 'e', extHash: 'x' });

function spec(refKinds: string[] | undefined, refSources: LinkSpec['refSources']): LinkSpec {
  const mapper = { name: 'm', hubKind: 'timeEntry', refKinds } as unknown as Mapper<unknown>;
  return {
    id: 'link:sheets',
    name: 'sheets',
    scope: 's',
    kind: 'timeEntry',
    policy: DEFAULT_POLICY,
    connector: null as never,
    mapper,
    window: null,
    ...(refSources ? { refSources } : {}),
  };
}

describe('loadRefs', () => {
  it('maps external ids to hub ids and back, per external kind, across every source link', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-refs-'));
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      const records = ['p1', 'p2', 'u1'].map((id) => ({
        id,
        kind: id.startsWith('p') ? ('project' as const) : ('person' as const),
        scope: 'tax',
        fields: {},
        identity: null,
        expectedVersion: 0,
        origin: 'link:x',
        runId: null,
        tombstone: false,
        updatedAt: '2026-11-22T00:00:00Z',
      }));
      await store.commit({ records, statusUpserts: [row('link:projects-a', 'p1', '7'), row('link:projects-b', 'p2', '8'), row('link:users', 'u1', '3')] });
      const refs = await loadRefs(
        spec(
          ['project', 'user'],
          [
            { externalKind: 'project', linkIds: ['link:projects-a', 'link:projects-b'] },
            { externalKind: 'user', linkIds: ['link:users'] },
          ],
        ),
        store,
      );
      assert.ok(refs);
      assert.equal(refs.hubId('project', '7'), 'p1');
      assert.equal(refs.hubId('project', '8'), 'p2');
      assert.equal(refs.extId('project', 'p2'), '8');
      assert.equal(refs.hubId('user', '3'), 'u1');
      assert.equal(refs.hubId('user', '7'), null, 'kinds do not mix');
      assert.equal(refs.hubId('activity', '7'), null, 'a kind the mapper did not ask for resolves nothing');
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads nothing for a mapper without refKinds', async () => {
    assert.equal(await loadRefs(spec(undefined, undefined), null as never), undefined);
  });

  it("loads the scope's persons for a mapper that reads persons and names no refKinds (an office calendar)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-refs-'));
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      await store.commit({
        records: [
          {
            id: 'ann',
            kind: 'person',
            scope: 's',
            fields: { name: 'Ann Novak', email: 'ann@example.com' },
            identity: null,
            expectedVersion: 0,
            origin: 'api:root',
            runId: null,
            tombstone: false,
            updatedAt: '2026-11-22T00:00:00Z',
          },
        ],
      });
      const link = spec(undefined, undefined);
      const refs = await loadRefs({ ...link, mapper: { ...link.mapper, readsPersons: true } }, store);
      assert.deepEqual(refs?.person?.('ann'), { name: 'Ann Novak', email: 'ann@example.com', timeZone: null, githubLogin: null });
      assert.equal(refs?.hubId('project', '7'), null);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
