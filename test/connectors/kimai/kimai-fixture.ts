/**
 * Shared set-up of the Kimai tests: an emulator with known users, customers, projects and
 * activities (ids chosen by the test, not the demo), and connectors on it.
 */
import { createKimaiEmulator, type KimaiEmulator } from '../../../src/emulators/kimai/index.js';
import { emptyData, newUser, type EmuActivity, type EmuCustomer, type EmuProject, type KimaiData } from '../../../src/emulators/kimai/kimai-data.js';
import { createKimaiConnector, kimaiConfigSchema, type KimaiConfig } from '../../../src/connectors/kimai/index.js';
import type { Connector } from '../../../src/connectors/kit/connector.js';
import type { KimaiItem } from '../../../src/connectors/kimai/kimai-types.js';

export const ADMIN_TOKEN = 'admin-token-0123456789';
export const USER_TOKEN = 'user-token-0123456789';

/** anna (admin, Berlin), ben (user, New York); Acme (green) with Website (blue) and Support (no colour); Globex (no colour) with Migration; Meeting (global), Design (Website). */
export function testData(): KimaiData {
  const data = emptyData();
  newUser(data, { username: 'anna', timezone: 'Europe/Berlin', admin: true, apiToken: ADMIN_TOKEN, apiPassword: 'anna-pass' });
  newUser(data, { username: 'ben', timezone: 'America/New_York', admin: false, apiToken: USER_TOKEN, apiPassword: 'ben-pass' });
  const customer = (id: number, name: string, color: string | null): EmuCustomer => ({
    id,
    name,
    number: null,
    comment: null,
    visible: true,
    billable: true,
    company: null,
    country: 'DE',
    currency: 'EUR',
    timezone: 'Europe/Berlin',
    color,
  });
  const project = (id: number, name: string, c: number, color: string | null): EmuProject => ({
    id,
    name,
    customer: c,
    orderNumber: null,
    orderDate: null,
    start: null,
    end: null,
    comment: null,
    visible: true,
    billable: true,
    globalActivities: true,
    number: null,
    color,
  });
  const activity = (id: number, name: string, p: number | null, color: string | null): EmuActivity => ({
    id,
    name,
    project: p,
    comment: null,
    visible: true,
    billable: true,
    number: null,
    color,
  });
  data.customers.push(customer(10, 'Acme', '#2e7d32'), customer(11, 'Globex', null));
  data.projects.push(project(20, 'Website', 10, '#1565c0'), project(21, 'Support', 10, null), project(22, 'Migration', 11, '#6a1b9a'));
  data.activities.push(activity(30, 'Meeting', null, null), activity(31, 'Design', 20, null), activity(32, 'Hotline', 21, '#ff0000'));
  data.tags.push({ id: 40, name: 'meeting', color: null, visible: true });
  data.nextId = 100;
  return data;
}

export async function startKimai(opts: { data?: KimaiData; now?: () => number } = {}): Promise<KimaiEmulator & { base: string }> {
  const emu = createKimaiEmulator({ data: opts.data ?? testData(), ...(opts.now ? { now: opts.now } : {}) });
  const base = await emu.listen();
  return Object.assign(emu, { base });
}

export function kimaiConfig(url: string, extra: Partial<KimaiConfig> = {}): KimaiConfig {
  return kimaiConfigSchema.parse({ url, token: ADMIN_TOKEN, ...extra });
}

export function kimaiConnector<T extends KimaiItem>(
  url: string,
  kind: string,
  collection: string | null = null,
  extra: Partial<KimaiConfig> = {},
): Connector<T> {
  return createKimaiConnector(kimaiConfig(url, extra), { externalKind: kind, collection }) as Connector<T>;
}
