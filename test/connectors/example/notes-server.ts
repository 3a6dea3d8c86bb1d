/**
 * The remote "notes" system the example connector talks to, as a small HTTP server in the
 * test process: a paged notes API with ETags and conditional writes, bearer tokens, and an
 * OAuth 2.0 authorization server (authorize → code → token, refresh, revoke). It knows
 * nothing of Timebridge and imports nothing of it, so it can catch the connector's mistakes.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Note {
  id: string;
  etag: string;
  key: string;
  title: string;
  done: boolean;
  due: string | null;
}

export const NOTES_CLIENT_ID = 'notes-client';
export const NOTES_CLIENT_SECRET = 'notes-client-secret-4711';

export interface NotesServer {
  url: string;
  notes: Map<string, Note>;
  /** Bearer tokens the API takes (API tokens and issued access tokens). */
  tokens: Set<string>;
  /** Refresh tokens issued and not revoked. */
  refreshTokens: Set<string>;
  /** Tokens a client revoked. */
  revoked: string[];
  close(): Promise<void>;
}

export async function startNotesServer(apiToken: string): Promise<NotesServer> {
  const notes = new Map<string, Note>();
  const tokens = new Set([apiToken]);
  const refreshTokens = new Set<string>();
  const codes = new Set<string>();
  const revoked: string[] = [];
  let version = 0;
  const newEtag = () => `"v${++version}"`;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://notes');
      const body = Buffer.concat(chunks).toString('utf8');
      const send = (status: number, value?: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { ...(value !== undefined ? { 'content-type': 'application/json' } : {}), ...headers });
        res.end(value !== undefined ? JSON.stringify(value) : undefined);
      };
      if (url.pathname.startsWith('/oauth/')) return oauth(url, new URLSearchParams(body), send, res);
      const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!tokens.has(bearer)) return send(401, { error: 'unknown token' });
      if (url.pathname === '/notes' && req.method === 'GET') {
        const size = Number(url.searchParams.get('size') ?? 50),
          page = Number(url.searchParams.get('page') ?? 0);
        const all = [...notes.values()].sort((a, b) => a.id.localeCompare(b.id));
        return send(200, { items: all.slice(page * size, (page + 1) * size), total: all.length });
      }
      const m = /^\/notes\/([^/]+)$/.exec(url.pathname);
      if (!m) return send(404, { error: 'no such endpoint' });
      const id = decodeURIComponent(m[1]!);
      const have = notes.get(id);
      const ifMatch = req.headers['if-match'];
      if (req.method === 'GET') return have ? send(200, have, { etag: have.etag }) : send(404, { error: `no note ${id}` });
      if (req.method === 'DELETE') {
        if (!have) return send(404, { error: `no note ${id}` });
        if (ifMatch !== have.etag) return send(412, { error: 'etag does not match' });
        notes.delete(id);
        return send(204);
      }
      if (req.method === 'PUT') {
        if (req.headers['if-none-match'] === '*' ? have : !have) return send(have ? 412 : 404, { error: have ? `note ${id} exists` : `no note ${id}` });
        if (have && ifMatch !== have.etag) return send(412, { error: 'etag does not match' });
        const data = JSON.parse(body) as Partial<Note>;
        const note: Note = {
          id,
          etag: newEtag(),
          key: String(data.key ?? ''),
          title: String(data.title ?? ''),
          done: data.done === true,
          due: data.due ?? null,
        };
        notes.set(id, note);
        return send(have ? 200 : 201, note, { etag: note.etag });
      }
      return send(405, { error: 'method not allowed' });
    });
  });

  function oauth(url: URL, form: URLSearchParams, send: (s: number, v?: unknown, h?: Record<string, string>) => void, res: http.ServerResponse): void {
    if (url.pathname === '/oauth/authorize') {
      // Consent is given at once: the browser is sent back to the client with a one-time code.
      if (url.searchParams.get('client_id') !== NOTES_CLIENT_ID) return send(400, { error: 'invalid_client' });
      const code = randomBytes(8).toString('hex');
      codes.add(code);
      const back = new URL(url.searchParams.get('redirect_uri') ?? '');
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { location: back.href });
      return void res.end();
    }
    if (url.pathname === '/oauth/token') {
      if (form.get('client_id') !== NOTES_CLIENT_ID || form.get('client_secret') !== NOTES_CLIENT_SECRET) return send(401, { error: 'invalid_client' });
      const access = `notes-at-${randomBytes(8).toString('hex')}`;
      if (form.get('grant_type') === 'authorization_code' && codes.delete(form.get('code') ?? '')) {
        const refresh = `notes-rt-${randomBytes(8).toString('hex')}`;
        refreshTokens.add(refresh);
        tokens.add(access);
        return send(200, { access_token: access, refresh_token: refresh, expires_in: 3600, scope: 'notes' });
      }
      if (form.get('grant_type') === 'refresh_token' && refreshTokens.has(form.get('refresh_token') ?? '')) {
        tokens.add(access);
        return send(200, { access_token: access, expires_in: 3600, scope: 'notes' });
      }
      return send(400, { error: 'invalid_grant' });
    }
    if (url.pathname === '/oauth/revoke') {
      const token = form.get('token') ?? '';
      if (!refreshTokens.delete(token)) return send(400, { error: 'invalid_token' });
      revoked.push(token);
      return send(200, {});
    }
    send(404, { error: 'no such endpoint' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    notes,
    tokens,
    refreshTokens,
    revoked,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
