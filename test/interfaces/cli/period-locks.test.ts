/**
 * Locked periods through the real CLI (a child process) on a two-way Jira worklog link
 * (the emulator in this process): a plan made before the month was locked no longer
 * holds once it is (`apply` refuses, PLAN_DRIFTED, nothing written); a fresh plan
 * restores the worklog from the hub; a new worklog in the locked month makes `sync`
 * partial (exit 3) with PERIOD_LOCKED once, and the next `sync` is clean, naming the
 * parked item.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { textToAdf } from '../../../src/connectors/kit/atlassian/adf.js';
import type { HubRecord } from '../../../src/core/model.js';
import type { Plan } from '../../../src/core/plan-types.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { API_TOKEN, basicAs, call, movableClock, siteData, startJira, type Jira } from '../../connectors/jira/jira-fixture.js';
import { cliChild, type Ran } from '../../support/cli-child.js';
import { tempDir } from '../../support/serve.js';

const yaml = (jira: string) => `store:
  path: hub.sqlite
connections:
  b: { type: jira, url: "${jira}", email: sync@b.example, token: ${API_TOKEN} }
links:
  b-users: { connection: b, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  b-issues: { connection: b, scope: work, externalKind: issue, collection: B, direction: pull, conflict: hub-wins }
  b-worklogs: { connection: b, scope: work, externalKind: worklog, collection: B, window: null }
`;

interface RunOut {
  linkId: string;
  status: string;
  errors: { label: string; error: { code: string; message: string } }[];
}

describe('locked periods through the CLI (Jira worklogs)', () => {
  const clock = movableClock();
  let jira: Jira, dir: string, worklog: string;
  const cli = async (...args: string[]): Promise<Ran> => {
    clock.advance(3 * 60_000); // past the feeds' blind last minute
    return cliChild(dir, ['--config', path.join(dir, 'timebridge.yaml'), ...args]);
  };
  async function withStore<T>(f: (store: ReturnType<typeof openSqliteStore>) => Promise<T>): Promise<T> {
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      return await f(store);
    } finally {
      await store.close();
    }
  }
  const entries = (): Promise<HubRecord[]> => withStore(async (s) => (await s.listScope('work', 'timeEntry')).filter((r) => !r.tombstone));
  const logAsBen = async (started: string, seconds: number, text: string): Promise<string> =>
    (
      await call(`${jira.base}/rest/api/3/issue/B-2/worklog`, {
        method: 'POST',
        auth: basicAs('ben@example.com'),
        expect: 201,
        body: { started, timeSpentSeconds: seconds, comment: textToAdf(text) },
      })
    ).json.id;
  const seconds = () => jira.data().worklogs.find((w) => w.id === worklog)!.timeSpentSeconds;

  before(async () => {
    jira = await startJira(siteData('B', 2000), clock);
    dir = tempDir('tb-period-locks-');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml(jira.base));
    worklog = await logAsBen('2026-03-09T14:00:00.000+0000', 5400, 'Review');
    const first = await cli('sync');
    assert.equal(first.code, 0, first.stdout + first.stderr);
  });
  after(async () => {
    await jira.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a plan made before the lock is refused after it (PLAN_DRIFTED, nothing written); a fresh plan restores the worklog', async () => {
    await call(`${jira.base}/rest/api/3/issue/B-2/worklog/${worklog}`, {
      method: 'PUT',
      auth: basicAs('ben@example.com'),
      expect: 200,
      body: { timeSpentSeconds: 600 },
    });
    const planFile = path.join(dir, 'plan.json');
    const planned = await cli('plan', 'b-worklogs', '--out', planFile);
    assert.equal(planned.code, 0, planned.stderr);
    const saved = JSON.parse(fs.readFileSync(planFile, 'utf8')) as { plans: Plan[] } | Plan[];
    assert.match(JSON.stringify(saved), /"op":"pull-update"/, 'before the lock the edit would be pulled');

    const [entry] = await entries();
    await withStore((s) =>
      s.commit({
        records: [
          {
            id: 'ts-ben-2026-03',
            kind: 'timesheet',
            scope: 'work',
            fields: { personId: entry!.fields.personId ?? null, month: '2026-03', state: 'exported' },
            identity: null,
            tombstone: false,
            origin: 'user:admin',
            runId: null,
            expectedVersion: 0,
            updatedAt: new Date().toISOString(),
          },
        ],
      }),
    );
    const drifted = await cli('apply', planFile);
    assert.equal(drifted.code, 5, drifted.stdout + drifted.stderr);
    assert.match(drifted.stderr + drifted.stdout, /PLAN_DRIFTED/);
    assert.equal((await entries())[0]!.version, entry!.version, 'nothing pulled into the hub');
    assert.equal(seconds(), 600);

    const fresh = await cli('plan', 'b-worklogs', '--out', planFile);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(fresh.stdout, /restored from the hub: the entry's period is locked/);
    const applied = await cli('apply', planFile);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal(seconds(), 5400, "Jira holds the hub's duration again");
    assert.equal((await entries())[0]!.version, entry!.version);
  });

  it('a new worklog in the locked month: sync is partial once with PERIOD_LOCKED, then clean, naming the parked item', async () => {
    await logAsBen('2026-03-04T08:00:00.000+0000', 1800, 'Late booking');
    const first = await cli('sync', 'b-worklogs', '--json');
    assert.equal(first.code, 3, first.stdout + first.stderr);
    const [run] = JSON.parse(first.stdout) as RunOut[];
    assert.deepEqual(
      run!.errors.map((e) => e.error.code),
      ['PERIOD_LOCKED'],
    );
    assert.match(run!.errors[0]!.error.message, /Late booking .* was new in b, but 2026-03 of person .* is locked/);
    assert.equal((await entries()).length, 1, 'not taken into the hub');

    const second = await cli('sync', 'b-worklogs');
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /^1 item parked \(in a locked period\); `timebridge status` names them/m);
    const status = await cli('status');
    assert.match(status.stdout, /parked since .*Late booking.* \(create refused, PERIOD_LOCKED\)/);
  });
});
