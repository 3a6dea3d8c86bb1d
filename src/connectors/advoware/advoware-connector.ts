/**
 * One employee's Advoware appointments as a connector (the link's collection is the
 * employee's Kürzel). Advoware has no change feed and no versions: every run lists the
 * window (or `listFrom`…`listTo`) as one bare array, and an etag is a hash of the entry as
 * answered. A linked entry missing from a listing is read by number, and only a 404 there is
 * a deletion (the engine's rule). Writes read the entry first and refuse with `precondition`
 * when its hash moved. Special entries (negative numbers: Vortermin, Urlaub, …) are left out:
 * Advoware lets no client change them.
 *
 * A create's idempotency key is the last line of the notes (`Timebridge-Key: …`), hidden from
 * the mapper; a create first looks for it among the entries of its day, so a retried create finds what an
 * earlier try made. A create sets `sb` and
 * `anwalt` to the employee when the entry names none.
 */
import { TimebridgeError, errorInfo } from '../../core/errors.js';
import { contentHash } from '../../core/hash.js';
import type { Json } from '../../core/model.js';
import type { Connector, ExternalItem, ExternalRef, IdempotencyKey, ItemFailure, ListRequest, Listing, WriteResult } from '../kit/connector.js';
import { readPages } from '../kit/paging.js';
import { wallToInstant } from '../kit/zone-time.js';
import type { AdvowareApi } from './advoware-api.js';
import type { AdvowareItem, RawTermin } from './advoware-types.js';
import { advowareManifest } from './manifest.js';

export interface AppointmentConnectorOptions {
  kuerzel: string;
  /** Dates of the listing when the link has no window (Advoware clients ask up to 2038-01-19 for "all"). */
  listFrom: string;
  listTo: string;
  /** The firm's zone, for `zuletztGeaendertAm`. */
  timeZone: string;
}

const KEY_LINE = /\r?\n?Timebridge-Key: (\S+)\s*$/;

export const keyText = (key: IdempotencyKey) => `${key.hubId}/${key.key}`;

/** The notes without Timebridge's key line, and the key it held. */
export function splitKey(notiz: string | null | undefined): { notiz: string; key: string | null } {
  const text = notiz ?? '';
  const m = KEY_LINE.exec(text);
  return m ? { notiz: text.slice(0, m.index), key: m[1]! } : { notiz: text, key: null };
}

const withKey = (notiz: string, key: string | null) => (key ? `${notiz}${notiz ? '\r\n' : ''}Timebridge-Key: ${key}` : notiz);

export const terminEtag = (t: RawTermin) => contentHash(t as unknown as Json);

const dayBefore = (iso: string) => new Date(Date.parse(iso) - 86_400_000).toISOString().slice(0, 10);
const dayAfter = (iso: string) => new Date(Date.parse(iso) + 86_400_000).toISOString().slice(0, 10);

export class AdvowareAppointmentConnector implements Connector<AdvowareItem> {
  readonly manifest = advowareManifest;

  constructor(
    private readonly api: AdvowareApi,
    private readonly o: AppointmentConnectorOptions,
  ) {}

  private async listed(from: string, to: string): Promise<{ rows: RawTermin[]; complete: boolean; reason: string | null }> {
    // One bare array, no paging: the proof is that it arrived whole and holds no number twice.
    const paged = await readPages<RawTermin>({
      what: `Advoware appointments of ${this.o.kuerzel}`,
      style: 'page',
      size: Number.MAX_SAFE_INTEGER,
      id: (t) => String(t.frNr),
      fetch: async () => ({ items: await this.api.termine(this.o.kuerzel, from, to), last: true }),
      attempts: 2,
    });
    return { rows: paged.items, complete: paged.complete, reason: paged.reason };
  }

  async list(req: ListRequest): Promise<Listing> {
    // Dates are the firm's; a day either side covers any zone the window was given in.
    const from = req.window ? dayBefore(req.window.start) : this.o.listFrom;
    const to = req.window ? dayAfter(req.window.end) : this.o.listTo;
    const got = await this.listed(from, to);
    const rows = got.rows.filter((t) => t.frNr > 0);
    const refs: ExternalRef[] = rows.map((t) => ({ id: String(t.frNr), etag: terminEtag(t) }));
    const outside = req.window ? rows.filter((t) => !this.touches(t, req.window!)).map((t) => String(t.frNr)) : [];
    return {
      mode: 'full',
      refs,
      removed: [],
      ...(outside.length ? { outsideWindow: outside } : {}),
      complete: got.complete,
      ...(got.reason ? { incompleteReason: got.reason } : {}),
      cursor: null,
      failures: [],
    };
  }

  /** Whether the entry's days (datum through datumBis, in the firm's zone) meet the window. */
  private touches(t: RawTermin, w: { start: string; end: string }): boolean {
    const first = String(t.datum ?? '').slice(0, 10);
    const last = String(t.datumBis ?? t.datum ?? '').slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(first) || !/^\d{4}-\d{2}-\d{2}$/.test(last)) return true;
    const from = wallToInstant(`${first}T00:00:00`, this.o.timeZone);
    const to = wallToInstant(`${last}T00:00:00`, this.o.timeZone) + 86_400_000;
    return from < Date.parse(w.end) && to > Date.parse(w.start);
  }

  private item(t: RawTermin): ExternalItem<AdvowareItem> {
    const { notiz } = splitKey(t.notiz);
    const stamp =
      typeof t.zuletztGeaendertAm === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(t.zuletztGeaendertAm) ? t.zuletztGeaendertAm.slice(0, 19) : null;
    return {
      id: String(t.frNr),
      etag: terminEtag(t),
      data: { termin: { ...t, notiz }, kuerzel: this.o.kuerzel },
      modifiedAt: stamp ? new Date(wallToInstant(stamp, this.o.timeZone)).toISOString() : null,
    };
  }

  async get(ids: string[]): Promise<(ExternalItem<AdvowareItem> | ItemFailure)[]> {
    const out: (ExternalItem<AdvowareItem> | ItemFailure)[] = [];
    for (const id of ids) {
      const n = Number(id);
      if (!/^\d+$/.test(id)) {
        out.push({ id, error: errorInfo('CONNECTOR_NOT_FOUND', `"${id}" is not an Advoware appointment number.`) });
        continue;
      }
      const t = await this.api.termin(n);
      out.push(t ? this.item(t) : { id, error: errorInfo('CONNECTOR_NOT_FOUND', `Advoware appointment ${id} does not exist (404).`) });
    }
    return out;
  }

  private body(data: AdvowareItem, key: string | null): Omit<RawTermin, 'frNr'> {
    const { frNr: _n, zuletztGeaendertAm: _z, ...rest } = data.termin;
    void _n;
    void _z;
    const k = this.o.kuerzel;
    return { ...rest, sb: rest.sb || k, anwalt: rest.anwalt || k, notiz: withKey(splitKey(rest.notiz).notiz, key) };
  }

  async create(data: AdvowareItem, key: IdempotencyKey): Promise<WriteResult<AdvowareItem>> {
    const want = keyText(key);
    const body = this.body(data, want);
    // An earlier try with this key made an entry on the same day: look there first (one short listing, not the whole calendar).
    const day = String(body.datum ?? '').slice(0, 10);
    const n = await this.api.repeatable(`create an Advoware appointment for ${this.o.kuerzel}`, async () => {
      if (/^\d{4}-\d{2}-\d{2}$/.test(day)) {
        const { rows } = await this.listed(day, day);
        const earlier = rows.find((t) => t.frNr > 0 && splitKey(t.notiz).key === want);
        if (earlier) return earlier.frNr;
      }
      return this.api.create(body);
    });
    return this.readBack(n, 'created');
  }

  private async readBack(n: number, what: string): Promise<WriteResult<AdvowareItem>> {
    const t = await this.api.termin(n);
    if (!t) throw new TimebridgeError('CONNECTOR_NOT_FOUND', `Advoware appointment ${n} was ${what} but cannot be read back.`);
    const stored = this.item(t);
    return { id: stored.id, etag: stored.etag, stored };
  }

  private async current(id: string, ifMatch: string): Promise<RawTermin> {
    const t = /^\d+$/.test(id) ? await this.api.termin(Number(id)) : null;
    if (!t) throw new TimebridgeError('CONNECTOR_NOT_FOUND', `Advoware appointment ${id} does not exist.`);
    if (terminEtag(t) !== ifMatch) {
      throw new TimebridgeError('CONNECTOR_PRECONDITION', `Advoware appointment ${id} changed since it was read.`, { hint: 'The next sync reads it again.' });
    }
    return t;
  }

  async update(id: string, data: AdvowareItem, ifMatch: string): Promise<WriteResult<AdvowareItem>> {
    const cur = await this.current(id, ifMatch);
    const body = { ...cur, ...this.body(data, splitKey(cur.notiz).key), frNr: cur.frNr };
    // Owner fields stay as they are on an update.
    body.sb = cur.sb ?? body.sb;
    body.anwalt = cur.anwalt ?? body.anwalt;
    await this.api.replace(cur.frNr, body);
    return this.readBack(cur.frNr, 'updated');
  }

  async delete(id: string, ifMatch: string): Promise<void> {
    const cur = await this.current(id, ifMatch);
    await this.api.remove(cur.frNr);
  }

  async findByKey(key: IdempotencyKey): Promise<ExternalRef | null> {
    const want = keyText(key);
    const { rows } = await this.listed(this.o.listFrom, this.o.listTo);
    const hit = rows.find((t) => t.frNr > 0 && splitKey(t.notiz).key === want);
    return hit ? { id: String(hit.frNr), etag: terminEtag(hit) } : null;
  }
}
