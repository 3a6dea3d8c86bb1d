/**
 * The connector registry: connector type name (its folder) → how to build it from its
 * validated config, and the mapper its links use by default. One of the two places,
 * with the composition root, that imports concrete connectors.
 */
import type { z } from 'zod';
import type { Connector, Manifest } from './kit/connector.js';
import type { Mapper } from './kit/mapper.js';
import { caldavEntry } from './caldav/index.js';
import { icsFolderEntry } from './ics-folder/index.js';

export interface ConnectorEntry<C, E> {
  manifest: Manifest;
  /** Schema of a connection's settings (everything besides `type`). */
  configSchema: z.ZodType<C>;
  /**
   * `baseDir` resolves relative paths (the config file's folder). May load the connector's
   * code on demand, so a CLI run pays start-up only for the connectors its config uses.
   */
  create(config: C, env: { baseDir: string }): Connector<E> | Promise<Connector<E>>;
  mapper: Mapper<E>;
}

// Each entry is checked against ConnectorEntry where it is defined; here they only need a name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const CONNECTORS: Record<string, ConnectorEntry<any, any>> = {
  'ics-folder': icsFolderEntry,
  caldav: caldavEntry,
};

export function connectorTypes(): string[] {
  return Object.keys(CONNECTORS);
}
