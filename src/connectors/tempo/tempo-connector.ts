/**
 * Tempo worklogs of one Jira project (collection = project key) or of every project.
 *
 * - Listing: a full listing, with a window when the link has one (`from`/`to` a day
 *   wider, items outside the exact window marked `outsideWindow`), plus everything
 *   updated since the last listing (`updatedFrom`), so a worklog moved out of the window
 *   is not taken as deleted. Tempo lists no deletions: a worklog missing from a listing
 *   the paging proved whole (`TempoApi.all`) is gone. Etags are content hashes of the record.
 * - Local time: Tempo takes and gives the worker's local day and time; the author's zone
 *   is read from Jira, and `startDateTimeUtc` is the exact instant.
 * - Creates are retry-safe by a description trailer `[timebridge id=<hub id>]` plus a
 *   natural-key lookup (issue, author, start day and time, seconds) on that day.
 * - A create or update answers with the stored worklog, which the engine checks the write
 *   against (`stored`) instead of reading it back.
 * - PUT replaces the whole record, so an update sends every field, keeping the trailer
 *   and work attributes; an update that changes nothing is not sent.
 * - Writes to one issue are serialised; the estimate mode sets `remainingEstimateSeconds`
 *   (auto: left to Tempo; retain: the current value; manual: reduced on create only).
 */
import { TimebridgeError, describeError } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { Json } from '../../core/model.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest, WriteResult } from '../kit/connector.js';
import { IssueQueue } from '../kit/atlassian/issue-queue.js';
import type { JiraApi } from '../kit/atlassian/jira-api.js';
import { instantToLocalParts, localPartsToInstant } from '../kit/zone-time.js';
import { addDays, hubInstant } from '../kit/atlassian/jira-time.js';
import type { EstimateMode, WorklogItem } from '../kit/atlassian/jira-types.js';
import { fallbackWarning, movedIssue, withWarning } from '../kit/atlassian/worklog-connector.js';
import { splitTrailer, withTrailer } from '../kit/atlassian/worklog-trailer.js';
import type { TempoApi } from './tempo-api.js';
import type { RawTempoWorklog, TempoWorklogInput } from './tempo-types.js';
import { tempoManifest } from './manifest.js';

/** `updatedFrom` of the next listing starts this long before the previous one began. */
const CURSOR_MARGIN_MS = 5 * 60_000;

interface Cursor {
  v: 1;
  collection: string | null;
  updatedFrom: string;
}

export const tempoEtag = (raw: RawTempoWorklog): string => contentHash(raw as unknown as Json).slice(0, 32);
const markerOf = (raw: RawTempoWorklog): string | null => splitTrailer(raw.description).trailer.id;
const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

export function readTempoWorklog(raw: RawTempoWorklog, zone: string | null): WorklogItem {
  const { description, trailer } = splitTrailer(raw.description);
  const time = raw.startTime ?? '00:00:00';
  const startMs = raw.startDateTimeUtc ? Date.parse(raw.startDateTimeUtc) : localPartsToInstant(raw.startDate, time, zone);
  const billable = raw.billableSeconds;
  return {
    issueId: String(raw.issue.id),
    authorAccountId: raw.author.accountId,
    onBehalfOf: trailer.onBehalfOf,
    date: raw.startDate,
    start: hubInstant(startMs),
    timeZone: zone,
    seconds: raw.timeSpentSeconds,
    description,
    billableSeconds: billable !== undefined && billable !== raw.timeSpentSeconds ? billable : null,
    visibility: null,
    estimate: 'auto',
  };
}

export class TempoWorklogConnector implements Connector<WorklogItem> {
  readonly manifest = { ...tempoManifest, incremental: 'full-listing-etags' as const, idempotency: 'natural-key' as const };
  private readonly seen = new Map<string, RawTempoWorklog>();
  private readonly queue = new IssueQueue();
  private readonly attempts = new Map<string, { issueId: string; startDate: string }>();
  private projectId: string | null | undefined;

  constructor(
    private readonly tempo: TempoApi,
    private readonly jira: JiraApi,
    private readonly collection: string | null,
  ) {}

  async list(req: ListRequest): Promise<Listing> {
    const scope = { ...(await this.scope()), orderBy: 'ID' };
    const cursor = this.parseCursor(req.cursor);
    this.seen.clear();
    const outside: string[] = [];
    const reasons: string[] = [];
    const read = async (query: Record<string, string>): Promise<RawTempoWorklog[]> => {
      const paged = await this.tempo.all('/4/worklogs', query);
      if (!paged.complete) reasons.push(paged.reason ?? 'a page did not arrive');
      return paged.items;
    };
    let rows: RawTempoWorklog[];
    let startedAt: number | null;
    if (req.window) {
      const { start, end } = req.window;
      rows = await read({ ...scope, from: addDays(start.slice(0, 10), -1), to: addDays(end.slice(0, 10), 1) });
      startedAt = this.tempo.serverTime;
      if (cursor) {
        const have = new Set(rows.map((r) => r.tempoWorklogId));
        rows.push(...(await read({ ...scope, updatedFrom: cursor.updatedFrom })).filter((r) => !have.has(r.tempoWorklogId)));
      }
      for (const r of rows) {
        const at = Date.parse((await this.read(r)).start);
        if (at < Date.parse(start) || at >= Date.parse(end)) outside.push(String(r.tempoWorklogId));
      }
    } else {
      rows = await read(scope);
      startedAt = this.tempo.serverTime;
    }
    const refs = rows.map((r) => this.remember(r));
    const next: Cursor | null = startedAt === null ? null : { v: 1, collection: this.collection, updatedFrom: iso(startedAt - CURSOR_MARGIN_MS) };
    return {
      mode: 'full',
      refs,
      removed: [],
      complete: reasons.length === 0,
      failures: [],
      cursor: next && JSON.stringify(next),
      ...(reasons.length ? { incompleteReason: reasons.join('; ') } : {}),
      ...(req.window ? { outsideWindow: outside } : {}),
    };
  }

  async get(ids: string[]): Promise<(ExternalItem<WorklogItem> | ItemFailure)[]> {
    const out: (ExternalItem<WorklogItem> | ItemFailure)[] = [];
    for (const id of ids) {
      try {
        const raw = this.seen.get(id) ?? (await this.fetch(id));
        out.push({ id, etag: tempoEtag(raw), data: await this.read(raw), modifiedAt: raw.updatedAt ?? null });
      } catch (err) {
        out.push({ id, error: describeError(err) });
      }
    }
    return out;
  }

  async create(data: WorklogItem, key: IdempotencyKey): Promise<WriteResult<WorklogItem>> {
    // The lookup by marker and natural key comes first, so the whole create is safe to repeat (a POST whose answer was lost is found, not made twice).
    return this.queue.run(data.issueId, () =>
      this.tempo.http.repeatable(`create Tempo worklog on issue ${data.issueId}`, async () => {
        const input = await this.input(data, key.hubId, null, 'create');
        this.attempts.set(key.hubId, { issueId: data.issueId, startDate: input.startDate });
        const sameDay = (await this.tempo.all(`/4/worklogs/issue/${encodeURIComponent(data.issueId)}`, { from: input.startDate, to: input.startDate })).items;
        const existing = sameDay.find((w) => markerOf(w) === key.hubId) ?? sameDay.find((w) => markerOf(w) === null && sameNaturalKey(w, input));
        if (existing) return this.written(existing);
        return withWarning(
          await this.written(await this.tempo.json<RawTempoWorklog>('POST', '/4/worklogs', { body: { ...input, issueId: Number(data.issueId) } })),
          fallbackOf(data),
        );
      }),
    );
  }

  async update(id: string, data: WorklogItem, ifMatch: string): Promise<WriteResult<WorklogItem>> {
    const current = await this.current(id, ifMatch);
    if (String(current.issue.id) !== data.issueId) throw movedIssue(id, current.issue.id, data.issueId);
    return this.queue.run(data.issueId, async () => {
      const input = await this.input(data, markerOf(current), current, 'update');
      if (sameInput(current, input)) return this.written(current);
      // A PUT replaces the whole worklog: a repeat writes the same values.
      return withWarning(
        await this.written(await this.tempo.json<RawTempoWorklog>('PUT', `/4/worklogs/${encodeURIComponent(id)}`, { body: input, idempotent: true })),
        fallbackOf(data),
      );
    });
  }

  async delete(id: string, ifMatch: string): Promise<void> {
    const current = await this.current(id, ifMatch);
    // A repeat after the delete landed meets 404, which the run takes as deleted.
    await this.queue.run(String(current.issue.id), () => this.tempo.json('DELETE', `/4/worklogs/${encodeURIComponent(id)}`, { idempotent: true }));
    this.seen.delete(id);
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    const attempt = this.attempts.get(key.hubId);
    const rows = attempt
      ? (await this.tempo.all(`/4/worklogs/issue/${encodeURIComponent(attempt.issueId)}`, { from: attempt.startDate, to: attempt.startDate })).items
      : [];
    // After a restart nothing is remembered: the trailer is looked for in the whole collection.
    const found =
      rows.find((w) => markerOf(w) === key.hubId) ?? (await this.tempo.all('/4/worklogs', await this.scope())).items.find((w) => markerOf(w) === key.hubId);
    return found ? this.remember(found) : null;
  }

  private async scope(): Promise<Record<string, string>> {
    if (this.projectId === undefined) this.projectId = this.collection ? (await this.jira.project(this.collection)).id : null;
    return this.projectId ? { projectId: this.projectId } : {};
  }

  private async zoneOf(accountId: string): Promise<string | null> {
    return (await this.jira.user(accountId))?.timeZone ?? null;
  }

  private async read(raw: RawTempoWorklog): Promise<WorklogItem> {
    return readTempoWorklog(raw, await this.zoneOf(raw.author.accountId));
  }

  private async fetch(id: string): Promise<RawTempoWorklog> {
    const raw = await this.tempo.json<RawTempoWorklog>('GET', `/4/worklogs/${encodeURIComponent(id)}`);
    this.seen.set(id, raw);
    return raw;
  }

  private remember(raw: RawTempoWorklog): ExternalRef {
    this.seen.set(String(raw.tempoWorklogId), raw);
    return { id: String(raw.tempoWorklogId), etag: tempoEtag(raw) };
  }

  /** A write's answer, which is the worklog as stored: the engine checks the write against it without reading it back. */
  private async written(raw: RawTempoWorklog): Promise<WriteResult<WorklogItem>> {
    const ref = this.remember(raw);
    try {
      return { ...ref, stored: { ...ref, data: await this.read(raw), modifiedAt: raw.updatedAt ?? null } };
    } catch {
      // Not readable here (the author's zone could not be read): the read-back's `get` tries again and says why.
      return ref;
    }
  }

  private async current(id: string, ifMatch: string): Promise<RawTempoWorklog> {
    this.seen.delete(id);
    const raw = await this.fetch(id);
    if (tempoEtag(raw) !== ifMatch) {
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `Tempo worklog ${id} changed since it was read; nothing was written.`, {
        hint: 'The next run reads it again and merges.',
      });
    }
    return raw;
  }

  /** The full record to send: Tempo wants the author's local day and time, and a PUT resets whatever it leaves out. */
  private async input(data: WorklogItem, marker: string | null, current: RawTempoWorklog | null, op: 'create' | 'update'): Promise<TempoWorklogInput> {
    if (!data.authorAccountId) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', 'A Tempo worklog needs an author account id.', {
        hint: 'Set options.fallbackAuthor on the tempo worklog link.',
      });
    }
    const local = instantToLocalParts(Date.parse(data.start), await this.zoneOf(data.authorAccountId));
    const remaining = await this.remaining(data.issueId, data.estimate, op, data.seconds);
    return {
      authorAccountId: data.authorAccountId,
      startDate: local.date,
      startTime: local.time,
      timeSpentSeconds: data.seconds,
      billableSeconds: data.billableSeconds ?? data.seconds,
      description: withTrailer(data.description, { id: marker, onBehalfOf: data.onBehalfOf }),
      ...(remaining === undefined ? {} : { remainingEstimateSeconds: remaining }),
      attributes: current?.attributes?.values ?? [],
    };
  }

  private async remaining(issueId: string, mode: EstimateMode, op: 'create' | 'update', seconds: number): Promise<number | undefined> {
    if (mode === 'auto') return undefined;
    const left = (await this.jira.issue(issueId, 'timetracking')).fields.timetracking?.remainingEstimateSeconds;
    if (left === undefined) return undefined;
    return mode === 'manual' && op === 'create' ? Math.max(0, left - seconds) : left;
  }

  private parseCursor(raw: string | null): Cursor | null {
    if (!raw) return null;
    try {
      const c = JSON.parse(raw) as Cursor;
      return c.v === 1 && c.collection === this.collection && typeof c.updatedFrom === 'string' ? c : null;
    } catch {
      return null;
    }
  }
}

/** The run-record line of a worklog written as the link's fallback author, or null. */
function fallbackOf(data: WorklogItem): string | null {
  return data.onBehalfOf && data.authorAccountId ? fallbackWarning(data.authorAccountId, data.onBehalfOf) : null;
}

function sameNaturalKey(w: RawTempoWorklog, input: TempoWorklogInput): boolean {
  return (
    w.author.accountId === input.authorAccountId &&
    w.startDate === input.startDate &&
    (w.startTime ?? '00:00:00') === input.startTime &&
    w.timeSpentSeconds === input.timeSpentSeconds
  );
}

function sameInput(w: RawTempoWorklog, input: TempoWorklogInput): boolean {
  return (
    sameNaturalKey(w, input) &&
    (w.billableSeconds ?? w.timeSpentSeconds) === input.billableSeconds &&
    (w.description ?? '') === input.description &&
    input.remainingEstimateSeconds === undefined
  );
}
