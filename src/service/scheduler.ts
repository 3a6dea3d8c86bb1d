/**
 * Cron schedules per link (croner): each tick queues a reconcile of the link (a full
 * read of its hub scope and window), the safety net for missed webhooks. A tick while the
 * previous reconcile still waits in the queue folds into it. Which process runs the
 * schedules is not decided here: the service runs them only while it leads (leadership.ts).
 */
import { Cron } from 'croner';
import { linkIdOf } from '../runtime/types.js';
import type { JobQueue, RunJobData } from './jobs/types.js';

export interface ScheduledLink {
  name: string;
  schedule: string;
  /** What a tick queues when it is not a reconcile of link `name` (a link template's expansion and runs). */
  job?: RunJobData;
}

/** A task of the hub's own on a cron schedule (Slack's daily summaries), run while this process leads. */
export interface Duty {
  name: string;
  schedule: string;
  run(): Promise<unknown>;
}

export class Scheduler {
  private readonly crons = new Map<string, { expr: string; cron: Cron }>();
  private readonly duties: Duty[] = [];
  private readonly dutyCrons = new Map<string, Cron>();

  constructor(
    private readonly queue: JobQueue,
    private readonly onError: (link: string, err: unknown) => void,
    private readonly onQueued: (link: string, folded: boolean) => void = () => undefined,
  ) {}

  /** Run this duty on its schedule whenever the link schedules run (from the next reload on). */
  addDuty(duty: Duty): void {
    this.duties.push(duty);
  }

  /** Make the running schedules match these links (added, changed and removed ones), and run the duties. */
  reload(links: ScheduledLink[]): void {
    for (const d of this.duties) {
      if (this.dutyCrons.has(d.name)) continue;
      this.dutyCrons.set(
        d.name,
        new Cron(d.schedule, { protect: true }, async () => {
          try {
            await d.run();
          } catch (err) {
            this.onError(d.name, err);
          }
        }),
      );
    }
    const wanted = new Map(links.map((l) => [l.name, l.schedule]));
    const jobs = new Map(links.map((l) => [l.name, l.job ?? ({ linkId: linkIdOf(l.name), trigger: 'schedule', full: true } satisfies RunJobData)]));
    for (const [name, c] of this.crons) {
      if (wanted.get(name) === c.expr) continue;
      c.cron.stop();
      this.crons.delete(name);
    }
    for (const [name, expr] of wanted) {
      if (this.crons.has(name)) continue;
      const cron = new Cron(expr, { protect: true }, async () => {
        try {
          const job = jobs.get(name)!;
          const r = await this.queue.enqueue(job, { dedupeKey: `schedule:${job.linkId}` });
          this.onQueued(name, r.folded);
        } catch (err) {
          this.onError(name, err);
        }
      });
      this.crons.set(name, { expr, cron });
    }
  }

  /** When each scheduled link runs next (for the API). */
  nextRuns(): Record<string, string | null> {
    return Object.fromEntries([...this.crons].map(([name, c]) => [name, c.cron.nextRun()?.toISOString() ?? null]));
  }

  stop(): void {
    for (const c of this.crons.values()) c.cron.stop();
    this.crons.clear();
    for (const c of this.dutyCrons.values()) c.stop();
    this.dutyCrons.clear();
  }
}
