/**
 * Kimai's answers for refused requests (api-contracts §1.1): FOSRest form errors with
 * global and per-field messages, and the plain `{code, message}` bodies.
 */
import type { FastifyReply } from 'fastify';

export const EXTRA_FIELDS = 'This form should not contain extra fields.';
export const INVALID_CHOICE = 'The selected choice is invalid.';
export const NOT_BLANK = 'This value should not be blank.';
export const NOT_VALID = 'This value is not valid.';
export const END_BEFORE_BEGIN = 'The end date must not be earlier than the start date.';

/** Collects form errors the way Symfony forms report them. */
export class FormErrors {
  private readonly global: string[] = [];
  private readonly children = new Map<string, string[]>();

  constructor(private readonly fields: string[]) {}

  add(field: string | null, message: string): void {
    if (field === null) {
      this.global.push(message);
      return;
    }
    this.children.set(field, [...(this.children.get(field) ?? []), message]);
  }

  /** Keys of the body the form does not have. */
  checkExtra(body: Record<string, unknown>, allowed: ReadonlySet<string>): void {
    if (Object.keys(body).some((k) => !allowed.has(k))) this.add(null, EXTRA_FIELDS);
  }

  get ok(): boolean {
    return !this.global.length && !this.children.size;
  }

  body(): Record<string, unknown> {
    const children: Record<string, unknown> = {};
    for (const f of this.fields) {
      const errs = this.children.get(f);
      children[f] = errs ? { errors: errs } : {};
    }
    return { code: 400, message: 'Validation Failed', errors: { ...(this.global.length ? { errors: this.global } : {}), children } };
  }
}

export function sendCode(reply: FastifyReply, status: number, message?: string): FastifyReply {
  return reply.code(status).send({ code: status, message: message ?? defaultMessage(status) });
}

export function notFound(reply: FastifyReply): FastifyReply {
  return sendCode(reply, 404, 'Not Found');
}

export function forbidden(reply: FastifyReply): FastifyReply {
  return sendCode(reply, 403, 'Forbidden');
}

/** The body an injected fault answers with: Kimai's `{code, message}`. */
export function defaultMessage(status: number): string {
  const known: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return known[status] ?? 'Error';
}

/** A body field as an integer id (JSON number or numeric string), or undefined when it is not one. */
export function idOf(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

/** Query flags `0`/`1` (and `true`/`false`). */
export function flagOf(v: unknown): boolean | undefined {
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return undefined;
}

/** A repeated query parameter (`projects[]=1&projects[]=2`) or a single one, as ids. */
export function idsOf(query: Record<string, unknown>, single: string, plural: string): number[] | undefined {
  const raw = query[`${plural}[]`] ?? query[plural] ?? query[single];
  if (raw === undefined || raw === '') return undefined;
  const list = (Array.isArray(raw) ? raw : [raw]).map(idOf).filter((n): n is number => n !== undefined);
  return list;
}
