/**
 * References a mapper resolves (architecture.md §2, `ctx` carries identity maps): the
 * status rows of the connection's other links tell which hub record each external id is.
 * Loaded once per run, for the external kinds the mapper names.
 */
import type { PersonCard, RefLookup } from '../connectors/kit/mapper.js';
import type { HubStore } from '../store/types.js';
import type { LinkSpec } from './types.js';

export async function loadRefs<E>(link: LinkSpec<E>, store: HubStore): Promise<RefLookup | undefined> {
  // Persons alone (readsPersons without refKinds) load too: an office calendar's event names its person.
  if (!link.mapper.refKinds?.length && !link.mapper.readsPersons) return undefined;
  const toHub = new Map<string, Map<string, string>>();
  const toExt = new Map<string, Map<string, string>>();
  for (const kind of link.mapper.refKinds ?? []) {
    const byExt = new Map<string, string>();
    const byHub = new Map<string, string>();
    const source = link.refSources?.find((s) => s.externalKind === kind);
    for (const linkId of source?.linkIds ?? []) {
      for (const row of await store.loadStatusIndex(linkId)) {
        byExt.set(row.extId, row.hubId);
        byHub.set(row.hubId, row.extId);
      }
    }
    toHub.set(kind, byExt);
    toExt.set(kind, byHub);
  }
  const persons = await personCards(link, store);
  return {
    hubId: (kind, extId) => toHub.get(kind)?.get(extId) ?? null,
    extId: (kind, hubId) => toExt.get(kind)?.get(hubId) ?? null,
    person: (hubId) => persons.get(hubId) ?? null,
    personByEmail: (email) => {
      const want = email.trim().toLowerCase();
      for (const [id, p] of persons) if (p.email?.toLowerCase() === want) return id;
      return null;
    },
    personByGithubLogin: (login) => {
      const want = login.trim().toLowerCase();
      for (const [id, p] of persons) if (p.githubLogin?.toLowerCase() === want) return id;
      return null;
    },
  };
}

/** The scope's persons, from their hub records, when the mapper reads them (a person is a handful of fields; a scope has few). */
async function personCards<E>(link: LinkSpec<E>, store: HubStore): Promise<Map<string, PersonCard>> {
  const cards = new Map<string, PersonCard>();
  if (!link.mapper.readsPersons) return cards;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);
  for (const r of await store.listScope(link.scope, 'person')) {
    if (!r.tombstone)
      cards.set(r.id, { name: text(r.fields.name), email: text(r.fields.email), timeZone: text(r.fields.timeZone), githubLogin: text(r.fields.githubLogin) });
  }
  return cards;
}
