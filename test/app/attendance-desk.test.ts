/** The pure parts of moffman's reservation request (app/attendance-desk.ts) and the attendance block of timebridge.yaml. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nextState, requestInstant } from '../../src/app/attendance-desk.js';
import { parseConfig } from '../../src/app/config.js';
import { TimebridgeError } from '../../src/core/errors.js';
import { RESERVATION_STATES } from '../../src/core/fields/reservation.js';

const yaml = (office: string, extra: string[] = []) =>
  [
    'store: { path: hub.sqlite }',
    'connections:',
    '  g: { type: google-calendar, auth: { type: oauth, clientId: x, clientSecret: y } }',
    'links:',
    `  prague-office: { connection: g, scope: office, collection: c1, externalKind: attendance, mapper: google-attendance, options: { office: ${office} } }`,
    'attendance:',
    '  scope: office',
    '  colors: { approved: "2" }',
    '  offices: [{ id: prague, name: Prague, calendar: c1, connection: g }]',
    ...extra,
    '',
  ].join('\n');

describe('moffman reservation requests', () => {
  it("reads moffman's request_dt and ISO instants as UTC, and nothing else", () => {
    assert.equal(requestInstant('11:38:00 2020/06/25'), '2020-06-25T11:38:00Z');
    assert.equal(requestInstant('2020-06-25T11:38:00.250+02:00'), '2020-06-25T09:38:00Z');
    for (const bad of ['25:00:00 2020/06/25', '11:38:00 2020/02/30', 'yesterday', '2020/06/25', '']) assert.equal(requestInstant(bad), null, bad);
  });

  it('an approval approves; a plain request keeps a live reservation and reopens a closed one (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(null, ...RESERVATION_STATES), fc.boolean(), (current, approved) => {
        const next = nextState(current, approved);
        if (approved) assert.equal(next, 'approved');
        else assert.equal(next, current === 'approved' ? 'approved' : 'pending');
        // The same request again changes nothing.
        assert.equal(nextState(next, approved), next);
      }),
    );
  });
});

describe('attendance in timebridge.yaml', () => {
  it("fills the office links' colours from the block", () => {
    const c = parseConfig(yaml('prague'), 'timebridge.yaml', {});
    assert.deepEqual(c.config.attendance?.colors, { pending: '4', approved: '2' });
    assert.deepEqual(c.config.links['prague-office']!.options, {
      colors: { pending: '4', approved: '2' },
      foreignEvents: 'report',
      office: 'prague',
      manualUsers: [],
    });
  });

  it("gives the office links the block's foreignEvents unless a link sets its own", () => {
    const c = parseConfig(yaml('prague', ['  foreignEvents: delete']), 'timebridge.yaml', {});
    assert.equal(c.config.links['prague-office']!.options?.['foreignEvents'], 'delete');
    assert.throws(() => parseConfig(yaml('prague', ['  foreignEvents: erase']), 'timebridge.yaml', {}), /foreignEvents/);
  });

  it("gives the office links the block's manual users (e-mails, lower case)", () => {
    const c = parseConfig(yaml('prague', ['  manualUsers: [{ email: Eva@Example.com, name: Eva }, { email: zoe@example.com }]']), 'timebridge.yaml', {});
    assert.deepEqual(c.config.links['prague-office']!.options?.['manualUsers'], ['eva@example.com', 'zoe@example.com']);
    assert.throws(() => parseConfig(yaml('prague', ['  manualUsers: [{ email: eva }]']), 'timebridge.yaml', {}), /e-mail/);
  });

  it('with a sheets.offices range, an office link may name an office the sheet will give', () => {
    const sheets = ['  sheets: { connection: g, spreadsheetId: s1, offices: "Offices!A2:C" }'];
    assert.equal(parseConfig(yaml('vienna', sheets), 'timebridge.yaml', {}).config.links['prague-office']!.options?.['office'], 'vienna');
    assert.throws(() => parseConfig(yaml('prague', ['  sheets: { connection: g, spreadsheetId: s1 }']), 'timebridge.yaml', {}), /offices, manualUsers or both/);
  });

  it('refuses an office link naming an office that is not configured', () => {
    assert.throws(
      () => parseConfig(yaml('vienna'), 'timebridge.yaml', {}),
      (err: unknown) =>
        err instanceof TimebridgeError &&
        err.code === 'CONFIG_INVALID' &&
        /links\.prague-office\.options\.office/.test(err.message) &&
        /vienna/.test(err.message),
    );
  });
});
