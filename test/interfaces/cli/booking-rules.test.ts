/**
 * Issue 18 as a user meets it: events imported from a Google calendar have no person,
 * project or activity. A booking rule in timebridge.yaml (summary keyword "acme") books
 * two of three imported events onto a Kimai project, activity and user; `plan` names the
 * rule; after `sync` the two are Kimai timesheets and the third waits in the to-book list
 * while the run stays ok. Booking the third in the hub brings it to Kimai on the next
 * sync, and a Google edit of a booked entry keeps its booking. The real CLI (a child
 * process; build dist/ first) against the Kimai and Google emulators in this process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGoogleEmulator } from '../../../src/emulators/google/index.js';
import { DEMO_USER } from '../../../src/emulators/google/oauth.js';
import { createKimaiEmulator } from '../../../src/emulators/kimai/index.js';
import { emptyData, newActivity, newCustomer, newProject, newUser } from '../../../src/emulators/kimai/kimai-data.js';
import { HubRecords } from '../../../src/runtime/records.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { cliChild, type Ran } from '../../support/cli-child.js';
import { googleEmulatorConnection } from '../../support/google.js';

const TOKEN = 'kimai-booking-admin-token-0123456789';
const HOUR = 3_600_000;
const CAL = 'meetings@group.calendar.google.com';
const cli = (args: string[]) => cliChild(process.cwd(), args, 120_000);

/** A Kimai description without the key line Timebridge leaves at its end. */
const text = (d: string | null): string => (d ?? '').replace(/\n*\[timebridge id=[^\]]+\]$/, '');

function ok(r: Ran, what: string): void {
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

async function setUp() {
  const data = emptyData();
  newUser(data, { username: 'admin', timezone: 'UTC', admin: true, apiToken: TOKEN, apiPassword: 'admin-api-password' });
  const ann = newUser(data, { username: 'ann', timezone: 'UTC', admin: false, apiToken: 'ann-token-0123456789abcdef', apiPassword: 'ann-pw' });
  const acme = newCustomer(data, 'Acme');
  const project = newProject(data, 'Website', acme);
  const other = newProject(data, 'Internal', acme);
  const design = newActivity(data, 'Design', null);
  const kimai = createKimaiEmulator({ data });
  const google = createGoogleEmulator({ seed: 7 });
  google.store.createCalendar(DEMO_USER, { id: CAL, summary: 'Meetings', timeZone: 'UTC' });
  const cal = () => google.store.calendar(CAL, DEMO_USER, 'owner');
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000;
  const at = (h: number) => new Date(day + h * HOUR).toISOString().replace('.000Z', 'Z');
  for (const [h, summary] of [
    [9, 'ACME design review'],
    [11, 'Sync with acme'],
    [13, 'Lunch and learn'],
  ] as const) {
    google.store.insertEvent(cal(), {
      summary,
      start: { dateTime: at(h), timeZone: 'UTC' },
      end: { dateTime: at(h + 1), timeZone: 'UTC' },
      organizer: { email: 'boss@example.com' },
    } as never);
  }
  const [kUrl, gUrl] = [await kimai.listen(), await google.listen()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-booking-'));
  const config = path.join(dir, 'timebridge.yaml');
  fs.writeFileSync(
    config,
    [
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  kimai: { type: kimai, url: "' + kUrl + '", token: ' + TOKEN + ', timeZone: UTC }',
      '  google:',
      ...googleEmulatorConnection(gUrl),
      'links:',
      '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
      '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
      '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
      '  kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
      `  meetings: { connection: google, scope: work, collection: "${CAL}", externalKind: event-instance, mapper: google-import, direction: pull, window: { pastDays: 7, futureDays: 7 } }`,
      '  kimai-timesheets: { connection: kimai, scope: work, externalKind: timesheet, collection: all, window: { pastDays: 31, futureDays: 31 } }',
      'booking:',
      '  work:',
      '    - name: acme',
      '      when: { summary: acme }',
      '      set: { person: ann, project: Website, activity: Design, tags: [client] }',
      '',
    ].join('\n'),
  );
  return {
    dir,
    ann,
    project,
    other,
    design,
    kimai,
    sheets: () => kimai.data().timesheets,
    run: (...args: string[]) => cli(['--config', config, ...args]),
    /** Retitle an event in Google, as a calendar user would. */
    retitle(from: string, to: string) {
      const ev = [...cal().events.values()].map((s) => s.ev).find((e) => e.summary === from)!;
      google.store.writeEvent(cal(), ev.id, { ...ev, summary: to }, undefined, false);
    },
    hub: () => openSqliteStore(path.join(dir, 'hub.sqlite')),
    /** Add an event to the calendar, an hour long, starting h hours into yesterday. */
    addEvent(h: number, summary: string) {
      google.store.insertEvent(cal(), { summary, start: { dateTime: at(h), timeZone: 'UTC' }, end: { dateTime: at(h + 1), timeZone: 'UTC' } } as never);
    },
    /** Append a booking rule of scope work to timebridge.yaml. */
    addRule(lines: string[]) {
      fs.appendFileSync(config, lines.map((l) => `    ${l}\n`).join(''));
    },
    async close() {
      await kimai.close();
      await google.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('booking rules: Google imports booked by a rule reach Kimai', () => {
  let s: Awaited<ReturnType<typeof setUp>>;
  before(async () => {
    s = await setUp();
  });
  after(async () => {
    await s.close();
  });

  it('plan names the rule; sync brings the two booked events to Kimai and leaves the third to book, run ok', async () => {
    ok(await s.run('sync', 'kimai-customers', 'kimai-projects', 'kimai-activities', 'kimai-users'), 'taxonomy first');
    const planned = await s.run('plan', 'meetings');
    ok(planned, 'plan');
    assert.equal((planned.stdout.match(/booked by rule "acme"/g) ?? []).length, 2, planned.stdout);

    const synced = await s.run('sync', '--json');
    ok(synced, 'sync');
    const runs = JSON.parse(synced.stdout) as { linkId: string; status: string; counts: Record<string, number> }[];
    assert.deepEqual(
      runs.filter((r) => r.status !== 'ok'),
      [],
      'every run is ok',
    );
    assert.ok(
      runs.some((r) => r.linkId === 'link:kimai-timesheets' && r.counts.toBook === 1),
      JSON.stringify(runs.map((r) => [r.linkId, r.counts])),
    );
    const sheets = s.sheets();
    assert.deepEqual(sheets.map((t) => text(t.description)).sort(), ['ACME design review', 'Sync with acme']);
    for (const t of sheets) assert.deepEqual([t.user, t.project, t.activity], [s.ann.id, s.project.id, s.design.id], text(t.description));

    const again = await s.run('sync');
    ok(again, 'second sync');
    assert.match(again.stdout, /^1 entry waits to be booked: timebridge rules to-book --scope work$/m);
  });

  it('to-book lists the third; rules test says why the rule does not book it', async () => {
    const list = await s.run('rules', 'to-book', '--scope', 'work', '--json');
    ok(list, 'to-book');
    const rows = JSON.parse(list.stdout) as { id: string; description: string; missing: string[]; rule: string | null }[];
    assert.deepEqual(
      rows.map((r) => [r.description, r.missing, r.rule]),
      [['Lunch and learn', ['person', 'project', 'activity'], null]],
    );
    const tested = await s.run('rules', 'test', rows[0]!.id);
    ok(tested, 'rules test');
    assert.match(tested.stdout, /no rule books it/);
    assert.match(tested.stdout, /rule "acme": does not match \(summary lacks "acme"\)/);
    const listed = await s.run('rules', 'list', '--scope', 'work');
    assert.match(listed.stdout, /1\. \[timebridge\.yaml\] acme: when \{"summary":"acme"\}/);
  });

  it('booking the third in the hub brings it to Kimai on the next sync', async () => {
    const store = await s.hub();
    try {
      const records = new HubRecords(store, () => new Date());
      const entries = (await store.listScope('work', 'timeEntry')).filter((r) => !r.tombstone);
      const lunch = entries.find((r) => r.fields.description === 'Lunch and learn')!;
      const booked = entries.find((r) => r.fields.description === 'ACME design review')!;
      const ids = { personId: booked.fields.personId!, activityId: booked.fields.activityId! };
      const internal = (await store.listScope('work', 'project')).find((p) => p.fields.name === 'Internal')!;
      await records.update({
        id: lunch.id,
        fields: { ...lunch.fields, ...ids, projectId: internal.id },
        ifMatch: lunch.version,
        actor: { origin: 'cli:test' },
      });
    } finally {
      await store.close();
    }
    const synced = await s.run('sync');
    ok(synced, 'sync after booking');
    assert.doesNotMatch(synced.stdout, /wait to be booked/);
    const lunch = s.sheets().find((t) => text(t.description) === 'Lunch and learn');
    assert.ok(lunch, 'the booked entry reached Kimai');
    assert.deepEqual([lunch.user, lunch.project, lunch.activity], [s.ann.id, s.other.id, s.design.id]);
  });

  it('a Google edit of a booked entry keeps its booking', async () => {
    s.retitle('Sync with acme', 'Weekly sync');
    ok(await s.run('sync'), 'sync after the edit');
    const sheet = s.sheets().find((t) => text(t.description) === 'Weekly sync');
    assert.ok(
      sheet,
      `the edit reached Kimai: ${s
        .sheets()
        .map((t) => text(t.description))
        .join(', ')}`,
    );
    assert.deepEqual([sheet.user, sheet.project, sheet.activity], [s.ann.id, s.project.id, s.design.id]);
    const store = await s.hub();
    try {
      const entry = (await store.listScope('work', 'timeEntry')).find((r) => r.fields.description === 'Weekly sync')!;
      assert.deepEqual(entry.fields.tags, ['client']);
      assert.ok(entry.fields.projectId, 'still booked on its project');
    } finally {
      await store.close();
    }
  });

  it('an entry waiting to be booked is booked by a rule added later: rules apply, then sync brings it to Kimai', async () => {
    s.addEvent(15, 'Offsite planning');
    const first = await s.run('sync');
    ok(first, 'sync of the new event');
    assert.match(first.stdout, /^1 entry waits to be booked/m);
    s.addRule(['- name: offsite', '  when: { summaryRegex: "^offsite( |$)" }', '  set: { person: ann, project: Internal, activity: Design }']);
    const applied = await s.run('rules', 'apply', '--scope', 'work');
    ok(applied, 'rules apply');
    assert.match(applied.stdout, /booked 1 entry in scope work/);
    assert.match(applied.stdout, /rule "offsite"/);
    const synced = await s.run('sync');
    ok(synced, 'sync after rules apply');
    assert.doesNotMatch(synced.stdout, /wait to be booked/);
    const sheet = s.sheets().find((t) => text(t.description) === 'Offsite planning');
    assert.ok(sheet, 'the entry booked by rules apply reached Kimai');
    assert.deepEqual([sheet.user, sheet.project, sheet.activity], [s.ann.id, s.other.id, s.design.id]);
  });
});
