/** `timebridge sync [link…]`: run links now and print what each run did. */
import type { Command } from 'commander';
import { syncLinks } from '../../../runtime/sync-links.js';
import { EXIT } from '../exit-codes.js';
import { printToBook } from './rules.js';
import { printRun, runDeps, selectLinks, withApp, type GlobalOpts } from '../context.js';
import type { RunResult } from '../../../runtime/run-link.js';
import type { HubStore } from '../../../store/types.js';
import type { App } from '../../../app/compose.js';
import { LinkTemplates, type ReconcileResult } from '../../../app/link-templates.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { LinkSpec } from '../../../runtime/types.js';

/** The worst status among each link's last run (a link run again later in the same sync counts as it ended): failed, then stopped by a guard, then partial. */
export function exitCodeOf(all: RunResult[]): number {
  const results = [...new Map(all.map((r) => [r.run.linkId, r])).values()];
  if (results.some((r) => r.run.status === 'failed')) return EXIT.ERROR;
  if (results.some((r) => r.run.status === 'stopped')) return EXIT.GUARD;
  if (results.some((r) => r.run.status === 'partial')) return EXIT.PARTIAL;
  return EXIT.OK;
}

/** Items left parked after the sync: one line, so a clean exit never hides them. */
async function printParked(store: HubStore, linkIds: string[]): Promise<void> {
  let n = 0,
    locked = 0;
  for (const id of linkIds) {
    const parked = await store.listParked(id);
    n += parked.length;
    locked += parked.filter((p) => p.code === 'PERIOD_LOCKED').length;
  }
  if (!n) return;
  const why = locked === 0 ? 'rejected by the server' : locked === n ? 'in a locked period' : 'rejected by the server, or in a locked period';
  process.stdout.write(
    `${n} ${n === 1 ? 'item' : 'items'} parked (${why}); \`timebridge status\` names them, ` + '`timebridge sync --retry-parked` tries them again\n',
  );
}

interface SyncOpts {
  full?: boolean;
  allowDeletes?: boolean;
  retryParked?: boolean;
  json?: boolean;
  template?: string;
  only: string[];
}

const collect = (v: string, acc: string[]) => [
  ...acc,
  ...v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/**
 * The named links; or a template's links after expanding it (`--template`, `--only`); or, with
 * no names, every link — the templates expanded first, so a new collection is synced at once.
 */
async function linksToSync(app: App, names: string[], o: SyncOpts): Promise<LinkSpec[]> {
  if (o.only.length && !o.template) throw usage('--only needs --template', 'name the template: timebridge sync --template <name> --only <key>');
  if (o.template && names.length) throw usage('give link names or --template, not both', 'run them as two commands');
  if (names.length || (!o.template && !Object.keys(app.config.config.linkTemplates).length)) return selectLinks(app, names);
  const templates = new LinkTemplates(app.catalog!, app.config.config.linkTemplates, app.clock);
  const expand = o.template ? [o.template] : Object.keys(templates.templates);
  for (const t of expand) {
    if (o.template) templates.get(t);
    try {
      if (!o.json) process.stdout.write(formatReconcile(await templates.reconcile(t)) + '\n');
      else await templates.reconcile(t);
    } catch (err) {
      // With --template the expansion is the point; in a plain sync, the links already derived still run.
      if (o.template) throw err;
      process.stderr.write(`timebridge: template ${t} was not expanded: ${(err as Error).message}; its links stay as they were\n`);
    }
  }
  const derived = (await app.catalog!.listLinks()).filter((l) => l.derived && l.enabled && (!o.template || l.derived.template === o.template));
  const picked = o.only.length ? derived.filter((l) => o.only.includes(l.derived!.key) || o.only.includes(l.derived!.name)) : derived;
  if (o.only.length && !picked.length)
    throw usage(
      `template ${o.template} has no enabled link of ${o.only.join(', ')}`,
      `use a key or name of: ${derived.map((l) => `${l.derived!.key} (${l.derived!.name})`).join(', ') || '(none)'}`,
    );
  const specs = await Promise.all(picked.map((l) => app.catalog!.linkSpec(l)));
  return o.template ? specs : [...Object.keys(app.config.config.links).map((n) => app.links.get(n)!), ...specs];
}

function usage(message: string, hint: string): TimebridgeError {
  return new TimebridgeError('REQUEST_INVALID', message, { hint });
}

export function formatReconcile(r: ReconcileResult): string {
  const parts = [`template ${r.template}: ${r.collections} collections`];
  if (r.created.length) parts.push(`new links ${r.created.join(', ')}`);
  if (r.enabled.length) parts.push(`enabled again ${r.enabled.join(', ')}`);
  if (r.updated.length) parts.push(`updated ${r.updated.join(', ')}`);
  for (const d of r.disabled) parts.push(`disabled ${d.name} (${d.reason})`);
  return [parts.join('; '), ...r.problems.map((p) => `  not made: ${p}`)].join('\n');
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync links now (all links when none is named)')
    .argument('[links...]', 'names of links to sync')
    .option('--full', 'reconcile the whole hub scope instead of reading the change log')
    .option('--allow-deletes', 'confirm deletions that a safety guard would stop')
    .option('--retry-parked', 'try again the items the server refused and that were parked (see `timebridge status`)')
    .option('--json', 'print the run records as JSON')
    .option('--template <name>', 'expand this link template from its connection (new collections get links), then sync its links')
    .option('--only <key>', 'with --template: only the links of this collection (key or name; repeat or separate by commas)', collect, [])
    .action(async (names: string[], o: SyncOpts, cmd: Command) => {
      const code = await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const deps = runDeps(app);
        const opts = { trigger: 'cli', full: o.full ?? false, allowDeletes: o.allowDeletes ?? false, retryParked: o.retryParked ?? false };
        const links = await linksToSync(app, names, o);
        const results = await syncLinks(links, deps, opts, o.json ? () => deps.done() : printRun(deps));
        deps.done();
        if (o.json)
          process.stdout.write(
            JSON.stringify(
              results.map((r) => r.run),
              null,
              2,
            ) + '\n',
          );
        else {
          await printParked(
            app.store,
            links.map((l) => l.id),
          );
          await printToBook(app, new Set(links.map((l) => l.id)));
        }
        return exitCodeOf(results);
      });
      process.exitCode = code;
    });
}
