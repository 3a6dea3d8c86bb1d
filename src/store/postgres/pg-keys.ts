/**
 * Keys of PostgreSQL advisory locks. Advisory locks are database-wide, so every key
 * includes the schema: two hubs sharing a database in different schemas never wait on
 * each other. The key is the first 64 bits of a SHA-256, as a signed bigint in text
 * (node-pg sends it as a parameter; PostgreSQL reads it as bigint).
 */
import { createHash } from 'node:crypto';

export function advisoryKey(...parts: string[]): string {
  const digest = createHash('sha256')
    .update(['timebridge', ...parts].join('\u0000'))
    .digest();
  return digest.readBigInt64BE(0).toString();
}
