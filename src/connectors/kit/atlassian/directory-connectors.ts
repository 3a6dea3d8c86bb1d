/**
 * Jira issues (collection = project key, or the whole site) and users, read only: the
 * worklog links resolve their references through them. Both are small enough to list in
 * full every run; etags are content hashes, so only changed ones are mapped again.
 */
import { TimebridgeError, describeError, isTimebridgeError } from '../../../core/errors.js';
import { contentHash } from '../../../core/hash.js';
import type { Json } from '../../../core/model.js';
import type { Connector, ExternalItem, ExternalRef, ItemFailure, Listing } from '../connector.js';
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
    accountId: raw.accountId,
    name: raw.displayName ?? null,
    email: raw.emailAddress ? raw.emailAddress.trim().toLowerCase() : null,
    timeZone: raw.timeZone ?? null,
    active: raw.active ?? true,
  };
}

interface Loaded<T> {
  items: Map<string, T>;
  complete: boolean;
  reason: string | null;
}

/**
 * A read-only kind: full listings of a snapshot, refusals with a fix on every write. `get`
 * reads an id the snapshot lacks from Jira itself, so an item a listing skipped is still
 * found, and only Jira's 404 says it is gone.
 */
abstract class ReadOnlyConnector<T extends object> implements Connector<T> {
  readonly manifest = { ...jiraManifest, incremental: 'full-listing-etags' as const };
  private snapshot: Map<string, T> | null = null;

  protected abstract readonly what: string;
  protected abstract load(): Promise<Loaded<T>>;
  /** One item by id; null when Jira says it does not exist (or it is outside the collection). */
  protected abstract fetchOne(id: string): Promise<T | null>;

  async list(): Promise<Listing> {
    const loaded = await this.load();
    this.snapshot = loaded.items;
    const refs = [...loaded.items].map(([id, item]) => ({ id, etag: etagOf(item) }));
    return {
      mode: 'full',
      refs,
      removed: [],
      complete: loaded.complete,
      failures: [],
      cursor: null,
      ...(loaded.reason ? { incompleteReason: loaded.reason } : {}),
    };
  }

  async get(ids: string[]): Promise<(ExternalItem<T> | ItemFailure)[]> {
    const out: (ExternalItem<T> | ItemFailure)[] = [];
    for (const id of ids) {
      try {
        const item = this.snapshot?.get(id) ?? (await this.fetchOne(id));
        if (!item)
          out.push({
            id,
            error: {
              code: 'CONNECTOR_NOT_FOUND',
              kind: 'not_found',
              message: `Jira ${this.what} ${id} does not exist (any more), or the API user cannot see it.`,
            },
          });
        else out.push({ id, etag: etagOf(item), data: item, modifiedAt: null });
      } catch (err) {
        out.push({ id, error: describeError(err) });
      }
    }
    return out;
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

  constructor(
    private readonly api: JiraApi,
    private readonly collection: string | null,
  ) {
    super();
  }

  protected async load(): Promise<Loaded<JiraIssueItem>> {
    const paged = await this.api.searchIssues(this.jql(), '*all');
    return { items: new Map(paged.items.map((i) => [String(i.id), readIssue(i)])), complete: paged.complete, reason: paged.reason };
  }

  protected async fetchOne(id: string): Promise<JiraIssueItem | null> {
    const raw = await orNull(this.api.issue(id, '*all'));
    if (!raw) return null;
    const item = readIssue(raw);
    return this.collection && item.projectKey?.toLowerCase() !== this.collection.toLowerCase() ? null : item;
  }

  private jql(): string {
    return this.collection ? `project = "${this.collection.replace(/"/g, '')}" ORDER BY id` : 'ORDER BY id';
  }
}

/** App and bot accounts never log work; leaving them out keeps them out of the hub's persons. */
const isPerson = (u: RawJiraUser) => (u.accountType ?? 'atlassian') === 'atlassian';

export class JiraUserConnector extends ReadOnlyConnector<JiraUserItem> {
  protected readonly what = 'user';

  constructor(private readonly api: JiraApi) {
    super();
  }

  protected async load(): Promise<Loaded<JiraUserItem>> {
    const paged = await this.api.allUsers();
    return { items: new Map(paged.items.filter(isPerson).map((u) => [u.accountId, readUser(u)])), complete: paged.complete, reason: paged.reason };
  }

  protected async fetchOne(id: string): Promise<JiraUserItem | null> {
    // Not JiraApi.user: its cache could answer for a user deleted since.
    const raw = await orNull(this.api.json<RawJiraUser>('GET', '/rest/api/3/user', { query: { accountId: id } }));
    return raw && isPerson(raw) ? readUser(raw) : null;
  }
}

/** The value, or null when Jira answered 404. */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (isTimebridgeError(err) && err.kind === 'not_found') return null;
    throw err;
  }
}
