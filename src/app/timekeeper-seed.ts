/**
 * A small Timekeeper data set for tests and the demo, as Timekeeper's own services write
 * it (api-contracts-more.md §3): the timesheet status concepts and the workspace scheme
 * (public graph), customers, projects and activities with their Kimai ids (kimai graph),
 * persons with a Kimai account (users graph), work logs and timesheets (redpencil graph).
 * `timekeeperSeed` gives the INSERT DATA updates; loading them is the caller's.
 */
import { createHash } from 'node:crypto';

export const TK = {
  base: 'http://timekeeper.redpencil.io',
  workspace: 'http://timekeeper.redpencil.io/workspaces/7530c9c9-4905-4fae-b63f-7a8d29232377',
  kimaiHomepage: 'http://kimai.redpencil.io',
  graphs: {
    public: 'http://mu.semte.ch/graphs/public',
    kimai: 'http://mu.semte.ch/graphs/kimai',
    users: 'http://mu.semte.ch/graphs/users',
    redpencil: 'http://mu.semte.ch/graphs/redpencil',
  },
  status: {
    draft: 'http://timekeeper.redpencil.io/concepts/f1fa3569-7f98-47a9-b03b-90b42e9f3c52',
    'absence-submitted': 'http://timekeeper.redpencil.io/concepts/01ddb33a-a15b-49d6-8422-bc78123db966',
    submitted: 'http://timekeeper.redpencil.io/concepts/8ba56847-1713-478c-aa63-6eace21b3adf',
    exported: 'http://timekeeper.redpencil.io/concepts/9d50b644-3d61-4a9d-b3a9-0b27f4f1d566',
  },
} as const;

export interface SeedPerson {
  name: string;
  /** Kimai username and user id of their Kimai account. */
  username: string;
  kimaiUserId: number;
}

export interface SeedWorkLog {
  /** A fixed key: the work log's uuid is derived from it, so tests know its URI. */
  key: string;
  username: string;
  kimaiActivityId: number;
  date: string;
  duration: string;
}

export interface SeedTimesheet {
  username: string;
  month: string;
  state: keyof typeof TK.status;
}

export interface TimekeeperSeed {
  customers: { kimaiId: number; name: string; color?: string }[];
  projects: { kimaiId: number; name: string; customer: number; color?: string }[];
  /** `project: null`: a Kimai global activity (no parent). */
  activities: { kimaiId: number; name: string; project: number | null }[];
  persons: SeedPerson[];
  workLogs: SeedWorkLog[];
  timesheets: SeedTimesheet[];
}

const uuidOf = (text: string): string => {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

const lit = (s: string): string => `"""${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"""`;

export const seedUris = {
  customer: (id: number) => `${TK.base}/customers/${uuidOf(`customer:${id}`)}`,
  task: (id: number) => `${TK.base}/tasks/${uuidOf(`task:${id}`)}`,
  person: (username: string) => `${TK.base}/persons/${uuidOf(`person:${username}`)}`,
  account: (username: string) => `${TK.base}/accounts/${uuidOf(`account:${username}`)}`,
  workLog: (key: string) => `${TK.base}/work-logs/${uuidOf(`work-log:${key}`)}`,
  timesheet: (username: string, month: string) => `${TK.base}/timesheets/${uuidOf(`timesheet:${username}:${month}`)}`,
};

const P = [
  'PREFIX mu: <http://mu.semte.ch/vocabularies/core/>',
  'PREFIX ext: <http://mu.semte.ch/vocabularies/ext/>',
  'PREFIX cal: <http://www.w3.org/2002/12/cal/ical#>',
  'PREFIX prov: <http://www.w3.org/ns/prov#>',
  'PREFIX dct: <http://purl.org/dc/terms/>',
  'PREFIX ui: <http://www.w3.org/ns/ui#>',
  'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>',
  'PREFIX wf: <http://www.w3.org/2005/01/wf/flow#>',
  'PREFIX skos: <http://www.w3.org/2004/02/skos/core#>',
  'PREFIX foaf: <http://xmlns.com/foaf/0.1/>',
  'PREFIX doap: <http://usefulinc.com/ns/doap#>',
  'PREFIX time: <http://www.w3.org/2006/time#>',
  'PREFIX adms: <http://www.w3.org/ns/adms#>',
  'PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>',
].join('\n');

function lastDay(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return `${month}-${String(new Date(Date.UTC(y, m, 0)).getUTCDate()).padStart(2, '0')}`;
}

/** The updates that load the data set (each an INSERT DATA into its graph). */
export function timekeeperSeed(d: TimekeeperSeed): string[] {
  const u = seedUris;
  const pub = [`<${TK.workspace}> a skos:ConceptScheme ; rdfs:label "Redpencil timesheets" .`];
  for (const [name, c] of Object.entries(TK.status)) pub.push(`<${c}> a skos:Concept ; skos:prefLabel ${lit(name)} .`);
  const kimai: string[] = [];
  for (const c of d.customers) {
    kimai.push(`<${u.customer(c.kimaiId)}> a prov:Organization ; mu:uuid ${lit(u.customer(c.kimaiId).split('/').pop()!)} ; rdfs:label ${lit(c.name)} ;`);
    kimai.push(`  dct:identifier ${lit(String(c.kimaiId))}${c.color ? ` ; ui:color ${lit(c.color)}` : ''} .`);
  }
  for (const p of d.projects) {
    const s = u.task(p.kimaiId);
    kimai.push(`<${s}> a wf:Task, doap:Project ; mu:uuid ${lit(s.split('/').pop()!)} ; rdfs:label ${lit(p.name)} ; dct:identifier ${lit(String(p.kimaiId))} ;`);
    kimai.push(
      `  skos:topConceptOf <${TK.workspace}> ; skos:inScheme <${TK.workspace}> ; prov:wasAttributedTo <${u.customer(p.customer)}>${p.color ? ` ; ui:color ${lit(p.color)}` : ''} .`,
    );
  }
  for (const a of d.activities) {
    const s = u.task(a.kimaiId);
    kimai.push(
      `<${s}> a wf:Task, ext:KimaiActivity ; mu:uuid ${lit(s.split('/').pop()!)} ; rdfs:label ${lit(a.name)} ; dct:identifier ${lit(String(a.kimaiId))} ;`,
    );
    kimai.push(`  skos:inScheme <${TK.workspace}>${a.project !== null ? ` ; skos:broader <${u.task(a.project)}>` : ''} .`);
  }
  const users: string[] = [];
  for (const p of d.persons) {
    users.push(`<${u.person(p.username)}> a foaf:Person ; foaf:name ${lit(p.name)} ; foaf:account <${u.account(p.username)}> .`);
    users.push(
      `<${u.account(p.username)}> a foaf:OnlineAccount ; foaf:accountName ${lit(p.username)} ; foaf:accountServiceHomepage <${TK.kimaiHomepage}> ; dct:identifier ${lit(String(p.kimaiUserId))} .`,
    );
  }
  const red: string[] = [];
  for (const w of d.workLogs) {
    const s = u.workLog(w.key);
    red.push(`<${s}> a cal:Vevent ; mu:uuid ${lit(s.split('/').pop()!)} ; cal:dtstart "${w.date}"^^xsd:date ; cal:duration ${lit(w.duration)} ;`);
    red.push(`  dct:subject <${u.task(w.kimaiActivityId)}> ; prov:wasAssociatedWith <${u.person(w.username)}> .`);
  }
  for (const t of d.timesheets) {
    const s = u.timesheet(t.username, t.month);
    red.push(
      `<${s}> a skos:Collection ; mu:uuid ${lit(s.split('/').pop()!)} ; time:hasBeginning "${t.month}-01"^^xsd:date ; time:hasEnd "${lastDay(t.month)}"^^xsd:date ;`,
    );
    red.push(`  adms:status <${TK.status[t.state]}> ; prov:wasAssociatedWith <${u.person(t.username)}> .`);
  }
  const insert = (g: string, lines: string[]) => (lines.length ? [`${P}\nINSERT DATA { GRAPH <${g}> {\n${lines.join('\n')}\n} }`] : []);
  return [...insert(TK.graphs.public, pub), ...insert(TK.graphs.kimai, kimai), ...insert(TK.graphs.users, users), ...insert(TK.graphs.redpencil, red)];
}
