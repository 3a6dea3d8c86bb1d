/** Field ownership: what a link holds is written and compared; everything else a record has is kept. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { overlayFields, projectFields } from '../../../src/core/fields/holds.js';
import type { Fields, Json } from '../../../src/core/model.js';

const KEYS = ['a', 'b', 'c', 'd'];
const NS = ['x', 'y', 'z'];
const value: fc.Arbitrary<Json> = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }));

const fieldsArb: fc.Arbitrary<Fields> = fc
  .record({
    plain: fc.dictionary(fc.constantFrom(...KEYS), value),
    extras: fc.dictionary(fc.constantFrom(...NS), fc.dictionary(fc.constantFrom('p', 'q'), value)),
  })
  .map(({ plain, extras }) => (Object.keys(extras).length ? { ...plain, extras } : { ...plain }));

const holdsArb = fc.subarray([...KEYS, ...NS.map((n) => `extras.${n}`)]);

/** Every flattened key of a record, with its value. */
function flat(f: Fields): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(f)) {
    if (k === 'extras') for (const [n, x] of Object.entries(v as Record<string, Json>)) out.set(`extras.${n}`, JSON.stringify(x));
    else out.set(k, JSON.stringify(v));
  }
  return out;
}

describe('field ownership (holds)', () => {
  it('a pull writes exactly the held fields and keeps every other field of the record', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, holdsArb, (current, incoming, holds) => {
        const out = flat(overlayFields(current, incoming, holds));
        const cur = flat(current),
          inc = flat(incoming);
        for (const k of new Set([...cur.keys(), ...inc.keys(), ...holds])) {
          const want = holds.includes(k) ? inc.get(k) : cur.get(k);
          assert.equal(out.get(k), want, `${k} after overlay`);
        }
      }),
    );
  });

  it('the projection is what the link compares: overlaying it changes nothing it holds, and projecting the result gives it back', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, holdsArb, (current, incoming, holds) => {
        const merged = overlayFields(current, incoming, holds);
        assert.deepEqual(flat(projectFields(merged, holds)), flat(projectFields(incoming, holds)));
        assert.deepEqual(flat(overlayFields(merged, projectFields(merged, holds), holds)), flat(merged), 'an echo of what the link holds is no change');
      }),
    );
  });

  it('without a list the mapper holds the whole record: a pull replaces it', () => {
    const incoming = { a: 1, extras: { x: { p: 1 } } };
    assert.deepEqual(overlayFields({ b: 2, extras: { y: { q: 2 } } }, incoming, undefined), incoming);
    assert.deepEqual(projectFields(incoming, undefined), incoming);
  });

  it('a new record takes what the mapping gives, even fields it does not hold (their defaults)', () => {
    assert.deepEqual(overlayFields(null, { a: 1, b: null }, ['a']), { a: 1, b: null });
  });
});
