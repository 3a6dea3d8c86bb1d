/** Registry entry of the Google Calendar connector: its settings, how credentials are read, its mappers. */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import type { MapperEntry } from '../kit/mapper.js';
import { fromEnv, fromFile, resolved, secret } from '../kit/settings-marks.js';
import type { BuildEnv, ConnectorEntry } from '../kit/entry.js';
import { CALENDAR_SCOPE, type GoogleCredentials } from './auth.js';
import { googleEventMapper } from './event-mapper.js';
import { busyMapper, eventOptionsSchema, type EventOptions } from './busy-mapper.js';
import type { GoogleItem } from './google-types.js';
import { googleCalendarManifest } from './manifest.js';
import { GOOGLE_AUTH_URL, GOOGLE_REVOKE_URL, googleOAuth } from './oauth-flow.js';
import { RENEW_MARGIN_MS, googleCalendarReceiver, watchCalendar } from './push.js';
import { googleAttendanceEntry } from './attendance-mapper.js';
import { googleExportEntry, googleImportEntry } from './time-entry-mappers.js';

const url = z.string().regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address');
const scopes = z.array(z.string().min(1)).min(1).default([CALENDAR_SCOPE]);

const serviceAccountSchema = z
  .object({
    type: z.literal('serviceAccount'),
    keyJson: secret(z.string().min(1)).optional().describe('the JSON key itself (sealed at rest when set through the API)'),
    keyFile: fromFile('keyJson').optional().describe('the JSON key file, relative to the config file (timebridge.yaml and admins only)'),
    keyEnv: fromEnv('keyJson', 'GOOGLE_SA_KEY').optional().describe('environment variable holding the JSON key (timebridge.yaml and admins only)'),
    clientEmail: z.string().min(3).optional(),
    privateKey: secret(z.string().min(1)).optional().describe('PEM'),
    privateKeyEnv: fromEnv('privateKey', 'GOOGLE_SA_PRIVATE_KEY').optional(),
    privateKeyId: z.string().optional(),
    subject: z.string().min(3).optional().describe('user to act as (domain-wide delegation)'),
    scopes,
  })
  .strict()
  .refine((a) => [a.keyJson, a.keyFile, a.keyEnv, a.clientEmail].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of keyJson, keyFile, keyEnv, or clientEmail with privateKey/privateKeyEnv',
  })
  .refine((a) => a.clientEmail === undefined || (a.privateKey === undefined) !== (a.privateKeyEnv === undefined), {
    message: 'with clientEmail, give exactly one of privateKey and privateKeyEnv',
  });

const oauthSchema = z
  .object({
    type: z.literal('oauth'),
    clientId: z.string().min(1),
    clientSecret: secret(z.string().min(1)).optional(),
    clientSecretEnv: fromEnv('clientSecret', 'GOOGLE_CLIENT_SECRET').optional(),
    /** Set by the connect flow (sealed in the store) or given here; absent: not connected yet. */
    refreshToken: secret(z.string().min(1)).optional(),
    refreshTokenEnv: fromEnv('refreshToken', 'GOOGLE_REFRESH_TOKEN').optional(),
    /** Who connected, for display. */
    account: z.string().optional(),
    scopes,
  })
  .strict()
  .refine((a) => (a.clientSecret === undefined) !== (a.clientSecretEnv === undefined), {
    message: 'set exactly one of clientSecret and clientSecretEnv',
  });

const configSchema = z
  .object({
    baseUrl: url.default('https://www.googleapis.com/calendar/v3').describe("Calendar API root (the emulator's in tests)"),
    sheetsUrl: url
      .default('https://sheets.googleapis.com/v4')
      .describe("Sheets API v4 root, read by office attendance's Sheets config (the emulator's in tests)"),
    tokenUrl: url.default('https://oauth2.googleapis.com/token'),
    authUrl: url.default(GOOGLE_AUTH_URL).describe('consent page of the per-user OAuth flow'),
    revokeUrl: url.default(GOOGLE_REVOKE_URL),
    auth: z.discriminatedUnion('type', [serviceAccountSchema, oauthSchema]),
    /** Calendar id, `primary`, or a calendar's name; a link's `collection` overrides it. */
    calendar: z.string().min(1).default('primary'),
    /** Make a calendar that is named (not an id) and missing, and share it. */
    create: z
      .object({
        summary: z.string().min(1).optional().describe('name of the calendar when the link names none'),
        timeZone: z.string().min(1).optional(),
        description: z.string().optional(),
        shareWith: z.array(z.object({ email: z.string().min(3), role: z.enum(['owner', 'writer', 'reader', 'freeBusyReader']) }).strict()).default([]),
      })
      .strict()
      .optional(),
    pageSize: z.number().int().min(1).max(2500).default(250).describe('events per list page'),
    timeoutMs: z.number().int().min(1000).default(30_000),
  })
  .strict();

export type GoogleCalendarConfig = z.infer<typeof configSchema>;

export const googleCalendarEntry: ConnectorEntry<GoogleCalendarConfig, GoogleItem> = {
  manifest: googleCalendarManifest,
  configSchema,
  create: async (config, env) => (await connectorFor(config, env)).connector,
  webhook: googleCalendarReceiver,
  oauth: googleOAuth,
  push: {
    renewMarginMs: RENEW_MARGIN_MS,
    watch: async (config, env, o) => {
      const { connector } = await connectorFor(config, env);
      const ch = await watchCalendar(connector.client, { calendarId: await connector.calendarId(), ...o });
      return { expiresAt: ch.expiration, stop: () => connector.client.stopChannel(ch.id, ch.resourceId) };
    },
  },
  sheets: {
    readRange: async (config, env, o) => {
      const [{ GoogleCalendarClient }, { readSheetRange }] = await Promise.all([import('./google-client.js'), import('./sheets.js')]);
      const client = new GoogleCalendarClient({
        baseUrl: config.sheetsUrl,
        tokenUrl: config.tokenUrl,
        credentials: resolveCredentials(config.auth),
        timeoutMs: config.timeoutMs,
        ...(env.outbound ? { outbound: env.outbound } : {}),
        ...(env.http ? { http: env.http } : {}),
      });
      return readSheetRange(client, o.spreadsheetId, o.range);
    },
  },
  calendars: {
    // The connector's own lookup by name (calendarId), with the spec as its `create`.
    ensure: async (config, env, spec) => {
      const shareWith = spec.shareWith.length ? spec.shareWith : (config.create?.shareWith ?? []);
      const create = { ...(spec.timeZone ? { timeZone: spec.timeZone } : {}), ...(spec.description ? { description: spec.description } : {}), shareWith };
      const { connector } = await connectorFor(
        { ...config, create },
        { ...env, probe: false, target: { collection: spec.summary, externalKind: 'attendance' } },
      );
      const id = await connector.calendarId();
      return { id, made: connector.calendarMade };
    },
  },
  mappers: {
    'google-event': {
      externalKind: 'event',
      hubKind: 'event',
      options: eventOptionsSchema as unknown as z.ZodType<EventOptions>,
      make: (o: EventOptions) => (o.anonymise ? busyMapper(googleEventMapper, o) : googleEventMapper),
    } as MapperEntry<GoogleItem, EventOptions>,
    'google-import': googleImportEntry,
    'google-export': googleExportEntry,
    'google-attendance': googleAttendanceEntry,
  },
};

/** The connector for one link's calendar (the client loads only when a config uses Google). */
async function connectorFor(config: GoogleCalendarConfig, env: BuildEnv) {
  const credentials = resolveCredentials(config.auth);
  const [{ GoogleCalendarClient }, { createGoogleCalendarConnector }] = await Promise.all([import('./google-client.js'), import('./google-connector.js')]);
  const client = new GoogleCalendarClient({
    baseUrl: config.baseUrl,
    tokenUrl: config.tokenUrl,
    credentials,
    timeoutMs: config.timeoutMs,
    ...(env.outbound ? { outbound: env.outbound } : {}),
    ...(env.http ? { http: env.http } : {}),
  });
  const connector = createGoogleCalendarConnector({
    client,
    calendar: env.target.collection ?? config.create?.summary ?? config.calendar,
    create: env.probe ? null : (config.create ?? null),
    instances: env.target.externalKind === 'event-instance',
    keepCancelled: env.target.externalKind === 'attendance',
    pageSize: config.pageSize,
  });
  return { connector };
}

/** Credentials as the client uses them; the composition root has put `*Env` and `keyFile` into the secrets they name. */
export function resolveCredentials(auth: GoogleCalendarConfig['auth']): GoogleCredentials {
  if (auth.type === 'oauth') {
    return {
      type: 'oauth',
      clientId: auth.clientId,
      clientSecret: resolved(auth.clientSecret, 'Google OAuth client secret'),
      refreshToken: auth.refreshToken ?? null,
      scopes: auth.scopes,
    };
  }
  const common = { type: 'serviceAccount' as const, scopes: auth.scopes, ...(auth.subject ? { subject: auth.subject } : {}) };
  if (auth.clientEmail) {
    return {
      ...common,
      clientEmail: auth.clientEmail,
      privateKey: resolved(auth.privateKey, 'Google service account private key'),
      ...(auth.privateKeyId ? { privateKeyId: auth.privateKeyId } : {}),
    };
  }
  const text = resolved(auth.keyJson, 'Google service account key');
  let key: { type?: string; client_email?: string; private_key?: string; private_key_id?: string };
  try {
    key = JSON.parse(text);
  } catch {
    throw new TimebridgeError('CONFIG_INVALID', 'The service account key is not JSON.', { hint: 'Use the JSON key file exactly as Google Cloud gave it.' });
  }
  if (key.type !== 'service_account' || !key.client_email || !key.private_key) {
    throw new TimebridgeError('CONFIG_INVALID', 'The service account key is not a service account key (type, client_email or private_key missing).', {
      hint: 'Use the JSON key file of a service account, not an OAuth client file.',
    });
  }
  return { ...common, clientEmail: key.client_email, privateKey: key.private_key, ...(key.private_key_id ? { privateKeyId: key.private_key_id } : {}) };
}
