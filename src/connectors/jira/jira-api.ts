/**
 * A thin Jira Cloud REST v3 client on the kit HTTP client: Basic `email:api_token`,
 * paging of each list style Jira uses (`startAt`, `nextPageToken`, `nextPage`), and the
 * server's clock from the `Date` header, which the connectors use for their first cursor.
 */
import { TimebridgeError } from '../../core/errors.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { createHttpClient, type HttpClient } from '../kit/http-client.js';
import type { FeedPage, RawIssue, RawJiraUser, RawWorklog } from './jira-types.js';

export interface JiraApiOptions {
  url: string;
  email: string;
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Where requests may go (users' connections: serve.outbound); none: anywhere. */
  outbound?: OutboundGuard;
}

type Query = Record<string, string | number | undefined>;

const USERS_PAGE = 1000;
const ISSUES_PAGE = 100;
const WORKLOGS_PAGE = 5000;
const LIST_IDS = 1000;

export class JiraApi {
  readonly http: HttpClient;
  /** The server's clock (ms) at the last answer, from its `Date` header. */
  serverTime: number | null = null;
  private me: RawJiraUser | null = null;
  private readonly users = new Map<string, RawJiraUser | null>();

  constructor(opts: JiraApiOptions) {
    this.http = createHttpClient({
      baseUrl: opts.url.replace(/\/+$/, ''), auth: { type: 'basic', username: opts.email, password: opts.token },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
    });
  }

  async json<T>(method: string, path: string, opts: { query?: Query; body?: object } = {}): Promise<T> {
    const res = await this.http.request({ method, path, ...(opts.query ? { query: opts.query } : {}), ...(opts.body ? { body: opts.body } : {}) });
    const date = Date.parse(res.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.serverTime = date;
    return res.status === 204 || !res.text ? (undefined as T) : res.json<T>();
  }

  async myself(): Promise<RawJiraUser> {
    this.me ??= await this.json<RawJiraUser>('GET', '/rest/api/3/myself');
    return this.me;
  }

  /** A user by account id (cached for the connector's life; null: unknown to this site). */
  async user(accountId: string): Promise<RawJiraUser | null> {
    if (this.users.has(accountId)) return this.users.get(accountId)!;
    let u: RawJiraUser | null;
    try {
      u = await this.json<RawJiraUser>('GET', '/rest/api/3/user', { query: { accountId } });
    } catch (err) {
      if (!(err instanceof TimebridgeError && err.kind === 'not_found')) throw err;
      u = null;
    }
    this.users.set(accountId, u);
    return u;
  }

  async allUsers(): Promise<RawJiraUser[]> {
    const out: RawJiraUser[] = [];
    for (let startAt = 0; ; startAt += USERS_PAGE) {
      const page = await this.json<RawJiraUser[]>('GET', '/rest/api/3/users/search', { query: { startAt, maxResults: USERS_PAGE } });
      out.push(...page);
      for (const u of page) this.users.set(u.accountId, u);
      if (page.length < USERS_PAGE) return out;
    }
  }

  async searchIssues(jql: string, fields: string): Promise<RawIssue[]> {
    const out: RawIssue[] = [];
    let token: string | undefined;
    do {
      const page = await this.json<{ issues: RawIssue[]; nextPageToken?: string; isLast?: boolean }>('GET', '/rest/api/3/search/jql', {
        query: { jql, fields, maxResults: ISSUES_PAGE, nextPageToken: token },
      });
      out.push(...page.issues);
      token = page.isLast === false ? page.nextPageToken : undefined;
    } while (token);
    return out;
  }

  async issue(idOrKey: string, fields: string): Promise<RawIssue> {
    return this.json<RawIssue>('GET', `/rest/api/3/issue/${encodeURIComponent(idOrKey)}`, { query: { fields } });
  }

  async project(key: string): Promise<{ id: string; key: string }> {
    return this.json('GET', `/rest/api/3/project/${encodeURIComponent(key)}`);
  }

  /** Every worklog of an issue, with entity properties. */
  async issueWorklogs(issueId: string): Promise<RawWorklog[]> {
    const out: RawWorklog[] = [];
    for (let startAt = 0; ; ) {
      const page = await this.json<{ total: number; worklogs: RawWorklog[] }>('GET', `/rest/api/3/issue/${encodeURIComponent(issueId)}/worklog`, {
        query: { startAt, maxResults: WORKLOGS_PAGE, expand: 'properties' },
      });
      out.push(...page.worklogs);
      startAt += page.worklogs.length;
      if (!page.worklogs.length || startAt >= page.total) return out;
    }
  }

  /** Worklogs by id (missing ones are left out), with entity properties. */
  async worklogList(ids: string[]): Promise<RawWorklog[]> {
    const out: RawWorklog[] = [];
    for (let i = 0; i < ids.length; i += LIST_IDS) {
      const chunk = ids.slice(i, i + LIST_IDS).map(Number);
      out.push(...await this.json<RawWorklog[]>('POST', '/rest/api/3/worklog/list', { query: { expand: 'properties' }, body: { ids: chunk } }));
    }
    return out;
  }

  /** All of a feed (`updated` or `deleted`) since `since` (ms), following `nextPage`; `until` is where the next read starts. */
  async feed(kind: 'updated' | 'deleted', since: number): Promise<{ ids: string[]; until: number }> {
    const ids: string[] = [];
    let from = since;
    for (;;) {
      const page = await this.json<FeedPage>('GET', `/rest/api/3/worklog/${kind}`, { query: { since: from } });
      ids.push(...page.values.map((v) => String(v.worklogId)));
      if (page.lastPage || page.until <= from) return { ids, until: Math.max(page.until, from) };
      from = page.until;
    }
  }
}
