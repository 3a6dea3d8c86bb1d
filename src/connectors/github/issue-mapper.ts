/**
 * GitHub issues → hub tasks. The key is `owner/name#number`; title, labels, the priority the
 * connection's rules gave, the URL, and the state: closed → done, open → todo (an open
 * issue whose task is in progress in the hub stays in progress). The assignee is the person
 * of the scope whose `githubLogin` is the issue's first assignee; an assignee no person
 * claims leaves the task unassigned. Back to GitHub goes only closing: a task made done
 * closes its issue (the connector does so when the connection allows it).
 */
import { taskIdentity } from '../../core/fields/time-entry.js';
import type { Fields } from '../../core/model.js';
import { fixedMapper, type Mapper, type MapperEntry } from '../kit/mapper.js';
import type { GithubIssueItem } from './github-types.js';

export const issueKey = (repo: string, n: number): string => `${repo}#${n}`;

const OWNED = 'GitHub owns the issue: only closing it when its task is done is written back';

export const issueMapper: Mapper<GithubIssueItem> = {
  name: 'github-issue',
  hubKind: 'task',
  holds: ['key', 'summary', 'status', 'state', 'priority', 'assigneeId', 'labels', 'url'],
  readsPersons: true,
  readsLinkedRecord: true,
  toHub(issue, ctx) {
    const key = issueKey(issue.repo, issue.number);
    const login = issue.assignees[0];
    const assigneeId = login ? (ctx.refs?.personByGithubLogin?.(login) ?? null) : null;
    const wasInProgress = ctx.linked?.state === 'in-progress';
    const fields: Fields = {
      key,
      summary: issue.title,
      projectId: null,
      status: issue.state,
      state: issue.state === 'closed' ? 'done' : wasInProgress ? 'in-progress' : 'todo',
      priority: issue.priority,
      assigneeId,
      labels: issue.labels,
      url: issue.url,
    };
    return { ok: true, value: { fields, identity: taskIdentity(key) } };
  },
  toExternal(fields, _ctx, previous) {
    if (!previous) return { ok: false, skip: `${OWNED}; a task made in the hub does not open an issue` };
    if (fields.state === 'done' && previous.state === 'open') return { ok: true, value: { ...previous, state: 'closed', stateReason: 'completed' } };
    return { ok: false, skip: OWNED };
  },
  identity: (f) => (typeof f.key === 'string' ? taskIdentity(f.key) : null),
  label: (f) => `${String(f.key ?? '?')}${f.summary ? ` ${String(f.summary)}` : ''}`,
};

export const issueMapperEntry: MapperEntry<GithubIssueItem, undefined> = { ...fixedMapper('issue', issueMapper), defaultDirection: 'pull' };
