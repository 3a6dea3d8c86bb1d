/**
 * Emulator of Google Calendar API v3 and Google OAuth (api-contracts §3), registered as
 * `google`: sync tokens that go stale, paging, tombstones, client ids with 409, etags
 * with 412, extended-property filters, recurring series with exceptions, calendars and
 * sharing, push channels that really POST, and the kit's fault rules in Google's
 * error shape (403/429 rate limits, 5xx, expired tokens); and Google Sheets'
 * values API (sheets.ts) for office attendance's runtime config.
 */
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';
import { CalendarStore, type CalendarRecord } from './calendar-store.js';
import { Channels } from './channels.js';
import { googleErrorBody } from './errors.js';
import { DEMO_USER, EMULATOR_CLIENT_ID, EMULATOR_CLIENT_SECRET, OAuthState, SERVICE_ACCOUNT_EMAIL } from './oauth.js';
import { registerGoogleRoutes } from './routes.js';
import { SheetsStore, registerSheetsRoutes } from './sheets.js';

export interface GoogleEmulator extends Emulator {
  store: CalendarStore;
  oauth: OAuthState;
  channels: Channels;
  /** Google Sheets values API (`/v4/spreadsheets/{id}/values/{range}`). */
  sheets: SheetsStore;
}

export const DEMO_REFRESH_TOKEN = '1//emu-demo-refresh-token-alice';

export function createGoogleEmulator(opts: { seed?: number; demo?: boolean; now?: () => number; logger?: boolean } = {}): GoogleEmulator {
  const now = opts.now ?? Date.now;
  const store = new CalendarStore(now);
  const oauth = new OAuthState(now);
  const channels = new Channels(now);
  const sheets = new SheetsStore();
  store.onChange = (calendarId) => channels.changed(calendarId);
  const fill = (): void => {
    oauth.issueRefreshToken(DEMO_USER, EMULATOR_CLIENT_ID, 'https://www.googleapis.com/auth/calendar', DEMO_REFRESH_TOKEN);
    if (opts.demo) seedDemo(store, now());
  };
  const emulator = createEmulator({
    name: 'google',
    seed: opts.seed ?? 1,
    logger: opts.logger ?? false,
    settings: { maxPageSize: 250 },
    errorBody: (status) => googleErrorBody(status),
    // The calendars and their events; tokens are issued afresh (the demo refresh token is fixed).
    snapshot: () => ({ seq: store.seq, calendars: store.calendars }),
    restore(data) {
      const d = data as { seq: number; calendars: Map<string, CalendarRecord> };
      store.seq = d.seq;
      store.calendars.clear();
      for (const [id, rec] of d.calendars) store.calendars.set(id, rec);
    },
    reset() {
      store.reset();
      oauth.reset();
      channels.reset();
      sheets.reset();
      fill();
    },
  });
  registerGoogleRoutes(emulator.app, { store, oauth, channels, pageSize: () => emulator.settings.maxPageSize });
  registerSheetsRoutes(emulator.app, sheets, oauth);
  fill();
  return { ...emulator, store, oauth, channels, sheets };
}

/** A primary calendar for the demo user with a meeting, an all-day trip and a weekly series with one cancelled instance; an `AW-DEMO` calendar of the service account shared with them. */
function seedDemo(store: CalendarStore, nowMs: number): void {
  const day = new Date(nowMs).toISOString().slice(0, 10);
  const plus = (d: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
  const primary = store.calendar('primary', DEMO_USER, 'owner');
  primary.cal.timeZone = 'Europe/Berlin';
  store.insertEvent(primary, {
    id: 'demomeeting0001',
    summary: 'Project review',
    location: 'Room 2',
    start: { dateTime: `${plus(1)}T10:00:00`, timeZone: 'Europe/Berlin' },
    end: { dateTime: `${plus(1)}T11:00:00`, timeZone: 'Europe/Berlin' },
  });
  store.insertEvent(primary, { id: 'demotrip0000001', summary: 'Conference trip', colorId: '5', start: { date: plus(7) }, end: { date: plus(10) } });
  const standup = store.insertEvent(primary, {
    id: 'demostandup0001',
    summary: 'Stand-up',
    start: { dateTime: `${plus(-7)}T09:00:00`, timeZone: 'Europe/Berlin' },
    end: { dateTime: `${plus(-7)}T09:15:00`, timeZone: 'Europe/Berlin' },
    recurrence: ['RRULE:FREQ=WEEKLY;COUNT=8'],
  });
  const second = store.instancesOf(standup, {})[1];
  if (second) store.deleteEvent(primary, `${standup.id}_${second.key}`, undefined);
  const aw = store.createCalendar(SERVICE_ACCOUNT_EMAIL, { summary: 'AW-DEMO', timeZone: 'Europe/Berlin' });
  const rec = store.calendar(aw.id, SERVICE_ACCOUNT_EMAIL, 'owner');
  store.insertAcl(rec, { role: 'owner', scope: { type: 'user', value: DEMO_USER } });
  store.insertEvent(rec, {
    summary: 'Court hearing',
    start: { dateTime: `${plus(2)}T13:00:00`, timeZone: 'Europe/Berlin' },
    end: { dateTime: `${plus(2)}T15:00:00`, timeZone: 'Europe/Berlin' },
  });
  // Two office calendars for the attendance demo; in Prague, a day that eva@example.com put in by hand (no Timebridge marker).
  for (const [id, summary] of [
    [DEMO_OFFICE_CALENDARS.prague, 'Office Prague'],
    [DEMO_OFFICE_CALENDARS.brno, 'Office Brno'],
  ] as const)
    store.createCalendar(DEMO_USER, { id, summary, timeZone: 'Europe/Prague' });
  const prague = store.calendar(DEMO_OFFICE_CALENDARS.prague, DEMO_USER, 'owner');
  store.insertEvent(prague, { id: 'demomanualeva01', summary: 'Eva in the office', start: { date: plus(3) }, end: { date: plus(4) } }, DEMO_MANUAL_USER);
}

/** The demo's office calendars (owned by the demo user) and the user who adds a day to Prague's by hand. */
export const DEMO_OFFICE_CALENDARS = { prague: 'prague-office@group.calendar.google.com', brno: 'brno-office@group.calendar.google.com' } as const;
export const DEMO_MANUAL_USER = 'eva@example.com';

export const googleEmulatorEntry: EmulatorEntry = {
  create: ({ seed, demo }) => createGoogleEmulator({ seed, demo }),
  usage: (url) =>
    [
      `Calendar API: ${url}/calendar/v3   token endpoint: ${url}/token   consent page: ${url}/o/oauth2/v2/auth`,
      `OAuth client: id ${EMULATOR_CLIENT_ID}, secret ${EMULATOR_CLIENT_SECRET}`,
      `Demo user ${DEMO_USER}: refresh token ${DEMO_REFRESH_TOKEN}`,
      `Service account ${SERVICE_ACCOUNT_EMAIL}: key file via  curl -s ${url}/_emulator/google/service-account > sa.json`,
      `Controls: POST ${url}/_emulator/google/expire-tokens · POST ${url}/_emulator/google/invalidate-sync-tokens · GET ${url}/_emulator/google/channels`,
      'timebridge.yaml:',
      'connections:',
      '  gcal:',
      '    type: google-calendar',
      `    baseUrl: ${url}/calendar/v3`,
      `    tokenUrl: ${url}/token`,
      '    auth:',
      '      type: oauth',
      `      clientId: ${EMULATOR_CLIENT_ID}`,
      `      clientSecret: ${EMULATOR_CLIENT_SECRET}`,
      `      refreshToken: "${DEMO_REFRESH_TOKEN}"`,
      'links:',
      '  gcal-primary:',
      '    connection: gcal',
      '    scope: calendar',
      '    collection: primary',
    ].join('\n'),
};
