/**
 * The connector registry: connector type name (its folder) → its entry
 * (`connectors/kit/entry.ts`). One of the two places, with the composition root, that
 * imports concrete connectors.
 */
import type { ConnectorEntry } from './kit/entry.js';
import { advowareEntry } from './advoware/index.js';
import { caldavEntry } from './caldav/index.js';
import { githubEntry } from './github/index.js';
import { googleCalendarEntry } from './google-calendar/index.js';
import { icsFolderEntry } from './ics-folder/index.js';
import { jiraEntry } from './jira/index.js';
import { kimaiEntry } from './kimai/index.js';
import { slackEntry } from './slack/index.js';
import { tempoEntry } from './tempo/index.js';
import { timekeeperEntry } from './timekeeper/index.js';

// Each entry is checked against ConnectorEntry where it is defined; here they only need a name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CONNECTORS: Record<string, ConnectorEntry<any, any>> = {
  'ics-folder': icsFolderEntry,
  caldav: caldavEntry,
  'google-calendar': googleCalendarEntry,
  kimai: kimaiEntry,
  jira: jiraEntry,
  tempo: tempoEntry,
  slack: slackEntry,
  advoware: advowareEntry,
  github: githubEntry,
  timekeeper: timekeeperEntry,
};

export function connectorTypes(): string[] {
  return Object.keys(CONNECTORS);
}
