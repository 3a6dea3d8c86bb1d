/**
 * A thin GitHub REST client on the kit HTTP client: the token, GitHub's media type and API
 * version, the issue list read to its end through the `Link` header, one issue, and a
 * change of an issue. An exhausted rate limit (403 or 429 with `x-ratelimit-remaining: 0`)
 * is `rate_limited`, to be waited out until `x-ratelimit-reset`: within the run's retry
 * budget by the kit, else by the job's retry after that time.
 */
import { createHttpClient, type HttpClient } from '../kit/http-client.js';
import { accountKey, clientOptions, type HttpSetup } from '../kit/http-setup.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { readPages, type Paged } from '../kit/paging.js';
import { githubManifest } from './manifest.js';
import type { RawIssue } from './github-types.js';

export interface GithubApiOptions {
  apiUrl: string;
  token: string;
  repo: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
  http?: HttpSetup;
  outbound?: OutboundGuard;
}

const HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };

/** Seconds until GitHub's limit resets, when the answer says it is used up. */
export function rateLimitWait(a: { headers: Headers; nowMs: number }): number | undefined {
  if (a.headers.get('x-ratelimit-remaining') !== '0') return undefined;
  const reset = Number(a.headers.get('x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? Math.max(1, Math.ceil(reset - a.nowMs / 1000)) : undefined;
}

/** The `rel="next"` address of a Link header, or null. */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m && m[2]!.split(/\s+/).includes('next')) return m[1]!;
  }
  return null;
}

export class GithubApi {
  private readonly http: HttpClient;
  readonly repoPath: string;

  constructor(opts: GithubApiOptions) {
    const base = opts.apiUrl.replace(/\/+$/, '');
    this.repoPath = `/repos/${opts.repo}`;
    this.http = createHttpClient({
      baseUrl: base,
      timeoutMs: opts.timeoutMs ?? 30_000,
      auth: { type: 'bearer', token: opts.token },
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
      // A used-up limit answers 403 (or 429): a wait, not a refusal of the token.
      classify: ({ status, headers }) => ((status === 403 || status === 429) && headers.get('x-ratelimit-remaining') === '0' ? 'CONNECTOR_RATE_LIMITED' : null),
      waitOf: rateLimitWait,
      ...clientOptions(opts.http, { key: accountKey(base, opts.token), published: githubManifest.rateLimit ?? null }),
    });
  }

  get calls(): number {
    return this.http.calls;
  }

  /** Every issue (pull requests included, as GitHub lists them) of the state and labels, newest first, proven whole or said why not. */
  async listIssues(o: { state: 'open' | 'closed' | 'all'; labels: string[]; pageSize: number }): Promise<Paged<RawIssue>> {
    return readPages<RawIssue>({
      what: `GitHub issues of ${this.repoPath.slice(7)}`,
      style: 'page',
      size: o.pageSize,
      id: (i) => String(i.number),
      fetch: async (req) => {
        const res = await this.http.request({
          method: 'GET',
          path: `${this.repoPath}/issues`,
          headers: HEADERS,
          query: {
            state: o.state,
            per_page: o.pageSize,
            page: req.index + 1,
            ...(o.labels.length ? { labels: o.labels.join(',') } : {}),
          },
        });
        const next = nextLink(res.headers.get('link'));
        return { items: res.json<RawIssue[]>(), last: next === null, next };
      },
    });
  }

  async issue(n: number): Promise<RawIssue> {
    return (await this.http.request({ method: 'GET', path: `${this.repoPath}/issues/${n}`, headers: HEADERS })).json<RawIssue>();
  }

  /** Closing (or reopening) is the same PATCH twice: safe to repeat. */
  async setState(n: number, state: 'open' | 'closed'): Promise<RawIssue> {
    const body = state === 'closed' ? { state, state_reason: 'completed' } : { state };
    return (await this.http.request({ method: 'PATCH', path: `${this.repoPath}/issues/${n}`, headers: HEADERS, body, idempotent: true })).json<RawIssue>();
  }
}
