/**
 * Which failed external writes, and which refusals of the planner, park their item. A write the remote refused for what the
 * item *is* (HTTP 4xx: invalid content, a conflict the server will not lift) fails the
 * same way on every retry, so the item is parked: not sent again until it changes in the
 * hub or the external item moves, or `sync --retry-parked`. Everything a retry may cure
 * is never parked: transient and rate-limited answers, auth (fix the credentials, every
 * item recovers), precondition (the item changed: re-planned), not_found (a delete of a
 * gone item is done; an update of one is re-read), bugs, and conflicts of the hub store
 * or of a link's lock. One precondition parks: a write into a locked period
 * (`PERIOD_LOCKED`, Kimai's exported records), refused until the period is reopened, which
 * no re-read changes.
 */
import type { ErrorInfo, ErrorKind } from './errors.js';

/**
 * The item-level codes of the permanent kinds (invalid_input, conflict). Other codes of
 * those kinds are about the run or the connection, not the item — a record changed
 * underneath the run, a link already running, an address the outbound policy refuses,
 * a bad configuration — and every item would fail alike until that is fixed.
 */
const PARKING_CODES: ReadonlySet<string> = new Set(['CONNECTOR_INVALID_INPUT', 'CONNECTOR_CONFLICT', 'ITEM_UNPARSABLE', 'ITEM_DUPLICATE_IDENTITY']);
const PARKING_KINDS: ReadonlySet<ErrorKind> = new Set(['invalid_input', 'conflict']);
/** A write, or a remote change, into a locked period: refused the same way until the period is reopened. */
const LOCKED_PERIOD_CODES: ReadonlySet<string> = new Set(['PERIOD_LOCKED']);

/**
 * True when a failed external write should park its item (see the file comment).
 * `status`: the HTTP status of the answer behind the error, where there was one.
 */
export function parksItem(error: Pick<ErrorInfo, 'code' | 'kind'>, status?: number): boolean {
  const refused = LOCKED_PERIOD_CODES.has(error.code) || (PARKING_KINDS.has(error.kind) && PARKING_CODES.has(error.code));
  if (!refused) return false;
  // An answer that is not a 4xx (a redirect loop, a 2xx that is not JSON) is the server's or the address's problem.
  return status === undefined || (status >= 400 && status < 500);
}

/**
 * Refusals the planner itself makes from what the item is: an `error` action with one of
 * these codes is met again at the same versions on every run, so it parks like a refused
 * write — reported once, skipped while neither side moves. `PERIOD_LOCKED`: a remote
 * change to a time entry whose period is locked (core/planner-locks.ts). Not parked: a
 * mapping failure or a read that failed (they stay item errors every run).
 */
const PLANNED_PARKING_CODES: ReadonlySet<string> = LOCKED_PERIOD_CODES;

/** True when the planner's refusal of an item with this code parks it. */
export function parksPlanned(code: string): boolean {
  return PLANNED_PARKING_CODES.has(code);
}

/** The bound on a stored server answer: enough to read the reason, never a whole error page. */
export const ANSWER_EXCERPT_CHARS = 1024;

/** A server answer as stored and shown: whitespace collapsed, cut at ANSWER_EXCERPT_CHARS. */
export function answerExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > ANSWER_EXCERPT_CHARS ? `${flat.slice(0, ANSWER_EXCERPT_CHARS - 1)}…` : flat;
}
