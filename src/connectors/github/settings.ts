/**
 * A GitHub connection's settings: the repository, how to authenticate (a personal or
 * fine-grained token, sealed at rest), where the API is (GitHub Enterprise, the emulator),
 * which issues the links take (a label filter), how labels become a task's priority (first
 * matching rule wins; TimeTracker's defaults), whether an assignment starts the assignee's
 * timer, and whether closing is written back.
 */
import { z } from 'zod';
import { TASK_PRIORITIES } from '../../core/fields/time-entry.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';

export const DEFAULT_PRIORITY_RULES = [
  { label: 'bug', priority: 'high' },
  { label: 'critical', priority: 'high' },
  { label: 'enhancement', priority: 'medium' },
] as const;

const priority = z.enum(TASK_PRIORITIES);

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
    if (c.token === undefined && c.tokenEnv === undefined)
      ctx.addIssue({ code: 'custom', path: ['token'], message: 'give token or tokenEnv (a GitHub token)' });
  });

export type GithubConfig = z.infer<typeof githubConfigSchema>;

export const githubToken = (c: GithubConfig): string => resolved(c.token, 'GitHub token');

/** The priority of an issue with these labels: the first rule whose label it carries, else the default. */
export function priorityOf(labels: readonly string[], c: Pick<GithubConfig, 'priorityRules' | 'defaultPriority'>): GithubConfig['defaultPriority'] {
  const have = new Set(labels.map((l) => l.toLowerCase()));
  return c.priorityRules.find((r) => have.has(r.label.toLowerCase()))?.priority ?? c.defaultPriority;
}
