/**
 * Shared set-up of the Timekeeper tests: one real Virtuoso per test file, a seeded
 * Timekeeper data set whose Kimai ids are the Kimai tests' (kimai-fixture.ts: anna 1, ben 2;
 * Acme 10, Globex 11; Website 20, Support 21, Migration 22; Meeting 30 global, Design 31,
 * Hotline 32), and connectors on it.
 */
import { timekeeperSeed, TK, type TimekeeperSeed } from '../../../src/app/timekeeper-seed.js';
import { createTimekeeperConnector, sparqlOf, timekeeperConfigSchema, type TimekeeperConfig } from '../../../src/connectors/timekeeper/index.js';
import type { Connector } from '../../../src/connectors/kit/connector.js';
import type { TimekeeperItem } from '../../../src/connectors/timekeeper/types.js';
import type { Virtuoso } from '../../support/virtuoso.js';

export function seedData(extra: Partial<TimekeeperSeed> = {}): TimekeeperSeed {
  return {
    customers: [
      { kimaiId: 10, name: 'Acme', color: '#2e7d32' },
      { kimaiId: 11, name: 'Globex' },
    ],
    projects: [
      { kimaiId: 20, name: 'Website', customer: 10, color: '#1565c0' },
      { kimaiId: 21, name: 'Support', customer: 10 },
      { kimaiId: 22, name: 'Migration', customer: 11 },
    ],
    activities: [
      { kimaiId: 30, name: 'Meeting', project: null },
      { kimaiId: 31, name: 'Design', project: 20 },
      { kimaiId: 32, name: 'Hotline', project: 21 },
    ],
    persons: [
      { name: 'Anna', username: 'anna', kimaiUserId: 1 },
      { name: 'Ben', username: 'ben', kimaiUserId: 2 },
    ],
    workLogs: [],
    timesheets: [],
    ...extra,
  };
}

/** Empties the Timekeeper graphs and loads `data`. */
export async function reseed(v: Virtuoso, data: TimekeeperSeed): Promise<void> {
  for (const g of Object.values(TK.graphs)) await v.sparql(`CLEAR GRAPH <${g}>`);
  for (const u of timekeeperSeed(data)) await v.sparql(u);
}

export function tkConfig(v: Virtuoso, extra: Partial<TimekeeperConfig> = {}): TimekeeperConfig {
  return timekeeperConfigSchema.parse({ endpoint: v.sparqlUrl, ...extra });
}

export function tkConnector<T extends TimekeeperItem>(
  v: Virtuoso,
  kind: 'work-log' | 'timesheet',
  o: { fetch?: typeof fetch; config?: Partial<TimekeeperConfig> } = {},
): Connector<T> {
  const c = tkConfig(v, o.config);
  return createTimekeeperConnector(c, kind, null, sparqlOf(c, {}, o.fetch)) as Connector<T>;
}

/** Triples of a subject, as `predicate → values` (sorted), read as the store's owner. */
export async function triplesOf(v: Virtuoso, subject: string): Promise<Record<string, string[]>> {
  const body = (await v.sparql(`SELECT ?p ?o WHERE { <${subject}> ?p ?o }`, 'query')) as { results: { bindings: { p: { value: string }; o: { value: string } }[] } };
  const out: Record<string, string[]> = {};
  for (const b of body.results.bindings) (out[b.p.value] ??= []).push(b.o.value);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}
