/**
 * Fault injection shared by every emulator. A rule matches requests by method and path
 * and answers with an error instead of the emulator's own handler: always, the first
 * `times` matches, every n-th match, or a seeded random share of them. Latency is a rule
 * too (no status): it delays matching requests and lets them through. A `dropAfter` rule
 * lets the request through and closes the connection instead of sending the answer. A `listing` rule
 * lets the request through and changes the page the route serves (listing-faults.ts).
 */
import { z } from 'zod';
import { seededRandom } from '../../core/random.js';
import { listingFaultSchema } from './listing-faults.js';

export const faultRuleSchema = z
  .object({
    /** HTTP method to match (any when absent). */
    method: z.string().min(1).optional(),
    /** Regular expression tested against the path (query string excluded); any when absent. */
    path: z.string().min(1).optional(),
    /** Status to answer with; absent: the rule only adds latency. */
    status: z.number().int().min(100).max(599).optional(),
    /** JSON body of the error answer (each emulator has a default in its API's shape). */
    body: z.unknown().optional(),
    /** Retry-After seconds to send with the answer. */
    retryAfter: z.number().min(0).optional(),
    /** Delay before answering (or before the real handler, for a latency rule). */
    latencyMs: z.number().int().min(0).optional(),
    /** Let this many matching requests pass before the rule starts to fire. */
    after: z.number().int().min(0).optional(),
    /** Fire for this many matching requests, then retire. */
    times: z.number().int().min(1).optional(),
    /** Fire on every n-th matching request (1 = all). */
    every: z.number().int().min(1).optional(),
    /** Fire on this share of matching requests, drawn from the emulator's seeded generator. */
    rate: z.number().min(0).max(1).optional(),
    /** Close the connection without an answer (a timeout or reset as the client sees it). */
    drop: z.boolean().optional(),
    /** Let the request through (a write is made), then close the connection instead of answering: the client never learns it landed. */
    dropAfter: z.boolean().optional(),
    /** Instead of an error, change the page a list route serves (listing-faults.ts). */
    listing: listingFaultSchema.optional(),
  })
  .strict();

export type FaultRule = z.infer<typeof faultRuleSchema>;

export interface FaultHit {
  rule: FaultRule;
  /** Whether the rule acts: its error, or its listing fault (false: only its latency applies). */
  fire: boolean;
}

interface Live {
  rule: FaultRule;
  re: RegExp | null;
  seen: number;
  fired: number;
}

export class FaultPlan {
  private rules: Live[] = [];
  private random: () => number;

  constructor(private readonly seed = 1) {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): void {
    const parsed = faultRuleSchema.parse(rule);
    this.rules.push({ rule: parsed, re: parsed.path ? new RegExp(parsed.path) : null, seen: 0, fired: 0 });
  }

  clear(): void {
    this.rules = [];
    this.random = seededRandom(this.seed);
  }

  list(): (FaultRule & { seen: number; fired: number })[] {
    return this.rules.map((l) => ({ ...l.rule, seen: l.seen, fired: l.fired }));
  }

  /** The rules that apply to this request, in the order they were added; the first firing error wins. */
  match(method: string, path: string): FaultHit[] {
    const hits: FaultHit[] = [];
    for (const l of this.rules) {
      if (l.rule.method && l.rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (l.re && !l.re.test(path)) continue;
      if (l.rule.times !== undefined && l.fired >= l.rule.times) continue;
      l.seen++;
      if (l.rule.after !== undefined && l.seen <= l.rule.after) continue;
      const n = l.seen - (l.rule.after ?? 0);
      let fire = l.rule.every === undefined || n % l.rule.every === 0;
      if (fire && l.rule.rate !== undefined) fire = this.random() < l.rule.rate;
      const acts = l.rule.status !== undefined || l.rule.drop === true || l.rule.dropAfter === true || l.rule.listing !== undefined;
      if (fire && acts) l.fired++;
      hits.push({ rule: l.rule, fire: fire && acts });
    }
    return hits;
  }
}
