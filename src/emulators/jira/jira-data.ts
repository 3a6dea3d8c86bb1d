/**
 * The Jira Cloud emulator's data: users, projects, issues with time tracking, native
 * worklogs with entity properties, and the deletion log behind `/worklog/deleted`.
 * Timestamps are ms from the emulator's clock.
 */
import { adfDocument, type AdfNode } from './adf.js';

export interface EmuJiraUser {
  accountId: string;
  displayName: string;
  emailAddress: string;
  timeZone: string;
  active: boolean;
  accountType: 'atlassian' | 'app';
  /** API token for Basic `email:token`; null: cannot call the API. */
  apiToken: string | null;
  /** The user hides their e-mail (Atlassian profile visibility): the API leaves `emailAddress` out. */
  emailHidden?: boolean;
}

export interface EmuProject {
  id: string;
  key: string;
  name: string;
}

export interface EmuIssue {
  id: string;
  key: string;
  projectId: string;
  summary: string;
  status: string;
  /** Custom fields by id (`customfield_10042`). */
  custom: Record<string, string | null>;
  originalEstimateSeconds: number | null;
  remainingEstimateSeconds: number | null;
  timeSpentSeconds: number;
  updated: number;
}

export interface EmuWorklog {
  id: string;
  issueId: string;
  authorAccountId: string;
  updateAuthorAccountId: string;
  created: number;
  updated: number;
  started: number;
  timeSpentSeconds: number;
  comment: AdfNode | null;
  visibility: { type: 'group' | 'role'; value?: string; identifier?: string } | null;
  properties: Record<string, unknown>;
}

export interface JiraData {
  users: EmuJiraUser[];
  projects: EmuProject[];
  issues: EmuIssue[];
  worklogs: EmuWorklog[];
  deleted: { worklogId: string; at: number }[];
  nextId: number;
  /** Last timestamp handed out: every write gets a strictly later one, so `updated` always moves. */
  lastStamp: number;
}

export function emptyJiraData(): JiraData {
  return { users: [], projects: [], issues: [], worklogs: [], deleted: [], nextId: 10000, lastStamp: 0 };
}

export function addUser(d: JiraData, u: Partial<EmuJiraUser> & Pick<EmuJiraUser, 'accountId' | 'displayName' | 'emailAddress'>): EmuJiraUser {
  const user: EmuJiraUser = { timeZone: 'UTC', active: true, accountType: 'atlassian', apiToken: null, ...u };
  d.users.push(user);
  return user;
}

export function addProject(d: JiraData, key: string, name: string): EmuProject {
  const p = { id: String(d.nextId++), key, name };
  d.projects.push(p);
  return p;
}

export function addIssue(d: JiraData, projectKey: string, summary: string, opts: Partial<EmuIssue> = {}): EmuIssue {
  const project = d.projects.find((p) => p.key === projectKey) ?? addProject(d, projectKey, projectKey);
  const n = d.issues.filter((i) => i.projectId === project.id).length + 1;
  const issue: EmuIssue = {
    id: String(d.nextId++),
    key: `${projectKey}-${n}`,
    projectId: project.id,
    summary,
    status: 'To Do',
    custom: {},
    originalEstimateSeconds: null,
    remainingEstimateSeconds: null,
    timeSpentSeconds: 0,
    updated: d.lastStamp,
    ...opts,
  };
  d.issues.push(issue);
  return issue;
}

export const DEMO_EMAIL = 'ada@example.com';
export const DEMO_API_TOKEN = 'jira-demo-token-0123456789';

/** Two people, a project with three issues (one estimated), and a few worklogs last week. */
export function demoJiraData(now: Date): JiraData {
  const d = emptyJiraData();
  addUser(d, { accountId: '712020:ada', displayName: 'Ada Lovelace', emailAddress: DEMO_EMAIL, timeZone: 'Europe/London', apiToken: DEMO_API_TOKEN });
  addUser(d, { accountId: '712020:grace', displayName: 'Grace Hopper', emailAddress: 'grace@example.com', timeZone: 'America/New_York' });
  addProject(d, 'DEMO', 'Demo project');
  const a = addIssue(d, 'DEMO', 'Set up the build', { originalEstimateSeconds: 8 * 3600, remainingEstimateSeconds: 8 * 3600 });
  addIssue(d, 'DEMO', 'Write the docs');
  addIssue(d, 'DEMO', 'Release 1.0', { status: 'In Progress' });
  const day = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 7 * 86_400_000;
  const stamp = now.getTime() - 7 * 86_400_000;
  for (const [i, [who, hours]] of (
    [
      ['712020:ada', 2],
      ['712020:grace', 1.5],
    ] as const
  ).entries()) {
    const seconds = hours * 3600;
    d.worklogs.push({
      id: String(d.nextId++),
      issueId: a.id,
      authorAccountId: who,
      updateAuthorAccountId: who,
      created: stamp + i,
      updated: stamp + i,
      started: day + (9 + i * 3) * 3_600_000,
      timeSpentSeconds: seconds,
      comment: adfDocument(i ? 'Pairing on CI' : 'First build'),
      visibility: null,
      properties: {},
    });
    a.timeSpentSeconds += seconds;
    a.remainingEstimateSeconds = Math.max(0, (a.remainingEstimateSeconds ?? 0) - seconds);
  }
  d.lastStamp = stamp + 10;
  return d;
}
