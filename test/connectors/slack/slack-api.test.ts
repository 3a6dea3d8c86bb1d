/**
 * The Slack client and settings against the emulator: `ok:false` answers become errors that
 * say what to fix, a 429 carries its Retry-After for the job queue, and a connection's
 * settings refuse what Slack would refuse later, naming the field.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { slackConfigSchema } from '../../../src/connectors/slack/index.js';
import { SlackApi } from '../../../src/connectors/slack/api.js';
import { chooseTarget, parseTt, type Candidate } from '../../../src/core/chat-commands.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { createSlackEmulator, fillSlackDemo, type SlackEmulator } from '../../../src/emulators/slack/index.js';

const caught = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    assert.ok(isTimebridgeError(err));
    return err;
  }
  assert.fail('no error');
};

describe('SlackApi against the emulator', () => {
  let e: SlackEmulator, api: SlackApi;
  before(async () => {
    e = createSlackEmulator();
    fillSlackDemo(e);
    api = new SlackApi({ apiUrl: `${await e.listen()}/api`, botToken: 'xoxb-emulator-bot-token' });
  });
  after(() => e.close());

  it('posts, reads users (by id and e-mail) and checks its token', async () => {
    assert.match((await api.postMessage('C0TIMERS', 'hi')).ts, /^\d+\.\d+$/);
    assert.deepEqual(await api.userInfo('U0ALICE'), { id: 'U0ALICE', name: 'alice', email: 'alice@example.com', tz: 'Europe/Berlin' });
    assert.equal((await api.lookupByEmail('bob@example.com'))?.id, 'U0BOB');
    assert.equal(await api.lookupByEmail('nobody@example.com'), null);
    assert.equal((await api.authTest()).teamId, 'T0TIMEBRDG');
  });

  it('ok:false answers become errors with their meaning and a hint', async () => {
    const bad = new SlackApi({ apiUrl: `${e.url()}/api/`, botToken: 'xoxb-revoked' });
    const auth = await caught(bad.postMessage('C0TIMERS', 'x'));
    assert.equal(auth.code, 'CONNECTOR_AUTH');
    assert.match(auth.message, /invalid_auth/);
    assert.match(String(auth.hint), /botToken/);
    const channel = await caught(api.postMessage('C0GONE', 'x'));
    assert.deepEqual([channel.code, channel.details?.slackError], ['CONNECTOR_NOT_FOUND', 'channel_not_found']);
    assert.match(String(channel.hint), /noticeChannel/);
    const empty = await caught(api.postMessage('C0TIMERS', ''));
    assert.equal(empty.code, 'CONNECTOR_INVALID_INPUT');
  });

  it('a 429 is a rate-limit error carrying Retry-After, and the client does not retry it itself', async () => {
    e.inject({ path: '^/api/chat\\.postMessage$', status: 429, retryAfter: 7, times: 1 });
    const before = e.messages().length;
    const limited = await caught(api.postMessage('C0TIMERS', 'x'));
    assert.deepEqual([limited.code, limited.retryAfter], ['CONNECTOR_RATE_LIMITED', 7]);
    assert.equal(e.messages().length, before);
    assert.equal(e.faults.list()[0]!.seen, 1, 'asked once');
  });
});

describe('Slack connection settings', () => {
  const base = { botToken: 'xoxb-1', signingSecret: 'secret-123456', scope: 'team' };
  it('fills the defaults', () => {
    const c = slackConfigSchema.parse(base);
    assert.deepEqual([c.apiUrl, c.dailySummary, c.timeZone], ['https://slack.com/api/', { enabled: false, at: '18:00' }, 'UTC']);
  });
  it('names the field that is wrong', () => {
    const problems = (v: unknown) =>
      slackConfigSchema
        .safeParse(v)
        .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ') ?? '';
    assert.match(problems({ ...base, signingSecret: undefined }), /signingSecret: give signingSecret or signingSecretEnv/);
    assert.match(problems({ ...base, botToken: 'abc' }), /botToken: a bot token starting with xoxb-/);
    assert.match(problems({ ...base, noticeChannel: '#timers' }), /noticeChannel: a channel id such as C0123ABCD/);
    assert.match(problems({ ...base, dailySummary: { enabled: true, at: '6pm' } }), /dailySummary.at: is not a time HH:MM/);
    assert.match(problems({ ...base, timeZone: 'Mars/Olympus' }), /timeZone: is not an IANA time zone/);
  });
});

describe('/tt grammar', () => {
  const c = (id: string, kind: 'project' | 'task', ...names: string[]): Candidate => ({ id, kind, label: names.join(' '), names, projectId: null });
  const all = [c('p1', 'project', 'Website'), c('p2', 'project', 'Web shop'), c('p3', 'project', 'Web'), c('t1', 'task', 'WEB-1', 'Fix the web form')];
  it('parses verbs in any case', () => {
    assert.deepEqual(parseTt('  START  Web shop '), { verb: 'start', target: 'Web shop' });
    assert.deepEqual(parseTt('Stop'), { verb: 'stop' });
    assert.deepEqual(parseTt(''), { verb: 'help' });
    assert.deepEqual(parseTt('launch x'), { verb: 'unknown', word: 'launch' });
  });
  it('an id, then an exact name, then one partial match; several partials are ambiguous', () => {
    assert.deepEqual(chooseTarget('p2', all), { found: all[1] });
    assert.deepEqual(chooseTarget('WEB', all), { found: all[2] }, 'exact name beats the partial ones');
    assert.deepEqual(chooseTarget('web-1', all), { found: all[3] }, 'a task key, any case');
    assert.deepEqual(chooseTarget('shop', all), { found: all[1] });
    assert.deepEqual(chooseTarget('we', all), { ambiguous: all });
    assert.deepEqual(chooseTarget('garden', all), { none: true });
  });
});
