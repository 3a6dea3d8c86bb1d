/**
 * A mapper is a pair of pure functions between a connector's item shape and the hub
 * fields of one record kind. No I/O, no clock except through `ctx.now`.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../../core/errors.js';
import type { Fields, RecordKind } from '../../core/model.js';
import type { Direction } from '../../core/policy.js';
import type { DeleteOptions } from './connector.js';

/**
 * References between records of one connection (a timesheet's project, a worklog's
 * issue and author), resolved through the status rows of the connection's other links:
 * the link that syncs Kimai projects knows which hub project Kimai project 7 is.
 * Loaded by the runtime before a run, for the external kinds the mapper names in `refKinds`.
 */
export interface RefLookup {
  /** The hub id a link of this connection has linked to the external id, or null. */
  hubId(externalKind: string, extId: string): string | null;
  /** The external id a link of this connection has linked to the hub id, or null. */
  extId(externalKind: string, hubId: string): string | null;
  /**
   * A hub person record of the link's scope (name, e-mail, IANA zone), or null; loaded
   * for mappers with `readsPersons` only. A time entry's day is counted in its person's
   * zone, and a worklog logged as someone else names its person.
   */
  person?(personHubId: string): PersonCard | null;
  /** The hub id of the scope's person with this e-mail (case-insensitive), or null; loaded with `person`. */
  personByEmail?(email: string): string | null;
  /** The hub id of the scope's person with this GitHub login (case-insensitive), or null; loaded with `person`. */
  personByGithubLogin?(login: string): string | null;
}

/** Who a hub person is, as mappers of other records need it. */
export interface PersonCard {
  name: string | null;
  email: string | null;
  timeZone: string | null;
  githubLogin?: string | null;
}

export interface MapContext {
  /** The clock, passed in. */
  now: Date;
  /** Name of the link the mapping runs for. */
  link: string;
  /** Present when the mapper names `refKinds`. */
  refs?: RefLookup;
  /**
   * The fields of the hub record the item is linked to (an update of a known record), or
   * null for a new item. Set for mappers with `readsLinkedRecord` only, in `toHub`.
   */
  linked?: Fields | null;
  /** The hub id of the record `toExternal` writes (its own references, e.g. the Kimai id of a mirrored project). */
  record?: string;
}

/**
 * What `toHub` may also say of an item made straight in the remote that the link's config
 * says does not belong there (e.g. an office calendar's event by someone not allowed to add
 * one, with `foreignEvents: delete`): the planner plans its external delete, which the
 * guard limits and the journal records like any other; `remove` says why, naming the item.
 */
export interface Removal {
  ok: false;
  remove: string;
}

export type MapResult<T> =
  | { ok: true; value: T }
  | { ok: false; skip: string }
  /** `code` (default ITEM_UNPARSABLE) is what the run reports, e.g. REF_UNRESOLVED for an item that waits. */
  | { ok: false; error: string; code?: ErrorCode };

/**
 * A reference no link of this connection has linked yet (a timesheet's project, a
 * worklog's issue): the item waits and is retried on the next run, never written without it.
 */
export function unresolvedRef(what: string, hint: string): { ok: false; error: string; code: 'REF_UNRESOLVED' } {
  return { ok: false, error: `REF_UNRESOLVED: ${what}. ${hint}`, code: 'REF_UNRESOLVED' };
}

export interface HubMapping {
  fields: Fields;
  /** Natural key that identifies the same thing on another system (event UID, …). */
  identity: string | null;
  /**
   * The item is not yet as the hub writes it (an office event added by hand, without the
   * hub's marker): a pull-create leaves the hub side unagreed, so the link's next run
   * writes the new record back to the item, once, as its own write (not a new edit).
   */
  writeBack?: boolean;
}

export interface Mapper<E> {
  name: string;
  hubKind: RecordKind;
  toHub(ext: E, ctx: MapContext): MapResult<HubMapping> | Removal;
  /** `previous` is the item as last read, so fields the hub does not model survive. */
  toExternal(fields: Fields, ctx: MapContext, previous: E | null): MapResult<E>;
  identity(fields: Fields): string | null;
  /** Human label for plans and errors (an event's summary, a worklog's issue). */
  label(fields: Fields): string;
  /**
   * The identity is a name (Kimai's taxonomy), not a key: the remote id is what identifies
   * the record, so two remote records with one name are two hub records, and the name
   * adopts only where it is unambiguous (one new remote record, one unlinked hub record).
   */
  identityIsName?: boolean;
  /** External kinds (of the same connection) whose references `ctx.refs` must resolve. */
  refKinds?: string[];
  /** `ctx.refs.person` answers the scope's hub person records (a time entry's day is its person's; a worklog names its person). */
  readsPersons?: boolean;
  /** Passed to the connector's `delete` (a delete carries no item to put the link's write options in). */
  deleteOptions?: DeleteOptions;
  /**
   * Why this link does not show a hub record it is not linked to (an office link and another
   * office's reservation), or null when it does. The planner plans no push-create for such a
   * record, so a preview counts only what the run will write; `toExternal` still decides at apply.
   */
  shows?(fields: Fields): string | null;
  /** `toHub` is given the linked hub record's fields (`ctx.linked`), e.g. to keep a day-granular entry's day. */
  readsLinkedRecord?: boolean;
  /**
   * The hub fields this mapper models (top-level names, and `extras.<name>` for its own
   * extras): a pull writes only these and keeps the rest of the record (what other
   * systems gave it), and hashes and merges compare only these. Absent: the whole record
   * (a pull replaces it). See core/fields/holds.ts.
   */
  holds?: readonly string[];
}

/**
 * A named mapper a link can choose with `mapper:`; its `options:` are checked by
 * `options` (a link's settings such as duration rounding).
 */
export interface MapperEntry<E, O = unknown> {
  /** The connector's external kind whose items it maps. */
  externalKind: string;
  hubKind: RecordKind;
  options?: z.ZodType<O>;
  make(options: O): Mapper<E>;
  /**
   * The direction of a link that names none (default `both`). `google-export` declares
   * `mirror`: its events are copies, so an edit in the calendar is undone, not imported.
   */
  defaultDirection?: Direction;
}

/** A mapper entry without options. */
export function fixedMapper<E>(externalKind: string, mapper: Mapper<E>): MapperEntry<E, undefined> {
  return { externalKind, hubKind: mapper.hubKind, make: () => mapper };
}
