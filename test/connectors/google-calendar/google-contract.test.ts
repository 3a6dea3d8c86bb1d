/** The shared connector contract, against the Google emulator: series kind, and with the event mapper's data. */
import { after, before } from 'node:test';
import type { GEventTime, GoogleItem } from '../../../src/connectors/google-calendar/google-types.js';
import { parseRfc3339, wallToInstant } from '../../../src/connectors/kit/zone-time.js';
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import { connector, newCalendar, startEmulator, type Running } from './google-support.js';

let r: Running;
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
});

function sample(n: number): GoogleItem {
  const day = String(1 + (n % 28)).padStart(2, '0');
  return {
    event: {
      id: '',
      summary: `Event ${n}`,
      location: n % 2 ? 'Room 1' : undefined,
      start: { dateTime: `2026-12-${day}T10:00:00`, timeZone: 'Europe/Berlin' },
      end: { dateTime: `2026-12-${day}T11:00:00`, timeZone: 'Europe/Berlin' },
    },
    exceptions: [],
  };
}

/** The instant of a time as written (wall time + zone) or as Google answers (with an offset). */
function instant(t: GEventTime | undefined): number {
  return parseRfc3339(t?.dateTime ?? '') ?? wallToInstant(t?.dateTime ?? '', t?.timeZone ?? 'UTC');
}

connectorContractSuite<GoogleItem>('google-calendar connector contract (emulator, small pages)', async () => {
  // Page size 7 makes the 50-item test page through eight pages.
  const calendar = await newCalendar(r);
  return {
    connector: connector(r, { calendar, pageSize: 7 }),
    fresh: () => connector(r, { calendar, pageSize: 7 }),
    sample,
    change: (d) => ({ ...d, event: { ...d.event, summary: `${d.event.summary ?? ''} (changed)` } }),
    same: (a, b) => a.event.summary === b.event.summary && a.event.location === b.event.location && instant(a.event.start) === instant(b.event.start),
    teardown: async () => undefined,
  };
});
