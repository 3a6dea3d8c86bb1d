import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from '../../src/runtime/ids.js';

describe('hub ids', () => {
  it('are RFC 9562 version-7 UUIDs carrying the time', () => {
    const id = newId(Date.UTC(2026, 10, 22));
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(id.replace(/-/g, '').slice(0, 12), 16), Date.UTC(2026, 10, 22));
  });

  it('are unique and sort in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => newId(1_800_000_000_000 + Math.floor(i / 1000)));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
  });
});
