/** Registry entry of the CalDAV connector: its settings and how secrets are read. */
import { z } from 'zod';
import { icsEventMapper } from '../kit/icalendar/ical-event-mapper.js';
import type { HttpAuth } from '../kit/http-client.js';
import { fixedMapper } from '../kit/mapper.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';
import type { ConnectorEntry } from '../kit/entry.js';
import { caldavManifest } from './manifest.js';

const authSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('basic'),
      username: z.string().min(1),
      password: secret(z.string().min(1)).optional().describe('inline (sealed at rest when set through the API)'),
      passwordEnv: fromEnv('password', 'CALDAV_PASSWORD').optional().describe('environment variable holding the password (timebridge.yaml and admins only)'),
    })
    .strict()
    .refine((a) => (a.password === undefined) !== (a.passwordEnv === undefined), {
      message: 'set exactly one of password and passwordEnv (passwordEnv keeps the secret out of the file)',
    }),
  z
    .object({
      type: z.literal('bearer'),
      token: secret(z.string().min(1)).optional(),
      tokenEnv: fromEnv('token', 'CALDAV_TOKEN').optional().describe('environment variable holding the token (timebridge.yaml and admins only)'),
    })
    .strict()
    .refine((a) => (a.token === undefined) !== (a.tokenEnv === undefined), {
      message: 'set exactly one of token and tokenEnv (tokenEnv keeps the secret out of the file)',
    }),
]);

const configSchema = z
  .object({
    url: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address')
      .describe('server root, principal, calendar home or calendar URL'),
    auth: authSchema.optional(),
    calendar: z.string().min(1).optional().describe('calendar path segment or display name'),
    create: z.boolean().default(false).describe('MKCALENDAR the calendar when it is missing'),
    displayName: z.string().min(1).optional().describe('display name of a calendar Timebridge creates'),
    batchSize: z.number().int().min(1).max(1000).default(200).describe('items per calendar-multiget'),
    timeoutMs: z.number().int().min(1000).default(120_000).describe('per request; a first listing of a large calendar can take long'),
  })
  .strict();

type CaldavConfig = z.infer<typeof configSchema>;

export const caldavEntry: ConnectorEntry<CaldavConfig, string> = {
  manifest: caldavManifest,
  configSchema,
  // The DAV client and XML parser load only when a config uses CalDAV (~25 ms of every other run's start-up).
  create: async (config, env) => {
    const auth = config.auth ? httpAuthOf(config.auth) : undefined;
    const { createCaldavConnector } = await import('./caldav-connector.js');
    return createCaldavConnector({
      url: config.url,
      ...(auth ? { auth } : {}),
      calendar: config.calendar ?? null,
      create: config.create && !env.probe,
      displayName: config.displayName ?? null,
      batchSize: config.batchSize,
      timeoutMs: config.timeoutMs,
      ...(env.outbound ? { outbound: env.outbound } : {}),
      ...(env.http ? { http: env.http } : {}),
    });
  },
  mappers: { 'ics-event': fixedMapper('vevent', icsEventMapper) },
};

/** Credentials as the connector sends them; the composition root has put `passwordEnv`/`tokenEnv` into `password`/`token`. */
export function httpAuthOf(auth: NonNullable<CaldavConfig['auth']>): HttpAuth {
  if (auth.type === 'basic') return { type: 'basic', username: auth.username, password: resolved(auth.password, 'CalDAV password') };
  return { type: 'bearer', token: resolved(auth.token, 'CalDAV token') };
}
