/**
 * Undo a run: put back every hub record the run overwrote or deleted, as it was before
 * the run (as a new version, so the change log keeps the whole story). Records the run
 * created are left in place: removing them would delete data elsewhere.
 */
import { TimebridgeError } from '../core/errors.js';
import type { Fields, HubChange, RecordKind } from '../core/model.js';
import type { HubStore, RecordWrite } from '../store/types.js';

export interface UndoResult {
  restored: number;
  keptCreates: number;
  /** Scopes touched, so the caller can re-sync the links that cover them. */
  scopes: Set<string>;
}

export async function undoRun(store: HubStore, runId: string, now: Date, identityOf: (kind: RecordKind, fields: Fields) => string | null): Promise<UndoResult> {
  const run = await store.getRun(runId);
  if (!run) {
    throw new TimebridgeError('RUN_UNKNOWN', `no run with id ${runId}`, { hint: 'list runs with `timebridge runs`' });
  }
  const first = new Map<string, HubChange>();
  for (const c of await store.changesOfRun(runId)) if (!first.has(c.recordId)) first.set(c.recordId, c);
  const current = new Map((await store.getRecords([...first.keys()])).map((r) => [r.id, r]));
  const writes: RecordWrite[] = [];
  let keptCreates = 0;
  const scopes = new Set<string>();
  for (const [id, c] of first) {
    const cur = current.get(id);
    if (!c.before) {
      keptCreates++;
      continue;
    }
    if (!cur) continue;
    scopes.add(c.scope);
    writes.push({
      id,
      kind: c.kind,
      scope: c.scope,
      fields: c.before.fields,
      identity: identityOf(c.kind, c.before.fields),
      tombstone: c.before.tombstone,
      origin: `user:undo:${runId}`,
      runId: null,
      expectedVersion: cur.version,
      updatedAt: now.toISOString(),
    });
  }
  if (writes.length) await store.commit({ records: writes });
  return { restored: writes.length, keptCreates, scopes };
}
