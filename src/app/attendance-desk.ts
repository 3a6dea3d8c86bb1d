/**
 * moffman's drop-in reservation request (`POST /api/v1/reservations`) on hub records: the
 * body is checked field by field (each problem names its field), the person is found by
 * e-mail in the attendance scope, and one reservation per person, office and days is
 * created or moved to its new state in one write (so nothing is half-written, and the same
 * request twice is one reservation). The office link then writes the event.
 */
import { TimebridgeError } from '../core/errors.js';
import { addDays, isDay, reservationIdentity, type ReservationState } from '../core/fields/reservation.js';
import type { Fields, HubRecord } from '../core/model.js';
import type { Actor, HubRecords } from '../runtime/records.js';
import type { HubStore } from '../store/types.js';
import type { AttendanceConfig } from './config-schema.js';

/** moffman's body: `end` is exclusive (the day after the last, as Google's all-day end), `request_dt` is "HH:MM:SS YYYY/MM/DD". */
export interface MoffmanReservation {
  user: { name: string; email: string };
  approved: boolean;
  start: string;
  end: string;
  request_dt?: string | undefined;
  office_id: string;
}

export interface ReserveResult {
  record: HubRecord;
  /** created: a new reservation; changed: its state moved; unchanged: the same request again. */
  outcome: 'created' | 'changed' | 'unchanged';
}

const bad = (field: string, what: string, hint: string) => new TimebridgeError('REQUEST_INVALID', `${field}: ${what}`, { hint, details: { field } });

/** moffman's `request_dt` ("11:38:00 2020/06/25", taken as UTC) or an ISO instant, as a UTC instant; null when it is neither. */
export function requestInstant(text: string): string | null {
  const m = /^(\d{2}):(\d{2}):(\d{2}) (\d{4})\/(\d{2})\/(\d{2})$/.exec(text.trim());
  const iso = m ? `${m[4]}-${m[5]}-${m[6]}T${m[1]}:${m[2]}:${m[3]}Z` : text.trim();
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || (m && new Date(ms).toISOString().slice(0, 19) + 'Z' !== iso)) return null;
  if (!m && !/^\d{4}-\d{2}-\d{2}T/.test(iso)) return null;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The state a request leaves a reservation in: an approval approves; a plain request keeps a live one and reopens a cancelled or rejected one. */
export function nextState(current: ReservationState | null, approved: boolean): ReservationState {
  if (approved) return 'approved';
  return current === 'approved' || current === 'pending' ? current : 'pending';
}

export class AttendanceDesk {
  constructor(
    private readonly store: HubStore,
    private readonly records: HubRecords,
    /** The attendance block in force (with the Sheets offices: app/attendance-book.ts), or undefined. */
    private readonly config: AttendanceConfig | undefined | (() => AttendanceConfig | undefined),
    private readonly clock: () => Date,
  ) {}

  /** The attendance block, or 404: the routes exist only where offices are configured. */
  settings(): AttendanceConfig {
    const config = typeof this.config === 'function' ? this.config() : this.config;
    if (config) return config;
    throw new TimebridgeError('RESOURCE_NOT_FOUND', 'office attendance is not configured on this hub', {
      hint: 'add an attendance: block (scope, offices) to timebridge.yaml and restart the service',
    });
  }

  /** Requests of this process one after another, so two identical ones racing make one reservation. */
  private tail: Promise<unknown> = Promise.resolve();

  reserve(actor: Actor, body: MoffmanReservation): Promise<ReserveResult> {
    const run = this.tail.then(() => this.reserveNow(actor, body));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async reserveNow(actor: Actor, body: MoffmanReservation): Promise<ReserveResult> {
    const cfg = this.settings();
    if (!cfg.offices.some((o) => o.id === body.office_id))
      throw bad('office_id', `there is no office "${body.office_id}"`, `use one of: ${cfg.offices.map((o) => o.id).join(', ')}`);
    if (!isDay(body.start)) throw bad('start', `"${body.start}" is not a day YYYY-MM-DD`, 'send the first day as YYYY-MM-DD');
    if (!isDay(body.end)) throw bad('end', `"${body.end}" is not a day YYYY-MM-DD`, 'send the day after the last day as YYYY-MM-DD');
    if (body.end <= body.start)
      throw bad('end', `${body.end} is not after start ${body.start}`, 'end is exclusive, as in moffman: the day after the last day (one day: start + 1)');
    let requestedAt = new Date(Math.floor(this.clock().getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (body.request_dt !== undefined) {
      const at = requestInstant(body.request_dt);
      if (!at) throw bad('request_dt', `"${body.request_dt}" is not a time`, 'send it as moffman does, "HH:MM:SS YYYY/MM/DD" (UTC), or as an ISO instant');
      requestedAt = at;
    }
    const email = body.user.email.trim().toLowerCase();
    const person = (await this.store.listScope(cfg.scope, 'person')).find(
      (p) => !p.tombstone && typeof p.fields.email === 'string' && p.fields.email.toLowerCase() === email,
    );
    if (!person)
      throw bad(
        'user.email',
        `no person with the e-mail ${body.user.email} in scope ${cfg.scope}`,
        'add the person (POST /api/v1/records/person) or fix the e-mail',
      );

    const days = { personId: person.id, office: body.office_id, firstDay: body.start, lastDay: addDays(body.end, -1) };
    // The store keeps one live reservation per key (a unique index), so a request racing one
    // in another process loses its create or its update; it reads the winner's and goes again.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.write(cfg.scope, actor, days, body.approved, requestedAt);
      } catch (err) {
        if (!(err instanceof TimebridgeError && err.code === 'RESOURCE_CONFLICT') || attempt >= 5) throw err;
      }
    }
  }

  private async write(
    scope: string,
    actor: Actor,
    days: { personId: string; office: string; firstDay: string; lastDay: string },
    approved: boolean,
    requestedAt: string,
  ): Promise<ReserveResult> {
    const existing = (await this.store.findByIdentity(scope, 'reservation', reservationIdentity(days))).find((r) => !r.tombstone) ?? null;
    if (!existing) {
      const fields: Fields = { ...days, state: nextState(null, approved), requestedAt, source: 'api' };
      return { record: await this.records.create({ scope, kind: 'reservation', fields, actor }), outcome: 'created' };
    }
    const state = nextState(existing.fields.state as ReservationState, approved);
    if (state === existing.fields.state) return { record: existing, outcome: 'unchanged' };
    const record = await this.records.update({ id: existing.id, fields: { ...existing.fields, state }, ifMatch: existing.version, actor });
    return { record, outcome: 'changed' };
  }
}
