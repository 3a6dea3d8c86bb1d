/**
 * Advoware ↔ Google through the hub when things go wrong or are hidden: the anonymised mode
 * both ways (Google gets busy blocks; a title edit there is ignored, a move is taken), a
 * token that expires in the middle of a run (one new token, the run goes on), and 20 % of
 * gateway and API calls failing — errors, 429s and creates whose answer is lost — with a
 * fixed seed: repeated runs converge with every appointment once on each side.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { GEvent } from '../../../src/connectors/google-calendar/google-types.js';
import { workspace, type Workspace } from '../../support/workspace.js';
import { client, newCalendar, startEmulator, type Running } from '../google-calendar/google-support.js';
import { startAdvoware, type RunningAdvoware } from './advoware-fixture.js';
import { CLOCK, awPost, awYaml, googleEvents, termine, writes } from './advoware-workspace.js';

describe('anonymised Google calendar', () => {
  let aw: RunningAdvoware, g: Running, ws: Workspace, cal: string;
  const sync = () => ws.runAll(['aw-SCH', 'g-SCH']);
  before(async () => {
    aw = await startAdvoware();
    g = await startEmulator();
    cal = await newCalendar(g, 'AW-SCH');
    ws = await workspace(awYaml(aw.base, g, [{ kuerzel: 'SCH', calendar: cal, anonymise: true }]), { clock: () => CLOCK, prefix: 'tb-aw-anon-' });
  });
  after(async () => {
    await ws.close();
    fs.rmSync(ws.dir, { recursive: true, force: true });
    await aw.close();
    await g.emulator.close();
  });

  it('shows busy blocks in Google, takes moves from there and ignores title and notes edits', async () => {
    const t = await awPost(aw, {
      datum: '2026-03-12',
      uhrzeitVon: '10:00',
      uhrzeitBis: '11:00',
      text: 'Mandant Meier: Scheidung',
      notiz: 'vertraulich',
      ort: 'Büro',
      anwalt: 'SCH',
    });
    await sync();
    const [ev] = await googleEvents(g, cal);
    assert.ok(ev);
    assert.deepEqual([ev.summary, ev.description, ev.location], ['Busy', undefined, undefined]);
    assert.equal(ev.start?.dateTime, '2026-03-12T10:00:00+01:00');
    const hub = await ws.byField('event', 'start', '2026-03-12T10:00:00');
    assert.equal(hub.fields['summary'], 'Mandant Meier: Scheidung', 'the hub keeps the real title');

    await client(g).updateEvent(
      cal,
      ev.id,
      {
        ...ev,
        summary: 'Umbenannt in Google',
        description: 'neue Notiz',
        start: { dateTime: '2026-03-12T14:00:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2026-03-12T15:30:00', timeZone: 'Europe/Berlin' },
      } as GEvent,
      null,
    );
    await ws.runAll(['g-SCH', 'aw-SCH']);
    const now = aw.emu.data().termine.get(t.frNr)!;
    assert.deepEqual([now.uhrzeitVon, now.uhrzeitBis], ['14:00:00', '15:30:00'], 'the move reached Advoware');
    assert.deepEqual([now.text, now.notiz, now.ort], ['Mandant Meier: Scheidung', 'vertraulich', 'Büro'], 'title, notes and location stayed');
    assert.equal(writes(await sync()), 0, 'converged');

    // An Advoware title edit changes nothing Google shows.
    await fetch(`${aw.base}/_emulator/advoware/termine/${t.frNr}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Mandant Meier: Termin' }),
    });
    await sync();
    const [shown] = await googleEvents(g, cal);
    assert.notEqual(shown?.summary, 'Mandant Meier: Termin');
    assert.equal(writes(await sync()), 0);
  });
});

describe('faults on the way', () => {
  let aw: RunningAdvoware, g: Running, ws: Workspace, cal: string;
  let emuClock = Date.now();
  before(async () => {
    // The emulator's clock moves a second each time it is read: tokens of 20 s die during a run, whatever the connector's clock says.
    aw = await startAdvoware({ seed: 42, now: () => (emuClock += 1000), gateway: { tokenLifetimeSec: 20, maxSkewSec: 10 ** 9 } });
    g = await startEmulator({ seed: 42 });
    cal = await newCalendar(g, 'AW-MUE');
    ws = await workspace(awYaml(aw.base, g, [{ kuerzel: 'MUE', calendar: cal }], '    tokenRefreshMarginSec: 0'), {
      clock: () => CLOCK,
      prefix: 'tb-aw-faults-',
    });
  });
  after(async () => {
    await ws.close();
    fs.rmSync(ws.dir, { recursive: true, force: true });
    await aw.close();
    await g.emulator.close();
  });

  it('gets a new token when one expires mid-run and goes on', async () => {
    for (let i = 0; i < 30; i++)
      await awPost(aw, { datum: `2026-04-${String((i % 28) + 1).padStart(2, '0')}`, uhrzeitVon: '08:00', text: `Token ${i}`, anwalt: 'MUE' });
    const tokensBefore = aw.emu.counts.get('POST /api/v1/Token') ?? 0;
    const results = await ws.runAll(['aw-MUE', 'g-MUE']);
    assert.deepEqual(
      results.flatMap((r) => r.run.errors),
      [],
    );
    assert.ok((aw.emu.counts.get('POST /api/v1/Token') ?? 0) - tokensBefore >= 2, 'a second token was fetched during the run');
    assert.equal((await googleEvents(g, cal)).filter((e) => e.summary?.startsWith('Token ')).length, 30);
  });

  it('converges under 20 % gateway and API faults with every appointment once on each side', async (t) => {
    const c = client(g);
    for (let i = 0; i < 20; i++)
      await awPost(aw, { datum: `2026-05-${String((i % 28) + 1).padStart(2, '0')}`, uhrzeitVon: '09:00', text: `Advoware ${i}`, anwalt: 'MUE' });
    for (let i = 0; i < 20; i++) {
      const day = `2026-06-${String((i % 28) + 1).padStart(2, '0')}`;
      await c.insertEvent(cal, {
        summary: `Google ${i}`,
        start: { dateTime: `${day}T11:00:00`, timeZone: 'Europe/Berlin' },
        end: { dateTime: `${day}T12:00:00`, timeZone: 'Europe/Berlin' },
      } as GEvent);
    }
    aw.emu.inject({ path: 'Token', rate: 0.2, status: 503 });
    aw.emu.inject({ method: 'GET', path: 'Termine', rate: 0.2, status: 429, retryAfter: 0 });
    aw.emu.inject({ method: 'PUT', path: 'Termine', rate: 0.2, status: 500 });
    // A create that lands while its answer is lost: the retry must find it, not make it twice.
    aw.emu.inject({ method: 'POST', path: 'Termine', rate: 0.2, dropAfter: true });
    g.emulator.inject({ path: 'events', rate: 0.2, status: 503 });
    let rounds = 0;
    for (; rounds < 12; rounds++) {
      const results = await ws.runAll(['g-MUE', 'aw-MUE']);
      if (rounds > 0 && writes(results) === 0 && results.every((r) => r.run.errors.length === 0)) break;
    }
    assert.ok(rounds < 12, 'converged within 12 rounds');
    const fired = aw.emu.faults.list().reduce((n, f) => n + f.fired, 0);
    assert.ok(fired > 5, `faults fired (${fired})`);
    t.diagnostic(`converged after ${rounds + 1} rounds; ${fired} Advoware faults fired`);
    aw.emu.faults.clear();
    g.emulator.faults.clear();
    const texts = termine(aw).map((t) => t.text);
    const summaries = (await googleEvents(g, cal)).map((e) => e.summary ?? '');
    for (const prefix of ['Advoware ', 'Google ']) {
      const a = texts.filter((x) => x.startsWith(prefix));
      const s = summaries.filter((x) => x.startsWith(prefix));
      assert.equal(a.length, 20, `${prefix}: 20 in Advoware, no duplicate (${a.length})`);
      assert.equal(new Set(a).size, 20);
      assert.equal(s.length, 20, `${prefix}: 20 in Google, no duplicate (${s.length})`);
      assert.equal(new Set(s).size, 20);
    }
  });
});
