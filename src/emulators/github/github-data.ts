/**
 * The GitHub emulator's data: repositories with their issues and pull requests (one
 * numbering per repository, as GitHub's), tokens, webhooks with the deliveries made, and
 * the core rate limit. Issues are rendered as the REST API and the webhook payloads show
 * them (api-contracts §6): labels as objects, `assignee` and `assignees` as user objects,
 * pull requests with their `pull_request` key.
 */
export interface GhLabel {
  id: number;
  name: string;
  color: string;
  default: boolean;
  description: string | null;
}

export interface GhIssue {
  id: number;
  number: number;
  title: string;
  body: string | null;
  state: 'open' | 'closed';
  stateReason: 'completed' | 'not_planned' | 'reopened' | null;
  labels: string[];
  assignees: string[];
  author: string;
  /** A pull request: listed with the issues, told apart by its `pull_request` key. */
  pull: boolean;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
}

export interface GhHook {
  id: number;
  url: string;
  secret: string | null;
  /** `*` or event names. */
  events: string[];
}

export interface GhDelivery {
  /** The GUID of X-GitHub-Delivery, the same on a redelivery. */
  guid: string;
  /** Increases with every attempt, redeliveries included. */
  attempt: number;
  hookId: number;
  repo: string;
  event: string;
  action: string | null;
  /** The exact bytes sent (and signed). */
  body: string;
  redelivery: boolean;
  deliveredAt: string;
  /** The receiver's answer; 0 when it could not be reached. */
  status: number;
  response: string;
}

export interface GhRepo {
  id: number;
  owner: string;
  name: string;
  issues: GhIssue[];
  hooks: GhHook[];
  labels: Map<string, GhLabel>;
}

export interface GhRateLimit {
  limit: number;
  remaining: number;
  /** Epoch seconds when `remaining` goes back to `limit`. */
  reset: number;
  /** 403 (GitHub's primary limit) or 429 (secondary limits). */
  status: 403 | 429;
}

/** An OAuth App's sign-ins (github-oauth.ts): its codes, and the login each token it issued belongs to. */
export interface GhOAuth {
  apps: Map<string, { clientSecret: string }>;
  /** Who the consent page signs in as; null: the person denies access. */
  signedIn: string | null;
  codes: Map<string, { clientId: string; redirectUri: string | null; login: string; scope: string; expiresAt: number }>;
  /** Token → the login it acts as (tokens of OAuth sign-ins; the emulator token is `EMULATOR_LOGIN`). */
  logins: Map<string, string>;
}

export interface GithubData {
  repos: Map<string, GhRepo>;
  tokens: Set<string>;
  oauth: GhOAuth;
  deliveries: GhDelivery[];
  rate: GhRateLimit;
  nextId: number;
}

export const EMULATOR_TOKEN = 'ghp_timebridgeEmulatorToken0001';
export const EMULATOR_LOGIN = 'timebridge-bot';
/** The OAuth App every emulator starts with. */
export const EMULATOR_CLIENT_ID = 'Ov23liEmulatorClient01';
export const EMULATOR_CLIENT_SECRET = 'emulator-oauth-app-secret-0123456789abcdef';
export const DEFAULT_SIGNED_IN = 'octocat';
export const RATE_LIMIT = 5000;

export function emptyData(now: Date): GithubData {
  return {
    repos: new Map(),
    tokens: new Set([EMULATOR_TOKEN]),
    oauth: {
      apps: new Map([[EMULATOR_CLIENT_ID, { clientSecret: EMULATOR_CLIENT_SECRET }]]),
      signedIn: DEFAULT_SIGNED_IN,
      codes: new Map(),
      logins: new Map([[EMULATOR_TOKEN, EMULATOR_LOGIN]]),
    },
    deliveries: [],
    rate: { limit: RATE_LIMIT, remaining: RATE_LIMIT, reset: Math.floor(now.getTime() / 1000) + 3600, status: 403 },
    nextId: 1000,
  };
}

const LABEL_COLORS: Record<string, string> = { bug: 'd73a4a', enhancement: 'a2eeef', documentation: '0075ca', critical: 'b60205' };

export function addRepo(data: GithubData, owner: string, name: string): GhRepo {
  const key = `${owner}/${name}`.toLowerCase();
  const found = data.repos.get(key);
  if (found) return found;
  const repo: GhRepo = { id: data.nextId++, owner, name, issues: [], hooks: [], labels: new Map() };
  data.repos.set(key, repo);
  return repo;
}

export const repoOf = (data: GithubData, owner: string, name: string): GhRepo | undefined => data.repos.get(`${owner}/${name}`.toLowerCase());

export function labelOf(data: GithubData, repo: GhRepo, name: string): GhLabel {
  const key = name.toLowerCase();
  let label = repo.labels.get(key);
  if (!label) {
    label = { id: data.nextId++, name, color: LABEL_COLORS[key] ?? 'ededed', default: key in LABEL_COLORS, description: null };
    repo.labels.set(key, label);
  }
  return label;
}

export interface NewIssue {
  title: string;
  body?: string | null;
  labels?: string[];
  assignees?: string[];
  author?: string;
  pull?: boolean;
}

/** GitHub's time stamps: UTC to the second. */
export const stamp = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

export function addIssue(data: GithubData, repo: GhRepo, n: NewIssue, now: Date): GhIssue {
  const number = repo.issues.reduce((m, i) => Math.max(m, i.number), 0) + 1;
  for (const l of n.labels ?? []) labelOf(data, repo, l);
  const issue: GhIssue = {
    id: data.nextId++,
    number,
    title: n.title,
    body: n.body ?? null,
    state: 'open',
    stateReason: null,
    labels: [...(n.labels ?? [])],
    assignees: [...(n.assignees ?? [])],
    author: n.author ?? 'octocat',
    pull: n.pull ?? false,
    createdAt: stamp(now),
    updatedAt: stamp(now),
    closedAt: null,
  };
  repo.issues.push(issue);
  return issue;
}

export function userJson(base: string, login: string, id: number): Record<string, unknown> {
  return { login, id, node_id: `U_${id}`, type: 'User', site_admin: false, url: `${base}/users/${login}`, html_url: `https://github.com/${login}` };
}

/** A small, stable id for a login (GitHub's user ids are numbers). */
export const loginId = (login: string): number => [...login.toLowerCase()].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 9_000_000, 7) + 1_000_000;

export function repoJson(base: string, repo: GhRepo): Record<string, unknown> {
  const full = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: full,
    private: true,
    owner: userJson(base, repo.owner, loginId(repo.owner)),
    html_url: `https://github.com/${full}`,
    url: `${base}/repos/${full}`,
    default_branch: 'main',
    open_issues_count: repo.issues.filter((i) => i.state === 'open').length,
  };
}

export function issueJson(data: GithubData, base: string, repo: GhRepo, i: GhIssue): Record<string, unknown> {
  const full = `${repo.owner}/${repo.name}`;
  const users = i.assignees.map((l) => userJson(base, l, loginId(l)));
  const kind = i.pull ? 'pull' : 'issues';
  return {
    id: i.id,
    node_id: `I_${i.id}`,
    url: `${base}/repos/${full}/issues/${i.number}`,
    repository_url: `${base}/repos/${full}`,
    html_url: `https://github.com/${full}/${kind}/${i.number}`,
    number: i.number,
    title: i.title,
    body: i.body,
    state: i.state,
    state_reason: i.stateReason,
    locked: false,
    user: userJson(base, i.author, loginId(i.author)),
    labels: i.labels.map((l) => labelOf(data, repo, l)),
    assignee: users[0] ?? null,
    assignees: users,
    comments: 0,
    created_at: i.createdAt,
    updated_at: i.updatedAt,
    closed_at: i.closedAt,
    author_association: 'OWNER',
    ...(i.pull
      ? {
          pull_request: {
            url: `${base}/repos/${full}/pulls/${i.number}`,
            html_url: `https://github.com/${full}/pull/${i.number}`,
            diff_url: `https://github.com/${full}/pull/${i.number}.diff`,
            patch_url: `https://github.com/${full}/pull/${i.number}.patch`,
            merged_at: null,
          },
        }
      : {}),
  };
}
