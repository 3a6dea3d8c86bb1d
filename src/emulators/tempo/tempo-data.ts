/**
 * The Tempo emulator's own data: API tokens, configured work attributes and worklogs.
 * Issues and authors are the Jira site's (numeric issue ids, Atlassian account ids).
 */

export interface EmuTempoWorklog {
  tempoWorklogId: number;
  issueId: number;
  authorAccountId: string;
  /** Worker-local day and time. */
  startDate: string;
  startTime: string;
  timeSpentSeconds: number;
  billableSeconds: number;
  description: string;
  createdAt: number;
  updatedAt: number;
  attributes: { key: string; value: string }[];
}

export interface TempoData {
  /** Valid Bearer tokens (personal API-integration tokens). */
  tokens: string[];
  /** Keys of the work attributes configured in Tempo; others are refused. */
  workAttributes: string[];
  worklogs: EmuTempoWorklog[];
  nextId: number;
}

export const DEMO_TEMPO_TOKEN = 'tempo-demo-token-0123456789';

export function emptyTempoData(tokens: string[] = []): TempoData {
  return { tokens, workAttributes: [], worklogs: [], nextId: 100 };
}
