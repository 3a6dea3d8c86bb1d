/**
 * The listing digest is stored: a new way of computing it must give the values the stored
 * ones were made with. Oracle: the first implementation (pairs sorted by id, one hash update per line).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { listingAfterRun, refsDigest } from '../../src/runtime/listing-digest.js';

function firstDigest(entries: [string, string][]): string {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const h = createHash('sha256');
  for (const [id, etag] of sorted) h.update(`${id}\u0000${etag}\n`);
  return h.digest('base64url');
}

const id = fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((s) => !s.includes('\u0000'));
const refs = fc.uniqueArray(fc.record({ id, etag: fc.string({ maxLength: 10 }) }), { selector: (r) => r.id, maxLength: 40 });

describe('listing digest', () => {
  it('equals the first implementation on any listing (ids unique, no NUL)', () => {
    fc.assert(fc.property(refs, (rs) => assert.equal(refsDigest(rs), firstDigest(rs.map((r) => [r.id, r.etag])))));
    assert.equal(refsDigest([]), firstDigest([]));
    // The value the code before this change gave (commit f482be1).
    assert.equal(
      refsDigest([
        { id: 'b.ics', etag: '2' },
        { id: 'a.ics', etag: '1' },
        { id: 'a', etag: 'x' },
      ]),
      '_7cYTXewJGH-stK9sUIq8jOY4pZos846FS3JFrDezgU',
    );
  });

  it('after a run: written etags replace listed ones, deleted items go, created ones come', () => {
    fc.assert(
      fc.property(refs, fc.array(fc.tuple(id, fc.option(fc.string({ maxLength: 10 }))), { maxLength: 10 }), (rs, ws) => {
        const writes = new Map(ws);
        const want = new Map(rs.map((r) => [r.id, r.etag]));
        for (const [k, v] of writes) {
          if (v === null) want.delete(k);
          else want.set(k, v);
        }
        const after = listingAfterRun({ mode: 'full', refs: rs, removed: [], complete: true, cursor: null, failures: [] }, writes);
        assert.deepEqual(new Map(after.refs.map((r) => [r.id, r.etag])), want);
        assert.equal(after.refs.length, want.size, 'no id twice');
        assert.equal(refsDigest(after.refs), firstDigest([...want]));
      }),
    );
  });
});
