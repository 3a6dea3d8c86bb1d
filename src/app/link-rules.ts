/**
 * What a user's link may be (admins' links may be anything). Checked when the API
 * stores a link and again when one is built to run, so a link stored before a rule
 * existed (or before a grant was withdrawn) cannot run past it.
 *
 * - its scope is the user's own (or free, and then claimed), or granted: `read` lets the
 *   link only push hub records out (`direction: push`), `read-write` lets it write too;
 * - on a global connection (the config file's, or an admin's `global: true`) it never
 *   deletes there: `externalOnly: delete` is refused, and `deletes.toExternal` must be
 *   false unless the link only pulls;
 * - its guard may be stricter than the default, never looser.
 */
import { DEFAULT_POLICY } from '../core/policy.js';
import { TimebridgeError } from '../core/errors.js';
import type { LinkConfig } from './config-schema.js';
import type { ScopeAccess } from './scopes.js';

export interface UserLinkFacts {
  userId: string;
  /** The user's access to the link's scope. */
  scope: ScopeAccess;
  /** Owner of the link's connection (null: global). */
  connectionOwner: string | null;
}

function forbidden(message: string, hint: string): TimebridgeError {
  return new TimebridgeError('AUTH_FORBIDDEN', message, { hint });
}

export function assertUserLink(config: LinkConfig, f: UserLinkFacts): void {
  if (f.scope === 'none') {
    throw forbidden(
      `scope ${config.scope} belongs to someone else (or is global): your links may join only your own scopes and those granted to you`,
      'use a scope name of your own, or ask an admin for a grant (POST /api/v1/scopes/{scope}/grants)',
    );
  }
  // A link without a direction is taken as two-way here (the mapper may make it a mirror, but the rule asks for it in writing).
  if (f.scope === 'read' && config.direction !== 'push' && config.direction !== 'mirror') {
    throw forbidden(
      `config.direction: you may only read scope ${config.scope}, so the link must be direction: push or mirror (hub → your connection)`,
      'set direction: push or mirror, or ask an admin for a read-write grant',
    );
  }
  if (f.connectionOwner === null) {
    if (config.externalOnly === 'delete') {
      throw forbidden(
        `config.externalOnly: delete would delete items of the global connection ${config.connection}: only admins may set it`,
        'leave externalOnly at import',
      );
    }
    if (config.direction !== 'pull' && config.deletes.toExternal) {
      throw forbidden(
        `config.deletes.toExternal: your link would delete items of the global connection ${config.connection}: only admins may set it`,
        'set deletes: {toExternal: false}, or direction: pull',
      );
    }
  }
  const g = DEFAULT_POLICY.guard;
  if (config.guard.maxDeleteCount > g.maxDeleteCount || config.guard.maxDeleteShare > g.maxDeleteShare) {
    throw forbidden(
      `config.guard: only admins may loosen the delete guard (at most ${g.maxDeleteCount} deletions and ${g.maxDeleteShare * 100} % per run)`,
      'leave guard out, or make it stricter',
    );
  }
}

/** Run options a user may not use on a link they do not own (global links). */
export function assertRunOptions(
  opts: { full?: boolean | undefined; allowDeletes?: boolean | undefined },
  linkOwner: string | null,
  admin: boolean,
  link: string,
): void {
  if (admin || linkOwner !== null) return;
  for (const k of ['allowDeletes', 'full'] as const) {
    if (opts[k]) throw forbidden(`${k} on the global link ${link}: only admins may use it`, `run it without ${k}, or ask an admin`);
  }
}
