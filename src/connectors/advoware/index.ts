/**
 * Registry entry of the Advoware connector: its settings (the firm's login at the security
 * gateway, sealed secrets), the appointment connector of one employee (the link's
 * `collection` is the employee's Kürzel), its mapper, and the list of employees link
 * templates expand from (`collections`).
 */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import type { MapperEntry } from '../kit/mapper.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';
import type { BuildEnv, ConnectorEntry } from '../kit/entry.js';
import { isKnownZone } from '../kit/zone-time.js';
import { AdvowareApi } from './advoware-api.js';
import { AdvowareAppointmentConnector } from './advoware-connector.js';
import type { AdvowareItem } from './advoware-types.js';
import { appointmentMapperEntry } from './appointment-mapper.js';
import { advowareManifest } from './manifest.js';

const url = z.string().regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const apiPath = z.string().regex(/^[^/?#][^?#]*$/, 'a path under the API base without a leading slash, e.g. api/v1/advonet/Termine');

export const advowareConfigSchema = z
  .object({
    url: url.describe("the API base (relayUrl or connectorUrl), or with discover: true the configurator's host, e.g. https://www2.advo-net.net/"),
    discover: z.boolean().default(false).describe('ask the configurator (AdvonetConfigurator/api/Url?Kanzlei=…) for the API and gateway addresses'),
    gatewayUrl: url.optional().describe('the security gateway (default: url), e.g. https://security.advo-net.net/'),
    appId: z.string().min(1).describe('the AppID the vendor registered for this installation'),
    apiKey: secret(z.string().min(1)).optional().describe('the API key (base64) that signs token requests; sealed at rest when set through the API'),
    apiKeyEnv: fromEnv('apiKey', 'ADVOWARE_API_KEY').optional().describe('environment variable holding the API key (timebridge.yaml and admins only)'),
    kanzlei: z.string().min(1).describe('the Kanzleikennung'),
    database: z.string().min(1).describe("the firm's database name"),
    user: z.string().min(1).describe('the Kürzel of the API user'),
    password: secret(z.string().min(1)).optional().describe("the API user's password"),
    passwordEnv: fromEnv('password', 'ADVOWARE_PASSWORD').optional(),
    role: z.number().int().default(2),
    product: z.number().int().default(64).describe('64 for third-party apps'),
    termine: apiPath.default('api/v1/advonet/Termine').describe('appointments path (camelCase dialect)'),
    mitarbeiter: apiPath.default('api/v1/advonet/Mitarbeiter').describe('employees path'),
    timeZone: z.string().refine(isKnownZone, 'is not an IANA time zone such as Europe/Berlin').default('Europe/Berlin').describe("the firm's zone"),
    listFrom: day.default('2000-01-01').describe('first day listed when a link has no window'),
    listTo: day.default('2038-01-19').describe('last day listed when a link has no window'),
    tokenRefreshMarginSec: z.number().int().min(0).default(120).describe('fetch a new token this long before the current one expires'),
    timeoutMs: z.number().int().min(1000).default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.apiKey !== undefined && c.apiKeyEnv !== undefined)
      ctx.addIssue({ code: 'custom', path: ['apiKey'], message: 'set only one of apiKey and apiKeyEnv' });
    if (c.password !== undefined && c.passwordEnv !== undefined)
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'set only one of password and passwordEnv' });
    if (c.apiKey !== undefined && !/^[A-Za-z0-9+/]+=*$/.test(c.apiKey))
      ctx.addIssue({ code: 'custom', path: ['apiKey'], message: 'is not base64 (copy the key as the vendor gave it)' });
    if (c.listTo < c.listFrom) ctx.addIssue({ code: 'custom', path: ['listTo'], message: 'is before listFrom' });
  });

export type AdvowareConfig = z.infer<typeof advowareConfigSchema>;

export function advowareApiOf(c: AdvowareConfig, env: Pick<BuildEnv, 'http' | 'outbound'> = {}): AdvowareApi {
  return new AdvowareApi({
    url: c.url,
    discover: c.discover,
    ...(c.gatewayUrl ? { gatewayUrl: c.gatewayUrl } : {}),
    login: {
      appId: c.appId,
      apiKey: resolved(c.apiKey, 'Advoware API key'),
      kanzlei: c.kanzlei,
      database: c.database,
      user: c.user,
      password: resolved(c.password, 'Advoware password'),
      role: c.role,
      product: c.product,
    },
    termine: c.termine,
    mitarbeiter: c.mitarbeiter,
    refreshMarginMs: c.tokenRefreshMarginSec * 1000,
    timeoutMs: c.timeoutMs,
    ...(env.http ? { http: env.http } : {}),
    ...(env.outbound ? { outbound: env.outbound } : {}),
  });
}

/** The employee a link covers: its collection, a Kürzel. */
export function kuerzelOf(collection: string | null): string {
  if (collection && /^[\p{L}\p{N}_.-]{1,20}$/u.test(collection)) return collection;
  throw new TimebridgeError('CONFIG_INVALID', collection ? `collection "${collection}" is not an Advoware Kürzel.` : 'An Advoware link needs a collection.', {
    hint: "Set collection to the employee's Kürzel (e.g. MUE); `timebridge` lists them from the connection's employees.",
  });
}

export const advowareEntry: ConnectorEntry<AdvowareConfig, AdvowareItem> = {
  manifest: advowareManifest,
  configSchema: advowareConfigSchema as unknown as z.ZodType<AdvowareConfig>,
  create: (config, env) =>
    new AdvowareAppointmentConnector(advowareApiOf(config, env), {
      kuerzel: kuerzelOf(env.target.collection),
      listFrom: config.listFrom,
      listTo: config.listTo,
      timeZone: config.timeZone,
    }),
  mappers: {
    'advoware-appointment': appointmentMapperEntry as MapperEntry<AdvowareItem, unknown>,
  },
  // The sync it replaces ran daily; appointments from a month back to a year ahead.
  linkDefaults: () => ({ window: { pastDays: 31, futureDays: 365 }, schedule: '0 3 * * *' }),
  async collections(config, env) {
    const list = await advowareApiOf(config, env).employees();
    return list
      .filter((e) => typeof e.kuerzel === 'string' && e.kuerzel.trim() !== '')
      .map((e) => ({ key: e.kuerzel.trim(), name: typeof e.name === 'string' && e.name ? e.name : e.kuerzel.trim(), active: e.aktiv !== false }));
  },
};
