/**
 * How a link's `externalKind`, `mapper` and `options` pick the mapper it runs with. One
 * function, used when the config loads, when the API stores a link and when a link runs,
 * so a wrong name is refused at the first of these with the choices spelled out.
 */
import type { Mapper } from '../connectors/kit/mapper.js';
import type { ConnectorEntry } from '../connectors/kit/entry.js';
import type { RecordKind } from '../core/model.js';
import type { Direction } from '../core/policy.js';
import type { LinkConfig } from './config-schema.js';

export interface LinkMapping {
  externalKind: string;
  mapperName: string;
  mapper: Mapper<unknown>;
  hubKind: RecordKind;
  /** The link's own `direction`, else its mapper's default, else `both`. */
  direction: Direction;
}

/** The mapper a link runs with; a string is what is wrong (the caller adds where). */
export function linkMapping(entry: ConnectorEntry<unknown, unknown>, type: string, link: LinkConfig): LinkMapping | string {
  const kinds = entry.manifest.kinds.map((k) => k.external);
  const externalKind = link.externalKind ?? kinds[0]!;
  if (!kinds.includes(externalKind)) return `externalKind: ${type} has no kind "${externalKind}". Fix: use one of: ${kinds.join(', ')}.`;
  const names = Object.entries(entry.mappers)
    .filter(([, m]) => m.externalKind === externalKind)
    .map(([n]) => n);
  const mapperName = link.mapper ?? names[0];
  if (mapperName === undefined) return `externalKind: ${type} has no mapper for "${externalKind}".`;
  const m = entry.mappers[mapperName];
  if (!m || m.externalKind !== externalKind) {
    return `mapper: ${type} has no mapper "${mapperName}" for kind "${externalKind}". Fix: use one of: ${names.join(', ') || '(none)'}.`;
  }
  let options: unknown = link.options;
  if (m.options) {
    const r = m.options.safeParse(link.options ?? {});
    if (!r.success) return `options: ${r.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`;
    options = r.data;
  } else if (link.options && Object.keys(link.options).length) {
    return `options: mapper "${mapperName}" takes no options. Fix: remove them.`;
  }
  const mapper = m.make(options);
  const hubKind = link.kind ?? m.hubKind;
  if (hubKind !== m.hubKind) return `kind: mapper "${mapperName}" makes ${m.hubKind} records, not ${hubKind}. Fix: leave kind out or set it to ${m.hubKind}.`;
  return { externalKind, mapperName, mapper, hubKind, direction: link.direction ?? m.defaultDirection ?? 'both' };
}
