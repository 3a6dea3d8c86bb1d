/**
 * Link templates (app/link-templates.ts): one link per Kimai user, expanded from the Kimai
 * emulator's users. A new user gets links on the next expansion, a disabled one has its
 * links disabled (kept, its hub records and calendar untouched), the allow-list and
 * deny-list choose users, and the derived links run: the Kimai user's timesheets reach a
 * Google calendar of their own, made and shared by the Google connector.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { covers, expandTemplate, LinkTemplates } from '../../src/app/link-templates.js';
import { parseConfig } from '../../src/app/config.js';
import { linkTemplateSchema } from '../../src/app/config-schema.js';
import { createGoogleEmulator, DEMO_REFRESH_TOKEN, type GoogleEmulator } from '../../src/emulators/google/index.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../src/emulators/google/oauth.js';
import { newTimesheet, newUser } from '../../src/emulators/kimai/kimai-data.js';
import { runLink } from '../../src/runtime/run-link.js';
import { startKimai, testData, ADMIN_TOKEN } from '../connectors/kimai/kimai-fixture.js';
import { workspace, type Workspace } from '../support/workspace.js';

const CLOCK = new Date();
const HOUR = 3_600_000;

const template = (forEach: string) =>
  [
    'linkTemplates:',
    '  per-user:',
    `    forEach: ${forEach}`,
    '    links:',
    "      - { name: 'kimai-{key}', connection: kimai, scope: 'staff-{key}', externalKind: timesheet, collection: '{key}', window: { pastDays: 31, futureDays: 31 } }",
    "      - { name: 'cal-{key}', connection: google, scope: 'staff-{key}', collection: 'Kimai {name}', mapper: google-export }",
  ].join('\n');

function yaml(kUrl: string, gUrl: string, forEach = '{ connection: kimai, except: [anna] }'): string {
  return [
    'store:',
    '  path: hub.sqlite',
    'connections:',
    `  kimai: { type: kimai, url: "${kUrl}", token: ${ADMIN_TOKEN}, timeZone: UTC }`,
    `  google: { type: google-calendar, baseUrl: "${gUrl}/calendar/v3", tokenUrl: "${gUrl}/token", auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" }, create: { timeZone: UTC, shareWith: [{ email: boss@example.com, role: owner }] } }`,
    'links:',
    '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
    '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
    '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
    '  kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
    template(forEach),
    '',
  ].join('\n');
}

describe('expanding a template (pure)', () => {
  const t = linkTemplateSchema.parse({
    forEach: { connection: 'aw' },
    links: [{ name: 'aw-{key}', connection: 'aw', collection: '{key}', scope: 'aw-{key}', options: { note: 'for {name}' } }],
  });

  it('puts the key and name into every text, and makes the name fit a link name', () => {
    const [d] = expandTemplate(t, { key: 'AB C', name: 'Anna Berg' });
    assert.ok(d && 'config' in d, JSON.stringify(d));
    assert.equal(d.name, 'aw-AB-C');
    assert.equal(d.config.collection, 'AB C');
    assert.deepEqual(d.config.options, { note: 'for Anna Berg' });
    assert.equal(d.config.scope, 'aw-AB-C', 'a scope is a name too');
  });

  it('names what is wrong with a link it cannot make', () => {
    const bad = linkTemplateSchema.parse({ ...t, links: [{ name: 'aw-{key}', connection: 'aw', scope: 's', conflict: '{name}' }] });
    const [d] = expandTemplate(bad, { key: 'a', name: 'x' });
    assert.ok(d && 'problem' in d);
    assert.match(d.problem, /^conflict: /);
  });

  it('only: takes just the listed collections, by key or name; except: all but those', () => {
    const only = linkTemplateSchema.parse({ ...t, forEach: { connection: 'aw', only: ['ABC', 'Dora'] } });
    assert.deepEqual(
      [
        { key: 'ABC', name: 'Anna' },
        { key: 'DEF', name: 'Dora' },
        { key: 'GHI', name: 'Gil' },
      ].map((c) => covers(only, c)),
      [true, true, false],
    );
    const except = linkTemplateSchema.parse({ ...t, forEach: { connection: 'aw', except: ['GHI'] } });
    assert.deepEqual([covers(except, { key: 'ABC', name: 'Anna' }), covers(except, { key: 'GHI', name: 'Gil' })], [true, false]);
  });

  it('the config refuses a template whose link name has no {key}, both lists at once, or an unknown connection', () => {
    const base = 'connections:\n  kimai: { type: kimai, url: "http://x", token: t }\n';
    const load = (tpl: string) => () => parseConfig(base + tpl, 'timebridge.yaml', {});
    assert.throws(
      load("linkTemplates:\n  t:\n    forEach: { connection: kimai }\n    links: [{ name: 'k', connection: kimai, scope: s }]\n"),
      /linkTemplates\.t\.links\.0\.name: must contain \{key\}/,
    );
    assert.throws(
      load("linkTemplates:\n  t:\n    forEach: { connection: kimai, only: [a], except: [b] }\n    links: [{ name: 'k-{key}', connection: kimai, scope: s }]\n"),
      /give only or except, not both/,
    );
    assert.throws(
      load("linkTemplates:\n  t:\n    forEach: { connection: nope }\n    links: [{ name: 'k-{key}', connection: kimai, scope: s }]\n"),
      /linkTemplates\.t\.forEach\.connection: no connection named "nope"/,
    );
    assert.throws(
      load("linkTemplates:\n  t:\n    forEach: { connection: kimai }\n    links: [{ name: 'k-{key}', connection: kimai, scope: s, externalKind: nothing }]\n"),
      /linkTemplates\.t\.links\.0\.externalKind: kimai has no kind "nothing"/,
    );
  });
});

describe('a template over the Kimai emulator’s users', () => {
  let kimai: Awaited<ReturnType<typeof startKimai>>;
  let google: GoogleEmulator;
  let ws: Workspace;
  let templates: LinkTemplates;

  before(async () => {
    const data = testData();
    // One timesheet of ben's (user 2) today, on Website / Meeting.
    const begin = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 9 * HOUR;
    newTimesheet(data, { user: 2, project: 20, activity: 30, begin, description: 'Hotline duty', modifiedAt: begin - HOUR });
    kimai = await startKimai({ data });
    google = createGoogleEmulator({ seed: 1 });
    ws = await workspace(yaml(kimai.base, await google.listen()), { clock: () => CLOCK, prefix: 'tb-template-', scope: 'staff-2' });
    templates = new LinkTemplates(ws.app.catalog!, ws.app.config.config.linkTemplates, () => CLOCK);
  });
  after(async () => {
    await ws.close();
    await kimai.close();
    await google.close();
  });

  const derived = async () =>
    Object.fromEntries(
      (await ws.app.catalog!.listLinks()).filter((l) => l.derived).map((l) => [l.name, { enabled: l.enabled, key: l.derived!.key, reason: l.derived!.reason }]),
    );
  const calendar = (summary: string) => [...google.store.calendars.values()].find((c) => c.cal.summary === summary);
  const run = async (name: string) => {
    const spec = await ws.app.catalog!.linkSpec(name);
    const r = await runLink(spec, { store: ws.app.store, clock: () => CLOCK }, { trigger: 'test' });
    assert.ok(['ok', 'partial'].includes(r.run.status), `${name}: ${JSON.stringify(r.run.errors)}`);
    return r;
  };

  it('makes a link pair for each user the deny-list lets in, and the pair runs: the timesheet lands in a calendar made and shared for the user', async () => {
    const r = await templates.reconcile('per-user');
    assert.deepEqual(r.created.sort(), ['cal-2', 'kimai-2']);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(await derived(), { 'cal-2': { enabled: true, key: '2', reason: null }, 'kimai-2': { enabled: true, key: '2', reason: null } });
    assert.deepEqual((await templates.reconcile('per-user')).created, [], 'a second expansion makes nothing new');

    for (const l of ['kimai-customers', 'kimai-projects', 'kimai-activities', 'kimai-users', 'kimai-2', 'cal-2']) await run(l);
    const cal = calendar('Kimai ben');
    assert.ok(cal, 'the calendar "Kimai ben" was made');
    assert.equal(cal.acl.get('user:boss@example.com')?.role, 'owner', 'and shared with the configured owner');
    const events = [...cal.events.values()].map((s) => s.ev).filter((e) => e.status !== 'cancelled');
    assert.deepEqual(
      events.map((e) => e.summary),
      ['[TB] Hotline duty'],
    );
    assert.equal(calendar('Kimai anna'), undefined, 'anna is on the deny-list');
  });

  it('a user added in Kimai gets links on the next expansion', async () => {
    const carl = newUser(kimai.data(), { username: 'carl', timezone: 'UTC', admin: false, apiToken: 'carl-token-0123456789', apiPassword: 'carl-pass' });
    const r = await templates.reconcile('per-user');
    assert.deepEqual(r.created.sort(), [`cal-${carl.id}`, `kimai-${carl.id}`]);
    assert.equal((await derived())[`kimai-${carl.id}`]?.enabled, true);
  });

  it('a user disabled in Kimai has their links disabled with a reason; the hub records and the calendar stay', async () => {
    const before = (await ws.records('timeEntry', 'staff-2')).map((r) => `${r.id}@${r.version}`);
    assert.equal(before.length, 1);
    kimai.data().users.find((u) => u.username === 'ben')!.enabled = false;
    const r = await templates.reconcile('per-user');
    assert.deepEqual(r.disabled.map((d) => d.name).sort(), ['cal-2', 'kimai-2']);
    const d = await derived();
    assert.equal(d['kimai-2']?.enabled, false);
    assert.match(d['kimai-2']?.reason ?? '', /ben \(2\) is inactive in kimai/);
    assert.deepEqual(
      (await ws.records('timeEntry', 'staff-2')).map((x) => `${x.id}@${x.version}`),
      before,
      'no hub record was touched',
    );
    const cal = calendar('Kimai ben');
    assert.ok(cal, 'the calendar is kept');
    assert.equal([...cal.events.values()].filter((s) => s.ev.status !== 'cancelled').length, 1, 'with its event');

    kimai.data().users.find((u) => u.username === 'ben')!.enabled = true;
    assert.deepEqual((await templates.reconcile('per-user')).enabled.sort(), ['cal-2', 'kimai-2'], 'back in Kimai: enabled again');
  });

  it('a link disabled by hand stays disabled; a user the allow-list leaves out has their links disabled, never deleted', async () => {
    const carl = kimai.data().users.find((u) => u.username === 'carl')!;
    await ws.app.catalog!.setLinkEnabled(`kimai-${carl.id}`, false);
    await templates.reconcile('per-user');
    assert.equal((await derived())[`kimai-${carl.id}`]?.enabled, false, 'the hand-made choice is kept');

    const tpl = ws.app.config.config.linkTemplates['per-user']!;
    const only = new LinkTemplates(ws.app.catalog!, { 'per-user': { ...tpl, forEach: { connection: 'kimai', only: ['carl'] } } }, () => CLOCK);
    const r = await only.reconcile('per-user');
    assert.deepEqual(r.disabled.map((x) => x.name).sort(), ['cal-2', 'kimai-2']);
    const d = await derived();
    assert.match(d['kimai-2']?.reason ?? '', /left out by linkTemplates\.per-user\.forEach/);
    assert.equal(Object.keys(d).length, 4, 'all four derived links are still in the catalog');
  });

  it('a connection that lists no collections at all disables nothing', async () => {
    const empty = new (class extends LinkTemplates {
      override collections() {
        return Promise.resolve([]);
      }
    })(ws.app.catalog!, ws.app.config.config.linkTemplates, () => CLOCK);
    const before = await derived();
    await assert.rejects(empty.reconcile('per-user'), /kimai listed no collections, and template per-user has \d+ enabled links/);
    assert.deepEqual(await derived(), before);
  });

  it('a template over a connection that cannot list collections is refused with the fix', async () => {
    const t = new LinkTemplates(
      ws.app.catalog!,
      { g: { forEach: { connection: 'google' }, links: [{ name: 'x-{key}' }], schedule: '0 3 * * *' } as never },
      () => CLOCK,
    );
    await assert.rejects(t.collections('g'), /a google-calendar connection does not list its collections/);
    await assert.rejects(t.reconcile('nope'), /no link template named "nope"/);
  });

  it('the derived links show as derived in the catalog with their template and key', async () => {
    const l = await ws.app.catalog!.getLink('cal-2');
    assert.deepEqual(l?.derived, { template: 'per-user', key: '2', name: 'ben', reason: 'collection ben (2) is left out by linkTemplates.per-user.forEach' });
    assert.equal(l?.config.collection, 'Kimai ben');
  });
});
