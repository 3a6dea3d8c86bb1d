/**
 * The pure rules of editing hub records: a split keeps the whole length and the person in
 * two parts that meet; a merge patch changes exactly the keys it names (null: removed where
 * absence is allowed, else null); a new record's defaults and its missing required fields.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dayIn, mergeFields, splitEntry, SplitRefused, withDefaults } from '../../../src/core/fields/record-edit.js';
import type { Fields, Json } from '../../../src/core/model.js';

const BASE = Date.UTC(2026, 0, 1);
const entryAt = (startSec: number, duration: number, timeZone: string | null): Fields => {
  const start = new Date(BASE + startSec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return {
    date: dayIn(start, timeZone),
    start,
    durationSeconds: duration,
    timeZone,
    description: 'x',
    personId: 'p1',
    projectId: null,
    activityId: null,
    taskId: null,
    billable: null,
    tags: ['t'],
    extras: { kimai: { id: 4 } },
    exported: true,
  };
};

describe('splitEntry', () => {
  it('two parts that meet, add up to the entry, keep its person; the second is on its local day, without extras or the export mark', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 365 * 86400 }),
        fc.integer({ min: 2, max: 48 * 3600 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom(null, 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
        fc.boolean(),
        (startSec, duration, where, tz, byInstant) => {
          const first = 1 + Math.floor(where * (duration - 2));
          const f = entryAt(startSec, duration, tz);
          const startMs = Date.parse(f.start as string);
          const how = byInstant
            ? { at: new Date(startMs + first * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }
            : { durationsSeconds: [first, duration - first] as [number, number] };
          const [a, b] = splitEntry(f, how);
          assert.equal((a.durationSeconds as number) + (b.durationSeconds as number), duration);
          assert.equal(a.durationSeconds, first);
          assert.equal(Date.parse(b.start as string), startMs + first * 1000, 'the second starts where the first ends');
          assert.deepEqual([a.start, a.date, a.extras, a.exported], [f.start, f.date, f.extras, f.exported], 'the first is the entry, shorter');
          assert.equal(b.date, dayIn(b.start as string, tz));
          assert.deepEqual([b.personId, b.tags, b.description], ['p1', ['t'], 'x']);
          assert.ok(!('extras' in b) && !('exported' in b));
        },
      ),
    );
  });

  it('refuses a point outside the entry, lengths that do not add up, and a running entry', () => {
    const f = entryAt(0, 3600, null);
    for (const how of [
      { at: '2026-01-01T00:00:00Z' },
      { at: '2026-01-01T01:00:00Z' },
      { at: '2025-12-31T23:00:00Z' },
      { durationsSeconds: [1000, 1000] as [number, number] },
    ])
      assert.throws(() => splitEntry(f, how), SplitRefused, JSON.stringify(how));
    assert.throws(() => splitEntry({ ...f, durationSeconds: null }, { durationsSeconds: [1, 1] }), /still running/);
    assert.throws(() => splitEntry({ ...f, start: null }, { at: '2026-01-01T00:10:00Z' }), /no start time/);
    const [, b] = splitEntry({ ...f, start: null }, { durationsSeconds: [600, 3000] });
    assert.deepEqual([b.start, b.date], [null, f.date], 'a day-granular entry: the second part on the same day');
  });
});

describe('mergeFields', () => {
  const value: fc.Arbitrary<Json> = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }));
  const key = fc.constantFrom('a', 'b', 'c', 'd', 'opt');
  const optional = (k: string) => k === 'opt';

  it('changes exactly the keys the patch names: values replace, null removes an optional key and nulls the others', () => {
    fc.assert(
      fc.property(fc.dictionary(key, value), fc.dictionary(key, fc.oneof(value, fc.constant(null))), (target, patch) => {
        const out = mergeFields(target, patch, optional);
        for (const k of new Set([...Object.keys(target), ...Object.keys(patch)])) {
          if (!(k in patch)) assert.deepEqual(out[k], target[k]);
          else if (patch[k] === null) assert.ok(optional(k) ? !(k in out) : out[k] === null, k);
          else assert.deepEqual(out[k], patch[k]);
        }
        assert.deepEqual(mergeFields(out, patch, optional), out, 'applying it twice changes nothing more');
      }),
    );
  });

  it('merges objects within a field as RFC 7396 says (null removes there)', () => {
    const out = mergeFields(
      { extras: { kimai: { id: 4, exported: false }, google: { colorId: '5' } } },
      { extras: { kimai: { exported: null, x: 1 } } },
      () => false,
    );
    assert.deepEqual(out, { extras: { kimai: { id: 4, x: 1 }, google: { colorId: '5' } } });
  });
});

describe('withDefaults', () => {
  it("fills a time entry's optional fields and names what is missing", () => {
    const r = withDefaults('timeEntry', { date: '2026-03-02', durationSeconds: 60 });
    assert.deepEqual(r.missing, []);
    assert.deepEqual([r.fields.tags, r.fields.start, r.fields.durationSeconds], [[], null, 60]);
    assert.deepEqual(withDefaults('timeEntry', { date: null }).missing, ['date']);
    assert.deepEqual(withDefaults('task', {}).missing, ['summary']);
  });
});
