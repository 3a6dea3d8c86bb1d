/**
 * The locked periods a link's plan must respect (core/planner-locks.ts): for a link whose
 * hub kind is `timeEntry`, the scope's exported timesheets; for any other kind, none.
 */
import { periodLocksOf } from '../core/fields/period-lock.js';
import type { PlanInput } from '../core/planner.js';
import type { LinkSpec, RunDeps } from './types.js';

export async function planLocks<E>(link: LinkSpec<E>, deps: RunDeps): Promise<Pick<PlanInput, 'locks' | 'system'>> {
  if (link.kind !== 'timeEntry') return {};
  const locks = periodLocksOf(await deps.store.listScope(link.scope, 'timesheet'));
  return { locks, system: link.connection ?? link.name };
}
