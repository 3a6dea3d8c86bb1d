/**
 * Jira Cloud REST v3 shapes as the connector reads them (api-contracts §2.3), and the
 * item shapes its connectors hand the engine. `WorklogItem` is shared with the Tempo
 * connector, so one mapper serves both sites' worklogs.
 */
import type { AdfNode } from './adf.js';

export interface RawJiraUser {
  accountId: string;
  accountType?: string;
  displayName?: string;
  emailAddress?: string;
  timeZone?: string;
  active?: boolean;
}

export interface RawProperty {
  key: string;
  value: unknown;
}

export interface RawWorklog {
  id: string;
  issueId: string;
  author?: RawJiraUser;
  updateAuthor?: RawJiraUser;
  created: string;
  updated: string;
  started: string;
  timeSpentSeconds: number;
  comment?: AdfNode;
  visibility?: WorklogVisibility;
  properties?: RawProperty[];
}

export interface WorklogVisibility {
  type: string;
  value?: string;
  identifier?: string;
}

export interface RawIssue {
  id: string;
  key: string;
  fields: {
    summary?: string;
    status?: { name?: string };
    project?: { id?: string; key?: string } | null;
    timetracking?: { remainingEstimateSeconds?: number; timeSpentSeconds?: number };
    [field: string]: unknown;
  };
}

export interface FeedPage {
  values: { worklogId: number; updatedTime: number }[];
  since: number;
  until: number;
  lastPage: boolean;
  nextPage?: string;
}

/** How a worklog write moves its issue's remaining estimate (TP's modes; `retain` is Jira's `leave`). */
export type EstimateMode = 'auto' | 'retain' | 'manual';

/** The person a worklog really belongs to, when the site logs it as someone else (a fallback user, or Jira's API user). */
export interface OnBehalfOf {
  /** Hub id of the person. */
  personId: string;
  /** Who that is, for people reading the worklog (name and email when the site knows them). */
  name: string | null;
}

/** One worklog of either site (Jira native or Tempo), in the terms the worklog mapper needs. */
export interface WorklogItem {
  /** Jira issue id (numeric string). */
  issueId: string;
  /** Account the worklog is logged as; on a write to Jira null means "the API user". */
  authorAccountId: string | null;
  onBehalfOf: OnBehalfOf | null;
  /** Local day of the start in `timeZone`. */
  date: string;
  /** UTC instant `YYYY-MM-DDTHH:MM:SSZ`. */
  start: string;
  /** The author's zone as the site knows it; null: UTC. */
  timeZone: string | null;
  seconds: number;
  description: string | null;
  /** Tempo: billable seconds when they differ from the time spent; null otherwise (and on Jira). */
  billableSeconds: number | null;
  /** Jira: who may see the worklog; null: everyone. */
  visibility: WorklogVisibility | null;
  /** Used on writes only; reads say `auto`. */
  estimate: EstimateMode;
}

export interface JiraIssueItem {
  key: string;
  summary: string | null;
  status: string | null;
  projectKey: string | null;
  /** Custom fields with a text value (`customfield_10042`), for the issue mapper's `keyField`. */
  custom: Record<string, string>;
}

export interface JiraUserItem {
  accountId: string;
  name: string | null;
  /** Lower-cased; null when the user hides it. */
  email: string | null;
  timeZone: string | null;
  active: boolean;
}
