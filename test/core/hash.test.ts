import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, contentHash } from '../../src/core/hash.js';
import type { Json } from '../../src/core/model.js';

// Hashes are stored (status rows, `$fieldsHash`, `norm`): a faster implementation must give
// exactly the values earlier releases stored, or every item would look changed once.
const GOLDEN: [Json, string, string][] = [
  [
    { b: 1, a: 'x', $raw: 'skip', n: null, arr: [3, { z: true, y: [] }, 'é"\n'] },
    '{"a":"x","arr":[3,{"y":[],"z":true},"é\\"\\n"],"b":1,"n":null}',
    '7D90iV6xQ-eU3X_XIpHUew',
  ],
  [[], '[]', 'T1PNoYwrqgwDVLtfmj7L5e'],
  ['text with "quotes" and ünïcode', '"text with \\"quotes\\" and ünïcode"', 'eRMZdTXMuTstZpYiHMz1P1'],
  [
    { summary: '定例会議', overrides: [{ id: '2025', start: '2025-01-01T10:00:00Z' }], extras: { ics: { norm: 'abc', $raw: 'BEGIN' } } },
    '{"extras":{"ics":{"norm":"abc"}},"overrides":[{"id":"2025","start":"2025-01-01T10:00:00Z"}],"summary":"定例会議"}',
    'zPJA3gYoiyn-6-F6CsVN2Y',
  ],
];

test('canonical JSON and content hashes are the values stored by earlier releases', () => {
  for (const [value, json, hash] of GOLDEN) {
    assert.equal(canonicalJson(value), json);
    assert.equal(contentHash(value), hash);
  }
});

test('canonical JSON sorts keys, leaves out $ keys and undefined values, and keeps array order', () => {
  const withUndefined = { b: [2, 1], a: undefined, $c: 1 } as unknown as Json;
  assert.equal(canonicalJson(withUndefined), '{"b":[2,1]}');
  assert.equal(contentHash({ x: 1, y: 2 }), contentHash({ y: 2, x: 1 }));
  assert.notEqual(contentHash({ x: [1, 2] }), contentHash({ x: [2, 1] }));
  assert.equal(canonicalJson({}), '{}');
});
