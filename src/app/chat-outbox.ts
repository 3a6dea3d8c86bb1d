/**
 * The chat outbox (Slack, issue 21): channel notices of timer starts and stops, and each person's
 * daily summary, as jobs in the service's durable job queue (`service/jobs/`), data
 * `{ linkId: "outbox:chat:<connection>", chat: ChatJobData }`. A timer never waits for
 * Slack: the notice is queued after the timer's commit, and the queue retries a failed
 * post with backoff — after Slack's Retry-After on a 429 — and dead-letters it after its
 * attempts, listed by `GET /api/v1/jobs`.
 *
 * Once only: a 429 or an error means Slack posted nothing, so the retry posts the one
 * message; a post Slack accepted is marked in the store (the delivery table, set-once
 * across processes) before the job ends, and a job that finds its mark posts nothing.
 * Daily summaries are claimed per connection, person and local day in the same table
 * before they are queued, so two workers ticking at once (a change of leader) queue one.
 */
import { hoursMinutes } from '../core/chat-commands.js';
import { summaryDueDay, CLOCK_TIME } from './daily-summary.js';
import type { ChatSettings } from '../connectors/kit/chat.js';
import type { HubRecord } from '../core/model.js';
import type { TimekeepingDeps } from '../runtime/timers.js';
import type { TimerEvent } from '../service/timer-events.js';
import type { HubStore } from '../store/types.js';
import { dayReport, describeTarget, slackIdOf, zoneOf, type ChatConnection } from './chat-desk.js';
import { instantToLocalParts } from '../connectors/kit/zone-time.js';

/** What a chat outbox job carries (RunJobData.chat). */
export type ChatJobData =
  | { connection: string; kind: 'notice'; key: string; channel: string; text: string }
  | { connection: string; kind: 'summary'; key: string; personId: string; day: string };

export interface ChatOutboxQueue {
  enqueue(data: { linkId: string; trigger: string; chat: ChatJobData }, opts?: { dedupeKey?: string }): Promise<{ id: string; folded: boolean }>;
}

/** The chat connections of the hub, ready to use. */
export type ChatConnections = () => Promise<ChatConnection[]>;

export interface ChatOutboxDeps {
  store: Pick<HubStore, 'rememberDelivery' | 'getRecords' | 'listScope'>;
  timekeeping: TimekeepingDeps;
  queue: ChatOutboxQueue;
  connections: ChatConnections;
  clock: () => Date;
}

export const chatOutboxLinkId = (connection: string): string => `outbox:chat:${connection}`;

/** Marks live long enough to outlast any retry (the table is keyed with an expiry). */
const SENT_MARK_MS = 30 * 86_400_000;
/** A day's summary claim outlives the local day in every zone. */
const CLAIM_MS = 3 * 86_400_000;

export class ChatOutbox {
  constructor(private readonly d: ChatOutboxDeps) {}

  /** Queue the notice of a timer event in each chat connection of its scope that has a notice channel. */
  async notice(e: TimerEvent): Promise<string[]> {
    const jobs: string[] = [];
    for (const conn of await this.d.connections()) {
      const { name, settings } = conn;
      if (settings.scope !== e.scope || !settings.noticeChannel) continue;
      const text = await this.noticeText(e, settings);
      const key = `notice:${name}:${e.kind}:${e.record.id}:${e.record.version}`;
      const r = await this.d.queue.enqueue(
        { linkId: chatOutboxLinkId(name), trigger: `chat:${e.kind}`, chat: { connection: name, kind: 'notice', key, channel: settings.noticeChannel, text } },
        { dedupeKey: key },
      );
      jobs.push(r.id);
    }
    return jobs;
  }

  private async noticeText(e: TimerEvent, config: ChatSettings): Promise<string> {
    const [person] = await this.d.store.getRecords([e.personId]);
    const who = person ? (slackIdOf(person) ? `<@${slackIdOf(person)}>` : String(person.fields.name ?? person.fields.username ?? person.id)) : e.personId;
    const what = await describeTarget(this.d.store, e.record);
    const zone = person ? zoneOf(person, config.timeZone) : config.timeZone;
    if (e.kind === 'started') {
      const at = instantToLocalParts(Date.parse(String(e.record.fields.start)), zone).time.slice(0, 5);
      return `:arrow_forward: ${who} started a timer${what || ' (no project)'} at ${at} (${zone})`;
    }
    return `:black_square_for_stop: ${who} stopped their timer: ${hoursMinutes(Number(e.record.fields.durationSeconds ?? 0))}${what}`;
  }

  /**
   * Queue the daily summaries due at `now`: for each chat connection with summaries on,
   * each active person of its scope whose local clock has passed their summary time
   * (`extras.slackSummaryAt`, else the connection's `dailySummary.at`) and whose day is
   * not claimed yet. Returns the claimed `person/day` pairs.
   */
  async tick(now: Date): Promise<string[]> {
    const claimed: string[] = [];
    for (const conn of await this.d.connections()) {
      const { name, settings: config } = conn;
      if (!config.dailySummary.enabled) continue;
      for (const p of await this.d.store.listScope(config.scope, 'person')) {
        if (p.tombstone || p.fields.active === false || (!slackIdOf(p) && !p.fields.email)) continue;
        const day = summaryDueDay(now, zoneOf(p, config.timeZone), summaryAt(p) ?? config.dailySummary.at);
        if (!day) continue;
        const key = `summary:${name}:${p.id}:${day}`;
        if (!(await this.d.store.rememberDelivery(`chat-${key}`, new Date(now.getTime() + CLAIM_MS).toISOString(), now.toISOString()))) continue;
        await this.d.queue.enqueue(
          { linkId: chatOutboxLinkId(name), trigger: 'chat:summary', chat: { connection: name, kind: 'summary', key, personId: p.id, day } },
          { dedupeKey: key },
        );
        claimed.push(`${p.id}/${day}`);
      }
    }
    return claimed;
  }

  /** Run one outbox job: post its message once. */
  async process(job: ChatJobData): Promise<Record<string, unknown>> {
    const now = this.d.clock().toISOString();
    const mark = `chat-sent:${job.key}`;
    // Posted already (a retry after the mark was written). The probe leaves an already-expired row when there is none.
    if (!(await this.d.store.rememberDelivery(mark, now, now))) return { state: 'posted', already: true };
    const conn = (await this.d.connections()).find((c) => c.name === job.connection);
    if (!conn) return { skipped: `the chat connection ${job.connection} is gone` };
    const api = conn.client;
    let channel: string, text: string;
    if (job.kind === 'notice') ({ channel, text } = job);
    else {
      const [person] = await this.d.store.getRecords([job.personId]);
      if (!person || person.tombstone) return { skipped: 'the person is gone' };
      const user = slackIdOf(person) ?? (person.fields.email ? (await api.lookupByEmail(String(person.fields.email)))?.id : undefined);
      if (!user) return { skipped: `no chat user has the e-mail of person ${person.id}` };
      channel = user;
      text = await this.summaryText(conn.settings, person, job.day);
    }
    const posted = await api.postMessage(channel, text);
    const at = this.d.clock();
    await this.d.store.rememberDelivery(mark, new Date(at.getTime() + SENT_MARK_MS).toISOString(), at.toISOString());
    return { state: 'posted', channel, ts: posted.ts };
  }

  private async summaryText(config: ChatSettings, person: HubRecord, day: string): Promise<string> {
    const lines = await dayReport(this.d, config.scope, person, day, zoneOf(person, config.timeZone), this.d.clock());
    return [`Your day in Timebridge — ${lines[0]}`, ...lines.slice(1)].join('\n');
  }
}

const summaryAt = (p: HubRecord): string | null => {
  const v = (p.fields.extras as Record<string, unknown> | undefined)?.slackSummaryAt;
  return typeof v === 'string' && CLOCK_TIME.test(v) ? v : null;
};
