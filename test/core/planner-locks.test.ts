/**
 * Locked periods in the planner (core/planner-locks.ts): a plan never writes a hub time
 * entry whose period is locked. Case by case (restore where the link may push, PERIOD_LOCKED
 * otherwise, a new remote item in a locked month refused), then a property over random
 * items, locks, directions and kinds: no action writes the hub for a locked entry, and
 * every other action is exactly what the plan without locks has.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Fields } from '../../src/core/model.js';
import type { Action } from '../../src/core/plan-types.js';
import { plan, type PlanInput } from '../../src/core/planner.js';
import type { ConflictPolicy, Direction } from '../../src/core/policy.js';
import { agreed, ext, hub, input, type Case } from './planner-fixtures.js';

const entry = (over: Fields = {}): Fields => ({ summary: 'Review', personId: 'p1', date: '2026-03-02', durationSeconds: 3600, ...over });
const LOCKED_MARCH = new Set(['p1|2026-03']);
const withLocks = (c: Case, locks: ReadonlySet<string> = LOCKED_MARCH): PlanInput => ({ ...input(c), locks, system: 'jira' });
const only = (actions: Action[]): Action => {
  assert.equal(actions.length, 1, `expected one action, got ${JSON.stringify(actions.map((a) => a.op))}`);
  return actions[0]!;
};

describe('planner: locked periods', () => {
  it('a remote edit of a locked entry is restored from the hub on a link that pushes', () => {
    const a = only(
      plan(withLocks({ agreements: [agreed('h1', 'w1', entry())], changed: [hub('h1', entry())], fetched: [ext('w1', entry({ durationSeconds: 7200 }))] }))
        .actions,
    );
    assert.equal(a.op, 'push-update');
    assert.equal(a.extEtag, 'e2');
    assert.equal(a.hubVersion, 1);
    assert.equal(
      a.reason,
      "changed externally; restored from the hub: the entry's period is locked (2026-03 of person p1 is locked (its timesheet is exported))",
    );
  });

  it('the same edit in an open month is pulled as before', () => {
    const c = { agreements: [agreed('h1', 'w1', entry())], changed: [hub('h1', entry())], fetched: [ext('w1', entry({ durationSeconds: 7200 }))] };
    assert.equal(only(plan(withLocks(c, new Set(['p1|2026-04', 'p2|2026-03']))).actions).op, 'pull-update');
  });

  it('an entry marked exported is locked without a timesheet lock; a remote exporting an open entry is taken in', () => {
    const exported = entry({ exported: true });
    const edited = plan(withLocks({ agreements: [agreed('h1', 'w1', exported)], fetched: [ext('w1', { ...exported, summary: 'x' })] }, new Set()));
    assert.equal(only(edited.actions).op, 'push-update');
    const flagged = plan(withLocks({ agreements: [agreed('h1', 'w1', entry())], fetched: [ext('w1', exported)] }, new Set()));
    assert.equal(only(flagged.actions).op, 'pull-update');
  });

  it('on a pull-only link the edit is refused with PERIOD_LOCKED, naming the entry, the period and what to do', () => {
    const a = only(
      plan(withLocks({ agreements: [agreed('h1', 'w1', entry())], fetched: [ext('w1', entry({ date: '2026-03-03' }))], policy: { direction: 'pull' } }))
        .actions,
    );
    assert.equal(a.op, 'error');
    assert.equal(a.error!.code, 'PERIOD_LOCKED');
    assert.equal(
      a.error!.message,
      'Review (hub id h1, jira id w1) was changed in jira, but 2026-03 of person p1 is locked (its timesheet is exported): the hub keeps the entry as it is; change it back in jira, or ask an admin to reopen the month',
    );
    assert.equal(a.hubVersion, 1);
    assert.equal(a.extEtag, 'e2', 'the refusal is tied to the versions it was planned at (parking)');
  });

  it('a remote move of an open entry into a locked month is refused too', () => {
    const a = only(
      plan(withLocks({ agreements: [agreed('h1', 'w1', entry({ date: '2026-04-01' }))], fetched: [ext('w1', entry())], policy: { direction: 'pull' } }))
        .actions,
    );
    assert.equal(a.error?.code, 'PERIOD_LOCKED');
  });

  it('a remote deletion of a locked entry is created again, or refused when the kind cannot be created', () => {
    const c = { agreements: [agreed('h1', 'w1', entry())], present: [] };
    const a = only(plan(withLocks(c)).actions);
    assert.equal(a.op, 'push-create');
    assert.match(a.reason, /^deleted externally; restored from the hub: the entry's period is locked/);
    const refused = only(plan({ ...withLocks(c), can: { create: false, update: true, delete: true } }).actions);
    assert.equal(refused.op, 'error');
    assert.match(refused.error!.message, /was deleted in jira/);
  });

  it('changed on both sides: the hub version is pushed, nothing merged into the hub; keep-both flags no conflict', () => {
    for (const conflict of ['external-wins', 'keep-both'] as const) {
      const a = only(
        plan(
          withLocks({
            agreements: [agreed('h1', 'w1', entry())],
            changed: [hub('h1', entry({ summary: 'Hub' }), 2)],
            fetched: [ext('w1', entry({ summary: 'Jira' }))],
            policy: { conflict },
          }),
        ).actions,
      );
      assert.equal(a.op, 'push-update', conflict);
      assert.equal(a.hubVersion, 2);
      assert.equal(a.merged, undefined);
    }
  });

  it('a new remote item in a locked month is never created in the hub, and never deleted remotely', () => {
    const a = only(plan(withLocks({ fetched: [ext('w9', entry({ summary: 'Late' }))] })).actions);
    assert.equal(a.op, 'error');
    assert.equal(a.hubId, null);
    assert.match(
      a.error!.message,
      /^Late \(jira id w9\) was new in jira, but 2026-03 of person p1 is locked .*: it is not taken into the hub; delete it in jira/,
    );
  });

  it('an adoption that would change a locked hub entry writes the hub content out instead', () => {
    const a = only(
      plan(
        withLocks({
          fetched: [ext('w1', entry({ uid: 'u1', summary: 'Remote' }))],
          candidates: [hub('h1', entry({ uid: 'u1' }))],
          policy: { conflict: 'external-wins' },
        }),
      ).actions,
    );
    assert.equal(a.op, 'adopt');
    assert.equal(a.writeHub, false);
    assert.equal(a.writeExt, true);
    assert.equal(a.merged, undefined, 'the hub record as it is, not a merge');
  });

  it('a push of a locked entry stays a push (that is how the lock reaches the remote)', () => {
    const a = only(plan(withLocks({ agreements: [agreed('h1', 'w1', entry())], changed: [hub('h1', entry({ exported: true }), 2)] })).actions);
    assert.equal(a.op, 'push-update');
    assert.equal(a.reason, 'changed in hub');
  });
});

// The property

type Fate = 'same' | 'touched' | 'changed' | 'deleted';
interface ItemCase {
  hub: Fate;
  ext: Fate;
  person: 'p1' | 'p2';
  month: '03' | '04';
  /** Where the remote's change puts the entry. */
  extMonth: '03' | '04';
  exported: boolean;
  hubText: string;
  extText: string;
}
interface NewCase {
  person: 'p1' | 'p2';
  month: '03' | '04';
  /** Adopts a hub record with this content, when set. */
  candidate: string | null;
  text: string;
}

const fate = fc.constantFrom<Fate>('same', 'touched', 'changed', 'deleted');
const itemCase: fc.Arbitrary<ItemCase> = fc.record({
  hub: fate,
  ext: fate,
  person: fc.constantFrom('p1' as const, 'p2' as const),
  month: fc.constantFrom('03' as const, '04' as const),
  extMonth: fc.constantFrom('03' as const, '04' as const),
  exported: fc.boolean(),
  hubText: fc.constantFrom('A', 'B'),
  extText: fc.constantFrom('A', 'C'),
});
const newCase: fc.Arbitrary<NewCase> = fc.record({
  person: fc.constantFrom('p1' as const, 'p2' as const),
  month: fc.constantFrom('03' as const, '04' as const),
  candidate: fc.option(fc.constantFrom('A', 'D'), { nil: null }),
  text: fc.constantFrom('A', 'E'),
});
const lockSet = fc.subarray(['p1|2026-03', 'p1|2026-04', 'p2|2026-03', 'p2|2026-04']).map((l) => new Set(l));

/** Written out by hand (not the code under test): the ops that write the hub record of their item. */
const HUB_WRITE_OPS = new Set(['pull-create', 'pull-update', 'pull-delete', 'conflict']);
const writesHub = (a: Action) => HUB_WRITE_OPS.has(a.op) || ((a.op === 'merge' || a.op === 'adopt') && a.writeHub === true);
const inLockedMonth = (f: Fields | null | undefined, locks: ReadonlySet<string>) => !!f && locks.has(`${String(f.personId)}|${String(f.date).slice(0, 7)}`);

function build(items: ItemCase[], fresh: NewCase[]) {
  const c: Required<Pick<Case, 'agreements' | 'present' | 'fetched' | 'changed' | 'candidates'>> = {
    agreements: [],
    present: [],
    fetched: [],
    changed: [],
    candidates: [],
  };
  const hubFields = new Map<string, Fields>();
  const extFields = new Map<string, Fields>();
  for (const [i, it] of items.entries()) {
    const f: Fields = { summary: `item ${i}`, personId: it.person, date: `2026-${it.month}-0${(i % 9) + 1}`, durationSeconds: 3600 };
    if (it.exported) f.exported = true;
    c.agreements.push(agreed(`h${i}`, `w${i}`, f));
    hubFields.set(`h${i}`, f);
    if (it.hub === 'touched') c.changed.push(hub(`h${i}`, f, 2));
    if (it.hub === 'changed') c.changed.push(hub(`h${i}`, { ...f, summary: `item ${i} ${it.hubText}` }, 2));
    if (it.hub === 'deleted') c.changed.push(hub(`h${i}`, f, 2, { tombstone: true }));
    if (it.ext === 'deleted') continue;
    c.present.push(`w${i}`);
    const moved = { ...f, summary: `item ${i} ${it.extText}`, date: `2026-${it.extMonth}-0${(i % 9) + 1}` };
    if (it.ext === 'touched') c.fetched.push(ext(`w${i}`, f));
    if (it.ext === 'changed') {
      c.fetched.push(ext(`w${i}`, moved));
      extFields.set(`w${i}`, moved);
    }
  }
  for (const [i, n] of fresh.entries()) {
    const f: Fields = { summary: `new ${n.text}`, personId: n.person, date: `2026-${n.month}-1${i}`, durationSeconds: 1800, uid: `u${i}` };
    c.present.push(`n${i}`);
    c.fetched.push(ext(`n${i}`, f));
    extFields.set(`n${i}`, f);
    if (n.candidate !== null) {
      const hf = { ...f, summary: `new ${n.candidate}`, date: `2026-${n.month === '03' ? '04' : '03'}-1${i}` };
      c.candidates.push(hub(`c${i}`, hf));
      hubFields.set(`c${i}`, hf);
    }
  }
  return { c, hubFields, extFields };
}

describe('planner: locked periods, property', () => {
  it('no action writes the hub for a locked entry, and every other action is as without locks', () => {
    fc.assert(
      fc.property(
        fc.array(itemCase, { maxLength: 10 }),
        fc.array(newCase, { maxLength: 3 }),
        lockSet,
        fc.constantFrom<Direction>('pull', 'push', 'both', 'mirror'),
        fc.constantFrom<ConflictPolicy>('hub-wins', 'external-wins', 'newest-wins', 'keep-both'),
        fc.record({ create: fc.boolean(), update: fc.boolean(), delete: fc.boolean() }),
        (items, fresh, locks, direction, conflict, can) => {
          const { c, hubFields, extFields } = build(items, fresh);
          const base: PlanInput = { ...input({ ...c, policy: { direction, conflict } }), can };
          const free = plan(base).actions;
          const held = plan({ ...base, locks, system: 'jira' }).actions;
          assert.equal(held.length, free.length, 'one action per item, as without locks');
          for (const [i, a] of free.entries()) {
            const b = held[i]!;
            const before = a.hubId ? hubFields.get(a.hubId) : null;
            const after = a.op === 'pull-delete' ? null : (a.merged ?? (a.extId ? extFields.get(a.extId) : null));
            const locked = before?.exported === true || inLockedMonth(before, locks) || inLockedMonth(after, locks);
            if (!writesHub(a) || !locked) {
              assert.deepEqual(b, a, 'an action that does not write a locked entry into the hub is unchanged');
              continue;
            }
            assert.ok(!writesHub(b), `${b.op} writes the hub for a locked entry`);
            assert.equal(b.hubId, a.hubId);
            assert.equal(b.extId, a.extId);
            assert.equal(b.hubVersion, a.hubVersion);
            assert.equal(b.extEtag, a.extEtag);
            if (b.op === 'error') assert.equal(b.error?.code, 'PERIOD_LOCKED');
            else {
              // A restore: only where the link pushes and the kind takes the write, and never for an item the hub never had.
              assert.ok(direction !== 'pull' && a.op !== 'pull-create', `${a.op} → ${b.op} on a ${direction} link`);
              assert.ok(b.op === 'push-update' || b.op === 'push-create' || (b.op === 'adopt' && b.writeExt === true), b.op);
              assert.ok(b.op === 'push-create' ? can.create : can.update, `${b.op} the kind cannot take`);
              assert.match(b.reason, /restored from the hub: the entry's period is locked \(/);
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
