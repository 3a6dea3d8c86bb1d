/**
 * Booking rules: who, which project, which activity and which tags a time entry gets
 * when it arrives without them (a calendar import has none). Rules are ordered; the first
 * whose every condition matches books the entry, and only fills what the entry lacks —
 * a booked field is never overwritten. Pure: names are resolved to hub ids by the caller
 * (`resolveRules`) against the scope's hub records.
 */
import { z } from 'zod';
import type { Fields } from './model.js';

const text = z.string().trim().min(1);

export const ruleWhenSchema = z
  .object({
    /** The link the entry came through (its name), or the calendar/collection it read. */
    link: text.optional(),
    /** Keywords that must all occur in the summary (the entry's description), case-insensitive. */
    summary: z.union([text, z.array(text).min(1)]).optional(),
    /** A regular expression the summary must match (case-insensitive). */
    summaryRegex: text
      .refine((s) => {
        try {
          new RegExp(s, 'i');
          return true;
        } catch {
          return false;
        }
      }, 'is not a valid regular expression')
      .optional(),
    /** An e-mail among the event's attendees (case-insensitive). */
    attendee: text.optional(),
    /** The event organizer's e-mail (case-insensitive). */
    organizer: text.optional(),
    /** The Jira project key of the entry's issue (ABC for ABC-12). */
    jiraProject: text.optional(),
    /** The entry's Jira issue key, exactly (ABC-12). */
    issueKey: text.optional(),
  })
  .strict()
  .refine(
    (w) => Object.values(w).some((v) => v !== undefined),
    'needs at least one condition (link, summary, summaryRegex, attendee, organizer, jiraProject, issueKey)',
  );

export const ruleSetSchema = z
  .object({
    /** A person: hub id, username or e-mail. */
    person: text.optional(),
    /** A project: hub id or name. */
    project: text.optional(),
    /** An activity: hub id or name. */
    activity: text.optional(),
    /** Tags added to the entry's own. */
    tags: z.array(text).optional(),
  })
  .strict()
  .refine((s) => s.person || s.project || s.activity || s.tags?.length, 'sets nothing (give person, project, activity or tags)');

export const bookingRuleSchema = z.object({ name: text, when: ruleWhenSchema, set: ruleSetSchema }).strict();
export const bookingRulesSchema = z.array(bookingRuleSchema).superRefine((rules, ctx) => {
  const seen = new Set<string>();
  rules.forEach((r, i) => {
    if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `rule name "${r.name}" is used twice` });
    seen.add(r.name);
  });
});

export type BookingRule = z.infer<typeof bookingRuleSchema>;
export type BookedField = 'personId' | 'projectId' | 'activityId';

/** A rule with its person, project and activity as hub ids (or null where it names none). */
export interface ResolvedRule {
  rule: BookingRule;
  ids: Partial<Record<BookedField, string>>;
}

/** What a rule may match on besides the entry's own fields. */
export interface BookingSource {
  /** The link the entry came through. */
  linkName: string | null;
  /** The calendar or collection the link reads. */
  collection?: string | null;
  organizer?: string | null;
  attendees?: string[];
  /** The key of the entry's Jira issue (its task), when it has one. */
  issueKey?: string | null;
}

export interface Booking {
  fields: Fields;
  /** The rule that booked the entry, or null. */
  rule: string | null;
  /** What the entry still lacks: `person`, `project`, `activity` (activity only where `needActivity`). */
  missing: string[];
}

/** A hub record a name may resolve to. */
export interface NamedRecord {
  id: string;
  names: string[];
}

export interface BookingRefs {
  person: NamedRecord[];
  project: NamedRecord[];
  activity: NamedRecord[];
}

const FIELD = { person: 'personId', project: 'projectId', activity: 'activityId' } as const;

/** Names → hub ids. A name that matches no record, or more than one, leaves the rule out with a problem naming it. */
export function resolveRules(rules: readonly BookingRule[], refs: BookingRefs): { resolved: ResolvedRule[]; problems: string[] } {
  const resolved: ResolvedRule[] = [];
  const problems: string[] = [];
  for (const rule of rules) {
    const ids: ResolvedRule['ids'] = {};
    let ok = true;
    for (const what of ['person', 'project', 'activity'] as const) {
      const name = rule.set[what];
      if (!name) continue;
      const byId = refs[what].find((r) => r.id === name);
      const byName = byId ? [byId] : refs[what].filter((r) => r.names.some((n) => n.toLowerCase() === name.toLowerCase()));
      if (byName.length === 1) ids[FIELD[what]] = byName[0]!.id;
      else {
        ok = false;
        problems.push(
          byName.length
            ? `booking rule "${rule.name}": ${what} "${name}" names ${byName.length} hub records (${byName.map((r) => r.id).join(', ')}); name it by id`
            : `booking rule "${rule.name}": no hub ${what} is "${name}" (by id or name); the rule books nothing until one is synced`,
        );
      }
    }
    if (ok) resolved.push({ rule, ids });
  }
  return { resolved, problems };
}

const lower = (s: string | null | undefined): string => (s ?? '').toLowerCase();
const keywords = (s: string | string[]): string[] => (Array.isArray(s) ? s : s.split(/\s+/)).filter(Boolean);

/** Why a rule does not match (null: it does). */
export function mismatch(rule: BookingRule, fields: Fields, source: BookingSource): string | null {
  const w = rule.when;
  const summary = typeof fields.description === 'string' ? fields.description : '';
  if (w.link !== undefined && w.link !== source.linkName && w.link !== source.collection)
    return `link is ${source.linkName ?? '(none)'}${source.collection ? ` (collection ${source.collection})` : ''}, not ${w.link}`;
  if (w.summary !== undefined) {
    const absent = keywords(w.summary).filter((k) => !lower(summary).includes(k.toLowerCase()));
    if (absent.length) return `summary lacks ${absent.map((k) => `"${k}"`).join(', ')}`;
  }
  if (w.summaryRegex !== undefined && !new RegExp(w.summaryRegex, 'i').test(summary)) return `summary does not match /${w.summaryRegex}/i`;
  if (w.attendee !== undefined && !(source.attendees ?? []).some((a) => lower(a) === lower(w.attendee))) return `${w.attendee} is not an attendee`;
  if (w.organizer !== undefined && lower(source.organizer) !== lower(w.organizer))
    return `the organizer is ${source.organizer ?? '(none)'}, not ${w.organizer}`;
  const key = source.issueKey ?? null;
  if (w.issueKey !== undefined && lower(key) !== lower(w.issueKey)) return `the issue is ${key ?? '(none)'}, not ${w.issueKey}`;
  if (w.jiraProject !== undefined && (!key || lower(key.split('-')[0]) !== lower(w.jiraProject)))
    return `the issue ${key ?? '(none)'} is not in Jira project ${w.jiraProject}`;
  return null;
}

const has = (f: Fields, k: string): boolean => typeof f[k] === 'string' && f[k] !== '';

/** What an entry lacks to be booked: person and project, and activity where the scope books activities. */
export function missingOf(fields: Fields, needActivity: boolean): string[] {
  return [
    ...(has(fields, 'personId') ? [] : ['person']),
    ...(has(fields, 'projectId') ? [] : ['project']),
    ...(needActivity && !has(fields, 'activityId') ? ['activity'] : []),
  ];
}

/**
 * Book an entry: the first matching rule fills the person, project and activity the entry
 * has none of and adds its tags. An entry that has a person, a project and an activity
 * already is booked: no rule touches it.
 */
export function book(fields: Fields, source: BookingSource, rules: readonly ResolvedRule[], needActivity = false): Booking {
  if (!missingOf(fields, true).length) return { fields, rule: null, missing: [] };
  for (const r of rules) {
    if (mismatch(r.rule, fields, source) !== null) continue;
    const out: Fields = { ...fields };
    for (const [k, id] of Object.entries(r.ids)) if (!has(out, k)) out[k] = id;
    const tags = Array.isArray(fields.tags) ? (fields.tags as string[]) : [];
    const add = (r.rule.set.tags ?? []).filter((t) => !tags.includes(t));
    if (add.length || Array.isArray(fields.tags)) out.tags = [...tags, ...add];
    return { fields: out, rule: r.rule.name, missing: missingOf(out, needActivity) };
  }
  return { fields, rule: null, missing: missingOf(fields, needActivity) };
}

/** The entry waits to be booked: a skip reason targets give and the runtime counts as `toBook`. */
export const WAITING_TO_BOOK = 'waiting to be booked';

export function waitingReason(missing: string[]): string {
  const fields = missing.map((m) => `${m}Id`).join('/');
  // Rules book persons, projects and activities; a task is set on the entry itself.
  const how = missing.includes('task') ? `set ${fields}` : `add a booking rule or set ${fields}`;
  return `${WAITING_TO_BOOK}: no ${missing.join(', no ')} — ${how}`;
}
