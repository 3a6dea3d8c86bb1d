/**
 * API tokens: `tb_` + 32 random bytes (base64url). Only their SHA-256 is stored — a
 * token has 256 bits of entropy, so a slow password hash would add nothing but latency
 * to every request. The token is shown once, when it is made.
 */
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../runtime/ids.js';
import type { ApiToken, HubStore, Role } from '../store/types.js';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export async function createToken(
  store: HubStore,
  opts: { userId: string; role: Role; label?: string; now?: Date },
): Promise<{ token: string; record: ApiToken }> {
  const token = `tb_${randomBytes(32).toString('base64url')}`;
  const record: ApiToken = {
    id: newId(),
    userId: opts.userId,
    role: opts.role,
    label: opts.label ?? '',
    hash: hashToken(token),
    createdAt: (opts.now ?? new Date()).toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await store.createToken(record);
  return { token, record };
}
