/**
 * A Timebridge workspace built the way a user builds one: a timebridge.yaml in a temp
 * folder, loaded and composed by the real config path (which works out each link's
 * reference sources), on a SQLite file, with the test's clock. Helpers run links and
 * read and write hub records directly. The connector tests (Kimai, Jira/Tempo) share it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/app/config.js';
import type { HttpEnvironment } from '../../src/app/catalog.js';
import { composeApp, type App } from '../../src/app/compose.js';
import { bucketRegistry } from '../../src/connectors/kit/rate-limiter.js';
import type { Fields, HubRecord, RecordKind } from '../../src/core/model.js';
import { runLink, type RunResult } from '../../src/runtime/run-link.js';
import type { RunDeps, RunOptions } from '../../src/runtime/types.js';

export interface Workspace {
  dir: string;
  app: App;
  run(link: string, opts?: Partial<RunOptions>, deps?: Partial<RunDeps>): Promise<RunResult>;
  /** Run links in order, as `timebridge sync` would. */
  runAll(links: string[], opts?: Partial<RunOptions>): Promise<RunResult[]>;
  /** Live records of a kind in a scope (default: the workspace's). */
  records(kind: RecordKind, scope?: string): Promise<HubRecord[]>;
  /** The one live record whose fields match; throws naming what it found otherwise. */
  one(kind: RecordKind, match: (f: Fields) => boolean, scope?: string): Promise<HubRecord>;
  byField(kind: RecordKind, field: string, value: unknown, scope?: string): Promise<HubRecord>;
  /** Write a hub record as a user would (a new one, or a new version of `id`); returns its id. */
  write(kind: RecordKind, fields: Fields, opts?: { id?: string; scope?: string; tombstone?: boolean }): Promise<string>;
  close(): Promise<void>;
}

/** Retries and bucket waits that take no wall time: the default of these workspaces (the kit's own tests check the waits). */
export function instantHttp(): HttpEnvironment {
  const sleep = async () => undefined;
  return { clock: { sleep }, buckets: bucketRegistry({ sleep }) };
}

/** `http`: how connectors pace and retry (default `instantHttp()`; `{}` for the real clock, as the CLI has). */
export async function workspace(
  yaml: string,
  o: { clock: () => Date; prefix?: string; scope?: string; env?: Record<string, string>; http?: HttpEnvironment },
): Promise<Workspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), o.prefix ?? 'tb-ws-'));
  const file = path.join(dir, 'timebridge.yaml');
  fs.writeFileSync(file, yaml);
  const env = { ...process.env, ...o.env };
  const app = await composeApp(loadConfig(file, env), { clock: o.clock, env, http: o.http ?? instantHttp() });
  const scope = o.scope ?? 'work';
  let n = 0;
  const spec = (name: string) => {
    const s = app.links.get(name);
    if (!s) throw new Error(`no link ${name} in the test config`);
    return s;
  };
  const ws: Workspace = {
    dir,
    app,
    run: (link, opts = {}, deps = {}) => runLink(spec(link), { store: app.store, clock: o.clock, ...deps }, { trigger: 'test', ...opts }),
    async runAll(links, opts = {}) {
      const out: RunResult[] = [];
      for (const l of links) out.push(await ws.run(l, opts));
      return out;
    },
    async records(kind, s = scope) {
      return (await app.store.listScope(s, kind)).filter((r) => !r.tombstone);
    },
    async one(kind, match, s = scope) {
      const found = (await ws.records(kind, s)).filter((r) => match(r.fields));
      if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}: ${JSON.stringify(found.map((r) => r.fields))}`);
      return found[0]!;
    },
    byField: (kind, field, value, s = scope) => ws.one(kind, (f) => f[field] === value, s),
    async write(kind, fields, opts = {}) {
      const id = opts.id ?? `rec-${kind}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
      const existing = (await app.store.getRecords([id]))[0];
      await app.store.commit({
        records: [
          {
            id,
            kind,
            scope: opts.scope ?? scope,
            fields,
            identity: null,
            tombstone: opts.tombstone ?? false,
            origin: 'user:test',
            runId: null,
            expectedVersion: existing?.version ?? 0,
            updatedAt: o.clock().toISOString(),
          },
        ],
      });
      return id;
    },
    async close() {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return ws;
}
