/**
 * Booking rules at work (the rules themselves: core/booking.ts). A time entry a pulling
 * link creates in the hub is booked after mapping and before planning, so `plan` shows
 * the booked fields and names the rule; entries already in the hub and unbooked are booked
 * by `applyRules` through the change log (origin `rule:<name>`), so links push them.
 */
import { book, missingOf, resolveRules, type BookingRefs, type BookingRule, type BookingSource, type ResolvedRule } from '../core/booking.js';
import { projectFields } from '../core/fields/holds.js';
import { contentHash } from '../core/hash.js';
import type { Fields, HubRecord } from '../core/model.js';
import type { ExtView } from '../core/planner.js';
import type { Plan } from '../core/plan-types.js';
import type { HubStore, RunWarning } from '../store/types.js';
import type { LinkSpec } from './types.js';

/** A scope's rules with names resolved, what could not be resolved, and what the scope books. */
export interface ScopeBooking {
  rules: ResolvedRule[];
  problems: string[];
  /** Task id → its key (ABC-12), for rules on Jira projects and issue keys. */
  taskKeys: Map<string, string>;
  /** Activities are part of a booking where the scope has activity records (a Kimai link brings them). */
  needActivity: boolean;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const live = (rs: HubRecord[]): HubRecord[] => rs.filter((r) => !r.tombstone);

/** Resolve a scope's rules against its persons, projects and activities. */
export async function scopeBooking(store: HubStore, scope: string, rules: readonly BookingRule[]): Promise<ScopeBooking> {
  const [persons, projects, activities, tasks] = await Promise.all(
    (['person', 'project', 'activity', 'task'] as const).map(async (k) => live(await store.listScope(scope, k))),
  );
  const names = (r: HubRecord, keys: string[]): string[] => keys.map((k) => str(r.fields[k])).filter((n): n is string => n !== null);
  const refs: BookingRefs = {
    person: persons!.map((r) => ({ id: r.id, names: names(r, ['username', 'email']) })),
    project: projects!.map((r) => ({ id: r.id, names: names(r, ['name']) })),
    activity: activities!.map((r) => ({ id: r.id, names: names(r, ['name']) })),
  };
  const { resolved, problems } = resolveRules(rules, refs);
  const taskKeys = new Map(tasks!.map((t) => [t.id, str(t.fields.key) ?? '']));
  return { rules: resolved, problems, taskKeys, needActivity: activities!.length > 0 };
}

/** What a rule may match besides the entry's fields: the link, a calendar invite (`extras.invite`), the Jira issue. */
export function sourceOf(fields: Fields, linkName: string | null, collection: string | null, taskKeys: Map<string, string>): BookingSource {
  const invite = (fields.extras as { invite?: { organizer?: unknown; attendees?: unknown } } | undefined)?.invite;
  const taskId = str(fields.taskId);
  return {
    linkName,
    collection,
    organizer: str(invite?.organizer),
    attendees: Array.isArray(invite?.attendees) ? invite.attendees.filter((a): a is string => typeof a === 'string') : [],
    issueKey: taskId ? (taskKeys.get(taskId) ?? null) : null,
  };
}

/**
 * Book the time entries a pulling link is about to create (new external items, mapped):
 * their fields are filled in place and re-hashed. Returns the rule that booked each, by
 * external id, and a warning per rule that names a record the scope does not have.
 */
export async function bookNewItems<E>(
  link: LinkSpec<E>,
  store: HubStore,
  extData: Map<string, ExtView & { data: E }>,
  known: (extId: string) => boolean,
): Promise<{ booked: Map<string, string>; warnings: RunWarning[] }> {
  const booked = new Map<string, string>();
  const fresh = [...extData.values()].filter((v) => v.mapped.ok && !known(v.extId));
  if (!link.booking?.rules.length || !fresh.length) return { booked, warnings: [] };
  const sb = await scopeBooking(store, link.scope, link.booking.rules);
  for (const v of fresh) {
    if (!v.mapped.ok) continue;
    const b = book(v.mapped.fields, sourceOf(v.mapped.fields, link.name, link.booking.collection, sb.taskKeys), sb.rules, sb.needActivity);
    if (!b.rule) continue;
    v.mapped = { ...v.mapped, fields: b.fields, hash: contentHash(projectFields(b.fields, link.mapper.holds)), label: link.mapper.label(b.fields) };
    booked.set(v.extId, b.rule);
  }
  return { booked, warnings: sb.problems.map((message) => ({ id: link.name, label: 'booking rules', message })) };
}

/** The plan's pull-creates say which rule booked them. */
export function namingRules(plan: Plan, booked: Map<string, string>): Plan {
  if (!booked.size) return plan;
  const actions = plan.actions.map((a) =>
    a.op === 'pull-create' && a.extId && booked.has(a.extId) ? { ...a, reason: `${a.reason}; booked by rule "${booked.get(a.extId)!}"` } : a,
  );
  return { ...plan, actions };
}

/** The link that last wrote a record (`link:<name>`), which for an unbooked import is the link it came through. */
export const linkOfOrigin = (origin: string): string | null => (origin.startsWith('link:') ? origin.slice(5) : null);

/** An entry a person would still have to book: what it lacks, and the rule that would book it now (or null). */
export interface WaitingEntry {
  record: HubRecord;
  missing: string[];
  rule: string | null;
}

/** The scope's live time entries that lack a person or a project (or an activity, where the scope books them). */
export function waitingEntries(entries: HubRecord[], sb: ScopeBooking): WaitingEntry[] {
  const out: WaitingEntry[] = [];
  for (const r of entries) {
    if (r.tombstone || r.kind !== 'timeEntry') continue;
    const missing = missingOf(r.fields, sb.needActivity);
    if (!missing.length) continue;
    const b = book(r.fields, sourceOf(r.fields, linkOfOrigin(r.origin), null, sb.taskKeys), sb.rules, sb.needActivity);
    out.push({ record: r, missing, rule: b.rule });
  }
  return out;
}
