/**
 * Shared set-up of the Timekeeper tests: one real Virtuoso per test file, a seeded
 * Timekeeper data set whose Kimai ids are the Kimai tests' (kimai-fixture.ts: anna 1, ben 2;
 * Acme 10, Globex 11; Website 20, Support 21, Migration 22; Meeting 30 global, Design 31,
 * Hotline 32), and connectors on it.
 */
import { timekeeperSeed, TK, type TimekeeperSeed } from '../../../src/app/timekeeper-seed.js';
import { createTimekeeperConnector, sparqlOf, timekeeperConfigSchema, type TimekeeperConfig } from '../../../src/connectors/timekeeper/index.js';
import type { Connector } from '../../../src/connectors/kit/connector.js';
import type { TimekeeperItem } from '../../../src/connectors/timekeeper/types.js';
import type { Virtuoso } from '../../support/virtuoso.js';

export function seedData(extra: Partial<TimekeeperSeed> = {}): TimekeeperSeed {
  return {
    customers: [
      { kimaiId: 10, name: 'Acme', color: '#2e7d32' },
      { kimaiId: 11, name: 'Globex' },
    ],
    projects: [
      { kimaiId: 20, name: 'Website', customer: 10, color: '#1565c0' },
      { kimaiId: 21, name: 'Support', customer: 10 },
      { kimaiId: 22, name: 'Migration', customer: 11 },
    ],
    activities: [
      { kimaiId: 30, name: 'Meeting', project: null },
      { kimaiId: 31, name: 'Design', project: 20 },
      { kimaiId: 32, name: 'Hotline', project: 21 },
    ],
    persons: [
      { name: 'Anna', username: 'anna', kimaiUserId: 1 },
      { name: 'Ben', username: 'ben', kimaiUserId: 2 },
    ],
    workLogs: [],
    timesheets: [],
    ...extra,
  };
}

/** Empties the Timekeeper graphs and loads `data`. */
export async function reseed(v: Virtuoso, data: TimekeeperSeed): Promise<void> {
  for (const g of Object.values(TK.graphs)) await v.sparql(`CLEAR GRAPH <${g}>`);
  for (const u of timekeeperSeed(data)) await v.sparql(u);
}

export function tkConfig(v: Virtuoso, extra: Partial<TimekeeperConfig> = {}): TimekeeperConfig {
  return timekeeperConfigSchema.parse({ endpoint: v.sparqlUrl, ...extra });
}

export function tkConnector<T extends TimekeeperItem>(
  v: Virtuoso,
  kind: 'work-log' | 'timesheet',
  o: { fetch?: typeof fetch; config?: Partial<TimekeeperConfig> } = {},
): Connector<T> {
  const c = tkConfig(v, o.config);
  return createTimekeeperConnector(c, kind, null, sparqlOf(c, {}, o.fetch)) as Connector<T>;
}

/** Triples of a subject, as `predicate → values` (sorted), read as the store's owner. */
export async function triplesOf(v: Virtuoso, subject: string): Promise<Record<string, string[]>> {
  const body = (await v.sparql(`SELECT ?p ?o WHERE { <${subject}> ?p ?o }`, 'query')) as {
    results: { bindings: { p: { value: string }; o: { value: string } }[] };
  };
  const out: Record<string, string[]> = {};
  for (const b of body.results.bindings) (out[b.p.value] ??= []).push(b.o.value);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

/** One request the proxy passed on: its headers and its form (`query` or `update`) and text. */
export interface Seen {
  headers: Record<string, string | string[] | undefined>;
  form: 'query' | 'update' | 'other';
  text: string;
}

/**
 * An HTTP proxy in front of Virtuoso that records what the connector sends (the mu-auth
 * headers) and can call a hook before passing a request on (to stop Virtuoso mid-run).
 * A request it cannot pass on (Virtuoso down) loses its connection, as a stopped server's would.
 */
export interface Proxy {
  url: string;
  seen: Seen[];
  /** Called before each request is passed on. */
  before: ((s: Seen) => Promise<void>) | null;
  /** Rewrites Virtuoso's answer to a request before it is passed back (a proxy losing rows). */
  rewrite: ((s: Seen, answer: string) => string) | null;
  close(): Promise<void>;
}

export async function startProxy(target: () => string): Promise<Proxy> {
  const http = await import('node:http');
  const proxy: Proxy = { url: '', seen: [], before: null, rewrite: null, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const params = new URLSearchParams(body);
        const form = params.has('update') ? 'update' : params.has('query') ? 'query' : 'other';
        const s: Seen = { headers: { ...req.headers }, form, text: params.get(form) ?? body };
        proxy.seen.push(s);
        if (proxy.before) await proxy.before(s);
        try {
          const answer = await fetch(target(), {
            method: req.method ?? 'POST',
            headers: { 'content-type': req.headers['content-type'] ?? '', accept: req.headers.accept ?? '' },
            body,
          });
          const text = proxy.rewrite ? proxy.rewrite(s, await answer.text()) : await answer.text();
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
          res.end(text);
        } catch {
          req.socket.destroy();
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  proxy.url = `http://127.0.0.1:${port}/sparql`;
  proxy.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return proxy;
}
