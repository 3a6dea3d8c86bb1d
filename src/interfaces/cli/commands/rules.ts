/** `timebridge rules list|to-book|test|apply`: booking rules and the entries waiting to be booked (app/booking-desk.ts). */
import type { Command } from 'commander';
import { BookingDesk } from '../../../app/booking-desk.js';
import type { App } from '../../../app/compose.js';
import { Scopes } from '../../../app/scopes.js';
import type { BookingRule } from '../../../core/booking.js';
import { TimebridgeError } from '../../../core/errors.js';
import { canPush } from '../../../core/policy.js';
import { HubRecords } from '../../../runtime/records.js';
import { withApp, type GlobalOpts } from '../context.js';
import { EXIT } from '../exit-codes.js';

const print = (json: boolean | undefined, data: unknown, text: () => string) => process.stdout.write((json ? JSON.stringify(data, null, 2) : text()) + '\n');

/** The CLI reads the config file's rules and those stored through the API; it writes records as `rule:<name>`. */
export function bookingDeskOf(app: App): BookingDesk {
  const links = { listLinks: async () => [...app.links.values()].map((l) => ({ owner: null, config: { scope: l.scope } })) };
  return new BookingDesk(
    app.store,
    new Scopes(app.store, links, app.clock),
    { fileRules: (scope) => app.config.config.booking[scope] ?? [] },
    new HubRecords(app.store, app.clock),
  );
}

/** Scopes where a link pushes time entries somewhere: there, an unbooked entry waits for its booking. */
export function bookingScopes(app: App, linkIds: Set<string>): string[] {
  return [...new Set([...app.links.values()].filter((l) => linkIds.has(l.id) && l.kind === 'timeEntry' && canPush(l.policy)).map((l) => l.scope))].sort();
}

/** After a sync: one line per scope with entries waiting to be booked, so a clean exit never hides them. */
export async function printToBook(app: App, linkIds: Set<string>): Promise<void> {
  const desk = bookingDeskOf(app);
  for (const scope of bookingScopes(app, linkIds)) {
    const n = (await desk.toBook(scope)).length;
    if (n) process.stdout.write(`${n} ${n === 1 ? 'entry waits' : 'entries wait'} to be booked: timebridge rules to-book --scope ${scope}\n`);
  }
}

const describeRule = (r: BookingRule): string => `${r.name}: when ${JSON.stringify(r.when)} set ${JSON.stringify(r.set)}`;

function scopeOf(app: App, scope: string | undefined): string {
  const scopes = [...new Set([...app.links.values()].map((l) => l.scope))].sort();
  if (scope) return scope;
  if (scopes.length === 1) return scopes[0]!;
  throw new TimebridgeError('REQUEST_INVALID', 'name the scope with --scope', { hint: `scopes of this config: ${scopes.join(', ') || '(none)'}` });
}

export function registerRules(program: Command): void {
  const rules = program.command('rules').description('booking rules: who, which project and activity imported time entries are booked on');
  const run = (cmd: Command, fn: (app: App) => Promise<number | void>) =>
    withApp(cmd.optsWithGlobals<GlobalOpts>(), fn).then((code) => {
      if (typeof code === 'number') process.exitCode = code;
    });

  rules
    .command('list')
    .description("a scope's booking rules in the order they are tried (timebridge.yaml's, then the API's)")
    .option('--scope <scope>', 'the hub scope')
    .option('--json', 'print JSON')
    .action((o: { scope?: string; json?: boolean }, cmd: Command) =>
      run(cmd, async (app) => {
        const r = await bookingDeskOf(app).rules(scopeOf(app, o.scope));
        print(o.json, r, () =>
          [
            `booking rules of scope ${r.scope} (first match wins):`,
            ...r.file.map((x, i) => `  ${i + 1}. [timebridge.yaml] ${describeRule(x)}`),
            ...r.api.map((x, i) => `  ${r.file.length + i + 1}. [api] ${describeRule(x)}`),
            ...(r.file.length + r.api.length ? [] : ['  (none)']),
            ...r.problems.map((p) => `  warning: ${p}`),
          ].join('\n'),
        );
      }),
    );

  rules
    .command('to-book')
    .description('time entries waiting to be booked (no person or project, or activity where the scope has activities)')
    .option('--scope <scope>', 'the hub scope')
    .option('--json', 'print JSON')
    .action((o: { scope?: string; json?: boolean }, cmd: Command) =>
      run(cmd, async (app) => {
        const scope = scopeOf(app, o.scope);
        const waiting = await bookingDeskOf(app).toBook(scope);
        const rows = waiting.map((w) => ({
          id: w.record.id,
          date: w.record.fields.date,
          description: w.record.fields.description ?? null,
          missing: w.missing,
          rule: w.rule,
        }));
        print(o.json, rows, () =>
          rows.length
            ? [
                `${rows.length} ${rows.length === 1 ? 'entry waits' : 'entries wait'} to be booked in scope ${scope}:`,
                ...rows.map(
                  (r) =>
                    `  ${r.id}  ${String(r.date)}  ${String(r.description ?? '(no description)')}  — no ${r.missing.join(', no ')}${r.rule ? `; rule "${r.rule}" books it now: timebridge rules apply --scope ${scope}` : ''}`,
                ),
              ].join('\n')
            : `no entry waits to be booked in scope ${scope}`,
        );
      }),
    );

  rules
    .command('test')
    .description('which rule books a time entry, what it sets, and why the other rules do not')
    .argument('<entry>', 'hub id of the time entry')
    .option('--json', 'print JSON')
    .action((id: string, o: { json?: boolean }, cmd: Command) =>
      run(cmd, async (app) => {
        const entry = (await app.store.getRecords([id]))[0];
        if (!entry || entry.tombstone)
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `no hub record ${id}`, { hint: 'list entries with `timebridge rules to-book`' });
        const t = await bookingDeskOf(app).test(entry);
        print(o.json, t, () =>
          [
            `${id}: ${String(entry.fields.description ?? '(no description)')} (${String(entry.fields.date)})`,
            t.missing.length ? `  lacks: ${t.missing.join(', ')}` : '  booked: it lacks nothing a rule sets',
            t.rule ? `  booked by rule "${t.rule}": sets ${JSON.stringify(t.rules.find((r) => r.name === t.rule)!.sets)}` : '  no rule books it',
            ...t.rules
              .filter((r) => r.name !== t.rule)
              .map(
                (r) =>
                  `  rule "${r.name}": ${r.problem ?? (r.mismatch ? `does not match (${r.mismatch})` : t.rule ? 'matches, but an earlier rule wins' : 'matches, but the entry lacks nothing')}`,
              ),
          ].join('\n'),
        );
      }),
    );

  rules
    .command('apply')
    .description('book the waiting entries of a scope with the current rules (as hub changes, so the next sync pushes them)')
    .option('--scope <scope>', 'the hub scope')
    .option('--json', 'print JSON')
    .action((o: { scope?: string; json?: boolean }, cmd: Command) =>
      run(cmd, async (app) => {
        const scope = scopeOf(app, o.scope);
        const r = await bookingDeskOf(app).apply(scope);
        print(o.json, r, () =>
          [
            `booked ${r.booked.length} ${r.booked.length === 1 ? 'entry' : 'entries'} in scope ${scope}${r.booked.length ? '; `timebridge sync` pushes them' : ''}`,
            ...r.booked.map((b) => `  ${b.id}: rule "${b.rule}"`),
            ...(r.waiting ? [`${r.waiting} still wait to be booked: timebridge rules to-book --scope ${scope}`] : []),
            ...r.failed.map((f) => `  failed ${f.id}: ${f.error}`),
          ].join('\n'),
        );
        return r.failed.length ? EXIT.PARTIAL : EXIT.OK;
      }),
    );
}
