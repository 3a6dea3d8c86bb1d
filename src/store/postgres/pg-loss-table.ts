/** The write losses of linked items on PostgreSQL (table `write_losses`, migration 4). Same behaviour as sqlite/loss-table.ts. */
import type pg from 'pg';
import { toLoss } from '../rows.js';
import type { CommitBatch, HubStore, LossRow } from '../types.js';
import { named } from './pg-rows.js';

const Q = {
  clear: named(
    'l_clear_losses',
    `DELETE FROM write_losses w USING unnest($1::text[], $2::text[]) AS d(link_id, hub_id)
    WHERE w.link_id = d.link_id AND w.hub_id = d.hub_id`,
  ),
  put: named(
    'l_put_losses',
    `INSERT INTO write_losses (link_id, hub_id, ext_id, label, losses, detected_at, run_id)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    ON CONFLICT (link_id, hub_id) DO UPDATE SET ext_id = excluded.ext_id, label = excluded.label, losses = excluded.losses,
      detected_at = excluded.detected_at, run_id = excluded.run_id`,
  ),
  all: named('l_all_losses', 'SELECT * FROM write_losses ORDER BY link_id, hub_id'),
  ofLink: named('l_link_losses', 'SELECT * FROM write_losses WHERE link_id = $1 ORDER BY hub_id'),
};

/** Inside the commit transaction: status deletes and clears first, then the puts (an empty list clears). */
export async function writeLossRows(client: pg.ClientBase, batch: CommitBatch): Promise<void> {
  const puts = [...new Map((batch.lossesPut ?? []).map((l) => [`${l.linkId}\u0000${l.hubId}`, l])).values()];
  const clears = [...(batch.statusDeletes ?? []), ...(batch.lossesClear ?? []), ...puts.filter((l) => !l.losses.length)];
  if (clears.length) await client.query(Q.clear([clears.map((c) => c.linkId), clears.map((c) => c.hubId)]));
  const kept = puts.filter((l) => l.losses.length);
  if (!kept.length) return;
  const col = (pick: (l: LossRow) => string) => kept.map(pick);
  await client.query(
    Q.put([
      col((l) => l.linkId),
      col((l) => l.hubId),
      col((l) => l.extId),
      col((l) => l.label),
      col((l) => JSON.stringify(l.losses)),
      col((l) => l.detectedAt),
      col((l) => l.runId),
    ]),
  );
}

export function pgLossReads(pool: pg.Pool): Pick<HubStore, 'listLosses'> {
  return {
    async listLosses(linkId) {
      return (await pool.query(linkId === undefined ? Q.all() : Q.ofLink([linkId]))).rows.map(toLoss);
    },
  };
}
