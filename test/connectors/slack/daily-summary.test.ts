/**
 * Daily summaries: due at each person's local summary time on both sides of a DST change
 * (Berlin's and New York's spring-forward, an injected clock), sent once per person and
 * local day as a direct message with the day's entries, and exactly once when two workers
 * on one PostgreSQL tick at the same moment.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { summaryDueDay } from '../../../src/app/daily-summary.js';
import { needsPostgres } from '../../support/postgres.js';
import { until } from '../../support/serve.js';
import { startSlackHarness, type SlackHarness } from './slack-harness.js';

const at = (iso: string) => new Date(iso);

describe('summaryDueDay', () => {
  it('18:00 local is 17:00 UTC before Berlin springs forward and 16:00 UTC after', () => {
    assert.equal(summaryDueDay(at('2026-03-28T16:59:00Z'), 'Europe/Berlin', '18:00'), null);
    assert.equal(summaryDueDay(at('2026-03-28T17:00:00Z'), 'Europe/Berlin', '18:00'), '2026-03-28');
    assert.equal(summaryDueDay(at('2026-03-29T15:59:00Z'), 'Europe/Berlin', '18:00'), null);
    assert.equal(summaryDueDay(at('2026-03-29T16:00:00Z'), 'Europe/Berlin', '18:00'), '2026-03-29');
    // Autumn: 18:00 CET is 17:00 UTC again.
    assert.equal(summaryDueDay(at('2026-10-25T16:30:00Z'), 'Europe/Berlin', '18:00'), null);
    assert.equal(summaryDueDay(at('2026-10-25T17:00:00Z'), 'Europe/Berlin', '18:00'), '2026-10-25');
  });

  it('a time inside the skipped hour is due once the clock passes it; after midnight the day is the new one', () => {
    // 02:30 does not exist in Berlin on 2026-03-29: 01:59 CET → 03:00 CEST.
    assert.equal(summaryDueDay(at('2026-03-29T00:59:00Z'), 'Europe/Berlin', '02:30'), null);
    assert.equal(summaryDueDay(at('2026-03-29T01:00:00Z'), 'Europe/Berlin', '02:30'), '2026-03-29');
    assert.equal(summaryDueDay(at('2026-03-29T22:30:00Z'), 'Europe/Berlin', '18:00'), null, '00:30 on the 30th: not yet due that day');
  });
});

describe('daily summaries through the service (SQLite, injected clock)', () => {
  let h: SlackHarness;
  let now = at('2026-03-28T08:00:00Z');
  before(async () => {
    h = await startSlackHarness({ clock: () => now, dailySummary: true });
  });
  after(() => h.close());

  const dms = (user: string) => h.slack.messages().filter((m) => m.channel === user);

  it('each person gets one summary at their local 18:00 on both sides of the DST change', async () => {
    // Alice works 09:00–10:30 Berlin time on the 28th.
    now = at('2026-03-28T08:00:00Z');
    assert.equal((await h.call('admin', 'POST', '/api/v1/timers/start', { scope: 'team', personId: h.ids.alice, projectId: h.ids.website })).status, 201);
    now = at('2026-03-28T09:30:00Z');
    assert.equal((await h.call('admin', 'POST', '/api/v1/timers/stop', { scope: 'team', personId: h.ids.alice })).status, 200);

    const tick = (iso: string) => h.svc.chat.outbox.tick(at(iso));
    assert.deepEqual(await tick('2026-03-28T16:59:00Z'), [], '17:59 in Berlin');
    assert.deepEqual(await tick('2026-03-28T17:00:00Z'), [`${h.ids.alice}/2026-03-28`], '18:00 CET');
    assert.deepEqual(await tick('2026-03-28T17:01:00Z'), [], 'claimed once');
    // New York moved to EDT on March 8: bob's 18:00 is 22:00 UTC.
    assert.deepEqual(await tick('2026-03-28T21:59:00Z'), []);
    assert.deepEqual(await tick('2026-03-28T22:00:00Z'), [`${h.ids.bob}/2026-03-28`]);
    // Berlin springs forward in the night: the next 18:00 is 16:00 UTC.
    assert.deepEqual(await tick('2026-03-29T15:59:00Z'), []);
    assert.deepEqual(await tick('2026-03-29T16:00:00Z'), [`${h.ids.alice}/2026-03-29`]);

    await until('three summaries', () => dms('U0ALICE').length === 2 && dms('U0BOB').length === 1, 20_000);
    const [first, second] = dms('U0ALICE');
    assert.match(first!.text, /Your day in Timebridge — \*2026-03-28\* \(Europe\/Berlin\): 1 h 30 min in 1 entry/);
    assert.match(first!.text, /• 09:00 1 h 30 min on project \*Website\*/);
    assert.match(second!.text, /\*2026-03-29\* \(Europe\/Berlin\): 0 min in 0 entries/);
    // Bob has no Slack id: found by e-mail (users.lookupByEmail).
    assert.match(dms('U0BOB')[0]!.text, /\*2026-03-28\* \(America\/New_York\)/);
  });
});

describe('daily summaries with two workers on PostgreSQL', async () => {
  const pg = await needsPostgres();
  let a: SlackHarness, b: SlackHarness;
  // Both workers on one clock, as the ticks see it (the store prunes marks by it).
  let clock = at('2026-07-01T20:00:00Z');
  before(async () => {
    if (pg.skip) return;
    a = await startSlackHarness({ store: 'postgres', dailySummary: true, clock: () => clock });
    const schema = (a.svc.loaded.config.store as { schema: string }).schema;
    b = await startSlackHarness({ store: 'postgres', schema, dailySummary: true, slack: a.slack, clock: () => clock });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it('both tick at the same moment: each person is summarised exactly once', pg, async () => {
    const ticks = async (iso: string) => {
      const now = at(iso);
      clock = now;
      return (await Promise.all([a.svc.chat.outbox.tick(now), b.svc.chat.outbox.tick(now), a.svc.chat.outbox.tick(now), b.svc.chat.outbox.tick(now)])).flat();
    };
    // 23:00 in Berlin (alice due), 17:00 in New York (bob not yet).
    assert.deepEqual(await ticks('2026-07-01T21:00:00Z'), [`${a.ids.alice}/2026-07-01`]);
    // 19:00 in New York; in Berlin it is already the 2nd, 01:00: not due.
    assert.deepEqual(await ticks('2026-07-01T23:00:00Z'), [`${a.ids.bob}/2026-07-01`]);
    const dms = (u: string) => a.slack.messages().filter((m) => m.channel === u);
    await until('both summaries', () => dms('U0ALICE').length >= 1 && dms('U0BOB').length >= 1, 20_000);
    // Every summary job has finished: none is left to post a second copy.
    await until('queue drained', async () => {
      const c = await a.svc.queue.counts();
      return c.queued + c.active === 0;
    });
    assert.equal(dms('U0ALICE').length, 1);
    assert.equal(dms('U0BOB').length, 1);
    // The next minute's ticks find the day claimed.
    assert.deepEqual(await ticks('2026-07-01T23:01:00Z'), []);
  });
});
