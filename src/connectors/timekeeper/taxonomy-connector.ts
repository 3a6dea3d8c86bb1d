/**
 * Kimai's customers, projects and activities as Timekeeper keeps them (the Kimai sync
 * service's `/sync-from-kimai/customers` and `/tasks`): customers are `prov:Organization`s,
 * projects `wf:Task`+`doap:Project` top concepts of the workspace scheme attributed to their
 * customer, activities `wf:Task`+`ext:KimaiActivity` in the scheme, narrower than their
 * project (a Kimai global activity has none); each carries its Kimai id in
 * `dct:identifier`, its name and colour. Written to the Kimai graph.
 *
 * A create first looks for a resource of the kind with the same Kimai id (one the Kimai
 * sync service made before the switch) and takes it over; otherwise it makes
 * `<base>/customers/<uuid>` or `<base>/tasks/<uuid>`, the uuid derived from the key. An
 * update deletes and inserts only the label, colour and parent link; unlike the original,
 * a project moved to another customer in Kimai moves here too. Nothing is deleted (Kimai
 * hides its taxonomy instead). Colours are not inherited from the parent (the hub shows
 * the inherited colour already).
 */
import { createHash } from 'node:crypto';
import { TimebridgeError } from '../../core/errors.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, Listing, ListRequest, Manifest } from '../kit/connector.js';
import { getResources, listResources, type ResourceReader } from './listing.js';
import { iri, str, val, type SparqlClient } from './sparql.js';
import type { Concept, ConceptKind } from './types.js';
import { uuidOfKey } from './work-log-connector.js';

export interface TaxonomySettings {
  baseUri: string;
  /** The graph taxonomy triples are written to. */
  graph: string;
  /** The workspace concept scheme. */
  workspace: string;
  /** `foaf:accountServiceHomepage` of Kimai accounts. */
  kimaiHomepage: string;
  pageSize: number;
}

interface KindSpec {
  what: string;
  /** The class that tells this kind apart. */
  cls: string;
  /** Every class a new resource gets. */
  classes: string[];
  folder: string;
  /** The predicate to the parent, and the parent's class. */
  parent: { predicate: string; cls: string } | null;
  inScheme: boolean;
  /** The predicate holding the name. */
  label: string;
  /** Whether it has a colour (`ui:color`). */
  color: boolean;
  /** Kimai accounts: told apart from login accounts by their homepage. */
  homepage: boolean;
}

const SPECS: Record<ConceptKind, KindSpec> = {
  customer: {
    what: 'customers',
    cls: 'prov:Organization',
    classes: ['prov:Organization'],
    folder: 'customers',
    parent: null,
    inScheme: false,
    label: 'rdfs:label',
    color: true,
    homepage: false,
  },
  project: {
    what: 'projects',
    cls: 'doap:Project',
    classes: ['wf:Task', 'doap:Project'],
    folder: 'tasks',
    parent: { predicate: 'prov:wasAttributedTo', cls: 'prov:Organization' },
    inScheme: true,
    label: 'rdfs:label',
    color: true,
    homepage: false,
  },
  activity: {
    what: 'activities',
    cls: 'ext:KimaiActivity',
    classes: ['wf:Task', 'ext:KimaiActivity'],
    folder: 'tasks',
    parent: { predicate: 'skos:broader', cls: 'doap:Project' },
    inScheme: true,
    label: 'rdfs:label',
    color: true,
    homepage: false,
  },
  // The Kimai sync service's `/sync-from-kimai/accounts`: an account per Kimai user, linked to a person by an admin in Timekeeper.
  account: {
    what: 'accounts',
    cls: 'foaf:OnlineAccount',
    classes: ['foaf:OnlineAccount'],
    folder: 'accounts',
    parent: null,
    inScheme: false,
    label: 'foaf:accountName',
    color: false,
    homepage: true,
  },
};

export function conceptEtag(c: Concept): string {
  return createHash('sha256').update([c.kimaiId, c.name, c.color, c.parent].map(String).join('\u0000')).digest('hex').slice(0, 32);
}

export class TaxonomyConnector implements Connector<Concept> {
  private readonly spec: KindSpec;

  constructor(
    private readonly sparql: SparqlClient,
    private readonly settings: TaxonomySettings,
    readonly manifest: Manifest,
    kind: ConceptKind,
  ) {
    this.spec = SPECS[kind];
  }

  private get where(): string {
    const scheme = this.spec.inScheme ? ` ; skos:inScheme ${iri(this.settings.workspace)}` : '';
    const home = this.spec.homepage ? ` ; foaf:accountServiceHomepage ${iri(this.settings.kimaiHomepage)}` : '';
    return `?uri a ${this.spec.cls} ; dct:identifier ?kimaiId${scheme}${home}`;
  }

  list(_req: ListRequest): Promise<Listing> {
    return listResources(this.sparql, `Timekeeper ${this.spec.what}`, this.where, this.settings.pageSize, this.reader);
  }

  get(ids: string[]): Promise<(ExternalItem<Concept> | ItemFailure)[]> {
    return getResources(ids, this.reader, (id) => `Timekeeper has no ${this.spec.what} resource ${id}.`);
  }

  private readonly reader: ResourceReader<Concept> = { load: (uris) => this.load(uris), etag: conceptEtag };

  async create(data: Concept, key: IdempotencyKey): Promise<ExternalRef> {
    const existing = await this.byKimaiId(data.kimaiId);
    const home = this.spec.homepage ? ` ; foaf:accountServiceHomepage ${iri(this.settings.kimaiHomepage)}` : '';
    if (existing) {
      await this.write(existing, data);
      return this.refOf(existing);
    }
    const uuid = uuidOfKey(key);
    const uri = `${this.settings.baseUri.replace(/\/+$/, '')}/${this.spec.folder}/${uuid}`;
    const s = iri(uri);
    const scheme = this.spec.inScheme ? ` ; skos:inScheme ${iri(this.settings.workspace)}` : '';
    const top = this.spec.cls === 'doap:Project' ? ` ; skos:topConceptOf ${iri(this.settings.workspace)}` : '';
    await this.sparql.update(
      `INSERT { GRAPH ${iri(this.settings.graph)} { ${s} a ${this.spec.classes.join(', ')} ; mu:uuid ${str(uuid)} ; dct:identifier ${str(data.kimaiId)}${scheme}${top}${home} } } ` +
        `WHERE { FILTER NOT EXISTS { ${s} a ${this.spec.cls} } }`,
    );
    await this.write(uri, data);
    return this.refOf(uri);
  }

  async update(id: string, data: Concept, ifMatch: string): Promise<ExternalRef> {
    const current = (await this.load([id])).get(id);
    if (!current) throw new TimebridgeError('CONNECTOR_NOT_FOUND', `Timekeeper has no ${this.spec.what} resource ${id}.`);
    if (conceptEtag(current) !== ifMatch) throw new TimebridgeError('CONNECTOR_PRECONDITION', `The Timekeeper resource ${id} changed since it was read.`);
    if (current.kimaiId !== data.kimaiId) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `${id} is Kimai's ${current.kimaiId}, not ${data.kimaiId}; a Kimai id does not change.`);
    }
    await this.write(id, data);
    return this.refOf(id);
  }

  delete(): Promise<void> {
    return Promise.reject(
      new TimebridgeError('CONNECTOR_INVALID_INPUT', `Timebridge does not delete Timekeeper ${this.spec.what} (Kimai hides them instead).`),
    );
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    const uri = `${this.settings.baseUri.replace(/\/+$/, '')}/${this.spec.folder}/${uuidOfKey(key)}`;
    return (await this.sparql.ask(`ASK { ${iri(uri)} a ${this.spec.cls} }`)) ? this.refOf(uri) : null;
  }

  /** Label, colour and parent: the triples we own on a taxonomy resource. */
  private async write(uri: string, data: Concept): Promise<void> {
    const s = iri(uri);
    const parentPredicate = this.spec.parent?.predicate;
    const owned = [this.spec.label, ...(this.spec.color ? ['ui:color'] : []), ...(parentPredicate ? [parentPredicate] : [])];
    const optional = owned.map((p, i) => `OPTIONAL { GRAPH ?g${i} { ${s} ${p} ?o${i} } }`).join(' ');
    const template = owned.map((p, i) => `GRAPH ?g${i} { ${s} ${p} ?o${i} }`).join(' ');
    const parent = data.parent !== null && this.spec.parent ? await this.parentOf(data.parent) : null;
    const triples = [`${s} ${this.spec.label} ${str(data.name)}`];
    if (data.color && this.spec.color) triples.push(`${s} ui:color ${str(data.color)}`);
    if (parent && parentPredicate) triples.push(`${s} ${parentPredicate} ${iri(parent)}`);
    await this.sparql.update(`DELETE { ${template} } WHERE { ${optional} } ;\nINSERT DATA { GRAPH ${iri(this.settings.graph)} { ${triples.join(' . ')} } }`);
  }

  private async parentOf(kimaiId: string): Promise<string> {
    const p = this.spec.parent!;
    const rows = await this.sparql.select(`SELECT ?uri WHERE { ?uri a ${p.cls} ; dct:identifier ${str(kimaiId)} } ORDER BY ?uri LIMIT 1`);
    const uri = rows[0] ? val(rows[0], 'uri') : null;
    if (!uri) {
      throw new TimebridgeError('CONNECTOR_INVALID_INPUT', `Timekeeper has no parent with Kimai id ${kimaiId} for these ${this.spec.what}.`, {
        hint: "Run the Timekeeper connection's customer link before its project link, and the project link before the activity link; the item is written on the next run.",
      });
    }
    return uri;
  }

  private async byKimaiId(kimaiId: string): Promise<string | null> {
    const home = this.spec.homepage ? ` ; foaf:accountServiceHomepage ${iri(this.settings.kimaiHomepage)}` : '';
    const rows = await this.sparql.select(`SELECT ?uri WHERE { ?uri a ${this.spec.cls} ; dct:identifier ${str(kimaiId)}${home} } ORDER BY ?uri LIMIT 1`);
    return rows[0] ? val(rows[0], 'uri') : null;
  }

  private async refOf(uri: string): Promise<ExternalRef> {
    const c = (await this.load([uri])).get(uri);
    if (!c) throw new TimebridgeError('CONNECTOR_TRANSIENT', `The resource ${uri} just written could not be read back.`);
    return { id: uri, etag: conceptEtag(c) };
  }

  private async load(ids: string[]): Promise<Map<string, Concept>> {
    const out = new Map<string, Concept>();
    if (ids.length === 0) return out;
    const p = this.spec.parent;
    const parent = p ? `OPTIONAL { ?uri ${p.predicate} ?parent . ?parent a ${p.cls} ; dct:identifier ?parentId }` : '';
    const rows = await this.sparql.select(
      `SELECT ?uri ?kimaiId ?name ?color ?parentId WHERE { VALUES ?uri { ${ids.map(iri).join(' ')} } ${this.where} .
        OPTIONAL { ?uri ${this.spec.label} ?name } OPTIONAL { ?uri ui:color ?color } ${parent} } ORDER BY ?uri ?kimaiId ?name ?color ?parentId`,
    );
    for (const r of rows) {
      const uri = val(r, 'uri');
      if (!uri || out.has(uri)) continue;
      out.set(uri, { kimaiId: val(r, 'kimaiId') ?? '', name: val(r, 'name') ?? '', color: val(r, 'color'), parent: val(r, 'parentId') });
    }
    return out;
  }
}
