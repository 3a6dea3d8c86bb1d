/**
 * How a connection's HTTP clients are built: the account's shared bucket (sized by the
 * connection's own `rateLimit`, else the connector's published limit), the retry policy,
 * the run's retry budget, the clock, and where waits and retries are reported. The
 * catalog makes one per connector and hands it to the connector's `create`; a connector
 * spreads `clientOptions(...)` into each `createHttpClient`.
 */
import { createHash } from 'node:crypto';
import type { HttpClientOptions, HttpEvents } from './http-client.js';
import { processBuckets, type BucketRegistry, type Limit } from './rate-limiter.js';
import { retryBudget, type Clock, type RetryBudget, type RetryPolicy } from './retry.js';

export interface HttpSetup {
  /** The connection's own limit (its `rateLimit` setting): wins over the connector's published one. */
  rateLimit?: Limit;
  retry?: Partial<RetryPolicy> | false;
  /** Shared by the connector's clients; the catalog resets it when a run starts. */
  budget?: RetryBudget;
  clock?: Partial<Clock>;
  /** Default: this process's buckets on the real clock. */
  buckets?: BucketRegistry;
  events?: HttpEvents;
}

export interface Account {
  /** Address and credential identity, e.g. `accountKey(url, token)`: clients with the same key share a bucket. */
  key: string;
  /** The remote's published limit for this account (null: none; only rate-limited answers pause it). */
  published: Limit | null;
  /** Whether the connection's `rateLimit` applies to this account (false for a secondary API, like a Tempo connection's Jira site). */
  primary?: boolean;
}

/** A bucket key for an address and a credential, without keeping the credential itself. */
export function accountKey(url: string, ...secrets: string[]): string {
  const id = createHash('sha256').update(secrets.join('\u0000')).digest('hex').slice(0, 32);
  return `${url.replace(/\/+$/, '')}\u0000${id}`;
}

/** The setup with its budget made, so every client of one connector shares it (call once per connector). */
export function withBudget(setup: HttpSetup | undefined): HttpSetup {
  const s = setup ?? {};
  return s.budget ? s : { ...s, budget: retryBudget(s.retry === false ? undefined : s.retry?.budgetMs) };
}

/** The pacing, retry and clock options of one client of a connection. */
export function clientOptions(
  setup: HttpSetup | undefined,
  account: Account,
): Pick<HttpClientOptions, 'limiter' | 'retry' | 'budget' | 'now' | 'sleep' | 'random' | 'events'> {
  const s = setup ?? {};
  const limit = (account.primary ?? true) && s.rateLimit ? s.rateLimit : account.published;
  const budget = s.budget ?? retryBudget(s.retry === false ? undefined : s.retry?.budgetMs);
  return {
    limiter: (s.buckets ?? processBuckets).bucket(account.key, limit),
    budget,
    ...(s.retry !== undefined ? { retry: s.retry } : {}),
    ...(s.clock?.now ? { now: s.clock.now } : {}),
    ...(s.clock?.sleep ? { sleep: s.clock.sleep } : {}),
    ...(s.clock?.random ? { random: s.clock.random } : {}),
    ...(s.events ? { events: s.events } : {}),
  };
}
