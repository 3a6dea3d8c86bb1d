/**
 * Write losses in a run: the recorded losses of items read this run keep the values that
 * were sent (core/fields/write-loss.ts), and losses whose field the remote has since
 * changed are dropped, so that change flows as an edit.
 */
import { keepSentOverLosses } from '../core/fields/write-loss.js';
import { projectFields } from '../core/fields/holds.js';
import { contentHash } from '../core/hash.js';
import type { ExtView } from '../core/planner.js';
import type { LossRow } from '../store/types.js';
import type { LinkSpec } from './types.js';

/**
 * Map fetched items through their recorded losses, in place. Returns the loss rows that
 * changed (fewer losses still hold; an empty list clears the row), to be committed.
 */
export function readThroughLosses<E>(link: LinkSpec<E>, extData: Map<string, ExtView>, rows: ReadonlyMap<string, LossRow>): LossRow[] {
  const changed: LossRow[] = [];
  for (const view of extData.values()) {
    const row = rows.get(view.extId);
    if (!row || !view.mapped.ok) continue;
    const { fields, holding } = keepSentOverLosses(view.mapped.fields, row.losses);
    if (holding.length < row.losses.length) changed.push({ ...row, losses: holding });
    if (!holding.length) continue;
    view.mapped = {
      ...view.mapped,
      fields,
      identity: link.mapper.identity(fields),
      label: link.mapper.label(fields),
      hash: contentHash(projectFields(fields, link.mapper.holds)),
    };
  }
  return changed;
}

/** The link's loss records by external id (there are few: only items a remote stored lossily). */
export function lossesByExt(rows: LossRow[]): Map<string, LossRow> {
  return new Map(rows.map((r) => [r.extId, r]));
}
