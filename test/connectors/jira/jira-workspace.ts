/**
 * A Timebridge workspace for the Jira/Tempo tests, built the way a user builds one: a
 * timebridge.yaml with a Tempo connection (site A) and a Jira connection (site B) and
 * their links, loaded and composed by the real config path (which works out each link's
 * reference sources), on a SQLite file in a temp folder. The hub's clock is the test's.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/app/config.js';
import { composeApp, type App } from '../../../src/app/compose.js';
import type { Fields, HubRecord, RecordKind } from '../../../src/core/model.js';
import { runLink, type RunResult } from '../../../src/runtime/run-link.js';
import type { RunDeps, RunOptions } from '../../../src/runtime/types.js';
import { API_TOKEN, TEMPO_TOKEN, type Clock } from './jira-fixture.js';

export interface Workspace {
  app: App;
  run(link: string, opts?: Partial<RunOptions>, deps?: Partial<RunDeps>): Promise<RunResult>;
  runAll(links: string[]): Promise<RunResult[]>;
  records(kind: RecordKind): Promise<HubRecord[]>;
  one(kind: RecordKind, match: (f: Fields) => boolean): Promise<HubRecord>;
  write(kind: RecordKind, fields: Fields): Promise<string>;
  close(): Promise<void>;
}

export const DIRECTORY = ['a-users', 'a-issues', 'b-users', 'b-issues'];
export const WORKLOGS = ['a-worklogs', 'b-worklogs', 'a-worklogs'];

export interface SiteUrls { tempo: string; jiraA: string; jiraB: string }

/** Site A: Tempo on Jira A; site B: Jira native. B-1 is A-1 by key map, B-2 carries A-2 in a custom field. */
export function replicationYaml(u: SiteUrls, extra: { aWorklogs?: string; bWorklogs?: string } = {}): string {
  return `store:
  path: hub.sqlite
connections:
  a:
    type: tempo
    url: ${u.tempo}
    token: ${TEMPO_TOKEN}
    jira: { url: "${u.jiraA}", email: sync@a.example, token: ${API_TOKEN} }
  b:
    type: jira
    url: ${u.jiraB}
    email: sync@b.example
    token: ${API_TOKEN}
links:
  a-users: { connection: a, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  a-issues: { connection: a, scope: work, externalKind: issue, collection: A, direction: pull, conflict: hub-wins }
  b-users: { connection: b, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  b-issues:
    connection: b
    scope: work
    externalKind: issue
    collection: B
    direction: pull
    conflict: hub-wins
    options: { keyMap: { B-1: A-1 }, keyField: customfield_10042 }
  a-worklogs:
    connection: a
    scope: work
    externalKind: worklog
    collection: A
    window: { pastDays: 30, futureDays: 30 }
    options: { fallbackAuthor: "a:sync"${extra.aWorklogs ? `, ${extra.aWorklogs}` : ''} }
  b-worklogs:
    connection: b
    scope: work
    externalKind: worklog
    collection: B${extra.bWorklogs ? `\n    options: { ${extra.bWorklogs} }` : ''}
`;
}

export async function workspace(yaml: string, clock: Clock): Promise<Workspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-jira-'));
  const file = path.join(dir, 'timebridge.yaml');
  fs.writeFileSync(file, yaml);
  const now = () => new Date(clock.now());
  const app = await composeApp(loadConfig(file, process.env), { clock: now, env: process.env });
  let n = 0;
  const spec = (name: string) => {
    const s = app.links.get(name);
    if (!s) throw new Error(`no link ${name} in the test config`);
    return s;
  };
  const ws: Workspace = {
    app,
    run: (link, opts = {}, deps = {}) => runLink(spec(link), { store: app.store, clock: now, ...deps }, { trigger: 'test', ...opts }),
    async runAll(links) {
      const out: RunResult[] = [];
      for (const l of links) out.push(await ws.run(l));
      return out;
    },
    async records(kind) {
      return (await app.store.listScope('work', kind)).filter((r) => !r.tombstone);
    },
    async one(kind, match) {
      const found = (await ws.records(kind)).filter((r) => match(r.fields));
      if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}: ${JSON.stringify(found.map((r) => r.fields))}`);
      return found[0]!;
    },
    async write(kind, fields) {
      const id = `rec-${kind}-${++n}-${Math.random().toString(36).slice(2, 8)}`;
      await app.store.commit({
        records: [{ id, kind, scope: 'work', fields, identity: null, tombstone: false, origin: 'user:test', runId: null, expectedVersion: 0, updatedAt: now().toISOString() }],
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

/** Every run ended ok; otherwise the errors, for the assertion message. */
export function allOk(results: RunResult[]): string | null {
  const bad = results.filter((r) => r.run.status !== 'ok');
  return bad.length ? JSON.stringify(bad.map((r) => ({ link: r.run.linkId, status: r.run.status, errors: r.run.errors }))) : null;
}
