/**
 * Resolve a flagged conflict by choosing a side or giving merged fields. Nothing is
 * written outside the hub here: the choice is recorded so that the link's next run sees
 * only one side changed and carries it over —
 * - `hub`: the external side's edit (as seen when the conflict was flagged) is marked as
 *   agreed, so the hub's version is pushed;
 * - `external`: the hub record takes the external fields and both sides are agreed;
 * - `merged`: the hub record takes the given fields, which are then pushed.
 * An external edit made after the conflict was flagged is new information: the next run
 * flags it again instead of overwriting it.
 *
 * A conflict flagged while adopting (an external item and a hub record with the same
 * identity but different content, the usual first sync of two existing calendars) has no
 * agreement yet: it is a pending pairing, and resolving it writes the pairing. Its etag is
 * left unknown so the next run reads the external item again; the hub side of a `hub` or
 * `merged` choice is agreed at no version, so the next run pushes it.
 */
import { TimebridgeError } from '../core/errors.js';
import { overlayFields, projectFields } from '../core/fields/holds.js';
import { contentHash } from '../core/hash.js';
import type { Fields } from '../core/model.js';
import type { CommitBatch, HubStore, StatusWrite } from '../store/types.js';
import type { LinkSpec } from './types.js';

export type Resolution = { choose: 'hub' } | { choose: 'external' } | { choose: 'merged'; fields: Fields };

export async function resolveConflict(store: HubStore, link: LinkSpec, hubId: string, how: Resolution, by: string, now: Date): Promise<{ hubVersion: number }> {
  const conflict = (await store.listConflicts(link.id)).find((c) => c.hubId === hubId);
  if (!conflict) {
    throw new TimebridgeError('RESOURCE_NOT_FOUND', `link ${link.name} has no open conflict on ${hubId}`, {
      hint: 'list open conflicts with GET /api/v1/conflicts',
    });
  }
  const [record] = await store.getRecords([hubId]);
  const [status] = await store.getStatus(link.id, [hubId]);
  if (!record || record.tombstone) {
    throw new TimebridgeError('RESOURCE_CONFLICT', `the hub record ${hubId} of link ${link.name} is gone; the conflict is stale`, {
      hint: 'run the link again; it will flag what is still different',
    });
  }
  const extHash = contentHash(conflict.extFields);
  // A pending pairing (adoption): agreed at no hub version, so the chosen hub side is pushed.
  const row: StatusWrite = status
    ? (({ base: _base, ...r }) => r)(status)
    : { linkId: link.id, hubId, extId: conflict.extId, hubVersion: 0, hubHash: '', extEtag: '', extHash };
  const batch: CommitBatch = { conflictsClear: [{ linkId: link.id, hubId }] };
  let hubVersion = record.version;
  if (how.choose === 'hub') {
    batch.statusUpserts = [{ ...row, extHash }];
  } else {
    // The chosen fields are those the link holds; the record's other fields (other systems') stay.
    const fields = overlayFields(record.fields, how.choose === 'external' ? conflict.extFields : how.fields, link.mapper.holds);
    batch.records = [
      {
        id: hubId,
        kind: record.kind,
        scope: record.scope,
        fields,
        identity: link.mapper.identity(fields),
        tombstone: false,
        origin: `user:${by}:resolve`,
        runId: null,
        expectedVersion: record.version,
        updatedAt: now.toISOString(),
      },
    ];
    hubVersion = record.version + 1;
    // Taking the external side agrees both sides at once; merged fields still have to be pushed.
    batch.statusUpserts = [
      how.choose === 'external' ? { ...row, hubVersion, hubHash: contentHash(projectFields(fields, link.mapper.holds)), extHash } : { ...row, extHash },
    ];
  }
  await store.commit(batch);
  return { hubVersion };
}
