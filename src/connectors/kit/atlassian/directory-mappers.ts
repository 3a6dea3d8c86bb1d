/**
 * Jira issues → hub tasks and Jira users → hub persons. Both sites of a replication map
 * their issues to the same hub task through its key: the site's own key, a key map
 * (`options.keyMap: {"A-1": "B-7"}`: this site's key → the hub's), or a custom field that
 * holds the other site's key (`options.keyField: customfield_10042`). Persons match
 * across sites by email, or by Atlassian account id when the e-mail is hidden. Neither is ever written back to Jira.
 */
import { z } from 'zod';
import { personIdentity, taskIdentity } from '../../../core/fields/time-entry.js';
import type { Fields } from '../../../core/model.js';
import type { Mapper, MapperEntry } from '../mapper.js';
import type { JiraIssueItem, JiraUserItem } from './jira-types.js';

const READ_ONLY = 'managed in Jira: Timebridge does not create or change it (set direction: pull on this link)';

export const issueOptionsSchema = z
  .object({
    /** This site's issue key → the key the hub (and the other site) knows the task by. */
    keyMap: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*-\d+$/, 'is not an issue key such as ABC-12'), z.string().min(1)).default({}),
    /** A custom field (`customfield_10042`) holding the hub's key for the issue, e.g. the other site's key. */
    keyField: z
      .string()
      .regex(/^customfield_\d+$/, 'is not a custom field id such as customfield_10042')
      .optional(),
  })
  .strict();

export type IssueOptions = z.infer<typeof issueOptionsSchema>;

/** The key the hub knows an issue by: key map first, then the custom field, then its own key. */
export function hubKeyOf(issue: JiraIssueItem, opts: IssueOptions): string {
  return opts.keyMap[issue.key] ?? (opts.keyField ? issue.custom[opts.keyField] : undefined) ?? issue.key;
}

export function issueMapper(opts: IssueOptions): Mapper<JiraIssueItem> {
  return {
    name: 'jira-issue',
    hubKind: 'task',
    holds: ['key', 'summary', 'status'],
    toHub(issue) {
      const key = hubKeyOf(issue, opts);
      const fields: Fields = { key, summary: issue.summary, projectId: null, status: issue.status };
      return { ok: true, value: { fields, identity: taskIdentity(key) } };
    },
    toExternal: () => ({ ok: false, skip: `a Jira issue is ${READ_ONLY}` }),
    identity: (f) => (typeof f.key === 'string' ? taskIdentity(f.key) : null),
    label: (f) => `${String(f.key ?? '?')}${f.summary ? ` ${String(f.summary)}` : ''}`,
  };
}

/**
 * A person's natural key from Jira: the e-mail (matches persons of every system), else,
 * for a user who hides it (Atlassian privacy settings), the Atlassian account id — one
 * id per person across the sites of an organisation, kept under `extras.atlassian`.
 */
export function jiraPersonIdentity(f: Fields): string | null {
  const email = typeof f.email === 'string' ? f.email : null;
  const username = typeof f.username === 'string' ? f.username : null;
  const atlassian = (f.extras as { atlassian?: { accountId?: unknown } } | undefined)?.atlassian;
  if (email || username || typeof atlassian?.accountId !== 'string') return personIdentity({ email, username });
  return `atlassian:${atlassian.accountId}`;
}

export const userMapper: Mapper<JiraUserItem> = {
  name: 'jira-user',
  hubKind: 'person',
  holds: ['name', 'email', 'timeZone', 'active', 'extras.atlassian'],
  toHub(u) {
    const fields: Fields = {
      name: u.name,
      email: u.email,
      username: null,
      timeZone: u.timeZone,
      active: u.active,
      extras: { atlassian: { accountId: u.accountId } },
    };
    return { ok: true, value: { fields, identity: jiraPersonIdentity(fields) } };
  },
  toExternal: () => ({ ok: false, skip: `a Jira user is ${READ_ONLY}` }),
  identity: jiraPersonIdentity,
  label: (f) => String(f.email ?? f.name ?? '?'),
};

export const issueMapperEntry: MapperEntry<JiraIssueItem, IssueOptions> = {
  externalKind: 'issue',
  hubKind: 'task',
  options: issueOptionsSchema,
  make: issueMapper,
};
