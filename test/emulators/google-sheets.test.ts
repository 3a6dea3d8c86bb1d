/**
 * Fidelity of the Google emulator's Sheets values API to api-contracts.md §4: A1 ranges
 * (with and without a sheet, open-ended, quoted names), the answer's `range` and
 * `majorDimension`, trailing empty cells and rows left out, `values` absent for an empty
 * range, COLUMNS, and errors in the newer shape (400 unparsable range, 404, 401, a 500 fault).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { accessToken, raw, startEmulator, type Running } from '../connectors/google-calendar/google-support.js';

let r: Running;
let token: string;
const get = (range: string, q = '') => raw(r, 'GET', `/v4/spreadsheets/book1/values/${encodeURIComponent(range)}${q}`, { token });

before(async () => {
  r = await startEmulator();
  token = await accessToken(r);
  r.emulator.sheets.setSheet('book1', 'Offices', [
    ['office', 'calendar', 'name'],
    ['prague', 'p@group.calendar.google.com', 'Prague', '', ''],
    ['brno', 'b@group.calendar.google.com'],
    ['', '', ''],
  ]);
  r.emulator.sheets.setSheet('book1', 'My users', [['a@example.com', 'Ann']]);
});
after(async () => {
  await r.emulator.close();
});

describe('google emulator: spreadsheets.values.get', () => {
  it('answers a range as rows, echoing the range, without trailing empty cells and rows', async () => {
    const res = await get('Offices!A2:C');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      range: 'Offices!A2:C',
      majorDimension: 'ROWS',
      values: [
        ['prague', 'p@group.calendar.google.com', 'Prague'],
        ['brno', 'b@group.calendar.google.com'],
      ],
    });
    assert.deepEqual((await get('Offices')).body.values.length, 3);
    assert.deepEqual((await get('Offices!B1:B2')).body.values, [['calendar'], ['p@group.calendar.google.com']]);
    assert.deepEqual((await get('A1:A1')).body, { range: 'Offices!A1:A1', majorDimension: 'ROWS', values: [['office']] });
    assert.deepEqual((await get("'My users'!A:B")).body.values, [['a@example.com', 'Ann']]);
    assert.deepEqual((await get('Offices!A2:B', '?majorDimension=COLUMNS')).body.values, [
      ['prague', 'brno'],
      ['p@group.calendar.google.com', 'b@group.calendar.google.com'],
    ]);
  });

  it('leaves values out of an empty range', async () => {
    const res = await get('Offices!F1:G9');
    assert.deepEqual([res.status, res.body], [200, { range: 'Offices!F1:G9', majorDimension: 'ROWS' }]);
  });

  it("errs in Google's newer shape", async () => {
    assert.deepEqual(await get('Nope!A1:B').then((x) => [x.status, x.body]), [
      400,
      { error: { code: 400, message: 'Unable to parse range: Nope!A1:B', status: 'INVALID_ARGUMENT' } },
    ]);
    assert.equal((await get('Offices!B3:A1')).status, 400);
    const missing = await raw(r, 'GET', '/v4/spreadsheets/nope/values/A1', { token });
    assert.deepEqual([missing.status, missing.body.error.status], [404, 'NOT_FOUND']);
    const anon = await raw(r, 'GET', '/v4/spreadsheets/book1/values/A1');
    assert.deepEqual([anon.status, anon.body.error.status], [401, 'UNAUTHENTICATED']);
    r.emulator.sheets.failNext(500);
    assert.deepEqual((await get('Offices')).body.error, { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' });
    assert.equal((await get('Offices')).status, 200);
  });
});
