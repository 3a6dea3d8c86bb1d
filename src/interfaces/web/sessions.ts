/**
 * Dashboard sessions: signing in with an API token opens a session whose id (random, 32
 * bytes) travels in a signed HttpOnly cookie; the server keeps the token's SHA-256, never
 * the token. Every request looks the token up again, so revoking it ends its sessions at
 * once. Each session has its own CSRF token, which every state-changing request sends in
 * `x-csrf-token`. Sessions live in this process's memory: a restart signs everyone out.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface WebSession {
  id: string;
  /** Hex SHA-256 of the API token the session was opened with. */
  tokenHash: string;
  csrf: string;
  expiresAt: number;
}

/** Idle sessions end after this long; each request moves the end. */
export const SESSION_IDLE_MS = 8 * 3600_000;
const MAX_SESSIONS = 10_000;

export class WebSessions {
  private readonly byId = new Map<string, WebSession>();
  constructor(private readonly now: () => number = Date.now) {}

  open(tokenHash: string): WebSession {
    this.prune();
    const s: WebSession = { id: randomBytes(32).toString('base64url'), tokenHash, csrf: randomBytes(32).toString('base64url'), expiresAt: 0 };
    s.expiresAt = this.now() + SESSION_IDLE_MS;
    this.byId.set(s.id, s);
    return s;
  }

  /** The live session with this id, its idle end moved on; null when unknown or expired. */
  get(id: string): WebSession | null {
    const s = this.byId.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.byId.delete(id);
      return null;
    }
    s.expiresAt = this.now() + SESSION_IDLE_MS;
    return s;
  }

  end(id: string): void {
    this.byId.delete(id);
  }

  private prune(): void {
    const now = this.now();
    for (const [id, s] of this.byId) if (s.expiresAt <= now) this.byId.delete(id);
    // A flood of sign-ins cannot grow memory without bound: the oldest sessions go first.
    while (this.byId.size >= MAX_SESSIONS) this.byId.delete(this.byId.keys().next().value!);
  }
}

/** Constant-time comparison of a request's CSRF token with the session's. */
export function csrfMatches(session: WebSession, sent: string | undefined): boolean {
  if (!sent) return false;
  const a = Buffer.from(sent),
    b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const SESSION_COOKIE = 'tb_session';
