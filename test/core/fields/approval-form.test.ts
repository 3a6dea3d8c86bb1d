/** moffman's approval-form rules (core/fields/approval-form.ts): the back-dated `date_approved`, date formats, templates, the attachment name. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { approvalDay, approvalFormData, attachmentName, fillTemplate, formatDay } from '../../../src/core/fields/approval-form.js';
import { addDays } from '../../../src/core/fields/reservation.js';

const DAY = 86_400_000;
const dayArb = fc.integer({ min: Date.UTC(2000, 0, 1) / DAY, max: Date.UTC(2099, 0, 1) / DAY }).map((d) => new Date(d * DAY).toISOString().slice(0, 10));

describe('approval form rules', () => {
  it('an approval after the first day’s start is dated the day before the first day; one up to the start keeps its own day', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: -40 * DAY, max: 40 * DAY }), (first, offset) => {
        const at = new Date(Date.parse(`${first}T00:00:00Z`) + offset).toISOString();
        const got = approvalDay(first, at);
        if (offset > 0) assert.equal(got, addDays(first, -1));
        else assert.equal(got, at.slice(0, 10));
        assert.ok(got <= first);
      }),
    );
  });

  it('formats days with moffman’s tokens and fills the form data and templates', () => {
    assert.equal(formatDay('2024-05-06', 'DD.MM.YYYY'), '06.05.2024');
    assert.equal(formatDay('2024-05-06', 'YYYY/MM/DD'), '2024/05/06');
    const { formData, vars } = approvalFormData(
      { userName: 'Jane Doe', userEmail: 'jane@firm.cz', firstDay: '2024-05-06', lastDay: '2024-05-07', approvedAt: '2024-05-03T08:00:00Z' },
      'DD.MM.YYYY',
    );
    assert.deepEqual(formData, { user_id: 'jane@firm.cz', date_from: '06.05.2024', date_to: '07.05.2024', date_approved: '03.05.2024' });
    assert.equal(fillTemplate('Absence {user_name} ({date_from} - {date_to}) {unknown}', vars), 'Absence Jane Doe (06.05.2024 - 07.05.2024) {unknown}');
    assert.equal(attachmentName('absence_{user_name}_{date_from}.pdf', vars), 'absence_Jane Doe_06-05-2024.pdf');
    assert.equal(attachmentName('a/b.c', vars), 'a-b-c.pdf');
  });
});
