/**
 * A copy is a copy: Kimai timesheets exported to a Google calendar by a `google-export`
 * link, as a user meets it — the real CLI (`timebridge sync`/`plan`, a child process; build
 * dist/ first) against the Kimai and Google emulators (in this process). Without a
 * `direction` the export link is a one-way copy: an event moved or deleted in the calendar
 * is put back from the hub and the Kimai timesheet is left as it was. With
 * `direction: both` the calendar's edits reach Kimai, as before.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cliChild, type Ran } from '../../support/cli-child.js';
import type { GEvent } from '../../../src/connectors/google-calendar/google-types.js';
import { createGoogleEmulator, DEMO_REFRESH_TOKEN } from '../../../src/emulators/google/index.js';
import { DEMO_USER, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../../src/emulators/google/oauth.js';
import { createKimaiEmulator } from '../../../src/emulators/kimai/index.js';
import { emptyData, newActivity, newCustomer, newProject, newUser } from '../../../src/emulators/kimai/kimai-data.js';

const TOKEN = 'kimai-export-admin-token-0123456789';
const HOUR = 3_600_000;

/** The CLI as a child process, without blocking this process's event loop (the emulators answer from here). */
const cli = (args: string[]) => cliChild(process.cwd(), args, 120_000);

/** Two Kimai timesheets (today 09:00–10:00 and 13:00–14:00 UTC) and an empty calendar "Worklogs" they are exported to. */
async function setUp(direction: string | null) {
  const data = emptyData();
  const user = newUser(data, { username: 'admin', alias: 'Admin', timezone: 'UTC', admin: true, apiToken: TOKEN, apiPassword: 'admin-api-password' });
  const project = newProject(data, 'Website', newCustomer(data, 'Acme'));
  newActivity(data, 'Design', null);
  const begin = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 9 * HOUR;
  // Two, so that deleting one event does not empty the calendar (an emptied side stops a two-way run).
  for (const [at, description] of [
    [begin, 'Design review'],
    [begin + 4 * HOUR, 'Standup'],
  ] as const) {
    data.timesheets.push({
      id: data.nextId++,
      user: user.id,
      project: project.id,
      activity: data.activities[0]!.id,
      begin: at,
      end: at + HOUR,
      zone: 'UTC',
      breakSeconds: 0,
      description,
      tags: [],
      exported: false,
      billable: true,
      hourlyRate: 60,
      fixedRate: null,
      modifiedAt: Math.floor(Date.now() / 1000) * 1000 - HOUR,
    });
  }
  const kimai = createKimaiEmulator({ data });
  const google = createGoogleEmulator({ seed: 1 });
  const calId = 'worklogs@group.calendar.google.com';
  google.store.createCalendar(DEMO_USER, { id: calId, summary: 'Worklogs', timeZone: 'UTC' });
  const [kUrl, gUrl] = [await kimai.listen(), await google.listen()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-export-'));
  const config = path.join(dir, 'timebridge.yaml');
  fs.writeFileSync(
    config,
    [
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  kimai:',
      '    type: kimai',
      `    url: ${kUrl}`,
      `    token: ${TOKEN}`,
      '    timeZone: UTC',
      '  google:',
      '    type: google-calendar',
      `    baseUrl: ${gUrl}/calendar/v3`,
      `    tokenUrl: ${gUrl}/token`,
      '    auth:',
      '      type: oauth',
      `      clientId: ${EMULATOR_CLIENT_ID}`,
      `      clientSecret: ${EMULATOR_CLIENT_SECRET}`,
      `      refreshToken: "${DEMO_REFRESH_TOKEN}"`,
      'links:',
      '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
      '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
      '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
      '  kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
      '  kimai-timesheets: { connection: kimai, scope: work, externalKind: timesheet, collection: all, window: { pastDays: 31, futureDays: 31 } }',
      `  worklogs: { connection: google, scope: work, collection: "${calId}", mapper: google-export${direction ? `, direction: ${direction}` : ''} }`,
      '',
    ].join('\n'),
  );
  const cal = () => google.store.calendar(calId, DEMO_USER, 'owner');
  const events = (): GEvent[] => [...cal().events.values()].map((s) => s.ev).filter((e) => e.status !== 'cancelled');
  /** The live event of the "Design review" timesheet, if there is one. */
  const review = (): GEvent | undefined => events().find((e) => e.summary === '[TB] Design review');
  /** The "Design review" timesheet, if Kimai still has it. */
  const sheet = () => kimai.data().timesheets.find((t) => t.description === 'Design review');
  return {
    begin,
    events,
    review,
    sheet,
    run: (cmd: string, ...rest: string[]) => cli(['--config', config, cmd, ...rest]),
    /** Move the event two hours later, as a calendar user would. */
    move(ev: GEvent) {
      const at = (iso: string) => new Date(Date.parse(iso) + 2 * HOUR).toISOString();
      google.store.writeEvent(
        cal(),
        ev.id,
        { ...ev, start: { ...ev.start, dateTime: at(ev.start!.dateTime!) }, end: { ...ev.end, dateTime: at(ev.end!.dateTime!) } },
        undefined,
        false,
      );
    },
    remove: (ev: GEvent) => google.store.deleteEvent(cal(), ev.id, undefined),
    async close() {
      await kimai.close();
      await google.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ok(r: Ran, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

const startOf = (ev: GEvent) => Date.parse(ev.start!.dateTime!);

describe('google-export links are one-way copies unless they say direction: both', () => {
  it('a moved event is moved back and a deleted one made again; the Kimai timesheet stays as it was', async () => {
    const s = await setUp(null);
    try {
      ok(await s.run('sync'), 'first sync');
      assert.equal(s.events().length, 2, 'both timesheets are exported');
      const ev = s.review();
      assert.ok(ev, 'the timesheet is exported, titled with the marker');
      assert.equal(startOf(ev), s.begin);

      s.move(ev);
      const planned = await s.run('plan');
      ok(planned, 'plan after the move');
      assert.match(planned.stdout, /changed externally; restored from the hub: this link is a one-way copy \(direction: mirror\)/);
      ok(await s.run('sync'), 'sync after the move');
      assert.equal(startOf(s.review()!), s.begin, "the event is back at the timesheet's time");
      assert.equal(s.sheet()?.begin, s.begin, 'the Kimai timesheet did not move');

      s.remove(s.review()!);
      assert.equal(s.review(), undefined);
      ok(await s.run('sync'), 'sync after the deletion');
      assert.equal(startOf(s.review()!), s.begin, 'the event is made again');
      assert.equal(s.sheet()?.begin, s.begin, 'the Kimai timesheet still exists, unmoved');
      ok(await s.run('sync'), 'a later sync');
      assert.equal(s.events().length, 2, 'settled: nothing more to restore, nothing twice');
    } finally {
      await s.close();
    }
  });

  it('with direction: both a moved event moves the timesheet, and a deleted one deletes it (the old two-way behaviour)', async () => {
    const s = await setUp('both');
    try {
      ok(await s.run('sync'), 'first sync');
      s.move(s.review()!);
      ok(await s.run('sync'), 'sync after the move');
      assert.equal(s.sheet()?.begin, s.begin + 2 * HOUR, 'the timesheet followed the event');
      s.remove(s.review()!);
      ok(await s.run('sync'), 'sync after the deletion');
      assert.equal(s.sheet(), undefined, 'the timesheet was deleted with its event');
      assert.equal(s.review(), undefined);
    } finally {
      await s.close();
    }
  });
});
