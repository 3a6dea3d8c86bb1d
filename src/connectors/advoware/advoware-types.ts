/** Advoware's wire shapes (camelCase dialect, api-contracts-more §1.3–1.4), as the connector reads them. */

/** One appointment as the API answers it; fields the API leaves out are absent or null. */
export interface RawTermin {
  frNr: number;
  datum: string;
  uhrzeitVon?: string | null;
  datumBis?: string | null;
  uhrzeitBis?: string | null;
  text?: string | null;
  notiz?: string | null;
  ort?: string | null;
  dauertermin?: number | boolean | null;
  turnus?: number | null;
  turnusArt?: number | null;
  vorbereitungsDauer?: string | null;
  sb?: string | null;
  anwalt?: string | null;
  zuletztGeaendertAm?: string | null;
  [other: string]: unknown;
}

/** What a mapper sees of one appointment: the entry without Timebridge's key line, and whose calendar it is in. */
export interface AdvowareItem {
  termin: RawTermin;
  /** The employee (Kürzel) whose appointments the link covers. */
  kuerzel: string;
}

export interface RawEmployee {
  kuerzel: string;
  name?: string | null;
  email?: string | null;
  aktiv?: boolean | null;
  [other: string]: unknown;
}

export interface TokenAnswer {
  token_type?: string;
  expires_in: number;
  expiration_utc?: string;
  access_token: string;
}
