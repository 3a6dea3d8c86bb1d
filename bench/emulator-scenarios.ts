/**
 * The three scenarios of the emulator benchmark (bench/emulator-bench.ts): each starts its
 * emulators in this process with N items written straight into their stores (no HTTP),
 * writes the timebridge.yaml the CLI child runs, changes 2 % of the items remotely, and
 * checks the remote side after every phase.
 *   - google: N events (timed in zones, all-day, weekly series) in the demo user's primary
 *     calendar → hub (google-event mapper) → a second, empty calendar on the same emulator;
 *   - kimai: customers, projects, activities and users (their links run first), then N
 *     timesheets of every user (collection `all`, a ±31-day window) → hub;
 *   - tempo: N Tempo worklogs of site A → hub → native Jira worklogs on site B (issues
 *     matched by a custom field holding A's key, persons by email), after the four
 *     directory links.
 */
import { adfToText } from '../src/connectors/kit/atlassian/adf.js';
import type { GEvent } from '../src/connectors/google-calendar/google-types.js';
import { createGoogleEmulator, DEMO_REFRESH_TOKEN } from '../src/emulators/google/index.js';
import { DEMO_USER, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../src/emulators/google/oauth.js';
import { createJiraEmulator } from '../src/emulators/jira/index.js';
import { addIssue, addProject, addUser, emptyJiraData, type JiraData } from '../src/emulators/jira/jira-data.js';
import { createKimaiEmulator } from '../src/emulators/kimai/index.js';
import { emptyData, newUser, type EmuTimesheet, type KimaiData } from '../src/emulators/kimai/kimai-data.js';
import type { Emulator } from '../src/emulators/kit/emulator.js';
import { createTempoEmulator } from '../src/emulators/tempo/index.js';
import { emptyTempoData } from '../src/emulators/tempo/tempo-data.js';
import { prng, type Rand } from './ics-gen.js';

export type SystemId = 'google' | 'kimai' | 'tempo';
export const SYSTEMS: SystemId[] = ['google', 'kimai', 'tempo'];

export type Counts = Record<string, Record<string, number>>;

export interface Scenario {
  id: SystemId;
  title: string;
  /** Emulators by name, started (listening). */
  emulators: { name: string; emu: Emulator }[];
  /** timebridge.yaml for the hub in `dir` (store `hub.sqlite` next to it). */
  yaml: string;
  scope: string;
  kind: 'event' | 'timeEntry';
  /** Links whose action counts are checked exactly; the others must only run ok (and do nothing after the first sync). */
  measured: string[];
  /** The system the items are written to, when it is an emulator of its own: its requests per created item are reported. */
  target?: { emulator: string; link: string };
  initialCounts: Counts;
  changedCounts(k: number): Counts;
  /** Change 2 % of the items in the emulator as a user of that system would; returns how many. */
  change(): number;
  /** The text the changed items now carry (their summary or description starts with it). */
  changedMark: string;
  /** Field of the hub record that carries the mark. */
  markField: string;
  /** What is wrong on the remote side after a phase (empty: all well). */
  checkRemote(phase: 'initial' | 'noChange' | 'changed'): string[];
  close(): Promise<void>;
}

const DAY = 86_400_000;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const ZONES = ['Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Tokyo', 'Europe/London'] as const;
const WORDS = ['Review', 'Planning', 'Sync', 'Design', 'Support', 'Workshop', 'Interview', 'Retro', 'Demo', 'Research'];
const changeCount = (n: number) => Math.max(1, Math.round(n * 0.02));

/** `count` distinct indexes of 0..n-1, chosen at random. */
function choose(r: Rand, n: number, count: number): number[] {
  const xs = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(r() * (n - i));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs.slice(0, count);
}

const pad = (n: number) => String(n).padStart(2, '0');
/** Wall time `yyyy-mm-ddThh:mm:00` of a UTC day plus minutes. */
const wall = (dayMs: number, minutes: number) => `${new Date(dayMs).toISOString().slice(0, 10)}T${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00`;
const today = () => Math.floor(Date.now() / DAY) * DAY;

// ---------------------------------------------------------------------------------- google

export async function googleScenario(n: number, seed: number): Promise<Scenario> {
  const r = prng(seed ^ 0x60061e);
  const emu = createGoogleEmulator({ seed });
  const store = emu.store;
  const src = store.calendar('primary', DEMO_USER, 'owner');
  src.cal.timeZone = 'Europe/Berlin';
  const copyId = 'timebridgebenchcopy@group.calendar.google.com';
  store.createCalendar(DEMO_USER, { id: copyId, summary: 'Bench copy', timeZone: 'Europe/Berlin' });
  const copy = store.calendar(copyId, DEMO_USER, 'owner');
  const ids: string[] = [];
  const t0 = today();
  for (let i = 0; i < n; i++) {
    const day = t0 + Math.floor(r() * 56 - 28) * DAY;
    const summary = `${pick(r, WORDS)} ${i}`;
    const roll = r();
    let body: Partial<GEvent>;
    if (roll < 0.05) {
      body = { summary, start: { date: wall(day, 0).slice(0, 10) }, end: { date: wall(day + DAY, 0).slice(0, 10) } };
    } else {
      const tz = pick(r, ZONES);
      const from = 7 * 60 + Math.floor(r() * 20) * 30;
      const len = 30 * (1 + Math.floor(r() * 4));
      body = {
        summary,
        start: { dateTime: wall(day, from), timeZone: tz },
        end: { dateTime: wall(day, from + len), timeZone: tz },
        ...(r() < 0.3 ? { location: `Room ${1 + Math.floor(r() * 9)}` } : {}),
        ...(r() < 0.3 ? { description: `Notes for ${summary}` } : {}),
        ...(roll > 0.95 ? { recurrence: ['RRULE:FREQ=WEEKLY;COUNT=8'] } : {}),
      };
    }
    ids.push(store.insertEvent(src, body).id);
  }
  const url = await emu.listen();
  const changedMark = 'Moved:';
  const live = (rec: typeof src) => [...rec.events.values()].filter((s) => s.ev.status !== 'cancelled' && !s.ev.recurringEventId);
  const summaries = (rec: typeof src) =>
    live(rec)
      .map((s) => s.ev.summary ?? '')
      .sort();
  let changed = 0;
  const conn = (name: string) => [
    `  ${name}:`,
    '    type: google-calendar',
    `    baseUrl: ${url}/calendar/v3`,
    `    tokenUrl: ${url}/token`,
    '    auth:',
    '      type: oauth',
    `      clientId: ${EMULATOR_CLIENT_ID}`,
    `      clientSecret: ${EMULATOR_CLIENT_SECRET}`,
    `      refreshToken: "${DEMO_REFRESH_TOKEN}"`,
    // The emulator has no quota: measure the sync, not Google's 600 requests a minute.
    '    rateLimit: { requests: 100000, perSeconds: 1 }',
  ];
  return {
    id: 'google',
    title: 'Google Calendar (google-event): primary calendar → hub → second calendar',
    emulators: [{ name: 'google', emu }],
    scope: 'calendar',
    kind: 'event',
    measured: ['gcal-source', 'gcal-copy'],
    changedMark,
    markField: 'summary',
    yaml: [
      'store:',
      '  path: hub.sqlite',
      'connections:',
      ...conn('gsrc'),
      ...conn('gdst'),
      'links:',
      '  gcal-source: { connection: gsrc, scope: calendar, collection: primary, mapper: google-event }',
      `  gcal-copy: { connection: gdst, scope: calendar, collection: "${copyId}", mapper: google-event }`,
      '',
    ].join('\n'),
    initialCounts: { 'gcal-source': { 'pull-create': n }, 'gcal-copy': { 'push-create': n } },
    changedCounts: (k) => ({ 'gcal-source': { 'pull-update': k }, 'gcal-copy': { 'push-update': k } }),
    change() {
      const k = changeCount(n);
      for (const i of choose(r, n, k)) {
        const ev = store.getEvent(src, ids[i]!);
        store.writeEvent(src, ev.id, { ...ev, summary: `${changedMark} ${ev.summary ?? ''}` }, undefined, false);
      }
      changed = k;
      return k;
    },
    checkRemote() {
      const problems: string[] = [];
      const a = summaries(src),
        b = summaries(copy);
      if (b.length !== n) problems.push(`second calendar holds ${b.length} events, expected ${n}`);
      if (a.join('\n') !== b.join('\n')) problems.push("the two calendars' summaries differ");
      const moved = b.filter((s) => s.startsWith(changedMark)).length;
      if (moved !== changed) problems.push(`${moved} changed summaries in the second calendar, expected ${changed}`);
      return problems;
    },
    close: () => emu.close(),
  };
}

// ----------------------------------------------------------------------------------- kimai

export const KIMAI_TOKEN = 'kimai-bench-admin-token-0123456789';

export async function kimaiScenario(n: number, seed: number): Promise<Scenario> {
  const r = prng(seed ^ 0x4b1a1);
  const data: KimaiData = emptyData();
  const users = [
    newUser(data, {
      username: 'admin',
      alias: 'Bench Admin',
      timezone: 'Europe/Berlin',
      admin: true,
      apiToken: KIMAI_TOKEN,
      apiPassword: 'admin-api-password',
    }),
  ];
  for (let i = 1; i < 8; i++) {
    users.push(
      newUser(data, {
        username: `worker${i}`,
        alias: `Worker ${i}`,
        timezone: ZONES[i % ZONES.length]!,
        admin: false,
        apiToken: `kimai-bench-user-${i}-0123456789`,
        apiPassword: `pw-${i}`,
      }),
    );
  }
  const customers = Array.from({ length: 5 }, (_, i) => {
    const c = {
      id: data.nextId++,
      name: `Customer ${i}`,
      number: null,
      comment: null,
      visible: true,
      billable: true,
      company: null,
      country: 'DE',
      currency: 'EUR',
      timezone: 'Europe/Berlin',
      color: null,
    };
    data.customers.push(c);
    return c;
  });
  const projects = Array.from({ length: 20 }, (_, i) => {
    const p = {
      id: data.nextId++,
      name: `Project ${i}`,
      customer: customers[i % customers.length]!.id,
      orderNumber: null,
      orderDate: null,
      start: null,
      end: null,
      comment: null,
      visible: true,
      billable: true,
      globalActivities: true,
      number: null,
      color: i % 2 ? '#1565c0' : null,
    };
    data.projects.push(p);
    return p;
  });
  const activities = Array.from({ length: 10 }, (_, i) => {
    const a = { id: data.nextId++, name: WORDS[i]!, project: null, comment: null, visible: true, billable: true, number: null, color: null };
    data.activities.push(a);
    return a;
  });
  const t0 = today();
  const nowMs = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  // Person, start, length, project and activity are a time entry's identity in the hub: no two alike.
  const taken = new Set<string>();
  for (let i = 0; i < n; i++) {
    const user = pick(r, users);
    let begin: number, end: number, project: number, activity: number;
    do {
      begin = t0 + Math.floor(r() * 50 - 28) * DAY + (6 * 60 + Math.floor(r() * 48) * 15) * 60_000;
      end = begin + 15 * (1 + Math.floor(r() * 16)) * 60_000;
      project = pick(r, projects).id;
      activity = pick(r, activities).id;
    } while (taken.has(`${user.id} ${begin} ${end} ${project} ${activity}`));
    taken.add(`${user.id} ${begin} ${end} ${project} ${activity}`);
    const t: EmuTimesheet = {
      id: data.nextId++,
      user: user.id,
      project,
      activity,
      begin,
      end,
      zone: user.timezone,
      breakSeconds: 0,
      description: `${pick(r, WORDS)} work ${i}`,
      tags: [],
      exported: false,
      billable: true,
      hourlyRate: 60,
      fixedRate: null,
      modifiedAt: nowMs,
    };
    data.timesheets.push(t);
  }
  // `data` is copied into the emulator; changes go through emu.data().
  const emu = createKimaiEmulator({ seed, data });
  const url = await emu.listen();
  const changedMark = 'Corrected:';
  return {
    id: 'kimai',
    title: 'Kimai timesheets (collection all, ±31-day window) → hub, taxonomy links first',
    emulators: [{ name: 'kimai', emu }],
    scope: 'work',
    kind: 'timeEntry',
    measured: ['kimai-timesheets'],
    changedMark,
    markField: 'description',
    yaml: [
      'store:',
      '  path: hub.sqlite',
      'connections:',
      '  kimai:',
      '    type: kimai',
      `    url: ${url}`,
      `    token: ${KIMAI_TOKEN}`,
      '    timeZone: Europe/Berlin',
      'links:',
      '  kimai-customers: { connection: kimai, scope: work, externalKind: customer, direction: pull }',
      '  kimai-projects: { connection: kimai, scope: work, externalKind: project, direction: pull }',
      '  kimai-activities: { connection: kimai, scope: work, externalKind: activity, direction: pull }',
      '  kimai-users: { connection: kimai, scope: work, externalKind: user, direction: pull }',
      '  kimai-timesheets: { connection: kimai, scope: work, externalKind: timesheet, collection: all, window: { pastDays: 31, futureDays: 31 } }',
      '',
    ].join('\n'),
    initialCounts: { 'kimai-timesheets': { 'pull-create': n } },
    changedCounts: (k) => ({ 'kimai-timesheets': { 'pull-update': k } }),
    change() {
      const k = changeCount(n);
      const sheets = emu.data().timesheets;
      const at = Math.floor(Date.now() / 1000) * 1000;
      for (const i of choose(r, sheets.length, k)) {
        const t = sheets[i]!;
        t.description = `${changedMark} ${t.description ?? ''}`;
        t.modifiedAt = at;
      }
      return k;
    },
    checkRemote() {
      const have = emu.data().timesheets.length;
      return have === n ? [] : [`Kimai holds ${have} timesheets, expected ${n} (the sync must not write there)`];
    },
    close: () => emu.close(),
  };
}

// ----------------------------------------------------------------------------- tempo → jira

export const JIRA_TOKEN = 'jira-bench-api-token-0123456789';
export const TEMPO_TOKEN = 'tempo-bench-token-0123456789';
const PEOPLE = ['ada', 'ben', 'cleo', 'dev', 'eve', 'finn'];

function site(s: 'A' | 'B', idBase: number, issues: number): JiraData {
  const d = emptyJiraData();
  d.nextId = idBase;
  const dom = s.toLowerCase();
  addUser(d, { accountId: `${dom}:sync`, displayName: `Sync ${s}`, emailAddress: `sync@${dom}.example`, apiToken: JIRA_TOKEN });
  PEOPLE.forEach((p, i) =>
    addUser(d, {
      accountId: `${dom}:${p}`,
      displayName: `${p[0]!.toUpperCase()}${p.slice(1)} Bench`,
      emailAddress: `${p}@example.com`,
      timeZone: ZONES[i % ZONES.length]!,
    }),
  );
  addProject(d, s, `Project ${s}`);
  for (let i = 1; i <= issues; i++) addIssue(d, s, `Issue ${i}`, s === 'B' ? { custom: { customfield_10042: `A-${i}` } } : {});
  d.lastStamp = Date.now() - DAY;
  return d;
}

export async function tempoScenario(n: number, seed: number): Promise<Scenario> {
  const r = prng(seed ^ 0x7e3b0);
  // Jira Cloud refuses more than 5,000 worklogs on one issue: about 50 an issue here.
  const issues = Math.max(5, Math.ceil(n / 50));
  const jiraA = createJiraEmulator({ seed, data: site('A', 10_000, issues) });
  const jiraB = createJiraEmulator({ seed, data: site('B', 900_000, issues) });
  // Tempo keeps its built-in 429 above 5 requests a second: the connector paces itself at 4.
  const tempo = createTempoEmulator({ seed, jira: jiraA.site, data: emptyTempoData([TEMPO_TOKEN]) });
  const aIssues = jiraA.data().issues;
  const t0 = today();
  const at = Date.now() - 3_600_000;
  // Issue, author, start and duration are a worklog's identity in the hub: no two alike.
  const taken = new Set<string>();
  for (let i = 0; i < n; i++) {
    const issue = aIssues[i % aIssues.length]!;
    let w: { author: string; date: string; time: string; seconds: number };
    do {
      w = {
        author: `a:${pick(r, PEOPLE)}`,
        date: new Date(t0 + Math.floor(r() * 40 - 25) * DAY).toISOString().slice(0, 10),
        time: `${pad(7 + Math.floor(r() * 10))}:${pad(Math.floor(r() * 4) * 15)}:00`,
        seconds: 900 * (1 + Math.floor(r() * 16)),
      };
    } while (taken.has(`${issue.id} ${w.author} ${w.date} ${w.time} ${w.seconds}`));
    taken.add(`${issue.id} ${w.author} ${w.date} ${w.time} ${w.seconds}`);
    tempo.data().worklogs.push({
      tempoWorklogId: tempo.data().nextId++,
      issueId: Number(issue.id),
      authorAccountId: w.author,
      startDate: w.date,
      startTime: w.time,
      timeSpentSeconds: w.seconds,
      billableSeconds: w.seconds,
      description: `${pick(r, WORDS)} on ${issue.key} #${i}`,
      createdAt: at,
      updatedAt: at,
      attributes: [],
    });
    issue.timeSpentSeconds += w.seconds;
  }
  const [urlA, urlB, urlT] = [await jiraA.listen(), await jiraB.listen(), await tempo.listen()];
  const changedMark = 'Reworded:';
  let changed = 0;
  return {
    id: 'tempo',
    title: 'Tempo worklogs (site A) → hub → Jira native worklogs (site B), directory links first',
    emulators: [
      { name: 'tempo', emu: tempo },
      { name: 'jira-a', emu: jiraA },
      { name: 'jira-b', emu: jiraB },
    ],
    scope: 'work',
    kind: 'timeEntry',
    measured: ['a-worklogs', 'b-worklogs'],
    target: { emulator: 'jira-b', link: 'b-worklogs' },
    changedMark,
    markField: 'description',
    yaml: `store:
  path: hub.sqlite
connections:
  a:
    type: tempo
    url: ${urlT}
    token: ${TEMPO_TOKEN}
    jira: { url: "${urlA}", email: sync@a.example, token: ${JIRA_TOKEN} }
  b:
    type: jira
    url: ${urlB}
    email: sync@b.example
    token: ${JIRA_TOKEN}
links:
  a-users: { connection: a, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  a-issues: { connection: a, scope: work, externalKind: issue, collection: A, direction: pull, conflict: hub-wins }
  b-users: { connection: b, scope: work, externalKind: user, direction: pull, conflict: hub-wins }
  b-issues: { connection: b, scope: work, externalKind: issue, collection: B, direction: pull, conflict: hub-wins, options: { keyField: customfield_10042 } }
  a-worklogs: { connection: a, scope: work, externalKind: worklog, collection: A, window: { pastDays: 31, futureDays: 31 }, options: { fallbackAuthor: "a:sync" } }
  b-worklogs: { connection: b, scope: work, externalKind: worklog, collection: B }
`,
    initialCounts: { 'a-worklogs': { 'pull-create': n }, 'b-worklogs': { 'push-create': n } },
    changedCounts: (k) => ({ 'a-worklogs': { 'pull-update': k }, 'b-worklogs': { 'push-update': k } }),
    change() {
      const k = changeCount(n);
      const logs = tempo.data().worklogs;
      const now = Date.now();
      for (const i of choose(r, logs.length, k)) {
        const w = logs[i]!;
        w.description = `${changedMark} ${w.description}`;
        w.updatedAt = now;
      }
      changed = k;
      return k;
    },
    checkRemote() {
      const problems: string[] = [];
      const b = jiraB.data().worklogs;
      if (b.length !== n) problems.push(`site B holds ${b.length} worklogs, expected ${n}`);
      if (tempo.data().worklogs.length !== n) problems.push(`Tempo holds ${tempo.data().worklogs.length} worklogs, expected ${n}`);
      const moved = b.filter((w) => adfToText(w.comment).startsWith(changedMark)).length;
      if (moved !== changed) problems.push(`${moved} reworded worklogs on site B, expected ${changed}`);
      return problems;
    },
    async close() {
      await tempo.close();
      await jiraA.close();
      await jiraB.close();
    },
  };
}

export const SCENARIOS: Record<SystemId, (n: number, seed: number) => Promise<Scenario>> = {
  google: googleScenario,
  kimai: kimaiScenario,
  tempo: tempoScenario,
};
