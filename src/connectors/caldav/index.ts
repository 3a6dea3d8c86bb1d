/** Registry entry of the CalDAV connector: its settings and how secrets are read. */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import { icsEventMapper } from '../ics-folder/ical-event-mapper.js';
import type { HttpAuth } from '../kit/http-client.js';
import { fixedMapper } from '../kit/mapper.js';
import type { ConnectorEntry } from '../registry.js';
import { caldavManifest } from './manifest.js';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as CALDAV_PASSWORD');

const authSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('basic'),
    username: z.string().min(1),
    password: z.string().min(1).optional().describe('inline; prefer passwordEnv'),
    passwordEnv: envName.optional().describe('environment variable holding the password'),
  }).strict().refine((a) => (a.password === undefined) !== (a.passwordEnv === undefined), {
    message: 'set exactly one of password and passwordEnv (passwordEnv keeps the secret out of the file)',
  }),
  z.object({
    type: z.literal('bearer'),
    token: z.string().min(1).optional(),
    tokenEnv: envName.optional().describe('environment variable holding the token'),
  }).strict().refine((a) => (a.token === undefined) !== (a.tokenEnv === undefined), {
    message: 'set exactly one of token and tokenEnv (tokenEnv keeps the secret out of the file)',
  }),
]);

const configSchema = z.object({
  url: z.string().regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address').describe('server root, principal, calendar home or calendar URL'),
  auth: authSchema.optional(),
  calendar: z.string().min(1).optional().describe('calendar path segment or display name'),
  create: z.boolean().default(false).describe('MKCALENDAR the calendar when it is missing'),
  displayName: z.string().min(1).optional().describe('display name of a calendar Timebridge creates'),
  batchSize: z.number().int().min(1).max(1000).default(200).describe('items per calendar-multiget'),
  timeoutMs: z.number().int().min(1000).default(120_000).describe('per request; a first listing of a large calendar can take long'),
}).strict();

type CaldavConfig = z.infer<typeof configSchema>;

export const caldavEntry: ConnectorEntry<CaldavConfig, string> = {
  manifest: caldavManifest,
  configSchema,
  // The DAV client and XML parser load only when a config uses CalDAV (~25 ms of every other run's start-up).
  create: async (config, env) => {
    const auth = config.auth ? resolveAuth(config.auth, process.env) : undefined;
    const { createCaldavConnector } = await import('./caldav-connector.js');
    return createCaldavConnector({
      url: config.url, ...(auth ? { auth } : {}), calendar: config.calendar ?? null,
      create: config.create, displayName: config.displayName ?? null, batchSize: config.batchSize, timeoutMs: config.timeoutMs,
      ...(env.http ? { http: env.http } : {}),
    });
  },
  mappers: { 'ics-event': fixedMapper('vevent', icsEventMapper) },
};

/** Credentials with secrets read from the environment; a missing variable is a config error naming it. */
export function resolveAuth(auth: NonNullable<CaldavConfig['auth']>, env: NodeJS.ProcessEnv): HttpAuth {
  const fromEnv = (name: string, what: string): string => {
    const value = env[name];
    if (value === undefined || value === '') {
      throw new TimebridgeError('CONFIG_INVALID', `The environment variable ${name} (the CalDAV ${what}) is not set.`, {
        hint: `Export it before running Timebridge, e.g. export ${name}='…', or put it in the service's environment file.`,
      });
    }
    return value;
  };
  if (auth.type === 'basic') return { type: 'basic', username: auth.username, password: auth.password ?? fromEnv(auth.passwordEnv!, 'password') };
  return { type: 'bearer', token: auth.token ?? fromEnv(auth.tokenEnv!, 'token') };
}
