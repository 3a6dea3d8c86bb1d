/** The hub's own data model. Pure types, no I/O. */

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Fields = { [key: string]: Json };

export const RECORD_KINDS = [
  'person',
  'customer',
  'project',
  'activity',
  'task',
  'timeEntry',
  'calendar',
  'event',
  'office',
  'reservation',
  'timesheet',
  'timer',
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

/** A canonical hub record. `scope` is the hub collection (e.g. a hub calendar name). */
export interface HubRecord {
  id: string;
  kind: RecordKind;
  scope: string;
  fields: Fields;
  /** Natural key used to adopt instead of duplicating (e.g. an event's UID). */
  identity: string | null;
  version: number;
  updatedAt: string;
  /** The link id (`link:<name>`) or user (`user:<name>`) that last wrote it. */
  origin: string;
  tombstone: boolean;
}

/** One entry of the hub change log. `before` is what the write replaced (null for a create). */
export interface HubChange {
  seq: number;
  recordId: string;
  scope: string;
  kind: RecordKind;
  version: number;
  origin: string;
  runId: string | null;
  at: string;
  before: { fields: Fields; tombstone: boolean; version: number } | null;
}
