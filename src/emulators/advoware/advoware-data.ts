/**
 * The Advoware emulator's data: the firm's login (Kanzlei, database, user, password), the
 * apps allowed at the security gateway (AppID → base64 API key), the employees (Mitarbeiter
 * with their Kürzel), the appointments (Termine, camelCase dialect, api-contracts-more §1.3)
 * by number, the tokens handed out and the nonces seen. Plain objects and Maps, so the kit
 * can keep them in a file.
 */

export interface AwEmployee {
  kuerzel: string;
  name: string;
  email: string | null;
  aktiv: boolean;
}

/** One appointment as the API writes it (camelCase dialect). */
export interface AwTermin {
  frNr: number;
  /** `YYYY-MM-DDT00:00:00`: the date, with a zero time as the API writes it. */
  datum: string;
  /** `HH:MM:SS`, or null when none was given. */
  uhrzeitVon: string | null;
  datumBis: string | null;
  uhrzeitBis: string | null;
  text: string;
  notiz: string;
  ort: string;
  dauertermin: number;
  turnus: number;
  turnusArt: number;
  vorbereitungsDauer: string;
  sb: string;
  anwalt: string;
  /** Last modified, `YYYY-MM-DDTHH:MM:SS.fff` (server wall time). */
  zuletztGeaendertAm: string;
}

export interface AwLogin {
  kanzlei: string;
  database: string;
  user: string;
  password: string;
}

export interface AdvowareData {
  login: AwLogin;
  /** AppID → API key (base64, as the vendor hands it out). */
  apps: Map<string, string>;
  employees: AwEmployee[];
  termine: Map<number, AwTermin>;
  nextFrNr: number;
  /** access token → expiry (epoch ms). */
  tokens: Map<string, number>;
  /** nonce → when it was seen (epoch ms); kept for the replay window. */
  nonces: Map<string, number>;
}

export const DEMO_APP_ID = 'hub-app';
/** base64 of "emulator-secret" (the contract's test vector key). */
export const DEMO_API_KEY = 'ZW11bGF0b3Itc2VjcmV0';
export const DEMO_LOGIN: AwLogin = { kanzlei: 'DEMO', database: 'DEMO_DB', user: 'ADMIN', password: 'demo-pass' };

export function emptyData(): AdvowareData {
  return {
    login: { ...DEMO_LOGIN },
    apps: new Map([[DEMO_APP_ID, DEMO_API_KEY]]),
    employees: [],
    termine: new Map(),
    nextFrNr: 1001,
    tokens: new Map(),
    nonces: new Map(),
  };
}

const two = (n: number) => String(n).padStart(2, '0');
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Three employees with a few appointments each around `now` (Berlin wall times), and one special entry (negative number). */
export function demoData(now: Date): AdvowareData {
  const d = emptyData();
  d.employees = [
    { kuerzel: 'MUE', name: 'Anna Müller', email: 'mueller@kanzlei.example', aktiv: true },
    { kuerzel: 'SCH', name: 'Jonas Schmidt', email: 'schmidt@kanzlei.example', aktiv: true },
    { kuerzel: 'WEB', name: 'Lea Weber', email: 'weber@kanzlei.example', aktiv: true },
  ];
  const base = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const at = (days: number) => `${dayOf(base + days * 86_400_000)}T00:00:00`;
  const stamp = `${new Date(base).toISOString().slice(0, 19)}.000`;
  const add = (t: Partial<AwTermin> & { datum: string; text: string; anwalt: string }) => {
    const frNr = t.frNr ?? d.nextFrNr++;
    d.termine.set(frNr, {
      uhrzeitVon: null,
      datumBis: null,
      uhrzeitBis: null,
      notiz: '',
      ort: '',
      dauertermin: 0,
      turnus: 0,
      turnusArt: 0,
      vorbereitungsDauer: '00:00:00',
      sb: t.anwalt,
      zuletztGeaendertAm: stamp,
      ...t,
      frNr,
    });
  };
  for (const [i, k] of ['MUE', 'SCH', 'WEB'].entries()) {
    add({
      datum: at(i + 1),
      uhrzeitVon: `${two(9 + i)}:00:00`,
      uhrzeitBis: `${two(10 + i)}:30:00`,
      text: `Mandantengespräch ${k}`,
      ort: 'Besprechungsraum 1',
      anwalt: k,
    });
    add({ datum: at(i + 2), uhrzeitVon: '14:00:00', text: `Akte prüfen (${k})`, notiz: 'Fristen\r\nbeachten', anwalt: k });
    add({ datum: at(i + 3), datumBis: at(i + 4), dauertermin: 1, uhrzeitBis: '23:59:00', text: `Fortbildung ${k}`, anwalt: k });
  }
  add({ datum: at(7), uhrzeitVon: '08:30:00', uhrzeitBis: '09:00:00', datumBis: at(7 + 180), turnus: 1, turnusArt: 2, text: 'Team-Runde', anwalt: 'MUE' });
  add({ frNr: -5, datum: at(10), datumBis: at(14), dauertermin: 1, uhrzeitBis: '23:59:00', text: 'Urlaub', anwalt: 'SCH' });
  return d;
}
