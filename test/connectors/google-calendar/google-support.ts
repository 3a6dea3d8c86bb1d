/**
 * Shared set-up of the Google Calendar tests: an emulator on a free port, connectors on
 * it with the demo user's refresh token or the emulator's service account, and a client
 * that reads the calendar as any other program would.
 */
import { randomUUID } from 'node:crypto';
import type { GoogleCredentials } from '../../../src/connectors/google-calendar/auth.js';
import { GoogleCalendarClient } from '../../../src/connectors/google-calendar/google-client.js';
import {
  createGoogleCalendarConnector,
  type CalendarCreation,
  type GoogleCalendarConnector,
} from '../../../src/connectors/google-calendar/google-connector.js';
import type { GEvent } from '../../../src/connectors/google-calendar/google-types.js';
import type { HttpSetup } from '../../../src/connectors/kit/http-setup.js';
import { bucketRegistry } from '../../../src/connectors/kit/rate-limiter.js';
import { DEMO_REFRESH_TOKEN, createGoogleEmulator, type GoogleEmulator } from '../../../src/emulators/google/index.js';
import { DEMO_USER, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, SERVICE_ACCOUNT_EMAIL } from '../../../src/emulators/google/oauth.js';
import type { LinkSpec } from '../../../src/runtime/types.js';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { createIcsFolderConnector } from '../../../src/connectors/ics-folder/folder-connector.js';

export { DEMO_USER, SERVICE_ACCOUNT_EMAIL };

export interface Running {
  emulator: GoogleEmulator;
  url: string;
  api: string;
  tokenUrl: string;
}

export async function startEmulator(opts: { demo?: boolean; seed?: number } = {}): Promise<Running> {
  const emulator = createGoogleEmulator({ demo: opts.demo ?? false, seed: opts.seed ?? 1 });
  const url = await emulator.listen();
  return { emulator, url, api: `${url}/calendar/v3`, tokenUrl: `${url}/token` };
}

export function oauthCredentials(refreshToken: string | null = DEMO_REFRESH_TOKEN): GoogleCredentials {
  return {
    type: 'oauth',
    clientId: EMULATOR_CLIENT_ID,
    clientSecret: EMULATOR_CLIENT_SECRET,
    refreshToken,
    scopes: ['https://www.googleapis.com/auth/calendar'],
  };
}

export function serviceAccountCredentials(r: Running, subject?: string): GoogleCredentials {
  const key = r.emulator.oauth.serviceAccountKey(r.url);
  return {
    type: 'serviceAccount',
    clientEmail: key.client_email,
    privateKey: key.private_key,
    privateKeyId: key.private_key_id,
    scopes: ['https://www.googleapis.com/auth/calendar'],
    ...(subject ? { subject } : {}),
  };
}

/** Retries and the bucket's pauses wait no wall time in these tests (http-retry.test.ts checks the waits themselves). */
const instant = async () => undefined;
export const testHttp = (): HttpSetup => ({ clock: { sleep: instant }, buckets: bucketRegistry({ sleep: instant }) });

export function client(r: Running, credentials: GoogleCredentials = oauthCredentials(), fetchImpl?: typeof fetch): GoogleCalendarClient {
  return new GoogleCalendarClient({
    baseUrl: r.api,
    tokenUrl: r.tokenUrl,
    credentials,
    timeoutMs: 10_000,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    http: testHttp(),
  });
}

export function connector(
  r: Running,
  o: { calendar?: string; instances?: boolean; create?: CalendarCreation | null; credentials?: GoogleCredentials; pageSize?: number } = {},
): GoogleCalendarConnector {
  return createGoogleCalendarConnector({
    client: client(r, o.credentials),
    calendar: o.calendar ?? 'primary',
    create: o.create ?? null,
    instances: o.instances ?? false,
    pageSize: o.pageSize ?? 250,
  });
}

/** A new, empty calendar of the demo user; returns its id. */
export async function newCalendar(r: Running, summary = `cal-${randomUUID().slice(0, 8)}`): Promise<string> {
  const made = await client(r).insertCalendar({ summary, timeZone: 'Europe/Berlin' });
  return made.id;
}

/** A timed event as another Google client would insert it. */
export function timedEvent(summary: string, start: string, end: string, tz = 'Europe/Berlin', extra: Partial<GEvent> = {}): GEvent {
  return { id: undefined as unknown as string, summary, start: { dateTime: start, timeZone: tz }, end: { dateTime: end, timeZone: tz }, ...extra };
}

/** Raw HTTP to the emulator (for fidelity tests that look at statuses and bodies). */
export async function raw(
  r: Running,
  method: string,
  route: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(r.url + route, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, headers: res.headers };
}

/** An access token of the demo user, through the refresh grant. */
export async function accessToken(r: Running): Promise<string> {
  const res = await fetch(r.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: EMULATOR_CLIENT_ID,
      client_secret: EMULATOR_CLIENT_SECRET,
      refresh_token: DEMO_REFRESH_TOKEN,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A link of the `.ics` folder at `dir` into scope `team`, the other side of the Google sync tests. */
export function folderLink(dir: string): LinkSpec {
  return {
    id: 'link:folder',
    name: 'folder',
    scope: 'team',
    kind: 'event',
    window: null,
    policy: DEFAULT_POLICY,
    mapper: icsEventMapper,
    connector: createIcsFolderConnector({ path: dir }),
  } as LinkSpec;
}
