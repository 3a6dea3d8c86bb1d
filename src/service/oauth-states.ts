/**
 * OAuth sign-ins under way (the connect flow): the state handed to the provider is
 * one-time and expires; the callback takes it back. Kept in the hub store, so a flow
 * started on one service process completes on any other. Only a SHA-256 of the state is
 * stored: a copy of the database does not let anyone finish someone else's sign-in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { TimebridgeError } from '../core/errors.js';
import type { HubStore } from '../store/types.js';

export interface PendingFlow {
  connection: string;
  userId: string | null;
  redirectUri: string;
}

const keyOf = (state: string): string => createHash('sha256').update(state).digest('hex');

export class PendingStates {
  constructor(
    private readonly store: Pick<HubStore, 'saveOAuthState' | 'takeOAuthState'>,
    private readonly clock: () => Date,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  /** A new state for this connection and caller, valid for ten minutes. */
  async open(flow: PendingFlow): Promise<{ state: string; expiresAt: string }> {
    const now = this.clock();
    const state = randomBytes(24).toString('base64url');
    const expiresAt = new Date(now.getTime() + this.ttlMs).toISOString();
    await this.store.saveOAuthState({ key: keyOf(state), ...flow, expiresAt }, now.toISOString());
    return { state, expiresAt };
  }

  /** The flow a callback belongs to; throws when the state is unknown, used or expired. */
  async take(state: string): Promise<PendingFlow> {
    const s = state ? await this.store.takeOAuthState(keyOf(state), this.clock().toISOString()) : null;
    if (!s) {
      throw new TimebridgeError('OAUTH_REQUIRED', 'This sign-in link is unknown, already used or older than ten minutes.', {
        hint: 'Start again: GET /api/v1/connections/<name>/oauth/start and open the new link.',
      });
    }
    return { connection: s.connection, userId: s.userId, redirectUri: s.redirectUri };
  }
}
