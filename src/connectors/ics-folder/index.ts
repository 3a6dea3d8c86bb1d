/** Registry entry of the `.ics` folder connector. */
import path from 'node:path';
import { z } from 'zod';
import { fixedMapper } from '../kit/mapper.js';
import { localPath } from '../kit/settings-marks.js';
import type { ConnectorEntry } from '../kit/entry.js';
import { createIcsFolderConnector } from './folder-connector.js';
import { icsEventMapper } from '../kit/icalendar/ical-event-mapper.js';
import { icsFolderManifest } from './manifest.js';

const configSchema = z
  .object({
    path: localPath().describe('folder holding one .ics file per event (for a user: under their data root)'),
    create: z.boolean().default(false).describe('create the folder if it does not exist'),
    fsync: z.boolean().default(false).describe('fsync every write (power-loss durability, slower)'),
  })
  .strict();

export const icsFolderEntry: ConnectorEntry<z.infer<typeof configSchema>, string> = {
  manifest: icsFolderManifest,
  configSchema,
  create: (config, env) =>
    createIcsFolderConnector({
      path: path.resolve(env.baseDir, config.path),
      create: config.create && !env.probe,
      fsync: config.fsync,
    }),
  mappers: { 'ics-event': fixedMapper('vevent', icsEventMapper) },
};
