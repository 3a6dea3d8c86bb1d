/** The one schema of timebridge.yaml. Connector settings are checked by each connector's own schema. */
import { z } from 'zod';
import { RECORD_KINDS } from '../core/model.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'use letters, digits, - and _ only');

export const linkSchema = z.object({
  connection: z.string().min(1),
  /** Hub collection this link covers; links with the same scope sync with each other through the hub. */
  scope: name,
  kind: z.enum(RECORD_KINDS).optional(),
  direction: z.enum(['pull', 'push', 'both']).default('both'),
  conflict: z.enum(['hub-wins', 'external-wins', 'newest-wins', 'keep-both']).default('keep-both'),
  fieldOwners: z.record(z.string(), z.enum(['hub', 'external'])).default({}),
  deletes: z.object({
    toExternal: z.boolean().default(true),
    toHub: z.boolean().default(true),
  }).strict().default({ toExternal: true, toHub: true }),
  guard: z.object({
    maxDeleteCount: z.number().int().min(0).default(10),
    maxDeleteShare: z.number().min(0).max(1).default(0.25),
  }).strict().default({ maxDeleteCount: 10, maxDeleteShare: 0.25 }),
  window: z.object({ pastDays: z.number().int().min(0), futureDays: z.number().int().min(0) }).strict().optional(),
}).strict();

export const configSchema = z.object({
  store: z.object({
    type: z.enum(['sqlite']).default('sqlite'),
    /** SQLite file, relative to the config file's folder. */
    path: z.string().min(1).default('.timebridge/hub.sqlite'),
  }).strict().default({ type: 'sqlite', path: '.timebridge/hub.sqlite' }),
  connections: z.record(name, z.object({ type: z.string().min(1) }).passthrough()).default({}),
  links: z.record(name, linkSchema).default({}),
}).strict();

export type Config = z.infer<typeof configSchema>;
export type LinkConfig = z.infer<typeof linkSchema>;
