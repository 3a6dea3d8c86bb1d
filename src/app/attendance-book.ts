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
 */
import type { Logger } from 'pino';
import { describeError } from '../core/errors.js';
import { CONNECTORS } from '../connectors/registry.js';
import type { Catalog } from './catalog.js';
import { linkSchema, type AttendanceConfig, type LinkConfig } from './config-schema.js';

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
  /** What is wrong with the sheet; non-empty: the last good config was kept. */
  problems: string[];
}

const EMAIL = /^[^@\s]+@[^@\s]+$/;
const LINK_NAME = /^[a-z0-9][a-z0-9_-]*$/i;

export class AttendanceBook {
  private sheetOffices: Office[] = [];
  private sheetUsers: ManualUser[] = [];
  private loadedAt: string | null = null;
  private lastProblems: string[] = [];
  private running: Promise<ReloadReport> | null = null;

  constructor(
    readonly base: AttendanceConfig,
    private readonly catalog: Catalog,
    private readonly logger: Logger,
    private readonly clock: () => Date,
  ) {}

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
    return { ...l, options: { colors: this.base.colors, ...l.options, manualUsers: [...new Set([...own, ...this.manualEmails()])] } };
  };

  report(linksCreated: string[] = []): ReloadReport {
    const c = this.config();
    return {
      offices: c.offices.map((o) => o.id),
      manualUsers: this.manualEmails(),
      source: this.base.sheets ? 'timebridge.yaml+sheets' : 'timebridge.yaml',
      sheetsLoadedAt: this.loadedAt,
      linksCreated,
      problems: this.lastProblems,
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
    if (offices) this.sheetOffices = offices;
    if (users) this.sheetUsers = users;
    this.loadedAt = this.clock().toISOString();
    this.lastProblems = [];
    let created: string[] = [];
    try {
      created = await this.linkNewOffices();
    } catch (err) {
      // The sheet is taken; the link is made at the next reload.
      this.logger.error({ err: describeError(err) }, 'attendance: could not make the link of an office new in the sheet');
    }
    const r = this.report(created);
    this.logger.info({ offices: r.offices, manualUsers: r.manualUsers.length, linksCreated: created }, 'attendance: Sheets config loaded');
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

  /** An office of the sheet that no link shows gets an API-managed google-attendance link on the sheet's connection. */
  private async linkNewOffices(): Promise<string[]> {
    const links = await this.catalog.listLinks();
    const shown = new Set(links.filter((l) => l.config.mapper === 'google-attendance').map((l) => String(l.config.options?.['office'] ?? '')));
    const created: string[] = [];
    for (const o of this.config().offices) {
      if (shown.has(o.id)) continue;
      let name = `office-${o.id}`;
      if (!LINK_NAME.test(name)) name = `office-${o.id.replace(/[^a-z0-9_-]/gi, '-')}`;
      if (links.some((l) => l.name === name)) continue;
      const config = linkSchema.parse({
        connection: o.connection,
        scope: this.base.scope,
        collection: o.calendar,
        externalKind: 'attendance',
        mapper: 'google-attendance',
        options: { office: o.id, colors: this.base.colors, foreignEvents: this.base.foreignEvents },
      });
      await this.catalog.putLink(name, config, null);
      created.push(name);
    }
    return created;
  }
}

/** Rows office id, calendar id, name (optional); any bad row breaks the sheet. */
function parseOffices(rows: string[][], range: string, connection: string, problems: string[]): Office[] {
  const out: Office[] = [];
  rows.forEach((r, i) => {
    const [id = '', calendar = '', name = ''] = r.map((c) => c.trim());
    if (!id && !calendar && !name) return;
    if (!id) problems.push(`offices ${range}, row ${i + 1}: the office id (column 1) is empty`);
    else if (!calendar) problems.push(`offices ${range}, row ${i + 1} (${id}): the calendar id (column 2) is missing`);
    else if (out.some((o) => o.id === id)) problems.push(`offices ${range}, row ${i + 1}: office ${id} is listed twice`);
    else out.push({ id, calendar, name: name || id, connection });
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
