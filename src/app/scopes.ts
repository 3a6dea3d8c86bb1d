/**
 * Scopes have owners. A scope is global (the admins': named by timebridge.yaml or a
 * global link, or granted as such) or one user's (the first user whose link names a
 * free scope claims it). A user's link may join only the user's own scopes and the
 * scopes an admin granted them, read-only (the link may only push hub records out) or
 * read-write. Claims and grants are definitions of category `scope` in the store:
 * `{ id: scope, owner: user | null, config: { grants: { <user>: 'read' | 'read-write' }, rules: [booking rules] } }`;
 * each write keeps the other keys of `config`, so granting never drops the rules nor the reverse.
 */
import { bookingRulesSchema, type BookingRule } from '../core/booking.js';
import type { Json } from '../core/model.js';
import type { HubStore, ManagedDefinition } from '../store/types.js';

export type ScopeGrant = 'read' | 'read-write';
/** What a user may do in a scope: `own` it, a grant, `free` (nobody holds it yet) or `none`. */
export type ScopeAccess = 'own' | ScopeGrant | 'free' | 'none';

export interface ScopeView {
  scope: string;
  /** null: global (admins). */
  owner: string | null;
  grants: Record<string, ScopeGrant>;
}

export interface ScopeLinks {
  /** Links as the catalog lists them (owner null: config file or global). */
  listLinks(): Promise<{ owner: string | null; config: { scope: string } }[]>;
}

const grantsOf = (d: ManagedDefinition | null): Record<string, ScopeGrant> => (d?.config as { grants?: Record<string, ScopeGrant> } | null)?.grants ?? {};

export class Scopes {
  constructor(
    private readonly store: HubStore,
    private readonly links: ScopeLinks,
    private readonly clock: () => Date,
  ) {}

  /** Owner and grants of a scope; undefined owner: free. A stored claim wins over what the links suggest. */
  async view(scope: string): Promise<Omit<ScopeView, 'owner'> & { claimed: boolean; owner: string | null | undefined }> {
    const def = await this.store.getDefinition('scope', scope);
    if (def) return { scope, owner: def.owner, grants: grantsOf(def), claimed: true };
    const users = (await this.links.listLinks()).filter((l) => l.config.scope === scope);
    const owner = users.some((l) => l.owner === null) ? null : users[0]?.owner;
    return { scope, owner, grants: {}, claimed: false };
  }

  async list(): Promise<ScopeView[]> {
    const names = new Set((await this.links.listLinks()).map((l) => l.config.scope));
    for (const d of await this.store.listManagedDefinitions('scope')) names.add(d.id);
    const out: ScopeView[] = [];
    for (const scope of [...names].sort()) {
      const v = await this.view(scope);
      out.push({ scope, owner: v.owner ?? null, grants: v.grants });
    }
    return out;
  }

  async access(userId: string, scope: string): Promise<ScopeAccess> {
    const v = await this.view(scope);
    if (v.owner === undefined) return 'free';
    if (v.owner === userId) return 'own';
    return v.grants[userId] ?? 'none';
  }

  /** Record that a user's link took a free scope (or keep the global/user owner the links imply). */
  async claim(scope: string, owner: string | null): Promise<void> {
    const v = await this.view(scope);
    if (v.claimed) return;
    await this.put(scope, v.owner === undefined ? owner : v.owner, {});
  }

  /** The booking rules stored through the API for a scope (the config file's come first; see `effectiveRules`). */
  async rules(scope: string): Promise<BookingRule[]> {
    const def = await this.store.getDefinition('scope', scope);
    const raw = (def?.config as { rules?: unknown } | null)?.rules;
    const parsed = bookingRulesSchema.safeParse(raw ?? []);
    return parsed.success ? parsed.data : [];
  }

  /** Replace a scope's API booking rules (validated by the caller); the owner and grants are kept. */
  async putRules(scope: string, rules: BookingRule[]): Promise<void> {
    const v = await this.view(scope);
    await this.put(scope, v.owner === undefined ? null : v.owner, { rules: rules as unknown as Json });
  }

  async grant(scope: string, userId: string, access: ScopeGrant | null): Promise<ScopeView> {
    const v = await this.view(scope);
    const grants = { ...v.grants };
    if (access) grants[userId] = access;
    else delete grants[userId];
    const owner = v.owner === undefined ? null : v.owner;
    await this.put(scope, owner, { grants: grants as unknown as Json });
    return { scope, owner, grants };
  }

  /** Write the scope's definition, changing only the given keys of its config. */
  private async put(scope: string, owner: string | null, change: Record<string, Json>): Promise<void> {
    const before = (await this.store.getDefinition('scope', scope))?.config as Record<string, Json> | null;
    await this.store.putDefinition({
      category: 'scope',
      id: scope,
      type: 'scope',
      config: { grants: {}, ...before, ...change } as unknown as Json,
      owner,
      source: 'api',
      enabled: true,
      secrets: null,
      updatedAt: this.clock().toISOString(),
    });
  }
}
