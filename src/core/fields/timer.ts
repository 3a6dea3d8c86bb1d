/**
 * A running timer: at most one per person (its identity is the person). Stopping it
 * makes a time entry (core/fields/time-entry.ts) from `start` to the stop and removes the
 * timer, in one commit. A timer is hub-only: no connector maps it.
 */
import { z } from 'zod';

const hubId = z.string().min(1).nullable();

export const timerFieldsSchema = z
  .object({
    personId: z.string().min(1),
    /** When it was started, a UTC instant. */
    start: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'is not a UTC instant YYYY-MM-DDTHH:MM:SSZ'),
    /** IANA zone of the person when started; the entry's day is taken in it. Null: UTC. */
    timeZone: z.string().min(1).nullable(),
    description: z.string().nullable(),
    projectId: hubId,
    activityId: hubId,
    taskId: hubId,
    billable: z.boolean().nullable(),
    tags: z.array(z.string()),
    extras: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export type TimerFields = z.infer<typeof timerFieldsSchema>;

export const timerIdentity = (personId: string): string => `timer:${personId}`;
