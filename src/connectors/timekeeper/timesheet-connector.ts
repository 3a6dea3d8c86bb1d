/**
 * Timekeeper's monthly timesheets (`skos:Collection` with `time:hasBeginning`,
 * `adms:status`, `prov:wasAssociatedWith`). Timekeeper makes them; Timebridge reads them
 * and writes their state. Setting the state to exported is the month lock as the Kimai
 * sync service does it: first the person's work logs of that month that have a Kimai
 * activity, project and account are detached from any other timesheet and made members
 * of this one, then the status becomes Exported — one request, two operations.
 */
import { createHash } from 'node:crypto';
import { TimebridgeError } from '../../core/errors.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest, Manifest } from '../kit/connector.js';
import { getResources, listResources, type ResourceReader } from './listing.js';
import { date, iri, val, type SparqlClient } from './sparql.js';
import type { Timesheet } from './types.js';
import type { WorkLogSettings } from './work-log-connector.js';

const CONCEPTS = 'http://timekeeper.redpencil.io/concepts/';

/** Timekeeper's status concepts (the concept scheme of timesheet states). */
export const STATUS: Record<Timesheet['state'], string> = {
  draft: `${CONCEPTS}f1fa3569-7f98-47a9-b03b-90b42e9f3c52`,
  'absence-submitted': `${CONCEPTS}01ddb33a-a15b-49d6-8422-bc78123db966`,
  submitted: `${CONCEPTS}8ba56847-1713-478c-aa63-6eace21b3adf`,
  exported: `${CONCEPTS}9d50b644-3d61-4a9d-b3a9-0b27f4f1d566`,
};

const stateOf = (concept: string | null): Timesheet['state'] | null =>
  (Object.entries(STATUS).find(([, c]) => c === concept)?.[0] as Timesheet['state'] | undefined) ?? null;

export function timesheetEtag(t: Timesheet): string {
  return createHash('sha256').update([t.month, t.state, t.person].map(String).join('\u0000')).digest('hex').slice(0, 32);
}

/** The first day of the month after `month` (YYYY-MM). */
function nextMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

export class TimesheetConnector implements Connector<Timesheet> {
  constructor(
    private readonly sparql: SparqlClient,
    private readonly settings: WorkLogSettings,
    readonly manifest: Manifest,
  ) {}

  list(_req: ListRequest): Promise<Listing> {
    return listResources(this.sparql, 'Timekeeper timesheets', '?uri a skos:Collection ; time:hasBeginning ?b', this.settings.pageSize, this.reader);
  }

  get(ids: string[]): Promise<(ExternalItem<Timesheet> | ItemFailure)[]> {
    return getResources(ids, this.reader, (id) => `Timekeeper has no timesheet ${id} (or it has no known status).`);
  }

  private readonly reader: ResourceReader<Timesheet> = { load: (uris) => this.load(uris), etag: timesheetEtag };

  create(): Promise<ExternalRef> {
    return Promise.reject(
      new TimebridgeError('CONNECTOR_INVALID_INPUT', 'Timekeeper makes its timesheets itself; Timebridge only changes their state.', {
        hint: 'Open the month in Timekeeper first; the next run then finds its timesheet.',
      }),
    );
  }

  async update(id: string, data: Timesheet, ifMatch: string): Promise<ExternalRef> {
    const current = (await this.load([id])).get(id);
    if (!current) throw new TimebridgeError('CONNECTOR_NOT_FOUND', `Timekeeper has no timesheet ${id}.`);
    if (timesheetEtag(current) !== ifMatch) throw new TimebridgeError('CONNECTOR_PRECONDITION', `The Timekeeper timesheet ${id} changed since it was read.`);
    const otherPerson = data.kimaiUserId !== null && current.kimaiUserId !== null && data.kimaiUserId !== current.kimaiUserId;
    if (data.month !== current.month || otherPerson) {
      throw new TimebridgeError(
        'CONNECTOR_INVALID_INPUT',
        `A Timekeeper timesheet keeps its month and person (${id} is ${current.month} of Kimai user ${current.kimaiUserId ?? '?'}).`,
        { hint: 'Change the state only; a timesheet of another month or person is another timesheet.' },
      );
    }
    const ts = iri(id);
    const g = iri(this.settings.graph);
    const ops: string[] = [];
    if (data.state === 'exported' && current.person) ops.push(...this.attachMonth(ts, current));
    ops.push(`DELETE { GRAPH ?g { ${ts} adms:status ?s } } WHERE { GRAPH ?g { ${ts} adms:status ?s } }`);
    ops.push(`INSERT DATA { GRAPH ${g} { ${ts} adms:status ${iri(STATUS[data.state])} } }`);
    await this.sparql.update(ops.join(' ;\n'));
    const after = (await this.load([id])).get(id);
    if (!after) throw new TimebridgeError('CONNECTOR_TRANSIENT', `The timesheet ${id} just written could not be read back.`);
    return { id, etag: timesheetEtag(after) };
  }

  delete(): Promise<void> {
    return Promise.reject(new TimebridgeError('CONNECTOR_INVALID_INPUT', 'Timebridge does not delete Timekeeper timesheets.'));
  }

  async findByKey(_key: IdempotencyKey): Promise<ExternalRef | null> {
    return null;
  }

  /** The month's work logs of the person that Kimai can take: detached from other timesheets, members of this one. */
  private attachMonth(ts: string, t: Timesheet): string[] {
    const pattern = `${ts} prov:wasAssociatedWith ?person .
      ?wl a cal:Vevent ; prov:wasAssociatedWith ?person ; cal:dtstart ?date ; dct:subject ?task .
      ?task a ext:KimaiActivity ; dct:identifier ?activityId ; skos:broader ?project .
      ?project a doap:Project ; dct:identifier ?projectId .
      ?person foaf:account ?acc . ?acc a foaf:OnlineAccount ; foaf:accountServiceHomepage ${iri(this.settings.kimaiHomepage)} ; dct:identifier ?userId .
      FILTER (?date >= ${date(`${t.month}-01`)} && ?date < ${date(nextMonth(t.month))})`;
    return [
      `DELETE { GRAPH ?g { ?other skos:member ?wl } } WHERE { ${pattern} GRAPH ?g { ?other skos:member ?wl } FILTER (?other != ${ts}) }`,
      `INSERT { GRAPH ${iri(this.settings.graph)} { ${ts} skos:member ?wl } } WHERE { ${pattern} }`,
    ];
  }

  private async load(ids: string[]): Promise<Map<string, Timesheet>> {
    const out = new Map<string, Timesheet>();
    if (ids.length === 0) return out;
    const rows = await this.sparql.select(
      `SELECT ?uri ?begin ?status ?person ?userId WHERE {
        VALUES ?uri { ${ids.map(iri).join(' ')} }
        ?uri a skos:Collection ; time:hasBeginning ?begin .
        OPTIONAL { ?uri adms:status ?status }
        OPTIONAL { ?uri prov:wasAssociatedWith ?person .
          OPTIONAL { ?person foaf:account ?acc . ?acc a foaf:OnlineAccount ; foaf:accountServiceHomepage ${iri(this.settings.kimaiHomepage)} ; dct:identifier ?userId } }
      } ORDER BY ?uri ?status ?person ?userId`,
    );
    for (const r of rows) {
      const uri = val(r, 'uri');
      const state = stateOf(val(r, 'status'));
      if (!uri || out.has(uri) || !state) continue;
      out.set(uri, { month: (val(r, 'begin') ?? '').slice(0, 7), state, person: val(r, 'person'), kimaiUserId: val(r, 'userId') });
    }
    return out;
  }
}
