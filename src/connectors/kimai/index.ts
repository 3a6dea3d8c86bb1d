/**
 * Registry entry of the Kimai connector: its settings, how the token is read, and which
 * connector and mapper each external kind uses.
 *
 * Links choose the kind with `externalKind`: `timesheet` (→ timeEntry; `collection` is a
 * Kimai user id, or `all` — the default — for every user, which needs an admin token),
 * `customer`, `project`, `activity` (→ the hub kinds of the same names) and `user`
 * (→ person, read only).
 */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import type { Connector } from '../kit/connector.js';
import type { HttpSetup } from '../kit/http-setup.js';
import { fixedMapper, type MapperEntry } from '../kit/mapper.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';
import type { ConnectorEntry, LinkTarget } from '../kit/entry.js';
import { KimaiApi, type KimaiAuth } from './kimai-api.js';
import { isKnownZone } from '../kit/zone-time.js';
import { parseClock } from './kimai-time.js';
import type { KimaiItem } from './kimai-types.js';
import { kimaiManifest } from './manifest.js';
import { KimaiTaxonomyConnector, TAXONOMY_SPECS } from './taxonomy-connector.js';
import { activityMapper, customerMapper, projectMapper, userMapper } from './taxonomy-mappers.js';
import { KimaiTimesheetConnector } from './timesheet-connector.js';
import { timesheetMapperEntry } from './timesheet-mapper.js';
import { kimaiRoutes } from './drop-in-routes.js';

export const kimaiConfigSchema = z
  .object({
    url: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address')
      .describe("Kimai's address, e.g. https://kimai.example.com (a trailing /api is fine)"),
    token: secret(z.string().min(1)).optional().describe('API token (Kimai 2.14+, from the user profile); sealed at rest when set through the API'),
    tokenEnv: fromEnv('token', 'KIMAI_TOKEN').optional().describe('environment variable holding the API token (timebridge.yaml and admins only)'),
    user: z.string().min(1).optional().describe('legacy auth (deprecated in Kimai 2.14): the user name, with password or passwordEnv'),
    password: secret(z.string().min(1)).optional().describe('legacy API password'),
    passwordEnv: fromEnv('password', 'KIMAI_PASSWORD').optional(),
    timeZone: z
      .string()
      .refine(isKnownZone, 'is not an IANA time zone such as Europe/Berlin')
      .default('UTC')
      .describe('zone for users whose own Kimai zone cannot be read (the token may not list users)'),
    pageSize: z.number().int().min(1).max(500).default(100).describe('timesheets per page (Kimai caps it at 500)'),
    dayStart: z
      .string()
      .refine((s) => parseClock(s) !== null, 'is not a time HH:MM such as 08:00')
      .default('08:00')
      .describe('where the first entry of a day goes when an entry has a day but no time'),
    fullListingEvery: z.number().int().min(1).default(12).describe('every n-th timesheet listing reads everything (Kimai has no deletion feed)'),
    timeoutMs: z.number().int().min(1000).default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    const token = c.token !== undefined || c.tokenEnv !== undefined;
    const legacy = c.user !== undefined;
    if (token === legacy) ctx.addIssue({ code: 'custom', message: 'give either token/tokenEnv (Kimai 2.14+), or user with password/passwordEnv (legacy)' });
    if (c.token !== undefined && c.tokenEnv !== undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'set only one of token and tokenEnv' });
    if (legacy && (c.password === undefined) === (c.passwordEnv === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'with user, set exactly one of password and passwordEnv' });
    }
  });

export type KimaiConfig = z.infer<typeof kimaiConfigSchema>;

/** Credentials as the API client sends them; the composition root has put `tokenEnv`/`passwordEnv` into `token`/`password`. */
export function kimaiAuth(c: KimaiConfig): KimaiAuth {
  if (c.user !== undefined) return { type: 'legacy', user: c.user, password: resolved(c.password, 'Kimai API password') };
  return { type: 'token', token: resolved(c.token, 'Kimai API token') };
}

/** `http`: pacing, retries and clock; `outbound`: where requests may go. */
export function kimaiApiOf(c: KimaiConfig, fetchImpl?: typeof fetch, o: { http?: HttpSetup; outbound?: OutboundGuard } = {}): KimaiApi {
  return new KimaiApi({
    url: c.url,
    auth: kimaiAuth(c),
    timeoutMs: c.timeoutMs,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    ...(o.http ? { http: o.http } : {}),
    ...(o.outbound ? { outbound: o.outbound } : {}),
  });
}

/** A link's collection for timesheets: `all` (default) or a Kimai user id. */
export function timesheetCollection(collection: string | null): string {
  const c = collection ?? 'all';
  if (c === 'all' || /^\d+$/.test(c)) return c;
  throw new TimebridgeError('CONFIG_INVALID', `collection "${c}" is not a Kimai user id or "all".`, {
    hint: 'Use the numeric id of the Kimai user (GET /api/users), or all for every user (needs an admin token).',
  });
}

export function createKimaiConnector(c: KimaiConfig, target: LinkTarget, api: KimaiApi = kimaiApiOf(c)): Connector<KimaiItem> {
  if (target.externalKind === 'timesheet') {
    return new KimaiTimesheetConnector(api, {
      collection: timesheetCollection(target.collection),
      pageSize: c.pageSize,
      fullListingEvery: c.fullListingEvery,
      dayStartMinutes: parseClock(c.dayStart)!,
      fallbackZone: c.timeZone,
    }) as Connector<KimaiItem>;
  }
  const spec = TAXONOMY_SPECS[target.externalKind as keyof typeof TAXONOMY_SPECS];
  if (!spec)
    throw new TimebridgeError('CONFIG_INVALID', `Kimai has no kind "${target.externalKind}".`, { hint: 'Use timesheet, customer, project, activity or user.' });
  if (target.collection !== null) {
    throw new TimebridgeError('CONFIG_INVALID', `A Kimai ${target.externalKind} link takes no collection (it was "${target.collection}").`, {
      hint: 'Remove collection from the link.',
    });
  }
  return new KimaiTaxonomyConnector(api, spec as never) as Connector<KimaiItem>;
}

export const kimaiEntry: ConnectorEntry<KimaiConfig, KimaiItem> = {
  manifest: kimaiManifest,
  configSchema: kimaiConfigSchema as unknown as z.ZodType<KimaiConfig>,
  create: (config, env) =>
    createKimaiConnector(
      config,
      env.target,
      kimaiApiOf(config, undefined, { ...(env.http ? { http: env.http } : {}), ...(env.outbound ? { outbound: env.outbound } : {}) }),
    ),
  // The Kimai sync service's fallback: every 2 hours, now ± 31 days (each failed write is retried, not only creates).
  linkDefaults: (kind) => (kind === 'timesheet' ? { window: { pastDays: 31, futureDays: 31 }, schedule: '0 */2 * * *' } : {}),
  routes: kimaiRoutes,
  // A timesheet link's collection is a Kimai user id; a disabled user is an inactive collection.
  collections: async (config, env) => {
    const api = kimaiApiOf(config, undefined, { ...(env.http ? { http: env.http } : {}), ...(env.outbound ? { outbound: env.outbound } : {}) });
    return (await api.users()).map((u) => ({ key: String(u.id), name: u.username, active: u.enabled }));
  },
  mappers: {
    'kimai-timesheet': timesheetMapperEntry as MapperEntry<KimaiItem, unknown>,
    'kimai-customer': fixedMapper('customer', customerMapper) as MapperEntry<KimaiItem, unknown>,
    'kimai-project': fixedMapper('project', projectMapper) as MapperEntry<KimaiItem, unknown>,
    'kimai-activity': fixedMapper('activity', activityMapper) as MapperEntry<KimaiItem, unknown>,
    'kimai-user': fixedMapper('user', userMapper) as MapperEntry<KimaiItem, unknown>,
  },
};
