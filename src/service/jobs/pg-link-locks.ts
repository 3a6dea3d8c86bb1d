/**
 * Per-link exclusion across processes: a PostgreSQL session advisory lock per link,
 * held on one dedicated connection for as long as a handler of that link runs here.
 * Session locks are re-entrant within a session, so links held by this process are also
 * tracked here and never granted twice. A process that dies loses its connection and
 * with it its locks, which is how other processes tell its `active` jobs are orphaned.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';

export class PgLinkLocks {
  readonly #url: string;
  readonly #namespace: string;
  readonly #onLost: (err: Error) => void;
  readonly #held = new Set<string>();
  #client: Promise<pg.Client> | null = null;

  /** `onLost`: the connection broke, so every lock held here is gone. */
  constructor(url: string, namespace: string, onLost: (err: Error) => void) {
    this.#url = url;
    this.#namespace = namespace;
    this.#onLost = onLost;
  }

  /** 64 bits of a hash of namespace and link, as pg_advisory_lock's bigint key. */
  #key(linkId: string): string {
    return createHash('sha256').update(`timebridge\0${this.#namespace}\0${linkId}`).digest().readBigInt64BE(0).toString();
  }

  #connection(): Promise<pg.Client> {
    this.#client ??= (async () => {
      const client = new pg.Client({ connectionString: this.#url, application_name: 'timebridge-link-locks' });
      client.on('error', (err) => this.#lost(client, err));
      client.on('end', () => this.#lost(client, new Error('the link-lock connection to PostgreSQL closed')));
      await client.connect();
      return client;
    })().catch((err: unknown) => {
      this.#client = null;
      throw err;
    });
    return this.#client;
  }

  #lost(client: pg.Client, err: Error): void {
    const current = this.#client;
    this.#client = null;
    void current?.then(
      (c) => {
        if (c !== client || this.#held.size === 0) return;
        this.#held.clear();
        this.#onLost(err);
      },
      () => {},
    );
  }

  holds(linkId: string): boolean {
    return this.#held.has(linkId);
  }

  /** True when this process now holds the link; false when it or another process already does. */
  async tryLock(linkId: string): Promise<boolean> {
    if (this.#held.has(linkId)) return false;
    this.#held.add(linkId);
    try {
      const client = await this.#connection();
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.#key(linkId)]);
      if (!rows[0]?.ok) this.#held.delete(linkId);
      return rows[0]?.ok === true;
    } catch (err) {
      this.#held.delete(linkId);
      throw err;
    }
  }

  async unlock(linkId: string): Promise<void> {
    if (!this.#held.delete(linkId)) return;
    const client = await this.#connection();
    await client.query('SELECT pg_advisory_unlock($1::bigint)', [this.#key(linkId)]);
  }

  async close(): Promise<void> {
    const pending = this.#client;
    this.#client = null;
    this.#held.clear();
    const client = await pending?.catch(() => null);
    await client?.end();
  }
}
