/** Write losses: what a remote stored differently from what was sent, and why a later pull keeps what was sent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { keepSentOverLosses, writeLosses, type FieldLoss } from '../../../src/core/fields/write-loss.js';
import type { Fields, Json } from '../../../src/core/model.js';

const KEYS = ['summary', 'location', 'description', 'start'];
const NS = ['ics', 'google'];
const value: fc.Arbitrary<Json> = fc.oneof(
  fc.string({ maxLength: 3 }),
  fc.integer({ min: 0, max: 3 }),
  fc.constant(null),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
);

const fieldsArb: fc.Arbitrary<Fields> = fc
  .record({
    plain: fc.dictionary(fc.constantFrom(...KEYS), value),
    extras: fc.dictionary(fc.constantFrom(...NS), fc.dictionary(fc.constantFrom('norm', 'p'), value)),
  })
  .map(({ plain, extras }) => (Object.keys(extras).length ? { ...plain, extras } : { ...plain }));

const holdsArb = fc.subarray([...KEYS, ...NS.map((n) => `extras.${n}`)], { minLength: 1 });
const ALL_KEYS = [...KEYS, ...NS.map((n) => `extras.${n}`)];

/** The test's own reading of a holds key (missing is null), independent of the code under test. */
function read(f: Fields, key: string): Json {
  if (key.startsWith('extras.')) {
    const x = (f['extras'] ?? {}) as Record<string, Json>;
    return x[key.slice(7)] ?? null;
  }
  return f[key] ?? null;
}

const equal = (a: Json, b: Json): boolean => {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
};

const lossesArb: fc.Arbitrary<FieldLoss[]> = fc.uniqueArray(fc.record({ field: fc.constantFrom(...ALL_KEYS), sent: value, stored: value }), {
  selector: (l) => l.field,
  maxLength: 4,
});

describe('write losses', () => {
  it('a lost field still at the stored value keeps what was sent; one that moved flows as it is and its loss is dropped', () => {
    fc.assert(
      fc.property(fieldsArb, lossesArb, fc.boolean(), (ext0, losses, atStored) => {
        // Half the cases put the external item exactly at the recorded stored values.
        let ext = ext0;
        if (atStored)
          for (const l of losses)
            ext = l.field.startsWith('extras.')
              ? { ...ext, extras: { ...((ext['extras'] ?? {}) as Record<string, Json>), [l.field.slice(7)]: l.stored } }
              : { ...ext, [l.field]: l.stored };
        const { fields, holding } = keepSentOverLosses(ext, losses);
        for (const l of losses) {
          const still = equal(read(ext, l.field), l.stored);
          assert.deepEqual(read(fields, l.field), still ? l.sent : read(ext, l.field), `${l.field}`);
          assert.equal(
            holding.some((h) => h.field === l.field),
            still,
            `${l.field} still holding`,
          );
        }
        for (const k of ALL_KEYS.filter((k) => !losses.some((l) => l.field === k))) assert.deepEqual(read(fields, k), read(ext, k), `${k} untouched`);
      }),
    );
  });

  it('what was stored as sent is no loss, whatever the order of its keys', () => {
    fc.assert(
      fc.property(fieldsArb, holdsArb, (f, holds) => {
        const reordered = Object.fromEntries(Object.entries(f).reverse()) as Fields;
        assert.deepEqual(writeLosses(f, reordered, holds), []);
      }),
    );
  });

  it('every modelled held field that differs is named with both values; fields not held and extras never', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, holdsArb, (sent, stored, holds) => {
        const losses = writeLosses(sent, stored, holds);
        // Extras are a connector's digests and carriers: they move with harmless additions, so they name no loss.
        const want = holds.filter((k) => !k.startsWith('extras.') && !equal(read(sent, k), read(stored, k)));
        assert.deepEqual(losses.map((l) => l.field).sort(), [...want].sort());
        for (const l of losses) {
          assert.deepEqual(l.sent, read(sent, l.field));
          assert.deepEqual(l.stored, read(stored, l.field));
        }
      }),
    );
  });

  it('the stored item read with its losses has every modelled held field as sent (a lossy write is never pulled back)', () => {
    fc.assert(
      fc.property(fieldsArb, fieldsArb, holdsArb, (sent, stored, holds) => {
        const { fields } = keepSentOverLosses(stored, writeLosses(sent, stored, holds));
        for (const k of holds.filter((k) => !k.startsWith('extras.'))) assert.deepEqual(read(fields, k), read(sent, k), k);
      }),
    );
  });

  it('names the truncated summary of an event, not the digest of the whole object', () => {
    const sent = { uid: 'u1', summary: 'Lunch, then review', location: null, extras: { ics: { norm: 'a', $raw: 'x' } } };
    const stored = { uid: 'u1', summary: 'Lunch', location: null, extras: { ics: { norm: 'b', $raw: 'y' } } };
    assert.deepEqual(writeLosses(sent, stored, ['uid', 'summary', 'location', 'extras.ics']), [
      { field: 'summary', sent: 'Lunch, then review', stored: 'Lunch' },
    ]);
  });
});
