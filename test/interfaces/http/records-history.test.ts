/**
 * The history of a time entry three hands touched: anna creates it through the records API
 * in a scope with a Kimai timesheet link (the Kimai emulator), a run pushes it, someone edits
 * it in Kimai and a run pulls that, anna changes it again through the API, and the local
 * admin through the CLI (a subprocess on the same hub file; build first). Its history names
 * each step's system (api, link with system kimai, api, cli) with each field before and after.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { runLink } from '../../../src/runtime/run-link.js';
import { ADMIN_TOKEN, startKimai } from '../../connectors/kimai/kimai-fixture.js';
import { CLOCK, kimaiLinks, taxonomy } from '../../connectors/kimai/kimai-workspace.js';
import { cliChild } from '../../support/cli-child.js';
import { startRecordsHarness, type RecordsHarness } from './records-harness.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;
const R = '/api/v1/records';

describe('history of a record changed through the API, Kimai and the CLI', () => {
  let emu: Emu, h: RecordsHarness;
  const run = async (link: string) => {
    const r = await runLink(await h.svc.catalog.linkSpec(link), { store: h.svc.store, clock: () => CLOCK }, { trigger: 'test' });
    assert.equal(r.run.status, 'ok', `${link}: ${JSON.stringify(r.run.errors)}`);
    return r;
  };
  const byField = async (kind: 'person' | 'project' | 'activity', field: string, value: string) =>
    (await h.svc.store.listScope('work', kind)).find((r) => r.fields[field] === value)!.id;

  before(async () => {
    emu = await startKimai();
    const k = kimaiLinks('k', emu.base, { timesheets: 'window: { pastDays: 60, futureDays: 60 }' });
    h = await startRecordsHarness({ yaml: `connections:\n${k.connection}links:\n${k.links}\n`, clock: () => CLOCK, users: ['anna', 'ben'] });
    for (const l of taxonomy('k')) await run(l);
  });
  after(async () => {
    await h?.close();
    await emu?.close();
  });

  it('shows via api, link (system kimai), api and cli, with the fields each changed', async () => {
    const made = await h.call('anna', 'POST', `${R}/timeEntry?scope=work`, {
      fields: {
        date: '2026-03-02',
        start: '2026-03-02T08:00:00Z',
        durationSeconds: 3600,
        timeZone: 'Europe/Berlin',
        description: 'Landing page',
        projectId: await byField('project', 'name', 'Website'),
        activityId: await byField('activity', 'name', 'Design'),
      },
    });
    assert.equal(made.status, 201, made.text);
    const id = made.body.id as string;
    assert.equal(made.body.fields.personId, await byField('person', 'username', 'anna'));
    const queued = await h.svc.queue.list({ state: 'queued', limit: 50 });
    assert.ok(
      queued.some((j) => j.data.linkId === 'link:k-timesheets' && j.data.trigger === 'api:anna:records'),
      `the write queued the scope's links: ${JSON.stringify(queued.map((j) => j.data))}`,
    );

    await run('k-timesheets');
    const sheets = emu.data().timesheets;
    assert.equal(sheets.length, 1, 'pushed to Kimai');
    const res = await fetch(`${emu.base}/api/timesheets/${sheets[0]!.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'Landing page v2' }),
    });
    assert.equal(res.status, 200, await res.text());
    await run('k-timesheets');

    const now = await h.call('anna', 'GET', `${R}/timeEntry/${id}`);
    assert.equal(now.body.fields.description, 'Landing page v2', 'the Kimai edit was pulled');
    const edit = await h.call('anna', 'PATCH', `${R}/timeEntry/${id}`, { fields: { durationSeconds: 5400 } }, { 'if-match': now.headers.etag as string });
    assert.equal(edit.status, 200, edit.text);
    // The CLI on the same hub file, while the service has it open.
    const cli = await cliChild(h.dir, ['records', 'edit', id, '--set', 'description=Landing page v3']);
    assert.equal(cli.code, 0, cli.stderr);

    const hist = await h.call('anna', 'GET', `${R}/timeEntry/${id}/history`);
    assert.equal(hist.status, 200, hist.text);
    type Step = { via: string; by: string; system: string; action: string; changes: { field: string; before: unknown; after: unknown }[] };
    const steps: Step[] = hist.body.history;
    const changed = steps.filter((s) => s.changes.length);
    assert.deepEqual(
      changed.map((s) => s.via),
      ['api', 'link', 'api', 'cli'],
      JSON.stringify(steps, null, 1),
    );
    const [created, pulled, edited, local] = changed as [Step, Step, Step, Step];
    assert.deepEqual([created.action, created.by, created.system], ['create', 'anna', 'api']);
    assert.deepEqual([pulled.action, pulled.by, pulled.system], ['update', 'k-timesheets', 'kimai']);
    assert.deepEqual(
      pulled.changes.find((c) => c.field === 'description'),
      { field: 'description', before: 'Landing page', after: 'Landing page v2' },
    );
    assert.deepEqual(edited.changes, [{ field: 'durationSeconds', before: 3600, after: 5400 }]);
    assert.deepEqual(
      [local.by, local.system, local.changes],
      [os.userInfo().username, 'cli', [{ field: 'description', before: 'Landing page v2', after: 'Landing page v3' }]],
    );
    // Ben is another person: the history is as hidden as the record.
    assert.equal((await h.call('ben', 'GET', `${R}/timeEntry/${id}/history`)).status, 404);
  });
});
