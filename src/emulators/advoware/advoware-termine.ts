/**
 * Advoware appointments (Termine, camelCase dialect, api-contracts-more §1.3) and employees
 * (§1.4). `GET …/Termine?kuerzel=&from=&to=` answers a bare array of the employee's entries
 * overlapping the date range (inclusive; `Allgemein` lists the firm-wide ones); `?frnr=`
 * reads, replaces (PUT merges the body onto the stored entry) and deletes one, hard; a POST
 * answers the new number. No change feed, no paging. Quirks kept: dates come back as
 * `YYYY-MM-DDT00:00:00`, times as `HH:MM:SS` (accepted as `HH:MM` too), a start time may
 * be missing, a `datum` with a time gives the start time when `uhrzeitVon` is absent,
 * all-day entries without an end time end at 23:59, negative numbers are special entries
 * no client may change.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { servePage } from '../kit/listing-faults.js';
import { wallTimeAt } from '../kit/time-text.js';
import type { AdvowareData, AwTermin } from './advoware-data.js';

export const TERMINE_PATH = '/api/v1/advonet/Termine';
export const MITARBEITER_PATH = '/api/v1/advonet/Mitarbeiter';

const FIRM_WIDE = new Set(['', 'ALLE', 'ALLGEMEIN']);
const DATE_RE = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/;

const msg = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ Message: message });

class BadInput extends Error {}

function realDate(s: string): boolean {
  const ms = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 10) === s;
}

/** A date as sent (`YYYY-MM-DD`, with or without a time) → its date and time (`HH:MM:SS` or null for none/midnight). */
function readDate(field: string, v: unknown): { date: string; time: string | null } {
  const m = typeof v === 'string' ? DATE_RE.exec(v) : null;
  if (!m || !realDate(m[1]!)) throw new BadInput(`${field}: '${String(v)}' ist kein Datum (YYYY-MM-DD oder YYYY-MM-DDTHH:MM:SS).`);
  const t = m[2] ? readTime(field, m[2]) : null;
  return { date: m[1]!, time: t === '00:00:00' ? null : t };
}

function readTime(field: string, v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  const m = typeof v === 'string' ? TIME_RE.exec(v) : null;
  if (!m) throw new BadInput(`${field}: '${String(v)}' ist keine Uhrzeit (HH:MM:SS).`);
  return `${m[1]}:${m[2]}:${m[3] ?? '00'}`;
}

const flag = (field: string, v: unknown, dflt: number): number => {
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'boolean' ? Number(v) : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BadInput(`${field}: '${String(v)}' ist keine ganze Zahl ≥ 0.`);
  return n;
};
const text = (field: string, v: unknown, dflt: string): string => {
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'string') throw new BadInput(`${field}: muss ein Text sein.`);
  return v;
};

/** The stored form of a body merged onto `prev` (a PUT) or onto nothing (a POST). */
export function storedTermin(body: Record<string, unknown>, prev: AwTermin | null, frNr: number, stamp: string): AwTermin {
  const has = (k: string) => Object.prototype.hasOwnProperty.call(body, k);
  const start = has('datum') ? readDate('datum', body['datum']) : prev ? { date: prev.datum.slice(0, 10), time: null } : null;
  if (!start) throw new BadInput('datum: fehlt (YYYY-MM-DD).');
  const bis = has('datumBis')
    ? body['datumBis']
      ? readDate('datumBis', body['datumBis'])
      : null
    : prev?.datumBis
      ? { date: prev.datumBis.slice(0, 10), time: null }
      : null;
  let von = has('uhrzeitVon') ? readTime('uhrzeitVon', body['uhrzeitVon']) : (prev?.uhrzeitVon ?? null);
  if (von === null && start.time !== null) von = start.time;
  let bisZeit = has('uhrzeitBis') ? readTime('uhrzeitBis', body['uhrzeitBis']) : (prev?.uhrzeitBis ?? null);
  const dauertermin = flag('dauertermin', has('dauertermin') ? body['dauertermin'] : prev?.dauertermin, 0);
  if (dauertermin === 1 && bisZeit === null) bisZeit = '23:59:00';
  if (bis && bis.date < start.date) throw new BadInput(`datumBis: ${bis.date} liegt vor datum ${start.date}.`);
  const turnusArt = flag('turnusArt', has('turnusArt') ? body['turnusArt'] : prev?.turnusArt, 0);
  if (turnusArt > 4) throw new BadInput(`turnusArt: ${turnusArt} ist unbekannt (1 täglich, 2 wöchentlich, 3 monatlich, 4 jährlich).`);
  const pick = (k: keyof AwTermin & string, dflt: string) => text(k, has(k) ? body[k] : prev?.[k], dflt);
  return {
    frNr,
    datum: `${start.date}T00:00:00`,
    uhrzeitVon: von,
    datumBis: bis ? `${bis.date}T00:00:00` : null,
    uhrzeitBis: bisZeit,
    text: pick('text', ''),
    notiz: pick('notiz', ''),
    ort: pick('ort', ''),
    dauertermin,
    turnus: flag('turnus', has('turnus') ? body['turnus'] : prev?.turnus, 0),
    turnusArt,
    vorbereitungsDauer: readTime('vorbereitungsDauer', has('vorbereitungsDauer') ? body['vorbereitungsDauer'] : prev?.vorbereitungsDauer) ?? '00:00:00',
    sb: pick('sb', ''),
    anwalt: pick('anwalt', ''),
    zuletztGeaendertAm: stamp,
  };
}

/** The server's last-modified stamp: Berlin wall time with milliseconds, as the API writes it. */
export const stampAt = (ms: number): string => `${wallTimeAt(ms, 'Europe/Berlin')}.${String(ms % 1000).padStart(3, '0')}`;

function frnrOf(q: Record<string, string | undefined>): number | null {
  const v = q['frnr'];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : null;
}

export function termineRoutes(app: FastifyInstance, data: () => AdvowareData, now: () => number): void {
  app.get(MITARBEITER_PATH, async () => data().employees.map((e) => ({ ...e })));

  app.get(TERMINE_PATH, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const d = data();
    if (q['frnr'] !== undefined) {
      const n = frnrOf(q);
      const t = n === null ? undefined : d.termine.get(n);
      if (!t) return msg(reply, 404, `Termin ${q['frnr']} wurde nicht gefunden.`);
      return { ...t };
    }
    const k = (q['kuerzel'] ?? '').trim();
    if (!k) return msg(reply, 400, 'kuerzel: fehlt (Mitarbeiterkürzel oder Allgemein).');
    for (const f of ['from', 'to'] as const) {
      if (!q[f] || !/^\d{4}-\d{2}-\d{2}$/.test(q[f]!) || !realDate(q[f]!)) return msg(reply, 400, `${f}: '${q[f] ?? ''}' ist kein Datum (YYYY-MM-DD).`);
    }
    const firm = k.toUpperCase() === 'ALLGEMEIN';
    if (!firm && !d.employees.some((e) => e.kuerzel.toUpperCase() === k.toUpperCase())) {
      return msg(reply, 404, `Der Mitarbeiter ${k} ist nicht registriert.`);
    }
    const from = q['from']!,
      to = q['to']!;
    const all = [...d.termine.values()]
      .filter((t) => (firm ? FIRM_WIDE.has(t.anwalt.toUpperCase()) : t.anwalt.toUpperCase() === k.toUpperCase()))
      .filter((t) => t.datum.slice(0, 10) <= to && (t.datumBis ?? t.datum).slice(0, 10) >= from)
      .sort((a, b) => (a.datum < b.datum ? -1 : a.datum > b.datum ? 1 : a.frNr - b.frNr));
    // No paging: a listing fault cuts or empties the one array the API answers.
    const page = servePage(req.listingFault, all, 0, all.length, (t) => d.termine.delete(t.frNr));
    return page.rows.map((t) => ({ ...t }));
  });

  app.post(TERMINE_PATH, async (req, reply) => {
    const body = (req.body ?? null) as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return msg(reply, 400, 'Der Anfragetext muss ein Termin (JSON-Objekt) sein.');
    if (body['frNr'] !== undefined && body['frNr'] !== null && body['frNr'] !== 0) return msg(reply, 400, 'frNr: ein neuer Termin hat noch keine Nummer.');
    const d = data();
    try {
      const t = storedTermin(body, null, d.nextFrNr, stampAt(now()));
      d.nextFrNr++;
      d.termine.set(t.frNr, t);
      return reply.code(200).send(t.frNr);
    } catch (err) {
      if (err instanceof BadInput) return msg(reply, 400, err.message);
      throw err;
    }
  });

  app.put(TERMINE_PATH, async (req, reply) => {
    const n = frnrOf(req.query as Record<string, string | undefined>);
    const d = data();
    const prev = n === null ? undefined : d.termine.get(n);
    if (n === null || !prev) return msg(reply, 404, `Termin ${String((req.query as Record<string, unknown>)['frnr'] ?? '(frnr fehlt)')} wurde nicht gefunden.`);
    if (n < 0) return msg(reply, 403, `Termin ${n} ist ein Sondertermin und kann nicht geändert werden.`);
    const body = (req.body ?? null) as Record<string, unknown> | null;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return msg(reply, 400, 'Der Anfragetext muss ein Termin (JSON-Objekt) sein.');
    try {
      const t = storedTermin(body, prev, n, stampAt(now()));
      d.termine.set(n, t);
      return reply.code(200).send(t);
    } catch (err) {
      if (err instanceof BadInput) return msg(reply, 400, err.message);
      throw err;
    }
  });

  app.delete(TERMINE_PATH, async (req, reply) => {
    const n = frnrOf(req.query as Record<string, string | undefined>);
    const d = data();
    if (n === null || !d.termine.has(n))
      return msg(reply, 404, `Termin ${String((req.query as Record<string, unknown>)['frnr'] ?? '(frnr fehlt)')} wurde nicht gefunden.`);
    if (n < 0) return msg(reply, 403, `Termin ${n} ist ein Sondertermin und kann nicht gelöscht werden.`);
    d.termine.delete(n);
    return reply.code(204).send();
  });
}

export { BadInput };
