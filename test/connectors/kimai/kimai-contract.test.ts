/** The shared connector contract, run against the Kimai timesheet connector on the emulator. */
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import type { KimaiEntry } from '../../../src/connectors/kimai/kimai-types.js';
import { kimaiConnector, startKimai } from './kimai-fixture.js';

function sample(n: number): KimaiEntry {
  // Whole minutes (Kimai rounds to the minute), one hour each, n hours apart.
  const start = new Date(Date.UTC(2026, 2, 2, 6) + n * 3_600_000).toISOString().slice(0, 19) + 'Z';
  return {
    start,
    date: start.slice(0, 10),
    durationSeconds: 3600,
    breakSeconds: 0,
    timeZone: 'Europe/Berlin',
    user: 1,
    project: 20,
    activity: 31,
    description: `Entry ${n}`,
    tags: [],
    billable: true,
    exported: false,
  };
}

function comparable(e: KimaiEntry) {
  return {
    start: e.start,
    durationSeconds: e.durationSeconds,
    user: e.user,
    project: e.project,
    activity: e.activity,
    description: e.description,
    tags: e.tags,
    billable: e.billable,
  };
}

for (const collection of ['all', '1']) {
  connectorContractSuite<KimaiEntry>(`kimai timesheets (collection ${collection})`, async () => {
    const emu = await startKimai();
    return {
      connector: kimaiConnector<KimaiEntry>(emu.base, 'timesheet', collection),
      fresh: () => kimaiConnector<KimaiEntry>(emu.base, 'timesheet', collection),
      sample,
      change: (d) => ({ ...d, description: `${d.description ?? ''} (changed)`, durationSeconds: (d.durationSeconds ?? 0) + 1800, tags: ['meeting'] }),
      same: (a, b) => JSON.stringify(comparable(a)) === JSON.stringify(comparable(b)),
      teardown: () => emu.close(),
    };
  });
}
