/** `timebridge audit <link…>`: duplicates, orphans and differing pairs of links, read-only (runtime/audit.ts). */
import type { Command } from 'commander';
import { TimebridgeError } from '../../../core/errors.js';
import { auditClean, auditLink, formatAudit, type AuditReport } from '../../../runtime/audit.js';
import { EXIT } from '../exit-codes.js';
import { withApp, type GlobalOpts } from '../context.js';

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('list duplicates, orphans and items that differ between a link’s two sides (reads only; exit 6 when it finds any)')
    .argument('<links...>', 'names of links to audit')
    .option('--json', 'print the reports as JSON')
    .action(async (names: string[], o: { json?: boolean }, cmd: Command) => {
      process.exitCode = await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const reports: AuditReport[] = [];
        for (const name of names) {
          if (!app.links.has(name)) {
            const known = [...app.links.keys()].join(', ') || '(none configured)';
            throw new TimebridgeError('LINK_UNKNOWN', `no link named "${name}" in ${app.config.file}`, { hint: `use one of: ${known}` });
          }
          // A probe's connector: it reads and never creates (no calendar made for a link that has none yet).
          const link = await app.catalog!.linkSpec(name, { probe: true });
          try {
            reports.push(await auditLink(link, app.store, app.clock()));
          } finally {
            await link.connector.close?.();
          }
        }
        process.stdout.write(o.json ? JSON.stringify(reports, null, 2) + '\n' : reports.map(formatAudit).join('\n') + '\n');
        return reports.every(auditClean) ? EXIT.OK : EXIT.FINDINGS;
      });
    });
}
