/** The connector contract suite on Timekeeper work logs in a real Virtuoso. */
import { after, before, describe } from 'node:test';
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import type { WorkLog } from '../../../src/connectors/timekeeper/types.js';
import { needsVirtuoso, startVirtuoso, type Virtuoso } from '../../support/virtuoso.js';
import { reseed, seedData, tkConnector } from './timekeeper-fixture.js';

describe('Timekeeper work logs on Virtuoso', needsVirtuoso(), () => {
  let v: Virtuoso;
  before(async () => {
    v = await startVirtuoso();
  });
  after(async () => {
    await v?.stop();
  });

  connectorContractSuite<WorkLog>('timekeeper work-log', async () => {
    await reseed(v, seedData());
    return {
      connector: tkConnector<WorkLog>(v, 'work-log'),
      fresh: () => tkConnector<WorkLog>(v, 'work-log'),
      sample: (n) => ({
        date: `2026-03-${String((n % 28) + 1).padStart(2, '0')}`,
        durationSeconds: 900 * (n + 1),
        person: null,
        task: null,
        kimaiUserId: n % 2 ? '1' : '2',
        kimaiActivityId: n % 3 ? '31' : '32',
        kimaiProjectId: null,
      }),
      change: (d) => ({
        ...d,
        durationSeconds: (d.durationSeconds ?? 0) + 1800,
        person: null,
        task: null,
        kimaiActivityId: d.kimaiActivityId === '31' ? '32' : '31',
      }),
      same: (a, b) =>
        a.date === b.date && a.durationSeconds === b.durationSeconds && a.kimaiUserId === b.kimaiUserId && a.kimaiActivityId === b.kimaiActivityId,
      teardown: async () => undefined,
    };
  });
});
