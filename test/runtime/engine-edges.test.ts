/**
 * The engine's edges, each as a scenario that failed before it was fixed: absence is not
 * deletion without a read that says gone, a hub commit during collection is never
 * skipped, a listing that broke off makes the run partial, one link's failure does not
 * stop the others, and a conflict flagged while adopting can be resolved.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { exitCodeOf } from '../../src/interfaces/cli/commands/sync.js';
import { EXIT } from '../../src/interfaces/cli/exit-codes.js';
import { resolveConflict } from '../../src/runtime/resolve.js';
import { runLink } from '../../src/runtime/run-link.js';
import { syncLinks } from '../../src/runtime/sync-links.js';
import { createHarness, eventText, readFolder, type Harness } from './sync-harness.js';

const deps = (h: Harness) => ({ store: h.store, clock: () => new Date() });

function seed(h: Harness, n: number): void {
  fs.mkdirSync(h.dirs.a, { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(h.dirs.a, `e${i}.ics`), eventText(`e${i}`, `s${i}`));
}

async function editHub(h: Harness, uid: string, summary: string): Promise<void> {
  const rec = (await h.store.listScope('team', 'event')).find((r) => r.fields.uid === uid && !r.tombstone)!;
  await h.store.commit({
    records: [
      {
        id: rec.id,
        kind: 'event',
        scope: 'team',
        fields: { ...rec.fields, summary },
        identity: uid,
        tombstone: false,
        origin: 'user:test',
        runId: null,
        expectedVersion: rec.version,
        updatedAt: new Date().toISOString(),
      },
    ],
  });
}

describe('engine edges', () => {
  it('a listing that leaves items out but claims to be whole deletes nothing: the read by id finds them', async () => {
    const h = createHarness({ guard: { maxDeleteCount: 100, maxDeleteShare: 1, allowDeletes: true } });
    try {
      seed(h, 9);
      for (const l of h.links) await runLink(l, deps(h), { trigger: 't' });
      fs.unlinkSync(path.join(h.dirs.a, 'e4.ics'));
      h.faults.random = () => 0.5; // every second item left out of the listing
      h.faults.lying.add('a');
      const r = await runLink(h.links[0]!, deps(h), { trigger: 't', full: true });
      assert.deepEqual(
        r.plan.actions.map((a) => `${a.op} ${a.label.split(' ')[0]}`),
        ['pull-delete s4'],
        'only the file really gone is deleted',
      );
      assert.equal(r.run.counts.deletionsChecked, 5, 'e4 and the four items the listing skipped were read by id');
      assert.equal(r.run.counts.deletionsConfirmed, 1);
      assert.equal(r.run.counts.listingMissed, 4);
      assert.equal((await h.store.listScope('team', 'event')).filter((x) => !x.tombstone).length, 8);
      // The listing was wrong once: the digest is not stored, so the next run looks again.
      assert.equal((await h.store.getLinkState('link:a')).extDigest, null);
    } finally {
      await h.cleanup();
    }
  });

  it('a hub commit made while a run reads the change log is synced, not skipped by the cursor', async () => {
    const h = createHarness();
    try {
      seed(h, 3);
      for (const l of h.links) await runLink(l, deps(h), { trigger: 't' });
      await runLink(h.links[1]!, deps(h), { trigger: 't' }); // a clean run stores the listing digest
      await editHub(h, 'e0', 'first');
      h.hubWriter.between = () => editHub(h, 'e1', 'meanwhile');
      const r = await runLink(h.links[1]!, deps(h), { trigger: 't' });
      assert.equal(h.hubWriter.between, null, 'the other writer committed during the run');
      assert.deepEqual(
        r.plan.actions.map((a) => a.label.split(' ')[0]),
        ['first'],
        'this run planned the change it read',
      );
      await runLink(h.links[1]!, deps(h), { trigger: 't' });
      const b = readFolder(h.dirs.b);
      assert.deepEqual(b.get('e0'), ['first']);
      assert.deepEqual(b.get('e1'), ['meanwhile'], 'the commit made during the run reached the folder on the next run');
    } finally {
      await h.cleanup();
    }
  });

  it('a listing that broke off makes the run partial and says why, and infers no deletion', async () => {
    const h = createHarness();
    try {
      seed(h, 6);
      for (const l of h.links) await runLink(l, deps(h), { trigger: 't' });
      h.faults.partial.add('a');
      const r = await runLink(h.links[0]!, deps(h), { trigger: 't', full: true });
      assert.equal(r.run.status, 'partial');
      assert.equal(r.run.errors[0]?.error.code, 'LISTING_INCOMPLETE');
      assert.match(r.run.errors[0]!.error.message, /injected: page 2 failed/);
      assert.equal(r.plan.counts['pull-delete'] ?? 0, 0);
      assert.equal((await h.store.getLinkState('link:a')).lastStatus, 'partial');
      assert.equal(exitCodeOf([r]), EXIT.PARTIAL);
    } finally {
      await h.cleanup();
    }
  });

  it('one link failing does not stop the others; the sync exits with the worst status and names the connection', async () => {
    const h = createHarness();
    try {
      seed(h, 4);
      h.faults.listFails.add('a');
      const links = h.links.map((l, i) => ({ ...l, connection: i === 0 ? 'folder-a' : 'folder-b' }));
      fs.mkdirSync(h.dirs.b, { recursive: true });
      fs.writeFileSync(path.join(h.dirs.b, 'only-b.ics'), eventText('only-b', 'from b'));
      const results = await syncLinks(links, deps(h), { trigger: 't' });
      // b ran although a failed; b wrote to the hub, so a ran again in the second pass.
      assert.deepEqual(
        results.map((r) => `${r.run.linkId} ${r.run.status}`),
        ['link:a failed', 'link:b ok', 'link:a ok'],
      );
      assert.match(results[0]!.run.errors[0]!.error.message, /^link a \(connection folder-a\): injected failure/);
      assert.equal((await h.store.getRun(results[0]!.run.id))?.status, 'failed', 'the failed run is recorded');
      assert.equal(exitCodeOf(results), EXIT.OK, 'each link ended ok');
      assert.equal(exitCodeOf(results.slice(0, 2)), EXIT.ERROR, 'a link whose last run failed fails the command');
      assert.deepEqual([...readFolder(h.dirs.a).keys()].sort(), ['e0', 'e1', 'e2', 'e3', 'only-b']);
      // The next sync brings a's events to b.
      const again = await syncLinks(links, deps(h), { trigger: 't' });
      assert.ok(again.every((r) => r.run.status === 'ok'));
      assert.equal(readFolder(h.dirs.b).size, 5);
    } finally {
      await h.cleanup();
    }
  });

  for (const choose of ['hub', 'external'] as const) {
    it(`a conflict flagged while adopting (same UID, different content) is a pending pairing that resolving with "${choose}" completes`, async () => {
      const h = createHarness({ conflict: 'keep-both' });
      try {
        fs.mkdirSync(h.dirs.a, { recursive: true });
        fs.mkdirSync(h.dirs.b, { recursive: true });
        fs.writeFileSync(path.join(h.dirs.a, 'x.ics'), eventText('x', 'from a'));
        fs.writeFileSync(path.join(h.dirs.b, 'x.ics'), eventText('x', 'from b'));
        await runLink(h.links[0]!, deps(h), { trigger: 't' });
        const first = await runLink(h.links[1]!, deps(h), { trigger: 't' });
        assert.deepEqual(
          first.plan.actions.map((a) => a.op),
          ['conflict'],
        );
        const [conflict] = await h.store.listConflicts('link:b');
        assert.ok(conflict);
        await resolveConflict(h.store, h.links[1]!, conflict.hubId, { choose }, 'alice', new Date());
        assert.deepEqual(await h.store.listConflicts('link:b'), []);
        const next = await runLink(h.links[1]!, deps(h), { trigger: 't' });
        assert.deepEqual(
          next.plan.actions.map((a) => a.op),
          [choose === 'hub' ? 'push-update' : 'record'],
        );
        await runLink(h.links[0]!, deps(h), { trigger: 't' });
        const want = choose === 'hub' ? 'from a' : 'from b';
        assert.deepEqual(readFolder(h.dirs.a).get('x'), [want]);
        assert.deepEqual(readFolder(h.dirs.b).get('x'), [want]);
        for (const l of h.links) assert.deepEqual((await runLink(l, deps(h), { trigger: 't' })).plan.actions, [], 'settled: nothing flagged again');
      } finally {
        await h.cleanup();
      }
    });
  }
});
