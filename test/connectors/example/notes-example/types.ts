/** The notes API's own shapes, as it sends and takes them. */

/** A note as the connector keeps it (what `get` returns and `create`/`update` take). */
export interface NoteItem {
  /** The note's short key, unique in the account (N-12), as the user sees it. */
  key: string;
  title: string;
  done: boolean;
  /** A date, YYYY-MM-DD, or null. */
  due: string | null;
}

/** A note on the wire: the item plus the server's id and version. */
export interface RawNote extends NoteItem {
  id: string;
  etag: string;
}

export interface RawNotePage {
  items: RawNote[];
  /** Notes in the whole list. */
  total: number;
}
