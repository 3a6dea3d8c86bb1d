/** The write losses of linked items on SQLite (table `write_losses`, migration 7). */
import type Database from 'better-sqlite3';
import { toLoss, type Row } from '../rows.js';
import type { CommitBatch, HubStore } from '../types.js';
import { keepAlive } from './keep-alive.js';

export function lossTable(db: Database.Database): {
  write(batch: CommitBatch): void;
  listLosses: HubStore['listLosses'];
} {
  const p = (sql: string) => keepAlive(db.prepare<unknown[], Row>(sql));
  const s = {
    put: p(`INSERT INTO write_losses (link_id, hub_id, ext_id, label, losses, detected_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (link_id, hub_id) DO UPDATE SET ext_id = excluded.ext_id, label = excluded.label, losses = excluded.losses,
      detected_at = excluded.detected_at, run_id = excluded.run_id`),
    clear: p('DELETE FROM write_losses WHERE link_id = ? AND hub_id = ?'),
    all: p('SELECT * FROM write_losses ORDER BY link_id, hub_id'),
    ofLink: p('SELECT * FROM write_losses WHERE link_id = ? ORDER BY hub_id'),
  };
  return {
    /** Runs inside the store's commit transaction. */
    write(batch) {
      // An unlinked item has no losses left to show.
      for (const d of batch.statusDeletes ?? []) s.clear.run(d.linkId, d.hubId);
      for (const d of batch.lossesClear ?? []) s.clear.run(d.linkId, d.hubId);
      for (const l of batch.lossesPut ?? []) {
        if (!l.losses.length) {
          s.clear.run(l.linkId, l.hubId);
          continue;
        }
        s.put.run(l.linkId, l.hubId, l.extId, l.label, JSON.stringify(l.losses), l.detectedAt, l.runId);
      }
    },
    async listLosses(linkId) {
      return (linkId === undefined ? s.all.all() : s.ofLink.all(linkId)).map(toLoss);
    },
  };
}
