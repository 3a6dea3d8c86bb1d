/** Tempo Cloud REST v4 shapes as the connector reads them (api-contracts §2.2). */

export interface RawTempoWorklog {
  tempoWorklogId: number;
  issue: { id: number };
  timeSpentSeconds: number;
  billableSeconds?: number;
  startDate: string;
  startTime?: string;
  startDateTimeUtc?: string;
  description?: string | null;
  createdAt?: string;
  updatedAt?: string;
  author: { accountId: string };
  attributes?: { values?: { key: string; value: string }[] };
}

export interface TempoPage {
  metadata: { count: number; offset: number; limit: number; next?: string };
  results: RawTempoWorklog[];
}

/** The body of POST and PUT /4/worklogs (PUT: without issueId, and every omitted field is reset). */
export interface TempoWorklogInput {
  issueId?: number;
  authorAccountId: string;
  startDate: string;
  startTime: string;
  timeSpentSeconds: number;
  billableSeconds?: number;
  description: string;
  remainingEstimateSeconds?: number;
  attributes?: { key: string; value: string }[];
}
