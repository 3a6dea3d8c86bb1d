/**
 * Registry entry of the Tempo Cloud connector. Tempo refers to issues by Jira id and to
 * authors by Atlassian account id, so a Tempo connection also names its Jira site
 * (`jira: {url, email, token}`). It offers three kinds: `worklog` (Tempo worklogs →
 * timeEntry), and `issue` and `user`, read from that Jira site — on the same connection,
 * so the worklog link resolves its issues and authors through them (`ctx.refs` looks at
 * the connection's own links).
 */
import { z } from 'zod';
import type { Connector } from '../kit/connector.js';
import { withBudget, type HttpSetup } from '../kit/http-setup.js';
import { fixedMapper, type MapperEntry } from '../kit/mapper.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';
import type { ConnectorEntry, LinkTarget } from '../kit/entry.js';
import { issueMapperEntry, userMapper } from '../kit/atlassian/directory-mappers.js';
import { createJiraConnector, jiraApiOf, jiraSiteSchema, projectCollection } from '../kit/atlassian/site.js';
import { worklogMapperEntry } from '../kit/atlassian/worklog-mapper.js';
import { TempoApi } from './tempo-api.js';
import { TempoWorklogConnector } from './tempo-connector.js';
import { tempoManifest } from './manifest.js';

export const tempoConfigSchema = z
  .object({
    url: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full address such as https://api.tempo.io')
      .default('https://api.tempo.io')
      .describe('Tempo API base: https://api.tempo.io, or api.eu.tempo.io / api.us.tempo.io for your region (a wrong region answers 401)'),
    token: secret(z.string().min(1))
      .optional()
      .describe('Tempo API-integration token (Tempo → Settings → API integration); sealed at rest when set through the API'),
    tokenEnv: fromEnv('token', 'TEMPO_TOKEN').optional().describe('environment variable holding the token (timebridge.yaml and admins only)'),
    /** The Jira Cloud site Tempo runs on: issue keys, users and their time zones come from there. */
    jira: jiraSiteSchema,
    pageSize: z
      .number()
      .int()
      .min(2)
      .max(5000)
      .default(1000)
      .describe("worklogs per page (each page re-reads the previous one's last worklog, to prove nothing moved)"),
    timeoutMs: z.number().int().min(1000).default(30_000),
    requestsPerSecond: z
      .number()
      .int()
      .min(0)
      .max(100)
      .default(4)
      .describe('requests a second to Tempo (its limit is about 5: 4 leaves room for clock skew); 0 sends without pacing'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.token === undefined) === (c.tokenEnv === undefined))
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'set exactly one of token and tokenEnv' });
  });

export type TempoConfig = z.infer<typeof tempoConfigSchema>;

export function createTempoConnector(
  c: TempoConfig,
  target: LinkTarget,
  fetchImpl?: typeof fetch,
  o: { http?: HttpSetup; outbound?: OutboundGuard } = {},
): Connector<unknown> {
  const { outbound } = o;
  // Both clients share the run's retry budget; the connection's rateLimit is Tempo's, the Jira site keeps its own bucket.
  const setup = withBudget(o.http);
  const jira = jiraApiOf(c.jira, fetchImpl, { http: setup, primary: false, ...(outbound ? { outbound } : {}) });
  if (target.externalKind !== 'worklog') return createJiraConnector(jira, target);
  const tempo = new TempoApi({
    url: c.url,
    token: resolved(c.token, 'Tempo API token'),
    pageSize: c.pageSize,
    timeoutMs: c.timeoutMs,
    requestsPerSecond: c.requestsPerSecond,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
    ...(outbound ? { outbound } : {}),
    http: setup,
  });
  return new TempoWorklogConnector(tempo, jira, projectCollection(target.collection, 'worklog')) as Connector<unknown>;
}

export const tempoEntry: ConnectorEntry<TempoConfig, unknown> = {
  manifest: tempoManifest,
  configSchema: tempoConfigSchema as unknown as z.ZodType<TempoConfig>,
  create: (config, env) =>
    createTempoConnector(config, env.target, undefined, { ...(env.http ? { http: env.http } : {}), ...(env.outbound ? { outbound: env.outbound } : {}) }),
  mappers: {
    'tempo-worklog': worklogMapperEntry('tempo') as MapperEntry<unknown, unknown>,
    'tempo-issue': issueMapperEntry as MapperEntry<unknown, unknown>,
    'tempo-user': fixedMapper('user', userMapper) as MapperEntry<unknown, unknown>,
  },
};
