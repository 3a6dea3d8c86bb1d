/** The shared connector contract, run against the example notes connector on its in-test server. */
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import { notesEntry } from './notes-example/index.js';
import type { NoteItem } from './notes-example/types.js';
import { startNotesServer } from './notes-server.js';

const TOKEN = 'contract-token-123';
const target = { collection: null, externalKind: 'note' };

connectorContractSuite<NoteItem>('example notes connector', async () => {
  const server = await startNotesServer(TOKEN);
  // Page size 7: the 50-item case reads 8 pages, so paging is part of the contract run.
  const config = notesEntry.configSchema.parse({ baseUrl: server.url, apiToken: TOKEN, pageSize: 7 });
  const make = async () => notesEntry.create(config, { baseDir: '.', target });
  const connector = await make();
  const other = await make();
  return {
    connector,
    // create() is async only for the OAuth grant; with an API token it builds nothing remote, so a second instance is made up front.
    fresh: () => other,
    sample: (n) => ({ key: `N-${n}`, title: `Note ${n}`, done: n % 2 === 0, due: n % 3 ? `2026-03-${String(1 + (n % 28)).padStart(2, '0')}` : null }),
    change: (d) => ({ ...d, title: `${d.title} (changed)`, done: !d.done }),
    same: (a, b) => a.key === b.key && a.title === b.title && a.done === b.done && a.due === b.due,
    teardown: () => server.close(),
  };
});
