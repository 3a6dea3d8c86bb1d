/**
 * The notes connector: a paged listing proven whole by the kit's `readPages`, reads by id
 * (404 → a `not_found` failure, never thrown), and conditional writes whose 412 and 404
 * the kit's HTTP client turns into `precondition` and `not_found` errors.
 */
import { isItemFailure, type Connector, type ExternalItem, type IdempotencyKey, type ItemFailure } from '../../../../src/connectors/kit/connector.js';
import type { HttpClient } from '../../../../src/connectors/kit/http-client.js';
import { readPages } from '../../../../src/connectors/kit/paging.js';
import { describeError, isTimebridgeError } from '../../../../src/core/errors.js';
import { notesManifest } from './manifest.js';
import type { NoteItem, RawNote, RawNotePage } from './types.js';

/** Made from the key, so a retried create (this process or another) lands on the same note. */
const idOf = (key: IdempotencyKey): string => `${key.hubId}.${key.key}`;
const path = (id: string): string => `/notes/${encodeURIComponent(id)}`;
const itemOf = ({ key, title, done, due }: RawNote): NoteItem => ({ key, title, done, due });

export function createNoteConnector(http: HttpClient, pageSize: number): Connector<NoteItem> {
  const put = async (id: string, data: NoteItem, condition: Record<string, string>) => {
    const note = (await http.request({ method: 'PUT', path: path(id), headers: condition, body: data })).json<RawNote>();
    return { id: note.id, etag: note.etag };
  };
  const read = async (id: string): Promise<ExternalItem<NoteItem> | ItemFailure> => {
    try {
      const note = (await http.request({ method: 'GET', path: path(id) })).json<RawNote>();
      return { id, etag: note.etag, data: itemOf(note), modifiedAt: null };
    } catch (err) {
      if (isTimebridgeError(err) && err.kind === 'not_found') return { id, error: describeError(err) };
      throw err;
    }
  };
  return {
    manifest: notesManifest,
    async list() {
      const paged = await readPages<RawNote>({
        what: 'notes',
        style: 'page',
        size: pageSize,
        id: (n) => n.id,
        fetch: async ({ index }) => {
          const page = (await http.request({ method: 'GET', path: '/notes', query: { page: index, size: pageSize } })).json<RawNotePage>();
          return { items: page.items, total: page.total, last: (index + 1) * pageSize >= page.total };
        },
      });
      return {
        mode: 'full',
        refs: paged.items.map((n) => ({ id: n.id, etag: n.etag })),
        removed: [],
        complete: paged.complete,
        ...(paged.reason ? { incompleteReason: paged.reason } : {}),
        cursor: null,
        failures: [],
      };
    },
    get: (ids) => Promise.all(ids.map(read)),
    create: (data, key) => put(idOf(key), data, { 'if-none-match': '*' }),
    update: (id, data, ifMatch) => put(id, data, { 'if-match': ifMatch }),
    async delete(id, ifMatch) {
      await http.request({ method: 'DELETE', path: path(id), headers: { 'if-match': ifMatch } });
    },
    async findByKey(key) {
      const found = await read(idOf(key));
      return isItemFailure(found) ? null : { id: found.id, etag: found.etag };
    },
  };
}
