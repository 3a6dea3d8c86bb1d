/** Human-readable plans, runs and errors for the terminal. */
import type { ErrorInfo } from '../../core/errors.js';
import type { Action, Plan } from '../../core/plan-types.js';
import { linkNameOf } from '../../runtime/types.js';
import type { RunRecord } from '../../store/types.js';

const SYMBOL: Record<Action['op'], string> = {
  'push-create': '+ ext',
  'push-update': '~ ext',
  'push-delete': '- ext',
  'pull-create': '+ hub',
  'pull-update': '~ hub',
  'pull-delete': '- hub',
  merge: '⇄ merge',
  adopt: '= adopt',
  record: '· record',
  forget: '· forget',
  conflict: '! conflict',
  error: '✗ error',
  unsupported: '⊘ not sent',
};

export function formatCounts(counts: Record<string, number | undefined>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n)
    .map(([op, n]) => `${op} ${n}`);
  return parts.length ? parts.join(', ') : 'nothing to do';
}

export function formatPlan(name: string, plan: Plan, limit = 50): string {
  const lines = [`link ${name}: ${formatCounts(plan.counts)}`];
  if (plan.partialListing) lines.push('  (the external listing was partial: no deletion was inferred from it)');
  const shown = plan.actions.filter((a) => a.op !== 'record' && a.op !== 'forget');
  for (const a of shown.slice(0, limit)) {
    const detail = a.error ? ` — ${a.error.message}` : '';
    lines.push(`  ${SYMBOL[a.op].padEnd(10)} ${a.label}  (${a.reason})${detail}`);
  }
  if (shown.length > limit) lines.push(`  … and ${shown.length - limit} more (use --json for all)`);
  if (!plan.guard.ok) lines.push(`  STOPPED by a guard: ${plan.guard.message}`, `  next: ${plan.guard.hint}`);
  return lines.join('\n');
}

export function formatError(e: ErrorInfo): string {
  return `${e.code}: ${e.message}${e.hint ? `\n  next: ${e.hint}` : ''}`;
}

/** A run's status as a person reads it: an `ok` run that flagged conflicts says so. */
export function runStatusText(run: Pick<RunRecord, 'status' | 'counts'>): string {
  const conflicts = run.counts.conflict ?? 0;
  return run.status === 'ok' && conflicts ? `ok with ${conflicts} open conflict${conflicts === 1 ? '' : 's'} (timebridge conflicts)` : run.status;
}

export function formatRun(run: RunRecord): string {
  const head = `link ${linkNameOf(run.linkId)}: ${runStatusText(run)} in ${run.durationMs ?? '?'} ms — ${formatCounts(run.counts)}  (run ${run.id})`;
  const errs = run.errors.slice(0, 20).map((e) => `  ✗ ${e.label || e.id}: ${formatError(e.error)}`);
  if (run.errors.length > 20) errs.push(`  … and ${run.errors.length - 20} more errors: timebridge runs ${run.id}`);
  const warns = run.warnings.slice(0, 20).map((w) => `  ⚠ ${w.label || w.id}: ${w.message}`);
  if (run.warnings.length > 20) warns.push(`  … and ${run.warnings.length - 20} more warnings: timebridge runs ${run.id} --json`);
  return [head, ...errs, ...warns].join('\n');
}
