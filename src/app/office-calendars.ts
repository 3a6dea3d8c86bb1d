/**
 * The Google calendar of an office that gives no calendar id (issue 20): made and shared on
 * first use through its connection's connector (`ConnectorEntry.calendars.ensure`: the
 * account's calendar of that name, made when there is none), and its id kept in the store
 * (a definition row `attendance` / `calendar:<office>`), so later runs, a restart and every
 * other process on the store use the same calendar.
 *
 * Two processes on one store making it at once: before making, a process claims the making
 * with a set-once row of the store's delivery table (`rememberDelivery`, atomic across
 * processes), held for `CLAIM_MS`. The one that gets it makes the calendar and keeps its id;
 * the others wait for that id and use it, and make nothing. A claimer that died before keeping
 * the id lets the claim expire; the next finds the calendar it made by its name (the
 * lookup comes before any making), so even then no second calendar is made. Should a slow
 * claimer find, after making, that another process kept an id meanwhile, it uses the kept
 * one and reports its own calendar (left, never deleted: it may already hold events).
 */
import type { Logger } from 'pino';
import { TimebridgeError } from '../core/errors.js';
import { CONNECTORS } from '../connectors/registry.js';
import type { HubStore } from '../store/types.js';
import type { Catalog } from './catalog.js';
import type { AttendanceConfig } from './config-schema.js';

type Office = AttendanceConfig['offices'][number];

/** How long a claim to make an office's calendar holds before another process may make it. */
export const CLAIM_MS = 60_000;
const POLL_MS = 100;

export const calendarRowId = (office: string): string => `calendar:${office}`;

/** The name a made office calendar gets (`attendance.calendars.summary`). */
export const calendarSummary = (settings: AttendanceConfig['calendars'], office: Office): string =>
  settings.summary.replaceAll('{name}', office.name).replaceAll('{id}', office.id);

export class OfficeCalendars {
  /** Offices whose making this process claimed, and until when (epoch ms). */
  private readonly held = new Map<string, number>();

  constructor(
    private readonly store: HubStore,
    private readonly catalog: Catalog,
    private readonly settings: AttendanceConfig['calendars'],
    private readonly logger: Logger,
    private readonly clock: () => Date,
    /** How long a process waits for another's making before it gives up (this run). */
    private readonly waitMs = CLAIM_MS,
  ) {}

  /** The office's calendar id kept in the store, or null. */
  async kept(office: string): Promise<string | null> {
    const row = await this.store.getDefinition('attendance', calendarRowId(office));
    const id = (row?.config as { calendarId?: unknown } | undefined)?.calendarId;
    return typeof id === 'string' ? id : null;
  }

  /** The calendar id of an office: its own, the one kept, or one made (and shared) now. */
  async calendarOf(office: Office): Promise<string> {
    if (office.calendar) return office.calendar;
    const kept = await this.kept(office.id);
    if (kept) return kept;
    const now = this.clock();
    // A claim this process holds still (its making failed, e.g. Google refused): it tries again itself.
    const mine = (this.held.get(office.id) ?? 0) > now.getTime() + 1000;
    const claimed =
      mine ||
      (await this.store.rememberDelivery(
        `attendance-calendar:${office.connection}:${office.id}`,
        new Date(now.getTime() + CLAIM_MS).toISOString(),
        now.toISOString(),
      ));
    if (!claimed) return this.waitForKept(office);
    if (!mine) this.held.set(office.id, now.getTime() + CLAIM_MS);
    const made = await this.make(office);
    // A claim that outlived CLAIM_MS may have been taken over: the id kept first wins.
    const winner = await this.kept(office.id);
    if (winner && winner !== made.id) {
      this.logger.warn(
        { office: office.id, kept: winner, unused: made.id },
        `attendance: another process kept calendar ${winner} for office ${office.id} first; calendar ${made.id} is not used (left in the account)`,
      );
      return winner;
    }
    await this.store.putDefinition({
      category: 'attendance',
      id: calendarRowId(office.id),
      type: 'office-calendar',
      config: { calendarId: made.id, summary: made.summary, made: made.made, connection: office.connection },
      owner: null,
      source: 'api',
      enabled: true,
      secrets: null,
      updatedAt: this.clock().toISOString(),
    });
    this.held.delete(office.id);
    this.logger.info({ office: office.id, calendar: made.id, made: made.made }, `attendance: office ${office.id} shows in calendar ${made.id}`);
    return made.id;
  }

  private async make(office: Office): Promise<{ id: string; made: boolean; summary: string }> {
    const conn = await this.catalog.connectionSettings(office.connection);
    const calendars = CONNECTORS[conn.type]?.calendars;
    if (!calendars)
      throw new TimebridgeError(
        'CONFIG_INVALID',
        `office ${office.id} has no calendar id, and connection ${office.connection} (${conn.type}) cannot make calendars`,
        {
          hint: 'give the office its calendar id, or use a google-calendar connection',
        },
      );
    const summary = calendarSummary(this.settings, office);
    const env = this.catalog.buildEnv(office.connection, conn, { collection: summary, externalKind: 'attendance' });
    const { id, made } = await calendars.ensure(conn.settings, env, {
      summary,
      timeZone: this.settings.timeZone,
      description: this.settings.description,
      shareWith: this.settings.shareWith,
    });
    return { id, made, summary };
  }

  private async waitForKept(office: Office): Promise<string> {
    const until = Date.now() + this.waitMs;
    for (;;) {
      const kept = await this.kept(office.id);
      if (kept) return kept;
      if (Date.now() >= until) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new TimebridgeError('RESOURCE_CONFLICT', `another process is making the calendar of office ${office.id}`, {
      hint: 'it is used once made; the next reload or run picks it up',
    });
  }
}
