/**
 * Kimai taxonomy through real runs built from timebridge.yaml: customers, projects and
 * activities land in the hub with their hierarchy as hub ids, colours are inherited
 * when missing, and later changes of hierarchy and colour in Kimai follow (the Kimai
 * sync service only ever updated names and colours).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { config, kimaiLinks, taxonomy, workspace, type Workspace } from './kimai-workspace.js';
import { startKimai } from './kimai-fixture.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

describe('Kimai taxonomy sync', () => {
  let emu: Emu, ws: Workspace;
  before(async () => {
    emu = await startKimai();
    ws = await workspace(config([kimaiLinks('kimai', emu.base)]));
  });
  after(async () => {
    await ws.close();
    await emu.close();
  });

  const patch = async (path: string, body: object) => {
    const res = await fetch(`${emu.base}/api${path}`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.text());
  };

  it('imports customers, projects and activities with parents as hub ids and inherited colours', async () => {
    const results = await ws.runAll(taxonomy('kimai'));
    assert.deepEqual(
      results.map((r) => r.run.status),
      ['ok', 'ok', 'ok', 'ok'],
    );
    const acme = await ws.byField('customer', 'name', 'Acme');
    const globex = await ws.byField('customer', 'name', 'Globex');
    assert.equal(globex.fields.color, null);
    const website = await ws.byField('project', 'name', 'Website');
    const support = await ws.byField('project', 'name', 'Support');
    assert.equal(website.fields.customerId, acme.id);
    assert.equal(website.fields.color, '#1565c0', 'its own colour');
    assert.equal(support.fields.customerId, acme.id);
    assert.equal(support.fields.color, '#2e7d32', "no own colour: the customer's");
    assert.equal((support.fields.extras as { kimai: { ownColor: unknown } }).kimai.ownColor, null);
    const meeting = await ws.byField('activity', 'name', 'Meeting');
    const design = await ws.byField('activity', 'name', 'Design');
    const hotline = await ws.byField('activity', 'name', 'Hotline');
    assert.equal(meeting.fields.projectId, null, 'a global activity has no project');
    assert.equal(design.fields.projectId, website.id);
    assert.equal(design.fields.color, '#1565c0', 'inherited from its project');
    assert.equal(hotline.fields.color, '#ff0000');
    const persons = await ws.records('person');
    assert.deepEqual(persons.map((p) => p.fields.username).sort(), ['anna', 'ben']);
    assert.equal((await ws.byField('person', 'username', 'ben')).fields.timeZone, 'America/New_York');
  });

  it('follows a project moved to another customer, and the colour it inherits there', async () => {
    await patch('/projects/21', { customer: 11 });
    await ws.runAll(taxonomy('kimai'));
    const globex = await ws.byField('customer', 'name', 'Globex');
    let support = await ws.byField('project', 'name', 'Support');
    assert.equal(support.fields.customerId, globex.id, 'the hierarchy move reached the hub');
    assert.equal(support.fields.color, null, 'Globex has no colour to inherit');
    await patch('/customers/11', { color: '#aaaaaa' });
    await ws.runAll(taxonomy('kimai'));
    support = await ws.byField('project', 'name', 'Support');
    assert.equal(support.fields.color, '#aaaaaa', 'a customer colour change reaches the project that inherits it');
    assert.equal((await ws.byField('project', 'name', 'Migration')).fields.color, '#6a1b9a', 'a project with its own colour keeps it');
  });

  it('follows an activity moved to another project, a rename, and a customer hidden in Kimai', async () => {
    await patch('/activities/32', { project: 20, name: 'Hotline (2nd level)' });
    await patch('/customers/10', { visible: false });
    const results = await ws.runAll(taxonomy('kimai'));
    assert.ok(results.every((r) => r.run.status === 'ok'));
    const website = await ws.byField('project', 'name', 'Website');
    const hotline = await ws.byField('activity', 'name', 'Hotline (2nd level)');
    assert.equal(hotline.fields.projectId, website.id);
    const acme = await ws.byField('customer', 'name', 'Acme');
    assert.equal(acme.fields.active, false, 'hidden in Kimai: inactive in the hub, not deleted');
    assert.equal((await ws.records('activity')).length, 3, 'nothing was duplicated');
  });

  it('a second run with nothing changed writes nothing', async () => {
    const results = await ws.runAll(taxonomy('kimai'));
    assert.deepEqual(
      results.map((r) => r.hubWrites),
      [0, 0, 0, 0],
    );
  });

  it('a project whose customer is not synced yet waits with REF_UNRESOLVED and syncs once it is', async () => {
    const res = await fetch(`${emu.base}/api/customers`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Initech' }),
    });
    const initech = (await res.json()) as { id: number };
    await fetch(`${emu.base}/api/projects`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'TPS', customer: initech.id }),
    });
    const early = await ws.run('kimai-projects');
    assert.equal(early.run.status, 'partial');
    assert.match(early.run.errors[0]!.error.message, /REF_UNRESOLVED: project "TPS" belongs to Kimai customer \d+ \(Initech\)/);
    assert.equal(early.run.errors[0]!.error.code, 'REF_UNRESOLVED');
    assert.equal(early.run.errors[0]!.error.kind, 'precondition', 'waits for the next run, not retried with backoff');
    assert.match(early.run.errors[0]!.error.message, /externalKind: customer/);
    await ws.runAll(['kimai-customers', 'kimai-projects']);
    const tps = await ws.byField('project', 'name', 'TPS');
    assert.equal(tps.fields.customerId, (await ws.byField('customer', 'name', 'Initech')).id);
  });
});

describe('Kimai taxonomy: what Kimai does not take from Timebridge', () => {
  it('an activity deleted in the hub is planned as not sent (Kimai hides, never deletes), Kimai gets no DELETE, and the run is ok', async () => {
    const emu = await startKimai();
    const ws = await workspace(config([kimaiLinks('kimai', emu.base, { taxonomyDirection: 'both' })]));
    try {
      await ws.runAll(taxonomy('kimai'));
      const activity = (await ws.records('activity'))[0]!;
      await ws.write('activity', activity.fields, { id: activity.id, tombstone: true });
      const deletesBefore = [...emu.counts].filter(([k]) => k.startsWith('DELETE')).reduce((n, [, c]) => n + c, 0);
      const res = await ws.run('kimai-activities');
      assert.equal(res.run.status, 'ok');
      const action = res.plan.actions.find((a) => a.hubId === activity.id);
      assert.equal(action?.op, 'unsupported');
      assert.match(action!.reason, /cannot be deleted/);
      const deletesAfter = [...emu.counts].filter(([k]) => k.startsWith('DELETE')).reduce((n, [, c]) => n + c, 0);
      assert.equal(deletesAfter, deletesBefore, 'no DELETE reached Kimai');
      assert.ok(
        emu.data().activities.some((a) => String(a.id) === res.plan.actions.find((x) => x.hubId === activity.id)?.extId),
        'the activity is still in Kimai',
      );
    } finally {
      await ws.close();
      await emu.close();
    }
  });
});
