/**
 * A Timebridge workspace for the Jira/Tempo tests, built the way a user builds one: a
 * timebridge.yaml with a Tempo connection (site A) and a Jira connection (site B) and
 * their links, loaded and composed by the real config path (which works out each link's
 * reference sources), on a SQLite file in a temp folder. The hub's clock is the test's.
 */
import type { HttpEnvironment } from '../../../src/app/catalog.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { workspace as openWorkspace, type Workspace } from '../../support/workspace.js';
import { API_TOKEN, TEMPO_TOKEN, type Clock } from './jira-fixture.js';

export type { Workspace } from '../../support/workspace.js';

/** A workspace on this YAML at the test's movable clock, in scope `work`; `http` as in the shared workspace (default: no wall-time waits). */
export function workspace(yaml: string, clock: Clock, http?: HttpEnvironment): Promise<Workspace> {
  return openWorkspace(yaml, { clock: () => new Date(clock.now()), prefix: 'tb-jira-', ...(http ? { http } : {}) });
}

export const DIRECTORY = ['a-users', 'a-issues', 'b-users', 'b-issues'];
export const WORKLOGS = ['a-worklogs', 'b-worklogs', 'a-worklogs'];

export interface SiteUrls {
  tempo: string;
  jiraA: string;
  jiraB: string;
}

/** Site A: Tempo on Jira A; site B: Jira native. B-1 is A-1 by key map, B-2 carries A-2 in a custom field. */
export function replicationYaml(u: SiteUrls, extra: { aWorklogs?: string; bWorklogs?: string } = {}): string {
  return `store:
  path: hub.sqlite
connections:
  a:
    type: tempo
    url: ${u.tempo}
    token: ${TEMPO_TOKEN}
    jira: { url: "${u.jiraA}", email: sync@a.example, token: ${API_TOKEN} }
  b:
    type: jira
    url: ${u.jiraB}
    email: sync@b.example
    token: ${API_TOKEN}
links:
  a-users: { connection: a, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  a-issues: { connection: a, scope: work, externalKind: issue, collection: A, direction: pull, conflict: hub-wins }
  b-users: { connection: b, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  b-issues:
    connection: b
    scope: work
    externalKind: issue
    collection: B
    direction: pull
    conflict: hub-wins
    options: { keyMap: { B-1: A-1 }, keyField: customfield_10042 }
  a-worklogs:
    connection: a
    scope: work
    externalKind: worklog
    collection: A
    window: { pastDays: 30, futureDays: 30 }
    options: { fallbackAuthor: "a:sync"${extra.aWorklogs ? `, ${extra.aWorklogs}` : ''} }
  b-worklogs:
    connection: b
    scope: work
    externalKind: worklog
    collection: B${extra.bWorklogs ? `\n    options: { ${extra.bWorklogs} }` : ''}
`;
}

/** Every run ended ok; otherwise the errors, for the assertion message. */
export function allOk(results: RunResult[]): string | null {
  const bad = results.filter((r) => r.run.status !== 'ok');
  return bad.length ? JSON.stringify(bad.map((r) => ({ link: r.run.linkId, status: r.run.status, errors: r.run.errors }))) : null;
}
