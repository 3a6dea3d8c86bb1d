/**
 * Load timebridge.yaml once, apply TIMEBRIDGE_* environment overrides, validate with the
 * one schema, and refuse an invalid file with the key, the problem and the fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { CONNECTORS, connectorTypes } from '../connectors/registry.js';
import { TimebridgeError } from '../core/errors.js';
import { linkMapping } from './link-mapping.js';
import { expandTemplate } from './link-templates.js';
import { COMMON_CONNECTION_KEYS, configSchema, connectionCommonSchema, type Config, type ConnectionCommon } from './config-schema.js';

export interface LoadedConfig {
  config: Config;
  /** Validated settings of each connection, by connection name. */
  connections: Record<string, { type: string; settings: unknown; common: ConnectionCommon }>;
  file: string;
  baseDir: string;
}

export const DEFAULT_CONFIG_FILE = 'timebridge.yaml';

export function configPath(explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  return path.resolve(explicit ?? env.TIMEBRIDGE_CONFIG ?? DEFAULT_CONFIG_FILE);
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** TIMEBRIDGE_* variables that are settings of their own, not config overrides. */
const NOT_CONFIG = new Set(['TIMEBRIDGE_CONFIG', 'TIMEBRIDGE_SECRET_KEY', 'TIMEBRIDGE_NEW_SECRET_KEY', 'TIMEBRIDGE_LOG_LEVEL', 'TIMEBRIDGE_DEBUG']);

/** TIMEBRIDGE_STORE__PATH=x sets store.path; segments match existing keys case-insensitively. */
export function applyEnvOverrides(doc: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  const applied: string[] = [];
  for (const [k, raw] of Object.entries(env)) {
    if (!k.startsWith('TIMEBRIDGE_') || NOT_CONFIG.has(k) || k.startsWith('TIMEBRIDGE_TEST_') || raw === undefined) continue;
    const segs = k.slice('TIMEBRIDGE_'.length).split('__').filter(Boolean);
    if (!segs.length) continue;
    let node: Record<string, unknown> = doc;
    const keys: string[] = [];
    segs.forEach((seg, i) => {
      const wanted = seg.toLowerCase().replace(/_/g, '');
      const key = Object.keys(node).find((x) => x.toLowerCase().replace(/[_-]/g, '') === wanted) ?? camel(seg);
      keys.push(key);
      if (i === segs.length - 1) {
        node[key] = YAML.parse(raw) ?? raw;
        return;
      }
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    });
    applied.push(keys.join('.'));
  }
  return applied;
}

function fixFor(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `set it to a ${issue.expected}`;
    case 'invalid_value':
      return `use one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `remove ${issue.keys.join(', ')} or check the spelling (see \`timebridge init\` for every key)`;
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}`;
    default:
      return 'see the commented example written by `timebridge init`';
  }
}

/** A booking rule is named by its `name` too, since its key is only a list index (booking.<scope>.<n>). */
function ruleNameAt(doc: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== 'booking' || path.length < 3) return '';
  const rules = (doc as { booking?: Record<string, unknown> } | null)?.booking?.[String(path[1])];
  const name = Array.isArray(rules) ? (rules[Number(path[2])] as { name?: unknown } | undefined)?.name : undefined;
  return typeof name === 'string' ? ` (rule "${name}")` : '';
}

function refuse(file: string, where: string, issues: z.core.$ZodIssue[], doc: unknown = null): never {
  const lines = issues.map((i) => {
    const key = [where, ...i.path.map(String)].filter(Boolean).join('.') || '(top level)';
    return `  ${key}${ruleNameAt(doc, i.path)}: ${i.message}. Fix: ${fixFor(i)}.`;
  });
  throw new TimebridgeError('CONFIG_INVALID', `${file} is invalid:\n${lines.join('\n')}`, { hint: 'fix the keys above and run the command again' });
}

/** Separate the settings every connection may have (webhook, rateLimit) from the connector's own. */
export function splitCommon(raw: Record<string, unknown>): { common: Record<string, unknown>; settings: Record<string, unknown> } {
  const common: Record<string, unknown> = {},
    settings: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) ((COMMON_CONNECTION_KEYS as readonly string[]).includes(k) ? common : settings)[k] = v;
  return { common, settings };
}

function checkConnections(file: string, config: Config): LoadedConfig['connections'] {
  const out: LoadedConfig['connections'] = {};
  for (const [name, conn] of Object.entries(config.connections)) {
    const entry = CONNECTORS[conn.type];
    if (!entry) {
      throw new TimebridgeError(
        'CONFIG_INVALID',
        `${file} is invalid:\n  connections.${name}.type: unknown connector "${conn.type}". Fix: use one of: ${connectorTypes().join(', ')}.`,
      );
    }
    const { type: _type, ...rest } = conn;
    const { common, settings } = splitCommon(rest);
    const c = connectionCommonSchema.safeParse(common);
    if (!c.success) refuse(file, `connections.${name}`, c.error.issues);
    const r = entry.configSchema.safeParse(settings);
    if (!r.success) refuse(file, `connections.${name}`, r.error.issues);
    out[name] = { type: conn.type, settings: r.data, common: c.data };
  }
  for (const [name, link] of Object.entries(config.links)) {
    if (!out[link.connection]) {
      const known = Object.keys(out).join(', ') || '(none defined)';
      throw new TimebridgeError(
        'CONFIG_INVALID',
        `${file} is invalid:\n  links.${name}.connection: no connection named "${link.connection}". Fix: use one of: ${known}, or add it under connections.`,
      );
    }
    const type = out[link.connection]!.type;
    const m = linkMapping(CONNECTORS[type]!, type, link);
    if (typeof m === 'string') throw new TimebridgeError('CONFIG_INVALID', `${file} is invalid:\n  links.${name}.${m}`);
  }
  checkTemplates(file, config, out);
  return out;
}

/** Each template names a connection, and what it makes of a sample collection is a valid link of a known connection. */
function checkTemplates(file: string, config: Config, conns: LoadedConfig['connections']): void {
  const known = Object.keys(conns).join(', ') || '(none defined)';
  const refuseAt = (key: string, problem: string, fix: string): never => {
    throw new TimebridgeError('CONFIG_INVALID', `${file} is invalid:\n  linkTemplates.${key}: ${problem}. Fix: ${fix}.`);
  };
  for (const [name, t] of Object.entries(config.linkTemplates)) {
    if (!conns[t.forEach.connection]) refuseAt(`${name}.forEach.connection`, `no connection named "${t.forEach.connection}"`, `use one of: ${known}`);
    expandTemplate(t, { key: 'sample', name: 'sample' }).forEach((d, i) => {
      if ('problem' in d) return refuseAt(`${name}.links.${i}`, d.problem, 'use the keys of a link in links:, with {key} and {name} where the collection goes');
      const conn = conns[d.config.connection];
      if (!conn) return refuseAt(`${name}.links.${i}.connection`, `no connection named "${d.config.connection}"`, `use one of: ${known}`);
      const m = linkMapping(CONNECTORS[conn.type]!, conn.type, d.config);
      if (typeof m === 'string') throw new TimebridgeError('CONFIG_INVALID', `${file} is invalid:\n  linkTemplates.${name}.links.${i}.${m}`);
    });
  }
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  let doc: unknown;
  try {
    doc = YAML.parse(text) ?? {};
  } catch (err) {
    throw new TimebridgeError('CONFIG_INVALID', `${file} is not valid YAML: ${(err as Error).message}`, { hint: 'fix the YAML syntax at the line shown' });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new TimebridgeError('CONFIG_INVALID', `${file} must be a YAML mapping with store, connections and links`, {
      hint: 'run `timebridge init` for a commented example',
    });
  }
  applyEnvOverrides(doc as Record<string, unknown>, env);
  const r = configSchema.safeParse(doc);
  if (!r.success) refuse(file, '', r.error.issues, doc);
  return { config: r.data, connections: checkConnections(file, r.data), file, baseDir: path.dirname(file) };
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv): LoadedConfig {
  if (!fs.existsSync(file)) {
    throw new TimebridgeError('CONFIG_NOT_FOUND', `no config file at ${file}`, {
      hint: 'run `timebridge init` to write a commented example, or pass --config <file> (or set TIMEBRIDGE_CONFIG)',
    });
  }
  return parseConfig(fs.readFileSync(file, 'utf8'), file, env);
}
