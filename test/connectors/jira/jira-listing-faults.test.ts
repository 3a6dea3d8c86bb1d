/**
 * Jira worklog and user listings against the emulator's listing faults: an issue's
 * worklog pages (startAt, total) are checked against the total with a one-worklog
 * overlap, so a deletion between pages is seen instead of skipping a live worklog.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { JiraApi } from '../../../src/connectors/kit/atlassian/jira-api.js';
import { createJiraConnector } from '../../../src/connectors/jira/index.js';
import type { Connector } from '../../../src/connectors/kit/connector.js';
import type { WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { fullListing, onPage } from '../../support/listing-faults.js';
import { API_TOKEN, jiraConnector, movableClock, siteData, startJira, type Jira } from './jira-fixture.js';

function sample(n: number): WorklogItem {
  const start = new Date(Date.UTC(2026, 2, 2, 6) + n * 3_600_000).toISOString().slice(0, 19) + 'Z';
  return {
    issueId: '2001',
    authorAccountId: 'b:sync',
    onBehalfOf: null,
    date: start.slice(0, 10),
    start,
    timeZone: null,
    seconds: 1800,
    description: `Entry ${n}`,
    billableSeconds: null,
    visibility: null,
    estimate: 'auto',
  };
}

describe('Jira listings under listing faults (8 worklogs on one issue, pages of 3)', () => {
  let jira: Jira;
  const PATH = '^/rest/api/3/issue/2001/worklog$';
  const api = () => new JiraApi({ url: jira.base, email: 'sync@b.example', token: API_TOKEN, worklogPageSize: 3 });
  const worklogs = () => createJiraConnector(api(), { externalKind: 'worklog', collection: 'B' }) as Connector<WorklogItem>;
  const live = () =>
    jira
      .data()
      .worklogs.map((w) => String(w.id))
      .sort();

  before(async () => {
    jira = await startJira(siteData('B', 2000), movableClock());
    const c = jiraConnector<WorklogItem>('B', jira.base, 'worklog', 'B');
    for (let n = 1; n <= 8; n++) await c.create(sample(n), { hubId: `h${n}`, key: `h${n}` });
  });
  afterEach(() => {
    jira.faults.clear();
    jira.settings.maxPageSize = 1000;
  });
  after(() => jira.close());

  it('without a fault: complete, all 8', async () => {
    const l = await fullListing(worklogs());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
    assert.equal(l.ids.length, 8);
  });

  it('a server that caps pages below what was asked: the overlap and the total still prove it', async () => {
    jira.settings.maxPageSize = 2;
    const l = await fullListing(worklogs());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
  });

  it('a short page 2: complete and exact', async () => {
    jira.inject(onPage(PATH, 2, { kind: 'short' }));
    const l = await fullListing(worklogs());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
    assert.equal(jira.faults.list()[0]!.fired, 1);
  });

  it('an empty page 2 claiming the full total: read again, complete and exact', async () => {
    jira.inject(onPage(PATH, 2, { kind: 'empty' }));
    const l = await fullListing(worklogs());
    assert.deepEqual([l.complete, l.ids], [true, live()]);
  });

  it('a worklog deleted between page 1 and page 2: read again, exactly the 7 live ones', async () => {
    jira.inject(onPage(PATH, 2, { kind: 'shift' }));
    const l = await fullListing(worklogs());
    assert.equal(live().length, 7, 'the emulator really deleted one');
    assert.deepEqual([l.complete, l.ids], [true, live()]);
  });

  it('a list that keeps moving: incomplete, with the reason', async () => {
    jira.inject({ method: 'GET', path: PATH, after: 1, every: 2, listing: { kind: 'shift' } });
    const l = await fullListing(worklogs());
    assert.equal(l.complete, false);
    assert.match(l.incompleteReason ?? '', /worklogs of Jira issue 2001 .*\(read 3 times, it kept moving\)$/);
  });

  it('users: Jira declares no total, so a short page reads as the end; get still returns the user it skipped, and not_found for one that is gone', async () => {
    jira.inject(onPage('^/rest/api/3/users/search$', 1, { kind: 'short', rows: 2 }));
    const users = jiraConnector('B', jira.base, 'user', null);
    const l = await fullListing(users);
    assert.deepEqual(l.ids, ['b:ada', 'b:ben', 'b:sync'], 'Dan (and the bot) fell off the short page');
    const [dan, ghost] = await users.get(['b:dan', 'b:ghost']);
    assert.ok(dan && !('error' in dan), 'a user the listing skipped is still returned by get');
    assert.equal(dan.id, 'b:dan');
    assert.ok(ghost && 'error' in ghost);
    assert.equal(ghost.error.kind, 'not_found');
  });
});
