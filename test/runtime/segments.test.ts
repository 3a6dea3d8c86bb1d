/** A link's large first run in segments (runtime/segments.ts) ends where the single pass ends. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Connector } from '../../src/connectors/kit/connector.js';
import { runLink } from '../../src/runtime/run-link.js';
import type { LinkSpec, ProgressEvent, RunOptions } from '../../src/runtime/types.js';
import { createHarness, eventText, type Harness } from './sync-harness.js';

/** The connector with the size of every `get` recorded. */
function recordingGets(link: LinkSpec<string>, sizes: number[]): LinkSpec<string> {
  const c = link.connector;
  const connector: Connector<string> = { ...c, manifest: c.manifest, list: (r) => c.list(r), get: (ids) => (sizes.push(ids.length), c.get(ids)) };
  return { ...link, connector };
}

/** UID → SUMMARY of every .ics file in a folder. */
function folderEvents(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.ics'))) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    out.set(/UID:(.*)\r?\n/.exec(text)![1]!.trim(), /SUMMARY:(.*)\r?\n/.exec(text)![1]!.trim());
  }
  return out;
}

/** Folder A: 23 events; folder B already holds 5 of them (3 equal, 2 with another summary) and 4 of its own. */
function fill(h: Harness): void {
  fs.mkdirSync(h.dirs.a, { recursive: true });
  fs.mkdirSync(h.dirs.b, { recursive: true });
  // A's files are Latin-1: each is read with a warning, which the run must report once.
  for (let i = 0; i < 23; i++) fs.writeFileSync(path.join(h.dirs.a, `e${i}.ics`), Buffer.from(eventText(`uid-${i}`, `summary ${i} caf\u00e9`), 'latin1'));
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(h.dirs.b, `b${i}.ics`), eventText(`uid-${i}`, i < 3 ? `summary ${i} café` : `other ${i}`));
  for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(h.dirs.b, `own${i}.ics`), eventText(`own-${i}`, `own ${i}`));
}

interface Outcome {
  counts: Record<string, number>[];
  statuses: string[];
  warnings: string[][];
  a: Map<string, string>;
  b: Map<string, string>;
  hubRecords: number;
  conflicts: number;
  gets: number[][];
  progress: ProgressEvent[];
  /** Actions of a second run of both links. */
  again: string[];
}

async function syncBoth(opts: Partial<RunOptions>): Promise<Outcome> {
  const h = createHarness();
  try {
    fill(h);
    const progress: ProgressEvent[] = [];
    const deps = { store: h.store, clock: () => new Date(), onProgress: (e: ProgressEvent) => progress.push(e) };
    const gets: number[][] = [[], []];
    const links = h.links.map((l, i) => recordingGets(l, gets[i]!));
    const counts: Record<string, number>[] = [];
    const statuses: string[] = [];
    const warnings: string[][] = [];
    for (const l of [...links, ...links]) {
      const r = await runLink(l, deps, { trigger: 'test', ...opts });
      counts.push(r.run.counts);
      statuses.push(r.run.status);
      warnings.push(r.run.warnings.map((w) => w.id));
    }
    const again: string[] = [];
    for (const l of links) again.push(...(await runLink(l, deps, { trigger: 'test' })).plan.actions.map((a) => `${l.name}:${a.op}`));
    return {
      counts,
      statuses,
      warnings,
      a: folderEvents(h.dirs.a),
      b: folderEvents(h.dirs.b),
      hubRecords: (await h.store.listScope('team', 'event')).filter((r) => !r.tombstone).length,
      conflicts: (await h.store.listConflicts('link:b')).length,
      gets,
      progress,
      again,
    };
  } finally {
    await h.cleanup();
  }
}

describe('segmented first runs', () => {
  it('plan and write the same as one pass, reading at most a segment of items at a time', async () => {
    const whole = await syncBoth({});
    const seg = await syncBoth({ segmentSize: 4 });
    assert.deepEqual(seg.counts, whole.counts);
    assert.deepEqual(seg.statuses, whole.statuses);
    assert.deepEqual(seg.warnings, whole.warnings);
    assert.equal(seg.warnings[0]!.length, 23, 'each converted file is reported once');
    assert.deepEqual(seg.a, whole.a);
    assert.deepEqual(seg.b, whole.b);
    assert.equal(seg.hubRecords, whole.hubRecords);
    assert.equal(seg.conflicts, whole.conflicts);
    assert.deepEqual(seg.again, whole.again);
    // The first runs: 23 items in one get as a whole, in segments of at most 4 when segmented.
    assert.equal(whole.gets[0]![0], 23);
    assert.deepEqual(seg.gets[0]!.slice(0, 6), [4, 4, 4, 4, 4, 3]);
    assert.ok(seg.gets[1]!.every((n) => n <= 4));
    assert.ok(seg.progress.filter((p) => p.link === 'a' && p.phase === 'plan').length >= 6, 'each segment is planned on its own');
    // The outcome itself: every event of A in B, B's own events in A, the equal pairs adopted.
    assert.equal(seg.b.size, 23 + 4);
    assert.equal(seg.a.size, 23 + 4);
    assert.equal(seg.b.get('uid-0'), 'summary 0 café');
    assert.equal(seg.b.get('uid-22'), 'summary 22 café');
    assert.equal(seg.b.get('uid-3'), 'other 3', 'a conflict keeps both sides as they were');
    assert.equal(seg.a.get('own-2'), 'own 2');
  });

  it('never take a run that could find deletions: an emptied folder still stops before any write', async () => {
    const h = createHarness();
    try {
      fill(h);
      const deps = { store: h.store, clock: () => new Date() };
      for (const l of h.links) await runLink(l, deps, { trigger: 'test', segmentSize: 2 });
      for (const name of fs.readdirSync(h.dirs.a)) fs.unlinkSync(path.join(h.dirs.a, name));
      const r = await runLink(h.links[0]!, deps, { trigger: 'test', segmentSize: 2 });
      assert.equal(r.run.status, 'stopped');
      assert.equal(r.run.errors[0]?.error.code, 'PLAN_EMPTY_SIDE');
      assert.equal(r.hubWrites, 0);
      assert.equal(fs.readdirSync(h.dirs.b).length, 27, 'B keeps every event');
    } finally {
      await h.cleanup();
    }
  });
});
