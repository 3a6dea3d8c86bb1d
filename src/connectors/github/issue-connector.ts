/**
 * A repository's issues (never its pull requests, which GitHub lists with them): every open
 * issue carrying the connection's labels, read to the end of the `Link` pages every run,
 * with content etags, so only changed issues are mapped again. An issue that left the
 * listing (closed, or a label gone) is read by number: a closed one comes back closed, its
 * task done; one outside the label filter, a pull request or a deleted one answers
 * `not_found`. The one write is closing an issue whose task is done, when the connection
 * allows it (`writeBack.closeOnDone`).
 */
import { TimebridgeError, describeError, isTimebridgeError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { Json } from '../../core/model.js';
import type { Connector, ExternalItem, ExternalRef, ItemFailure, Listing, WriteResult } from '../kit/connector.js';
import type { GithubApi } from './github-api.js';
import type { GithubIssueItem, RawIssue } from './github-types.js';
import { githubManifest } from './manifest.js';
import { priorityOf, type GithubConfig } from './settings.js';

type Rules = Pick<GithubConfig, 'priorityRules' | 'defaultPriority' | 'repo'>;

export function readIssue(raw: RawIssue, c: Rules): GithubIssueItem {
  const labels = raw.labels.map((l) => (typeof l === 'string' ? l : l.name));
  const logins = (raw.assignees ?? []).map((u) => u.login);
  const first = raw.assignee?.login;
  const assignees = first ? [first, ...logins.filter((l) => l !== first)] : logins;
  return {
    repo: c.repo,
    number: raw.number,
    title: raw.title,
    state: raw.state,
    stateReason: raw.state_reason ?? null,
    labels,
    assignees,
    priority: priorityOf(labels, c),
    url: raw.html_url,
    updatedAt: raw.updated_at,
  };
}

const etagOf = (item: GithubIssueItem): string => contentHash(item as unknown as Json).slice(0, 32);

export class GithubIssueConnector implements Connector<GithubIssueItem> {
  readonly manifest = githubManifest;
  private snapshot = new Map<string, GithubIssueItem>();

  constructor(
    private readonly api: GithubApi,
    private readonly c: Pick<GithubConfig, 'priorityRules' | 'defaultPriority' | 'repo' | 'labels' | 'pageSize' | 'writeBack'>,
  ) {}

  async list(): Promise<Listing> {
    const paged = await this.api.listIssues({ state: 'open', labels: this.c.labels, pageSize: this.c.pageSize });
    const items = paged.items.filter((i) => i.pull_request === undefined).map((i) => readIssue(i, this.c));
    this.snapshot = new Map(items.map((i) => [String(i.number), i]));
    return {
      mode: 'full',
      refs: items.map((i) => ({ id: String(i.number), etag: etagOf(i) })),
      removed: [],
      complete: paged.complete,
      failures: [],
      cursor: null,
      ...(paged.reason ? { incompleteReason: paged.reason } : {}),
    };
  }

  async get(ids: string[]): Promise<(ExternalItem<GithubIssueItem> | ItemFailure)[]> {
    const out: (ExternalItem<GithubIssueItem> | ItemFailure)[] = [];
    for (const id of ids) {
      try {
        const item = this.snapshot.get(id) ?? (await this.fetchOne(id));
        if (item) out.push({ id, etag: etagOf(item), data: item, modifiedAt: item.updatedAt });
        else out.push({ id, error: { code: 'CONNECTOR_NOT_FOUND', kind: 'not_found', message: this.absent(id) } });
      } catch (err) {
        out.push({ id, error: describeError(err) });
      }
    }
    return out;
  }

  private absent(id: string): string {
    const filter = this.c.labels.length ? `, or does not carry the labels ${this.c.labels.join(', ')}` : '';
    return `issue #${id} of ${this.c.repo} does not exist (any more), is a pull request${filter}.`;
  }

  private async fetchOne(id: string): Promise<GithubIssueItem | null> {
    if (!/^\d+$/.test(id)) return null;
    let raw: RawIssue;
    try {
      raw = await this.api.issue(Number(id));
    } catch (err) {
      // GitHub answers 410 Gone for a deleted issue, 404 for one never there.
      if (isTimebridgeError(err) && (err.kind === 'not_found' || err.kind === 'precondition')) return null;
      throw err;
    }
    if (raw.pull_request !== undefined) return null;
    const item = readIssue(raw, this.c);
    const have = new Set(item.labels.map((l) => l.toLowerCase()));
    return this.c.labels.every((l) => have.has(l.toLowerCase())) ? item : null;
  }

  create(): Promise<WriteResult<GithubIssueItem>> {
    return Promise.reject(
      new TimebridgeError('CONNECTOR_INVALID_INPUT', 'Timebridge does not open GitHub issues; a task becomes an issue only when it is opened on GitHub.', {
        hint: 'Open the issue on GitHub, or set direction: pull on this link.',
      }),
    );
  }

  /** Closes (or reopens) the issue; nothing else of an issue is written. */
  async update(id: string, data: GithubIssueItem, ifMatch: string): Promise<WriteResult<GithubIssueItem>> {
    if (!this.c.writeBack.closeOnDone) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `issue #${id} of ${this.c.repo} was not closed: write-back is off for this connection.`, {
        hint: 'Set writeBack.closeOnDone: true on the GitHub connection to close issues whose task is done, or set direction: pull on the link.',
      });
    }
    const current = await this.fetchOne(id);
    if (!current) throw new TimebridgeError('CONNECTOR_NOT_FOUND', this.absent(id), { hint: 'The next run reads the issue again.' });
    // GitHub takes no If-Match on writes: compare first, so a change made on GitHub meanwhile is read before anything is written.
    if (etagOf(current) !== ifMatch) {
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `issue #${id} of ${this.c.repo} changed on GitHub since it was read.`, {
        hint: 'The next run reads it again.',
      });
    }
    const raw = current.state === data.state ? null : await this.api.setState(Number(id), data.state);
    const stored = raw ? readIssue(raw, this.c) : current;
    this.snapshot.set(id, stored);
    const etag = etagOf(stored);
    return { id, etag, stored: { id, etag, data: stored, modifiedAt: stored.updatedAt } };
  }

  delete(): Promise<void> {
    return Promise.reject(
      new TimebridgeError('CONNECTOR_INVALID_INPUT', 'Timebridge does not delete GitHub issues.', {
        hint: 'Close or delete the issue on GitHub; its task follows on the next run.',
      }),
    );
  }

  async findByKey(): Promise<ExternalRef | null> {
    return null;
  }
}
