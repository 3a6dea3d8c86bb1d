/**
 * Office attendance's runtime config (issue 20, part 2): the offices and manual users of
 * timebridge.yaml's `attendance:` block plus the rows of two Google Sheets ranges
 * (`attendance.sheets`), read with the named Google connection's own credentials through
 * its connector's `sheets.readRange`. A reload reads both ranges and checks every row
 * before it takes any: a broken sheet (a bad range, a row without its calendar or e-mail,
 * Google answering an error) leaves the last good config in place and says what is wrong.
 * This file's entries win on a clash. A sheet office with no link gets one (an API-managed
 * `google-attendance` link, `office-<id>`), and the manual users reach every office link
 * through `catalog.linkOverlay`, so the next run of each link knows them.
 *
 * One reader, every process: the process that serves the API reads the sheet and keeps the
 * last good config in the store (a definition row `attendance` / `sheets`); every book (a
 * `timebridge worker` too) loads that row before the catalog lists links
 * (`catalog.linkOverlayLoad`), so a worker's office links know the sheet's manual users.
 * An office gone from the sheet has its `office-<id>` link disabled (kept, its calendar
 * never touched) with the reason shown in `/api/v1/links`; back in the sheet, it is enabled
 * again. An office without a calendar id gets its calendar made on first use
 * (app/office-calendars.ts); the overlay puts the kept id into its link's collection.
 */
import type { Logger } from 'pino';
import { describeError } from '../core/errors.js';
import type { Json } from '../core/model.js';
import { CONNECTORS } from '../connectors/registry.js';
import type { HubStore } from '../store/types.js';
import type { Catalog } from './catalog.js';
import { linkSchema, type AttendanceConfig, type LinkConfig } from './config-schema.js';
import { calendarSummary, OfficeCalendars } from './office-calendars.js';

export type Office = AttendanceConfig['offices'][number];
export interface ManualUser {
  email: string;
  name: string | null;
}

export interface ReloadReport {
  /** Office ids now in force (the file's and the sheet's). */
  offices: string[];
  /** Manual users' e-mails now in force. */
  manualUsers: string[];
  /** Where they came from: the file alone, or the file and the sheet. */
  source: 'timebridge.yaml' | 'timebridge.yaml+sheets';
  /** When the sheet was last read whole and good (null: never). */
  sheetsLoadedAt: string | null;
  /** Links made for offices that appeared in the sheet. */
  linksCreated: string[];
  /** Links disabled because their office left the sheet. */
  linksDisabled: string[];
  /** What is wrong with the sheet; non-empty: the last good config was kept. */
  problems: string[];
  /** Offices whose calendar or link could not be made (the sheet is taken; the next reload tries again). */
  officeProblems: string[];
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;
const LINK_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

/** The store row of the last good sheet config, and the links retired for offices gone from it. */
export const SHEETS_ROW = 'sheets';
interface StoredSheets {
  offices: Office[];
  users: ManualUser[];
  loadedAt: string;
  /** Link name → why it was disabled. */
  retired: Record<string, string>;
}

export class AttendanceBook {
  private sheetOffices: Office[] = [];
  private sheetUsers: ManualUser[] = [];
  private loadedAt: string | null = null;
  private lastProblems: string[] = [];
  private retired: Record<string, string> = {};
  /** Calendar ids kept for offices that give none (office id → calendar id). */
  private calendars = new Map<string, string>();
  private running: Promise<ReloadReport> | null = null;
  private loading: Promise<void> | null = null;
  readonly officeCalendars: OfficeCalendars;

  constructor(
    readonly base: AttendanceConfig,
    private readonly catalog: Catalog,
    private readonly logger: Logger,
    private readonly clock: () => Date,
    private readonly store: HubStore = catalog.store,
  ) {
    this.officeCalendars = new OfficeCalendars(this.store, catalog, base.calendars, logger, clock);
  }

  /** Take the last good sheet config and the kept calendar ids from the store (every process; calls at once share one read). */
  loadStored(): Promise<void> {
    this.loading ??= this.loadStoredNow().finally(() => (this.loading = null));
    return this.loading;
  }

  private async loadStoredNow(): Promise<void> {
    for (const row of await this.store.listManagedDefinitions('attendance')) {
      if (row.id === SHEETS_ROW) {
        const s = row.config as unknown as StoredSheets;
        if (this.loadedAt !== null && s.loadedAt <= this.loadedAt) continue;
        this.sheetOffices = s.offices;
        this.sheetUsers = s.users;
        this.loadedAt = s.loadedAt;
        this.retired = s.retired ?? {};
      } else if (row.id.startsWith('calendar:')) {
        const id = (row.config as { calendarId?: unknown }).calendarId;
        if (typeof id === 'string') this.calendars.set(row.id.slice('calendar:'.length), id);
      }
    }
  }

  private async saveStored(): Promise<void> {
    const config: StoredSheets = {
      offices: this.sheetOffices,
      users: this.sheetUsers,
      loadedAt: this.loadedAt ?? this.clock().toISOString(),
      retired: this.retired,
    };
    await this.store.putDefinition({
      category: 'attendance',
      id: SHEETS_ROW,
      type: 'attendance-sheets',
      config: config as unknown as Json,
      owner: null,
      source: 'api',
      enabled: true,
      secrets: null,
      updatedAt: this.clock().toISOString(),
    });
  }

  /** Why a link is disabled, when this book disabled it (shown in /api/v1/links). */
  readonly disabledReason = (name: string): string | undefined => this.retired[name];

  /** The block as it is in force: the file's offices and manual users, then the sheet's that do not clash. */
  config(): AttendanceConfig {
    const ids = new Set(this.base.offices.map((o) => o.id));
    const emails = new Set(this.base.manualUsers.map((u) => u.email.toLowerCase()));
    return {
      ...this.base,
      offices: [...this.base.offices, ...this.sheetOffices.filter((o) => !ids.has(o.id))],
      manualUsers: [
        ...this.base.manualUsers,
        ...this.sheetUsers.filter((u) => !emails.has(u.email)).map((u) => ({ email: u.email, ...(u.name ? { name: u.name } : {}) })),
      ],
    };
  }

  manualEmails(): string[] {
    return [...new Set(this.config().manualUsers.map((u) => u.email.toLowerCase()))];
  }

  /** An office link's config with the manual users in force (catalog.linkOverlay). */
  readonly overlay = (l: LinkConfig): LinkConfig => {
    if (l.mapper !== 'google-attendance') return l;
    const own = Array.isArray(l.options?.['manualUsers']) ? (l.options['manualUsers'] as string[]) : [];
    // A link that names no calendar shows its office's: the office's id, the one made for it,
    // or, not made yet, its name (found by name; never the connection's default calendar).
    let collection = l.collection;
    if (collection === undefined) {
      const id = String(l.options?.['office'] ?? '');
      const office = this.config().offices.find((o) => o.id === id);
      collection = office?.calendar ?? this.calendars.get(id) ?? (office ? calendarSummary(this.base.calendars, office) : undefined);
    }
    return {
      ...l,
      ...(collection !== undefined ? { collection } : {}),
      options: { colors: this.base.colors, ...l.options, manualUsers: [...new Set([...own, ...this.manualEmails()])] },
    };
  };

  report(linksCreated: string[] = [], linksDisabled: string[] = [], officeProblems: string[] = []): ReloadReport {
    const c = this.config();
    return {
      offices: c.offices.map((o) => o.id),
      manualUsers: this.manualEmails(),
      source: this.base.sheets ? 'timebridge.yaml+sheets' : 'timebridge.yaml',
      sheetsLoadedAt: this.loadedAt,
      linksCreated,
      linksDisabled,
      problems: this.lastProblems,
      officeProblems,
    };
  }

  /** Read the sheet again (one reload at a time; a call during one shares its answer). */
  reload(): Promise<ReloadReport> {
    this.running ??= this.reloadNow().finally(() => (this.running = null));
    return this.running;
  }

  /** The reload at start and on the schedule: nothing to answer, so a failure is logged. */
  reloadInBackground(): void {
    this.reload().catch((err: unknown) => this.logger.error({ err: describeError(err) }, 'attendance: the Sheets config reload failed'));
  }

  /**
   * At the start of the process that serves the API: with a sheet, a reload; without one, the
   * file's offices without a calendar id get theirs (made on first use) and their links.
   * Resolves when done (failures are logged; the next start or reload tries again).
   */
  async start(): Promise<void> {
    if (this.base.sheets)
      return void (await this.reload().catch((err: unknown) => this.logger.error({ err: describeError(err) }, 'attendance: the Sheets config reload failed')));
    await this.loadStored();
    await this.linkOffices(this.base.offices.filter((o) => o.calendar === undefined)).catch((err: unknown) =>
      this.logger.error({ err: describeError(err) }, 'attendance: could not list the links'),
    );
  }

  private async reloadNow(): Promise<ReloadReport> {
    const s = this.base.sheets;
    if (!s) return this.report();
    const problems: string[] = [];
    let offices: Office[] | null = null,
      users: ManualUser[] | null = null;
    try {
      const read = await this.reader(s.connection);
      if (s.offices !== undefined) offices = parseOffices(await read(s.spreadsheetId, s.offices), s.offices, s.connection, problems);
      if (s.manualUsers !== undefined) users = parseUsers(await read(s.spreadsheetId, s.manualUsers), s.manualUsers, problems);
    } catch (err) {
      const d = describeError(err);
      problems.push(`${d.message}${d.hint ? ` (${d.hint})` : ''}`);
    }
    if (problems.length) {
      this.lastProblems = problems;
      this.logger.warn({ spreadsheet: s.spreadsheetId, problems }, 'attendance: the Sheets config is broken; the last good config stays in force');
      return this.report();
    }
    await this.loadStored();
    if (offices) this.sheetOffices = offices;
    if (users) this.sheetUsers = users;
    this.loadedAt = this.clock().toISOString();
    this.lastProblems = [];
    let created: string[] = [],
      disabled: string[] = [];
    const officeProblems: string[] = [];
    try {
      disabled = await this.retireGoneOffices();
      await this.saveStored();
      const linked = await this.linkOffices(this.config().offices);
      created = linked.created;
      officeProblems.push(...linked.problems);
    } catch (err) {
      // The sheet is taken; the links and calendars are made at the next reload.
      const d = describeError(err);
      officeProblems.push(`${d.message}${d.hint ? ` (${d.hint})` : ''}`);
      this.logger.error({ err: d }, 'attendance: could not update the office links');
    }
    const r = this.report(created, disabled, officeProblems);
    this.logger.info(
      { offices: r.offices, manualUsers: r.manualUsers.length, linksCreated: created, linksDisabled: disabled },
      'attendance: Sheets config loaded',
    );
    return r;
  }

  private async reader(connection: string): Promise<(spreadsheetId: string, range: string) => Promise<string[][]>> {
    const conn = await this.catalog.connectionSettings(connection);
    const sheets = CONNECTORS[conn.type]?.sheets;
    if (!sheets)
      throw new Error(`connection ${connection} (${conn.type}) cannot read spreadsheets; attendance.sheets.connection must be a google-calendar connection`);
    return async (spreadsheetId, range) => {
      const env = this.catalog.buildEnv(connection, conn, { collection: null, externalKind: CONNECTORS[conn.type]!.manifest.kinds[0]!.external });
      // One try: a reload answers at once (the last good config stays), and the next reload or schedule tries again.
      return (await sheets.readRange(conn.settings, { ...env, http: { ...env.http, retry: false } }, { spreadsheetId, range })).values;
    };
  }

  /**
   * An office that no link shows gets an API-managed google-attendance link on its
   * connection; an office without a calendar id first gets its calendar (found or made, and
   * kept). A link this book disabled whose office is back is enabled again.
   */
  private async linkOffices(offices: Office[]): Promise<{ created: string[]; problems: string[] }> {
    const links = await this.catalog.listLinks();
    const shown = new Set(links.filter((l) => l.config.mapper === 'google-attendance').map((l) => String(l.config.options?.['office'] ?? '')));
    const created: string[] = [],
      problems: string[] = [];
    // Each office on its own: one whose calendar cannot be made does not hold up the others.
    for (const o of offices) {
      try {
        let calendar = o.calendar;
        if (calendar === undefined) {
          calendar = await this.officeCalendars.calendarOf(o);
          this.calendars.set(o.id, calendar);
        }
        if (shown.has(o.id)) continue;
        const name = linkNameOf(o.id);
        if (links.some((l) => l.name === name)) continue;
        const config = linkSchema.parse({
          connection: o.connection,
          scope: this.base.scope,
          collection: calendar,
          externalKind: 'attendance',
          mapper: 'google-attendance',
          options: { office: o.id, colors: this.base.colors, foreignEvents: this.base.foreignEvents },
        });
        await this.catalog.putLink(name, config, null);
        created.push(name);
      } catch (err) {
        const d = describeError(err);
        problems.push(`office ${o.id}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
        this.logger.error({ office: o.id, err: d }, `attendance: could not make the calendar or link of office ${o.id}; the next reload tries again`);
      }
    }
    return { created, problems };
  }

  /**
   * The API-managed `office-<id>` links of offices no longer in force (gone from the sheet)
   * are disabled, kept with their calendars; those of offices back in force are enabled.
   * Links of timebridge.yaml and links made by hand under other names are left alone.
   */
  private async retireGoneOffices(): Promise<string[]> {
    if (this.base.sheets?.offices === undefined) return [];
    const inForce = new Set(this.config().offices.map((o) => o.id));
    const disabled: string[] = [];
    for (const l of await this.catalog.listLinks()) {
      const office = l.config.options?.['office'];
      if (l.source !== 'api' || l.owner !== null || l.config.mapper !== 'google-attendance' || typeof office !== 'string' || l.name !== linkNameOf(office))
        continue;
      if (inForce.has(office)) {
        if (this.retired[l.name] === undefined) continue;
        delete this.retired[l.name];
        await this.catalog.setLinkEnabled(l.name, true);
        this.logger.info({ link: l.name, office }, `attendance: office ${office} is back in the sheet; link ${l.name} enabled again`);
        continue;
      }
      if (!l.enabled) continue;
      this.retired[l.name] =
        `office ${office} is no longer in the offices sheet (${this.base.sheets.offices}); the link is kept, disabled, and its calendar is left as it is`;
      await this.catalog.setLinkEnabled(l.name, false);
      disabled.push(l.name);
      this.logger.warn({ link: l.name, office }, `attendance: office ${office} left the sheet; link ${l.name} disabled`);
    }
    return disabled;
  }
}

/** The link the book makes for an office. */
export function linkNameOf(office: string): string {
  const name = `office-${office}`;
  return LINK_NAME.test(name) ? name : `office-${office.replace(/[^a-z0-9_-]/gi, '-')}`;
}

/** Rows office id, calendar id, name (optional); any bad row breaks the sheet. */
function parseOffices(rows: string[][], range: string, connection: string, problems: string[]): Office[] {
  const out: Office[] = [];
  rows.forEach((r, i) => {
    const [id = '', calendar = '', name = ''] = r.map((c) => c.trim());
    if (!id && !calendar && !name) return;
    if (!id) problems.push(`offices ${range}, row ${i + 1}: the office id (column 1) is empty`);
    else if (out.some((o) => o.id === id)) problems.push(`offices ${range}, row ${i + 1}: office ${id} is listed twice`);
    // No calendar id: the office's calendar is made on first use (app/office-calendars.ts).
    else out.push({ id, ...(calendar ? { calendar } : {}), name: name || id, connection });
  });
  return out;
}

/** Rows e-mail, name (optional). */
function parseUsers(rows: string[][], range: string, problems: string[]): ManualUser[] {
  const out = new Map<string, ManualUser>();
  rows.forEach((r, i) => {
    const [email = '', name = ''] = r.map((c) => c.trim());
    if (!email && !name) return;
    if (!EMAIL.test(email)) problems.push(`manual users ${range}, row ${i + 1}: "${email}" (column 1) is not an e-mail address`);
    else out.set(email.toLowerCase(), { email: email.toLowerCase(), name: name || null });
  });
  return [...out.values()];
}
