/** `timebridge sync [link…]`: run links now and print what each run did. */
import type { Command } from 'commander';
import { syncLinks } from '../../../runtime/sync-links.js';
import { EXIT } from '../exit-codes.js';
import { printToBook } from './rules.js';
import { printRun, runDeps, selectLinks, withApp, type GlobalOpts } from '../context.js';
import type { RunResult } from '../../../runtime/run-link.js';
import type { HubStore } from '../../../store/types.js';

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

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('sync links now (all links when none is named)')
    .argument('[links...]', 'names of links to sync')
    .option('--full', 'reconcile the whole hub scope instead of reading the change log')
    .option('--allow-deletes', 'confirm deletions that a safety guard would stop')
    .option('--retry-parked', 'try again the items the server refused and that were parked (see `timebridge status`)')
    .option('--json', 'print the run records as JSON')
    .action(async (names: string[], o: { full?: boolean; allowDeletes?: boolean; retryParked?: boolean; json?: boolean }, cmd: Command) => {
      const code = await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const deps = runDeps(app);
        const opts = { trigger: 'cli', full: o.full ?? false, allowDeletes: o.allowDeletes ?? false, retryParked: o.retryParked ?? false };
        const links = selectLinks(app, names);
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
