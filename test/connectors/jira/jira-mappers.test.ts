/** The pure parts: issue keys onto hub tasks, worklog mapping and its REF_UNRESOLVED errors, the trailer, Jira's time formats, link options. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linkSchema } from '../../../src/app/config-schema.js';
import { linkMapping } from '../../../src/app/link-mapping.js';
import { hubKeyOf, issueMapper, issueOptionsSchema } from '../../../src/connectors/kit/atlassian/directory-mappers.js';
import { jiraEntry } from '../../../src/connectors/jira/index.js';
import { formatStarted, parseJiraDuration, parseJiraTime } from '../../../src/connectors/kit/atlassian/jira-time.js';
import { localPartsToInstant } from '../../../src/connectors/kit/zone-time.js';
import type { JiraIssueItem, WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { worklogMapper, worklogOptionsSchema } from '../../../src/connectors/kit/atlassian/worklog-mapper.js';
import { splitTrailer, withTrailer } from '../../../src/connectors/kit/atlassian/worklog-trailer.js';
import type { MapContext, RefLookup } from '../../../src/connectors/kit/mapper.js';
import { taskIdentity } from '../../../src/core/fields/time-entry.js';
import { tempoEntry } from '../../../src/connectors/tempo/index.js';

const issue = (key: string, custom: Record<string, string> = {}): JiraIssueItem => ({
  key,
  summary: 's',
  status: 'To Do',
  projectKey: key.split('-')[0]!,
  custom,
});

function refs(issues: Record<string, string>, users: Record<string, string>): RefLookup {
  const maps: Record<string, Record<string, string>> = { issue: issues, user: users };
  return {
    hubId: (kind, ext) => maps[kind]?.[ext] ?? null,
    extId: (kind, hub) => Object.entries(maps[kind] ?? {}).find(([, h]) => h === hub)?.[0] ?? null,
  };
}
const ctx = (r: RefLookup): MapContext => ({ now: new Date(0), link: 't', refs: r });

const worklog: WorklogItem = {
  issueId: '1001',
  authorAccountId: 'a:ada',
  onBehalfOf: null,
  date: '2026-03-09',
  start: '2026-03-09T08:00:00Z',
  timeZone: 'Europe/Berlin',
  seconds: 3600,
  description: 'Kick-off',
  billableSeconds: null,
  visibility: null,
  estimate: 'auto',
};

describe('issue keys → hub tasks', () => {
  it("takes the key map first, then the custom field, then the issue's own key", () => {
    const opts = issueOptionsSchema.parse({ keyMap: { 'B-1': 'A-1' }, keyField: 'customfield_10042' });
    assert.equal(hubKeyOf(issue('B-1', { customfield_10042: 'A-9' }), opts), 'A-1');
    assert.equal(hubKeyOf(issue('B-2', { customfield_10042: 'A-2' }), opts), 'A-2');
    assert.equal(hubKeyOf(issue('SHARED-3'), opts), 'SHARED-3', 'the same key on both sites needs no option');
    const mapped = issueMapper(opts).toHub(issue('B-2', { customfield_10042: 'A-2' }), ctx(refs({}, {})));
    assert.ok(mapped.ok);
    assert.equal(mapped.value.identity, taskIdentity('A-2'));
    assert.deepEqual(mapped.value.fields, { key: 'A-2', summary: 's', projectId: null, status: 'To Do' });
  });

  it('refuses malformed options with what is wrong', () => {
    assert.equal(issueOptionsSchema.safeParse({ keyMap: { 'b-1': 'A-1' } }).success, false);
    assert.match(issueOptionsSchema.safeParse({ keyField: 'Other key' }).error!.issues[0]!.message, /customfield_10042/);
  });
});

describe('worklog mapper', () => {
  const tempo = worklogMapper('tempo', worklogOptionsSchema.parse({ fallbackAuthor: 'a:sync' }));
  const jira = worklogMapper('jira', worklogOptionsSchema.parse({}));

  it('maps a worklog to the shared timeEntry fields, with issue and author resolved', () => {
    const r = tempo.toHub(worklog, ctx(refs({ 1001: 'task-1' }, { 'a:ada': 'p-ada' })));
    assert.ok(r.ok);
    assert.deepEqual(r.value.fields, {
      date: '2026-03-09',
      start: '2026-03-09T08:00:00Z',
      durationSeconds: 3600,
      timeZone: 'Europe/Berlin',
      description: 'Kick-off',
      personId: 'p-ada',
      projectId: null,
      activityId: null,
      taskId: 'task-1',
      billable: null,
      tags: [],
    });
    assert.equal(r.value.identity, 'worklog:task-1|p-ada|2026-03-09T08:00:00Z|3600');
  });

  it('names what is missing when the issue or the author is not synced yet (REF_UNRESOLVED)', () => {
    const r = tempo.toHub(worklog, ctx(refs({}, {})));
    assert.ok(!r.ok && 'error' in r);
    assert.match(
      r.error,
      /^REF_UNRESOLVED: the Tempo worklog refers to issue 1001 and author a:ada, not synced by this connection's issue\/user links yet\. Add links/,
    );
  });

  it('writes to the issue the other site maps, or waits until one does', () => {
    const fields = {
      ...worklog,
      durationSeconds: 3600,
      taskId: 'task-1',
      personId: 'p-ada',
      projectId: null,
      activityId: null,
      billable: null,
      tags: [],
    } as never;
    const waiting = jira.toExternal(fields, ctx(refs({}, {})), null);
    assert.ok(!waiting.ok && 'error' in waiting);
    assert.match(waiting.error, /^REF_UNRESOLVED: task task-1 is not an issue on this site yet/);
    const out = jira.toExternal(fields, ctx(refs({ 2001: 'task-1' }, { 'b:ada': 'p-ada' })), null);
    assert.ok(out.ok);
    assert.deepEqual([out.value.issueId, out.value.authorAccountId, out.value.onBehalfOf], ['2001', 'b:ada', { personId: 'p-ada', name: null }]);
  });

  it('Tempo: a person without a user is logged as fallbackAuthor and marked; without one it waits', () => {
    const fields = {
      date: '2026-03-09',
      start: null,
      durationSeconds: 600,
      timeZone: 'Europe/Berlin',
      description: null,
      taskId: 'task-1',
      personId: 'p-dan',
      projectId: null,
      activityId: null,
      billable: null,
      tags: [],
    };
    const out = tempo.toExternal(fields, ctx(refs({ 1001: 'task-1' }, {})), null);
    assert.ok(out.ok);
    assert.deepEqual([out.value.authorAccountId, out.value.onBehalfOf], ['a:sync', { personId: 'p-dan', name: null }]);
    assert.equal(out.value.start, '2026-03-09T08:00:00Z', 'a day-granular entry starts at dayStart (09:00) in its zone');
    const strict = worklogMapper('tempo', worklogOptionsSchema.parse({})).toExternal(fields, ctx(refs({ 1001: 'task-1' }, {})), null);
    assert.ok(!strict.ok && 'error' in strict);
    assert.match(strict.error, /person p-dan has no user on this site.*options\.fallbackAuthor/);
  });

  it('reads a fallback back as the real person, with the fallback recorded under extras', () => {
    const r = tempo.toHub(
      { ...worklog, authorAccountId: 'a:sync', onBehalfOf: { personId: 'p-dan', name: null } },
      ctx(refs({ 1001: 'task-1' }, { 'a:sync': 'p-sync' })),
    );
    assert.ok(r.ok);
    assert.equal(r.value.fields.personId, 'p-dan');
    assert.deepEqual(r.value.fields.extras, { tempo: { authorFallback: { loggedAs: 'a:sync', for: 'p-dan' } } });
    assert.match(tempo.label(r.value.fields), /\(logged as a fallback author on tempo\)$/);
  });

  it('skips entries that cannot be worklogs yet: running, or not booked on a task', () => {
    const base = {
      date: '2026-03-09',
      start: '2026-03-09T08:00:00Z',
      timeZone: null,
      description: null,
      personId: 'p',
      projectId: null,
      activityId: null,
      billable: null,
      tags: [],
    };
    assert.deepEqual(jira.toExternal({ ...base, durationSeconds: null, taskId: 't' }, ctx(refs({}, {})), null), {
      ok: false,
      skip: 'still running: it becomes a worklog once it has a length',
    });
    assert.equal(
      (jira.toExternal({ ...base, durationSeconds: 60, taskId: null }, ctx(refs({}, {})), null) as { skip?: string }).skip,
      'waiting to be booked: no task — set taskId',
    );
  });

  it('a jira link refuses fallbackAuthor and says why; a tempo link takes it', () => {
    const link = () => linkSchema.parse({ connection: 'x', scope: 'work', externalKind: 'worklog', options: { fallbackAuthor: 'a:sync' } });
    const refused = linkMapping(jiraEntry, 'jira', link());
    assert.equal(typeof refused, 'string');
    assert.match(refused as string, /fallbackAuthor: Jira Cloud logs native worklogs as the API user/);
    assert.notEqual(typeof linkMapping(tempoEntry, 'tempo', link()), 'string');
    assert.match(
      linkMapping(
        jiraEntry,
        'jira',
        linkSchema.parse({ connection: 'x', scope: 'w', externalKind: 'worklog', options: { remainingEstimate: 'sometimes' } }),
      ) as string,
      /remainingEstimate/,
    );
  });
});

describe('trailer and time formats', () => {
  it('the trailer round-trips and is stripped from the text', () => {
    const text = withTrailer('Line one\nLine two', { id: 'h-1', onBehalfOf: { personId: 'p-2', name: 'Ada "the" Countess <ada@example.com>' } });
    assert.equal(text, 'Line one\nLine two\n\n[timebridge id=h-1 for=p-2 name="Ada \'the\' Countess <ada@example.com>"]');
    assert.deepEqual(splitTrailer(text), {
      description: 'Line one\nLine two',
      trailer: { id: 'h-1', onBehalfOf: { personId: 'p-2', name: "Ada 'the' Countess <ada@example.com>" } },
    });
    assert.deepEqual(splitTrailer('[timebridge id=h-1]'), { description: null, trailer: { id: 'h-1', onBehalfOf: null } });
    assert.deepEqual(splitTrailer('no marker [timebridge] here'), { description: 'no marker [timebridge] here', trailer: { id: null, onBehalfOf: null } });
  });

  it('reads Jira timestamps with any offset, writes +0000, converts local time across DST', () => {
    assert.equal(parseJiraTime('2021-01-17T12:34:00.000+0200'), Date.UTC(2021, 0, 17, 10, 34));
    assert.equal(formatStarted(Date.UTC(2021, 0, 17, 12, 34)), '2021-01-17T12:34:00.000+0000');
    assert.equal(localPartsToInstant('2026-03-29', '09:00:00', 'Europe/Berlin'), Date.UTC(2026, 2, 29, 7), 'summer time from that morning');
    assert.equal(localPartsToInstant('2026-03-28', '09:00:00', 'Europe/Berlin'), Date.UTC(2026, 2, 28, 8));
    assert.deepEqual([parseJiraDuration('1d 2h'), parseJiraDuration('30m'), parseJiraDuration('1w'), parseJiraDuration('soon')], [36_000, 1800, 144_000, null]);
  });
});
