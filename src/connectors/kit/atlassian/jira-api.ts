/**
 * A thin Jira Cloud REST v3 client on the kit HTTP client: Basic `email:api_token`,
 * paging of each list style Jira uses (`startAt`, `nextPageToken`, `nextPage`), proven
 * whole where the answers allow it (kit/paging.ts), and the
 * server's clock from the `Date` header, which the connectors use for their first cursor.
 */
import { TimebridgeError } from '../../../core/errors.js';
import type { OutboundGuard } from '../outbound-policy.js';
import { createHttpClient, type HttpClient } from '../http-client.js';
import { readPages, type Paged } from '../paging.js';
import { accountKey, clientOptions, type HttpSetup } from '../http-setup.js';
import { jiraManifest } from './manifest.js';
import type { FeedPage, RawIssue, RawJiraUser, RawWorklog } from './jira-types.js';

export interface JiraApiOptions {
  url: string;
  email: string;
  token: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Worklogs per page of an issue's worklog list (Jira's default and most: 5000). */
  worklogPageSize?: number;
  /** Pacing, retries and clock (the catalog's); absent: the defaults. */
  http?: HttpSetup;
  /** Whether the connection's own rateLimit applies (false for the Jira site of a Tempo connection). Default true. */
  primary?: boolean;
  /** Where requests may go (users' connections: serve.outbound); none: anywhere. */
  outbound?: OutboundGuard;
}

type Query = Record<string, string | number | undefined>;
/** `idempotent`: the request is safe to repeat (see HttpRequest); absent: the kit's rule by method and headers. */
type JsonOptions = { query?: Query; body?: object; idempotent?: boolean };

const USERS_PAGE = 1000;
const ISSUES_PAGE = 100;
const WORKLOGS_PAGE = 5000;
const LIST_IDS = 1000;

export class JiraApi {
  readonly http: HttpClient;
  /** The server's clock (ms) at the last answer, from its `Date` header. */
  serverTime: number | null = null;
  private me: Promise<RawJiraUser> | null = null;
  private readonly users = new Map<string, RawJiraUser | null>();
  /** Users being read, so writes under way at once ask for each only once. */
  private readonly reading = new Map<string, Promise<RawJiraUser | null>>();

  private readonly worklogPageSize: number;

  constructor(opts: JiraApiOptions) {
    this.worklogPageSize = opts.worklogPageSize ?? WORKLOGS_PAGE;
    this.http = createHttpClient({
      baseUrl: opts.url.replace(/\/+$/, ''),
      auth: { type: 'basic', username: opts.email, password: opts.token },
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      // Jira Cloud publishes no fixed rate (its limits are cost-based): its 429s pause the account's bucket.
      ...clientOptions(opts.http, {
        key: accountKey(opts.url, opts.email, opts.token),
        published: jiraManifest.rateLimit ?? null,
        primary: opts.primary ?? true,
      }),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
    });
  }

  async json<T>(method: string, path: string, opts: JsonOptions = {}): Promise<T> {
    const res = await this.http.request({
      method,
      path,
      ...(opts.query ? { query: opts.query } : {}),
      ...(opts.body ? { body: opts.body } : {}),
      ...(opts.idempotent !== undefined ? { idempotent: opts.idempotent } : {}),
    });
    const date = Date.parse(res.headers.get('date') ?? '');
    if (!Number.isNaN(date)) this.serverTime = date;
    return res.status === 204 || !res.text ? (undefined as T) : res.json<T>();
  }

  /** The API user (asked once; a failed answer is asked again next time). */
  async myself(): Promise<RawJiraUser> {
    this.me ??= this.json<RawJiraUser>('GET', '/rest/api/3/myself');
    try {
      return await this.me;
    } catch (err) {
      this.me = null;
      throw err;
    }
  }

  /** A user by account id (cached for the connector's life; null: unknown to this site). */
  async user(accountId: string): Promise<RawJiraUser | null> {
    if (this.users.has(accountId)) return this.users.get(accountId)!;
    const asked = this.reading.get(accountId);
    if (asked) return asked;
    const read = this.readUser(accountId).finally(() => this.reading.delete(accountId));
    this.reading.set(accountId, read);
    return read;
  }

  private async readUser(accountId: string): Promise<RawJiraUser | null> {
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

  /** Every user. Jira declares no total here: the list ends at a page shorter than asked. */
  async allUsers(): Promise<Paged<RawJiraUser>> {
    const paged = await readPages<RawJiraUser>({
      what: 'Jira users',
      style: 'offset',
      size: USERS_PAGE,
      id: (u) => u.accountId,
      fetch: async ({ offset }) => {
        const items = await this.json<RawJiraUser[]>('GET', '/rest/api/3/users/search', { query: { startAt: offset, maxResults: USERS_PAGE } });
        return { items, last: items.length < USERS_PAGE };
      },
    });
    for (const u of paged.items) this.users.set(u.accountId, u);
    return paged;
  }

  /** Issues by JQL, following `nextPageToken` until a page says `isLast`; pages may be shorter than asked. */
  async searchIssues(jql: string, fields: string): Promise<Paged<RawIssue>> {
    return readPages<RawIssue>({
      what: 'Jira issues',
      style: 'token',
      size: ISSUES_PAGE,
      shortPages: true,
      id: (i) => String(i.id),
      fetch: async ({ token }) => {
        const page = await this.json<{ issues: RawIssue[]; nextPageToken?: string; isLast?: boolean }>('GET', '/rest/api/3/search/jql', {
          query: { jql, fields, maxResults: ISSUES_PAGE, nextPageToken: token ?? undefined },
        });
        return { items: page.issues, last: page.isLast === true, next: page.nextPageToken ?? null };
      },
    });
  }

  async issue(idOrKey: string, fields: string): Promise<RawIssue> {
    return this.json<RawIssue>('GET', `/rest/api/3/issue/${encodeURIComponent(idOrKey)}`, { query: { fields } });
  }

  async project(key: string): Promise<{ id: string; key: string }> {
    return this.json('GET', `/rest/api/3/project/${encodeURIComponent(key)}`);
  }

  /**
   * Every worklog of an issue, with entity properties: `startAt` pages checked against
   * `total`, each page starting on the previous page's last worklog (kit/paging.ts).
   */
  async issueWorklogs(issueId: string): Promise<Paged<RawWorklog>> {
    const pageSize = this.worklogPageSize;
    return readPages<RawWorklog>({
      what: `worklogs of Jira issue ${issueId}`,
      style: 'offset',
      size: pageSize,
      overlap: true,
      shortPages: true,
      id: (w) => String(w.id),
      fetch: async ({ offset }) => {
        const page = await this.json<{ total: number; worklogs: RawWorklog[] }>('GET', `/rest/api/3/issue/${encodeURIComponent(issueId)}/worklog`, {
          query: { startAt: offset, maxResults: pageSize, expand: 'properties' },
        });
        return { items: page.worklogs, total: page.total, last: offset + page.worklogs.length >= page.total };
      },
    });
  }

  /** Worklogs by id (missing ones are left out), with entity properties. */
  async worklogList(ids: string[]): Promise<RawWorklog[]> {
    const out: RawWorklog[] = [];
    for (let i = 0; i < ids.length; i += LIST_IDS) {
      const chunk = ids.slice(i, i + LIST_IDS).map(Number);
      // A read sent as POST (the ids go in the body).
      out.push(
        ...(await this.json<RawWorklog[]>('POST', '/rest/api/3/worklog/list', { query: { expand: 'properties' }, body: { ids: chunk }, idempotent: true })),
      );
    }
    return out;
  }

  /**
   * All of a feed (`updated` or `deleted`) since `since` (ms), following `nextPage`;
   * `until` is where the next read starts. Complete only when a page said `lastPage`.
   */
  async feed(kind: 'updated' | 'deleted', since: number): Promise<{ ids: string[]; until: number; complete: boolean; reason: string | null }> {
    const ids: string[] = [];
    let from = since;
    for (let n = 1; ; n++) {
      const page = await this.json<FeedPage>('GET', `/rest/api/3/worklog/${kind}`, { query: { since: from } });
      ids.push(...page.values.map((v) => String(v.worklogId)));
      if (page.lastPage === true) return { ids, until: Math.max(page.until, from), complete: true, reason: null };
      if (!(page.until > from)) {
        return {
          ids,
          until: from,
          complete: false,
          reason: `page ${n} of the Jira worklog ${kind} feed was not the last, but did not move on from since=${from}`,
        };
      }
      from = page.until;
    }
  }
}
