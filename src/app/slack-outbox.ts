/**
 * Slack's outbox (issue 21): channel notices of timer starts and stops, and each person's
 * daily summary, as jobs in the service's durable job queue (`service/jobs/`), data
 * `{ linkId: "outbox:slack:<connection>", slack: SlackJobData }`. A timer never waits for
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
import { slackApiOf, type SlackConfig } from '../connectors/slack/index.js';
import type { SlackApi } from '../connectors/slack/api.js';
import { hoursMinutes } from '../connectors/slack/commands.js';
import { summaryDueDay } from '../connectors/slack/summary-time.js';
import type { HubRecord } from '../core/model.js';
import type { TimekeepingDeps } from '../runtime/timers.js';
import type { TimerEvent } from '../service/timer-events.js';
import type { HubStore } from '../store/types.js';
import { dayReport, describeTarget, slackIdOf, zoneOf } from './slack-desk.js';
import { instantToLocalParts } from '../connectors/kit/zone-time.js';

/** What a Slack outbox job carries (RunJobData.slack). */
export type SlackJobData =
  | { connection: string; kind: 'notice'; key: string; channel: string; text: string }
  | { connection: string; kind: 'summary'; key: string; personId: string; day: string };

export interface SlackOutboxQueue {
  enqueue(data: { linkId: string; trigger: string; slack: SlackJobData }, opts?: { dedupeKey?: string }): Promise<{ id: string; folded: boolean }>;
}

/** The Slack connections of the hub with their settings (secrets in). */
export type SlackConnections = () => Promise<{ name: string; config: SlackConfig }[]>;

export interface SlackOutboxDeps {
  store: Pick<HubStore, 'rememberDelivery' | 'getRecords' | 'listScope'>;
  timekeeping: TimekeepingDeps;
  queue: SlackOutboxQueue;
  connections: SlackConnections;
  clock: () => Date;
  api?(connection: string, config: SlackConfig): SlackApi;
}

export const slackOutboxLinkId = (connection: string): string => `outbox:slack:${connection}`;

/** Marks live long enough to outlast any retry (the table is keyed with an expiry). */
const SENT_MARK_MS = 30 * 86_400_000;
/** A day's summary claim outlives the local day in every zone. */
const CLAIM_MS = 3 * 86_400_000;

export class SlackOutbox {
  constructor(private readonly d: SlackOutboxDeps) {}

  private api(connection: string, config: SlackConfig): SlackApi {
    return this.d.api ? this.d.api(connection, config) : slackApiOf(config);
  }

  /** Queue the notice of a timer event in each Slack connection of its scope that has a notice channel. */
  async notice(e: TimerEvent): Promise<string[]> {
    const jobs: string[] = [];
    for (const { name, config } of await this.d.connections()) {
      if (config.scope !== e.scope || !config.noticeChannel) continue;
      const text = await this.noticeText(e, config);
      const key = `notice:${name}:${e.kind}:${e.record.id}:${e.record.version}`;
      const r = await this.d.queue.enqueue(
        { linkId: slackOutboxLinkId(name), trigger: `slack:${e.kind}`, slack: { connection: name, kind: 'notice', key, channel: config.noticeChannel, text } },
        { dedupeKey: key },
      );
      jobs.push(r.id);
    }
    return jobs;
  }

  private async noticeText(e: TimerEvent, config: SlackConfig): Promise<string> {
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
   * Queue the daily summaries due at `now`: for each Slack connection with summaries on,
   * each active person of its scope whose local clock has passed their summary time
   * (`extras.slackSummaryAt`, else the connection's `dailySummary.at`) and whose day is
   * not claimed yet. Returns the claimed `person/day` pairs.
   */
  async tick(now: Date): Promise<string[]> {
    const claimed: string[] = [];
    for (const { name, config } of await this.d.connections()) {
      if (!config.dailySummary.enabled) continue;
      for (const p of await this.d.store.listScope(config.scope, 'person')) {
        if (p.tombstone || p.fields.active === false || (!slackIdOf(p) && !p.fields.email)) continue;
        const day = summaryDueDay(now, zoneOf(p, config.timeZone), summaryAt(p) ?? config.dailySummary.at);
        if (!day) continue;
        const key = `summary:${name}:${p.id}:${day}`;
        if (!(await this.d.store.rememberDelivery(`slack-${key}`, new Date(now.getTime() + CLAIM_MS).toISOString(), now.toISOString()))) continue;
        await this.d.queue.enqueue(
          { linkId: slackOutboxLinkId(name), trigger: 'slack:summary', slack: { connection: name, kind: 'summary', key, personId: p.id, day } },
          { dedupeKey: key },
        );
        claimed.push(`${p.id}/${day}`);
      }
    }
    return claimed;
  }

  /** Run one outbox job: post its message once. */
  async process(job: SlackJobData): Promise<Record<string, unknown>> {
    const now = this.d.clock().toISOString();
    const mark = `slack-sent:${job.key}`;
    // Posted already (a retry after the mark was written). The probe leaves an already-expired row when there is none.
    if (!(await this.d.store.rememberDelivery(mark, now, now))) return { state: 'posted', already: true };
    const conn = (await this.d.connections()).find((c) => c.name === job.connection);
    if (!conn) return { skipped: `the Slack connection ${job.connection} is gone` };
    const api = this.api(conn.name, conn.config);
    let channel: string, text: string;
    if (job.kind === 'notice') ({ channel, text } = job);
    else {
      const [person] = await this.d.store.getRecords([job.personId]);
      if (!person || person.tombstone) return { skipped: 'the person is gone' };
      const user = slackIdOf(person) ?? (person.fields.email ? (await api.lookupByEmail(String(person.fields.email)))?.id : undefined);
      if (!user) return { skipped: `no Slack user has the e-mail of person ${person.id}` };
      channel = user;
      text = await this.summaryText(conn.config, person, job.day);
    }
    const posted = await api.postMessage(channel, text);
    const at = this.d.clock();
    await this.d.store.rememberDelivery(mark, new Date(at.getTime() + SENT_MARK_MS).toISOString(), at.toISOString());
    return { state: 'posted', channel, ts: posted.ts };
  }

  private async summaryText(config: SlackConfig, person: HubRecord, day: string): Promise<string> {
    const lines = await dayReport(this.d, config.scope, person, day, zoneOf(person, config.timeZone), this.d.clock());
    return [`Your day in Timebridge — ${lines[0]}`, ...lines.slice(1)].join('\n');
  }
}

const summaryAt = (p: HubRecord): string | null => {
  const v = (p.fields.extras as Record<string, unknown> | undefined)?.slackSummaryAt;
  return typeof v === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(v) ? v : null;
};
