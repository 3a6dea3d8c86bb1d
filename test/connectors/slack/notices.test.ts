/**
 * Channel notices of timer starts and stops, from the timers API and from `/tt`, through
 * the durable job queue: a 429 with Retry-After is retried and posts one message, and a
 * Slack slowed to 5 s a call never holds a `/tt` answer (an ordering proof: the answer is
 * in hand while the slowed post has not landed).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { until } from '../../support/serve.js';
import { startSlackHarness, type SlackHarness } from './slack-harness.js';

describe('Slack notices', () => {
  let h: SlackHarness;
  before(async () => {
    h = await startSlackHarness();
  });
  after(() => h.close());
  beforeEach(async () => {
    h.slack.faults.clear();
    h.slack.settings.latencyMs = 0;
    await until('drained', async () => (await h.svc.queue.counts()).queued + (await h.svc.queue.counts()).active === 0, 20_000);
    await h.call('admin', 'DELETE', `/api/v1/timers/current?scope=team&personId=${h.ids.alice}`);
    h.slack.workspace.messages.length = 0;
  });

  const channel = () => h.slack.messages().filter((m) => m.channel === 'C0TIMERS');

  it('a start and a stop through the timers API are announced in the channel, in order', async () => {
    const start = await h.call('admin', 'POST', '/api/v1/timers/start', { scope: 'team', personId: h.ids.alice, projectId: h.ids.website });
    assert.equal(start.status, 201, start.text);
    await until('start notice', () => channel().length === 1, 20_000);
    assert.match(channel()[0]!.text, /<@U0ALICE> started a timer on project \*Website\* at \d\d:\d\d \(Europe\/Berlin\)/);
    const stop = await h.call('admin', 'POST', '/api/v1/timers/stop', { scope: 'team', personId: h.ids.alice });
    assert.equal(stop.status, 200, stop.text);
    await until('stop notice', () => channel().length === 2, 20_000);
    assert.match(channel()[1]!.text, /<@U0ALICE> stopped their timer: \d+ min on project \*Website\*/);
  });

  it('a 429 with Retry-After is retried by the queue and posts exactly one notice', async () => {
    h.slack.inject({ method: 'POST', path: '^/api/chat\\.postMessage$', status: 429, retryAfter: 1, times: 1 });
    const start = await h.call('admin', 'POST', '/api/v1/timers/start', { scope: 'team', personId: h.ids.alice });
    assert.equal(start.status, 201, 'the timer starts while Slack limits');
    await until('notice after the retry', () => channel().length === 1, 20_000);
    const [job] = await h.svc.queue.list({ linkId: 'outbox:chat:team-slack', limit: 1 });
    await until('job done', async () => (await h.svc.queue.get(job!.id))?.state === 'done', 20_000);
    const done = await h.svc.queue.get(job!.id);
    assert.equal(done!.attempts, 2, 'one 429, one post');
    assert.equal(done!.lastError?.retryAfter, 1);
    assert.equal(h.slack.faults.list()[0]!.fired, 1);
    assert.equal(channel().length, 1, 'no duplicate notice');
    assert.match(channel()[0]!.text, /started a timer \(no project\)/);
  });

  it('with Slack slowed to 5 s a call, /tt answers before the slowed post lands; the notice follows', async () => {
    h.slack.settings.latencyMs = 5000;
    const answer = await h.tt('start website');
    // The answer is in hand within Slack's 3 s (the emulator gives up after them: status 0, operation_timeout);
    // the notice's chat.postMessage (slowed 5 s) has not completed.
    assert.equal(answer.status, 200);
    assert.match(String(answer.body.text), /Timer started on project \*Website\*/);
    assert.equal(channel().length, 0, 'the notice has not landed when the answer arrives');
    await until('slow notice', () => channel().length === 1, 20_000);
    assert.match(channel()[0]!.text, /started a timer on project \*Website\*/);
  });

  it('with Slack slowed, a person matched by e-mail is answered "try again" while users.info is still under way', async () => {
    h.slack.settings.latencyMs = 5000;
    const answer = await h.tt('status', 'U0BOB');
    assert.equal(answer.status, 200);
    assert.match(String(answer.body.text), /try again in a moment/);
    assert.equal(h.slack.counts.get('POST /api/users.info'), 1, 'the lookup was asked');
    // The lookup finishes into the cache; the next command needs no Slack call.
    h.slack.settings.latencyMs = 0;
    await until('cached', async () => !/try again/.test(String((await h.tt('status', 'U0BOB')).body.text)), 20_000);
    assert.equal(h.slack.counts.get('POST /api/users.info'), 1);
  });
});
