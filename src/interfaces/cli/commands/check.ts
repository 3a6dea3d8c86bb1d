/**
 * `timebridge check [link…]`: can each link's external side be reached and read? Lists it
 * once (no cursor, nothing fetched, nothing written) and says how many items it holds,
 * or what went wrong and what to do. (A CalDAV connection with `create: true` makes its
 * missing calendar, as a sync would.)
 */
import type { Command } from 'commander';
import { describeError } from '../../../core/errors.js';
import { EXIT } from '../exit-codes.js';
import { formatError } from '../format.js';
import { selectLinks, withApp, type GlobalOpts } from '../context.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("check that each link's external side is reachable and readable (writes no item)")
    .argument('[links...]', 'names of links to check (all when none is named)')
    .action(async (names: string[], _o: unknown, cmd: Command) => {
      process.exitCode = await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        let failed = 0;
        for (const link of selectLinks(app, names)) {
          const started = Date.now();
          try {
            const listing = await link.connector.list({ cursor: null, window: null });
            const partial = listing.complete ? '' : `, ${listing.failures.length} unreadable`;
            process.stdout.write(`✓ ${link.name} (${link.connector.manifest.type}): ${listing.refs.length} items${partial}, ${Date.now() - started} ms\n`);
          } catch (err) {
            failed++;
            process.stdout.write(`✗ ${link.name} (${link.connector.manifest.type}): ${formatError(describeError(err))}\n`);
          }
        }
        return failed ? EXIT.ERROR : EXIT.OK;
      });
    });
}
