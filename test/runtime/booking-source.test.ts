/** What booking rules match besides an entry's own fields: a Google import's organizer and attendees, a Jira task's key, the link. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importOptionsSchema, makeImportMapper } from '../../src/connectors/google-calendar/time-entry-mappers.js';
import { book, type ResolvedRule } from '../../src/core/booking.js';
import { projectFields } from '../../src/core/fields/holds.js';
import { sourceOf } from '../../src/runtime/booking.js';

const rule = (name: string, when: ResolvedRule['rule']['when']): ResolvedRule => ({ rule: { name, when, set: { project: 'p' } }, ids: { projectId: 'p' } });

describe('booking sources', () => {
  const mapper = makeImportMapper(importOptionsSchema.parse({}));
  const mapped = mapper.toHub(
    {
      event: {
        id: 'ev1',
        summary: 'Planning',
        start: { dateTime: '2026-03-02T09:00:00Z', timeZone: 'UTC' },
        end: { dateTime: '2026-03-02T10:00:00Z', timeZone: 'UTC' },
        organizer: { email: 'boss@example.com' },
        attendees: [{ email: 'ann@example.com' }, { displayName: 'no mail' }],
      },
      exceptions: [],
    } as never,
    { now: new Date(), link: 'cal' },
  );

  it('a Google import keeps organizer and attendees in extras.invite, which the import does not hold', () => {
    assert.ok(mapped.ok);
    const fields = mapped.value.fields;
    assert.deepEqual((fields.extras as Record<string, unknown>).invite, { organizer: 'boss@example.com', attendees: ['ann@example.com'] });
    assert.equal(
      (projectFields(fields, mapper.holds).extras as Record<string, unknown>).invite,
      undefined,
      'not hashed, so an edit of the invite is no change',
    );
  });

  it('rules match the organizer, an attendee, the link or calendar, and the Jira key of the entry task', () => {
    assert.ok(mapped.ok);
    const fields = { ...mapped.value.fields, taskId: 't1' };
    const src = sourceOf(fields, 'meetings', 'team@group.calendar.google.com', new Map([['t1', 'ABC-12']]));
    for (const when of [
      { organizer: 'BOSS@example.com' },
      { attendee: 'ann@example.com' },
      { link: 'meetings' },
      { link: 'team@group.calendar.google.com' },
      { jiraProject: 'ABC' },
      { issueKey: 'ABC-12' },
    ])
      assert.equal(book(fields, src, [rule('r', when)]).rule, 'r', JSON.stringify(when));
    assert.equal(book(fields, src, [rule('r', { attendee: 'boss@example.com' })]).rule, null);
  });
});
