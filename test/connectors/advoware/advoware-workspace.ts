/** Helpers of the Advoware ↔ Google workspace tests: the timebridge.yaml, hand edits in Advoware, what each side holds. */
import assert from 'node:assert/strict';
import type { GEvent } from '../../../src/connectors/google-calendar/google-types.js';
import { DEMO_REFRESH_TOKEN } from '../../../src/emulators/google/index.js';
import { EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET } from '../../../src/emulators/google/oauth.js';
import type { AwTermin } from '../../../src/emulators/advoware/advoware-data.js';
import { connectionLines } from '../../../src/emulators/advoware/index.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { client, type Running } from '../google-calendar/google-support.js';
import type { RunningAdvoware } from './advoware-fixture.js';

export const CLOCK = new Date(Date.UTC(2026, 2, 10, 12));

export function awYaml(aw: string, g: Running, links: { kuerzel: string; calendar: string; anonymise?: boolean }[], extra = ''): string {
  return [
    'store:',
    '  path: hub.sqlite',
    'connections:',
    ...connectionLines(aw, 'aw'),
    extra,
    '  google:',
    '    type: google-calendar',
    `    baseUrl: ${g.api}`,
    `    tokenUrl: ${g.tokenUrl}`,
    `    auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" }`,
    'links:',
    ...links.flatMap((l) => [
      `  aw-${l.kuerzel}: { connection: aw, scope: work, collection: ${l.kuerzel}, window: { pastDays: 31, futureDays: 365 } }`,
      `  g-${l.kuerzel}: { connection: google, scope: work, collection: "${l.calendar}", window: { pastDays: 31, futureDays: 365 }${l.anonymise ? ', options: { anonymise: true }' : ''} }`,
    ]),
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

export const writes = (results: RunResult[]) =>
  results.reduce((n, r) => n + Object.entries(r.run.counts).reduce((m, [k, v]) => m + (/^(push|pull)-/.test(k) ? v : 0), 0), 0);

export async function awPost(r: RunningAdvoware, body: Record<string, unknown>): Promise<AwTermin> {
  const res = await fetch(`${r.base}/_emulator/advoware/termine`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as AwTermin;
}

export async function awPatch(r: RunningAdvoware, frNr: number, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${r.base}/_emulator/advoware/termine/${frNr}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, await res.text());
}

export async function googleEvents(g: Running, cal: string): Promise<GEvent[]> {
  const list = await client(g).listEvents(cal, {});
  return (list.items ?? []).filter((e) => e.status !== 'cancelled');
}

/** The live appointments of an employee in the emulator (special entries left out). */
export const termine = (r: RunningAdvoware, k = 'MUE') => [...r.emu.data().termine.values()].filter((t) => t.anwalt === k && t.frNr > 0);

/** The firm's main account, with which each `AW-` calendar is shared. */
export const FIRM = 'kanzlei@example.com';

/** A day `n` days from now (UTC date), as Advoware's `datum` takes it. */
export const dayIn = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/** The link template `aw-employees` as the demo writes it, on these emulators (`forEach` and `store` as given). */
export function templateYaml(aw: string, g: Running, forEach = '{ connection: aw }', store = 'store: { path: hub.sqlite }'): string {
  return [
    store,
    'connections:',
    ...connectionLines(aw, 'aw'),
    '  firm:',
    '    type: google-calendar',
    `    baseUrl: ${g.api}`,
    `    tokenUrl: ${g.tokenUrl}`,
    `    auth: { type: oauth, clientId: ${EMULATOR_CLIENT_ID}, clientSecret: ${EMULATOR_CLIENT_SECRET}, refreshToken: "${DEMO_REFRESH_TOKEN}" }`,
    `    create: { timeZone: Europe/Berlin, shareWith: [{ email: ${FIRM}, role: owner }] }`,
    'links: {}',
    'linkTemplates:',
    '  aw-employees:',
    `    forEach: ${forEach}`,
    '    links:',
    "      - { name: 'aw-{key}', connection: aw, collection: '{key}', scope: 'aw-{key}' }",
    "      - { name: 'aw-google-{key}', connection: firm, collection: 'AW-{key}', scope: 'aw-{key}' }",
    '',
  ].join('\n');
}

/** The Google emulator's calendars of that summary (the connector makes `AW-<Kürzel>` by name). */
export const calendarsNamed = (g: Running, summary: string) => [...g.emulator.store.calendars.values()].filter((c) => c.cal.summary === summary);

export async function eventsOf(g: Running, summary: string): Promise<GEvent[]> {
  const cals = calendarsNamed(g, summary);
  assert.equal(cals.length, 1, `one calendar ${summary}, found ${cals.length}`);
  const list = await client(g).listEvents(cals[0]!.cal.id, {});
  return (list.items ?? []).filter((e) => e.status !== 'cancelled');
}
