/**
 * A real sync setup for engine tests: two `.ics` folders linked to one hub scope on an
 * in-memory SQLite store, with connectors wrapped to inject faults (failing writes,
 * writes that land but report failure, partial listings, listings that lie about being
 * whole, listings that fail outright) and a store wrapped so another hub writer can
 * commit while a run collects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Connector } from '../../src/connectors/kit/connector.js';
import { createIcsFolderConnector } from '../../src/connectors/ics-folder/folder-connector.js';
import { icsEventMapper } from '../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { TimebridgeError } from '../../src/core/errors.js';
import { DEFAULT_POLICY, type LinkPolicy } from '../../src/core/policy.js';
import type { FaultPoint, LinkSpec } from '../../src/runtime/types.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../src/store/types.js';

export class Crash extends Error {}

export interface Faults {
  /** Probability that an external write fails before it happens. */
  failRate: number;
  /** Probability that an external write lands but reports a transient failure. */
  ambiguousRate: number;
  /** Links whose next listing is cut short (partial). */
  partial: Set<string>;
  /**
   * Links whose next listing leaves items out yet claims to be complete (an empty last
   * page with truthful-looking totals, a page shifted by a concurrent delete).
   */
  lying: Set<string>;
  /** Links whose next listing fails (a 5xx on page k, a 429 storm past the retries). */
  listFails: Set<string>;
  /** Crash once at this point and action index. */
  crashAt: { point: FaultPoint; index: number } | null;
  /** Another writer acting on an item right before an update or delete of it reaches the folder (a 412 race). */
  race: ((side: string, id: string) => void) | null;
  random: () => number;
}

export function noFaults(): Faults {
  return { failRate: 0, ambiguousRate: 0, partial: new Set(), lying: new Set(), listFails: new Set(), crashAt: null, race: null, random: Math.random };
}

function faulty(inner: Connector<string>, name: string, faults: Faults): Connector<string> {
  const write = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (faults.random() < faults.failRate) throw new TimebridgeError('CONNECTOR_TRANSIENT', `injected failure on ${name}`);
    const r = await fn();
    if (faults.random() < faults.ambiguousRate) throw new TimebridgeError('CONNECTOR_TRANSIENT', `injected lost reply on ${name}`);
    return r;
  };
  return {
    manifest: inner.manifest,
    async list(req) {
      if (faults.listFails.delete(name)) throw new TimebridgeError('CONNECTOR_TRANSIENT', `injected failure of page 2 of the listing of ${name}`);
      const l = await inner.list(req);
      if (faults.lying.delete(name)) {
        const k = 1 + Math.floor(faults.random() * 3);
        return { ...l, refs: l.refs.filter((_, i) => i % k !== 0), complete: true };
      }
      if (!faults.partial.delete(name)) return l;
      return { ...l, refs: l.refs.filter((_, i) => i % 2 === 0), complete: false, incompleteReason: 'injected: page 2 failed' };
    },
    get: (ids) => inner.get(ids),
    create: (d, k) => write(() => inner.create(d, k)),
    update: (id, d, m) =>
      write(() => {
        faults.race?.(name, id);
        return inner.update(id, d, m);
      }),
    delete: (id, m) =>
      write(() => {
        faults.race?.(name, id);
        return inner.delete(id, m);
      }),
    findByKey: (k) => inner.findByKey(k),
  };
}

/**
 * The store with a hook between the reads a run makes while it collects: `between` runs
 * once, right after the first change-log or head read of a run, and may commit as another
 * writer would (an API edit, another link's pull).
 */
function interceptedStore(store: HubStore, hook: { between: (() => Promise<void>) | null }): HubStore {
  const fire = async <T>(r: T): Promise<T> => {
    const f = hook.between;
    hook.between = null;
    if (f) await f();
    return r;
  };
  return new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'headSeq' || prop === 'changesSince')
        return async (...args: unknown[]) => fire(await (v as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

export interface Harness {
  dirs: Record<'a' | 'b', string>;
  store: HubStore;
  /** Set `between` to commit as another writer right after a run's first change-log or head read. */
  hubWriter: { between: (() => Promise<void>) | null };
  links: LinkSpec<string>[];
  faults: Faults;
  cleanup(): Promise<void>;
}

export function createHarness(policy: Partial<LinkPolicy> = {}): Harness {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-sm-'));
  const dirs = { a: path.join(root, 'a'), b: path.join(root, 'b') };
  const raw = openSqliteStore(':memory:');
  const hubWriter: Harness['hubWriter'] = { between: null };
  const store = interceptedStore(raw, hubWriter);
  const faults = noFaults();
  const links = (['a', 'b'] as const).map((side): LinkSpec<string> => ({
    id: `link:${side}`,
    name: side,
    scope: 'team',
    kind: 'event',
    window: null,
    policy: { ...DEFAULT_POLICY, ...policy, guard: { ...DEFAULT_POLICY.guard, ...policy.guard } },
    connector: faulty(createIcsFolderConnector({ path: dirs[side], create: true }), side, faults),
    mapper: icsEventMapper,
  }));
  return {
    dirs,
    store,
    hubWriter,
    links,
    faults,
    cleanup: async () => {
      await raw.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

export function eventText(uid: string, summary: string): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T000000Z',
    `SUMMARY:${summary}`,
    'DTSTART:20261201T100000Z',
    'DTEND:20261201T110000Z',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

/** uid → summaries found in a folder (a list, so duplicates show). */
export function readFolder(dir: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!fs.existsSync(dir)) return out;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ics'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\r\n[ \t]/g, '');
    const uid = /^UID:(.*)$/m.exec(text)?.[1]?.trim() ?? '?';
    const summary = /^SUMMARY:(.*)$/m.exec(text)?.[1]?.trim() ?? '';
    out.set(uid, [...(out.get(uid) ?? []), summary]);
  }
  return out;
}

export function fileOf(dir: string, uid: string): string | null {
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.ics'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    if (text.includes(`\r\nUID:${uid}\r\n`)) return path.join(dir, f);
  }
  return null;
}
