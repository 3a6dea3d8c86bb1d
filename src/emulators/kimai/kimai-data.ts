/**
 * The Kimai emulator's data: customers, projects, activities, users, tags and
 * timesheets in memory, with the serialisations of api-contracts §1 (`null` fields
 * included, `+HHMM` offsets, ids as integers) and a small demo data set.
 */
import { kimaiDateTime } from '../kit/time-text.js';

export interface EmuUser {
  id: number;
  username: string;
  alias: string | null;
  title: string | null;
  accountNumber: string | null;
  enabled: boolean;
  language: string;
  locale: string;
  timezone: string;
  /** Admins hold every permission (view_other_timesheet, edit_exported_timesheet, view_user, …). */
  admin: boolean;
  apiToken: string;
  /** Legacy API password (X-AUTH-TOKEN). */
  apiPassword: string;
}

export interface EmuCustomer {
  id: number;
  name: string;
  number: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  company: string | null;
  country: string;
  currency: string;
  timezone: string;
  color: string | null;
}

export interface EmuProject {
  id: number;
  name: string;
  customer: number;
  orderNumber: string | null;
  orderDate: string | null;
  start: string | null;
  end: string | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  globalActivities: boolean;
  number: string | null;
  color: string | null;
}

export interface EmuActivity {
  id: number;
  name: string;
  project: number | null;
  comment: string | null;
  visible: boolean;
  billable: boolean;
  number: string | null;
  color: string | null;
}

export interface EmuTag {
  id: number;
  name: string;
  color: string | null;
  visible: boolean;
}

export interface EmuTimesheet {
  id: number;
  user: number;
  project: number;
  activity: number;
  /** Instants in ms; `end` null while running. */
  begin: number;
  end: number | null;
  /** The zone the record was stored in (its user's, when it was written). */
  zone: string;
  breakSeconds: number;
  description: string | null;
  tags: string[];
  exported: boolean;
  billable: boolean;
  hourlyRate: number;
  fixedRate: number | null;
  /** Server time of the last change, whole seconds (Kimai stores DATETIME). */
  modifiedAt: number;
}

export interface KimaiData {
  users: EmuUser[];
  customers: EmuCustomer[];
  projects: EmuProject[];
  activities: EmuActivity[];
  tags: EmuTag[];
  timesheets: EmuTimesheet[];
  nextId: number;
}

export function emptyData(): KimaiData {
  return { users: [], customers: [], projects: [], activities: [], tags: [], timesheets: [], nextId: 1 };
}

export function durationOf(t: EmuTimesheet): number {
  return t.end === null ? 0 : Math.max(0, Math.round((t.end - t.begin) / 1000) - t.breakSeconds);
}

export function serializeTimesheet(t: EmuTimesheet, entity: boolean): Record<string, unknown> {
  const duration = durationOf(t);
  const rate = t.fixedRate ?? Math.round((duration / 3600) * t.hourlyRate * 100) / 100;
  return {
    id: t.id,
    begin: kimaiDateTime(t.begin, t.zone),
    end: t.end === null ? null : kimaiDateTime(t.end, t.zone),
    duration,
    break: t.breakSeconds,
    user: t.user,
    project: t.project,
    activity: t.activity,
    description: t.description,
    rate,
    internalRate: rate,
    ...(entity ? { fixedRate: t.fixedRate, hourlyRate: t.hourlyRate } : {}),
    exported: t.exported,
    billable: t.billable,
    tags: [...t.tags],
    metaFields: [],
  };
}

export function serializeCustomer(c: EmuCustomer): Record<string, unknown> {
  return { ...c, metaFields: [] };
}

export function serializeProject(p: EmuProject, data: KimaiData): Record<string, unknown> {
  return { ...p, parentTitle: data.customers.find((c) => c.id === p.customer)?.name ?? null, metaFields: [] };
}

export function serializeActivity(a: EmuActivity, data: KimaiData): Record<string, unknown> {
  return { ...a, parentTitle: a.project === null ? null : (data.projects.find((p) => p.id === a.project)?.name ?? null), metaFields: [] };
}

export function serializeUser(u: EmuUser): Record<string, unknown> {
  return {
    id: u.id,
    username: u.username,
    alias: u.alias,
    title: u.title,
    accountNumber: u.accountNumber,
    enabled: u.enabled,
    language: u.language,
    locale: u.locale,
    timezone: u.timezone,
    initials: u.username.slice(0, 2).toUpperCase(),
    avatar: null,
  };
}

/** Demo tokens (printed by `timebridge emulate kimai`). */
export const DEMO_ADMIN_TOKEN = 'kimai-demo-admin-token';
export const DEMO_USER_TOKEN = 'kimai-demo-user-token';

export function newUser(data: KimaiData, u: Pick<EmuUser, 'username' | 'timezone' | 'admin' | 'apiToken' | 'apiPassword'> & Partial<EmuUser>): EmuUser {
  const user: EmuUser = {
    id: data.nextId++,
    alias: null,
    title: null,
    accountNumber: null,
    enabled: true,
    language: 'en',
    locale: 'en',
    ...u,
  };
  data.users.push(user);
  return user;
}

/**
 * Two customers (one without colour), three projects (one without colour, so it
 * inherits its customer's), a global activity and project activities, an admin in
 * Europe/Berlin and a user in America/New_York, and a few timesheets (one exported).
 */
/** A visible, billable customer (a German one in euros unless told otherwise), added to the data. */
export function newCustomer(data: KimaiData, name: string, over: Partial<Omit<EmuCustomer, 'id' | 'name'>> = {}): EmuCustomer {
  const c: EmuCustomer = {
    id: data.nextId++,
    name,
    number: null,
    comment: null,
    visible: true,
    billable: true,
    company: null,
    country: 'DE',
    currency: 'EUR',
    timezone: 'UTC',
    color: null,
    ...over,
  };
  data.customers.push(c);
  return c;
}

/** A finished, billable timesheet record (an hour from `begin` unless told otherwise, stored in UTC at 60 an hour), added to the data. */
export function newTimesheet(data: KimaiData, t: Pick<EmuTimesheet, 'user' | 'project' | 'activity' | 'begin'> & Partial<EmuTimesheet>): EmuTimesheet {
  const sheet: EmuTimesheet = {
    id: data.nextId++,
    end: t.begin + 3_600_000,
    zone: 'UTC',
    breakSeconds: 0,
    description: null,
    tags: [],
    exported: false,
    billable: true,
    hourlyRate: 60,
    fixedRate: null,
    modifiedAt: t.begin,
    ...t,
  };
  data.timesheets.push(sheet);
  return sheet;
}

/** A visible, billable project of a customer that allows the global activities, added to the data. */
export function newProject(data: KimaiData, name: string, customer: EmuCustomer, over: Partial<Omit<EmuProject, 'id' | 'name' | 'customer'>> = {}): EmuProject {
  const p: EmuProject = {
    id: data.nextId++,
    name,
    customer: customer.id,
    orderNumber: null,
    orderDate: null,
    start: null,
    end: null,
    comment: null,
    visible: true,
    billable: true,
    globalActivities: true,
    number: null,
    color: null,
    ...over,
  };
  data.projects.push(p);
  return p;
}

/** A visible, billable activity: global (project null) or a project's own, added to the data. */
export function newActivity(
  data: KimaiData,
  name: string,
  project: EmuProject | null,
  over: Partial<Omit<EmuActivity, 'id' | 'name' | 'project'>> = {},
): EmuActivity {
  const a: EmuActivity = {
    id: data.nextId++,
    name,
    project: project?.id ?? null,
    comment: null,
    visible: true,
    billable: true,
    number: null,
    color: null,
    ...over,
  };
  data.activities.push(a);
  return a;
}

export function demoData(now: Date): KimaiData {
  const data = emptyData();
  const anna = newUser(data, {
    username: 'anna',
    alias: 'Anna Admin',
    timezone: 'Europe/Berlin',
    admin: true,
    apiToken: DEMO_ADMIN_TOKEN,
    apiPassword: 'anna-api-password',
  });
  const ben = newUser(data, {
    username: 'ben',
    alias: 'Ben User',
    timezone: 'America/New_York',
    admin: false,
    apiToken: DEMO_USER_TOKEN,
    apiPassword: 'ben-api-password',
  });
  const acme = newCustomer(data, 'Acme', { color: '#2e7d32', timezone: 'Europe/Berlin' });
  const globex = newCustomer(data, 'Globex', { timezone: 'Europe/Berlin' });
  const website = newProject(data, 'Website', acme, { color: '#1565c0' });
  const support = newProject(data, 'Support', acme);
  const migration = newProject(data, 'Migration', globex, { color: '#6a1b9a' });
  const meeting = newActivity(data, 'Meeting', null, { color: '#f9a825' });
  const design = newActivity(data, 'Design', website);
  newActivity(data, 'Hotline', support);
  newActivity(data, 'Data transfer', migration);
  data.tags.push({ id: data.nextId++, name: 'meeting', color: null, visible: true });
  const day = (offsetDays: number) => {
    const d = new Date(now.getTime() + offsetDays * 86_400_000);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  };
  const sheet = (user: EmuUser, p: EmuProject, a: EmuActivity, dayMs: number, hourUtc: number, minutes: number, description: string, exported = false) => {
    const begin = dayMs + hourUtc * 3_600_000;
    data.timesheets.push({
      id: data.nextId++,
      user: user.id,
      project: p.id,
      activity: a.id,
      begin,
      end: begin + minutes * 60_000,
      zone: user.timezone,
      breakSeconds: 0,
      description,
      tags: [],
      exported,
      billable: true,
      hourlyRate: 60,
      fixedRate: null,
      modifiedAt: Math.floor(now.getTime() / 1000) * 1000,
    });
  };
  sheet(anna, website, design, day(-2), 7, 150, 'Landing page layout');
  sheet(anna, website, meeting, day(-1), 8, 30, 'Sprint planning');
  sheet(ben, migration, meeting, day(-1), 14, 60, 'Kick-off with Globex');
  sheet(anna, support, meeting, day(-40), 9, 90, 'Old ticket review', true);
  return data;
}
