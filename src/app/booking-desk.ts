/**
 * Booking rules as people meet them (the API's /scopes/:scope/rules and /to-book, and
 * `timebridge rules …`): a scope's rules (the config file's first, then the API's), the
 * entries waiting to be booked, booking them with the current rules, and why a rule does
 * or does not book one entry. The rules are core/booking.ts; runs book new entries in
 * runtime/booking.ts.
 */
import { book, bookingRulesSchema, mismatch, type BookingRule } from '../core/booking.js';
import { TimebridgeError } from '../core/errors.js';
import type { HubRecord } from '../core/model.js';
import { linkOfOrigin, scopeBooking, sourceOf, waitingEntries, type ScopeBooking, type WaitingEntry } from '../runtime/booking.js';
import type { HubRecords } from '../runtime/records.js';
import type { HubStore } from '../store/types.js';
import type { Scopes } from './scopes.js';

export interface ScopeRules {
  scope: string;
  /** timebridge.yaml's rules (read only here), then the API's: the order they are tried in. */
  file: BookingRule[];
  api: BookingRule[];
  /** Rules naming a person, project or activity the scope does not have (they book nothing until it does). */
  problems: string[];
  /** Whether an entry needs an activity to be booked here (the scope has activity records). */
  needActivity: boolean;
}

export interface RuleVerdict {
  name: string;
  /** null: it matches. */
  mismatch: string | null;
  /** A problem with the rule itself (a name that resolves to no record). */
  problem: string | null;
  sets: BookingRule['set'];
}

export interface RuleTest {
  entry: HubRecord;
  missing: string[];
  /** The rule that books it now (the first that matches), or null. */
  rule: string | null;
  /** The fields it would have after booking. */
  booked: Record<string, unknown>;
  rules: RuleVerdict[];
}

export interface ApplyReport {
  booked: { id: string; rule: string }[];
  /** Entries still waiting after the rules were applied. */
  waiting: number;
  failed: { id: string; error: string }[];
}

export interface RuleSource {
  fileRules(scope: string): BookingRule[];
}

export class BookingDesk {
  constructor(
    private readonly store: HubStore,
    private readonly scopes: Scopes,
    private readonly file: RuleSource,
    private readonly records: HubRecords,
  ) {}

  private async resolved(scope: string): Promise<{ sb: ScopeBooking; file: BookingRule[]; api: BookingRule[] }> {
    const file = this.file.fileRules(scope);
    const api = await this.scopes.rules(scope);
    return { sb: await scopeBooking(this.store, scope, [...file, ...api]), file, api };
  }

  async rules(scope: string): Promise<ScopeRules> {
    const { sb, file, api } = await this.resolved(scope);
    return { scope, file, api, problems: sb.problems, needActivity: sb.needActivity };
  }

  /** Replace the API's rules of a scope; REQUEST_INVALID naming the rule and field, or a name the file's rules use. */
  async putRules(scope: string, raw: unknown): Promise<ScopeRules> {
    const parsed = bookingRulesSchema.safeParse(raw);
    if (!parsed.success) {
      const rules = Array.isArray(raw) ? (raw as { name?: unknown }[]) : [];
      const problems = parsed.error.issues.map((i) => {
        const name = typeof i.path[0] === 'number' ? rules[i.path[0]]?.name : undefined;
        return `rules.${i.path.join('.')}${typeof name === 'string' ? ` (rule "${name}")` : ''}: ${i.message}`;
      });
      throw new TimebridgeError('REQUEST_INVALID', `the booking rules are invalid: ${problems.join('; ')}`, {
        hint: 'fix the rules named above and send them again',
      });
    }
    const taken = new Set(this.file.fileRules(scope).map((r) => r.name));
    const clash = parsed.data.find((r) => taken.has(r.name));
    if (clash)
      throw new TimebridgeError('REQUEST_INVALID', `rule "${clash.name}" is already a rule of timebridge.yaml for scope ${scope}`, {
        hint: 'give the rule another name',
      });
    await this.scopes.putRules(scope, parsed.data);
    return this.rules(scope);
  }

  /** The scope's time entries that lack a person or project (or activity, where the scope has activities), with the rule that would book each now. */
  async toBook(scope: string): Promise<WaitingEntry[]> {
    const { sb } = await this.resolved(scope);
    return waitingEntries(await this.store.listScope(scope, 'timeEntry'), sb);
  }

  /** Book every waiting entry a rule books now, through the change log (origin `rule:<name>`), so links push them. */
  async apply(scope: string, only?: (r: HubRecord) => Promise<boolean>): Promise<ApplyReport> {
    const { sb } = await this.resolved(scope);
    const report: ApplyReport = { booked: [], waiting: 0, failed: [] };
    for (const w of waitingEntries(await this.store.listScope(scope, 'timeEntry'), sb)) {
      if (only && !(await only(w.record))) continue;
      const b = book(w.record.fields, sourceOf(w.record.fields, linkOfOrigin(w.record.origin), null, sb.taskKeys), sb.rules, sb.needActivity);
      if (!b.rule) {
        report.waiting++;
        continue;
      }
      try {
        await this.records.update({ id: w.record.id, fields: b.fields, ifMatch: w.record.version, actor: { origin: `rule:${b.rule}` } });
        report.booked.push({ id: w.record.id, rule: b.rule });
        if (b.missing.length) report.waiting++;
      } catch (err) {
        report.failed.push({ id: w.record.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return report;
  }

  /** Which rule books an entry, what it sets, and why each other rule does not. */
  async test(entry: HubRecord): Promise<RuleTest> {
    if (entry.kind !== 'timeEntry')
      throw new TimebridgeError('REQUEST_INVALID', `${entry.id} is a ${entry.kind}, not a time entry`, { hint: 'booking rules book time entries' });
    const { sb, file, api } = await this.resolved(entry.scope);
    const source = sourceOf(entry.fields, linkOfOrigin(entry.origin), null, sb.taskKeys);
    const b = book(entry.fields, source, sb.rules, sb.needActivity);
    const usable = new Set(sb.rules.map((r) => r.rule.name));
    const rules = [...file, ...api].map((r) => ({
      name: r.name,
      mismatch: mismatch(r, entry.fields, source),
      problem: usable.has(r.name) ? null : (sb.problems.find((p) => p.startsWith(`booking rule "${r.name}"`)) ?? null),
      sets: r.set,
    }));
    const missing = waitingEntries([entry], sb)[0]?.missing ?? [];
    return { entry, missing, rule: b.rule, booked: b.fields, rules };
  }
}
