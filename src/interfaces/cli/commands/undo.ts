/** `timebridge undo <run>`: restore what a run deleted or overwrote in the hub, then re-sync. */
import type { Command } from 'commander';
import type { RecordKind } from '../../../core/model.js';
import { syncLinks } from '../../../runtime/sync-links.js';
import { undoRun } from '../../../runtime/undo.js';
import { printRun, runDeps, withApp, type GlobalOpts } from '../context.js';
import { exitCodeOf } from './sync.js';

export function registerUndo(program: Command): void {
  program
    .command('undo')
    .description('restore what a run deleted or overwrote in the hub, then sync the affected links')
    .argument('<run-id>', 'a run id from `timebridge runs`')
    .option('--no-sync', 'only restore the hub; sync later')
    .option('--allow-deletes', 'confirm deletions that a safety guard would stop during the re-sync')
    .action(async (id: string, o: { sync: boolean; allowDeletes?: boolean }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const mappers = new Map<RecordKind, (f: never) => string | null>();
        for (const l of app.links.values()) mappers.set(l.kind, (f) => l.mapper.identity(f));
        const r = await undoRun(app.store, id, app.clock(), (kind, fields) => mappers.get(kind)?.(fields as never) ?? null);
        process.stdout.write(
          `restored ${r.restored} hub records as they were before run ${id}` + (r.keptCreates ? `; kept ${r.keptCreates} records the run created` : '') + '\n',
        );
        if (!o.sync || !r.restored) return;
        const links = [...app.links.values()].filter((l) => r.scopes.has(l.scope));
        const deps = runDeps(app);
        const results = await syncLinks(links, deps, { trigger: `undo:${id}`, allowDeletes: o.allowDeletes ?? false }, printRun(deps));
        process.exitCode = exitCodeOf(results);
      });
    });
}
