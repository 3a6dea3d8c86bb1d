/**
 * The demo's Timekeeper part without a store: its config part is added as text at the end of
 * `connections` and `links` (the rest of the file unchanged, comments included), once, and
 * refused with a clear message where it cannot go; its data set uses the Kimai emulator's ids.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import { addTimekeeperConfig, DEMO_TK_LINKS, demoTimekeeperSeed } from '../../../src/interfaces/cli/demo-timekeeper.js';
import { demoData } from '../../../src/emulators/kimai/kimai-data.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-demo-tk-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const CONFIG = [
  'store:',
  '  path: hub.sqlite',
  'connections:',
  '  work: { type: ics-folder, path: calendars/work }   # a comment that stays',
  '  kimai:',
  '    type: kimai',
  '    url: http://127.0.0.1:1',
  '    token: t',
  '# the links',
  'links:',
  '  work: { connection: work, scope: team }',
  'booking:',
  '  team: []',
  '',
].join('\n');

describe("the demo's Timekeeper config part", () => {
  it('adds the connections and links at the end of their blocks, leaving every other line as it was, once', () => {
    const file = path.join(dir, 'a.yaml');
    fs.writeFileSync(file, CONFIG);
    assert.equal(addTimekeeperConfig(file), true);
    const text = fs.readFileSync(file, 'utf8');
    const kept = text.split('\n').filter((l) => !/timekeeper|tkkimai|^ {2}tk-|^ {2}# /.test(l));
    assert.deepEqual(kept, CONFIG.split('\n'), 'the other lines are unchanged and in order');
    const parsed = YAML.parse(text) as { connections: Record<string, { type: string }>; links: Record<string, unknown>; booking: unknown };
    assert.deepEqual(Object.keys(parsed.connections), ['work', 'kimai', 'timekeeper', 'tkkimai']);
    assert.deepEqual(Object.keys(parsed.links), ['work', ...Object.keys(DEMO_TK_LINKS)]);
    assert.deepEqual(parsed.links['tk-kimai-timesheets'], DEMO_TK_LINKS['tk-kimai-timesheets']);
    assert.deepEqual(parsed.booking, { team: [] });
    assert.equal(addTimekeeperConfig(file), false, 'a second call writes nothing');
    assert.equal(fs.readFileSync(file, 'utf8'), text);
  });

  it('refuses a config whose links are a flow mapping, saying to add the part by hand, and leaves it alone', () => {
    const file = path.join(dir, 'b.yaml');
    const flow = 'connections:\n  work: { type: ics-folder, path: w }\nlinks: { work: { connection: work, scope: team } }\n';
    fs.writeFileSync(file, flow);
    assert.throws(() => addTimekeeperConfig(file), /connections and links are not block mappings; add the Timekeeper part by hand/);
    assert.equal(fs.readFileSync(file, 'utf8'), flow);
  });

  it("seeds Timekeeper with the Kimai emulator's ids: its taxonomy, its users' accounts, work logs on project activities", () => {
    const now = new Date(Date.UTC(2026, 11, 7, 12));
    const kimai = demoData(now);
    const seed = demoTimekeeperSeed(now);
    assert.deepEqual(
      seed.activities.map((a) => [a.kimaiId, a.name, a.project]),
      kimai.activities.map((a) => [a.id, a.name, a.project]),
    );
    assert.deepEqual(
      seed.persons.map((p) => [p.username, p.kimaiUserId]),
      kimai.users.map((u) => [u.username, u.id]),
    );
    for (const w of seed.workLogs) {
      const activity = kimai.activities.find((a) => a.id === w.kimaiActivityId);
      assert.ok(activity && activity.project !== null, `${w.key}: a project's activity (a global one has no project in Timekeeper)`);
    }
    assert.deepEqual(
      seed.workLogs.map((w) => w.date),
      ['2026-12-04', '2026-12-03', '2026-12-04'],
    );
    assert.deepEqual(
      seed.timesheets.map((t) => [t.username, t.month, t.state]),
      [
        ['anna', '2026-12', 'draft'],
        ['ben', '2026-12', 'draft'],
      ],
    );
  });
});
