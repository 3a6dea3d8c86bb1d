/**
 * The link template `aw-employees` over the Advoware and Google emulators, through the real
 * CLI (a child process; build dist/ first) as a firm runs it: three employees give three pairs
 * of links and three `AW-<Kürzel>` calendars made and shared with the firm's account; an
 * employee added in Advoware gets a pair and a calendar with their appointments on the next
 * expansion; one removed and one deactivated have their links disabled with a reason, their
 * calendars and events untouched; `--only MUE` runs only MUE's links; after a two-way sync of
 * every employee `timebridge audit` is clean, and it finds a duplicate planted in Advoware.
 * A template with `only: [MUE]` (a trial) makes MUE's links and calendar alone.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliChild, type Ran } from '../../support/cli-child.js';
import { client, DEMO_USER, startEmulator, timedEvent, type Running } from '../google-calendar/google-support.js';
import { startAdvoware, type RunningAdvoware } from './advoware-fixture.js';
import { awPost, calendarsNamed, dayIn, eventsOf, FIRM, templateYaml, termine } from './advoware-workspace.js';

const ok = (r: Ran, what: string, code = 0) => assert.equal(r.code, code, `${what}: exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);

interface RunRow {
  linkId: string;
  counts: Record<string, number>;
  status: string;
  errors: unknown[];
}
/** The links a sync ran (a link that received changes from another in the same sync runs again, so once each). */
const linkIdsOf = (r: Ran) => [...new Set((JSON.parse(r.stdout) as RunRow[]).map((x) => x.linkId))].sort();

describe('the aw-employees template on the Advoware and Google emulators (CLI)', () => {
  let aw: RunningAdvoware;
  let g: Running;
  let dir: string;
  const cli = (...args: string[]) => cliChild(dir, ['--config', path.join(dir, 'timebridge.yaml'), ...args], 120_000);
  const sync = async (...args: string[]) => {
    const r = await cli('sync', ...args, '--json');
    ok(r, `sync ${args.join(' ')}`);
    const runs = JSON.parse(r.stdout) as RunRow[];
    assert.deepEqual(
      runs.filter((x) => x.status !== 'ok'),
      [],
      r.stdout,
    );
    return r;
  };

  before(async () => {
    aw = await startAdvoware({ employees: ['MUE', 'SCH', 'KLE'] });
    g = await startEmulator();
    for (const [k, text] of [
      ['MUE', 'Mandant Meier'],
      ['MUE', 'Gericht Hamburg'],
      ['SCH', 'Besprechung Schulz'],
      ['KLE', 'Frist Klein'],
    ] as const)
      await awPost(aw, {
        datum: dayIn(2),
        uhrzeitVon: text.length % 2 ? '10:00' : '14:00',
        uhrzeitBis: text.length % 2 ? '11:00' : '15:30',
        text,
        anwalt: k,
        sb: k,
      });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-aw-template-'));
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), templateYaml(aw.base, g));
  });
  after(async () => {
    await aw.close();
    await g.emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('three employees: three pairs of links, three AW- calendars made and shared with the firm, each with its appointments', async () => {
    const r = await sync('--template', 'aw-employees');
    assert.deepEqual(linkIdsOf(r), ['link:aw-KLE', 'link:aw-MUE', 'link:aw-SCH', 'link:aw-google-KLE', 'link:aw-google-MUE', 'link:aw-google-SCH']);
    for (const k of ['MUE', 'SCH', 'KLE']) {
      const [cal] = calendarsNamed(g, `AW-${k}`);
      assert.ok(cal, `AW-${k} was made`);
      assert.equal(cal.acl.get(`user:${FIRM}`)?.role, 'owner', `AW-${k} is shared with ${FIRM} as owner`);
      assert.equal(cal.cal.timeZone, 'Europe/Berlin');
    }
    assert.deepEqual((await eventsOf(g, 'AW-MUE')).map((e) => e.summary).sort(), ['Gericht Hamburg', 'Mandant Meier']);
    assert.deepEqual(
      (await eventsOf(g, 'AW-SCH')).map((e) => e.summary),
      ['Besprechung Schulz'],
    );
    assert.deepEqual(
      (await eventsOf(g, 'AW-KLE')).map((e) => e.summary),
      ['Frist Klein'],
    );
    const links = JSON.parse((await cli('links', '--json')).stdout) as { name: string; enabled: boolean; derived?: { template: string; key: string } }[];
    assert.deepEqual(
      links
        .filter((l) => l.derived?.template === 'aw-employees' && l.enabled)
        .map((l) => l.name)
        .sort(),
      ['aw-KLE', 'aw-MUE', 'aw-SCH', 'aw-google-KLE', 'aw-google-MUE', 'aw-google-SCH'],
    );
  });

  it('--only MUE runs only MUE’s links, and a second sync writes nothing', async () => {
    await awPost(aw, { datum: dayIn(3), uhrzeitVon: '08:00', uhrzeitBis: '09:00', text: 'Nur MUE', anwalt: 'MUE' });
    await awPost(aw, { datum: dayIn(3), uhrzeitVon: '08:00', uhrzeitBis: '09:00', text: 'Nicht jetzt', anwalt: 'SCH' });
    const r = await sync('--template', 'aw-employees', '--only', 'MUE');
    assert.deepEqual(linkIdsOf(r), ['link:aw-MUE', 'link:aw-google-MUE']);
    assert.ok((await eventsOf(g, 'AW-MUE')).some((e) => e.summary === 'Nur MUE'));
    assert.ok(!(await eventsOf(g, 'AW-SCH')).some((e) => e.summary === 'Nicht jetzt'), 'SCH’s link did not run');
    const again = JSON.parse((await sync('--template', 'aw-employees', '--only', 'MUE')).stdout) as { counts: Record<string, number> }[];
    const written = again.flatMap((x) => Object.entries(x.counts).filter(([k, v]) => /^(push|pull)-/.test(k) && v > 0));
    assert.deepEqual(written, [], 'a second sync of MUE writes nothing');
  });

  it('after a two-way sync of every employee the audit is clean; it finds a duplicate planted in Advoware', async () => {
    // Google → Advoware for MUE, Advoware → Google for SCH, then every employee both ways.
    const [mueCal] = calendarsNamed(g, 'AW-MUE');
    const day = dayIn(4);
    await client(g).insertEvent(mueCal!.cal.id, timedEvent('Termin aus Google', `${day}T10:00:00`, `${day}T11:00:00`));
    await sync('--template', 'aw-employees');
    await sync('--template', 'aw-employees');
    assert.ok(
      termine(aw, 'MUE').some((t) => t.text === 'Termin aus Google'),
      'the Google event reached Advoware',
    );
    const fromGoogle = termine(aw, 'MUE').find((t) => t.text === 'Termin aus Google')!;
    assert.equal(fromGoogle.sb, 'MUE', 'owner fields set to the employee');
    assert.ok((await eventsOf(g, 'AW-SCH')).some((e) => e.summary === 'Nicht jetzt'));

    const links = ['aw-MUE', 'aw-google-MUE', 'aw-SCH', 'aw-google-SCH', 'aw-KLE', 'aw-google-KLE'];
    const clean = await cli('audit', ...links, '--json');
    ok(clean, 'audit after a two-way sync');
    const reports = JSON.parse(clean.stdout) as { link: string; listed: number; duplicates: unknown[]; orphans: unknown[]; differs: unknown[] }[];
    assert.deepEqual(
      reports.map((x) => x.link),
      links,
    );
    for (const x of reports) {
      assert.deepEqual([x.duplicates, x.orphans, x.differs], [[], [], []], `${x.link}: ${JSON.stringify(x)}`);
      assert.ok(x.listed > 0, `${x.link} listed its items`);
    }
    // Each employee's appointments and Google events agree one to one.
    for (const k of ['MUE', 'SCH', 'KLE']) {
      const a = termine(aw, k)
        .map((t) => t.text)
        .sort();
      const e = (await eventsOf(g, `AW-${k}`)).map((x) => x.summary).sort();
      assert.deepEqual(e, a, `AW-${k} holds what Advoware holds for ${k}`);
      assert.equal(new Set(a).size, a.length, `no duplicates in Advoware for ${k}`);
    }

    // Someone enters Mandant Meier a second time in Advoware.
    const orig = termine(aw, 'MUE').find((t) => t.text === 'Mandant Meier')!;
    const copy = await awPost(aw, { datum: orig.datum, uhrzeitVon: orig.uhrzeitVon, uhrzeitBis: orig.uhrzeitBis, text: orig.text, anwalt: 'MUE', sb: 'MUE' });
    const found = await cli('audit', 'aw-MUE', 'aw-google-MUE', '--json');
    ok(found, 'audit with a planted duplicate', 6);
    const [awReport, gReport] = JSON.parse(found.stdout) as {
      duplicates: { side: string; ids: string[]; detail: string }[];
      orphans: { side: string; ids: string[]; detail: string }[];
      differs: unknown[];
    }[];
    assert.deepEqual(
      awReport!.duplicates.map((d) => [d.side, d.ids]),
      [['external', [String(orig.frNr), String(copy.frNr)]]],
      found.stdout,
    );
    assert.deepEqual(
      awReport!.orphans.map((o) => [o.side, o.ids]),
      [['external', [String(copy.frNr)]]],
      'the copy is paired with nothing',
    );
    assert.deepEqual(awReport!.differs, []);
    assert.deepEqual([gReport!.duplicates, gReport!.orphans, gReport!.differs], [[], [], []], 'Google is clean');
    const text = await cli('audit', 'aw-MUE');
    ok(text, 'audit as text', 6);
    assert.match(text.stdout, new RegExp(`duplicate external .*\\[${orig.frNr}, ${copy.frNr}\\]`));
  });

  it('an employee added gets a pair and a calendar with their appointments; one removed and one deactivated are disabled, calendars untouched', async () => {
    const add = await fetch(`${aw.base}/_emulator/advoware/employees`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kuerzel: 'NEU', name: 'Neu Kollegin' }),
    });
    assert.equal(add.status, 201, await add.text());
    await awPost(aw, { datum: dayIn(2), uhrzeitVon: '09:30', uhrzeitBis: '10:00', text: 'Einarbeitung', anwalt: 'NEU', sb: 'NEU' });
    const r = await sync('--template', 'aw-employees', '--only', 'NEU');
    assert.deepEqual(linkIdsOf(r), ['link:aw-NEU', 'link:aw-google-NEU']);
    assert.equal(calendarsNamed(g, 'AW-NEU')[0]?.acl.get(`user:${FIRM}`)?.role, 'owner');
    assert.deepEqual(
      (await eventsOf(g, 'AW-NEU')).map((e) => e.summary),
      ['Einarbeitung'],
    );

    const before = { sch: await eventsOf(g, 'AW-SCH'), kle: await eventsOf(g, 'AW-KLE'), cals: g.emulator.store.calendars.size };
    const del = await fetch(`${aw.base}/_emulator/advoware/employees/SCH`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    aw.emu.data().employees.find((e) => e.kuerzel === 'KLE')!.aktiv = false;
    const after = await sync('--template', 'aw-employees');
    assert.match(
      (await cli('sync', '--template', 'aw-employees')).stdout,
      /template aw-employees: 3 collections/,
      'the expansion reads the employees again (MUE, KLE, NEU)',
    );
    const ran = linkIdsOf(after);
    assert.ok(!ran.some((l) => /SCH|KLE/.test(l)), `the disabled links did not run: ${ran.join(', ')}`);
    const links = JSON.parse((await cli('links', '--json')).stdout) as { name: string; enabled: boolean; derived?: { reason: string | null } }[];
    const state = (n: string) => {
      const l = links.find((x) => x.name === n);
      assert.ok(l, `${n} is still listed`);
      return [l.enabled, l.derived?.reason ?? null];
    };
    for (const n of ['aw-SCH', 'aw-google-SCH']) {
      const [enabled, reason] = state(n);
      assert.equal(enabled, false, `${n} is disabled`);
      assert.match(String(reason), /SCH/, `${n} says why: ${reason}`);
    }
    for (const n of ['aw-KLE', 'aw-google-KLE']) {
      const [enabled, reason] = state(n);
      assert.equal(enabled, false, `${n} is disabled`);
      assert.match(String(reason), /inactive/, `${n} says why: ${reason}`);
    }
    assert.deepEqual(state('aw-MUE'), [true, null]);
    assert.equal(g.emulator.store.calendars.size, before.cals, 'no calendar deleted');
    assert.deepEqual(await eventsOf(g, 'AW-SCH'), before.sch, 'SCH’s calendar and events untouched');
    assert.deepEqual(await eventsOf(g, 'AW-KLE'), before.kle, 'KLE’s calendar and events untouched');
    assert.ok(termine(aw, 'SCH').length > 0, 'SCH’s appointments untouched in Advoware');
  });

  it('a trial with only: [MUE] makes MUE’s links and calendar alone', async () => {
    const g2 = await startEmulator();
    const trial = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-aw-trial-'));
    try {
      fs.writeFileSync(path.join(trial, 'timebridge.yaml'), templateYaml(aw.base, g2, '{ connection: aw, only: [MUE] }'));
      const r = await cliChild(trial, ['--config', path.join(trial, 'timebridge.yaml'), 'sync', '--json'], 120_000);
      ok(r, 'sync of the trial');
      assert.deepEqual(linkIdsOf(r), ['link:aw-MUE', 'link:aw-google-MUE']);
      assert.deepEqual(
        [...g2.emulator.store.calendars.values()].map((c) => c.cal.summary).filter((s) => s.startsWith('AW-')),
        ['AW-MUE'],
      );
      assert.equal(calendarsNamed(g2, 'AW-MUE')[0]!.owner, DEMO_USER);
      const links = JSON.parse((await cliChild(trial, ['--config', path.join(trial, 'timebridge.yaml'), 'links', '--json'])).stdout) as {
        name: string;
        enabled: boolean;
        derived?: { reason: string | null };
      }[];
      assert.deepEqual(
        links.map((l) => [l.name, l.enabled]).sort(),
        [
          ['aw-MUE', true],
          ['aw-google-MUE', true],
        ],
        'no links are made for the employees left out',
      );
    } finally {
      await g2.emulator.close();
      fs.rmSync(trial, { recursive: true, force: true });
    }
  });
});
