/**
 * A GitHub connection's settings: the repository, how to authenticate (a personal or
 * fine-grained token, or one a person gets by connecting their account through a GitHub
 * OAuth App — `oauth` — sealed at rest), where the API is (GitHub Enterprise, the emulator),
 * which issues the links take (a label filter), how labels become a task's priority (first
 * matching rule wins; TimeTracker's defaults), whether an assignment starts the assignee's
 * timer, and whether closing is written back.
 */
import { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import { TASK_PRIORITIES } from '../../core/fields/time-entry.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';

export const DEFAULT_PRIORITY_RULES = [
  { label: 'bug', priority: 'high' },
  { label: 'critical', priority: 'high' },
  { label: 'enhancement', priority: 'medium' },
] as const;

const priority = z.enum(TASK_PRIORITIES);

export const GITHUB_AUTH_URL = 'https://github.com/login/oauth/authorize';
export const GITHUB_TOKEN_URL = 'https://github.com/login/oauth/access_token';

const httpUrl = z.string().regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address');

/** A GitHub OAuth App (Settings → Developer settings → OAuth Apps) through which a person connects their own account. */
const oauthAppSchema = z
  .object({
    clientId: z.string().min(1).describe("the OAuth App's Client ID"),
    clientSecret: secret(z.string().min(1)).optional().describe("the OAuth App's client secret; sealed at rest"),
    clientSecretEnv: fromEnv('clientSecret', 'GITHUB_CLIENT_SECRET').optional(),
    scopes: z.array(z.string().min(1)).default(['repo']).describe('what the token may do (repo: private issues; public_repo: public ones only)'),
    authUrl: httpUrl.default(GITHUB_AUTH_URL).describe('the consent page (GitHub Enterprise Server: https://<host>/login/oauth/authorize)'),
    tokenUrl: httpUrl.default(GITHUB_TOKEN_URL).describe('where the code becomes a token'),
  })
  .strict()
  .refine((a) => (a.clientSecret === undefined) !== (a.clientSecretEnv === undefined), {
    message: 'set exactly one of clientSecret and clientSecretEnv',
    path: ['clientSecret'],
  });

export const githubConfigSchema = z
  .object({
    repo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'is not a repository such as octo-org/webshop (owner/name)')
      .describe('the repository whose issues become tasks, as owner/name'),
    apiUrl: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address')
      .default('https://api.github.com')
      .describe('the REST API: https://api.github.com, or https://<host>/api/v3 for GitHub Enterprise Server'),
    token: secret(z.string().min(1)).optional().describe('a personal access token (issues: read, and write for closeOnDone); sealed at rest'),
    tokenEnv: fromEnv('token', 'GITHUB_TOKEN').optional().describe('environment variable holding the token (timebridge.yaml and admins only)'),
    oauth: oauthAppSchema
      .optional()
      .describe(
        'connect a GitHub account through this OAuth App instead of giving a token: GET /api/v1/connections/{name}/oauth/start; the token lands in token',
      ),
    labels: z.array(z.string().min(1)).default([]).describe("only issues carrying all of these labels become tasks (GitHub's own filter); empty: every issue"),
    priorityRules: z
      .array(z.object({ label: z.string().min(1), priority }).strict())
      .default(DEFAULT_PRIORITY_RULES.map((r) => ({ ...r })))
      .describe('label → task priority, the first rule whose label the issue carries wins (any case)'),
    defaultPriority: priority.default('low').describe('the priority of an issue no rule matches'),
    autoStartTimer: z.boolean().default(false).describe("an issue's assignment starts the assignee's timer on its task (matched by the person's githubLogin)"),
    writeBack: z
      .object({ closeOnDone: z.boolean().default(false).describe('close the issue when its task is done (the link needs direction: both)') })
      .strict()
      .default({ closeOnDone: false }),
    pageSize: z.number().int().min(1).max(100).default(100).describe('issues per page (GitHub allows 100)'),
    timeoutMs: z.number().int().min(1000).default(30_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.token !== undefined && c.tokenEnv !== undefined) ctx.addIssue({ code: 'custom', path: ['token'], message: 'set only one of token and tokenEnv' });
    if (c.tokenEnv !== undefined && c.oauth !== undefined)
      ctx.addIssue({ code: 'custom', path: ['oauth'], message: 'set only one of tokenEnv and oauth (a connected account brings its own token)' });
    if (c.token === undefined && c.tokenEnv === undefined && c.oauth === undefined)
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'give token or tokenEnv (a GitHub token), or oauth (an OAuth App to connect an account with)' });
  });

export type GithubConfig = z.infer<typeof githubConfigSchema>;

export function githubToken(c: GithubConfig): string {
  if (c.token === undefined && c.oauth) {
    throw new TimebridgeError('OAUTH_REQUIRED', 'This GitHub connection has no account connected yet.', {
      hint: 'Connect one: GET /api/v1/connections/<name>/oauth/start and open the link.',
    });
  }
  return resolved(c.token, 'GitHub token');
}

/** The priority of an issue with these labels: the first rule whose label it carries, else the default. */
export function priorityOf(labels: readonly string[], c: Pick<GithubConfig, 'priorityRules' | 'defaultPriority'>): GithubConfig['defaultPriority'] {
  const have = new Set(labels.map((l) => l.toLowerCase()));
  return c.priorityRules.find((r) => have.has(r.label.toLowerCase()))?.priority ?? c.defaultPriority;
}
