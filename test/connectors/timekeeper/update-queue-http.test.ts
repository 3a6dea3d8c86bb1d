/**
 * `POST /update-queue/work-logs/:id` with a Timekeeper work-log id, over HTTP. A stand-in
 * `timekeeper` type (the Kimai entry, on a second Kimai emulator) plays Timekeeper, so the
 * route's Timekeeper path is exercised: the id queues the stand-in's links (all of them while
 * no link tracks it, then the one that does) and the work log reaches the hub.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONNECTORS } from '../../../src/connectors/registry.js';
import { kimaiEntry } from '../../../src/connectors/kimai/index.js';
import { ADMIN_TOKEN, startKimai } from '../kimai/kimai-fixture.js';
import { config, kimaiLinks, taxonomy } from '../kimai/kimai-workspace.js';
import { startDropIns, type DropInServer } from '../kimai/drop-in-server.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

describe('/update-queue/work-logs/:id with a Timekeeper work-log id', () => {
  const saved = CONNECTORS.timekeeper;
  let kimai: Emu, keeper: Emu, s: DropInServer;
  before(async () => {
    // Kimai's behaviour without its routes (the drop-ins are mounted once, by the real Kimai entry).
    const standIn = { ...kimaiEntry };
    delete standIn.routes;
    CONNECTORS.timekeeper = standIn;
    kimai = await startKimai();
    keeper = await startKimai();
    const tk = kimaiLinks('tk', keeper.base);
    const yaml = config([kimaiLinks('kimai', kimai.base), { ...tk, connection: tk.connection.replace('type: kimai', 'type: timekeeper') }]);
    s = await startDropIns(yaml.replace('store:\n', 'serve:\n  concurrency: 1\n  scheduler: false\nstore:\n'));
    for (const link of [...taxonomy('kimai'), ...taxonomy('tk')]) await s.jobsDone([(await s.svc.enqueueRun(link, { trigger: 'test' })).jobId]);
  });
  after(async () => {
    if (saved) CONNECTORS.timekeeper = saved;
    else delete CONNECTORS.timekeeper;
    await s.close();
    await kimai.close();
    await keeper.close();
  });

  it('queues the Timekeeper links, and the work log reaches the hub', async () => {
    const res = await fetch(`${keeper.base}/api/timesheets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: 1, project: 20, activity: 31, begin: '2026-03-03T09:00', end: '2026-03-03T11:00', description: 'logged in Timekeeper' }),
    });
    const id = String(((await res.json()) as { id: number }).id);
    const first = await s.call('POST', `/update-queue/work-logs/${id}`);
    assert.equal(first.status, 202);
    const links = first.body.jobs.map((j: { link: string }) => j.link).sort();
    assert.deepEqual(links, ['tk-activities', 'tk-customers', 'tk-projects', 'tk-timesheets', 'tk-users'], 'not tracked yet: every Timekeeper link');
    await s.jobsDone(first.body.jobs.map((j: { jobId: string }) => j.jobId));
    const inHub = async () => (await s.svc.store.listScope('work', 'timeEntry')).filter((r) => !r.tombstone && r.fields.description === 'logged in Timekeeper');
    assert.equal((await inHub()).length, 1);
    const again = await s.call('POST', `/update-queue/work-logs/${id}`);
    assert.deepEqual(
      again.body.jobs.map((j: { link: string }) => j.link),
      ['tk-timesheets'],
      'tracked now: the link that reads it',
    );
    await s.jobsDone(again.body.jobs.map((j: { jobId: string }) => j.jobId));
    assert.equal((await inHub()).length, 1, 'run again, not duplicated');
  });

  it('still takes a hub time entry id, and says what to pass when neither matches', async () => {
    const entry = (await s.svc.store.listScope('work', 'timeEntry')).find((r) => r.fields.description === 'logged in Timekeeper')!;
    const r = await s.call('POST', `/update-queue/work-logs/${entry.id}`);
    assert.deepEqual(
      r.body.jobs.map((j: { link: string }) => j.link),
      ['kimai-timesheets'],
    );
    const project = (await s.svc.store.listScope('work', 'project'))[0]!;
    const wrong = await s.call('POST', `/update-queue/work-logs/${project.id}`);
    assert.deepEqual([wrong.status, wrong.body.error.code], [400, 'REQUEST_INVALID']);
    assert.match(wrong.body.error.hint, /Timekeeper work log/);
  });
});
