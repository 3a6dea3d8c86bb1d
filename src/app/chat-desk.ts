/**
 * `/tt` in chat (Slack), the hub side (issue 21): who the Slack user is in the hub, and what each
 * command does to their timer. A command is answered from the hub store alone — the
 * timers run through runtime/timers.ts and the answer is an ephemeral message — so Slack
 * gets its answer well within its 3 seconds. Slack's API is asked only when a Slack user
 * has no `slackId` on a hub person: `users.info` gives their e-mail (cached), and the
 * command waits for it at most LOOKUP_BUDGET_MS; a slower Slack gets "try again in a
 * moment" while the lookup finishes into the cache. Notices and summaries go through the
 * job queue (app/chat-outbox.ts), never the request.
 */
import { instantToLocalDate, instantToLocalParts } from '../connectors/kit/zone-time.js';
import { ambiguousText, chooseTarget, HELP_TEXT, hoursMinutes, parseTt, unknownCommandText, unknownTargetText, type Candidate } from '../core/chat-commands.js';
import type { ChatClient, ChatSettings } from '../connectors/kit/chat.js';
import { isTimebridgeError } from '../core/errors.js';
import type { HubRecord } from '../core/model.js';
import { startTimer, stopTimer, timerStatus, type TimekeepingDeps } from '../runtime/timers.js';
import type { TimerEvents } from '../service/timer-events.js';
import type { HubStore } from '../store/types.js';

/** How long a command waits for Slack's users.info before answering "try again". */
export const LOOKUP_BUDGET_MS = 1500;
/** How long a Slack user's e-mail is remembered. */
const EMAIL_TTL_MS = 60 * 60_000;

export interface SlashCommand {
  /** The chat connection's name. */
  connection: string;
  userId: string;
  text: string;
}

export interface ChatDeskDeps {
  timekeeping: TimekeepingDeps;
  store: Pick<HubStore, 'listScope' | 'getRecords'>;
  events: TimerEvents;
  clock: () => Date;
  /** Queue the scope's links after a timer changed (the service's hubChanged). */
  hubChanged(scope: string, trigger: string): Promise<unknown>;
}

/** A chat connection as the hub uses it: its name, settings and API client. */
export interface ChatConnection {
  name: string;
  settings: ChatSettings;
  client: ChatClient;
}

const live = (r: HubRecord) => !r.tombstone;
const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** A person's Slack id: the `slackId` field, or `extras.slackId`. */
export function slackIdOf(p: HubRecord): string | null {
  return str(p.fields.slackId) ?? str((p.fields.extras as Record<string, unknown> | undefined)?.slackId);
}

/** The zone a person's days are counted in: theirs, else the connection's. */
export const zoneOf = (p: HubRecord, fallback: string): string => str(p.fields.timeZone) ?? fallback;

export class ChatDesk {
  private readonly emails = new Map<string, { email: string | null; until: number }>();
  private readonly lookups = new Map<string, Promise<string | null>>();

  constructor(private readonly d: ChatDeskDeps) {}

  /** The answer to one `/tt` command (Slack mrkdwn), from the hub only. */
  async answer(cmd: SlashCommand, conn: ChatConnection): Promise<string> {
    const parsed = parseTt(cmd.text);
    if (parsed.verb === 'help') return HELP_TEXT;
    if (parsed.verb === 'unknown') return unknownCommandText(parsed.word);
    let person: Awaited<ReturnType<ChatDesk['personOf']>>;
    try {
      person = await this.personOf(cmd, conn);
    } catch (err) {
      if (!isTimebridgeError(err)) throw err;
      // Slack refused users.info (a revoked token, a missing users:read.email scope): say so instead of "not linked".
      return `Timebridge could not look up your Slack account: ${err.message}.${err.hint ? ` ${err.hint}` : ''}`;
    }
    if (person === 'pending') return 'I am matching your Slack account to your Timebridge person by e-mail; try again in a moment.';
    if (!person)
      return [
        'Your Slack account is not linked to a person in Timebridge.',
        `Ask an admin to set your Slack id (${cmd.userId}) as slackId on your person in scope ${conn.settings.scope}, or to give your person the e-mail of your Slack profile.`,
      ].join(' ');
    try {
      if (parsed.verb === 'start') return await this.start(cmd, conn, person, parsed.target);
      if (parsed.verb === 'stop') return await this.stop(cmd, conn, person);
      if (parsed.verb === 'status') return await this.status(conn, person);
      return await this.today(conn, person);
    } catch (err) {
      if (!isTimebridgeError(err)) throw err;
      return `Could not ${parsed.verb === 'start' ? 'start' : parsed.verb === 'stop' ? 'stop' : 'read'} your timer: ${err.message}.${err.hint ? ` ${err.hint}` : ''}`;
    }
  }

  /** The hub person of a Slack user: by slackId, else by the e-mail users.info gives; 'pending' while Slack is slow to say. */
  async personOf(cmd: Pick<SlashCommand, 'userId'>, conn: ChatConnection): Promise<HubRecord | null | 'pending'> {
    const persons = (await this.d.store.listScope(conn.settings.scope, 'person')).filter(live);
    const byId = persons.find((p) => slackIdOf(p) === cmd.userId);
    if (byId) return byId;
    const key = `${conn.name}\n${cmd.userId}`;
    const cached = this.emails.get(key);
    let email: string | null;
    if (cached && cached.until > this.d.clock().getTime()) email = cached.email;
    else {
      let lookup = this.lookups.get(key);
      if (!lookup) {
        lookup = conn.client
          .userInfo(cmd.userId)
          .then((u) => {
            this.emails.set(key, { email: u.email, until: this.d.clock().getTime() + EMAIL_TTL_MS });
            return u.email;
          })
          .finally(() => this.lookups.delete(key));
        // A lookup that fails is asked again by the next command; nothing waits for it here.
        lookup.catch(() => undefined);
        this.lookups.set(key, lookup);
      }
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), LOOKUP_BUDGET_MS)));
      // A failed lookup is thrown to this command (the next one asks again).
      const got = await Promise.race([lookup, budget]).finally(() => clearTimeout(timer));
      if (got === 'pending') return 'pending';
      email = got;
    }
    if (!email) return null;
    const lower = email.toLowerCase();
    return persons.find((p) => str(p.fields.email)?.toLowerCase() === lower) ?? null;
  }

  /** The projects and tasks a person may start a timer on: the scope's projects, and its open tasks not assigned to someone else. */
  async candidates(scope: string, personId: string): Promise<Candidate[]> {
    const projects = (await this.d.store.listScope(scope, 'project')).filter(live);
    const tasks = (await this.d.store.listScope(scope, 'task')).filter(
      (t) => live(t) && t.fields.state !== 'done' && (!t.fields.assigneeId || t.fields.assigneeId === personId),
    );
    return [
      ...projects.map((p) => {
        const name = str(p.fields.name) ?? p.id;
        return { id: p.id, kind: 'project' as const, label: name, names: [name], projectId: p.id };
      }),
      ...tasks.map((t) => {
        const key = String(t.fields.key);
        const summary = str(t.fields.summary);
        return {
          id: t.id,
          kind: 'task' as const,
          label: summary ? `${key} ${summary}` : key,
          names: [key, ...(summary ? [summary] : [])],
          projectId: str(t.fields.projectId),
        };
      }),
    ];
  }

  private async start(cmd: SlashCommand, conn: ChatConnection, person: HubRecord, target: string): Promise<string> {
    let chosen: Candidate | null = null;
    if (target) {
      const known = await this.candidates(conn.settings.scope, person.id);
      const choice = chooseTarget(target, known);
      if ('ambiguous' in choice) return ambiguousText(target, choice.ambiguous);
      if ('none' in choice) return unknownTargetText(target, known);
      chosen = choice.found;
    }
    const origin = `chat:${cmd.connection}`;
    const r = await startTimer(this.d.timekeeping, {
      scope: conn.settings.scope,
      personId: person.id,
      projectId: chosen?.projectId ?? null,
      taskId: chosen?.kind === 'task' ? chosen.id : null,
      actor: { origin },
      now: this.d.clock(),
    });
    if (r.stopped) this.d.events.emit({ kind: 'stopped', scope: conn.settings.scope, personId: person.id, record: r.stopped.entry, origin });
    this.d.events.emit({ kind: 'started', scope: conn.settings.scope, personId: person.id, record: r.timer, origin });
    await this.d.hubChanged(conn.settings.scope, `${origin}:timer-start`);
    const on = chosen ? ` on ${chosen.kind} *${chosen.label}*` : ' (no project)';
    const before = r.stopped ? ` Your previous timer was stopped: ${hoursMinutes(Number(r.stopped.entry.fields.durationSeconds))} booked.` : '';
    return `Timer started${on}.${before}`;
  }

  private async stop(cmd: SlashCommand, conn: ChatConnection, person: HubRecord): Promise<string> {
    const origin = `chat:${cmd.connection}`;
    // The API's "no running timer" hint names API routes; in chat, say what to type.
    if (!(await timerStatus(this.d.timekeeping, conn.settings.scope, person.id, this.d.clock())).running)
      return 'No timer is running, so there is nothing to stop. Start one with `/tt start [project or task]`.';
    const r = await stopTimer(this.d.timekeeping, { scope: conn.settings.scope, personId: person.id, actor: { origin }, now: this.d.clock() });
    this.d.events.emit({ kind: 'stopped', scope: conn.settings.scope, personId: person.id, record: r.entry, origin });
    await this.d.hubChanged(conn.settings.scope, `${origin}:timer-stop`);
    return `Timer stopped: ${hoursMinutes(Number(r.entry.fields.durationSeconds))} booked on ${r.entry.fields.date}${await this.onWhat(r.entry)}.`;
  }

  private async status(conn: ChatConnection, person: HubRecord): Promise<string> {
    const s = await timerStatus(this.d.timekeeping, conn.settings.scope, person.id, this.d.clock());
    if (!s.running || !s.timer) return 'No timer is running. Start one with `/tt start [project or task]`.';
    const since = instantToLocalParts(Date.parse(String(s.timer.fields.start)), zoneOf(person, conn.settings.timeZone)).time.slice(0, 5);
    return `Your timer runs${await this.onWhat(s.timer)} since ${since}: ${hoursMinutes(s.elapsedSeconds)}.`;
  }

  private async today(conn: ChatConnection, person: HubRecord): Promise<string> {
    const now = this.d.clock();
    const zone = zoneOf(person, conn.settings.timeZone);
    const day = instantToLocalDate(now.getTime(), zone);
    const lines = await dayReport(this.d, conn.settings.scope, person, day, zone, now);
    return lines.join('\n');
  }

  /** ` on project *X*` / ` on task *K*` for a timer or entry, or ''. */
  private async onWhat(r: HubRecord): Promise<string> {
    return describeTarget(this.d.store, r);
  }
}

/** ` on task *KEY summary*` or ` on project *Name*` for a timer or an entry; '' for neither. */
export async function describeTarget(store: Pick<HubStore, 'getRecords'>, r: HubRecord): Promise<string> {
  const ids = [str(r.fields.taskId), str(r.fields.projectId)].filter((x): x is string => x !== null);
  if (!ids.length) return '';
  const found = await store.getRecords(ids);
  const task = found.find((x) => x.kind === 'task');
  if (task) return ` on task *${String(task.fields.key)}${task.fields.summary ? ` ${String(task.fields.summary)}` : ''}*`;
  const project = found.find((x) => x.kind === 'project');
  return project ? ` on project *${str(project.fields.name) ?? project.id}*` : '';
}

/** A person's day: the total, each entry, and a timer that runs now (`now`: whether to count it). */
export async function dayReport(
  d: Pick<ChatDeskDeps, 'store' | 'timekeeping'>,
  scope: string,
  person: HubRecord,
  day: string,
  zone: string,
  now: Date,
): Promise<string[]> {
  const entries = (await d.store.listScope(scope, 'timeEntry'))
    .filter((e) => live(e) && e.fields.personId === person.id && e.fields.date === day)
    .sort((a, b) => String(a.fields.start ?? '').localeCompare(String(b.fields.start ?? '')));
  const total = entries.reduce((s, e) => s + Number(e.fields.durationSeconds ?? 0), 0);
  const lines = [`*${day}* (${zone}): ${hoursMinutes(total)} in ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}`];
  for (const e of entries) {
    const at = e.fields.start ? instantToLocalParts(Date.parse(String(e.fields.start)), zone).time.slice(0, 5) : '--:--';
    const what = await describeTarget(d.store, e);
    lines.push(`• ${at} ${hoursMinutes(Number(e.fields.durationSeconds ?? 0))}${what}${e.fields.description ? ` — ${String(e.fields.description)}` : ''}`);
  }
  const s = await timerStatus(d.timekeeping, scope, person.id, now);
  if (s.running && s.timer && instantToLocalDate(Date.parse(String(s.timer.fields.start)), zone) === day)
    lines.push(`Running now${await describeTarget(d.store, s.timer)}: ${hoursMinutes(s.elapsedSeconds)} (not in the total yet)`);
  return lines;
}
