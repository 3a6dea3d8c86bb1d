/** Google's error JSON (api-contracts §3.6) and the exception the emulator's handlers throw. */
import type { ErrorBody } from './types.js';

const DEFAULTS: Record<number, { reason: string; message: string; domain?: string; location?: string }> = {
  400: { reason: 'badRequest', message: 'Bad Request' },
  401: { reason: 'authError', message: 'Invalid Credentials', location: 'Authorization' },
  403: { reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', domain: 'usageLimits' },
  404: { reason: 'notFound', message: 'Not Found' },
  409: { reason: 'duplicate', message: 'The requested identifier already exists.' },
  410: { reason: 'fullSyncRequired', message: 'Sync token is no longer valid, a full sync is required.', location: 'syncToken' },
  412: { reason: 'conditionNotMet', message: 'Precondition Failed', location: 'If-Match' },
  429: { reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', domain: 'usageLimits' },
  500: { reason: 'backendError', message: 'Backend Error' },
  503: { reason: 'backendError', message: 'Backend Error' },
};

const USAGE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

/** The body Google sends for `status`, with `reason` (default: the usual one for the status). */
export function googleErrorBody(status: number, reason?: string, message?: string): ErrorBody {
  const d = DEFAULTS[status] ?? { reason: 'backendError', message: `HTTP ${status}` };
  const r = reason ?? d.reason;
  const msg = message ?? (reason && reason !== d.reason ? r : d.message);
  const domain = USAGE_REASONS.has(r) ? 'usageLimits' : (d.domain ?? (r === 'fullSyncRequired' ? 'calendar' : 'global'));
  const location = reason && reason !== d.reason ? undefined : d.location;
  const locationType = location === 'syncToken' ? 'parameter' : location ? 'header' : undefined;
  return {
    error: {
      errors: [{ domain, reason: r, message: msg, ...(locationType ? { locationType, location: location! } : {}) }],
      code: status,
      message: msg,
    },
  };
}

export class GoogleApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }

  body(): ErrorBody {
    return googleErrorBody(this.status, this.reason, this.message);
  }
}

export const bad = (message: string, reason = 'invalid'): GoogleApiError => new GoogleApiError(400, reason, message);
