/**
 * Leadership on PostgreSQL: a session-level advisory lock (key: the store's schema) on a
 * connection of its own. PostgreSQL drops the lock when that session ends, so a leader
 * that dies — killed, or cut off — frees it without any lease to wait out; the others
 * take it on their next attempt. The leader checks its connection on the same interval
 * (with a query timeout), so one that was cut off stops leading about as fast as another
 * starts. pg-boss's own schedules were not used: they fire at minute granularity (links
 * may say seconds) and would not say who keeps the push channels.
 */
import pg from 'pg';
import { advisoryKey } from '../store/postgres/pg-keys.js';
import { Campaign, type CampaignOptions, type LockSession } from './leadership.js';

export interface PgLeadershipOptions {
  url: string;
  /** The store's schema: one leader per hub. */
  schema: string;
  /** Shown in pg_stat_activity.application_name, so an operator can see who leads. */
  instance: string;
  retryMs: number;
  log: CampaignOptions['log'];
  after?: CampaignOptions['after'];
}

function pgLockSession(url: string, key: string, name: string, timeoutMs: number): CampaignOptions['open'] {
  return async (onLost) => {
    const client = new pg.Client({
      connectionString: url,
      application_name: name,
      keepAlive: true,
      query_timeout: timeoutMs,
      connectionTimeoutMillis: timeoutMs,
    });
    client.on('error', (err) => onLost(err));
    client.on('end', () => onLost(new Error('the leadership connection to PostgreSQL closed')));
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    const session: LockSession = {
      async tryLock() {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
        return rows[0]?.ok === true;
      },
      async ping() {
        await client.query('SELECT 1');
      },
      async unlock() {
        await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
      },
      async end() {
        await client.end();
      },
    };
    return session;
  };
}

/** Campaign for the lead of this schema; resolves after the first attempt. */
export async function openPgLeadership(o: PgLeadershipOptions): Promise<Campaign> {
  const name = `timebridge-leader ${o.instance}`.slice(0, 63);
  const campaign = new Campaign({
    open: pgLockSession(o.url, advisoryKey('leader', o.schema), name, Math.max(2000, o.retryMs * 2)),
    retryMs: o.retryMs,
    log: o.log,
    ...(o.after ? { after: o.after } : {}),
  });
  await campaign.start();
  return campaign;
}
