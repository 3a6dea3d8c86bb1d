/** Which failed writes park their item: the whole error catalog, and the HTTP statuses behind an error. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES, errorInfo, type ErrorCode } from '../../src/core/errors.js';
import { ANSWER_EXCERPT_CHARS, answerExcerpt, parksItem } from '../../src/core/parking.js';

/** Written out by hand: the item-level refusals. Everything else a retry or a fix elsewhere may cure. */
const PARKS: ReadonlySet<ErrorCode> = new Set(['CONNECTOR_INVALID_INPUT', 'CONNECTOR_CONFLICT', 'ITEM_UNPARSABLE', 'ITEM_DUPLICATE_IDENTITY', 'PERIOD_LOCKED']);

describe('parksItem', () => {
  it('parks exactly the item-level refusals of the catalog', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      assert.equal(parksItem(errorInfo(code, 'x')), PARKS.has(code), code);
    }
  });

  it('never parks what a retry or another fix may cure, whatever the status', () => {
    // A write into a locked period is the one precondition that parks: no re-read lifts it.
    const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
      (c) => c !== 'PERIOD_LOCKED' && ['transient', 'rate_limited', 'auth', 'precondition', 'not_found', 'bug'].includes(ERROR_CODES[c]),
    );
    assert.ok(codes.includes('CONNECTOR_TRANSIENT') && codes.includes('CONNECTOR_PRECONDITION'));
    fc.assert(
      fc.property(
        fc.constantFrom(...codes),
        fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
        (code, status) => !parksItem(errorInfo(code, 'x'), status),
      ),
    );
  });

  it('parks a refusal only when the answer behind it is a 4xx', () => {
    const refused = errorInfo('CONNECTOR_INVALID_INPUT', 'x');
    for (const s of [400, 409, 415, 422]) assert.equal(parksItem(refused, s), true, String(s));
    // A redirect loop, a 2xx that is not JSON, a server error: not the item's fault.
    for (const s of [200, 302, 308, 500, 503]) assert.equal(parksItem(refused, s), false, String(s));
    assert.equal(parksItem(refused), true, 'a refusal without an HTTP answer (a local folder) parks');
  });
});

describe('answerExcerpt', () => {
  it('collapses whitespace and keeps at most the bound', () => {
    assert.equal(answerExcerpt('  Bad\n\n  Request:\tno master  '), 'Bad Request: no master');
    fc.assert(
      fc.property(fc.string({ maxLength: 3000 }), (s) => {
        const e = answerExcerpt(s);
        return (
          e.length <= ANSWER_EXCERPT_CHARS &&
          !/\s\s/.test(e) &&
          (s.replace(/\s+/g, ' ').trim().length <= ANSWER_EXCERPT_CHARS ? !e.endsWith('…') || s.includes('…') : e.endsWith('…'))
        );
      }),
    );
  });
});
