/**
 * Model-based test in the spirit of vdirsyncer's: random creates, edits and deletes on
 * the hub and on two real `.ics` folders, random crashes between intent, external write
 * and commit, random failing (and landed-but-failed) writes, listing faults (partial
 * listings, listings that leave items out yet claim to be whole, listings that fail), a
 * hub writer committing while a run collects, and another writer editing a file just
 * before our update or delete of it (re-planned, never forced). After a fault-free run
 * every side must agree, with no duplicates, no lost update and no deletion without
 * evidence; guards must stop exactly the runs that delete too much, before they write
 * anything; and every run's status must be true to what happened.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TimebridgeError } from '../../src/core/errors.js';
import { contentHash } from '../../src/core/hash.js';
import type { FaultPoint } from '../../src/runtime/types.js';
import { runLink } from '../../src/runtime/run-link.js';
import { Crash, createHarness, eventText, fileOf, readFolder, type Harness } from './sync-harness.js';

type Side = 'a' | 'b' | 'hub';
interface Model {
  next: number;
  /** uid → the last value written anywhere, or null after a delete. */
  last: Map<string, string | null>;
}

const GUARD = { maxDeleteCount: 3, maxDeleteShare: 0.25, allowDeletes: false };
const value = (m: Model) => `v${m.next++}`;

async function liveHub(h: Harness) {
  return (await h.store.listScope('team', 'event')).filter((r) => !r.tombstone);
}

async function applyOp(h: Harness, m: Model, op: Op): Promise<void> {
  if (op.kind === 'create') {
    const uid = `u${m.next}`,
      v = value(m);
    if (op.side === 'hub') {
      // Hub-side creates come from another link in real life; here through a third folder would be slower.
      return;
    }
    fs.mkdirSync(h.dirs[op.side], { recursive: true });
    fs.writeFileSync(path.join(h.dirs[op.side], `${uid}.ics`), eventText(uid, v));
    m.last.set(uid, v);
    return;
  }
  if (op.side === 'hub') {
    const live = await liveHub(h);
    const rec = live[op.pick % Math.max(1, live.length)];
    if (!rec) return;
    const uid = String(rec.fields.uid);
    const v = op.kind === 'edit' ? value(m) : null;
    const fields = op.kind === 'edit' ? { ...rec.fields, summary: v } : rec.fields;
    await h.store.commit({
      records: [
        {
          id: rec.id,
          kind: 'event',
          scope: 'team',
          fields,
          identity: uid,
          tombstone: op.kind === 'delete',
          origin: 'user:test',
          runId: null,
          expectedVersion: rec.version,
          updatedAt: new Date().toISOString(),
        },
      ],
    });
    m.last.set(uid, v);
    return;
  }
  const uids = [...readFolder(h.dirs[op.side]).keys()].sort();
  const uid = uids[op.pick % Math.max(1, uids.length)];
  const file = uid ? fileOf(h.dirs[op.side], uid) : null;
  if (!uid || !file) return;
  if (op.kind === 'delete') {
    fs.unlinkSync(file);
    m.last.set(uid, null);
    return;
  }
  const v = value(m);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/\r\nSUMMARY:[^\r]*\r\n/, `\r\nSUMMARY:${v}\r\n`));
  m.last.set(uid, v);
}

function snapshot(h: Harness, side: 'a' | 'b'): string {
  return JSON.stringify([...readFolder(h.dirs[side]).entries()].sort());
}

/** One run of one link with faults; checks the guard verdict against what was written. */
async function syncOnce(h: Harness, m: Model, step: Extract<Step, { t: 'sync' }>): Promise<void> {
  const { side, crash } = step;
  const link = h.links.find((l) => l.name === side)!;
  const before = { folder: snapshot(h, side), head: await h.store.headSeq() };
  let hubWrites = 0;
  if (step.hubWriter !== null) {
    const pick = step.hubWriter;
    h.hubWriter.between = async () => {
      const head = await h.store.headSeq();
      await applyOp(h, m, { kind: 'edit', side: 'hub', pick, count: 1 });
      hubWrites = (await h.store.headSeq()) - head;
    };
  }
  const listingBroken = h.faults.partial.has(side) || h.faults.listFails.has(side);
  // The guard compares with the agreements it plans against: these rows, plus at most one per
  // interrupted create that recovery adopts first.
  const linkedAtMost = (await h.store.loadStatusIndex(link.id)).length + (await h.store.openIntents(link.id)).filter((i) => i.action === 'create').length;
  let crashed = false;
  try {
    const r = await runLink(
      link,
      {
        store: h.store,
        clock: () => new Date(),
        fault: (point, index) => {
          if (crash && !crashed && point === crash.point && index >= crash.index) {
            crashed = true;
            throw new Crash(point);
          }
        },
      },
      { trigger: 'test', batchSize: 4 },
    );
    const plan = r.plan;
    const deletes = (plan.counts['pull-delete'] ?? 0) + (plan.counts['push-delete'] ?? 0);
    // An honest status: a run whose listing broke off, or that left an item failed, is never `ok`.
    if (listingBroken) assert.notEqual(r.run.status, 'ok', 'a run whose listing was incomplete said ok');
    if (r.run.status === 'ok') assert.ok(!r.plan.actions.some((a) => a.op === 'error'), 'a run with failed items said ok');
    if (r.run.status === 'stopped') {
      assert.ok(deletes > 0, 'a guard stopped a run that deletes nothing');
      assert.equal(snapshot(h, side), before.folder, 'a stopped run wrote to the folder');
      assert.equal(await h.store.headSeq(), before.head + hubWrites, 'a stopped run wrote to the hub');
    } else {
      for (const op of ['pull-delete', 'push-delete'] as const) {
        const n = plan.counts[op] ?? 0;
        const over = n > GUARD.maxDeleteCount && n / Math.max(1, linkedAtMost) > GUARD.maxDeleteShare;
        assert.ok(!over, `${n} ${op} of at most ${linkedAtMost} synced items passed the guard`);
      }
    }
  } catch (err) {
    if (!(err instanceof Crash) && !(listingBroken && err instanceof TimebridgeError && err.kind === 'transient')) throw err;
  } finally {
    h.hubWriter.between = null;
  }
}

async function converge(h: Harness): Promise<void> {
  h.faults.failRate = 0;
  h.faults.ambiguousRate = 0;
  h.faults.partial.clear();
  h.faults.lying.clear();
  h.faults.listFails.clear();
  h.faults.race = null;
  for (let round = 0; round < 4; round++) {
    let writes = 0;
    for (const link of h.links) {
      const r = await runLink(link, { store: h.store, clock: () => new Date() }, { trigger: 'converge', allowDeletes: true });
      writes += r.plan.actions.filter((a) => a.op !== 'conflict').length;
      if (process.env.TB_DEBUG) console.log(round, link.name, JSON.stringify(r.plan.actions.map((a) => [a.op, a.reason])));
    }
    if (!writes) return;
  }
  assert.fail('sides did not converge in 4 rounds of fault-free syncs');
}

async function checkInvariants(h: Harness, m: Model): Promise<void> {
  const a = readFolder(h.dirs.a),
    b = readFolder(h.dirs.b);
  const hub = new Map<string, string[]>();
  for (const r of await liveHub(h)) hub.set(String(r.fields.uid), [...(hub.get(String(r.fields.uid)) ?? []), String(r.fields.summary)]);
  const conflicted = new Set((await h.store.listConflicts()).map((c) => c.hubId));
  const conflictedUids = new Set((await h.store.getRecords([...conflicted])).map((r) => String(r.fields.uid)));
  for (const [name, side] of [
    ['a', a],
    ['b', b],
    ['hub', hub],
  ] as const) {
    for (const [uid, vals] of side) assert.equal(vals.length, 1, `${uid} is duplicated in ${name}: ${vals.join(', ')}`);
  }
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), 'folders hold different events');
  assert.deepEqual([...a.keys()].sort(), [...hub.keys()].sort(), 'hub and folders hold different events');
  for (const [uid, [va]] of a) {
    const vb = b.get(uid)![0],
      vh = hub.get(uid)![0];
    if (!conflictedUids.has(uid)) assert.ok(va === vb && vb === vh, `${uid} differs: a=${va} b=${vb} hub=${vh}`);
  }
  for (const [uid, v] of m.last) {
    if (v === null) continue;
    // An edit is never lost: not to a concurrent delete (the change wins), not to a crash.
    const seen = [a.get(uid)?.[0], b.get(uid)?.[0], hub.get(uid)?.[0]];
    assert.ok(seen.includes(v), `the last write ${v} of ${uid} was lost (a=${seen[0]} b=${seen[1]} hub=${seen[2]})`);
  }
}

type Op = { kind: 'create' | 'edit' | 'delete'; side: Side; pick: number; count: number };
type Step =
  | { t: 'op'; op: Op }
  | {
      t: 'sync';
      side: 'a' | 'b';
      crash: { point: FaultPoint; index: number } | null;
      failRate: number;
      ambiguousRate: number;
      raceRate: number;
      listing: 'whole' | 'partial' | 'lying' | 'fails';
      /** Another writer edits the hub record at this pick while the run collects. */
      hubWriter: number | null;
    };

const opArb: fc.Arbitrary<Step> = fc
  .record({
    kind: fc.constantFrom('create', 'create', 'edit', 'edit', 'delete'),
    // Deletes (and creates) come in bursts sometimes, so runs that delete past the guard's limits happen.
    count: fc.constantFrom(1, 1, 1, 6),
    side: fc.constantFrom<Side>('a', 'b', 'hub'),
    pick: fc.nat(50),
  })
  .map((op) => ({ t: 'op' as const, op: op as Op }));

const syncArb: fc.Arbitrary<Step> = fc
  .record({
    side: fc.constantFrom<'a' | 'b'>('a', 'b'),
    crash: fc.option(
      fc.record({ point: fc.constantFrom<FaultPoint>('after-intent', 'after-external-write', 'before-commit', 'after-commit'), index: fc.nat(8) }),
      { freq: 3 },
    ),
    failRate: fc.constantFrom(0, 0, 0.2),
    ambiguousRate: fc.constantFrom(0, 0, 0.2),
    listing: fc.constantFrom<'whole' | 'partial' | 'lying' | 'fails'>('whole', 'whole', 'partial', 'lying', 'lying', 'fails'),
    hubWriter: fc.option(fc.nat(50), { freq: 3 }),
    raceRate: fc.constantFrom(0, 0.5, 1),
  })
  .map((s) => ({ t: 'sync' as const, ...s }));

/** Another writer edits the file right before our update or delete of it: the write is refused and re-planned. */
function racer(h: Harness, m: Model, rate: number): Harness['faults']['race'] {
  if (!rate) return null;
  return (side, id) => {
    if (h.faults.random() >= rate) return;
    const file = path.join(h.dirs[side as 'a' | 'b'], id);
    if (!fs.existsSync(file)) return;
    const text = fs.readFileSync(file, 'utf8');
    const uid = /\r\nUID:([^\r]*)\r\n/.exec(text)?.[1];
    if (!uid) return;
    const v = value(m);
    fs.writeFileSync(file, text.replace(/\r\nSUMMARY:[^\r]*\r\n/, `\r\nSUMMARY:${v}\r\n`));
    m.last.set(uid, v);
  };
}

describe('sync state machine (fast-check)', () => {
  it('random edits, crashes and faults on hub and two folders converge with no duplicates and no lost update', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(opArb, opArb, syncArb), { minLength: 5, maxLength: 30 }), fc.integer(), async (steps, seed) => {
        const h = createHarness({ conflict: 'keep-both', guard: GUARD });
        let s = seed >>> 0;
        h.faults.random = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
        const m: Model = { next: 0, last: new Map() };
        try {
          for (const step of steps) {
            if (step.t === 'op') {
              for (let k = 0; k < step.op.count; k++) await applyOp(h, m, { ...step.op, pick: step.op.pick + k });
              continue;
            }
            h.faults.failRate = step.failRate;
            h.faults.ambiguousRate = step.ambiguousRate;
            if (step.listing === 'partial') h.faults.partial.add(step.side);
            if (step.listing === 'lying') h.faults.lying.add(step.side);
            if (step.listing === 'fails') h.faults.listFails.add(step.side);
            h.faults.race = racer(h, m, step.raceRate);
            await syncOnce(h, m, step);
          }
          await converge(h);
          await checkInvariants(h, m);
        } finally {
          await h.cleanup();
        }
      }),
      { numRuns: Number(process.env.TB_FC_RUNS ?? 150), verbose: 1 },
    );
  });

  it('another writer racing every push (412 on each update and delete) loses nothing and converges', async () => {
    const hubOps = fc.array(fc.record({ kind: fc.constantFrom<'edit' | 'delete'>('edit', 'edit', 'delete'), pick: fc.nat(20) }), {
      minLength: 1,
      maxLength: 8,
    });
    await fc.assert(
      fc.asyncProperty(hubOps, fc.constantFrom(0.5, 1), fc.integer(), async (ops, rate, seed) => {
        const h = createHarness({ conflict: 'keep-both', guard: { ...GUARD, allowDeletes: true } });
        let s = seed >>> 0;
        h.faults.random = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
        const m: Model = { next: 0, last: new Map() };
        try {
          for (let i = 0; i < 6; i++) await applyOp(h, m, { kind: 'create', side: 'a', pick: 0, count: 1 });
          for (const link of h.links) await runLink(link, { store: h.store, clock: () => new Date() }, { trigger: 'test' });
          for (const op of ops) await applyOp(h, m, { ...op, side: 'hub', count: 1 });
          h.faults.race = racer(h, m, rate);
          for (const link of h.links) await runLink(link, { store: h.store, clock: () => new Date() }, { trigger: 'test' });
          await converge(h);
          await checkInvariants(h, m);
        } finally {
          await h.cleanup();
        }
      }),
      { numRuns: Math.ceil(Number(process.env.TB_FC_RUNS ?? 150) / 3) },
    );
  });

  it('a crash right after the external create never duplicates on retry', async () => {
    const h = createHarness();
    try {
      fs.mkdirSync(h.dirs.a, { recursive: true });
      for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(h.dirs.a, `e${i}.ics`), eventText(`e${i}`, `s${i}`));
      await runLink(h.links[0]!, { store: h.store, clock: () => new Date() }, { trigger: 't' });
      await assert.rejects(
        runLink(
          h.links[1]!,
          {
            store: h.store,
            clock: () => new Date(),
            fault: (p, i) => {
              if (p === 'after-external-write' && i === 5) throw new Crash(p);
            },
          },
          { trigger: 't', batchSize: 10 },
        ),
        Crash,
      );
      assert.equal((await h.store.openIntents('link:b')).length, 10, 'intents stay open after the crash');
      assert.ok(readFolder(h.dirs.b).size > 0, 'some creates landed before the crash');
      const r = await runLink(h.links[1]!, { store: h.store, clock: () => new Date() }, { trigger: 't' });
      assert.equal(r.run.status, 'ok');
      const b = readFolder(h.dirs.b);
      assert.equal(b.size, 10);
      for (const [uid, vals] of b) assert.equal(vals.length, 1, `${uid} duplicated`);
      assert.equal((await h.store.openIntents('link:b')).length, 0);
      assert.equal(contentHash([...b.keys()].sort()), contentHash([...readFolder(h.dirs.a).keys()].sort()));
    } finally {
      await h.cleanup();
    }
  });
});
