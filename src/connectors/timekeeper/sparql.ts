/**
 * A thin typed SPARQL 1.1 protocol client on the kit HTTP client (so pacing, retries, the
 * run's budget and the error kinds are the ones every connector has): SELECT and ASK
 * answers as `application/sparql-results+json`, updates as form-encoded `update=`, the
 * three forms mu-authorization and Virtuoso both take. Every request carries the
 * mu-semtech headers a service in the stack sends: a fresh `mu-call-id`, the allowed
 * groups, the scope, and `mu-auth-sudo` only when the connection says so.
 *
 * Terms are written by the helpers below (IRIs checked, strings triple-quoted and
 * escaped), so no value reaches a query as text of its own.
 */
import { newCallId } from './delta/delta.js';
import { TimebridgeError } from '../../core/errors.js';
import { createHttpClient, type HttpClient } from '../kit/http-client.js';
import { accountKey, clientOptions, type HttpSetup } from '../kit/http-setup.js';
import type { OutboundGuard } from '../kit/outbound-policy.js';

export const PREFIXES: Record<string, string> = {
  mu: 'http://mu.semte.ch/vocabularies/core/',
  ext: 'http://mu.semte.ch/vocabularies/ext/',
  cal: 'http://www.w3.org/2002/12/cal/ical#',
  prov: 'http://www.w3.org/ns/prov#',
  dct: 'http://purl.org/dc/terms/',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  ui: 'http://www.w3.org/ns/ui#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  foaf: 'http://xmlns.com/foaf/0.1/',
  doap: 'http://usefulinc.com/ns/doap#',
  wf: 'http://www.w3.org/2005/01/wf/flow#',
  time: 'http://www.w3.org/2006/time#',
  adms: 'http://www.w3.org/ns/adms#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
};

const PROLOGUE = Object.entries(PREFIXES)
  .map(([p, iri]) => `PREFIX ${p}: <${iri}>`)
  .join('\n');

/** One RDF term of a result row. Virtuoso says `typed-literal` where the standard says `literal` with a datatype. */
export interface Term {
  type: 'uri' | 'literal' | 'typed-literal' | 'bnode';
  value: string;
  datatype?: string;
  'xml:lang'?: string;
}

export type Row = Record<string, Term | undefined>;

/** An IRI as SPARQL text; refuses what could break out of `<…>`. */
export function iri(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:[^\s<>"{}|\\^`]*$/i.test(value)) {
    throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `"${value}" is not an IRI that can be written to SPARQL.`, {
      hint: 'Check the base URI and graph settings of the Timekeeper connection: they must be absolute http(s) URIs without spaces.',
    });
  }
  return `<${value}>`;
}

/** A plain string literal, triple-quoted with `\` and `"` escaped (as the mu-semtech templates write them). */
export function str(value: string): string {
  return `"""${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"""`;
}

export function date(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `"${value}" is not a date YYYY-MM-DD.`);
  return `"${value}"^^xsd:date`;
}

export interface MuAuth {
  /** `mu-auth-allowed-groups` as JSON (e.g. `[{"variables":[],"name":"public"}]`); null: let mu-auth compute them. */
  allowedGroups: string | null;
  /** `mu-auth-scope`; null: none. */
  scope: string | null;
  /** Sends `mu-auth-sudo: true` (no ACLs). */
  sudo: boolean;
}

export interface SparqlOptions {
  endpoint: string;
  muAuth: MuAuth;
  timeoutMs?: number;
  fetch?: typeof fetch;
  http?: HttpSetup;
  outbound?: OutboundGuard;
}

export class SparqlClient {
  private readonly http: HttpClient;
  private readonly path: string;

  constructor(private readonly opts: SparqlOptions) {
    const url = new URL(opts.endpoint);
    this.path = url.pathname;
    this.http = createHttpClient({
      baseUrl: url.origin,
      timeoutMs: opts.timeoutMs ?? 30_000,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      ...(opts.outbound ? { outbound: opts.outbound } : {}),
      ...clientOptions(opts.http, { key: accountKey(opts.endpoint), published: null }),
    });
  }

  /** Rows of a SELECT. */
  async select(query: string): Promise<Row[]> {
    const body = await this.send('query', query);
    const bindings = (body as { results?: { bindings?: Row[] } }).results?.bindings;
    if (!Array.isArray(bindings)) throw this.badAnswer('a SELECT answer without results.bindings');
    return bindings;
  }

  async ask(query: string): Promise<boolean> {
    const body = (await this.send('query', query)) as { boolean?: unknown };
    if (typeof body.boolean !== 'boolean') throw this.badAnswer('an ASK answer without a boolean');
    return body.boolean;
  }

  /**
   * An update. Ours are safe to repeat (they set the exact values of the predicates we
   * own, or insert a resource under a name derived from its key), so a transient failure is retried.
   */
  async update(update: string): Promise<void> {
    await this.send('update', update);
  }

  get calls(): number {
    return this.http.calls;
  }

  private async send(form: 'query' | 'update', text: string): Promise<unknown> {
    const { muAuth } = this.opts;
    const res = await this.http.request({
      method: 'POST',
      path: this.path,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/sparql-results+json',
        'mu-call-id': newCallId(),
        ...(muAuth.allowedGroups !== null ? { 'mu-auth-allowed-groups': muAuth.allowedGroups } : {}),
        ...(muAuth.scope !== null ? { 'mu-auth-scope': muAuth.scope } : {}),
        ...(muAuth.sudo ? { 'mu-auth-sudo': 'true' } : {}),
      },
      body: new URLSearchParams({ [form]: `${PROLOGUE}\n${text}` }).toString(),
      idempotent: true,
    });
    return res.json<unknown>();
  }

  private badAnswer(what: string): TimebridgeError {
    return new TimebridgeError('CONNECTOR_INVALID_INPUT', `The SPARQL endpoint ${this.opts.endpoint} sent ${what}.`, {
      hint: 'Point endpoint at the SPARQL endpoint of the Timekeeper stack (mu-authorization, usually http://database:8890/sparql).',
    });
  }
}

/** The value of a bound variable, or null. */
export const val = (row: Row, name: string): string | null => row[name]?.value ?? null;
