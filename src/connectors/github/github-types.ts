/** GitHub's issue as the REST API and webhook payloads send it (the fields Timebridge reads), and the connector's item. */
export interface RawUser {
  login: string;
  id?: number;
}

export interface RawLabel {
  name: string;
}

export interface RawIssue {
  number: number;
  title: string;
  state: 'open' | 'closed';
  state_reason?: string | null;
  html_url: string;
  labels: (RawLabel | string)[];
  assignee?: RawUser | null;
  assignees?: RawUser[] | null;
  updated_at: string;
  closed_at?: string | null;
  /** Present on pull requests only: the issues list mixes them in. */
  pull_request?: unknown;
}

/** One issue as the hub maps it. */
export interface GithubIssueItem {
  /** `owner/name` as configured. */
  repo: string;
  number: number;
  title: string;
  state: 'open' | 'closed';
  stateReason: string | null;
  labels: string[];
  /** Logins, the first being GitHub's `assignee`. */
  assignees: string[];
  /** From the labels by the connection's priority rules. */
  priority: 'low' | 'medium' | 'high' | 'urgent';
  url: string;
  updatedAt: string;
}
