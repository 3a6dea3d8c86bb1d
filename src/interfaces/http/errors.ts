/**
 * Every error answer has one shape: `{ error: { code, message, hint } }`, with a stable
 * code from the catalog (core/errors.ts) and a hint that says what to do next. Status
 * codes follow the error's kind.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { describeError, isTimebridgeError, type ErrorKind } from '../../core/errors.js';

const STATUS: Record<ErrorKind, number> = {
  invalid_input: 400,
  auth: 401,
  not_found: 404,
  conflict: 409,
  precondition: 409,
  rate_limited: 429,
  transient: 503,
  bug: 500,
};

const CODE_STATUS: Record<string, number> = {
  AUTH_FORBIDDEN: 403,
  AUTH_CSRF: 403,
  RESOURCE_READ_ONLY: 409,
  IF_MATCH_REQUIRED: 428,
  WEBHOOK_SIGNATURE_INVALID: 401,
  WEBHOOK_REPLAYED: 401,
  LINK_UNKNOWN: 404,
  RUN_UNKNOWN: 404,
  PLAN_EMPTY_SIDE: 409,
  PLAN_MASS_DELETE: 409,
};

export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

export function errorBody(code: string, message: string, hint?: string): ErrorBody {
  return { error: { code, message, ...(hint ? { hint } : {}) } };
}

export function sendError(reply: FastifyReply, err: unknown, req?: FastifyRequest): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'request';
    const problems = err.validation.map((v) => `${where}${v.instancePath.replace(/\//g, '.') || ''}: ${v.message ?? 'invalid'}`);
    return reply
      .code(400)
      .send(errorBody('REQUEST_INVALID', `the request is invalid: ${problems.join('; ')}`, 'fix the fields named above; the API reference is at /docs'));
  }
  const fe = err as FastifyError;
  if (!isTimebridgeError(err) && typeof fe?.statusCode === 'number' && fe.statusCode < 500) {
    // Fastify's own refusals: unparsable JSON, wrong content type, body too large.
    const hint =
      fe.statusCode === 415
        ? 'send Content-Type: application/json'
        : fe.statusCode === 413
          ? 'send a smaller body'
          : 'check the request against the API reference at /docs';
    return reply.code(fe.statusCode).send(errorBody('REQUEST_INVALID', fe.message, hint));
  }
  const info = describeError(err);
  const status = CODE_STATUS[info.code] ?? STATUS[info.kind];
  if (status >= 500) req?.log.error({ err }, 'request failed');
  if (isTimebridgeError(err) && err.retryAfter) reply.header('retry-after', String(err.retryAfter));
  return reply
    .code(status)
    .send(
      errorBody(
        status === 500 && !isTimebridgeError(err) ? 'INTERNAL' : info.code,
        status === 500 && !isTimebridgeError(err) ? 'an unexpected error happened; it is in the server log' : info.message,
        info.hint ?? (status === 500 ? 'try again; if it persists, report it with the server log' : undefined),
      ),
    );
}
