/**
 * Jira Cloud native worklogs of one project (collection = project key) or the whole site.
 *
 * - Listing: without a cursor, every worklog of every issue in the collection (exact:
 *   the feeds' blind last minute would make a fresh worklog look deleted). With one,
 *   `/worklog/updated` and `/worklog/deleted` since the cursor: changed worklogs are read
 *   with `/worklog/list` and kept to the collection's issues; deleted ones are `removed`.
 *   The first cursor comes from the server's clock, minus a margin.
 * - Etag: the worklog's `updated` (ms), which the updated feed reports too.
 * - Creates carry the entity property `timebridge` = {hubId, key}; a create first looks
 *   for it on the issue (in the marker index: each issue's worklogs are read once a run,
 *   not before every create), and `findByKey` finds it after a crash by reading afresh.
 * - A create or update answers with the stored worklog, which the engine checks the
 *   write against (`stored`) instead of reading it back.
 * - The author of a native worklog is always the API user (Jira Cloud has no way to log
 *   work for someone else): another person's worklog is logged as the API user, and the
 *   property and a trailer line in the comment say whose it is.
 * - Writes to one issue are serialised; `estimate` picks `adjustEstimate`.
 */
import { TimebridgeError, describeError } from '../../../core/errors.js';
import type { Connector, DeleteOptions, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest, WriteResult } from '../connector.js';
import { adfToText, textToAdf } from './adf.js';
import type { JiraApi } from './jira-api.js';
import { instantToLocalParts } from '../zone-time.js';
import { formatStarted, hubInstant, parseJiraTime } from './jira-time.js';
import type { EstimateMode, OnBehalfOf, RawWorklog, WorklogItem } from './jira-types.js';
import { IssueQueue } from './issue-queue.js';
import { MarkerIndex } from './marker-index.js';
import { jiraManifest } from './manifest.js';
import { personLabel, splitTrailer, withTrailer } from './worklog-trailer.js';

export const PROPERTY_KEY = 'timebridge';
/** The first delta after a full listing starts this long before it, so nothing changed during the listing is missed. */
const CURSOR_MARGIN_MS = 5 * 60_000;
/** Writes the engine may have under way at once (manifest.writeConcurrency). */
const WRITE_CONCURRENCY = 4;

interface Cursor {
  v: 1;
  collection: string | null;
  updated: number;
  deleted: number;
}
interface Marker {
  hubId?: string;
  key?: string;
  onBehalfOf?: OnBehalfOf | null;
}

export function worklogEtag(raw: RawWorklog): string {
  return String(parseJiraTime(raw.updated));
}

function markerOf(raw: RawWorklog): Marker | null {
  const p = raw.properties?.find((x) => x.key === PROPERTY_KEY)?.value;
  return p && typeof p === 'object' ? (p as Marker) : null;
}

const markerEntry = (raw: RawWorklog) => ({ id: String(raw.id), hubId: markerOf(raw)?.hubId ?? null });

export function readJiraWorklog(raw: RawWorklog): WorklogItem {
  const ms = parseJiraTime(raw.started);
  const zone = raw.author?.timeZone ?? null;
  const { description, trailer } = splitTrailer(adfToText(raw.comment));
  return {
    issueId: String(raw.issueId),
    authorAccountId: raw.author?.accountId ?? null,
    onBehalfOf: markerOf(raw)?.onBehalfOf ?? trailer.onBehalfOf,
    date: instantToLocalParts(ms, zone).date,
    start: hubInstant(ms),
    timeZone: zone,
    seconds: raw.timeSpentSeconds,
    description,
    billableSeconds: null,
    visibility: raw.visibility ?? null,
    estimate: 'auto',
  };
}

/** Jira's query parameters for a write in this estimate mode. */
export function jiraEstimateQuery(mode: EstimateMode, op: 'create' | 'update' | 'delete', seconds: number): Record<string, string> {
  if (mode === 'auto') return { adjustEstimate: 'auto', notifyUsers: 'false' };
  if (mode === 'manual' && op === 'create') return { adjustEstimate: 'manual', reduceBy: `${Math.max(1, Math.round(seconds / 60))}m`, notifyUsers: 'false' };
  return { adjustEstimate: 'leave', notifyUsers: 'false' };
}

export class JiraWorklogConnector implements Connector<WorklogItem> {
  // Four writes at once on different issues (the issue queue keeps one per issue): a first sync waits on the round trips, not on either side's CPU.
  readonly manifest = { ...jiraManifest, incremental: 'delta-cursor' as const, idempotency: 'marker' as const, writeConcurrency: WRITE_CONCURRENCY };
  private readonly seen = new Map<string, RawWorklog>();
  private readonly queue = new IssueQueue();
  /** Issues of creates made by this connector, by hub id, so `findByKey` looks there first. */
  private readonly attempts = new Map<string, string>();
  /** The markers on the issues' worklogs, for the lookup before a create (marker-index.ts). */
  private readonly markers = new MarkerIndex();

  constructor(
    private readonly api: JiraApi,
    private readonly collection: string | null,
  ) {}

  async list(req: ListRequest): Promise<Listing> {
    const cursor = this.parseCursor(req.cursor);
    this.seen.clear();
    this.markers.clear();
    return cursor ? this.delta(cursor) : this.full(req.window);
  }

  async get(ids: string[]): Promise<(ExternalItem<WorklogItem> | ItemFailure)[]> {
    const missing = ids.filter((id) => !this.seen.has(id));
    if (missing.length) for (const raw of await this.api.worklogList(missing)) this.seen.set(String(raw.id), raw);
    return ids.map((id) => {
      const raw = this.seen.get(id);
      if (!raw) return { id, error: describeError(notFound(id)) };
      try {
        return { id, etag: worklogEtag(raw), data: readJiraWorklog(raw), modifiedAt: new Date(parseJiraTime(raw.updated)).toISOString() };
      } catch (err) {
        return { id, error: describeError(err) };
      }
    });
  }

  async create(data: WorklogItem, key: IdempotencyKey): Promise<WriteResult<WorklogItem>> {
    const issueId = data.issueId;
    this.attempts.set(key.hubId, issueId);
    let repeat = false;
    // The lookup of the marker comes first, so the whole create is safe to repeat (a POST whose answer was lost is found, not made twice).
    try {
      return await this.queue.run(issueId, () =>
        this.api.http.repeatable(`create worklog on issue ${issueId}`, async () => {
          // A repeat follows a failure that may have come after the POST landed: read the issue afresh.
          if (repeat) this.markers.drop(issueId);
          repeat = true;
          const existing = await this.existing(issueId, key.hubId);
          if (existing) return this.written(existing);
          const { body, warning } = await this.body(data, { hubId: key.hubId, key: key.key }, null);
          const raw = await this.api.json<RawWorklog>('POST', `/rest/api/3/issue/${encodeURIComponent(issueId)}/worklog`, {
            query: { ...jiraEstimateQuery(data.estimate, 'create', data.seconds), expand: 'properties' },
            body,
          });
          this.markers.add(issueId, key.hubId, String(raw.id));
          return withWarning(this.written(raw), warning);
        }),
      );
    } catch (err) {
      // It gave up, perhaps after its POST landed: whoever creates on this issue next reads it afresh.
      this.markers.drop(issueId);
      throw err;
    }
  }

  async update(id: string, data: WorklogItem, ifMatch: string): Promise<WriteResult<WorklogItem>> {
    const current = await this.current(id, ifMatch);
    if (String(current.issueId) !== data.issueId) throw movedIssue(id, current.issueId, data.issueId);
    return this.queue.run(data.issueId, async () => {
      const marker = markerOf(current) ?? {};
      const { body, warning } = await this.body(data, { hubId: marker.hubId, key: marker.key }, current.author?.accountId ?? null);
      if (sameContent(current, body)) return this.written(current);
      // A PUT of the whole worklog: a repeat writes the same values (and adjusts the estimate by nothing more).
      const raw = await this.api.json<RawWorklog>('PUT', `/rest/api/3/issue/${encodeURIComponent(data.issueId)}/worklog/${encodeURIComponent(id)}`, {
        query: { ...jiraEstimateQuery(data.estimate, 'update', data.seconds), expand: 'properties' },
        body,
        idempotent: true,
      });
      return withWarning(this.written(raw), warning);
    });
  }

  /** `options.remainingEstimate` is the link's mode (worklog mapper): `retain` deletes with `adjustEstimate=leave`. */
  async delete(id: string, ifMatch: string, options?: DeleteOptions): Promise<void> {
    const current = await this.current(id, ifMatch);
    // retain never moves the estimate; auto and manual give the time back (manual only reduces it on create).
    const mode: EstimateMode = options?.remainingEstimate === 'retain' ? 'retain' : 'auto';
    // A repeat after the delete landed meets 404, which the run takes as deleted.
    await this.queue.run(String(current.issueId), () =>
      this.api.json('DELETE', `/rest/api/3/issue/${encodeURIComponent(current.issueId)}/worklog/${encodeURIComponent(id)}`, {
        query: jiraEstimateQuery(mode, 'delete', current.timeSpentSeconds),
        idempotent: true,
      }),
    );
    this.seen.delete(id);
    const hubId = markerOf(current)?.hubId;
    if (hubId) this.markers.remove(String(current.issueId), hubId);
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    const first = this.attempts.get(key.hubId);
    const issues = first ? [first, ...(await this.issueIds()).filter((i) => i !== first)] : await this.issueIds();
    for (const issueId of issues) {
      const found = (await this.api.issueWorklogs(issueId)).items.find((w) => markerOf(w)?.hubId === key.hubId);
      if (found) return this.remember(found);
    }
    return null;
  }

  private async full(window: ListRequest['window']): Promise<Listing> {
    const issues = await this.api.searchIssues(this.jql(), 'id');
    const startedAt = this.api.serverTime;
    const reasons = issues.complete ? [] : [issues.reason ?? 'the issue search broke off'];
    const refs: ExternalRef[] = [];
    const outside: string[] = [];
    for (const issue of issues.items) {
      const worklogs = await this.api.issueWorklogs(String(issue.id));
      if (!worklogs.complete) reasons.push(worklogs.reason ?? `the worklogs of issue ${issue.id} broke off`);
      else this.markers.fill(String(issue.id), worklogs.items.map(markerEntry));
      for (const raw of worklogs.items) {
        refs.push(this.remember(raw));
        const started = parseJiraTime(raw.started);
        if (window && (started < Date.parse(window.start) || started >= Date.parse(window.end))) outside.push(String(raw.id));
      }
    }
    const from = (startedAt ?? this.api.serverTime ?? 0) - CURSOR_MARGIN_MS;
    const cursor: Cursor | null = startedAt === null ? null : { v: 1, collection: this.collection, updated: from, deleted: from };
    return {
      mode: 'full',
      refs,
      removed: [],
      complete: reasons.length === 0,
      failures: [],
      cursor: cursor && JSON.stringify(cursor),
      ...(reasons.length ? { incompleteReason: reasons.join('; ') } : {}),
      ...(window ? { outsideWindow: outside } : {}),
    };
  }

  private async delta(cursor: Cursor): Promise<Listing> {
    const updated = await this.api.feed('updated', cursor.updated);
    const deleted = await this.api.feed('deleted', cursor.deleted);
    const gone = new Set(deleted.ids);
    const wanted = [...new Set(updated.ids)].filter((id) => !gone.has(id));
    const issues = this.collection ? new Set(await this.issueIds()) : null;
    const refs: ExternalRef[] = [];
    if (wanted.length) {
      for (const raw of await this.api.worklogList(wanted)) {
        if (issues && !issues.has(String(raw.issueId))) continue;
        refs.push(this.remember(raw));
      }
    }
    const next: Cursor = { ...cursor, updated: updated.until, deleted: deleted.until };
    const reasons = [updated.reason, deleted.reason].filter((r): r is string => r !== null);
    return {
      mode: 'delta',
      refs,
      removed: [...gone],
      complete: reasons.length === 0,
      failures: [],
      cursor: JSON.stringify(next),
      ...(reasons.length ? { incompleteReason: reasons.join('; ') } : {}),
    };
  }

  /** Ids of the collection's issues (all issues when the link covers the whole site). */
  private async issueIds(): Promise<string[]> {
    return (await this.api.searchIssues(this.jql(), 'id')).items.map((i) => String(i.id));
  }

  private jql(): string {
    return this.collection ? `project = "${this.collection.replace(/"/g, '')}" ORDER BY id` : 'ORDER BY id';
  }

  private parseCursor(raw: string | null): Cursor | null {
    if (!raw) return null;
    try {
      const c = JSON.parse(raw) as Cursor;
      // A cursor made for another collection (the link's collection changed) is not used.
      return c.v === 1 && c.collection === this.collection && Number.isFinite(c.updated) && Number.isFinite(c.deleted) ? c : null;
    } catch {
      return null;
    }
  }

  private remember(raw: RawWorklog): ExternalRef {
    this.seen.set(String(raw.id), raw);
    return { id: String(raw.id), etag: worklogEtag(raw) };
  }

  /** A write's answer, which is the worklog as stored (with its properties): the engine checks the write against it without reading it back. */
  private written(raw: RawWorklog): WriteResult<WorklogItem> {
    const ref = this.remember(raw);
    try {
      return { ...ref, stored: { ...ref, data: readJiraWorklog(raw), modifiedAt: new Date(parseJiraTime(raw.updated)).toISOString() } };
    } catch {
      // An answer the connector cannot read: the read-back's `get` reports why.
      return ref;
    }
  }

  /**
   * The worklog an earlier create with this hub id made on the issue, if any: by the marker
   * index, reading the issue's worklogs only when it is not indexed, and confirming a hit by id.
   */
  private async existing(issueId: string, hubId: string): Promise<RawWorklog | null> {
    const known = this.markers.lookup(issueId, hubId);
    if (known === null) return null;
    if (known !== undefined) {
      const [raw] = await this.api.worklogList([known]);
      if (raw && String(raw.issueId) === issueId && markerOf(raw)?.hubId === hubId) return raw;
      // Gone or changed since it was indexed: read the issue again.
      this.markers.drop(issueId);
    }
    const worklogs = await this.api.issueWorklogs(issueId);
    if (worklogs.complete) this.markers.fill(issueId, worklogs.items.map(markerEntry));
    return worklogs.items.find((w) => markerOf(w)?.hubId === hubId) ?? null;
  }

  /** The worklog as it is now, if it still has the etag the caller read. */
  private async current(id: string, ifMatch: string): Promise<RawWorklog> {
    const [raw] = await this.api.worklogList([id]);
    if (!raw) throw notFound(id);
    if (worklogEtag(raw) !== ifMatch) {
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `Jira worklog ${id} changed since it was read; nothing was written.`, {
        hint: 'The next run reads it again and merges.',
      });
    }
    return raw;
  }

  /**
   * The request body for a create or update. A worklog is logged as the API user (an
   * update keeps its author); when that is not the person's own account, it is marked as
   * logged on their behalf, and the write says so in a warning for the run record.
   */
  private async body(data: WorklogItem, marker: Marker, author: string | null): Promise<{ body: Record<string, unknown>; warning: string | null }> {
    const loggedAs = author ?? (await this.api.myself()).accountId;
    let onBehalfOf: OnBehalfOf | null = null;
    if (data.onBehalfOf && data.authorAccountId !== loggedAs) {
      const account = data.authorAccountId ? await this.api.user(data.authorAccountId) : null;
      onBehalfOf = { personId: data.onBehalfOf.personId, name: data.onBehalfOf.name ?? personLabel(account?.displayName, account?.emailAddress) };
    }
    const property: Marker = { ...marker, onBehalfOf };
    const body = {
      started: formatStarted(Date.parse(data.start)),
      timeSpentSeconds: data.seconds,
      comment: textToAdf(withTrailer(data.description, { id: null, onBehalfOf })),
      ...(data.visibility ? { visibility: data.visibility } : {}),
      properties: [{ key: PROPERTY_KEY, value: property }],
    };
    return { body, warning: onBehalfOf ? fallbackWarning(loggedAs, onBehalfOf) : null };
  }
}

/** The run-record line of a worklog logged as another account than its person's. */
export function fallbackWarning(loggedAs: string, onBehalfOf: OnBehalfOf): string {
  return `logged as account ${loggedAs} (fallback author) for ${onBehalfOf.name ?? `person ${onBehalfOf.personId}`}, who has no account of their own here; the worklog names them in its last line`;
}

export function withWarning<R extends ExternalRef>(ref: R, warning: string | null): R {
  return warning ? { ...ref, warnings: [warning] } : ref;
}

function sameContent(current: RawWorklog, body: Record<string, unknown>): boolean {
  const marker = markerOf(current);
  const wanted = (body.properties as { value: Marker }[])[0]!.value;
  return (
    parseJiraTime(current.started) === parseJiraTime(body.started as string) &&
    current.timeSpentSeconds === body.timeSpentSeconds &&
    adfToText(current.comment) === adfToText(body.comment as never) &&
    JSON.stringify(current.visibility ?? null) === JSON.stringify(body.visibility ?? null) &&
    JSON.stringify(marker?.onBehalfOf ?? null) === JSON.stringify(wanted.onBehalfOf ?? null)
  );
}

function notFound(id: string): TimebridgeError {
  return new TimebridgeError('CONNECTOR_NOT_FOUND', `Jira worklog ${id} does not exist (any more).`, { hint: 'The next run marks it deleted in the hub.' });
}

export function movedIssue(id: string, from: string | number, to: string): TimebridgeError {
  return new TimebridgeError(
    'CONNECTOR_INVALID_INPUT',
    `Worklog ${id} is on issue ${from}, and the hub now books it on issue ${to}: a worklog cannot move to another issue.`,
    {
      hint: 'Delete the entry and log it again on the other task (the hub then creates a new worklog there).',
    },
  );
}
