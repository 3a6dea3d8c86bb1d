/** Sample calendars for `timebridge demo`: time zones, DST, recurrence with exceptions, all-day, unicode. */

const TZ_BERLIN = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

function calendar(lines: string[], tz = true): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Timebridge//Demo//EN', ...(tz ? TZ_BERLIN : []), ...lines, 'END:VCALENDAR', ''].join('\r\n');
}

const stamp = 'DTSTAMP:20261101T080000Z';

/** Files of the "work" folder: name → content. */
export function workCalendar(): Record<string, string> {
  return {
    'standup.ics': calendar([
      'BEGIN:VEVENT',
      'UID:standup-2026@demo.timebridge',
      stamp,
      'SUMMARY:Daily stand-up',
      'DTSTART;TZID=Europe/Berlin:20261102T093000',
      'DTEND;TZID=Europe/Berlin:20261102T094500',
      'RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20261231T225959Z',
      'EXDATE;TZID=Europe/Berlin:20261225T093000',
      'X-DEMO-TEAM:platform',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:standup-2026@demo.timebridge',
      stamp,
      'RECURRENCE-ID;TZID=Europe/Berlin:20261127T093000',
      'SUMMARY:Daily stand-up (moved: offsite)',
      'DTSTART;TZID=Europe/Berlin:20261127T110000',
      'DTEND;TZID=Europe/Berlin:20261127T111500',
      'END:VEVENT',
    ]),
    'offsite.ics': calendar(
      [
        'BEGIN:VEVENT',
        'UID:offsite-2026@demo.timebridge',
        stamp,
        'SUMMARY:Team offsite in Köln',
        'DTSTART;VALUE=DATE:20261125',
        'DTEND;VALUE=DATE:20261128',
        'LOCATION:Köln, Rheinauhafen',
        'DESCRIPTION:Three days\\, all-day. Bring: laptop\\; charger\\nAgenda follows.',
        'END:VEVENT',
      ],
      false,
    ),
    'dst-switch.ics': calendar([
      'BEGIN:VEVENT',
      'UID:night-shift@demo.timebridge',
      stamp,
      'SUMMARY:Night shift across the DST switch',
      'DTSTART;TZID=Europe/Berlin:20261024T220000',
      'DTEND;TZID=Europe/Berlin:20261025T060000',
      'END:VEVENT',
    ]),
    'review.ics': calendar(
      [
        'BEGIN:VEVENT',
        'UID:review@demo.timebridge',
        stamp,
        'SUMMARY:Quarterly review 📈 — 日本チーム',
        'DTSTART:20261203T130000Z',
        'DTEND:20261203T150000Z',
        'END:VEVENT',
      ],
      false,
    ),
  };
}

/** Files of the "phone" folder: one event also in "work" (adopted, not duplicated) and one of its own. */
export function phoneCalendar(): Record<string, string> {
  const work = workCalendar();
  return {
    'offsite-copy.ics': work['offsite.ics']!,
    'dentist.ics': calendar([
      'BEGIN:VEVENT',
      'UID:dentist@phone.example',
      stamp,
      'SUMMARY:Dentist',
      'DTSTART;TZID=Europe/Berlin:20261130T083000',
      'DURATION:PT45M',
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      'DESCRIPTION:Dentist',
      'TRIGGER:-PT30M',
      'END:VALARM',
      'END:VEVENT',
    ]),
  };
}

/**
 * Remote systems of the demo, run by their emulators: the demo starts each on a free port,
 * keeps its data in emulators/<name>.bin, and points the connection at it with the
 * config override named here (the address in the file is only a placeholder).
 */
export const DEMO_EMULATORS: { system: string; overrides: (url: string) => Record<string, string> }[] = [
  {
    system: 'google',
    overrides: (url) => ({
      TIMEBRIDGE_CONNECTIONS__GOOGLE__BASEURL: `${url}/calendar/v3`,
      TIMEBRIDGE_CONNECTIONS__GOOGLE__TOKENURL: `${url}/token`,
      TIMEBRIDGE_CONNECTIONS__FIRM__BASEURL: `${url}/calendar/v3`,
      TIMEBRIDGE_CONNECTIONS__FIRM__TOKENURL: `${url}/token`,
    }),
  },
  { system: 'kimai', overrides: (url) => ({ TIMEBRIDGE_CONNECTIONS__KIMAI__URL: url }) },
  { system: 'tempo', overrides: (url) => ({ TIMEBRIDGE_CONNECTIONS__AGENCY__URL: url, TIMEBRIDGE_CONNECTIONS__AGENCY__JIRA__URL: url }) },
  { system: 'jira', overrides: (url) => ({ TIMEBRIDGE_CONNECTIONS__CLIENT__URL: url }) },
  { system: 'github', overrides: (url) => ({ TIMEBRIDGE_CONNECTIONS__GITHUB__APIURL: url }) },
  { system: 'advoware', overrides: (url) => ({ TIMEBRIDGE_CONNECTIONS__ADVOWARE__URL: `${url}/` }) },
  { system: 'slack', overrides: (url) => ({ TIMEBRIDGE_CONNECTIONS__SLACK__APIURL: `${url}/api/` }) },
];

/** The demo's Slack users mapped to hub persons of the Slack connection's scope (their Slack id set on the person found by username). */
export const DEMO_SLACK_USERS = [{ username: 'devon', slackId: 'U0DEVON' }];

/** The demo's GitHub side: the emulator's repository, its webhook secret, and the hub person whose GitHub login its issues are assigned to. */
export const DEMO_GITHUB = {
  repo: 'acme/webshop',
  secret: 'demo-github-webhook-secret-change-me',
  scope: 'dev',
  person: { name: 'Devon Park', email: 'devon@example.com', username: 'devon', timeZone: 'Europe/Berlin', active: true, githubLogin: 'devon-park' },
};

/** The attendance scope's people (made by the demo through the hub's records) and the reservations it books through moffman's operation: offset days from today. */
export const DEMO_OFFICE_PEOPLE = [
  { name: 'Eva Svoboda', email: 'eva@example.com' },
  { name: 'Ann Novak', email: 'ann@example.com' },
  { name: 'Petr Dvořák', email: 'petr@example.com' },
];
export const DEMO_RESERVATIONS: { email: string; office: string; fromDay: number; days: number; approved: boolean }[] = [
  { email: 'ann@example.com', office: 'prague', fromDay: 1, days: 2, approved: true },
  { email: 'petr@example.com', office: 'brno', fromDay: 2, days: 1, approved: false },
  { email: 'ann@example.com', office: 'brno', fromDay: 7, days: 1, approved: false },
];

/** The demo's dashboard user: Kimai's demo user "anna", pulled in as a person of scope "hours" (see DEMO_CONFIG's booking rules). */
export const DEMO_USER = 'anna';
export const DEMO_USER_SCOPE = 'hours';

export const DEMO_CONFIG = `# Demo workspace written by \`timebridge demo\` (npm start): two .ics folders, plus a
# Google account, a Kimai instance, and two Jira sites (one with Tempo) run by their
# emulators (\`timebridge emulate …\`).
store:
  path: hub.sqlite
serve:
  port: 8787                 # npm start serves the API here
  webhookGraceMs: 500        # a burst of webhooks within this becomes one run
  dataRoot: users            # a user's own .ics folders live in users/<user>/
connections:
  work:
    type: ics-folder
    path: calendars/work
    create: true
    webhook:                 # POST /webhooks/ics-folder/work, signed with this secret
      secret: demo-webhook-secret-change-me
  phone:
    type: ics-folder
    path: calendars/phone
    create: true
  # The demo starts the emulators and sets these addresses to their ports on every start.
  google:
    type: google-calendar
    baseUrl: http://127.0.0.1:8791/calendar/v3
    tokenUrl: http://127.0.0.1:8791/token
    auth: &google-account   # the same account again below (firm)
      type: oauth
      clientId: timebridge-emulator.apps.googleusercontent.com
      clientSecret: emulator-client-secret
      refreshToken: 1//emu-demo-refresh-token-alice
      account: alice@example.com
    create: { summary: Worklogs, timeZone: Europe/Berlin }
  kimai:
    type: kimai
    url: http://127.0.0.1:8792
    token: kimai-demo-admin-token
  # An agency's Jira with Tempo, and its client's plain Jira: worklogs are replicated both ways.
  agency:
    type: tempo
    url: http://127.0.0.1:8793
    token: tempo-demo-token-0123456789
    jira: { url: "http://127.0.0.1:8793", email: ada@example.com, token: jira-demo-token-0123456789 }
  client:
    type: jira
    url: http://127.0.0.1:8794
    email: ada@example.com
    token: jira-demo-token-0123456789
  # A GitHub repository: its issues become tasks of scope dev; an assignment starts the assignee's timer.
  github:
    type: github
    repo: acme/webshop
    apiUrl: http://127.0.0.1:8795
    token: ghp_timebridgeEmulatorToken0001
    autoStartTimer: true
    webhook:                 # POST /webhooks/github/github, as GitHub signs it (X-Hub-Signature-256)
      secret: demo-github-webhook-secret-change-me
  # A law firm's Advoware: each employee's appointments ⇄ a Google calendar AW-<Kürzel> of
  # their own (linkTemplates below), made on first use and shared with the firm's account.
  advoware:
    type: advoware
    url: http://127.0.0.1:8797/
    appId: hub-app
    apiKey: ZW11bGF0b3Itc2VjcmV0
    kanzlei: DEMO
    database: DEMO_DB
    user: ADMIN
    password: demo-pass
  firm:
    type: google-calendar
    baseUrl: http://127.0.0.1:8791/calendar/v3
    tokenUrl: http://127.0.0.1:8791/token
    auth: *google-account
    create: { timeZone: Europe/Berlin, shareWith: [{ email: kanzlei@example.com, role: owner }] }
  # A Slack workspace for scope dev: /tt at POST /chat/slack/slack; timer starts and stops (a GitHub
  # assignment's too) announced in #timers (C0TIMERS); a daily summary to each person at 18:00.
  slack:
    type: slack
    apiUrl: http://127.0.0.1:8796/api/
    botToken: xoxb-emulator-bot-token
    signingSecret: emulator-signing-secret-0123456789abcdef
    scope: dev
    noticeChannel: C0TIMERS
    dailySummary: { enabled: true, at: '18:00' }
links:
  # Kimai's customers, projects, activities and users come first: timesheets refer to them.
  kimai-customers: { connection: kimai, scope: kimai, externalKind: customer, direction: pull }
  kimai-projects: { connection: kimai, scope: kimai, externalKind: project, direction: pull }
  kimai-activities: { connection: kimai, scope: kimai, externalKind: activity, direction: pull }
  kimai-users: { connection: kimai, scope: kimai, externalKind: user, direction: pull }
  kimai-timesheets:
    connection: kimai
    scope: worklogs
    externalKind: timesheet
    window: { pastDays: 31, futureDays: 31 }
  # Kimai's timesheets as events in a Google calendar "Worklogs" (made on first use), marked as exports.
  # A one-way copy (google-export's default, direction: mirror): an event moved or deleted in the calendar is put back.
  google-worklogs:
    connection: google
    scope: worklogs
    collection: Worklogs
    mapper: google-export
  # Kimai's taxonomy once more in the "hours" scope, so Google's events can be booked there on
  # Kimai's projects and activities for Kimai's users (the booking rules below; the records pages).
  hours-customers: { connection: kimai, scope: hours, externalKind: customer, direction: pull }
  hours-projects: { connection: kimai, scope: hours, externalKind: project, direction: pull }
  hours-activities: { connection: kimai, scope: hours, externalKind: activity, direction: pull }
  hours-users: { connection: kimai, scope: hours, externalKind: user, direction: pull }
  # Alice's Google calendar as time entries (timed events, rounded up to 15 minutes).
  google-hours:
    connection: google
    scope: hours
    collection: primary
    externalKind: event-instance
    mapper: google-import
    options: { rounding: { minutes: 15, mode: up }, timeZone: Europe/Berlin }
    direction: pull
    window: { pastDays: 14, futureDays: 14 }
  # Worklog replication agency (Tempo) ↔ hub ↔ client (Jira): issues by key, authors by email.
  agency-users: { connection: agency, scope: replicated, externalKind: user, direction: pull, conflict: hub-wins }
  agency-issues: { connection: agency, scope: replicated, externalKind: issue, collection: DEMO, direction: pull, conflict: hub-wins }
  client-users: { connection: client, scope: replicated, externalKind: user, direction: pull, conflict: hub-wins }
  client-issues: { connection: client, scope: replicated, externalKind: issue, collection: DEMO, direction: pull, conflict: hub-wins }
  agency-worklogs:
    connection: agency
    scope: replicated
    externalKind: worklog
    collection: DEMO
    window: { pastDays: 31, futureDays: 31 }
  client-worklogs: { connection: client, scope: replicated, externalKind: worklog, collection: DEMO }
  # …and the replicated worklogs as events in a Google calendar "Agency worklogs" too.
  google-agency:
    connection: google
    scope: replicated
    collection: Agency worklogs
    mapper: google-export
  work:
    connection: work
    scope: team
    schedule: "*/5 * * * *"  # the service reconciles every 5 minutes
  phone:
    connection: phone
    scope: team
    schedule: "*/5 * * * *"
  # One link per office (see attendance: below): reservations ⇄ all-day events in the office's Google calendar.
  office-prague:
    connection: google
    scope: office
    collection: prague-office@group.calendar.google.com
    externalKind: attendance
    mapper: google-attendance
    options: { office: prague }
  office-brno:
    connection: google
    scope: office
    collection: brno-office@group.calendar.google.com
    externalKind: attendance
    mapper: google-attendance
    options: { office: brno }
  # GitHub issues (pull requests skipped) → tasks of scope dev; the demo opens and assigns one to Devon, which starts his timer.
  github-issues: { connection: github, scope: dev, externalKind: issue }
# One pair of links per Advoware employee (the employee list is read on every sync; an
# employee who leaves has their links disabled, never their calendar deleted).
linkTemplates:
  aw-employees:
    forEach: { connection: advoware }
    links:
      - { name: 'aw-{key}', connection: advoware, collection: '{key}', scope: 'aw-{key}' }
      - { name: 'aw-google-{key}', connection: firm, collection: 'AW-{key}', scope: 'aw-{key}' }
# Office attendance (moffman's reservations): the demo adds the office's people and a few
# reservations; a day Eva put into Prague's calendar by hand becomes an approved reservation,
# whose approval form (drawn by Timebridge) is e-mailed to the demo's SMTP receiver
# (the demo sets its port on every start; received mails are kept in mail/).
attendance:
  scope: office
  offices:
    - { id: prague, name: Prague, calendar: prague-office@group.calendar.google.com, connection: google }
    - { id: brno, name: Brno, calendar: brno-office@group.calendar.google.com, connection: google }
  manualUsers:
    - { email: eva@example.com, name: Eva Svoboda }
  approvals:
    on: [calendar]
    form: { builtin: true }
    mail:
      smtp: { host: 127.0.0.1, port: 2525 }
      from: { hr@example.com: HR }
      to: boss@example.com
# Imported Google events are Anna's (Kimai's user anna, who signs in to the dashboard as
# "anna"): a review is booked on Website/Meeting at once; the others wait on the to-book
# page for a project and an activity.
booking:
  hours:
    - name: reviews
      when: { summary: review }
      set: { person: anna, project: Website, activity: Meeting }
    - name: annas-calendar
      when: { link: google-hours }
      set: { person: anna }
`;
