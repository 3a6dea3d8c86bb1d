/**
 * A link that runs again in a later pass of one sync plans against the listing its clean
 * run of that sync left (runtime/sync-links.ts): it does not list the remote twice, and
 * what changed outside in between is neither lost nor overwritten.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Connector, ExternalRef } from '../../src/connectors/kit/connector.js';
import { syncLinks } from '../../src/runtime/sync-links.js';
import type { LinkSpec } from '../../src/runtime/types.js';
import { createHarness, eventText, fileOf, readFolder, type Harness } from './sync-harness.js';

const deps = (h: Harness) => ({ store: h.store, clock: () => new Date() });

/** The link with its connector's `list` replaced. */
function withList(link: LinkSpec<string>, list: Connector<string>['list']): LinkSpec<string> {
  const inner = link.connector;
  const connector: Connector<string> = {
    ...inner,
    manifest: inner.manifest,
    list,
    get: (ids) => inner.get(ids),
    create: (d, k) => inner.create(d, k),
    update: (id, d, m) => inner.update(id, d, m),
    delete: (id, m) => inner.delete(id, m),
    findByKey: (k) => inner.findByKey(k),
  };
  return { ...link, connector };
}

/** The link with its connector's listings counted, and `onList` run before each listing. */
function watched(link: LinkSpec<string>, onList: () => void = () => {}): { link: LinkSpec<string>; lists: () => number } {
  let lists = 0;
  const counted = withList(link, (req) => {
    lists++;
    onList();
    return link.connector.list(req);
  });
  return { link: counted, lists: () => lists };
}

function setSummary(dir: string, uid: string, summary: string): void {
  const file = fileOf(dir, uid)!;
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/SUMMARY:[^\r\n]*/, `SUMMARY:${summary}`));
  // A new mtime even within the same clock tick: the etag must move.
  const t = new Date(Date.now() + 2000);
  fs.utimesSync(file, t, t);
}

async function synced(h: Harness, n: number): Promise<void> {
  fs.mkdirSync(h.dirs.a, { recursive: true });
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(h.dirs.a, `e${i}.ics`), eventText(`e${i}`, `s${i}`));
  await syncLinks(h.links, deps(h), { trigger: 't' });
  await syncLinks(h.links, deps(h), { trigger: 't' }); // clean runs store the listing digests
}

describe('sync passes', () => {
  it('the second pass of a link reuses its listing; an outside edit made meanwhile is synced by the next sync', async () => {
    const h = createHarness();
    try {
      await synced(h, 4);
      setSummary(h.dirs.b, 'e1', 'fromB');
      const a = watched(h.links[0]!);
      // While link b lists (between link a's two passes), someone edits e2 and deletes e3 in folder A.
      const b = watched(h.links[1]!, () => {
        if (b.lists() !== 1) return;
        setSummary(h.dirs.a, 'e2', 'fromA-meanwhile');
        fs.unlinkSync(fileOf(h.dirs.a, 'e3')!);
      });
      const first = await syncLinks([a.link, b.link], deps(h), { trigger: 't' });
      assert.deepEqual(
        first.map((r) => `${r.run.linkId} ${r.run.status}`),
        ['link:a ok', 'link:b ok', 'link:a ok'],
      );
      assert.equal(a.lists(), 1, 'link a listed folder A once in the sync, though it ran twice');
      assert.deepEqual(readFolder(h.dirs.a).get('e1'), ['fromB'], 'the second pass pushed the edit from B');
      assert.deepEqual(readFolder(h.dirs.a).get('e2'), ['fromA-meanwhile'], 'the outside edit made meanwhile is kept');

      const second = await syncLinks([a.link, b.link], deps(h), { trigger: 't' });
      assert.equal(a.lists(), 2, 'the next sync lists folder A again');
      assert.deepEqual(second[0]!.plan.counts, { 'pull-update': 1, 'pull-delete': 1 }, 'it sees the edit and the deletion made between the passes');
      for (const dir of [h.dirs.a, h.dirs.b]) {
        const f = readFolder(dir);
        assert.deepEqual(
          [...f.entries()].sort(),
          [
            ['e0', ['s0']],
            ['e1', ['fromB']],
            ['e2', ['fromA-meanwhile']],
          ],
          dir,
        );
      }
    } finally {
      await h.cleanup();
    }
  });

  it('an item edited outside between the passes is not overwritten by the reused listing', async () => {
    const h = createHarness();
    try {
      await synced(h, 2);
      setSummary(h.dirs.b, 'e0', 'fromB');
      const a = watched(h.links[0]!);
      const b = watched(h.links[1]!, () => {
        if (b.lists() === 1) setSummary(h.dirs.a, 'e0', 'fromA-meanwhile');
      });
      const first = await syncLinks([a.link, b.link], deps(h), { trigger: 't' });
      assert.equal(a.lists(), 1);
      const pass2 = first[2]!;
      assert.equal(pass2.run.linkId, 'link:a');
      // The push of B's edit met the newer file in A: its etag check refused the write.
      assert.deepEqual(readFolder(h.dirs.a).get('e0'), ['fromA-meanwhile'], 'the edit made meanwhile was not overwritten');
      await syncLinks([a.link, b.link], deps(h), { trigger: 't' });
      // Both sides edited e0 since they last agreed: a conflict, with neither edit lost.
      const conflicts = await h.store.listConflicts('link:a');
      assert.deepEqual(
        conflicts.map((c) => c.extId),
        [fileOf(h.dirs.a, 'e0') && path.basename(fileOf(h.dirs.a, 'e0')!)],
        'the two edits of e0 are a conflict on link a',
      );
      assert.deepEqual(readFolder(h.dirs.a).get('e0'), ['fromA-meanwhile']);
      assert.deepEqual(readFolder(h.dirs.b).get('e0'), ['fromB']);
    } finally {
      await h.cleanup();
    }
  });

  it('a connector that hands back the same refs array, edited in place, is not taken as unchanged', async () => {
    const h = createHarness();
    try {
      await synced(h, 3);
      // Every listing fills and returns one array, as a connector keeping its own list might.
      const kept: ExternalRef[] = [];
      const inner = h.links[0]!;
      const a = withList(inner, async (req) => {
        const l = await inner.connector.list(req);
        kept.splice(0, kept.length, ...l.refs);
        return { ...l, refs: kept };
      });
      const clean = await syncLinks([a, h.links[1]!], deps(h), { trigger: 't' });
      assert.equal(clean[0]!.run.status, 'ok');
      setSummary(h.dirs.a, 'e2', 'fromA');
      const next = await syncLinks([a, h.links[1]!], deps(h), { trigger: 't' });
      assert.deepEqual(next[0]!.plan.counts, { 'pull-update': 1 }, 'the edit in A is seen: the digest is of this listing, not of the array it came in');
      assert.deepEqual(readFolder(h.dirs.b).get('e2'), ['fromA']);
    } finally {
      await h.cleanup();
    }
  });
});
