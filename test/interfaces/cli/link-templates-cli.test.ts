/**
 * `timebridge sync --template <name> [--only <key>]` and `timebridge audit <link…>` as a
 * user runs them: the real CLI (a child process; build dist/ first) against the Kimai
 * emulator in this process. The template expands from Kimai's users; `--only` syncs one
 * user's link; a plain `sync` expands the templates too and runs every link; the audit
 * prints text or JSON, exits 6 when it finds something, and makes Kimai answer only GETs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newTimesheet, newUser } from '../../../src/emulators/kimai/kimai-data.js';
import { ADMIN_TOKEN, startKimai, testData } from '../../connectors/kimai/kimai-fixture.js';
import { cliChild, type Ran } from '../../support/cli-child.js';

const HOUR = 3_600_000;

describe('timebridge sync --template and timebridge audit', () => {
  let kimai: Awaited<ReturnType<typeof startKimai>>;
  let dir: string;
  const cli = (...args: string[]) => cliChild(dir, ['--config', path.join(dir, 'timebridge.yaml'), ...args], 120_000);
  const ok = (r: Ran, what: string, code = 0) => assert.equal(r.code, code, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);

  before(async () => {
    const data = testData();
    const begin = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 9 * HOUR;
    newTimesheet(data, { user: 2, project: 20, activity: 30, begin, description: 'Hotline duty', modifiedAt: begin - HOUR });
    kimai = await startKimai({ data });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-template-cli-'));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'store: { path: hub.sqlite }',
        'connections:',
        `  kimai: { type: kimai, url: "${kimai.base}", token: ${ADMIN_TOKEN}, timeZone: UTC }`,
        'links:',
        '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
        '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
        '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
        '  kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
        'linkTemplates:',
        '  per-user:',
        '    forEach: { connection: kimai, except: [anna] }',
        '    links:',
        "      - { name: 'sheets-{key}', connection: kimai, scope: 'staff-{key}', externalKind: timesheet, collection: '{key}' }",
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await kimai.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sync --template expands and syncs the template’s links; --only picks one user; a plain sync expands too', async () => {
    ok(await cli('sync', 'kimai-customers', 'kimai-projects', 'kimai-activities', 'kimai-users'), 'taxonomy');
    const r = await cli('sync', '--template', 'per-user', '--only', 'ben');
    ok(r, 'sync --template --only ben');
    assert.match(r.stdout, /template per-user: 2 collections; new links sheets-2/);
    assert.match(r.stdout, /sheets-2/);

    const carl = newUser(kimai.data(), { username: 'carl', timezone: 'UTC', admin: false, apiToken: 'carl-token-0123456789', apiPassword: 'carl-pass' });
    const all = await cli('sync', '--json');
    ok(all, 'plain sync');
    const runs = JSON.parse(all.stdout) as { linkId: string; status: string }[];
    assert.deepEqual(
      runs
        .map((x) => x.linkId)
        .filter((l) => l.startsWith('link:sheets-'))
        .sort(),
      [`link:sheets-${carl.id}`, 'link:sheets-2'].sort(),
    );
    assert.ok(
      runs.every((x) => x.status === 'ok'),
      all.stdout,
    );

    const unknown = await cli('sync', '--template', 'per-user', '--only', 'nobody');
    ok(unknown, '--only of an unknown user', 2);
    assert.match(unknown.stderr, /has no enabled link of nobody/);
    assert.match(unknown.stderr, /2 \(ben\)/);
    const listed = await cli('links');
    ok(listed, 'links');
    assert.match(listed.stdout, /sheets-2 +kimai +staff-2 +enabled +template per-user \(2, ben\)\n/);
    assert.match(listed.stdout, /kimai-users +kimai +work +enabled +timebridge\.yaml/);

    // Carl leaves (disabled in Kimai): the next expansion disables his link and says why; the link stays listed.
    kimai.data().users.find((u) => u.id === carl.id)!.enabled = false;
    const left = await cli('sync', '--template', 'per-user');
    ok(left, 'sync after carl left');
    assert.match(left.stdout, new RegExp(`disabled sheets-${carl.id} \\(collection carl \\(${carl.id}\\) is inactive in kimai\\)`));
    const after = JSON.parse((await cli('links', '--json')).stdout) as { name: string; enabled: boolean; derived?: { reason: string | null } }[];
    const gone = after.find((l) => l.name === `sheets-${carl.id}`);
    assert.equal(gone?.enabled, false);
    assert.match(gone?.derived?.reason ?? '', /inactive/);

    const noTemplate = await cli('sync', '--template', 'nope');
    ok(noTemplate, 'an unknown template', 1);
    assert.match(noTemplate.stderr, /no link template named "nope".*per-user/s);
  });

  it('audit prints a clean link, then finds an edit and exits 6, and reads only', async () => {
    const clean = await cli('audit', 'sheets-2');
    ok(clean, 'audit of a clean link');
    assert.match(clean.stdout, /sheets-2: 1 items in kimai, 1 hub records, 1 pairings\n {2}clean/);

    kimai.data().timesheets.find((t) => t.description === 'Hotline duty')!.description = 'Hotline duty (late)';
    kimai.counts.clear();
    const found = await cli('audit', 'sheets-2', '--json');
    ok(found, 'audit that finds a difference', 6);
    const [report] = JSON.parse(found.stdout) as { differs: { detail: string }[]; duplicates: unknown[]; orphans: unknown[] }[];
    assert.deepEqual(
      report!.differs.map((d) => d.detail),
      ['differs in description'],
    );
    assert.deepEqual([...new Set([...kimai.counts.keys()].map((k) => k.split(' ')[0]))], ['GET'], 'Kimai answered only reads');
    const text = await cli('audit', 'sheets-2');
    ok(text, 'audit as text', 6);
    assert.match(text.stdout, /differs {3}hub {6}.*Hotline duty.*differs in description/);
    ok(await cli('audit', 'nope'), 'audit of an unknown link', 2);
  });
});
