/**
 * `timebridge demo` (what `npm start` runs): a workspace with two sample calendars in
 * `.ics` folders, synced through the hub — the plan first, then the result. Run it again
 * after editing a file in either folder to watch the change travel.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEMO_CONFIG, DEMO_EMULATORS, DEMO_USER, DEMO_USER_SCOPE, phoneCalendar, workCalendar } from '../../../app/demo-data.js';
import type { Emulator } from '../../../emulators/kit/emulator.js';
import { EMULATORS } from '../../../emulators/registry.js';
import { planLink } from '../../../runtime/run-link.js';
import { syncLinks } from '../../../runtime/sync-links.js';
import { printRun, runDeps, withApp } from '../context.js';
import { formatPlan } from '../format.js';
import { createToken } from '../../../service/tokens.js';
import { serve } from './serve.js';
import { exitCodeOf, formatReconcile } from './sync.js';
import { LinkTemplates } from '../../../app/link-templates.js';
import type { App } from '../../../app/compose.js';
import type { LinkSpec } from '../../../runtime/types.js';
import { attendanceSummary, mailApprovals, seedAttendance, startMailReceiver } from '../demo-attendance.js';
import { linkSlackPersons } from '../demo-slack.js';
import { githubWebhookDemo, seedGithubPerson } from '../demo-github.js';
import { startDemoTimekeeper, timekeeperSummary, type DemoTimekeeper } from '../demo-timekeeper.js';

/** The config's links and the links its templates make (expanded first, as `timebridge sync` does: the Advoware employees). */
async function demoLinks(app: App): Promise<LinkSpec[]> {
  const links = [...app.links.values()];
  const config = app.config.config.linkTemplates;
  if (!app.catalog || !Object.keys(config).length) return links;
  const templates = new LinkTemplates(app.catalog, config, app.clock);
  for (const t of Object.keys(config)) process.stdout.write(formatReconcile(await templates.reconcile(t)) + '\n');
  const have = new Set(links.map((l) => l.name));
  const derived = (await app.catalog.listLinks()).filter((l) => l.derived && l.enabled && !have.has(l.name));
  return [...links, ...(await Promise.all(derived.map((l) => app.catalog!.linkSpec(l))))];
}

function createWorkspace(dir: string): void {
  for (const [folder, files] of [
    ['work', workCalendar()],
    ['phone', phoneCalendar()],
  ] as const) {
    const target = path.join(dir, 'calendars', folder);
    fs.mkdirSync(target, { recursive: true });
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(target, name), text);
  }
  fs.writeFileSync(path.join(dir, 'timebridge.yaml'), DEMO_CONFIG);
}

/**
 * Start the demo's emulators on free ports with their data kept in the workspace; the
 * config overrides point the connections at them.
 */
async function startEmulators(dir: string): Promise<{ env: Record<string, string>; urls: string[]; mailFolder: string; close: () => Promise<void> }> {
  const store = path.join(dir, 'emulators');
  fs.mkdirSync(store, { recursive: true });
  const running: Emulator[] = [];
  const env: Record<string, string> = {};
  const urls: string[] = [];
  // The approvals' SMTP server: a receiver keeping each mail in mail/ (a workspace written before it had one keeps its config).
  const mail = await startMailReceiver(dir);
  Object.assign(env, mail.env);
  for (const { system, overrides } of DEMO_EMULATORS) {
    const file = path.join(store, `${system}.bin`);
    const emulator = await (await EMULATORS[system]!.load()).create({ seed: 1, demo: !fs.existsSync(file) });
    emulator.persist(file);
    const url = await emulator.listen({ port: 0 });
    running.push(emulator);
    urls.push(`${system} ${url}`);
    Object.assign(env, overrides(url));
  }
  return {
    env,
    urls,
    mailFolder: mail.folder,
    close: async () => {
      for (const e of running) await e.close();
      await mail.close();
    },
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('sync two sample .ics folders through the hub (no accounts needed)')
    .option('--dir <path>', 'workspace folder', 'timebridge-demo')
    .option('--serve', 'then start the service on the workspace and print the dashboard URL, an admin token and a user token (what `npm start` does)')
    .option('-p, --port <port>', 'with --serve: port to listen on (0 picks a free one)')
    .option('--no-schedule', 'with --serve: do not reconcile the links every 5 minutes (they still sync on demand and on webhooks)')
    .action(async (o: { dir: string; serve?: boolean; port?: string; schedule: boolean }) => {
      const dir = path.resolve(o.dir);
      const fresh = !fs.existsSync(path.join(dir, 'timebridge.yaml'));
      if (fresh) createWorkspace(dir);
      process.stdout.write(
        fresh
          ? `Created a demo workspace in ${dir}:\n  calendars/work  (4 events: recurring stand-up with an exception and a moved instance, all-day offsite, DST night shift, unicode)\n  calendars/phone (the offsite again, and a dentist appointment)\n  attendance: two offices (Prague, Brno) on the Google emulator's calendars; approval forms mailed to the demo's SMTP receiver (mail/)\n  advoware: three employees' appointments, each two-way with a Google calendar AW-<Kürzel> made and shared on first use\n\n`
          : `Using the demo workspace in ${dir} (delete it to start over).\n\n`,
      );
      const emulators = await startEmulators(dir);
      let tk: DemoTimekeeper | null = null;
      try {
        tk = await startDemoTimekeeper(dir, (line) => process.stdout.write(`${line}\n\n`));
      } catch (err) {
        process.stdout.write(`Timekeeper stand-in: Virtuoso did not start (${String(err)}); going on without it.\n\n`);
      }
      if (tk) Object.assign(emulators.env, tk.env);
      const closeAll = async () => {
        await emulators.close();
        await tk?.close();
      };
      process.stdout.write(
        `Emulated remote systems (their data is kept in ${path.join(o.dir, 'emulators')}): ${[...emulators.urls, ...(tk?.urls ?? [])].join(', ')}\n\n`,
      );
      // The demo ignores TIMEBRIDGE_* overrides (so it behaves the same everywhere) but its own emulator addresses.
      try {
        await withApp(
          { config: path.join(dir, 'timebridge.yaml') },
          async (app) => {
            const deps = runDeps(app);
            const links = await demoLinks(app);
            await seedGithubPerson(app);
            if (fresh && app.config.config.attendance) {
              const booked = await seedAttendance(app);
              process.stdout.write(
                `Office attendance: the office's people added to the hub, and reservations booked as moffman's workflow does (POST /api/v1/reservations):\n${booked.map((l) => `  ${l}\n`).join('')}\n`,
              );
            }
            process.stdout.write(
              'The plan of each link against the hub as it is now (nothing written yet; once "work" has\n' +
                'filled the hub, "phone" adopts the offsite it already has instead of duplicating it):\n',
            );
            for (const link of links) {
              const { plan } = await planLink(link, deps, { trigger: 'demo' });
              deps.done();
              // Before anything ran, a timesheet's project or a worklog's issue is not in the hub yet: say so once, not per item.
              const waiting = plan.actions.filter((a) => a.op === 'error' && a.error?.code === 'REF_UNRESOLVED').length;
              process.stdout.write(
                waiting
                  ? `link ${link.name}: ${waiting === 1 ? '1 item refers' : `${waiting} items refer`} to records (a project, an issue, a user) that the links before it bring into the hub first\n`
                  : formatPlan(link.name, plan) + '\n',
              );
            }
            process.stdout.write('\nSyncing work → hub → phone (links run again while the hub changes):\n');
            const results = await syncLinks(links, deps, { trigger: 'demo' }, printRun(deps));
            // A manual event's reservation is written back into its event (marker, title, colour) by the office link's next run: run it now.
            const office = app.config.config.attendance?.scope;
            const wroteBack = links.filter((l) => l.scope === office && results.some((r) => r.run.linkId === l.id && r.hubWrites > 0));
            if (wroteBack.length) results.push(...(await syncLinks(wroteBack, deps, { trigger: 'demo' }, printRun(deps))));
            const mailed = await mailApprovals(app, results, { ...process.env, ...emulators.env });
            const slackLinked = await linkSlackPersons(app);
            const counts = await Promise.all(
              ['kimai', 'worklogs', 'hours', 'replicated'].map(async (scope) => {
                const kinds = {
                  kimai: ['customer', 'project', 'activity', 'person'],
                  worklogs: ['timeEntry'],
                  hours: ['timeEntry'],
                  replicated: ['timeEntry'],
                }[scope] as ('customer' | 'project' | 'activity' | 'person' | 'timeEntry')[];
                let n = 0;
                for (const kind of kinds) n += (await app.store.listScope(scope, kind)).filter((r) => !r.tombstone).length;
                return `${scope}: ${n}`;
              }),
            );
            process.stdout.write(
              `\nHub records — ${counts.join(', ')} (Kimai's taxonomy; Kimai timesheets, also exported to Google's "Worklogs" calendar; Google events imported as hours; worklogs replicated between the agency's Tempo and the client's Jira, and shown in Google's "Agency worklogs" calendar)`,
            );
            for (const folder of ['work', 'phone']) {
              const files = fs.readdirSync(path.join(dir, 'calendars', folder)).filter((f) => f.endsWith('.ics'));
              process.stdout.write(`\ncalendars/${folder}: ${files.length} events (${files.sort().join(', ')})`);
            }
            for (const line of await attendanceSummary(app)) process.stdout.write(`\n${line}`);
            if (tk) process.stdout.write(`\n${await timekeeperSummary(app, tk)}`);
            if (slackLinked.length) process.stdout.write(`\nSlack: hub persons given the Slack emulator's user ids (${slackLinked.join(', ')})`);
            if (app.config.config.attendance?.approvals) {
              const mails = fs.readdirSync(emulators.mailFolder).filter((f) => f.endsWith('.eml'));
              process.stdout.write(
                `\napproval e-mails: ${mailed.length} sent now (${mailed.join(', ') || 'no new approvals'}); the demo's SMTP receiver holds ${mails.length} in ${path.join(o.dir, 'mail')} (${mails.sort().join(', ')})`,
              );
            }
            if (!o.serve) {
              process.stdout.write(
                `\n\nNext: edit or delete a file in ${path.join(o.dir, 'calendars')} and run \`timebridge demo\` again;\n` +
                  `or look around: npx timebridge --config ${path.join(o.dir, 'timebridge.yaml')} status | runs | plan\n`,
              );
            }
            process.exitCode = exitCodeOf(results);
          },
          emulators.env,
        );
      } catch (err) {
        await closeAll();
        throw err;
      }
      if (!o.serve) {
        await closeAll();
        return;
      }
      process.exitCode = undefined;
      const config = path.join(dir, 'timebridge.yaml');
      try {
        await serve(
          { config },
          {
            ...(o.port !== undefined ? { port: o.port } : {}),
            worker: true,
            scheduler: o.schedule,
            // Virtuoso is a child process: stopped with the service (the emulators live in this process).
            onStop: async () => {
              await tk?.close();
            },
            announce: async (url, svc) => {
              const { token } = await createToken(svc.store, { userId: 'demo-admin', role: 'admin', label: 'made by timebridge demo --serve' });
              // Kimai's demo user anna arrives as a person of scope hours (DEMO_CONFIG): her token shows the records pages as a person sees them.
              const user = await createToken(svc.store, { userId: DEMO_USER, role: 'user', label: 'made by timebridge demo --serve' });
              process.stdout.write(
                `\n\nTimebridge is serving the demo workspace at ${url}\n` +
                  `  dashboard:      ${url}/  (sign in with a token below)\n` +
                  `  API reference:  ${url}/docs\n` +
                  `  admin token:    ${token}\n` +
                  `  user token:     ${user.token}  (${DEMO_USER}, a person of scope ${DEMO_USER_SCOPE}: her time entries, timer, to-book and timesheet)\n` +
                  `  try:            curl -H 'Authorization: Bearer ${token}' ${url}/api/v1/links\n` +
                  `  sync a link:    curl -X POST -H 'Authorization: Bearer ${token}' '${url}/api/v1/links/work/sync?wait=true'\n` +
                  `  webhook:        POST ${url}/webhooks/ics-folder/work, signed with the secret in ${config}\n` +
                  `  slack:          /tt at POST ${url}/chat/slack/slack; a timer start or stop is announced in #timers: GET ${emulators.urls.find((u) => u.startsWith('slack '))?.slice(6) ?? '<slack emulator>'}/_emulator/slack/messages\n` +
                  (tk
                    ? `  timekeeper:     SPARQL at ${tk.virtuoso.sparqlUrl}; the delta notifier's change sets go to POST ${url}/delta (from loopback, no token)\n`
                    : '') +
                  `Edit a file in ${path.join(o.dir, 'calendars')}${o.schedule ? '; the links also reconcile every 5 minutes' : ''}. Ctrl-C stops the service.\n`,
              );
              const github = emulators.env.TIMEBRIDGE_CONNECTIONS__GITHUB__APIURL;
              if (github) {
                const lines = await githubWebhookDemo(github, url).catch((err: unknown) => [
                  `GitHub: the demo's issue could not be delivered (${String(err)})`,
                ]);
                process.stdout.write(`\n${lines.join('\n')}\n`);
              }
            },
          },
          emulators.env,
        );
      } catch (err) {
        await tk?.close();
        throw err;
      }
    });
}
