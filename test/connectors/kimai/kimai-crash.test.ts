/**
 * A crash between Kimai's create and the hub's bookkeeping, and a new process after it:
 * the new process's connector finds the record by the key Kimai keeps in the description,
 * links it, and never creates a second one; the key never reaches the hub.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { kimaiConnector, startKimai } from './kimai-fixture.js';
import { config, kimaiLinks, taxonomy, workspace, type Workspace } from './kimai-workspace.js';
import type { KimaiEntry } from '../../../src/connectors/kimai/kimai-types.js';

class Crash extends Error {}

describe('Kimai: a crash after the create, then a new process', () => {
  let emu: Awaited<ReturnType<typeof startKimai>>;
  let storeDir: string;
  let yaml: string;
  const open: Workspace[] = [];
  const fresh = async () => {
    const ws = await workspace(yaml);
    open.push(ws);
    return ws;
  };

  before(async () => {
    emu = await startKimai();
    storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-kimai-crash-'));
    yaml = config([kimaiLinks('k', emu.base)]).replace('path: hub.sqlite', `path: ${path.join(storeDir, 'hub.sqlite')}`);
  });
  after(async () => {
    for (const ws of open) await ws.close().catch(() => undefined);
    await emu.close();
    fs.rmSync(storeDir, { recursive: true, force: true });
  });

  it('finds the record by its key, links it, and makes no duplicate', async () => {
    const first = await fresh();
    for (const r of await first.runAll(taxonomy('k'))) assert.equal(r.run.status, 'ok', JSON.stringify(r.run.errors));
    const person = (await first.byField('person', 'username', 'anna')).id;
    const project = (await first.byField('project', 'name', 'Website')).id;
    const activity = (await first.byField('activity', 'name', 'Design')).id;
    const hubId = await first.write('timeEntry', {
      date: '2026-03-09',
      start: '2026-03-09T08:00:00Z',
      durationSeconds: 3600,
      timeZone: 'Europe/Berlin',
      description: 'Crash entry',
      personId: person,
      projectId: project,
      activityId: activity,
      taskId: null,
      billable: true,
      tags: [],
    });
    const crash = (point: string) => {
      if (point === 'after-external-write') throw new Crash(point);
    };
    await assert.rejects(first.run('k-timesheets', {}, { fault: crash }), Crash);
    assert.deepEqual(
      emu.data().timesheets.map((t) => t.description),
      [`Crash entry\n\n[timebridge id=${hubId}]`],
      'the create reached Kimai, with its key',
    );
    await first.app.close();
    open.splice(open.indexOf(first), 1);
    fs.rmSync(first.dir, { recursive: true, force: true });

    // A new process: new connectors that remember nothing of the first.
    const second = await fresh();
    const next = await second.run('k-timesheets');
    assert.equal(next.run.status, 'ok', JSON.stringify(next.run.errors));
    assert.equal(next.run.counts['push-create'] ?? 0, 0);
    assert.equal(emu.data().timesheets.length, 1, 'no duplicate');
    const third = await second.run('k-timesheets');
    assert.equal(third.run.status, 'ok');
    assert.deepEqual(
      Object.entries(third.run.counts).filter(([k, v]) => k !== 'unchanged' && v),
      [],
      'nothing moves back and forth',
    );
    const records = await second.records('timeEntry');
    assert.deepEqual(
      records.map((r) => [r.id, r.fields.description]),
      [[hubId, 'Crash entry']],
      'the key line never reaches the hub',
    );
  });

  it('a fresh connector instance finds the entry by key; another key finds nothing', async () => {
    const id = String(emu.data().timesheets[0]!.id);
    const hubId = /id=([^\]]+)\]/.exec(emu.data().timesheets[0]!.description ?? '')![1]!;
    const c = kimaiConnector<KimaiEntry>(emu.base, 'timesheet', 'all');
    assert.equal((await c.findByKey({ hubId, key: 'x' }))?.id, id);
    assert.equal(await kimaiConnector<KimaiEntry>(emu.base, 'timesheet', '1').findByKey({ hubId: 'not-made', key: 'x' }), null);
    const [item] = await c.get([id]);
    assert.ok(item && !('error' in item));
    assert.equal(item.data.description, 'Crash entry', 'reading strips the key line');
  });
});
