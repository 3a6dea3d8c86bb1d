/**
 * Hub fields of the kinds several connectors share: a time entry, a person, a task.
 * Every connector that reads or writes these kinds maps to exactly these fields, so a
 * Kimai timesheet, a Tempo worklog, a Jira worklog and an imported calendar event are
 * the same record in the hub. What only one system knows goes under `extras.<type>`.
 * References (`personId`, `projectId`, …) are hub record ids, resolved through
 * `ctx.refs` (connectors/kit/mapper.ts).
 */
import { z } from 'zod';

const hubId = z.string().min(1).nullable();
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'is not YYYY-MM-DD');
const instant = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'is not a UTC instant YYYY-MM-DDTHH:MM:SSZ');

export const timeEntryFieldsSchema = z
  .object({
    /** The local day the work belongs to (in `timeZone`). */
    date: day,
    /** When the work began, as a UTC instant; null when only the day is known (a day-granular work log). */
    start: instant.nullable(),
    /** Length of the work; null while it is still running. */
    durationSeconds: z.number().int().min(0).nullable(),
    /** IANA zone the entry was recorded in (the user's), used to render local times; null: UTC. */
    timeZone: z.string().min(1).nullable(),
    description: z.string().nullable(),
    personId: hubId,
    projectId: hubId,
    activityId: hubId,
    /** The task (a Jira issue, a GitHub issue) the time is booked on. */
    taskId: hubId,
    billable: z.boolean().nullable(),
    tags: z.array(z.string()),
    /**
     * The entry's period is locked (its month was locked, runtime/month-lock.ts): targets that
     * know such a flag (Kimai's exported) set it, and refuse later changes. Absent means not
     * locked, and is how an unlocked entry is written, so no existing hash changes.
     */
    exported: z.literal(true).optional(),
    extras: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type TimeEntryFields = z.infer<typeof timeEntryFieldsSchema>;

export const personFieldsSchema = z
  .object({
    name: z.string().nullable(),
    /** Lower-cased; persons are matched across systems by email, then by username. */
    email: z.string().nullable(),
    username: z.string().nullable(),
    timeZone: z.string().nullable(),
    active: z.boolean(),
    /** The person's Slack user id (U…), for `/tt` and notices; absent: matched by e-mail. */
    slackId: z
      .string()
      .regex(/^[UW][A-Z0-9]+$/, 'is not a Slack user id such as U0123ABCD')
      .nullable()
      .optional(),
    /** The person's GitHub login (any case): an issue assigned to it is theirs, and may start their timer. */
    githubLogin: z.string().min(1).nullable().optional(),
    extras: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type PersonFields = z.infer<typeof personFieldsSchema>;

/** A person's natural key: `email:<lower-case email>`, else `username:<name>`. */
export function personIdentity(p: Pick<PersonFields, 'email' | 'username'>): string | null {
  if (p.email) return `email:${p.email.toLowerCase()}`;
  if (p.username) return `username:${p.username}`;
  return null;
}

export const TASK_STATES = ['todo', 'in-progress', 'done'] as const;
export const TASK_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;

export const taskFieldsSchema = z
  .object({
    /** The task's key as the hub knows it (a Jira key such as ABC-12, after any key mapping). */
    key: z.string().min(1),
    summary: z.string().nullable(),
    /** Hub id of the project it belongs to, when one is synced. */
    projectId: hubId,
    /** The status as its system names it (Jira's "In Review"); null for a task made in the hub. */
    status: z.string().nullable(),
    /** Where the task is in the hub's workflow; absent: todo. */
    state: z.enum(TASK_STATES).optional(),
    priority: z.enum(TASK_PRIORITIES).optional(),
    /** Hub id of the person it is assigned to. */
    assigneeId: hubId.optional(),
    labels: z.array(z.string()).optional(),
    /** Where people open it (the GitHub or Jira issue page). */
    url: z.string().url().nullable().optional(),
    extras: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type TaskFields = z.infer<typeof taskFieldsSchema>;

/** A task's natural key: `task:<key>`. */
export const taskIdentity = (key: string): string => `task:${key}`;
