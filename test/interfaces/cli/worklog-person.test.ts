/**
 * Worklogs say whose work they are, and on whose day: the real CLI (`timebridge sync`, a
 * child process) replicating worklogs between two Jira sites (emulators in this process).
 * On site A people log their own work; site B knows none of them, so B logs their work as
 * its API user (in Berlin), names the person in the worklog, and the run says so. An edit
 * on B keeps the hub's day and zone the person's; a deletion with `remainingEstimate:
 * retain` leaves B's estimate alone; a user who hides their e-mail is one person on both
 * sites by account id.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HubRecord } from '../../../src/core/model.js';
import { addIssue, addProject, addUser, emptyJiraData, type JiraData } from '../../../src/emulators/jira/jira-data.js';
import { instantToLocalDate } from '../../../src/connectors/kit/zone-time.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { API_TOKEN, PERSONAL_TOKEN, basic, basicAs, call, movableClock, startJira, type Jira } from '../../connectors/jira/jira-fixture.js';
import { cliChild } from '../../support/cli-child.js';
import { tempDir } from '../../support/serve.js';

const PEOPLE = [
  { id: 'kenji', name: 'Kenji Sato', zone: 'Asia/Tokyo', startedUtc: '2026-11-30T22:30:00.000+0000', day: '2026-12-01' },
  { id: 'nora', name: 'Nora Quinn', zone: 'America/New_York', startedUtc: '2026-12-01T04:30:00.000+0000', day: '2026-11-30' },
  { id: 'greta', name: 'Greta Lang', zone: 'Europe/Berlin', startedUtc: '2026-10-24T23:30:00.000+0000', day: '2026-10-25' },
];

/** Site A: the people, with their own tokens, and issue A-1. Site B: only its API user (Berlin) and B-1, 10 h estimated. Hana hides her e-mail on both. */
function site(key: 'A' | 'B', idBase: number): JiraData {
  const d = emptyJiraData();
  d.nextId = idBase;
  const domain = key.toLowerCase();
  addUser(d, {
    accountId: `${domain}:sync`,
    displayName: `Sync ${key}`,
    emailAddress: `sync@${domain}.example`,
    apiToken: API_TOKEN,
    timeZone: key === 'A' ? 'UTC' : 'Europe/Berlin',
  });
  if (key === 'A')
    for (const p of PEOPLE)
      addUser(d, { accountId: `a:${p.id}`, displayName: p.name, emailAddress: `${p.id}@example.com`, timeZone: p.zone, apiToken: PERSONAL_TOKEN });
  addUser(d, { accountId: 'org:hana', displayName: 'Hana Ito', emailAddress: 'hana@example.com', timeZone: 'Asia/Tokyo', emailHidden: true });
  addProject(d, key, `Project ${key}`);
  addIssue(d, key, 'Build the thing', key === 'B' ? { originalEstimateSeconds: 36_000, remainingEstimateSeconds: 36_000 } : {});
  return d;
}

function yaml(a: Jira, b: Jira): string {
  return `store:
  path: hub.sqlite
connections:
  a: { type: jira, url: "${a.base}", email: sync@a.example, token: ${API_TOKEN} }
  b: { type: jira, url: "${b.base}", email: sync@b.example, token: ${API_TOKEN} }
links:
  a-users: { connection: a, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  a-issues: { connection: a, scope: work, externalKind: issue, collection: A, direction: pull, conflict: hub-wins }
  b-users: { connection: b, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  b-issues: { connection: b, scope: work, externalKind: issue, collection: B, direction: pull, conflict: hub-wins, options: { keyMap: { B-1: A-1 } } }
  a-worklogs: { connection: a, scope: work, externalKind: worklog, collection: A, window: null }
  b-worklogs: { connection: b, scope: work, externalKind: worklog, collection: B, window: null, options: { remainingEstimate: retain } }
`;
}

interface RunOut {
  linkId: string;
  status: string;
  counts: Record<string, number>;
  errors: unknown[];
  warnings: { id: string; message: string }[];
}

async function hub(dir: string, kind: 'timeEntry' | 'person'): Promise<HubRecord[]> {
  const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
  try {
    return (await store.listScope('work', kind)).filter((r) => !r.tombstone);
  } finally {
    await store.close();
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

describe('worklogs say whose work they are, on whose day (CLI, two Jira sites)', () => {
  const clock = movableClock(Date.UTC(2026, 11, 7, 9));
  let a: Jira, b: Jira, dir: string;
  const run = async (): Promise<RunOut[]> => {
    clock.advance(3 * 60_000); // past the feeds' blind last minute
    const r = await cliChild(dir, ['--config', path.join(dir, 'timebridge.yaml'), 'sync', '--json']);
    assert.equal(r.code, 0, `sync exited ${r.code}\n${r.stdout.slice(0, 3000)}\n${r.stderr.slice(0, 3000)}`);
    return JSON.parse(r.stdout) as RunOut[];
  };
  const bWorklogs = async (): Promise<Json[]> =>
    (await call(`${b.base}/rest/api/3/issue/B-1/worklog?expand=properties`, { auth: basic('B'), expect: 200 })).json.worklogs;
  const bRemaining = async (): Promise<number> =>
    (await call(`${b.base}/rest/api/3/issue/B-1?fields=timetracking`, { auth: basic('B'), expect: 200 })).json.fields.timetracking.remainingEstimateSeconds;
  const entryOf = async (name: string): Promise<HubRecord> => {
    const person = (await hub(dir, 'person')).find((p) => p.fields.name === name)!;
    const entries = (await hub(dir, 'timeEntry')).filter((e) => e.fields.personId === person.id);
    assert.equal(entries.length, 1, `hub entries of ${name}`);
    return entries[0]!;
  };

  before(async () => {
    a = await startJira(site('A', 1000), clock);
    b = await startJira(site('B', 5000), clock);
    dir = tempDir('tb-worklog-person-');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml(a, b));
    for (const p of PEOPLE) {
      await call(`${a.base}/rest/api/3/issue/A-1/worklog`, {
        method: 'POST',
        auth: basicAs(`${p.id}@example.com`),
        expect: 201,
        body: {
          started: p.startedUtc,
          timeSpentSeconds: 3600,
          comment: { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text: 'planning' }] }] },
        },
      });
    }
  });
  after(async () => {
    await Promise.all([a.close(), b.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('copies each worklog to B as the API user, naming the person (name and e-mail) in the trailer and property; the run records the fallback', async () => {
    const runs = await run();
    assert.ok(
      runs.every((r) => r.status === 'ok'),
      JSON.stringify(runs.filter((r) => r.status !== 'ok')),
    );
    const logs = await bWorklogs();
    assert.equal(logs.length, PEOPLE.length);
    const warnings = runs.filter((r) => r.linkId === 'link:b-worklogs').flatMap((r) => r.warnings);
    for (const p of PEOPLE) {
      const label = `${p.name} <${p.id}@example.com>`;
      const w = logs.find((x) => JSON.stringify(x.comment).includes(label));
      assert.ok(w, `no worklog on B names ${label}: ${JSON.stringify(logs.map((x) => x.comment))}`);
      assert.equal(w.author.accountId, 'b:sync', "logged as B's API user");
      const property = w.properties.find((x: Json) => x.key === 'timebridge').value;
      assert.equal(property.onBehalfOf.name, label, 'the property names the person');
      assert.equal(instantToLocalDate(Date.parse(w.started.replace('+0000', 'Z')), p.zone), p.day, `${p.name}: B's copy lies on the person's day`);
      assert.ok(
        warnings.some((x) => x.id === String(w.id) && x.message.includes(label) && x.message.includes('b:sync')),
        `the run names the fallback for ${p.name}: ${JSON.stringify(warnings)}`,
      );
      const entry = await entryOf(p.name);
      assert.deepEqual([entry.fields.date, entry.fields.timeZone], [p.day, p.zone], `${p.name}: hub day and zone`);
    }
    assert.equal(await bRemaining(), 36_000, "retain: creates leave B's estimate alone");
  });

  it("an edit of the description on B keeps the hub's day and zone the person's, and reaches A", async () => {
    for (const w of await bWorklogs()) {
      const comment = JSON.parse(JSON.stringify(w.comment).replace('planning', 'planning, revised'));
      await call(`${b.base}/rest/api/3/issue/B-1/worklog/${w.id}?adjustEstimate=leave`, { method: 'PUT', auth: basic('B'), expect: 200, body: { comment } });
    }
    const runs = await run();
    assert.ok(
      runs.every((r) => r.status === 'ok'),
      JSON.stringify(runs.filter((r) => r.status !== 'ok')),
    );
    for (const p of PEOPLE) {
      const entry = await entryOf(p.name);
      assert.equal(entry.fields.description, 'planning, revised', `${p.name}: the edit arrived`);
      assert.deepEqual([entry.fields.date, entry.fields.timeZone], [p.day, p.zone], `${p.name}: hub day and zone after B's API user edited it`);
    }
    const aLogs = (await call(`${a.base}/rest/api/3/issue/A-1/worklog`, { auth: basic('A'), expect: 200 })).json.worklogs as Json[];
    assert.ok(
      aLogs.every((w) => JSON.stringify(w.comment).includes('planning, revised')),
      'A has the edit',
    );
  });

  it("a deletion reaches B with adjustEstimate=leave under remainingEstimate: retain, so B's estimate stays", async () => {
    const kenjis = (await call(`${a.base}/rest/api/3/issue/A-1/worklog`, { auth: basic('A'), expect: 200 })).json.worklogs.find(
      (w: Json) => w.author.accountId === 'a:kenji',
    );
    await call(`${a.base}/rest/api/3/issue/A-1/worklog/${kenjis.id}`, { method: 'DELETE', auth: basicAs('kenji@example.com'), expect: 204 });
    const before = b.counts.get('DELETE /rest/api/3/issue/:idOrKey/worklog/:id') ?? 0;
    await run();
    assert.equal((await bWorklogs()).length, PEOPLE.length - 1, 'the copy on B is deleted');
    assert.equal((b.counts.get('DELETE /rest/api/3/issue/:idOrKey/worklog/:id') ?? 0) - before, 1);
    assert.equal(await bRemaining(), 36_000, "B's remaining estimate did not move");
  });

  it('a user who hides their e-mail is one hub person across both sites, by account id', async () => {
    const hanas = (await hub(dir, 'person')).filter((p) => p.fields.name === 'Hana Ito');
    assert.equal(hanas.length, 1, `Hana's hub persons: ${JSON.stringify(hanas.map((h) => h.identity))}`);
    assert.equal(hanas[0]!.fields.email, null);
  });
});
