/** The shared connector contract, run against the Jira native worklog connector on the emulator. */
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import type { WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { jiraConnector, movableClock, siteData, startJira } from './jira-fixture.js';

function sample(n: number): WorklogItem {
  const start = new Date(Date.UTC(2026, 2, 2, 6) + n * 3_600_000).toISOString().slice(0, 19) + 'Z';
  return {
    issueId: String(n % 2 ? 2001 : 2002),
    authorAccountId: 'b:sync',
    onBehalfOf: null,
    date: start.slice(0, 10),
    start,
    timeZone: null,
    seconds: 3600,
    description: `Entry ${n}`,
    billableSeconds: null,
    visibility: null,
    estimate: 'auto',
  };
}

const comparable = (w: WorklogItem) => ({ issueId: w.issueId, start: w.start, seconds: w.seconds, description: w.description, onBehalfOf: w.onBehalfOf });

connectorContractSuite<WorklogItem>('jira native worklogs (collection B)', async () => {
  const emu = await startJira(siteData('B', 2000), movableClock());
  return {
    connector: jiraConnector<WorklogItem>('B', emu.base, 'worklog', 'B'),
    fresh: () => jiraConnector<WorklogItem>('B', emu.base, 'worklog', 'B'),
    sample,
    change: (d) => ({ ...d, description: `${d.description ?? ''} (changed)`, seconds: d.seconds + 1800 }),
    same: (a, b) => JSON.stringify(comparable(a)) === JSON.stringify(comparable(b)),
    teardown: () => emu.close(),
  };
});
