/**
 * Shared set-up of the Jira and Tempo tests: two sites (A with Tempo, B with native
 * worklogs only) with their own ids, a movable clock (the worklog feeds hide their last
 * minute, so tests move time forward), emulators and connectors on them.
 */
import { createJiraConnector, jiraApiOf, jiraSiteSchema } from '../../../src/connectors/jira/index.js';
import type { Connector } from '../../../src/connectors/kit/connector.js';
import type { HttpSetup } from '../../../src/connectors/kit/http-setup.js';
import { createTempoConnector, tempoConfigSchema } from '../../../src/connectors/tempo/index.js';
import { addIssue, addProject, addUser, emptyJiraData, type JiraData } from '../../../src/emulators/jira/jira-data.js';
import { createJiraEmulator, type JiraEmulator } from '../../../src/emulators/jira/index.js';
import { createTempoEmulator, type TempoEmulator } from '../../../src/emulators/tempo/index.js';
import type { RateLimit } from '../../../src/emulators/tempo/rate-bucket.js';
import { emptyTempoData } from '../../../src/emulators/tempo/tempo-data.js';

export const API_TOKEN = 'jira-api-token-0123456789';
export const TEMPO_TOKEN = 'tempo-token-0123456789';
/** Ben and Dan log work in B themselves, with their own tokens. */
export const PERSONAL_TOKEN = 'personal-token-0123456789';

export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/** Starts at 2026-03-10 12:00 UTC; tests move it on. */
export function movableClock(start = Date.UTC(2026, 2, 10, 12)): Clock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

/**
 * A site: the API user (sync@<site>), Ada (Berlin) and Ben (New York) on both sites, Dan
 * only on B, and an app account. Project `A` (or `B`) with issues 1–3 (the first with a
 * 10 h estimate); ids start at `idBase`, so the two sites' ids differ.
 */
export function siteData(site: 'A' | 'B', idBase: number): JiraData {
  const d = emptyJiraData();
  d.nextId = idBase;
  const domain = site.toLowerCase();
  addUser(d, { accountId: `${domain}:sync`, displayName: `Sync ${site}`, emailAddress: `sync@${domain}.example`, apiToken: API_TOKEN });
  addUser(d, { accountId: `${domain}:ada`, displayName: 'Ada Lovelace', emailAddress: 'ada@example.com', timeZone: 'Europe/Berlin' });
  addUser(d, { accountId: `${domain}:ben`, displayName: 'Ben Okri', emailAddress: 'ben@example.com', timeZone: 'America/New_York', apiToken: PERSONAL_TOKEN });
  if (site === 'B') addUser(d, { accountId: 'b:dan', displayName: 'Dan Brown', emailAddress: 'dan@example.com', timeZone: 'UTC', apiToken: PERSONAL_TOKEN });
  addUser(d, { accountId: `${domain}:bot`, displayName: 'Automation', emailAddress: `bot@${domain}.example`, accountType: 'app' });
  addProject(d, site, `Project ${site}`);
  addIssue(d, site, 'Build the thing', { originalEstimateSeconds: 36_000, remainingEstimateSeconds: 36_000 });
  addIssue(d, site, 'Test the thing');
  addIssue(d, site, 'Ship the thing');
  return d;
}

export type Jira = JiraEmulator & { base: string };
export type Tempo = TempoEmulator & { base: string };

export async function startJira(data: JiraData, clock: Clock): Promise<Jira> {
  const emu = createJiraEmulator({ data, now: clock.now });
  return Object.assign(emu, { base: await emu.listen() });
}

export async function startTempo(jira: JiraEmulator, opts: { rateLimit?: RateLimit | null } = {}): Promise<Tempo> {
  const emu = createTempoEmulator({ jira: jira.site, data: emptyTempoData([TEMPO_TOKEN]), rateLimit: opts.rateLimit ?? null });
  return Object.assign(emu, { base: await emu.listen() });
}

export const jiraSettings = (site: 'A' | 'B', base: string) => ({ url: base, email: `sync@${site.toLowerCase()}.example`, token: API_TOKEN });

export function jiraConnector<T>(
  site: 'A' | 'B',
  base: string,
  kind: string,
  collection: string | null,
  o: { fetch?: typeof fetch; http?: HttpSetup } = {},
): Connector<T> {
  return createJiraConnector(jiraApiOf(jiraSiteSchema.parse(jiraSettings(site, base)), o.fetch, o.http ? { http: o.http } : {}), {
    externalKind: kind,
    collection,
  }) as Connector<T>;
}

export function tempoConnector<T>(
  tempoBase: string,
  jiraBase: string,
  kind: string,
  collection: string | null,
  extra: { requestsPerSecond?: number; pageSize?: number } = {},
  http?: HttpSetup,
): Connector<T> {
  const config = tempoConfigSchema.parse({ url: tempoBase, token: TEMPO_TOKEN, jira: jiraSettings('A', jiraBase), ...extra });
  return createTempoConnector(config, { externalKind: kind, collection }, undefined, http ? { http } : {}) as Connector<T>;
}

/** A JSON request to an emulator, failing the test on an unexpected status. The answer is whatever JSON the API sent. */
export async function call(
  url: string,
  init: { method?: string; auth: string; body?: unknown; expect?: number },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { authorization: init.auth, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  if (init.expect !== undefined && res.status !== init.expect)
    throw new Error(`${init.method ?? 'GET'} ${url}: expected ${init.expect}, got ${res.status} ${text}`);
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

export const basic = (site: 'A' | 'B') => `Basic ${Buffer.from(`sync@${site.toLowerCase()}.example:${API_TOKEN}`).toString('base64')}`;
/** Basic auth of a person logging work in Jira themselves (ben, dan). */
export const basicAs = (email: string) => `Basic ${Buffer.from(`${email}:${PERSONAL_TOKEN}`).toString('base64')}`;
export const bearer = `Bearer ${TEMPO_TOKEN}`;
