/**
 * The demo's Timekeeper stand-in (issue 23): when Virtuoso is installed, a SPARQL store
 * with its database in the workspace (timekeeper/), loaded once with a small Timekeeper
 * data set (app/timekeeper-seed.ts), and a Kimai of its own (a second Kimai emulator, so the
 * demo's other Kimai links and their counts stay as they are). Scope `timekeeper` then does
 * what the Kimai sync service did: work logs ⇄ hub ⇄ Kimai, day-granular. The Timekeeper
 * part of timebridge.yaml is written only when the store runs, so a config never names a
 * connection that cannot run; without Virtuoso the demo says how to get it and goes on.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { timekeeperSeed, type TimekeeperSeed } from '../../app/timekeeper-seed.js';
import { startVirtuoso, VIRTUOSO_BIN, virtuosoAvailable, type Virtuoso } from '../../app/virtuoso.js';
import type { App } from '../../app/compose.js';
import type { Emulator } from '../../emulators/kit/emulator.js';
import { EMULATORS } from '../../emulators/registry.js';
import { demoData } from '../../emulators/kimai/kimai-data.js';

export const DEMO_TK_SCOPE = 'timekeeper';
const TK_CONNECTION = 'timekeeper';
const TK_KIMAI = 'tkkimai';

/** The Timekeeper part of the demo's timebridge.yaml (the addresses are set on every start). */
export const DEMO_TK_CONNECTIONS = {
  [TK_CONNECTION]: { type: 'timekeeper', endpoint: 'http://127.0.0.1:8890/sparql' },
  [TK_KIMAI]: { type: 'kimai', url: 'http://127.0.0.1:8798', token: 'kimai-demo-admin-token' },
};
const pull = (externalKind: string) => ({ connection: TK_KIMAI, scope: DEMO_TK_SCOPE, externalKind, direction: 'pull' });
export const DEMO_TK_LINKS = {
  'tk-customers': pull('customer'),
  'tk-projects': pull('project'),
  'tk-activities': pull('activity'),
  'tk-users': pull('user'),
  // Work logs carry a day and a duration, no time of day: the Kimai side keeps days too.
  'tk-kimai-timesheets': {
    connection: TK_KIMAI,
    scope: DEMO_TK_SCOPE,
    externalKind: 'timesheet',
    options: { granularity: 'day' },
    window: { pastDays: 31, futureDays: 31 },
  },
  'tk-work-logs': { connection: TK_CONNECTION, scope: DEMO_TK_SCOPE, externalKind: 'work-log', options: { kimai: TK_KIMAI } },
  'tk-timesheets': { connection: TK_CONNECTION, scope: DEMO_TK_SCOPE, externalKind: 'timesheet', options: { kimai: TK_KIMAI } },
};

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Timekeeper's data: Kimai's taxonomy and users with the Kimai emulator's ids, a few work logs, this month's timesheets. */
export function demoTimekeeperSeed(now: Date): TimekeeperSeed {
  const kimai = demoData(now);
  const user = (name: string) => kimai.users.find((u) => u.username === name)!;
  const activity = (name: string) => kimai.activities.find((a) => a.name === name)!.id;
  const day = (offset: number) => isoDay(now.getTime() + offset * 86_400_000);
  const month = isoDay(now.getTime()).slice(0, 7);
  return {
    customers: kimai.customers.map((c) => ({ kimaiId: c.id, name: c.name, ...(c.color ? { color: c.color } : {}) })),
    projects: kimai.projects.map((p) => ({ kimaiId: p.id, name: p.name, customer: p.customer, ...(p.color ? { color: p.color } : {}) })),
    activities: kimai.activities.map((a) => ({ kimaiId: a.id, name: a.name, project: a.project })),
    persons: ['anna', 'ben'].map((u) => ({ name: user(u).alias ?? u, username: u, kimaiUserId: user(u).id })),
    workLogs: [
      { key: 'demo-anna-design', username: 'anna', kimaiActivityId: activity('Design'), date: day(-3), duration: 'PT3H' },
      { key: 'demo-anna-hotline', username: 'anna', kimaiActivityId: activity('Hotline'), date: day(-4), duration: 'PT45M' },
      { key: 'demo-ben-transfer', username: 'ben', kimaiActivityId: activity('Data transfer'), date: day(-3), duration: 'PT2H30M' },
    ],
    timesheets: [
      { username: 'anna', month, state: 'draft' },
      { username: 'ben', month, state: 'draft' },
    ],
  };
}

const flow = (v: unknown): string => YAML.stringify(v, { collectionStyle: 'flow', lineWidth: 0 }).trim();

/** The Timekeeper part of the config as YAML lines: the connections, and the links. */
function timekeeperYaml(): { connections: string; links: string } {
  const connections = [
    '  # A Timekeeper (mu-semtech) stand-in: a Virtuoso store kept in timekeeper/, and its own Kimai (tkkimai);',
    '  # the demo writes this part when Virtuoso is installed, and sets both addresses on every start.',
    ...Object.entries(DEMO_TK_CONNECTIONS).map(([name, c]) => `  ${name}: ${flow(c)}`),
  ];
  const links = [
    '  # Scope timekeeper does what the Kimai sync service did: work logs ⇄ hub ⇄ Kimai, by day (granularity: day).',
    ...Object.entries(DEMO_TK_LINKS).map(([name, l]) => `  ${name}: ${flow(l)}`),
  ];
  return { connections: `${connections.join('\n')}\n`, links: `${links.join('\n')}\n` };
}

/**
 * Adds the Timekeeper connections and links to the workspace's config unless it has them
 * (as text at the end of each block, so the file keeps its layout and comments); true when it wrote.
 */
export function addTimekeeperConfig(configFile: string): boolean {
  const text = fs.readFileSync(configFile, 'utf8');
  const doc = YAML.parseDocument(text);
  if (doc.hasIn(['connections', TK_CONNECTION])) return false;
  const connections = doc.get('connections', true);
  const links = doc.get('links', true);
  if (!YAML.isMap(connections) || !YAML.isMap(links) || connections.flow || links.flow || !connections.range || !links.range) {
    throw new Error(`${configFile}: connections and links are not block mappings; add the Timekeeper part by hand (see docs/architecture.md, Timekeeper)`);
  }
  const part = timekeeperYaml();
  // The end of each block's last value; a block ends with a line break, so the lines go in after it.
  const at = (end: number) => text.indexOf('\n', end - 1) + 1 || text.length;
  const inserts = [
    { offset: at(connections.range[1]), add: part.connections },
    { offset: at(links.range[1]), add: part.links },
  ].sort((x, y) => y.offset - x.offset);
  let out = text.endsWith('\n') ? text : `${text}\n`;
  for (const i of inserts) out = out.slice(0, i.offset) + i.add + out.slice(i.offset);
  const check = YAML.parse(out) as { connections?: Record<string, unknown>; links?: Record<string, unknown> };
  if (!check.connections?.[TK_CONNECTION] || !check.links?.['tk-work-logs'])
    throw new Error(`${configFile}: could not add the Timekeeper part; add it by hand`);
  fs.writeFileSync(configFile, out);
  return true;
}

export interface DemoTimekeeper {
  env: Record<string, string>;
  urls: string[];
  virtuoso: Virtuoso;
  kimai: Emulator;
  close(): Promise<void>;
}

/**
 * Starts the stand-in when Virtuoso is installed (seeding its store on first use and adding
 * its part to the config), else prints how to get it; null when it does not run.
 */
export async function startDemoTimekeeper(dir: string, say: (line: string) => void): Promise<DemoTimekeeper | null> {
  const configFile = path.join(dir, 'timebridge.yaml');
  const configured = YAML.parseDocument(fs.readFileSync(configFile, 'utf8')).hasIn(['connections', TK_CONNECTION]);
  if (!virtuosoAvailable()) {
    say(
      `Timekeeper stand-in: not started, Virtuoso is not installed (${VIRTUOSO_BIN}). Install it with\n` +
        `  sudo apt-get install virtuoso-opensource\n` +
        `and run the demo again to sync a Timekeeper (mu-semtech) store with Kimai.` +
        (configured ? `\nThe links of scope ${DEMO_TK_SCOPE} in timebridge.yaml need it: they will fail until it is installed.` : ''),
    );
    return null;
  }
  const storeDir = path.join(dir, 'timekeeper');
  const virtuoso = await startVirtuoso({ dir: storeDir });
  let kimai: Emulator | null = null;
  try {
    const marker = path.join(storeDir, 'seeded');
    if (!fs.existsSync(marker)) {
      for (const update of timekeeperSeed(demoTimekeeperSeed(new Date()))) await virtuoso.sparql(update);
      fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
    }
    const file = path.join(dir, 'emulators', 'kimai-timekeeper.bin');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    kimai = await (await EMULATORS.kimai!.load()).create({ seed: 2, demo: !fs.existsSync(file) });
    kimai.persist(file);
    const kimaiUrl = await kimai.listen({ port: 0 });
    if (addTimekeeperConfig(configFile)) say(`Timekeeper stand-in: added its connections and the links of scope ${DEMO_TK_SCOPE} to timebridge.yaml.`);
    const k = kimai;
    let closed = false;
    return {
      env: { TIMEBRIDGE_CONNECTIONS__TIMEKEEPER__ENDPOINT: virtuoso.sparqlUrl, TIMEBRIDGE_CONNECTIONS__TKKIMAI__URL: kimaiUrl },
      urls: [`timekeeper (Virtuoso) ${virtuoso.sparqlUrl}`, `kimai for timekeeper ${kimaiUrl}`],
      virtuoso,
      kimai: k,
      close: async () => {
        if (closed) return;
        closed = true;
        await k.close();
        await virtuoso.stop();
      },
    };
  } catch (err) {
    await kimai?.close();
    await virtuoso.stop();
    throw err;
  }
}

/** One line on scope timekeeper: work logs in the store, time entries in the hub, records in its Kimai. */
export async function timekeeperSummary(app: App, tk: DemoTimekeeper): Promise<string> {
  const body = (await tk.virtuoso.sparql('SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a <http://www.w3.org/2002/12/cal/ical#Vevent> }', 'query')) as {
    results: { bindings: { n: { value: string } }[] };
  };
  const workLogs = Number(body.results.bindings[0]?.n.value ?? 0);
  const entries = (await app.store.listScope(DEMO_TK_SCOPE, 'timeEntry')).filter((r) => !r.tombstone).length;
  const kimai = (tk.kimai as Emulator & { data(): { timesheets: unknown[] } }).data().timesheets.length;
  return `Timekeeper stand-in (scope ${DEMO_TK_SCOPE}): ${workLogs} work logs in Timekeeper, ${entries} time entries in the hub, ${kimai} timesheets in its Kimai`;
}
