/**
 * Jira issues (collection = project key, or the whole site) and users, read only: the
 * worklog links resolve their references through them. Both are small enough to list in
 * full every run; etags are content hashes, so only changed ones are mapped again.
 */
import { TimebridgeError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { Json } from '../../core/model.js';
import type { Connector, ExternalItem, ExternalRef, ItemFailure, Listing } from '../kit/connector.js';
import type { JiraApi } from './jira-api.js';
import type { JiraIssueItem, JiraUserItem, RawIssue, RawJiraUser } from './jira-types.js';
import { jiraManifest } from './manifest.js';

const etagOf = (item: object): string => contentHash(item as unknown as Json).slice(0, 32);

export function readIssue(raw: RawIssue): JiraIssueItem {
  const custom: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.fields)) {
    if (!k.startsWith('customfield_')) continue;
    if (typeof v === 'string' && v.trim()) custom[k] = v.trim();
    else if (v && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'string') custom[k] = (v as { value: string }).value.trim();
  }
  return { key: raw.key, summary: raw.fields.summary ?? null, status: raw.fields.status?.name ?? null, projectKey: raw.fields.project?.key ?? null, custom };
}

export function readUser(raw: RawJiraUser): JiraUserItem {
  return {
    accountId: raw.accountId, name: raw.displayName ?? null, email: raw.emailAddress ? raw.emailAddress.trim().toLowerCase() : null,
    timeZone: raw.timeZone ?? null, active: raw.active ?? true,
  };
}

/** A read-only kind: full listings of a snapshot, refusals with a fix on every write. */
abstract class ReadOnlyConnector<T extends object> implements Connector<T> {
  readonly manifest = { ...jiraManifest, incremental: 'full-listing-etags' as const, can: { create: false, update: false, delete: false } };
  private snapshot: Map<string, T> | null = null;

  protected abstract readonly what: string;
  protected abstract load(): Promise<Map<string, T>>;

  async list(): Promise<Listing> {
    this.snapshot = await this.load();
    const refs = [...this.snapshot].map(([id, item]) => ({ id, etag: etagOf(item) }));
    return { mode: 'full', refs, removed: [], complete: true, failures: [], cursor: null };
  }

  async get(ids: string[]): Promise<(ExternalItem<T> | ItemFailure)[]> {
    if (!this.snapshot || ids.some((id) => !this.snapshot!.has(id))) this.snapshot = await this.load();
    const snap = this.snapshot;
    return ids.map((id) => {
      const item = snap.get(id);
      if (!item) return { id, error: { code: 'CONNECTOR_NOT_FOUND', kind: 'not_found' as const, message: `Jira ${this.what} ${id} does not exist (any more), or the API user cannot see it.` } };
      return { id, etag: etagOf(item), data: item, modifiedAt: null };
    });
  }

  create(): Promise<ExternalRef> {
    return Promise.reject(this.readOnly('create'));
  }

  update(): Promise<ExternalRef> {
    return Promise.reject(this.readOnly('change'));
  }

  delete(): Promise<void> {
    return Promise.reject(this.readOnly('delete'));
  }

  async findByKey(): Promise<ExternalRef | null> {
    return null;
  }

  private readOnly(what: string): TimebridgeError {
    return new TimebridgeError('CONNECTOR_INVALID_INPUT', `Timebridge does not ${what} Jira ${this.what}s; they are managed in Jira.`, {
      hint: 'Set direction: pull on this link.',
    });
  }
}

export class JiraIssueConnector extends ReadOnlyConnector<JiraIssueItem> {
  protected readonly what = 'issue';

  constructor(private readonly api: JiraApi, private readonly collection: string | null) {
    super();
  }

  protected async load(): Promise<Map<string, JiraIssueItem>> {
    const jql = this.collection ? `project = "${this.collection.replace(/"/g, '')}" ORDER BY id` : 'ORDER BY id';
    const issues = await this.api.searchIssues(jql, '*all');
    return new Map(issues.map((i) => [String(i.id), readIssue(i)]));
  }
}

export class JiraUserConnector extends ReadOnlyConnector<JiraUserItem> {
  protected readonly what = 'user';

  constructor(private readonly api: JiraApi) {
    super();
  }

  protected async load(): Promise<Map<string, JiraUserItem>> {
    // App and bot accounts never log work; leaving them out keeps them out of the hub's persons.
    const users = (await this.api.allUsers()).filter((u) => (u.accountType ?? 'atlassian') === 'atlassian');
    return new Map(users.map((u) => [u.accountId, readUser(u)]));
  }
}
