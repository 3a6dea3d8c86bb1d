/**
 * Webhook payloads of the GitHub emulator (api-contracts §6.1): `issues` with its action,
 * the issue, repository and sender, the top-level `assignee` of `assigned`/`unassigned`, the
 * `label` of `labeled`/`unlabeled` and the `changes` of `edited`; and `ping`.
 */
import { randomBytes } from 'node:crypto';
import { issueJson, labelOf, loginId, repoJson, userJson, type GhIssue, type GhRepo, type GithubData } from './github-data.js';

export interface EventExtras {
  assignee?: string;
  label?: string;
  changes?: Record<string, { from: unknown }>;
  sender?: string;
}

export function issuesPayload(data: GithubData, base: string, repo: GhRepo, issue: GhIssue, action: string, x: EventExtras = {}): Record<string, unknown> {
  const sender = x.sender ?? repo.owner;
  return {
    action,
    issue: issueJson(data, base, repo, issue),
    ...(x.assignee !== undefined ? { assignee: userJson(base, x.assignee, loginId(x.assignee)) } : {}),
    ...(x.label !== undefined ? { label: labelOf(data, repo, x.label) } : {}),
    ...(action === 'edited' ? { changes: x.changes ?? {} } : {}),
    repository: repoJson(base, repo),
    sender: userJson(base, sender, loginId(sender)),
  };
}

const ZEN = ['Keep it logically awesome.', 'Design for failure.', 'Speak like a human.', 'Approachable is better than simple.'];

export function pingPayload(base: string, repo: GhRepo, hook: { id: number; url: string; events: string[] }): Record<string, unknown> {
  return {
    zen: ZEN[randomBytes(1)[0]! % ZEN.length],
    hook_id: hook.id,
    hook: {
      type: 'Repository',
      id: hook.id,
      name: 'web',
      active: true,
      events: hook.events,
      config: { content_type: 'json', insecure_ssl: '0', url: hook.url },
    },
    repository: repoJson(base, repo),
    sender: userJson(base, repo.owner, loginId(repo.owner)),
  };
}
