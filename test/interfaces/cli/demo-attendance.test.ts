/**
 * `timebridge demo`'s office attendance, run as a user runs it (the CLI as a subprocess, on
 * the compiled dist/: `npm run build` first): the reservations booked by the demo reach the
 * office calendars (read from the Google emulator's data the demo keeps in the workspace),
 * Eva's hand-made event becomes an approved reservation written back into her event, and
 * exactly one approval e-mail with the PDF form lands in mail/. A second run mails nothing.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_OFFICE_CALENDARS, createGoogleEmulator, type GoogleEmulator } from '../../../src/emulators/google/index.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../../src/store/types.js';
import { cliChild, type Ran } from '../../support/cli-child.js';

describe('timebridge demo: office attendance', () => {
  let dir: string;
  let first: Ran;
  let google: GoogleEmulator;
  let store: HubStore;
  const ws = (): string => path.join(dir, 'ws');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-demo-attendance-'));
    first = await cliChild(dir, ['demo', '--dir', 'ws'], 240_000);
    google = createGoogleEmulator({ demo: false });
    google.persist(path.join(ws(), 'emulators', 'google.bin'));
    store = openSqliteStore(path.join(ws(), 'hub.sqlite'));
  });
  after(async () => {
    await store?.close();
    await google?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const live = (calendar: string) => [...google.store.calendars.get(calendar)!.events.values()].map((e) => e.ev).filter((e) => e.status !== 'cancelled');

  it('runs cleanly and names the offices, the reservations and the mail', () => {
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stdout,
      /office prague \(Prague, calendar prague-office@group\.calendar\.google\.com\): Ann Novak \S+ approved \(via api\); Eva Svoboda \S+ approved \(via calendar\)/,
    );
    assert.match(
      first.stdout,
      /office brno \(Brno, calendar brno-office@group\.calendar\.google\.com\): Petr Dvořák \S+ pending \(via api\); Ann Novak \S+ pending \(via api\)/,
    );
    assert.match(first.stdout, /approval e-mails: 1 sent now .*holds 1 in ws\/mail \(001\.eml\)/);
  });

  it('leaves every reservation as an event in its office calendar, titled by state', () => {
    const prague = live(DEMO_OFFICE_CALENDARS.prague);
    const brno = live(DEMO_OFFICE_CALENDARS.brno);
    assert.deepEqual(prague.map((e) => e.summary).sort(), ['Ann Novak', 'Eva Svoboda']);
    assert.deepEqual(brno.map((e) => e.summary).sort(), ['(Ann Novak)', '(Petr Dvořák)']);
    for (const e of [...prague, ...brno]) assert.ok(e.extendedProperties?.private?.timebridgeReservation, `${e.summary} carries the marker`);
  });

  it("turns Eva's hand-made event into one approved reservation, written back into the same event", async () => {
    const reservations = (await store.listScope('office', 'reservation')).filter((r) => !r.tombstone);
    assert.equal(reservations.length, 4);
    const fromCalendar = reservations.filter((r) => r.fields.source === 'calendar');
    assert.equal(fromCalendar.length, 1);
    assert.equal(fromCalendar[0]!.fields.state, 'approved');
    assert.equal(fromCalendar[0]!.fields.office, 'prague');
    const eva = google.store.calendars.get(DEMO_OFFICE_CALENDARS.prague)!.events.get('demomanualeva01')!.ev;
    assert.equal(eva.summary, 'Eva Svoboda');
    assert.equal((eva.creator as { email?: string } | undefined)?.email, 'eva@example.com');
    assert.equal(eva.extendedProperties?.private?.timebridgeState, 'approved');
  });

  it('mails exactly one approval, with the PDF form attached, and a second run mails none', async () => {
    const mails = fs.readdirSync(path.join(ws(), 'mail')).filter((f) => f.endsWith('.eml'));
    assert.deepEqual(mails, ['001.eml']);
    const raw = fs.readFileSync(path.join(ws(), 'mail', '001.eml'), 'utf8');
    assert.match(raw, /^To: boss@example\.com/m);
    assert.match(raw, /^Subject: Office attendance - Eva Svoboda/m);
    assert.match(raw, /Content-Type: application\/pdf; name="approval_Eva Svoboda_/);
    // The attachment's base64 starts with "%PDF-".
    assert.match(raw, /\n\s*JVBERi0/);

    const again = await cliChild(dir, ['demo', '--dir', 'ws'], 240_000);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /approval e-mails: 0 sent now/);
    assert.deepEqual(
      fs.readdirSync(path.join(ws(), 'mail')).filter((f) => f.endsWith('.eml')),
      ['001.eml'],
    );
  });
});
