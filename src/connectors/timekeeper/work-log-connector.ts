/**
 * Timekeeper work logs (`cal:Vevent`) in a SPARQL store. Work logs carry no modified
 * timestamp, so every run is a windowed full read (by `cal:dtstart`), proven whole: the
 * work logs are counted first and then read in pages ordered by URI, and the distinct URIs
 * must match the count (kit/paging.ts) before the engine infers a deletion, which it then
 * confirms per item with `get` (no `cal:Vevent` type = gone).
 *
 * Writes touch only the predicates Timebridge owns on a work log (`cal:dtstart`,
 * `cal:duration`, `dct:subject`, `prov:wasAssociatedWith`): an update deletes and inserts
 * exactly those, so a note (`cal:comment`) or any other triple on the subject survives.
 * A create makes `<base>/work-logs/<uuid>` with `mu:uuid`, where the uuid is derived from
 * the idempotency key, and inserts only if that resource does not exist yet: a repeated
 * create finds what the first made. Etags are content hashes; `update`/`delete` read first
 * and refuse with `precondition` when the work log changed.
 */
import { createHash } from 'node:crypto';
import { TimebridgeError } from '../../core/errors.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest, Manifest } from '../kit/connector.js';
import { getResources, listResources, type ResourceReader } from './listing.js';
import { formatDuration, parseDuration } from './duration.js';
import { date, iri, str, val, type Row, type SparqlClient } from './sparql.js';
import type { WorkLog } from './types.js';

export interface WorkLogSettings {
  /** New resources go under `<baseUri>/work-logs/`. */
  baseUri: string;
  /** The graph new triples are written to. */
  graph: string;
  /** `foaf:accountServiceHomepage` of Kimai accounts. */
  kimaiHomepage: string;
  pageSize: number;
}

/** The predicates on a work log Timebridge writes (and only these). */
const OWNED = ['cal:dtstart', 'cal:duration', 'dct:subject', 'prov:wasAssociatedWith'] as const;

export function workLogEtag(w: WorkLog): string {
  const text = [w.date, w.durationSeconds, w.person, w.task].map((x) => String(x)).join('\u0000');
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The uuid a create with this key makes: the same key, the same resource. */
export function uuidOfKey(key: IdempotencyKey): string {
  const h = createHash('sha256').update(`${key.hubId}\u0000${key.key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class WorkLogConnector implements Connector<WorkLog> {
  constructor(
    private readonly sparql: SparqlClient,
    private readonly settings: WorkLogSettings,
    readonly manifest: Manifest,
  ) {}

  async list(req: ListRequest): Promise<Listing> {
    const where = `?uri a cal:Vevent ; cal:dtstart ?date . ${windowFilter(req.window)}`;
    return listResources(this.sparql, 'Timekeeper work logs', where, this.settings.pageSize, this.reader);
  }

  get(ids: string[]): Promise<(ExternalItem<WorkLog> | ItemFailure)[]> {
    return getResources(ids, this.reader, (id) => `Timekeeper has no work log ${id}.`);
  }

  private readonly reader: ResourceReader<WorkLog> = { load: (uris) => this.load(uris), etag: workLogEtag };

  async create(data: WorkLog, key: IdempotencyKey): Promise<ExternalRef> {
    const uuid = uuidOfKey(key);
    const uri = `${this.settings.baseUri.replace(/\/+$/, '')}/work-logs/${uuid}`;
    const values = await this.resolve(data);
    const g = iri(this.settings.graph);
    const s = iri(uri);
    await this.sparql.update(
      `INSERT { GRAPH ${g} { ${s} a cal:Vevent ; mu:uuid ${str(uuid)} ; ${values} } } WHERE { FILTER NOT EXISTS { ${s} a cal:Vevent } }`,
    );
    return this.refOf(uri);
  }

  async update(id: string, data: WorkLog, ifMatch: string): Promise<ExternalRef> {
    await this.current(id, ifMatch, 'change');
    const values = await this.resolve(data);
    const s = iri(id);
    await this.sparql.update(`${deleteOwned(s)} ;\nINSERT DATA { GRAPH ${iri(this.settings.graph)} { ${s} ${values} } }`);
    return this.refOf(id);
  }

  async delete(id: string, ifMatch: string): Promise<void> {
    await this.current(id, ifMatch, 'delete');
    const s = iri(id);
    // The work log's type, uuid and our predicates; a membership in a timesheet goes with it.
    await this.sparql.update(
      `${deleteOwned(s)} ;\nDELETE { GRAPH ?g { ${s} a cal:Vevent ; mu:uuid ?u } } WHERE { GRAPH ?g { ${s} a cal:Vevent . OPTIONAL { ${s} mu:uuid ?u } } } ;\n` +
        `DELETE { GRAPH ?g { ?ts skos:member ${s} } } WHERE { GRAPH ?g { ?ts skos:member ${s} } }`,
    );
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    const uri = `${this.settings.baseUri.replace(/\/+$/, '')}/work-logs/${uuidOfKey(key)}`;
    return (await this.sparql.ask(`ASK { ${iri(uri)} a cal:Vevent }`)) ? this.refOf(uri) : null;
  }

  /** The work logs among `ids` that exist, read with the Kimai ids their person and task lead to. */
  async load(ids: string[]): Promise<Map<string, WorkLog>> {
    const out = new Map<string, WorkLog>();
    if (ids.length === 0) return out;
    const home = iri(this.settings.kimaiHomepage);
    const rows = await this.sparql.select(
      `SELECT ?uri ?date ?duration ?person ?task ?userId ?activityId ?projectId WHERE {
        VALUES ?uri { ${ids.map(iri).join(' ')} }
        ?uri a cal:Vevent .
        OPTIONAL { ?uri cal:dtstart ?date }
        OPTIONAL { ?uri cal:duration ?duration }
        OPTIONAL { ?uri prov:wasAssociatedWith ?person .
          OPTIONAL { ?person foaf:account ?acc . ?acc a foaf:OnlineAccount ; foaf:accountServiceHomepage ${home} ; dct:identifier ?userId } }
        OPTIONAL { ?uri dct:subject ?task .
          OPTIONAL { ?task a ext:KimaiActivity ; dct:identifier ?activityId .
            OPTIONAL { ?task skos:broader ?parent . ?parent a doap:Project ; dct:identifier ?projectId } } }
      } ORDER BY ?uri ?date ?duration ?person ?task ?userId ?activityId ?projectId`,
    );
    for (const r of rows) {
      const uri = val(r, 'uri');
      if (uri && !out.has(uri)) out.set(uri, readWorkLog(r));
    }
    return out;
  }

  private async refOf(id: string): Promise<ExternalRef> {
    const w = (await this.load([id])).get(id);
    if (!w) throw new TimebridgeError('CONNECTOR_TRANSIENT', `The work log ${id} just written could not be read back.`);
    return { id, etag: workLogEtag(w) };
  }

  private async current(id: string, ifMatch: string, what: string): Promise<WorkLog> {
    const w = (await this.load([id])).get(id);
    if (!w) throw new TimebridgeError('CONNECTOR_NOT_FOUND', `Timekeeper has no work log ${id} to ${what}.`);
    if (workLogEtag(w) !== ifMatch) {
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `The Timekeeper work log ${id} changed since it was read; not going to ${what} it.`);
    }
    return w;
  }

  /** The triples of our predicates (after `<s>`), with the person and task found by their Kimai ids. */
  private async resolve(data: WorkLog): Promise<string> {
    const person = data.person ?? (data.kimaiUserId !== null ? await this.personOf(data.kimaiUserId) : null);
    const task = data.task ?? (data.kimaiActivityId !== null ? await this.taskOf(data.kimaiActivityId) : null);
    const parts = [`cal:dtstart ${date(data.date)}`];
    if (data.durationSeconds !== null) parts.push(`cal:duration ${str(formatDuration(data.durationSeconds))}`);
    if (person) parts.push(`prov:wasAssociatedWith ${iri(person)}`);
    if (task) parts.push(`dct:subject ${iri(task)}`);
    return parts.join(' ; ');
  }

  private async personOf(kimaiUserId: string): Promise<string> {
    const rows = await this.sparql.select(
      `SELECT ?person WHERE { ?person foaf:account ?acc . ?acc a foaf:OnlineAccount ; foaf:accountServiceHomepage ${iri(this.settings.kimaiHomepage)} ; dct:identifier ${str(kimaiUserId)} } ORDER BY ?person LIMIT 1`,
    );
    const person = rows[0] ? val(rows[0], 'person') : null;
    if (!person) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `No Timekeeper person has the Kimai account ${kimaiUserId}.`, {
        hint: 'Link the person to their Kimai account in Timekeeper (an admin does it in the people settings); the entry is written on the next run.',
      });
    }
    return person;
  }

  private async taskOf(kimaiActivityId: string): Promise<string> {
    const rows = await this.sparql.select(`SELECT ?task WHERE { ?task a ext:KimaiActivity ; dct:identifier ${str(kimaiActivityId)} } ORDER BY ?task LIMIT 1`);
    const task = rows[0] ? val(rows[0], 'task') : null;
    if (!task) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `Timekeeper has no task for the Kimai activity ${kimaiActivityId}.`, {
        hint: "Run the Timekeeper connection's activity link (or Timekeeper's own sync of tasks from Kimai) first; the entry is written on the next run.",
      });
    }
    return task;
  }
}

function deleteOwned(s: string): string {
  const optional = OWNED.map((p, i) => `OPTIONAL { GRAPH ?g${i} { ${s} ${p} ?o${i} } }`).join(' ');
  const template = OWNED.map((p, i) => `GRAPH ?g${i} { ${s} ${p} ?o${i} }`).join(' ');
  return `DELETE { ${template} } WHERE { ${optional} }`;
}

function windowFilter(window: ListRequest['window']): string {
  if (!window) return '';
  // Work logs have a day, not a time: every day the window touches.
  const first = window.start.slice(0, 10);
  const last = new Date(Date.parse(window.end) - 1).toISOString().slice(0, 10);
  return `FILTER (?date >= ${date(first)} && ?date <= ${date(last)})`;
}

function readWorkLog(r: Row): WorkLog {
  const duration = val(r, 'duration');
  return {
    date: (val(r, 'date') ?? '').slice(0, 10),
    durationSeconds: duration === null ? null : parseDuration(duration),
    person: val(r, 'person'),
    task: val(r, 'task'),
    kimaiUserId: val(r, 'userId'),
    kimaiActivityId: val(r, 'activityId'),
    kimaiProjectId: val(r, 'projectId'),
  };
}
