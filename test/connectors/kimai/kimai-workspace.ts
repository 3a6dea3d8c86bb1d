/**
 * A Timebridge workspace for Kimai sync tests, built the way a user builds one: a
 * timebridge.yaml with Kimai connections and links, loaded and composed by the real
 * config path (which also works out each link's reference sources). Helpers read and
 * write hub records directly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/app/config.js';
import { composeApp, type App } from '../../../src/app/compose.js';
import type { Fields, HubRecord, RecordKind } from '../../../src/core/model.js';
import { runLink, type RunResult } from '../../../src/runtime/run-link.js';
import type { RunOptions } from '../../../src/runtime/types.js';

export const CLOCK = new Date(Date.UTC(2026, 2, 10, 12));

export interface Workspace {
  dir: string;
  app: App;
  run(link: string, opts?: Partial<RunOptions>): Promise<RunResult>;
  /** Run links in order, as `timebridge sync` would. */
  runAll(links: string[], opts?: Partial<RunOptions>): Promise<RunResult[]>;
  records(kind: RecordKind, scope?: string): Promise<HubRecord[]>;
  byField(kind: RecordKind, field: string, value: unknown, scope?: string): Promise<HubRecord>;
  write(kind: RecordKind, fields: Fields, opts?: { id?: string; scope?: string; tombstone?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function workspace(yaml: string, env: Record<string, string> = {}): Promise<Workspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-kimai-'));
  const file = path.join(dir, 'timebridge.yaml');
  fs.writeFileSync(file, yaml);
  const fullEnv = { ...process.env, ...env };
  const app = await composeApp(loadConfig(file, fullEnv), { clock: () => CLOCK, env: fullEnv });
  let n = 0;
  const spec = (name: string) => {
    const s = app.links.get(name);
    if (!s) throw new Error(`no link ${name} in the test config`);
    return s;
  };
  const ws: Workspace = {
    dir, app,
    run: (link, opts = {}) => runLink(spec(link), { store: app.store, clock: () => CLOCK }, { trigger: 'test', ...opts }),
    async runAll(links, opts = {}) {
      const out: RunResult[] = [];
      for (const l of links) out.push(await ws.run(l, opts));
      return out;
    },
    async records(kind, scope = 'work') {
      return (await app.store.listScope(scope, kind)).filter((r) => !r.tombstone);
    },
    async byField(kind, field, value, scope = 'work') {
      const found = (await ws.records(kind, scope)).filter((r) => r.fields[field] === value);
      if (found.length !== 1) throw new Error(`expected one ${kind} with ${field}=${String(value)}, found ${found.length}`);
      return found[0]!;
    },
    async write(kind, fields, opts = {}) {
      const id = opts.id ?? `rec-${kind}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
      const existing = (await app.store.getRecords([id]))[0];
      await app.store.commit({
        records: [{
          id, kind, scope: opts.scope ?? 'work', fields, identity: null, tombstone: opts.tombstone ?? false, origin: 'user:test', runId: null,
          expectedVersion: existing?.version ?? 0, updatedAt: CLOCK.toISOString(),
        }],
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

/** YAML for one Kimai connection and its five links in scope `work`. */
export function kimaiLinks(name: string, url: string, opts: { token?: string; timesheets?: string; taxonomyDirection?: string; collection?: string } = {}): { connection: string; links: string } {
  const connection = `  ${name}:\n    type: kimai\n    url: ${url}\n    token: ${opts.token ?? 'admin-token-0123456789'}\n    timeZone: Europe/Berlin\n`;
  const dir = opts.taxonomyDirection ?? 'pull';
  const links = [
    `  ${name}-customers: { connection: ${name}, scope: work, externalKind: customer, direction: ${dir} }`,
    `  ${name}-projects: { connection: ${name}, scope: work, externalKind: project, direction: ${dir} }`,
    `  ${name}-activities: { connection: ${name}, scope: work, externalKind: activity, direction: ${dir} }`,
    `  ${name}-users: { connection: ${name}, scope: work, externalKind: user, direction: pull }`,
    `  ${name}-timesheets: { connection: ${name}, scope: work, externalKind: timesheet, collection: ${opts.collection ?? 'all'}${opts.timesheets ? `, ${opts.timesheets}` : ''} }`,
  ].join('\n');
  return { connection, links };
}

export function config(parts: { connection: string; links: string }[]): string {
  return `store:\n  path: hub.sqlite\nconnections:\n${parts.map((p) => p.connection).join('')}links:\n${parts.map((p) => p.links).join('\n')}\n`;
}

export const taxonomy = (name: string) => [`${name}-customers`, `${name}-projects`, `${name}-activities`, `${name}-users`];
