/**
 * Fidelity of the Jira Cloud and Tempo v4 emulators to api-contracts §2: status codes,
 * paging (`metadata.next`, `nextPage`/`lastPage`), `updatedFrom`, the worklog feeds and
 * their blind minute, estimate adjustment, PUT as full replacement, error shapes, the
 * built-in 429 — and `timebridge emulate jira|tempo` as a user runs it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { textToAdf } from '../../src/connectors/kit/atlassian/adf.js';
import { DEMO_API_TOKEN, DEMO_EMAIL } from '../../src/emulators/jira/jira-data.js';
import { DEMO_TEMPO_TOKEN } from '../../src/emulators/tempo/tempo-data.js';
import { basic, bearer, call, movableClock, siteData, startJira, startTempo, type Clock, type Jira, type Tempo } from '../connectors/jira/jira-fixture.js';
import { startEmulate } from '../support/serve.js';

describe('Jira emulator', () => {
  let clock: Clock, jira: Jira;
  const auth = basic('B');
  const issue = () => jira.data().issues.find((i) => i.key === 'B-1')!;
  const log = (query: string, body: object, expect = 201) => call(`${jira.base}/rest/api/3/issue/B-1/worklog${query}`, { method: 'POST', auth, body, expect });
  const body = (seconds: number, day = 2) => ({ started: `2026-03-0${day}T09:00:00.000+0000`, timeSpentSeconds: seconds, comment: textToAdf('work') });

  before(async () => {
    clock = movableClock();
    jira = await startJira(siteData('B', 2000), clock);
  });
  after(() => jira.close());

  it("answers 401 in Jira's error shape without valid Basic credentials", async () => {
    const r = await call(`${jira.base}/rest/api/3/myself`, { auth: `Basic ${Buffer.from('sync@b.example:wrong').toString('base64')}` });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json, { errorMessages: ['Client must be authenticated to access this resource.'], errors: {} });
  });

  it('creates with 201, writes `started` with +0000 and the comment as ADF, and moves the estimate (auto)', async () => {
    const r = await log('', body(3600));
    assert.equal(r.json.started, '2026-03-02T09:00:00.000+0000');
    assert.equal(r.json.timeSpent, '1h');
    assert.deepEqual(r.json.comment, textToAdf('work'));
    assert.equal(r.json.author.accountId, 'b:sync', 'the caller is the author');
    assert.deepEqual([issue().timeSpentSeconds, issue().remainingEstimateSeconds], [3600, 32_400]);
  });

  it('adjustEstimate leave, new and manual (reduceBy, and 400 without it)', async () => {
    await log('?adjustEstimate=leave', body(600));
    assert.deepEqual([issue().timeSpentSeconds, issue().remainingEstimateSeconds], [4200, 32_400]);
    await log('?adjustEstimate=new&newEstimate=2h', body(600));
    assert.equal(issue().remainingEstimateSeconds, 7200);
    await log('?adjustEstimate=manual&reduceBy=30m', body(60));
    assert.equal(issue().remainingEstimateSeconds, 5400);
    const bad = await log('?adjustEstimate=manual', body(60), 400);
    assert.deepEqual(bad.json, { errorMessages: ['reduceBy is required when adjustEstimate is manual.'], errors: {} });
    assert.equal(issue().timeSpentSeconds, 4860, 'a refused create logs nothing');
  });

  it('refuses a bad `started`, both time fields, and a plain-string comment with 400', async () => {
    const r = await log('', { started: '2026-03-02 09:00', timeSpentSeconds: 60 }, 400);
    assert.match(r.json.errors.started, /yyyy-MM-dd'T'HH:mm:ss.SSSZ/);
    await log('', { started: '2026-03-02T09:00:00.000+0000', timeSpentSeconds: 60, timeSpent: '1m' }, 400);
    await log('', { started: '2026-03-02T09:00:00.000+0000', timeSpentSeconds: 60, comment: 'text' }, 400);
  });

  it('updates with 200 and deletes with 204 (manual increaseBy), 404 after', async () => {
    const made = await log('?adjustEstimate=leave', body(1200));
    const url = `${jira.base}/rest/api/3/issue/B-1/worklog/${made.json.id}`;
    const before = issue().remainingEstimateSeconds!;
    const put = await call(`${url}?adjustEstimate=auto`, { method: 'PUT', auth, body: { timeSpentSeconds: 1800 }, expect: 200 });
    assert.equal(put.json.timeSpentSeconds, 1800);
    assert.equal(issue().remainingEstimateSeconds, before - 600, 'auto on update: by the difference');
    await call(`${url}?adjustEstimate=manual&increaseBy=1h`, { method: 'DELETE', auth, expect: 204 });
    assert.equal(issue().remainingEstimateSeconds, before - 600 + 3600);
    const gone = await call(url, { auth });
    assert.equal(gone.status, 404);
    assert.ok(Array.isArray(gone.json.errorMessages));
  });

  it('keeps entity properties on worklogs (in the create body and by key)', async () => {
    const made = await log('?expand=properties', { ...body(60), properties: [{ key: 'timebridge', value: { hubId: 'h1' } }] });
    assert.deepEqual(made.json.properties, [{ key: 'timebridge', value: { hubId: 'h1' } }]);
    const url = `${jira.base}/rest/api/3/issue/B-1/worklog/${made.json.id}/properties`;
    await call(`${url}/other`, { method: 'PUT', auth, body: { x: 1 }, expect: 201 });
    await call(`${url}/other`, { method: 'PUT', auth, body: { x: 2 }, expect: 200 });
    assert.deepEqual(
      (await call(url, { auth, expect: 200 })).json.keys.map((k: { key: string }) => k.key),
      ['timebridge', 'other'],
    );
    assert.deepEqual((await call(`${url}/other`, { auth, expect: 200 })).json, { key: 'other', value: { x: 2 } });
  });

  it('the updated and deleted feeds: ms `since`, the last minute hidden, `lastPage`/`nextPage` paging', async () => {
    clock.advance(600_000);
    const since = clock.now();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await log('', body(60, 3))).json.id);
    await call(`${jira.base}/rest/api/3/issue/B-1/worklog/${ids[0]}`, { method: 'DELETE', auth, expect: 204 });
    const feed = (kind: string, from: number) => call(`${jira.base}/rest/api/3/worklog/${kind}?since=${from}`, { auth, expect: 200 });
    assert.deepEqual((await feed('updated', since)).json.values, [], 'changes of the last minute are not returned yet');
    clock.advance(61_000);
    const pageSize = (n: number) =>
      fetch(`${jira.base}/_emulator/settings`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ maxPageSize: n }) });
    assert.equal((await pageSize(1)).status, 200);
    try {
      const first = (await feed('updated', since)).json;
      assert.equal(first.values.length, 1);
      assert.equal(first.lastPage, false);
      const next = (await call(first.nextPage, { auth, expect: 200 })).json;
      assert.equal(next.values[0].worklogId, Number(ids[2]));
      assert.equal(next.lastPage, true);
      assert.equal(next.nextPage, undefined);
      const deleted = (await feed('deleted', since)).json;
      assert.deepEqual(
        deleted.values.map((v: { worklogId: number }) => String(v.worklogId)),
        [ids[0]],
      );
      assert.equal(deleted.lastPage, true);
    } finally {
      await pageSize(1000);
    }
  });

  it('/worklog/list returns worklogs by id and refuses an empty or oversized list', async () => {
    const some = jira
      .data()
      .worklogs.slice(0, 2)
      .map((w) => Number(w.id));
    const r = await call(`${jira.base}/rest/api/3/worklog/list`, { method: 'POST', auth, body: { ids: [...some, 99999] }, expect: 200 });
    assert.deepEqual(r.json.map((w: { id: string }) => Number(w.id)).sort(), [...some].sort());
    await call(`${jira.base}/rest/api/3/worklog/list`, { method: 'POST', auth, body: { ids: [] }, expect: 400 });
    await call(`${jira.base}/rest/api/3/worklog/list`, { method: 'POST', auth, body: { ids: Array.from({ length: 1001 }, (_, i) => i) }, expect: 400 });
  });

  it('finds issues by key and id, searches by JQL with nextPageToken, and users by email', async () => {
    assert.equal((await call(`${jira.base}/rest/api/3/issue/b-2`, { auth, expect: 200 })).json.key, 'B-2');
    assert.equal((await call(`${jira.base}/rest/api/3/issue/2002`, { auth, expect: 200 })).json.key, 'B-2');
    const page = (await call(`${jira.base}/rest/api/3/search/jql?jql=${encodeURIComponent('project = B ORDER BY id')}&maxResults=2`, { auth, expect: 200 }))
      .json;
    assert.deepEqual([page.issues.length, page.isLast], [2, false]);
    const rest = (
      await call(`${jira.base}/rest/api/3/search/jql?jql=project%20%3D%20B&maxResults=2&nextPageToken=${page.nextPageToken}`, { auth, expect: 200 })
    ).json;
    assert.deepEqual([rest.issues.map((i: { key: string }) => i.key), rest.isLast], [['B-3'], true]);
    const bad = await call(`${jira.base}/rest/api/3/search/jql?jql=${encodeURIComponent('assignee = me')}`, { auth });
    assert.equal(bad.status, 400);
    const users = (await call(`${jira.base}/rest/api/3/user/search?query=ben@example.com`, { auth, expect: 200 })).json;
    assert.deepEqual(
      users.map((u: { accountId: string }) => u.accountId),
      ['b:ben'],
    );
  });

  it("injected faults answer in Jira's shape with Retry-After", async () => {
    jira.inject({ method: 'GET', path: '^/rest/api/3/myself$', status: 429, retryAfter: 7, times: 1 });
    const r = await call(`${jira.base}/rest/api/3/myself`, { auth });
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.deepEqual(r.json, { errorMessages: ['Rate limit exceeded.'], errors: {} });
  });
});

describe('Tempo emulator', () => {
  let clock: Clock, jira: Jira, tempo: Tempo;
  const input = (day: number, extra: object = {}) => ({
    issueId: 1001,
    authorAccountId: 'a:ada',
    startDate: `2026-03-0${day}`,
    startTime: '09:00:00',
    timeSpentSeconds: 3600,
    description: `day ${day}`,
    ...extra,
  });
  const post = (body: object, expect = 200) => call(`${tempo.base}/4/worklogs`, { method: 'POST', auth: bearer, body, expect });

  before(async () => {
    clock = movableClock();
    jira = await startJira(siteData('A', 1000), clock);
    tempo = await startTempo(jira);
  });
  after(async () => {
    await tempo.close();
    await jira.close();
  });

  it("creates with 200, numeric issue ids, UTC from the author's Jira zone, and moves the Jira issue's time", async () => {
    const r = await post(input(2));
    assert.equal(r.json.issue.id, 1001);
    assert.equal(r.json.startDateTimeUtc, '2026-03-02T08:00:00Z', 'Ada is in Berlin');
    assert.equal(r.json.billableSeconds, 3600);
    assert.match(r.json.metadata?.next ?? r.json.self, /\/4\/worklogs\/\d+$/);
    const issue = jira.data().issues.find((i) => i.id === '1001')!;
    assert.deepEqual([issue.timeSpentSeconds, issue.remainingEstimateSeconds], [3600, 32_400]);
    await post(input(2, { issueId: 'A-1' }), 400);
    const unknown = await post(input(2, { authorAccountId: 'nobody' }), 400);
    assert.deepEqual(unknown.json, { errors: [{ message: 'Author with account id nobody does not exist in Jira.' }] });
  });

  it('pages with offset/limit and `metadata.next` as a full URL, absent on the last page', async () => {
    for (let day = 3; day <= 8; day++) await post(input(day));
    const first = (await call(`${tempo.base}/4/worklogs?projectId=1000&limit=3`, { auth: bearer, expect: 200 })).json;
    assert.deepEqual([first.metadata.count, first.metadata.offset, first.metadata.limit], [3, 0, 3]);
    assert.ok(first.metadata.next.startsWith(`${tempo.base}/4/worklogs?`), first.metadata.next);
    const second = (await call(first.metadata.next, { auth: bearer, expect: 200 })).json;
    assert.ok(second.metadata.previous);
    const third = (await call(second.metadata.next, { auth: bearer, expect: 200 })).json;
    assert.equal(third.metadata.count, 1);
    assert.equal(third.metadata.next, undefined);
    const days = [...first.results, ...second.results, ...third.results].map((w: { startDate: string }) => w.startDate);
    assert.deepEqual(days, ['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08'], 'by start, ascending');
    const ranged = (await call(`${tempo.base}/4/worklogs?from=2026-03-04&to=2026-03-05`, { auth: bearer, expect: 200 })).json;
    assert.equal(ranged.metadata.count, 2, 'from/to are inclusive dates');
  });

  it('filters on `updatedFrom` (updatedAt), by issue and by user (404 for an unknown parent)', async () => {
    clock.advance(3_600_000);
    const w = tempo.data().worklogs[0]!;
    await call(`${tempo.base}/4/worklogs/${w.tempoWorklogId}`, {
      method: 'PUT',
      auth: bearer,
      body: { ...input(2), issueId: undefined, description: 'changed' },
      expect: 200,
    });
    const since = new Date(clock.now() - 60_000).toISOString().slice(0, 19) + 'Z';
    const changed = (await call(`${tempo.base}/4/worklogs?updatedFrom=${since}`, { auth: bearer, expect: 200 })).json;
    assert.deepEqual(
      changed.results.map((r: { tempoWorklogId: number }) => r.tempoWorklogId),
      [w.tempoWorklogId],
    );
    await call(`${tempo.base}/4/worklogs?updatedFrom=yesterday`, { auth: bearer, expect: 400 });
    assert.equal((await call(`${tempo.base}/4/worklogs/issue/1001`, { auth: bearer, expect: 200 })).json.metadata.count, 7);
    assert.equal((await call(`${tempo.base}/4/worklogs/user/a:ben`, { auth: bearer, expect: 200 })).json.metadata.count, 0);
    assert.equal((await call(`${tempo.base}/4/worklogs/issue/4242`, { auth: bearer })).status, 404);
  });

  it('PUT replaces the whole record: omitted fields are reset', async () => {
    const made = (await post(input(9, { billableSeconds: 600, description: 'keep?' }))).json;
    const put = (
      await call(`${tempo.base}/4/worklogs/${made.tempoWorklogId}`, {
        method: 'PUT',
        auth: bearer,
        body: { authorAccountId: 'a:ada', startDate: '2026-03-09', timeSpentSeconds: 1800 },
        expect: 200,
      })
    ).json;
    assert.deepEqual([put.description, put.billableSeconds, put.startTime], ['', 1800, '00:00:00']);
  });

  it('DELETE answers 204, and the worklog is simply gone (no deleted list)', async () => {
    const made = (await post(input(9))).json;
    await call(`${tempo.base}/4/worklogs/${made.tempoWorklogId}`, { method: 'DELETE', auth: bearer, expect: 204 });
    const r = await call(`${tempo.base}/4/worklogs/${made.tempoWorklogId}`, { auth: bearer });
    assert.equal(r.status, 404);
    assert.deepEqual(Object.keys(r.json), ['errors']);
  });

  it('401 is text/html', async () => {
    const res = await fetch(`${tempo.base}/4/worklogs`, { headers: { authorization: 'Bearer wrong' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  });

  it('limits each token to about 5 requests a second: 429 with Retry-After, then lets it through again', async () => {
    const limited = await startTempo(jira, { rateLimit: { perSecond: 5, burst: 5 } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 8; i++) {
        const r = await call(`${limited.base}/4/worklogs?limit=1`, { auth: bearer });
        statuses.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get('retry-after');
      }
      assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
      assert.ok(statuses.slice(5).includes(429), statuses.join(','));
      assert.equal(retryAfter, '1');
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal((await call(`${limited.base}/4/worklogs?limit=1`, { auth: bearer })).status, 200);
    } finally {
      await limited.close();
    }
  });
});

/** `timebridge emulate <system>` (the built CLI): `check` runs against it, then SIGTERM must end it with 0. */
async function runEmulate(system: string, check: (url: string, out: string) => Promise<void>): Promise<void> {
  const emu = await startEmulate(system);
  try {
    await check(emu.url, emu.stdout());
  } finally {
    assert.equal(await emu.stop(), 0, `exit code after SIGTERM\n${emu.stderr()}`);
  }
}

describe('timebridge emulate jira / tempo', () => {
  it('jira: prints its URL, credentials and a config snippet, serves the demo data, stops on SIGTERM', async () => {
    await runEmulate('jira', async (url, out) => {
      assert.ok(out.includes(DEMO_API_TOKEN) && out.includes(`url: ${url}`) && out.includes('type: jira'), out);
      const auth = `Basic ${Buffer.from(`${DEMO_EMAIL}:${DEMO_API_TOKEN}`).toString('base64')}`;
      assert.equal((await call(`${url}/rest/api/3/myself`, { auth, expect: 200 })).json.emailAddress, DEMO_EMAIL);
      const logs = (await call(`${url}/rest/api/3/issue/DEMO-1/worklog`, { auth, expect: 200 })).json;
      assert.equal(logs.total, 2, 'the demo data set is loaded');
    });
  });

  it('tempo: serves Tempo and its Jira site on one port with the printed tokens, stops on SIGTERM', async () => {
    await runEmulate('tempo', async (url, out) => {
      assert.ok(out.includes(DEMO_TEMPO_TOKEN) && out.includes('type: tempo') && out.includes(`url: ${url}`), out);
      const page = (await call(`${url}/4/worklogs`, { auth: `Bearer ${DEMO_TEMPO_TOKEN}`, expect: 200 })).json;
      assert.equal(page.metadata.count, 1);
      const auth = `Basic ${Buffer.from(`${DEMO_EMAIL}:${DEMO_API_TOKEN}`).toString('base64')}`;
      assert.equal((await call(`${url}/rest/api/3/issue/${page.results[0].issue.id}`, { auth, expect: 200 })).json.key, 'DEMO-2');
      assert.equal((await fetch(`${url}/4/worklogs`, { headers: { authorization: 'Bearer nope' } })).status, 401);
    });
  });
});
