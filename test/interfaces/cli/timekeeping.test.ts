/**
 * `timebridge timer …` and `timebridge timesheet …` as a user runs them: the CLI as a
 * subprocess on a temp workspace whose hub is synced with a Kimai emulator in this process.
 * Anna's persons come from Kimai; she times some work, submits her month, and the lock
 * with --sync exports her records of the month in Kimai (not ben's).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { instantToLocalDate } from '../../../src/connectors/kit/zone-time.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { cliChild } from '../../support/cli-child.js';
import { ADMIN_TOKEN, startKimai } from '../../connectors/kimai/kimai-fixture.js';
import { config, kimaiLinks } from '../../connectors/kimai/kimai-workspace.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;

describe('timebridge timer and timesheet', () => {
  let emu: Emu, dir: string;
  // The CLI runs on the real clock: the month is this one, in anna's zone.
  const month = instantToLocalDate(Date.now(), 'Europe/Berlin').slice(0, 7);
  const tb = (...args: string[]) => cliChild(dir, args);
  const seeded: number[] = [];
  /** Hub ids of Kimai's project Website and activity Design, as the first sync made them. */
  const booked = { project: '', activity: '' };

  before(async () => {
    emu = await startKimai();
    for (const user of [1, 2]) {
      const res = await fetch(`${emu.base}/api/timesheets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user, project: 20, activity: 31, begin: `${month}-01T09:00`, end: `${month}-01T10:00`, description: `user ${user}` }),
      });
      seeded.push(((await res.json()) as { id: number }).id);
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-cli-timekeeping-'));
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), config([kimaiLinks('k', emu.base)]));
    const sync = await tb('sync');
    assert.equal(sync.code, 0, sync.stdout + sync.stderr);
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    const named = async (kind: 'project' | 'activity', name: string) => (await store.listScope('work', kind)).find((r) => r.fields.name === name)!.id;
    booked.project = await named('project', 'Website');
    booked.activity = await named('activity', 'Design');
    await store.close();
  });
  after(async () => {
    await emu.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts, shows and stops a timer; a stop without one says so', async () => {
    const start = await tb(
      'timer',
      'start',
      '--scope',
      'work',
      '--person',
      'anna',
      '--description',
      'cli work',
      '--project',
      booked.project,
      '--activity',
      booked.activity,
    );
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /timer started for anna at .*; run `timebridge sync`/);
    const status = await tb('timer', 'status', '--scope', 'work', '--person', 'anna');
    assert.match(status.stdout, /timer running for anna since .*: cli work/);
    const stop = await tb('timer', 'stop', '--scope', 'work', '--person', 'anna');
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /timer stopped: time entry \S+ on \d{4}-\d{2}-\d{2}/);
    const again = await tb('timer', 'stop', '--scope', 'work', '--person', 'anna');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RESOURCE_NOT_FOUND: person \S+ has no running timer/);
    const nobody = await tb('timer', 'status', '--scope', 'work', '--person', 'carol');
    assert.match(nobody.stderr, /no person "carol" in scope work/);
  });

  it('submits and shows the month, then locks it with --sync: Kimai exports anna’s records only', async () => {
    const submit = await tb('timesheet', 'submit', '--scope', 'work', '--month', month, '--person', 'anna');
    assert.equal(submit.code, 0, submit.stderr);
    assert.match(submit.stdout, /now submitted; run `timebridge sync`/);
    const show = await tb('timesheet', 'show', '--scope', 'work', '--month', month, '--person', 'anna');
    assert.match(show.stdout, new RegExp(`anna, ${month}: submitted`));
    assert.match(show.stdout, /user 1/);
    assert.match(show.stdout, /cli work/);
    assert.match(show.stdout, /total 1:00 in 2 entries/);
    const bad = await tb('timesheet', 'show', '--scope', 'work', '--month', '2026-13', '--person', 'anna');
    assert.match(bad.stderr, /--month 2026-13 is not YYYY-MM/);

    const lock = await tb('timesheet', 'lock', '--month', month, '--sync');
    assert.equal(lock.code, 0, lock.stdout + lock.stderr);
    assert.match(lock.stdout, /work: 1 locked, 0 skipped, 0 failed/);
    assert.match(lock.stdout, /carried out by k-timesheets/);
    const anna = emu.data().timesheets.filter((t) => t.user === 1);
    assert.equal(anna.length, 2, 'the timed entry was pushed to Kimai too');
    assert.ok(
      anna.every((t) => t.exported),
      JSON.stringify(anna),
    );
    assert.equal(emu.data().timesheets.find((t) => t.id === seeded[1])!.exported, false, "ben's record stays open");

    const shown = await tb('timesheet', 'show', '--scope', 'work', '--month', month, '--person', 'anna');
    assert.match(shown.stdout, /: exported/);
    assert.match(shown.stdout, /\[exported\]/);
    const reopen = await tb('timesheet', 'reopen', '--scope', 'work', '--month', month, '--person', 'anna');
    assert.equal(reopen.code, 1);
    assert.match(reopen.stderr, /PERIOD_LOCKED/);
    assert.match(reopen.stderr, /no unlock yet/);
  });
});
