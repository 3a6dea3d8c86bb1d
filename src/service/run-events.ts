/**
 * Progress of the runs this process executes, for the dashboard's live view (server-sent
 * events). In-process only: on SQLite the one `serve` process runs every job, so it sees
 * all of them; on PostgreSQL a browser sees the runs of the process it is connected to,
 * and the others' once they finish (the run list).
 */
export type RunEvent =
  | { type: 'progress'; link: string; phase: string; done: number; total: number }
  | { type: 'started'; link: string; jobId: string; trigger: string }
  | { type: 'finished'; link: string; jobId: string; runId: string; status: string; planned: number; applied: number; failed: number }
  | { type: 'failed'; link: string; jobId: string; code: string; message: string };

export class RunEvents {
  private readonly listeners = new Set<(e: RunEvent) => void>();

  emit(e: RunEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Listen until the returned function is called. */
  subscribe(fn: (e: RunEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get size(): number {
    return this.listeners.size;
  }
}
