/**
 * Kimai's API shapes as the connector reads them (api-contracts §1), and the item shapes
 * the connector hands to its mappers. Raw shapes stay inside the connector folder.
 */

export interface RawTimesheet {
  id: number;
  begin: string;
  end: string | null;
  duration: number | null;
  break?: number | null;
  user: number;
  project: number;
  activity: number;
  description: string | null;
  exported: boolean;
  billable: boolean;
  tags: string[];
}

export interface RawCustomer {
  id: number;
  name: string;
  number: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  currency: string | null;
  country: string | null;
  timezone: string | null;
  color: string | null;
}

export interface RawProject {
  id: number;
  name: string;
  customer: number;
  parentTitle: string | null;
  number: string | null;
  orderNumber: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  globalActivities: boolean;
  color: string | null;
}

export interface RawActivity {
  id: number;
  name: string;
  project: number | null;
  parentTitle: string | null;
  number: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  color: string | null;
}

export interface RawUser {
  id: number;
  username: string;
  alias: string | null;
  title: string | null;
  accountNumber: string | null;
  enabled: boolean;
  timezone: string | null;
  language?: string | null;
  /** Not in Kimai's documented user view; read when a version sends it. */
  email?: string | null;
}

/** A Kimai timesheet as the timesheet mapper sees it. */
export interface KimaiEntry {
  /** UTC instant `YYYY-MM-DDTHH:MM:SSZ`. On write, null: a day-granular entry the connector places within `date`. */
  start: string | null;
  /**
   * Read: the day Kimai rendered, in the zone the record was entered in (often the API
   * user's, not its user's); the mapper counts the hub's day in the person's zone instead.
   * Write: the hub's day, where a day-granular entry is placed.
   */
  date: string;
  /** Worked seconds (Kimai's `duration`, breaks excluded); null while running. */
  durationSeconds: number | null;
  breakSeconds: number;
  /** Read: the Kimai user's own zone, null when the token cannot read it. Write: the hub entry's zone (a day-granular entry is placed in it). */
  timeZone: string | null;
  /** Read only: the connection's configured zone, for users whose own zone cannot be read. */
  fallbackZone?: string;
  /** Kimai user id; null on write: the link's collection user. */
  user: number | null;
  project: number;
  activity: number;
  description: string | null;
  tags: string[];
  billable: boolean;
  exported: boolean;
}

export interface KimaiCustomer {
  name: string;
  number: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  currency: string | null;
  country: string | null;
  timezone: string | null;
  color: string | null;
}

export interface KimaiProject {
  name: string;
  customer: number;
  /** The customer's name (Kimai's parentTitle). */
  customerName: string | null;
  number: string | null;
  orderNumber: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  globalActivities: boolean;
  /** The project's own colour; null: none set in Kimai. */
  color: string | null;
  /** Its customer's colour, which a project without its own inherits. Read only. */
  inheritedColor: string | null;
}

export interface KimaiActivity {
  name: string;
  /** null: a global activity. */
  project: number | null;
  projectName: string | null;
  number: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  color: string | null;
  /** The project's colour, or its customer's (the same inheritance as in Kimai's UI). Read only. */
  inheritedColor: string | null;
}

export interface KimaiUser {
  username: string;
  alias: string | null;
  title: string | null;
  accountNumber: string | null;
  enabled: boolean;
  timezone: string | null;
  email: string | null;
}

export type KimaiItem = KimaiEntry | KimaiCustomer | KimaiProject | KimaiActivity | KimaiUser;

export type TaxonomyKind = 'customer' | 'project' | 'activity' | 'user';
export type ExternalKind = TaxonomyKind | 'timesheet';
