/** `timebridge links [--json]`: the links the hub knows — the config file's, those made through the API, and those link templates made. */
import type { Command } from 'commander';
import type { LinkView } from '../../../app/catalog.js';
import { withApp, type GlobalOpts } from '../context.js';

/** Where a link comes from, and for a derived one why the template disabled it. */
export function originOf(l: LinkView): string {
  if (!l.derived) return l.source === 'file' ? 'timebridge.yaml' : `api${l.owner ? ` (${l.owner})` : ''}`;
  const d = l.derived;
  return `template ${d.template} (${d.key}${d.name !== d.key ? `, ${d.name}` : ''})${d.reason ? `: ${d.reason}` : ''}`;
}

export function registerLinks(program: Command): void {
  program
    .command('links')
    .description('list the links: connection, scope, enabled, and where each comes from (the config file, the API, or a link template)')
    .option('--json', 'print them as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const links = await app.catalog!.listLinks();
        if (o.json) {
          process.stdout.write(JSON.stringify(links, null, 2) + '\n');
          return;
        }
        const rows = links.map((l) => [l.name, l.config.connection, l.config.scope, l.enabled ? 'enabled' : 'disabled', originOf(l)]);
        const widths = [0, 1, 2, 3].map((i) => Math.max(...[['link', 'connection', 'scope', 'state'][i]!, ...rows.map((r) => r[i]!)].map((s) => s.length)));
        for (const r of [['link', 'connection', 'scope', 'state', 'from'], ...rows])
          process.stdout.write(r.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c)).join('  ') + '\n');
      });
    });
}
