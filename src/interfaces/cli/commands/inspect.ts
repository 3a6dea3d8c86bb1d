/** `timebridge status`, `runs [id]` and `conflicts`: what the hub knows, read-only. */
import type { Command } from 'commander';
import { shownValue, type FieldLoss } from '../../../core/fields/write-loss.js';
import { linkIdOf, linkNameOf } from '../../../runtime/types.js';
import { withApp, type GlobalOpts } from '../context.js';
import { approvalOutboxLine } from '../approval-status.js';
import { formatCounts, formatRun } from '../format.js';
import { EXIT } from '../exit-codes.js';
import type { ParkedItem } from '../../../store/types.js';

const print = (json: boolean | undefined, data: unknown, text: () => string) => process.stdout.write((json ? JSON.stringify(data, null, 2) : text()) + '\n');

interface StatusLine {
  link: string;
  connector: string;
  scope: string;
  kind: string;
  synced: number;
  conflicts: number;
  openIntents: number;
  lastStatus: string | null;
  lastRunAt: string | null;
  lastRunId: string | null;
  /** What the last run left undone, and why (empty when it finished clean). */
  undone: { item: string; code: string; message: string; hint?: string }[];
  /** Items the remote stored differently from what was written (WRITE_LOSS): the hub keeps what was sent. */
  losses: { item: string; hubId: string; extId: string; detectedAt: string; fields: FieldLoss[] }[];
  /** Items the server refused for good: not tried again until they change, or `sync --retry-parked`. */
  parked: ParkedLine[];
}

interface ParkedLine {
  item: string;
  hubId: string;
  extId: string | null;
  action: string;
  source: string | null;
  code: string;
  reason: string;
  status: number | null;
  answer: string | null;
  since: string;
  next: string;
}

function parkedLine(p: ParkedItem): ParkedLine {
  return {
    item: p.label,
    hubId: p.hubId,
    extId: p.extId,
    action: p.action,
    source: p.source,
    code: p.code,
    reason: p.message,
    status: p.status,
    answer: p.answer,
    since: p.parkedAt,
    next: `${p.source ? `fix it in ${p.source}` : 'fix it in the hub'} and it is tried again on its next change, or run \`timebridge sync --retry-parked\``,
  };
}

function statusText(r: StatusLine): string {
  const head =
    `${r.link} (${r.connector} ↔ hub ${r.scope}/${r.kind}): ${r.synced} in sync, ${r.conflicts} conflicts, ` +
    `${r.openIntents} interrupted writes${r.parked.length ? `, ${r.parked.length} parked` : ''}${r.losses.length ? `, ${r.losses.length} with write losses` : ''}; last run ${r.lastStatus ?? 'never'}${r.lastRunAt ? ` at ${r.lastRunAt}` : ''}`;
  const lines = r.undone.slice(0, 5).map((u) => `  left undone: ${u.item}: ${u.code}: ${u.message}`);
  if (r.undone.length > 5) lines.push(`  … and ${r.undone.length - 5} more: timebridge runs ${r.lastRunId}`);
  for (const p of r.parked.slice(0, 10)) {
    const answer = p.status !== null ? `; the server answered HTTP ${p.status}${p.answer ? `: ${p.answer}` : ''}` : '';
    lines.push(`  parked since ${p.since}: ${p.item}${p.source ? ` from ${p.source}` : ''} (${p.action} refused, ${p.code}${answer})`, `    next: ${p.next}`);
  }
  if (r.parked.length > 10) lines.push(`  … and ${r.parked.length - 10} more parked: timebridge status --json`);
  for (const l of r.losses.slice(0, 5)) {
    const what = l.fields.map((f) => `${f.field} sent ${shownValue(f.sent)}, stored ${shownValue(f.stored)}`).join('; ');
    lines.push(`  write loss: ${l.item} (${l.extId}): ${what}`);
  }
  if (r.losses.length > 5) lines.push(`  … and ${r.losses.length - 5} more write losses: timebridge status --json`);
  return [head, ...lines].join('\n');
}

export function registerInspect(program: Command): void {
  program
    .command('status')
    .description('each link: last run, items in sync, open conflicts, interrupted writes, parked items and write losses')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const rows: StatusLine[] = [];
        for (const link of app.links.values()) {
          const state = await app.store.getLinkState(link.id);
          // A last run that left work undone says what and why.
          const last = state.lastRunId && state.lastStatus && state.lastStatus !== 'ok' ? await app.store.getRun(state.lastRunId) : null;
          rows.push({
            link: link.name,
            connector: link.connector.manifest.type,
            scope: link.scope,
            kind: link.kind,
            synced: (await app.store.loadStatusIndex(link.id)).length,
            conflicts: (await app.store.listConflicts(link.id)).length,
            openIntents: (await app.store.openIntents(link.id)).length,
            lastStatus: state.lastStatus,
            lastRunAt: state.lastRunAt,
            lastRunId: state.lastRunId,
            parked: (await app.store.listParked(link.id)).map(parkedLine),
            undone: (last?.errors ?? []).map((e) => ({
              item: e.label || e.id,
              code: e.error.code,
              message: e.error.message,
              ...(e.error.hint ? { hint: e.error.hint } : {}),
            })),
            losses: (await app.store.listLosses(link.id)).map((l) => ({
              item: l.label,
              hubId: l.hubId,
              extId: l.extId,
              detectedAt: l.detectedAt,
              fields: l.losses,
            })),
          });
        }
        const outbox = o.json ? null : await approvalOutboxLine(app.config);
        print(o.json, rows, () =>
          [rows.length ? rows.map(statusText).join('\n') : `no links configured in ${app.config.file}; add one under links:`, ...(outbox ? [outbox] : [])].join(
            '\n',
          ),
        );
      });
    });

  program
    .command('runs')
    .description('recent runs, or one run with its plan')
    .argument('[run-id]', 'show this run in full')
    .option('--link <name>', 'only runs of this link')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print as JSON')
    .action(async (id: string | undefined, o: { link?: string; limit: string; json?: boolean }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        if (id) {
          const run = await app.store.getRun(id);
          if (!run) {
            process.stderr.write(`timebridge: no run with id ${id}\n  next: list runs with \`timebridge runs\`\n`);
            process.exitCode = EXIT.USAGE;
            return;
          }
          print(o.json, run, () => `${formatRun(run)}\nstarted ${run.startedAt}, trigger ${run.trigger}`);
          return;
        }
        const runs = await app.store.listRuns({ limit: Number(o.limit) || 20, ...(o.link ? { linkId: linkIdOf(o.link) } : {}) });
        print(o.json, runs, () =>
          runs.length
            ? runs
                .map(
                  (r) =>
                    `${r.id}  ${r.startedAt}  ${linkNameOf(r.linkId).padEnd(16)} ${r.status.padEnd(8)} ${formatCounts(r.counts)}${r.errors.length ? `, ${r.errors.length} errors (first: ${r.errors[0]!.error.code})` : ''}${r.warnings.length ? `, ${r.warnings.length} warnings` : ''}`,
                )
                .join('\n')
            : 'no runs yet; start one with `timebridge sync`',
        );
      });
    });

  program
    .command('conflicts')
    .description('items changed on both sides that the keep-both policy flagged')
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withApp(cmd.optsWithGlobals<GlobalOpts>(), async (app) => {
        const rows = await app.store.listConflicts();
        print(o.json, rows, () =>
          rows.length
            ? rows.map((c) => `${linkNameOf(c.linkId)}: ${c.extId} ↔ hub ${c.hubId}: fields ${c.fields.join(', ')} differ (since ${c.detectedAt})`).join('\n')
            : 'no open conflicts',
        );
      });
    });
}
