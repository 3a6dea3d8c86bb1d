/**
 * `timebridge timer start|stop|status|discard` and `timebridge timesheet
 * show|submit|reopen|lock`: timers and timesheets on the local store, acting as the local
 * admin (origin `cli:<OS user>`). They change the hub only; `timebridge sync` carries the
 * change to the links (`timesheet lock --sync` runs the scope's links right away).
 */
import os from 'node:os';
import type { Command } from 'commander';
import type { App } from '../../../app/compose.js';
import { monthSchema } from '../../../core/fields/timesheet.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { HubRecord } from '../../../core/model.js';
import { lockCarriers, lockMonth, type LockReport } from '../../../runtime/month-lock.js';
import { HubRecords } from '../../../runtime/records.js';
import { syncLinks } from '../../../runtime/sync-links.js';
import { discardTimer, findPerson, startTimer, stopTimer, timerStatus, type TimekeepingDeps } from '../../../runtime/timers.js';
import { reopenTimesheet, showTimesheet, submitTimesheet } from '../../../runtime/timesheets.js';
import { printRun, runDeps, withApp, type GlobalOpts } from '../context.js';
import { exitCodeOf } from './sync.js';

const SYNC_HINT = 'run `timebridge sync` to carry it to the links';

const actor = () => ({ origin: `cli:${os.userInfo().username}` });
const deps = (app: App): TimekeepingDeps => ({ store: app.store, records: new HubRecords(app.store, app.clock) });
const out = (line: string) => process.stdout.write(`${line}\n`);

/** 1:05 for 3900 seconds. */
export function hoursMinutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
}

const entryLine = (e: HubRecord) =>
  `  ${String(e.fields.date)}  ${hoursMinutes(Number(e.fields.durationSeconds ?? 0))}  ${e.fields.description ? String(e.fields.description) : '(no description)'}${e.fields.exported === true ? '  [exported]' : ''}  ${e.id}`;

function month(value: string): string {
  if (!monthSchema.safeParse(value).success) throw new TimebridgeError('REQUEST_INVALID', `--month ${value} is not YYYY-MM`, { hint: 'e.g. --month 2026-03' });
  return value;
}

interface PersonOpts {
  scope: string;
  person: string;
}

function registerTimer(program: Command): void {
  const timer = program.command('timer').description("a person's running timer: start, stop (makes the time entry), status, discard");
  const each = (name: string, description: string) =>
    timer
      .command(name)
      .description(description)
      .requiredOption('--scope <scope>', 'hub scope')
      .requiredOption('--person <person>', 'the person: hub id, username or e-mail');

  each('start', 'start a timer (a running one is stopped first and its entry made)')
    .option('--project <id>', 'hub id of the project')
    .option('--activity <id>', 'hub id of the activity')
    .option('--task <id>', 'hub id of the task')
    .option('--description <text>', 'what the time is for')
    .action(async (o: PersonOpts & { project?: string; activity?: string; task?: string; description?: string }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const d = deps(app);
        const p = await findPerson(app.store, o.scope, o.person);
        const r = await startTimer(d, {
          scope: o.scope,
          personId: p.id,
          projectId: o.project ?? null,
          activityId: o.activity ?? null,
          taskId: o.task ?? null,
          description: o.description ?? null,
          actor: actor(),
          now: app.clock(),
        });
        if (r.stopped) out(`stopped the running timer: time entry ${r.stopped.entry.id} (${hoursMinutes(Number(r.stopped.entry.fields.durationSeconds))})`);
        out(`timer started for ${String(p.fields.name ?? p.id)} at ${String(r.timer.fields.start)} (timer ${r.timer.id}); ${SYNC_HINT}`);
      });
    });

  each('stop', 'stop the running timer and make its time entry').action(async (o: PersonOpts, cmd: Command) => {
    await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
      const p = await findPerson(app.store, o.scope, o.person);
      const r = await stopTimer(deps(app), { scope: o.scope, personId: p.id, actor: actor(), now: app.clock() });
      out(
        `timer stopped: time entry ${r.entry.id} on ${String(r.entry.fields.date)}, ${hoursMinutes(Number(r.entry.fields.durationSeconds))} (${Number(r.entry.fields.durationSeconds)} s); ${SYNC_HINT}`,
      );
    });
  });

  each('status', 'show the running timer, if any').action(async (o: PersonOpts, cmd: Command) => {
    await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
      const p = await findPerson(app.store, o.scope, o.person);
      const s = await timerStatus(deps(app), o.scope, p.id, app.clock());
      if (!s.timer) out(`no timer running for ${String(p.fields.name ?? p.id)}`);
      else
        out(
          `timer running for ${String(p.fields.name ?? p.id)} since ${String(s.timer.fields.start)} (${hoursMinutes(s.elapsedSeconds)})${s.timer.fields.description ? `: ${String(s.timer.fields.description)}` : ''}`,
        );
    });
  });

  each('discard', 'throw the running timer away without making an entry').action(async (o: PersonOpts, cmd: Command) => {
    await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
      const p = await findPerson(app.store, o.scope, o.person);
      const t = await discardTimer(deps(app), { scope: o.scope, personId: p.id, actor: actor() });
      out(`timer ${t.id} discarded (started ${String(t.fields.start)}); no time entry was made`);
    });
  });
}

function printLock(scope: string, r: LockReport, carriers: string[]): void {
  out(`${scope}: ${r.locked.length} locked, ${r.skipped.length} skipped, ${r.failed.length} failed`);
  for (const l of r.locked) out(`  locked timesheet ${l.timesheetId} of person ${l.personId}: ${l.entries.length} entries, ${l.exported.length} to export`);
  for (const s of r.skipped) out(`  skipped timesheet ${s.timesheetId} of person ${s.personId}: ${s.state}, ${s.reason}`);
  for (const f of r.failed) out(`  failed timesheet ${f.timesheetId} of person ${f.personId}: ${f.error.message}; lock again`);
  if (carriers.length) out(`  carried out by ${carriers.join(', ')}`);
}

async function lock(app: App, o: { scope?: string; month: string; sync?: boolean }): Promise<number> {
  const links = [...app.links.values()];
  const scopes = o.scope ? [o.scope] : [...new Set(links.map((l) => l.scope))];
  const locked: string[] = [];
  for (const scope of scopes) {
    if (!o.scope && !(await app.store.listScope(scope, 'timesheet')).some((t) => !t.tombstone && t.fields.month === o.month)) continue;
    const inScope = links.filter((l) => l.scope === scope);
    const { linkIds, attach } = lockCarriers(inScope.map((l) => ({ id: l.id, kind: l.kind, holds: l.mapper.holds })));
    const [y, m] = o.month.split('-').map(Number) as [number, number];
    const report = await lockMonth({ store: app.store, scope, year: y, month: m, linkIds, attach, origin: actor().origin, now: app.clock() });
    printLock(
      scope,
      report,
      inScope.filter((l) => linkIds.includes(l.id)).map((l) => l.name),
    );
    locked.push(scope);
  }
  if (!locked.length) out(`no timesheets of ${o.month}${o.scope ? ` in scope ${o.scope}` : ''}`);
  if (!o.sync) {
    if (locked.length) out(SYNC_HINT);
    return 0;
  }
  const d = runDeps(app);
  const results = await syncLinks(
    links.filter((l) => locked.includes(l.scope)),
    d,
    { trigger: 'cli:timesheet-lock', full: false, allowDeletes: false, retryParked: false },
    printRun(d),
  );
  d.done();
  return exitCodeOf(results);
}

function registerTimesheet(program: Command): void {
  const sheet = program.command('timesheet').description("a person's timesheet of a month: show, submit, reopen; lock a month (admins)");
  const each = (name: string, description: string) =>
    sheet
      .command(name)
      .description(description)
      .requiredOption('--scope <scope>', 'hub scope')
      .requiredOption('--month <YYYY-MM>', 'the month')
      .requiredOption('--person <person>', 'the person: hub id, username or e-mail');

  each('show', "show the month's state, time entries and total").action(async (o: PersonOpts & { month: string }, cmd: Command) => {
    await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
      const p = await findPerson(app.store, o.scope, o.person);
      const v = await showTimesheet(deps(app), o.scope, p.id, month(o.month));
      out(`${String(p.fields.name ?? p.id)}, ${v.month}: ${v.state}${v.timesheet ? '' : ' (never submitted)'}`);
      for (const e of v.entries) out(entryLine(e));
      out(`total ${hoursMinutes(v.totalSeconds)} in ${v.entries.length} ${v.entries.length === 1 ? 'entry' : 'entries'}`);
    });
  });

  const change = (name: 'submit' | 'reopen', description: string) =>
    each(name, description).action(async (o: PersonOpts & { month: string; absence?: boolean }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const p = await findPerson(app.store, o.scope, o.person);
        const req = { scope: o.scope, personId: p.id, month: month(o.month), absence: o.absence ?? false, actor: actor() };
        const r = name === 'submit' ? await submitTimesheet(deps(app), req) : await reopenTimesheet(deps(app), req);
        const state = r.timesheet ? String(r.timesheet.fields.state) : 'draft';
        out(
          r.changed ? `timesheet of ${String(p.fields.name ?? p.id)}, ${o.month}: now ${state}; ${SYNC_HINT}` : `timesheet of ${o.month} is already ${state}`,
        );
      });
    });
  change('submit', 'submit the month (draft → submitted)').option('--absence', 'the month has only absences (→ absence-submitted)');
  change('reopen', 'reopen a submitted month (→ draft); an exported month is final');

  sheet
    .command('lock')
    .description('lock a month: submitted timesheets become exported and their entries exported (carried out by the links that hold the flag, e.g. Kimai)')
    .option('--scope <scope>', 'hub scope (default: every scope with timesheets of the month)')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option('--sync', "run the scopes' links right away, as `timebridge sync` does")
    .action(async (o: { scope?: string; month: string; sync?: boolean }, cmd: Command) => {
      const code = await withApp(cmd.optsWithGlobals<GlobalOpts>(), (app) => lock(app, { ...o, month: month(o.month) }));
      process.exitCode = code;
    });
}

export function registerTimekeeping(program: Command): void {
  registerTimer(program);
  registerTimesheet(program);
}
