/** `timebridge sync [link…]`: run links now and print what each run did. */
import type { Command } from 'commander';
import { syncLinks } from '../../../runtime/sync-links.js';
import { EXIT } from '../exit-codes.js';
import { printRun, runDeps, selectLinks, withApp, type GlobalOpts } from '../context.js';
import type { RunResult } from '../../../runtime/run-link.js';

/** The worst status among each link's last run (a link run again later in the same sync counts as it ended): failed, then stopped by a guard, then partial. */
export function exitCodeOf(all: RunResult[]): number {
  const results = [...new Map(all.map((r) => [r.run.linkId, r])).values()];
  if (results.some((r) => r.run.status === 'failed')) return EXIT.ERROR;
  if (results.some((r) => r.run.status === 'stopped')) return EXIT.GUARD;
  if (results.some((r) => r.run.status === 'partial')) return EXIT.PARTIAL;
  return EXIT.OK;
}

export function registerSync(program: Command): void {
  program.command('sync')
    .description('sync links now (all links when none is named)')
    .argument('[links...]', 'names of links to sync')
    .option('--full', 'reconcile the whole hub scope instead of reading the change log')
    .option('--allow-deletes', 'confirm deletions that a safety guard would stop')
    .option('--json', 'print the run records as JSON')
    .action(async (names: string[], o: { full?: boolean; allowDeletes?: boolean; json?: boolean }, cmd: Command) => {
      const code = await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const deps = runDeps(app);
        const opts = { trigger: 'cli', full: o.full ?? false, allowDeletes: o.allowDeletes ?? false };
        const results = await syncLinks(selectLinks(app, names), deps, opts, o.json ? () => deps.done() : printRun(deps));
        deps.done();
        if (o.json) process.stdout.write(JSON.stringify(results.map((r) => r.run), null, 2) + '\n');
        return exitCodeOf(results);
      });
      process.exitCode = code;
    });
}
