/**
 * The month lock of one scope as the service runs it (the timekeeping API and Kimai's
 * drop-in `/timesheets/lock`): the links that carry it out are found through the catalog
 * — every enabled link of the scope whose mapper holds `exported` (runtime/month-lock.ts
 * `lockCarriers`) — and the one lock implementation (`lockMonth`) runs with them.
 */
import { lockCarriers, lockMonth, type LockLink, type LockReport } from '../runtime/month-lock.js';
import { linkIdOf } from '../runtime/types.js';
import type { HubStore } from '../store/types.js';
import type { Catalog } from './catalog.js';

export interface ScopeLock {
  report: LockReport;
  /** Names of the links that carry the lock out on their next runs. */
  carriers: string[];
}

/** The enabled links of a scope as the lock sees them (a link whose mapping is broken is left out: it cannot run either). */
export async function scopeLockLinks(catalog: Catalog, scope: string): Promise<(LockLink & { name: string })[]> {
  const out: (LockLink & { name: string })[] = [];
  for (const l of await catalog.listLinks()) {
    if (!l.enabled || l.config.scope !== scope) continue;
    const mapping = await catalog.checkLink(l.config).catch(() => null);
    if (mapping) out.push({ name: l.name, id: linkIdOf(l.name), kind: mapping.hubKind, holds: mapping.mapper.holds });
  }
  return out;
}

export async function lockScopeMonth(
  deps: { store: HubStore; catalog: Catalog },
  o: { scope: string; month: string; origin: string; now: Date },
): Promise<ScopeLock> {
  const links = await scopeLockLinks(deps.catalog, o.scope);
  const { linkIds, attach } = lockCarriers(links);
  const [year, month] = o.month.split('-').map(Number) as [number, number];
  const report = await lockMonth({ store: deps.store, scope: o.scope, year, month, linkIds, attach, origin: o.origin, now: o.now });
  return { report, carriers: links.filter((l) => linkIds.includes(l.id)).map((l) => l.name) };
}

/** The scopes that hold timesheets of a month (a lock without a scope locks each of them). */
export async function scopesWithTimesheets(deps: { store: HubStore; catalog: Catalog }, month: string): Promise<string[]> {
  const out: string[] = [];
  for (const s of await deps.catalog.scopes.list()) {
    if ((await deps.store.listScope(s.scope, 'timesheet')).some((t) => !t.tombstone && t.fields.month === month)) out.push(s.scope);
  }
  return out;
}
