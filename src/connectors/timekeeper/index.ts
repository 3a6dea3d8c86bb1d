/**
 * Registry entry of the Timekeeper connector: a mu-semtech Timekeeper's SPARQL endpoint
 * (mu-authorization, or the Virtuoso behind it). External kinds: `work-log` (→ timeEntry),
 * `timesheet` (→ timesheet), `customer`, `project`, `activity` (Kimai's taxonomy, mirrored
 * from the hub) and `account` (→ person: Kimai accounts, mirrored from the hub). Links name the Kimai connection whose ids Timekeeper
 * keeps with the mapper option `kimai`.
 */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import type { Connector } from '../kit/connector.js';
import type { ConnectorEntry, BuildEnv } from '../kit/entry.js';
import type { MapperEntry } from '../kit/mapper.js';
import { timekeeperManifest } from './manifest.js';
import { SparqlClient } from './sparql.js';
import type { TimekeeperItem } from './types.js';
import { WorkLogConnector } from './work-log-connector.js';
import { workLogMapperEntry } from './work-log-mapper.js';
import { TimesheetConnector } from './timesheet-connector.js';
import { timesheetMapperEntry } from './timesheet-mapper.js';
import { TaxonomyConnector } from './taxonomy-connector.js';
import { accountMapperEntry, activityMapperEntry, customerMapperEntry, projectMapperEntry } from './taxonomy-mapper.js';
import { deltaRoutes, deltaSettingsSchema } from './delta/index.js';

const uri = z.string().regex(/^https?:\/\/[^\s<>"{}|\\^`]+$/i, 'an absolute http:// or https:// URI without spaces');

export const timekeeperConfigSchema = z
  .object({
    endpoint: uri.describe("the stack's SPARQL endpoint (mu-authorization), e.g. http://database:8890/sparql"),
    graph: uri.default('http://mu.semte.ch/graphs/redpencil').describe('the graph work logs and timesheets are written to'),
    taxonomyGraph: uri.default('http://mu.semte.ch/graphs/kimai').describe('the graph customers, projects and activities are written to'),
    baseUri: uri.default('http://timekeeper.redpencil.io').describe('new resources are made under it (<baseUri>/work-logs/<uuid>)'),
    kimaiHomepage: uri.default('http://kimai.redpencil.io').describe('foaf:accountServiceHomepage of the Kimai accounts (KIMAI_ACCOUNT_SERVICE_HOMEPAGE)'),
    workspace: uri
      .default('http://timekeeper.redpencil.io/workspaces/7530c9c9-4905-4fae-b63f-7a8d29232377')
      .describe('the workspace concept scheme of the Kimai tasks (WORKSPACE_URI)'),
    allowedGroups: z
      .array(z.object({ name: z.string().min(1), variables: z.array(z.string()).default([]) }).strict())
      .nullable()
      .default([{ name: 'public', variables: [] }])
      .describe('mu-auth-allowed-groups sent with every request; null: let mu-authorization compute them'),
    scope: z
      .string()
      .nullable()
      .default('http://services.redpencil.io/timekeeper-kimai-sync-service')
      .describe('mu-auth-scope (DEFAULT_MU_AUTH_SCOPE); null: none'),
    sudo: z.boolean().default(false).describe('send mu-auth-sudo (no access rules): only for a stack that grants it to this service'),
    pageSize: z.number().int().min(10).max(10_000).default(500).describe('work logs per listing page'),
    timeoutMs: z.number().int().min(1000).default(30_000),
    delta: deltaSettingsSchema.optional().describe('what a delta of the notifier (POST /delta) runs: rules, grace period, external kinds'),
  })
  .strict();

export type TimekeeperConfig = z.infer<typeof timekeeperConfigSchema>;

export function sparqlOf(c: TimekeeperConfig, env: Pick<BuildEnv, 'http' | 'outbound'> = {}, fetchImpl?: typeof fetch): SparqlClient {
  return new SparqlClient({
    endpoint: c.endpoint,
    timeoutMs: c.timeoutMs,
    muAuth: { allowedGroups: c.allowedGroups === null ? null : JSON.stringify(c.allowedGroups), scope: c.scope, sudo: c.sudo },
    ...(env.http ? { http: env.http } : {}),
    ...(env.outbound ? { outbound: env.outbound } : {}),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
}

export function createTimekeeperConnector(
  c: TimekeeperConfig,
  externalKind: string,
  collection: string | null,
  sparql: SparqlClient,
): Connector<TimekeeperItem> {
  if (collection !== null) {
    throw new TimebridgeError('CONFIG_INVALID', `A Timekeeper link takes no collection (it was "${collection}").`, {
      hint: 'Remove collection from the link.',
    });
  }
  const settings = { baseUri: c.baseUri, graph: c.graph, kimaiHomepage: c.kimaiHomepage, pageSize: c.pageSize };
  if (externalKind === 'work-log') return new WorkLogConnector(sparql, settings, timekeeperManifest) as Connector<TimekeeperItem>;
  if (externalKind === 'timesheet') return new TimesheetConnector(sparql, settings, timekeeperManifest) as Connector<TimekeeperItem>;
  if (externalKind === 'customer' || externalKind === 'project' || externalKind === 'activity' || externalKind === 'account') {
    const taxonomy = { baseUri: c.baseUri, graph: c.taxonomyGraph, workspace: c.workspace, kimaiHomepage: c.kimaiHomepage, pageSize: c.pageSize };
    return new TaxonomyConnector(sparql, taxonomy, timekeeperManifest, externalKind) as Connector<TimekeeperItem>;
  }
  throw new TimebridgeError('CONFIG_INVALID', `Timekeeper has no kind "${externalKind}".`, {
    hint: 'Use work-log, timesheet, customer, project, activity or account.',
  });
}

export const timekeeperEntry: ConnectorEntry<TimekeeperConfig, TimekeeperItem> = {
  manifest: timekeeperManifest,
  configSchema: timekeeperConfigSchema as unknown as z.ZodType<TimekeeperConfig>,
  create: (config, env) => createTimekeeperConnector(config, env.target.externalKind, env.target.collection, sparqlOf(config, env)),
  // The delta notifier's receiver (POST /delta at the root, where the sync service had it).
  routes: deltaRoutes,
  // The Kimai sync service's fallback: every 2 hours, now ± 31 days.
  linkDefaults: (kind) => (kind === 'work-log' ? { window: { pastDays: 31, futureDays: 31 }, schedule: '0 */2 * * *' } : {}),
  mappers: {
    'timekeeper-work-log': workLogMapperEntry as MapperEntry<TimekeeperItem, unknown>,
    'timekeeper-timesheet': timesheetMapperEntry as MapperEntry<TimekeeperItem, unknown>,
    'timekeeper-customer': customerMapperEntry as MapperEntry<TimekeeperItem, unknown>,
    'timekeeper-project': projectMapperEntry as MapperEntry<TimekeeperItem, unknown>,
    'timekeeper-activity': activityMapperEntry as MapperEntry<TimekeeperItem, unknown>,
    'timekeeper-account': accountMapperEntry as MapperEntry<TimekeeperItem, unknown>,
  },
};
