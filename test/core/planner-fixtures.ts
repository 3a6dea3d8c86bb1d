/** Small builders for planner inputs: one item, both sides, and the agreement between them. */
import { contentHash } from '../../src/core/hash.js';
import type { Fields } from '../../src/core/model.js';
import type { Agreement, ExtView, HubView, PlanInput } from '../../src/core/planner.js';
import { DEFAULT_POLICY, type LinkPolicy } from '../../src/core/policy.js';

export const NOW = new Date('2026-11-22T12:00:00Z');

export function hub(id: string, fields: Fields, version = 1, extra: Partial<HubView> = {}): HubView {
  return {
    id,
    version,
    fields,
    identity: (fields.uid as string | undefined) ?? null,
    hash: contentHash(fields),
    tombstone: false,
    updatedAt: '2026-11-20T10:00:00Z',
    label: String(fields.summary ?? id),
    ...extra,
  };
}

export function ext(extId: string, fields: Fields, etag = 'e2', modifiedAt: string | null = null): ExtView {
  return {
    extId,
    etag,
    modifiedAt,
    mapped: { ok: true, fields, identity: (fields.uid as string | undefined) ?? null, hash: contentHash(fields), label: String(fields.summary ?? extId) },
  };
}

export function agreed(hubId: string, extId: string, fields: Fields, hubVersion = 1, etag = 'e1'): Agreement {
  return { hubId, extId, hubVersion, hubHash: contentHash(fields), extEtag: etag, extHash: contentHash(fields), base: fields };
}

export interface Case {
  agreements?: Agreement[];
  present?: string[];
  fetched?: ExtView[];
  changed?: HubView[];
  candidates?: HubView[];
  complete?: boolean;
  failed?: PlanInput['ext']['failed'];
  policy?: Partial<LinkPolicy>;
}

export function input(c: Case): PlanInput {
  const present = c.present ?? [...(c.agreements ?? []).map((a) => a.extId), ...(c.fetched ?? []).map((f) => f.extId)];
  return {
    linkId: 'link:t',
    now: NOW,
    policy: { ...DEFAULT_POLICY, ...c.policy },
    agreements: c.agreements ?? [],
    ext: { mode: 'full', complete: c.complete ?? true, present: new Set(present), removed: new Set(), fetched: c.fetched ?? [], failed: c.failed ?? [] },
    hub: { changed: c.changed ?? [], candidates: c.candidates ?? [] },
  };
}
