/** Request and response schemas shared by the routes (zod; the OpenAPI document is generated from them). */
import { z } from 'zod';
import { linkSchema } from '../../app/config-schema.js';

export const errorSchema = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }),
  })
  .describe('Error');

export const nameParam = z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _ only') });
export const idParam = z.object({ id: z.string().min(1) });

export const connectionView = z.object({
  name: z.string(),
  type: z.string(),
  owner: z.string().nullable(),
  source: z.enum(['file', 'api']),
  settings: z.record(z.string(), z.unknown()).describe('Settings without secrets'),
  secrets: z.array(z.string()).describe('Which secrets are set (dotted paths); values are write-only'),
  updatedAt: z.string(),
});

export const connectionCreate = z
  .object({
    name: nameParam.shape.name,
    type: z.string().min(1).describe('Connector type, e.g. ics-folder or caldav'),
    settings: z.record(z.string(), z.unknown()).describe('Same keys as in timebridge.yaml; secrets (password, token, secret…) are sealed and never returned'),
    global: z.boolean().optional().describe('Admins only: a global connection instead of one owned by the caller'),
  })
  .strict();

export const connectionPatch = z
  .object({
    settings: z.record(z.string(), z.unknown()).describe('Replaces the settings; secrets left out keep their stored value'),
  })
  .strict();

export const linkView = z.object({
  name: z.string(),
  owner: z.string().nullable(),
  source: z.enum(['file', 'api']),
  enabled: z.boolean(),
  config: z.record(z.string(), z.unknown()),
  updatedAt: z.string(),
  nextRun: z.string().nullable().optional(),
  /** A link a template made: the template, the collection's key and name, and why the template disabled it (null: it did not). */
  derived: z.object({ template: z.string(), key: z.string(), name: z.string(), reason: z.string().nullable() }).optional(),
  disabledReason: z.string().optional().describe('Why the service disabled the link (an office gone from the attendance sheet)'),
});

export const linkCreate = z
  .object({
    name: nameParam.shape.name,
    config: linkSchema.describe('Same keys as a link in timebridge.yaml'),
    global: z.boolean().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export const linkPatch = z.object({ config: linkSchema }).strict();

export const runOptions = z
  .object({
    full: z.boolean().optional().describe('Reconcile: read the whole hub scope'),
    allowDeletes: z.boolean().optional().describe('Confirm deletions a safety guard would stop'),
    retryParked: z.boolean().optional().describe('Unpark the items the remote refused and try them again (sync only)'),
  })
  .strict();

export const jobView = z.object({
  id: z.string(),
  state: z.enum(['queued', 'active', 'done', 'dead']),
  attempts: z.number(),
  maxAttempts: z.number(),
  runAfter: z.string(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  lastError: z.record(z.string(), z.unknown()).nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  data: z.record(z.string(), z.unknown()),
  dedupeKey: z.string().nullable(),
});

export const runView = z.object({
  id: z.string(),
  linkId: z.string(),
  trigger: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  status: z.string(),
  counts: z.record(z.string(), z.number()),
  apiCalls: z.number(),
  durationMs: z.number().nullable(),
  errors: z.array(z.object({ id: z.string(), label: z.string(), error: z.record(z.string(), z.unknown()) })),
  warnings: z.array(z.object({ id: z.string(), label: z.string(), message: z.string(), code: z.literal('WRITE_LOSS').optional() })),
  plan: z.unknown().optional(),
});

export const conflictView = z.object({
  link: z.string(),
  hubId: z.string(),
  extId: z.string(),
  fields: z.array(z.string()),
  hubFields: z.record(z.string(), z.unknown()),
  extFields: z.record(z.string(), z.unknown()),
  base: z.record(z.string(), z.unknown()).nullable().optional().describe('The fields both sides last agreed on, when known'),
  detectedAt: z.string(),
});

export const parkedView = z.object({
  link: z.string(),
  hubId: z.string(),
  extId: z.string().nullable(),
  action: z.string(),
  item: z.string(),
  source: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  status: z.number().nullable(),
  answer: z.string().nullable().describe('The remote answer; admins only (null for users)'),
  since: z.string(),
  next: z.string(),
});

export const lossView = z.object({
  link: z.string(),
  hubId: z.string(),
  extId: z.string(),
  item: z.string(),
  detectedAt: z.string(),
  runId: z.string(),
  fields: z.array(z.object({ field: z.string(), sent: z.unknown(), stored: z.unknown() })),
});

export const resolveBody = z.discriminatedUnion('choose', [
  z.object({ choose: z.literal('hub') }).strict(),
  z.object({ choose: z.literal('external') }).strict(),
  z.object({ choose: z.literal('merged'), fields: z.record(z.string(), z.unknown()).describe("The record's fields as they should be") }).strict(),
]);
