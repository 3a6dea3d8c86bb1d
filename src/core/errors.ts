/**
 * The error catalog. Every error a user can meet has a stable code, an error kind
 * the runtime uses to decide on retries, and a message that says what happened and
 * what to do next.
 */

/** Error kinds of architecture.md §6. Retryability is a property of the kind. */
export type ErrorKind = 'transient' | 'rate_limited' | 'auth' | 'not_found' | 'precondition' | 'invalid_input' | 'conflict' | 'bug';

export const RETRYABLE_KINDS: ReadonlySet<ErrorKind> = new Set(['transient', 'rate_limited']);

export const ERROR_CODES = {
  CONFIG_INVALID: 'invalid_input',
  CONFIG_NOT_FOUND: 'invalid_input',
  CONNECTOR_TRANSIENT: 'transient',
  CONNECTOR_RATE_LIMITED: 'rate_limited',
  CONNECTOR_AUTH: 'auth',
  CONNECTOR_NOT_FOUND: 'not_found',
  CONNECTOR_PRECONDITION: 'precondition',
  CONNECTOR_INVALID_INPUT: 'invalid_input',
  CONNECTOR_CONFLICT: 'conflict',
  CONNECTOR_BUG: 'bug',
  ITEM_UNPARSABLE: 'invalid_input',
  ITEM_DUPLICATE_IDENTITY: 'conflict',
  PLAN_EMPTY_SIDE: 'precondition',
  PLAN_MASS_DELETE: 'precondition',
  PLAN_DRIFTED: 'precondition',
  PLAN_INVALID: 'invalid_input',
  /** A listing that could not prove it was whole (a page failed, came back short or shifted): no deletion was inferred from it. */
  LISTING_INCOMPLETE: 'transient',
  LINK_UNKNOWN: 'invalid_input',
  LINK_LOCKED: 'conflict',
  RUN_UNKNOWN: 'not_found',
  STORE_VERSION_CONFLICT: 'conflict',
  STORE_CORRUPT: 'bug',
  SECRET_KEY_MISSING: 'invalid_input',
  SECRET_KEY_MISMATCH: 'invalid_input',
  SECRET_UNREADABLE: 'invalid_input',
  RUN_ABORTED: 'transient',
  AUTH_REQUIRED: 'auth',
  AUTH_FORBIDDEN: 'auth',
  /** A dashboard request that changes something came without its session's CSRF token. */
  AUTH_CSRF: 'auth',
  REQUEST_INVALID: 'invalid_input',
  RESOURCE_NOT_FOUND: 'not_found',
  RESOURCE_CONFLICT: 'conflict',
  RESOURCE_READ_ONLY: 'precondition',
  /** A change of a hub record sent without If-Match: the version it was read at (HTTP 428). */
  IF_MATCH_REQUIRED: 'precondition',
  WEBHOOK_SIGNATURE_INVALID: 'auth',
  WEBHOOK_REPLAYED: 'auth',
  /** A record refers to one no link has mapped yet (a worklog's issue on the other site): it waits for the next run. */
  REF_UNRESOLVED: 'precondition',
  /** A write into a locked (exported) period, such as a Kimai month that was locked. */
  PERIOD_LOCKED: 'precondition',
  /** A per-user OAuth connection that was never connected, or was disconnected or revoked. */
  OAUTH_REQUIRED: 'auth',
  /** A request to a host or address the outbound policy (serve.outbound) does not allow; not retried. */
  OUTBOUND_REFUSED: 'invalid_input',
  /** The approval form service or the SMTP server failed; the approval's outbox job tries again. */
  APPROVAL_FORM_FAILED: 'transient',
  APPROVAL_MAIL_FAILED: 'transient',
} as const satisfies Record<string, ErrorKind>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class TimebridgeError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  /** What the user should do next. */
  readonly hint: string | undefined;
  /** Seconds to wait before retrying, when the remote said so. */
  readonly retryAfter: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, opts: { hint?: string; retryAfter?: number; cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'TimebridgeError';
    this.code = code;
    this.kind = ERROR_CODES[code];
    this.hint = opts.hint;
    this.retryAfter = opts.retryAfter;
    this.details = opts.details;
  }

  get retryable(): boolean {
    return RETRYABLE_KINDS.has(this.kind);
  }
}

export function isTimebridgeError(err: unknown): err is TimebridgeError {
  return err instanceof TimebridgeError;
}

/** A serialisable description of any thrown value, for run records and item failures. */
export interface ErrorInfo {
  code: string;
  kind: ErrorKind;
  message: string;
  hint?: string;
}

/** An ErrorInfo for a catalog code, its kind taken from the catalog (unknown codes are bugs). */
export function errorInfo(code: string, message: string, hint?: string): ErrorInfo {
  const kind: ErrorKind = (ERROR_CODES as Record<string, ErrorKind>)[code] ?? 'bug';
  return { code, kind, message, ...(hint ? { hint } : {}) };
}

export function describeError(err: unknown): ErrorInfo {
  if (isTimebridgeError(err)) {
    return { code: err.code, kind: err.kind, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'CONNECTOR_BUG', kind: 'bug', message };
}

/**
 * The remote answer behind an error: the HTTP status and the bounded body excerpt the HTTP
 * client keeps in `details`, looked up through the error and its causes (a connector that
 * explains an error wraps the client's). Null when no HTTP answer caused it.
 */
export function remoteAnswer(err: unknown): { status: number; body: string } | null {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const status = isTimebridgeError(e) ? e.details?.['status'] : undefined;
    if (typeof status === 'number') return { status, body: String((e as TimebridgeError).details?.['body'] ?? '') };
  }
  return null;
}
