/** The shared connector contract, run against the Tempo worklog connector on the emulators (Tempo on Jira site A). */
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import type { WorklogItem } from '../../../src/connectors/kit/atlassian/jira-types.js';
import { movableClock, siteData, startJira, startTempo, tempoConnector } from '../jira/jira-fixture.js';

function sample(n: number): WorklogItem {
  const start = new Date(Date.UTC(2026, 2, 2, 6) + n * 3_600_000).toISOString().slice(0, 19) + 'Z';
  return {
    // Ada works in Berlin: Tempo stores her local time, and gives the same instant back.
    issueId: String(n % 2 ? 1001 : 1002),
    authorAccountId: n % 3 ? 'a:ada' : 'a:ben',
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

const comparable = (w: WorklogItem) => ({
  issueId: w.issueId,
  author: w.authorAccountId,
  start: w.start,
  seconds: w.seconds,
  description: w.description,
  billable: w.billableSeconds,
});

connectorContractSuite<WorklogItem>('tempo worklogs (collection A)', async () => {
  const jira = await startJira(siteData('A', 1000), movableClock());
  const tempo = await startTempo(jira);
  return {
    connector: tempoConnector<WorklogItem>(tempo.base, jira.base, 'worklog', 'A'),
    fresh: () => tempoConnector<WorklogItem>(tempo.base, jira.base, 'worklog', 'A'),
    sample,
    change: (d) => ({ ...d, description: `${d.description ?? ''} (changed)`, seconds: d.seconds + 1800, billableSeconds: 600 }),
    same: (a, b) => JSON.stringify(comparable(a)) === JSON.stringify(comparable(b)),
    teardown: async () => {
      await tempo.close();
      await jira.close();
    },
  };
});
