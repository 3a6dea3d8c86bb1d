/**
 * Advoware ↔ hub ↔ Google Calendar, both emulators, through a workspace built from a
 * timebridge.yaml as a user writes it: each mapping rule both ways (default times, an
 * end of 00:00, multi-day, all-day, series that map and ones that do not), owner fields on
 * create, edits and deletions both ways (a deletion only with the evidence of a read by
 * number), the anonymised mode both ways, and convergence without further writes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { GEvent } from '../../../src/connectors/google-calendar/google-types.js';
import { workspace, type Workspace } from '../../support/workspace.js';
import { client, newCalendar, startEmulator, type Running } from '../google-calendar/google-support.js';
import { startAdvoware, type RunningAdvoware } from './advoware-fixture.js';
import { CLOCK, awPatch, awPost, awYaml, googleEvents, termine, writes } from './advoware-workspace.js';

describe('Advoware ↔ Google through the hub', () => {
  let aw: RunningAdvoware;
  let g: Running;
  let ws: Workspace;
  let cal: string;
  const links = ['aw-MUE', 'g-MUE'];
  const sync = () => ws.runAll(links);

  before(async () => {
    aw = await startAdvoware({ employees: ['MUE', 'SCH'] });
    g = await startEmulator();
    cal = await newCalendar(g, 'AW-MUE');
    ws = await workspace(awYaml(aw.base, g, [{ kuerzel: 'MUE', calendar: cal }]), { clock: () => CLOCK, prefix: 'tb-aw-' });
  });
  after(async () => {
    await ws.close();
    fs.rmSync(ws.dir, { recursive: true, force: true });
    await aw.close();
    await g.emulator.close();
  });

  it('brings every mapping rule from Advoware to Google, and converges', async () => {
    await awPost(aw, { datum: '2026-03-12', text: 'Ohne Uhrzeit', anwalt: 'MUE' });
    await awPost(aw, { datum: '2026-03-13', uhrzeitVon: '20:00', uhrzeitBis: '00:00:00', text: 'Bis Mitternacht', anwalt: 'MUE' });
    await awPost(aw, { datum: '2026-03-14', uhrzeitVon: '09:00', datumBis: '2026-03-16', uhrzeitBis: '17:00', text: 'Drei Tage', anwalt: 'MUE' });
    await awPost(aw, { datum: '2026-03-20', datumBis: '2026-03-21', dauertermin: 1, text: 'Ganztägig', anwalt: 'MUE' });
    await awPost(aw, {
      datum: '2026-03-17',
      uhrzeitVon: '08:30',
      uhrzeitBis: '09:00',
      turnus: 1,
      turnusArt: 2,
      datumBis: '2026-06-30',
      text: 'Wöchentlich',
      anwalt: 'MUE',
    });
    await awPost(aw, { datum: '2026-03-18', uhrzeitVon: '11:00', turnus: 2, turnusArt: 0, text: 'Turnus ohne Art', anwalt: 'MUE' });
    await awPost(aw, { datum: '2026-03-19', uhrzeitVon: '11:00', text: 'Kollege', anwalt: 'SCH' });
    await awPost(aw, { frNr: -9, datum: '2026-03-19', dauertermin: 1, text: 'Urlaub', anwalt: 'MUE' });
    const first = await sync();
    assert.deepEqual(
      first.flatMap((r) => r.run.errors),
      [],
    );
    const events = await googleEvents(g, cal);
    const by = (s: string) => {
      const e = events.find((x) => x.summary === s);
      assert.ok(e, `${s} is in Google (${events.map((x) => x.summary).join(', ')})`);
      return e;
    };
    assert.equal(events.length, 6, 'MUE entries only, no special entry');
    const t = (e: GEvent) => [e.start?.dateTime ?? e.start?.date, e.end?.dateTime ?? e.end?.date];
    assert.deepEqual(t(by('Ohne Uhrzeit')), ['2026-03-12T09:00:00+01:00', '2026-03-12T10:00:00+01:00']);
    assert.deepEqual(t(by('Bis Mitternacht')), ['2026-03-13T20:00:00+01:00', '2026-03-14T00:00:00+01:00']);
    assert.deepEqual(t(by('Drei Tage')), ['2026-03-14T09:00:00+01:00', '2026-03-16T17:00:00+01:00']);
    assert.deepEqual(t(by('Ganztägig')), ['2026-03-20', '2026-03-22']);
    assert.deepEqual(by('Wöchentlich').recurrence, ['RRULE:FREQ=WEEKLY;UNTIL=20260630T063000Z']);
    assert.equal(by('Turnus ohne Art').recurrence, undefined, 'a series that does not map is a single event');
    const odd = await ws.byField('event', 'summary', 'Turnus ohne Art');
    assert.deepEqual((odd.fields['extras'] as Record<string, unknown>)['advoware'], { turnusNotMapped: 'turnus=2;turnusArt=0' });
    assert.equal(writes(await sync()), 0, 'a second run writes nothing');
  });

  it('brings Google events to Advoware with the owner set, and names an RRULE Advoware cannot hold', async () => {
    const c = client(g);
    await c.insertEvent(cal, {
      summary: 'Aus Google',
      description: 'Zeile 1\nZeile 2',
      location: 'Gericht',
      start: { dateTime: '2026-04-02T10:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-04-02T11:30:00', timeZone: 'Europe/Berlin' },
    } as GEvent);
    await c.insertEvent(cal, { summary: 'Google ganztägig', start: { date: '2026-04-06' }, end: { date: '2026-04-09' } } as GEvent);
    await c.insertEvent(cal, {
      summary: 'New York',
      start: { dateTime: '2026-04-03T08:00:00', timeZone: 'America/New_York' },
      end: { dateTime: '2026-04-03T09:00:00', timeZone: 'America/New_York' },
    } as GEvent);
    await c.insertEvent(cal, {
      summary: 'Mo und Mi',
      start: { dateTime: '2026-04-06T07:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-04-06T07:30:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6'],
    } as GEvent);
    await c.insertEvent(cal, {
      summary: 'Monatlich',
      start: { dateTime: '2026-04-07T15:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-04-07T16:00:00', timeZone: 'Europe/Berlin' },
      recurrence: ['RRULE:FREQ=MONTHLY;INTERVAL=2'],
    } as GEvent);
    await c.insertEvent(cal, {
      summary: 'G bis Mitternacht',
      start: { dateTime: '2026-04-10T20:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-04-11T00:00:00', timeZone: 'Europe/Berlin' },
    } as GEvent);
    await c.insertEvent(cal, {
      summary: 'G drei Tage',
      start: { dateTime: '2026-04-13T09:00:00', timeZone: 'Europe/Berlin' },
      end: { dateTime: '2026-04-15T17:00:00', timeZone: 'Europe/Berlin' },
    } as GEvent);
    const [gRun, awRun] = await ws.runAll(['g-MUE', 'aw-MUE']);
    assert.deepEqual([...gRun!.run.errors, ...awRun!.run.errors], []);
    const find = (text: string) => {
      const t = termine(aw).find((x) => x.text === text);
      assert.ok(t, `${text} is in Advoware`);
      return t;
    };
    const a = find('Aus Google');
    assert.deepEqual(
      [a.datum, a.uhrzeitVon, a.uhrzeitBis, a.datumBis, a.notiz.split('\r\n')[0], a.notiz.split('\r\n')[1], a.ort, a.sb, a.anwalt],
      ['2026-04-02T00:00:00', '10:00:00', '11:30:00', null, 'Zeile 1', 'Zeile 2', 'Gericht', 'MUE', 'MUE'],
    );
    const midnight = find('G bis Mitternacht');
    assert.deepEqual([midnight.datum, midnight.uhrzeitVon, midnight.datumBis, midnight.uhrzeitBis], ['2026-04-10T00:00:00', '20:00:00', null, '00:00:00']);
    const three = find('G drei Tage');
    assert.deepEqual([three.datum, three.uhrzeitVon, three.datumBis, three.uhrzeitBis], ['2026-04-13T00:00:00', '09:00:00', '2026-04-15T00:00:00', '17:00:00']);
    const all = find('Google ganztägig');
    assert.deepEqual([all.dauertermin, all.datum, all.datumBis, all.uhrzeitBis], [1, '2026-04-06T00:00:00', '2026-04-08T00:00:00', '23:59:00']);
    assert.deepEqual([find('New York').uhrzeitVon, find('New York').uhrzeitBis], ['14:00:00', '15:00:00'], 'Berlin wall time');
    const monthly = find('Monatlich');
    assert.deepEqual([monthly.turnus, monthly.turnusArt, monthly.datumBis], [2, 3, '2037-12-31T00:00:00']);
    const odd = find('Mo und Mi');
    assert.deepEqual([odd.turnus, odd.turnusArt], [0, 0], 'written as its first occurrence');
    const losses = awRun!.run.warnings.filter((w) => w.code === 'WRITE_LOSS');
    assert.equal(losses.length, 1, JSON.stringify(awRun!.run.warnings));
    assert.match(losses[0]!.message, /rrule sent .*BYDAY=MO,WE/);
    // The hub keeps the rule: Google still shows the series, and nothing moves on later runs.
    assert.deepEqual((await googleEvents(g, cal)).find((e) => e.summary === 'Mo und Mi')?.recurrence, ['RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6']);
    assert.equal(writes(await sync()), 0);
    assert.equal(writes(await sync()), 0);
  });

  it('carries edits and deletions both ways, deleting only what a read by number says is gone', async () => {
    const t = termine(aw).find((x) => x.text === 'Ohne Uhrzeit')!;
    await awPatch(aw, t.frNr, { uhrzeitVon: '13:00', text: 'Verschoben' });
    await sync();
    const ev = (await googleEvents(g, cal)).find((e) => e.summary === 'Verschoben');
    assert.equal(ev?.start?.dateTime, '2026-03-12T13:00:00+01:00');
    await client(g).updateEvent(cal, ev!.id, { ...ev!, summary: 'In Google umbenannt' }, null);
    await ws.runAll(['g-MUE', 'aw-MUE']);
    assert.equal(aw.emu.data().termine.get(t.frNr)?.text, 'In Google umbenannt');
    // A listing that leaves entries out is no evidence: nothing is deleted in Google.
    aw.emu.inject({ method: 'GET', path: 'Termine', listing: { kind: 'empty' }, times: 1 });
    const before = (await googleEvents(g, cal)).length;
    await sync();
    assert.equal((await googleEvents(g, cal)).length, before, 'an empty listing deletes nothing');
    // Deleted in Advoware → deleted in Google; deleted in Google → deleted in Advoware.
    const gone = termine(aw).find((x) => x.text === 'Bis Mitternacht')!;
    assert.equal((await fetch(`${aw.base}/_emulator/advoware/termine/${gone.frNr}`, { method: 'DELETE' })).status, 204);
    const victim = (await googleEvents(g, cal)).find((e) => e.summary === 'Drei Tage')!;
    await client(g).deleteEvent(cal, victim.id, victim.etag!);
    await sync();
    await sync();
    const summaries = (await googleEvents(g, cal)).map((e) => e.summary);
    assert.ok(!summaries.includes('Bis Mitternacht'));
    assert.ok(!termine(aw).some((x) => x.text === 'Drei Tage'));
    assert.equal(writes(await sync()), 0);
  });
});
