/**
 * Resolve intents left open by a crash. A create is looked up by its idempotency key and,
 * if it landed, adopted (status row written) so the retry never makes a second copy. An
 * update or delete is simply dropped: the next plan sees both sides as they are now and
 * compares content, so a write that landed is recorded and one that did not is redone.
 */
import { projectFields } from '../core/fields/holds.js';
import { contentHash } from '../core/hash.js';
import type { CommitBatch, StatusWrite } from '../store/types.js';
import type { LinkSpec, RunDeps } from './types.js';

export async function recoverIntents<E>(link: LinkSpec<E>, deps: RunDeps): Promise<number> {
  const open = await deps.store.openIntents(link.id);
  if (!open.length) return 0;
  deps.onProgress?.({ link: link.name, phase: 'recover', done: 0, total: open.length });
  const batch: CommitBatch = { statusUpserts: [], intentsClear: [] };
  const creates = open.filter((i) => i.action === 'create').map((i) => i.hubId);
  const records = new Map((creates.length ? await deps.store.getRecords(creates) : []).map((r) => [r.id, r]));
  for (const intent of open) {
    batch.intentsClear!.push(intent.id);
    if (intent.action !== 'create') continue;
    const ref = await link.connector.findByKey({ hubId: intent.hubId, key: intent.key });
    const rec = records.get(intent.hubId);
    if (!ref || !rec) continue;
    // The agreement is the version the create carried (its base follows from the version);
    // if the hub moved on since, the next plan sees a hub change and pushes it.
    const row: StatusWrite = {
      linkId: link.id,
      hubId: intent.hubId,
      extId: ref.id,
      hubVersion: intent.hubVersion,
      hubHash: rec.version === intent.hubVersion ? contentHash(projectFields(rec.fields, link.mapper.holds)) : intent.hubHash,
      // The etag is left unknown: the item may have been edited since the crash, so the
      // next plan must read it and compare content rather than trust what is there now.
      extEtag: '',
      extHash: '',
    };
    batch.statusUpserts!.push(row);
  }
  await deps.store.commit(batch);
  return open.length;
}
