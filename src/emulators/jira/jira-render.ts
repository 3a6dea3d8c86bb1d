/** JSON shapes the Jira emulator answers with (api-contracts §2.3), and its error body. */
import type { FastifyReply } from 'fastify';
import { jiraDurationText, jiraTimestamp } from '../kit/time-text.js';
import type { EmuIssue, EmuJiraUser, EmuWorklog, JiraData } from './jira-data.js';

export function jiraError(messages: string[], errors: Record<string, string> = {}): { errorMessages: string[]; errors: Record<string, string> } {
  return { errorMessages: messages, errors };
}

export function sendJiraError(reply: FastifyReply, status: number, message: string, errors: Record<string, string> = {}): FastifyReply {
  return reply.code(status).send(jiraError(message ? [message] : [], errors));
}

export function defaultJiraMessage(status: number): string {
  switch (status) {
    case 400:
      return 'The request is invalid.';
    case 401:
      return 'Client must be authenticated to access this resource.';
    case 403:
      return 'You do not have permission to perform this operation.';
    case 404:
      return 'Issue does not exist or you do not have permission to see it.';
    case 413:
      return 'The request payload is too large.';
    case 429:
      return 'Rate limit exceeded.';
    default:
      return status >= 500 ? 'Internal server error.' : `HTTP ${status}`;
  }
}

export function renderUser(u: EmuJiraUser | undefined, accountId: string, base: string): Record<string, unknown> {
  if (!u) return { accountId, self: `${base}/rest/api/3/user?accountId=${encodeURIComponent(accountId)}`, active: false, displayName: 'Former user' };
  return {
    self: `${base}/rest/api/3/user?accountId=${encodeURIComponent(u.accountId)}`,
    accountId: u.accountId,
    accountType: u.accountType,
    ...(u.emailHidden ? {} : { emailAddress: u.emailAddress }),
    displayName: u.displayName,
    active: u.active,
    timeZone: u.timeZone,
  };
}

/** A Jira offset timestamp; the emulator writes every one in UTC. */
export const jiraTime = (ms: number): string => jiraTimestamp(ms);

export function renderWorklog(d: JiraData, w: EmuWorklog, base: string, withProperties: boolean): Record<string, unknown> {
  const user = (id: string) =>
    renderUser(
      d.users.find((u) => u.accountId === id),
      id,
      base,
    );
  return {
    self: `${base}/rest/api/3/issue/${w.issueId}/worklog/${w.id}`,
    author: user(w.authorAccountId),
    updateAuthor: user(w.updateAuthorAccountId),
    ...(w.comment ? { comment: w.comment } : {}),
    created: jiraTime(w.created),
    updated: jiraTime(w.updated),
    started: jiraTime(w.started),
    timeSpent: jiraDurationText(w.timeSpentSeconds),
    timeSpentSeconds: w.timeSpentSeconds,
    id: w.id,
    issueId: w.issueId,
    ...(w.visibility ? { visibility: w.visibility } : {}),
    ...(withProperties ? { properties: Object.entries(w.properties).map(([key, value]) => ({ key, value })) } : {}),
  };
}

export function renderIssue(d: JiraData, i: EmuIssue, base: string): Record<string, unknown> {
  const project = d.projects.find((p) => p.id === i.projectId);
  const tt = (s: number | null) => (s === null ? undefined : jiraDurationText(s));
  return {
    id: i.id,
    key: i.key,
    self: `${base}/rest/api/3/issue/${i.id}`,
    fields: {
      summary: i.summary,
      status: { name: i.status },
      project: project ? { id: project.id, key: project.key, name: project.name } : null,
      updated: jiraTime(i.updated),
      timespent: i.timeSpentSeconds || null,
      timeestimate: i.remainingEstimateSeconds,
      timeoriginalestimate: i.originalEstimateSeconds,
      timetracking: {
        ...(i.originalEstimateSeconds !== null ? { originalEstimate: tt(i.originalEstimateSeconds), originalEstimateSeconds: i.originalEstimateSeconds } : {}),
        ...(i.remainingEstimateSeconds !== null
          ? { remainingEstimate: tt(i.remainingEstimateSeconds), remainingEstimateSeconds: i.remainingEstimateSeconds }
          : {}),
        ...(i.timeSpentSeconds ? { timeSpent: tt(i.timeSpentSeconds), timeSpentSeconds: i.timeSpentSeconds } : {}),
      },
      ...i.custom,
    },
  };
}
