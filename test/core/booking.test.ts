/** Booking rules (core/booking.ts): matching, order, never overwriting, what stays missing, and the rule schema. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { book, bookingRulesSchema, mismatch, resolveRules, type BookingRule, type BookingSource, type ResolvedRule } from '../../src/core/booking.js';
import type { Fields } from '../../src/core/model.js';

const entry = (over: Fields = {}): Fields => ({
  date: '2026-03-02',
  start: '2026-03-02T09:00:00Z',
  durationSeconds: 3600,
  timeZone: 'UTC',
  description: 'Weekly ACME review',
  personId: null,
  projectId: null,
  activityId: null,
  taskId: null,
  billable: null,
  tags: [],
  ...over,
});
const src: BookingSource = { linkName: 'cal-import', collection: 'work', organizer: 'Boss@Example.com', attendees: ['ann@example.com'], issueKey: 'ABC-12' };
const rule = (name: string, when: BookingRule['when'], ids: ResolvedRule['ids'] = { projectId: `p-${name}` }, tags?: string[]): ResolvedRule => ({
  rule: { name, when, set: { project: ids.projectId ?? 'x', ...(tags ? { tags } : {}) } },
  ids,
});

describe('book', () => {
  it('matches on every kind of condition, and says why one does not', () => {
    const cases: [BookingRule['when'], boolean][] = [
      [{ link: 'cal-import' }, true],
      [{ link: 'work' }, true],
      [{ link: 'other' }, false],
      [{ summary: 'acme REVIEW' }, true],
      [{ summary: ['acme', 'standup'] }, false],
      [{ summaryRegex: '^weekly\\s+acme' }, true],
      [{ summaryRegex: 'daily' }, false],
      [{ attendee: 'ANN@example.com' }, true],
      [{ attendee: 'bob@example.com' }, false],
      [{ organizer: 'boss@example.com' }, true],
      [{ organizer: 'ann@example.com' }, false],
      [{ jiraProject: 'abc' }, true],
      [{ jiraProject: 'AB' }, false],
      [{ issueKey: 'ABC-12' }, true],
      [{ issueKey: 'ABC-1' }, false],
      [{ summary: 'acme', organizer: 'nobody@example.com' }, false],
    ];
    for (const [when, matches] of cases) {
      const why = mismatch(rule('r', when).rule, entry(), src);
      assert.equal(why === null, matches, `${JSON.stringify(when)}: ${why}`);
      const b = book(entry(), src, [rule('r', when)]);
      assert.equal(b.rule, matches ? 'r' : null);
    }
    assert.match(mismatch(rule('r', { summary: 'acme standup' }).rule, entry(), src)!, /lacks "standup"/);
  });

  it('adds tags without repeating them', () => {
    const b = book(entry({ tags: ['a'] }), src, [rule('t', { summary: 'acme' }, { projectId: 'p' }, ['a', 'b'])]);
    assert.deepEqual(b.fields.tags, ['a', 'b']);
  });

  const id = fc.option(fc.constantFrom('p1', 'p2', 'u1', 'a1'), { nil: null });
  const arbEntry = fc.record({ personId: id, projectId: id, activityId: id, description: fc.constantFrom('acme review', 'standup', 'ACME standup', '') });
  const arbRules = fc.array(
    fc.record({
      kw: fc.constantFrom('acme', 'standup', 'review', 'nothing'),
      person: fc.option(fc.constantFrom('u7', 'u8'), { nil: undefined }),
      project: fc.option(fc.constantFrom('p7', 'p8'), { nil: undefined }),
      activity: fc.option(fc.constantFrom('a7', 'a8'), { nil: undefined }),
    }),
    { maxLength: 5 },
  );
  const toRules = (rs: { kw: string; person?: string; project?: string; activity?: string }[]): ResolvedRule[] =>
    rs.map((r, i) => ({
      rule: { name: `r${i}`, when: { summary: r.kw }, set: { tags: ['x'] } },
      ids: { ...(r.person ? { personId: r.person } : {}), ...(r.project ? { projectId: r.project } : {}), ...(r.activity ? { activityId: r.activity } : {}) },
    }));

  it('never overwrites a booked field', () => {
    fc.assert(
      fc.property(arbEntry, arbRules, (e, rs) => {
        const f = entry(e);
        const b = book(f, src, toRules(rs));
        for (const k of ['personId', 'projectId', 'activityId']) if (f[k]) assert.equal(b.fields[k], f[k]);
      }),
    );
  });

  it('the first matching rule decides', () => {
    fc.assert(
      fc.property(arbEntry, arbRules, (e, rs) => {
        const f = entry(e);
        const rules = toRules(rs);
        const b = book(f, src, rules);
        const complete = f.personId && f.projectId && f.activityId;
        const first = rules.find((r) => lower(String(f.description)).includes(r.rule.when.summary as string));
        assert.equal(b.rule, complete ? null : (first?.rule.name ?? null));
        if (first && !complete) for (const [k, v] of Object.entries(first.ids)) assert.equal(b.fields[k], f[k] || v);
      }),
    );
  });

  it('no matching rule: fields unchanged and missing names what lacks', () => {
    fc.assert(
      fc.property(arbEntry, fc.boolean(), (e, needActivity) => {
        const f = entry(e);
        const b = book(f, src, [rule('never', { summary: 'no-such-word' })], needActivity);
        assert.equal(b.rule, null);
        assert.deepEqual(b.fields, f);
        const want = [...(f.personId ? [] : ['person']), ...(f.projectId ? [] : ['project']), ...(needActivity && !f.activityId ? ['activity'] : [])];
        assert.deepEqual(b.missing, want);
      }),
    );
  });
});

const lower = (s: string): string => s.toLowerCase();

describe('rule schema and names', () => {
  it('refuses a rule without condition, a bad regex, a rule that sets nothing and a name used twice', () => {
    const bad = bookingRulesSchema.safeParse([
      { name: 'a', when: {}, set: { project: 'x' } },
      { name: 'b', when: { summaryRegex: '(' }, set: { project: 'x' } },
      { name: 'c', when: { summary: 'x' }, set: {} },
      { name: 'c', when: { summary: 'x' }, set: { project: 'x' } },
    ]);
    assert.equal(bad.success, false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.ok(
      messages.some((m) => m.startsWith('0.when') && m.includes('at least one condition')),
      messages.join('\n'),
    );
    assert.ok(messages.some((m) => m.startsWith('1.when.summaryRegex') && m.includes('regular expression')));
    assert.ok(messages.some((m) => m.startsWith('2.set') && m.includes('sets nothing')));
    assert.ok(messages.some((m) => m.startsWith('3.name') && m.includes('used twice')));
  });

  it('resolves names and ids, and names an unknown or ambiguous one', () => {
    const refs = {
      person: [{ id: 'u1', names: ['ann', 'ann@example.com'] }],
      project: [
        { id: 'p1', names: ['ACME'] },
        { id: 'p2', names: ['Dup'] },
        { id: 'p3', names: ['dup'] },
      ],
      activity: [{ id: 'a1', names: ['Review'] }],
    };
    const r = resolveRules(
      [
        { name: 'ok', when: { summary: 'x' }, set: { person: 'ANN@example.com', project: 'acme', activity: 'a1' } },
        { name: 'unknown', when: { summary: 'x' }, set: { project: 'Nope' } },
        { name: 'twice', when: { summary: 'x' }, set: { project: 'dup' } },
      ],
      refs,
    );
    assert.deepEqual(
      r.resolved.map((x) => [x.rule.name, x.ids]),
      [['ok', { personId: 'u1', projectId: 'p1', activityId: 'a1' }]],
    );
    assert.match(r.problems[0]!, /rule "unknown": no hub project is "Nope"/);
    assert.match(r.problems[1]!, /rule "twice": project "dup" names 2 hub records/);
  });
});
