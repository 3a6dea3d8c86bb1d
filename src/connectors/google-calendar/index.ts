/** Registry entry of the Google Calendar connector: its settings, how credentials are read, its mappers. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import { fixedMapper } from '../kit/mapper.js';
import type { ConnectorEntry, CreateEnv } from '../registry.js';
import { CALENDAR_SCOPE, type GoogleCredentials } from './auth.js';
import { googleEventMapper } from './event-mapper.js';
import type { GoogleItem } from './google-types.js';
import { googleCalendarManifest } from './manifest.js';
import { RENEW_MARGIN_MS, watchCalendar } from './push.js';
import { googleExportEntry, googleImportEntry } from './time-entry-mappers.js';

export const GOOGLE_AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
export const GOOGLE_REVOKE_URL = 'https://oauth2.googleapis.com/revoke';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as GOOGLE_SA_KEY');
const url = z.string().regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address');
const scopes = z.array(z.string().min(1)).min(1).default([CALENDAR_SCOPE]);

const serviceAccountSchema = z.object({
  type: z.literal('serviceAccount'),
  keyFile: z.string().min(1).optional().describe('the JSON key file, relative to the config file'),
  keyEnv: envName.optional().describe('environment variable holding the JSON key'),
  clientEmail: z.string().min(3).optional(),
  privateKey: z.string().min(1).optional().describe('PEM; prefer keyFile or keyEnv'),
  privateKeyEnv: envName.optional(),
  privateKeyId: z.string().optional(),
  subject: z.string().min(3).optional().describe('user to act as (domain-wide delegation)'),
  scopes,
}).strict().refine((a) => [a.keyFile, a.keyEnv, a.clientEmail].filter((x) => x !== undefined).length === 1, {
  message: 'give exactly one of keyFile, keyEnv, or clientEmail with privateKey/privateKeyEnv',
}).refine((a) => a.clientEmail === undefined || (a.privateKey === undefined) !== (a.privateKeyEnv === undefined), {
  message: 'with clientEmail, give exactly one of privateKey and privateKeyEnv',
});

const oauthSchema = z.object({
  type: z.literal('oauth'),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  clientSecretEnv: envName.optional(),
  /** Set by the connect flow (sealed in the store) or given here; absent: not connected yet. */
  refreshToken: z.string().min(1).optional(),
  refreshTokenEnv: envName.optional(),
  /** Who connected, for display. */
  account: z.string().optional(),
  scopes,
}).strict().refine((a) => (a.clientSecret === undefined) !== (a.clientSecretEnv === undefined), {
  message: 'set exactly one of clientSecret and clientSecretEnv',
});

const configSchema = z.object({
  baseUrl: url.default('https://www.googleapis.com/calendar/v3').describe('Calendar API root (the emulator\'s in tests)'),
  tokenUrl: url.default('https://oauth2.googleapis.com/token'),
  authUrl: url.default(GOOGLE_AUTH_URL).describe('consent page of the per-user OAuth flow'),
  revokeUrl: url.default(GOOGLE_REVOKE_URL),
  auth: z.discriminatedUnion('type', [serviceAccountSchema, oauthSchema]),
  /** Calendar id, `primary`, or a calendar's name; a link's `collection` overrides it. */
  calendar: z.string().min(1).default('primary'),
  /** Make a calendar that is named (not an id) and missing, and share it. */
  create: z.object({
    summary: z.string().min(1).optional().describe('name of the calendar when the link names none'),
    timeZone: z.string().min(1).optional(),
    description: z.string().optional(),
    shareWith: z.array(z.object({ email: z.string().min(3), role: z.enum(['owner', 'writer', 'reader', 'freeBusyReader']) }).strict()).default([]),
  }).strict().optional(),
  pageSize: z.number().int().min(1).max(2500).default(250).describe('events per list page'),
  timeoutMs: z.number().int().min(1000).default(30_000),
}).strict();

export type GoogleCalendarConfig = z.infer<typeof configSchema>;

export const googleCalendarEntry: ConnectorEntry<GoogleCalendarConfig, GoogleItem> = {
  manifest: googleCalendarManifest,
  configSchema,
  create: async (config, env) => (await connectorFor(config, env)).connector,
  push: {
    renewMarginMs: RENEW_MARGIN_MS,
    watch: async (config, env, o) => {
      const { connector } = await connectorFor(config, env);
      const ch = await watchCalendar(connector.client, { calendarId: await connector.calendarId(), ...o });
      return { expiresAt: ch.expiration, stop: () => connector.client.stopChannel(ch.id, ch.resourceId) };
    },
  },
  mappers: {
    'google-event': fixedMapper('event', googleEventMapper),
    'google-import': googleImportEntry,
    'google-export': googleExportEntry,
  },
};

/** The connector for one link's calendar (the client loads only when a config uses Google). */
async function connectorFor(config: GoogleCalendarConfig, env: CreateEnv) {
  const credentials = resolveCredentials(config.auth, process.env, env.baseDir);
  const [{ GoogleCalendarClient }, { createGoogleCalendarConnector }] = await Promise.all([import('./google-client.js'), import('./google-connector.js')]);
  const client = new GoogleCalendarClient({ baseUrl: config.baseUrl, tokenUrl: config.tokenUrl, credentials, timeoutMs: config.timeoutMs, ...(env.http ? { http: env.http } : {}) });
  const connector = createGoogleCalendarConnector({
    client, calendar: env.target.collection ?? config.create?.summary ?? config.calendar, create: config.create ?? null,
    instances: env.target.externalKind === 'event-instance', pageSize: config.pageSize,
  });
  return { connector };
}

function fromEnv(env: NodeJS.ProcessEnv, name: string, what: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new TimebridgeError('CONFIG_INVALID', `The environment variable ${name} (the Google ${what}) is not set.`, {
      hint: `Export it before running Timebridge, e.g. export ${name}='…', or put it in the service's environment file.`,
    });
  }
  return value;
}

/** Credentials with secrets read from files and the environment; what is missing is named. */
export function resolveCredentials(auth: GoogleCalendarConfig['auth'], env: NodeJS.ProcessEnv, baseDir: string): GoogleCredentials {
  if (auth.type === 'oauth') {
    return {
      type: 'oauth', clientId: auth.clientId, clientSecret: auth.clientSecret ?? fromEnv(env, auth.clientSecretEnv!, 'OAuth client secret'),
      refreshToken: auth.refreshToken ?? (auth.refreshTokenEnv ? fromEnv(env, auth.refreshTokenEnv, 'refresh token') : null), scopes: auth.scopes,
    };
  }
  const common = { type: 'serviceAccount' as const, scopes: auth.scopes, ...(auth.subject ? { subject: auth.subject } : {}) };
  if (auth.clientEmail) {
    return { ...common, clientEmail: auth.clientEmail, privateKey: auth.privateKey ?? fromEnv(env, auth.privateKeyEnv!, 'service account private key'), ...(auth.privateKeyId ? { privateKeyId: auth.privateKeyId } : {}) };
  }
  const where = auth.keyFile ? `key file ${path.resolve(baseDir, auth.keyFile)}` : `environment variable ${auth.keyEnv}`;
  let text: string;
  try {
    text = auth.keyFile ? fs.readFileSync(path.resolve(baseDir, auth.keyFile), 'utf8') : fromEnv(env, auth.keyEnv!, 'service account key');
  } catch (err) {
    if (err instanceof TimebridgeError) throw err;
    throw new TimebridgeError('CONFIG_INVALID', `The service account ${where} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}).`, {
      hint: 'Download the JSON key of the service account (Google Cloud console → IAM → Service accounts → Keys) and point keyFile at it.',
    });
  }
  let key: { type?: string; client_email?: string; private_key?: string; private_key_id?: string };
  try {
    key = JSON.parse(text);
  } catch {
    throw new TimebridgeError('CONFIG_INVALID', `The service account ${where} is not JSON.`, { hint: 'Use the JSON key file exactly as Google Cloud gave it.' });
  }
  if (key.type !== 'service_account' || !key.client_email || !key.private_key) {
    throw new TimebridgeError('CONFIG_INVALID', `The service account ${where} is not a service account key (type, client_email or private_key missing).`, {
      hint: 'Use the JSON key file of a service account, not an OAuth client file.',
    });
  }
  return { ...common, clientEmail: key.client_email, privateKey: key.private_key, ...(key.private_key_id ? { privateKeyId: key.private_key_id } : {}) };
}
