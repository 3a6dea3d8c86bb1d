/**
 * plan() finds the agreements it needs in one pass instead of indexing every status row
 * (issue 24). The plan must be the one the planner gave before: same actions, same order,
 * same counts and guard, on random inputs with repeated ids on both sides, full and delta
 * listings (complete or not), failed and unmappable reads, hub changes and deletions,
 * adoption candidates, every direction and conflict policy, capabilities and locked periods.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Fields } from '../../src/core/model.js';
import { plan, type Agreement, type ExtView, type HubView, type PlanInput } from '../../src/core/planner.js';
import { DEFAULT_POLICY, type ConflictPolicy, type Direction } from '../../src/core/policy.js';
import { planBeforeIndex } from './planner-before-index.js';
import { agreed, ext, hub, NOW } from './planner-fixtures.js';

/** Few ids, so agreements share hub or external ids, and reads, changes and candidates meet agreements. */
const hubId = fc.constantFrom('h0', 'h1', 'h2', 'h3', 'h4');
const extId = fc.constantFrom('e0', 'e1', 'e2', 'e3', 'e4');
const uid = fc.constantFrom('u0', 'u1', 'u2', null);

/** A time entry in March (locked in some cases) or April, with an identity or none. */
const entry = fc.record({ text: fc.constantFrom('a', 'b', 'c'), month: fc.constantFrom('03', '04'), uid }).map(({ text, month, uid }): Fields => ({
  summary: `item ${text}`,
  personId: 'p1',
  date: `2026-${month}-02`,
  durationSeconds: 3600,
  ...(uid === null ? {} : { uid }),
}));

const agreement = fc
  .record({ hubId, extId, fields: entry, version: fc.integer({ min: 1, max: 3 }), unread: fc.boolean() })
  .map(({ hubId, extId, fields, version, unread }): Agreement => {
    const a = agreed(hubId, extId, fields, version);
    return unread ? { ...a, extHash: '' } : a;
  });

const fetched = fc
  .record({ extId, fields: entry, kind: fc.constantFrom('ok', 'ok', 'ok', 'skip', 'error'), etag: fc.constantFrom('e1', 'e2') })
  .map(({ extId, fields, kind, etag }): ExtView => {
    if (kind === 'skip') return { extId, etag, modifiedAt: null, mapped: { ok: false, skip: 'not a time entry' } };
    if (kind === 'error') return { extId, etag, modifiedAt: null, mapped: { ok: false, error: 'unreadable', code: 'ITEM_UNPARSABLE' } };
    return ext(extId, fields, etag, '2026-11-21T10:00:00Z');
  });

const hubView = fc
  .record({ id: hubId, fields: entry, version: fc.integer({ min: 1, max: 4 }), tombstone: fc.boolean() })
  .map(({ id, fields, version, tombstone }): HubView => hub(id, fields, version, { tombstone }));

const planInput = fc
  .record({
    agreements: fc.array(agreement, { maxLength: 8 }),
    mode: fc.constantFrom<'full' | 'delta'>('full', 'delta'),
    complete: fc.boolean(),
    present: fc.uniqueArray(extId),
    removed: fc.uniqueArray(extId),
    fetched: fc.array(fetched, { maxLength: 5 }),
    failed: fc.uniqueArray(extId, { maxLength: 2 }),
    changed: fc.array(hubView, { maxLength: 5 }),
    candidates: fc.array(hubView, { maxLength: 3 }),
    direction: fc.constantFrom<Direction>('pull', 'push', 'both', 'mirror'),
    conflict: fc.constantFrom<ConflictPolicy>('hub-wins', 'external-wins', 'newest-wins', 'keep-both'),
    deletes: fc.record({ toExternal: fc.boolean(), toHub: fc.boolean() }),
    externalOnly: fc.constantFrom<'import' | 'delete'>('import', 'delete'),
    allowDeletes: fc.boolean(),
    can: fc.option(fc.record({ create: fc.boolean(), update: fc.boolean(), delete: fc.boolean() }), { nil: undefined }),
    identityIsName: fc.boolean(),
    locked: fc.boolean(),
  })
  .map((c): PlanInput => ({
    linkId: 'link:t',
    now: NOW,
    policy: {
      ...DEFAULT_POLICY,
      direction: c.direction,
      conflict: c.conflict,
      deletes: c.deletes,
      externalOnly: c.externalOnly,
      guard: { ...DEFAULT_POLICY.guard, allowDeletes: c.allowDeletes },
    },
    agreements: c.agreements,
    ...(c.can ? { can: c.can } : {}),
    ...(c.identityIsName ? { identityIsName: true } : {}),
    ...(c.locked ? { locks: new Set(['p1|2026-03']), system: 'jira' } : {}),
    ext: {
      mode: c.mode,
      complete: c.complete,
      present: new Set(c.present),
      removed: new Set(c.removed),
      fetched: c.fetched,
      failed: c.failed.map((id) => ({ extId: id, message: `${id} could not be read`, code: 'CONNECTOR_HTTP' })),
    },
    hub: { changed: c.changed, candidates: c.candidates },
  }));

describe('planner: agreements found in one pass', () => {
  it('gives the plan the planner gave when it indexed every agreement', () => {
    fc.assert(
      fc.property(planInput, (input) => {
        // The old planner sorts the new external items in place; each gets its own copy.
        const copy = (i: PlanInput): PlanInput => ({ ...i, ext: { ...i.ext, fetched: [...i.ext.fetched] } });
        assert.deepEqual(plan(copy(input)), planBeforeIndex(copy(input)));
      }),
      { numRuns: 1000 },
    );
  });

  it('where two agreements share an id, the later one decides, as before', () => {
    const f: Fields = { summary: 'item', personId: 'p1', date: '2026-04-02', durationSeconds: 3600 };
    const input: PlanInput = {
      linkId: 'link:t',
      now: NOW,
      policy: DEFAULT_POLICY,
      agreements: [agreed('h1', 'e1', f, 1), agreed('h2', 'e1', f, 2), agreed('h3', 'e3', f, 1), agreed('h3', 'e4', f, 1)],
      ext: { mode: 'full', complete: true, present: new Set(['e1', 'e3']), removed: new Set(), fetched: [ext('e1', { ...f, summary: 'moved' })], failed: [] },
      hub: { changed: [hub('h3', { ...f, summary: 'edited' }, 2)], candidates: [] },
    };
    const p = plan(input);
    assert.deepEqual(p, planBeforeIndex(input));
    assert.deepEqual(
      p.actions.map((a) => [a.op, a.hubId, a.extId]),
      [
        ['pull-update', 'h2', 'e1'],
        ['push-create', 'h3', 'e4'],
      ],
    );
  });
});
