/**
 * A mapper is a pair of pure functions between a connector's item shape and the hub
 * fields of one record kind. No I/O, no clock except through `ctx.now`.
 */
import type { Fields, RecordKind } from '../../core/model.js';

export interface MapContext {
  /** The clock, passed in. */
  now: Date;
  /** Name of the link the mapping runs for. */
  link: string;
}

export type MapResult<T> =
  | { ok: true; value: T }
  | { ok: false; skip: string }
  | { ok: false; error: string };

export interface HubMapping {
  fields: Fields;
  /** Natural key that identifies the same thing on another system (event UID, …). */
  identity: string | null;
}

export interface Mapper<E> {
  name: string;
  hubKind: RecordKind;
  toHub(ext: E, ctx: MapContext): MapResult<HubMapping>;
  /** `previous` is the item as last read, so fields the hub does not model survive. */
  toExternal(fields: Fields, ctx: MapContext, previous: E | null): MapResult<E>;
  identity(fields: Fields): string | null;
  /** Human label for plans and errors (an event's summary, a worklog's issue). */
  label(fields: Fields): string;
}
