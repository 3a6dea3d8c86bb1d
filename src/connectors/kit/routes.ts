/**
 * Extra HTTP routes a connector offers (drop-in compatibility endpoints of a service it
 * replaces), declared in its registry entry and mounted by the HTTP layer under the
 * entry's prefix with token auth, validation, the OpenAPI document and the API's error
 * shape, like every route. A route reaches the rest of the program only through its
 * context: the connector type's links the caller may run, the job queue, hub records the
 * caller can see, and hub operations. Remote work goes through runs of those links
 * (the catalog's connectors, so pacing, retries and metrics apply); a route never builds
 * a client of its own.
 */
import type { z } from 'zod';

/** An enabled link of the connector's type that the caller may run. */
export interface RouteLink {
  name: string;
  scope: string;
  externalKind: string;
  connection: string;
}

/** A connection of the connector's type, for routes that check their callers themselves (`auth: 'network'`). */
export interface RouteConnection {
  name: string;
  /** null: global (the config file's or an admin's); otherwise the user who owns it. */
  owner: string | null;
  /** The connector's validated settings. */
  settings: unknown;
  /** The connection's `webhook.secret`, if it has one. */
  secret: string | null;
}

export interface RouteContext {
  /** The token's user; for `auth: 'network'` routes `network:<address>`, no admin. */
  caller: { userId: string; admin: boolean };
  /** Refuse the request (403) unless the caller is an admin. */
  requireAdmin(): void;
  /** Enabled links of this connector type, of these external kinds, that the caller may run (maybe none). */
  links(externalKinds: string[]): Promise<RouteLink[]>;
  /** Enabled links of another connector type (any external kind) that the caller may run (maybe none). */
  otherLinks(connectorType: string): Promise<RouteLink[]>;
  /** Only for `auth: 'network'` routes: every connection of this connector type (their links, whatever their owner: the route decides whom it trusts). */
  connections(): Promise<RouteConnection[]>;
  /** Only for `auth: 'network'` routes: enabled links of this connector type on this connection. */
  linksOf(connection: string): Promise<RouteLink[]>;
  /** Queue a run of a link after a grace period, as a webhook does: notifications within it fold into one run. */
  notifyChange(link: string, o: { trigger: string; graceMs: number }): Promise<{ jobId: string; folded: boolean }>;
  /** The request's log (never put a request body in it). */
  log: { info(fields: Record<string, unknown>, msg: string): void; warn(fields: Record<string, unknown>, msg: string): void };
  /** Queue a run of a link, as `POST /api/v1/links/{name}/run` does. */
  enqueueRun(
    link: string,
    opts: { trigger: string; full?: boolean; window?: { start: string; end: string }; only?: string[] },
  ): Promise<{ jobId: string; folded: boolean }>;
  /** Wait until these jobs are done or dead, at most `timeoutMs`; their states then. */
  waitForJobs(jobIds: string[], timeoutMs: number): Promise<{ jobId: string; state: string }[]>;
  /** A hub record the caller may read (null: none, or one in a scope the caller has no access to). */
  hubRecord(id: string): Promise<{ id: string; kind: string; scope: string } | null>;
  /** Which remote record each hub record is, for one link. */
  tracked(link: string): Promise<{ hubId: string; extId: string }[]>;
  /**
   * The hub's month lock (runtime/month-lock.ts) on one scope: its report, and the links of
   * the scope that carry it out on their next runs (those whose mapper holds `exported`).
   */
  lockMonth(o: { scope: string; year: number; month: number }): Promise<{ report: unknown; carriers: string[] }>;
}

export interface ConnectorRoute<P = unknown, B = unknown> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under the routes' prefix; `:name` for path parameters. */
  path: string;
  summary: string;
  /**
   * `token` (default): the API's token auth. `network`: no token; the route is public and
   * checks its callers itself (a service that cannot send a token, trusted by where it
   * sits in the network or by a shared secret). Its body arrives as the raw text.
   */
  auth?: 'token' | 'network';
  params?: z.ZodType<P>;
  body?: z.ZodType<B>;
  /** Answers by status: a schema, or `error` for the API's error shape. */
  responses: Record<number, z.ZodType | 'error'>;
  /** Throw a TimebridgeError to refuse (its code picks the status). */
  handle(
    req: { params: P; body: B; query: Record<string, unknown>; headers: Record<string, string | string[] | undefined>; ip: string },
    ctx: RouteContext,
  ): Promise<{ status: number; body: unknown }>;
}

export interface ConnectorRoutes {
  /** Where the routes are mounted (`/`: at the root, as the service they stand in for had them). */
  prefix: string;
  /** OpenAPI tag. */
  tag: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  routes: ConnectorRoute<any, any>[];
}

/** Declare one route with its parameter and body types inferred from its schemas. */
export const route = <P = unknown, B = unknown>(r: ConnectorRoute<P, B>): ConnectorRoute<P, B> => r;
