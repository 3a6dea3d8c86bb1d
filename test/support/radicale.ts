/**
 * A real Radicale (Debian package `radicale`) for tests and benchmarks: its own config,
 * a free loopback port, its own storage folder, plain-text htpasswd users. Debian's
 * /etc/radicale/config uses `auth = remote_user`, so it is never read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopChild, waitUntilAnswers } from '../../src/app/child-server.js';

export { freePort };

export const RADICALE_BIN = process.env.TB_RADICALE_BIN ?? '/usr/bin/radicale';

export interface RadicaleOptions {
  /** user → password (plain htpasswd). Default { alice: 'secret' }. */
  users?: Record<string, string>;
  /** Root folder for config, users and collections. Default: a new temp folder. */
  dir?: string;
  /** Log every request at info level to `<dir>/radicale.log` (for counting requests). */
  logRequests?: boolean;
}

export interface Radicale {
  url: string;
  port: number;
  dir: string;
  /** `<dir>/collections/collection-root`: a calendar's files are under `<user>/<calendar>/`. */
  storageRoot: string;
  logFile: string;
  stop(): Promise<void>;
  /** Requests by method logged so far (needs logRequests). */
  requestCounts(): Record<string, number>;
}

/** Whether Radicale is installed; tests skip with a visible message when it is not (outside CI). */
export function radicaleAvailable(): boolean {
  try {
    fs.accessSync(RADICALE_BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function radicaleConfig(dir: string, port: number, logRequests: boolean): string {
  return [
    '[server]',
    `hosts = 127.0.0.1:${port}`,
    '',
    '[auth]',
    'type = htpasswd',
    `htpasswd_filename = ${path.join(dir, 'users')}`,
    'htpasswd_encryption = plain',
    'delay = 0',
    '',
    '[rights]',
    'type = owner_only',
    '',
    '[storage]',
    `filesystem_folder = ${path.join(dir, 'collections')}`,
    '',
    '[web]',
    'type = none',
    '',
    '[logging]',
    `level = ${logRequests ? 'info' : 'warning'}`,
    'mask_passwords = True',
    '',
  ].join('\n');
}

export async function startRadicale(opts: RadicaleOptions = {}): Promise<Radicale> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tb-radicale-'));
  fs.mkdirSync(path.join(dir, 'collections'), { recursive: true });
  const users = opts.users ?? { alice: 'secret' };
  fs.writeFileSync(
    path.join(dir, 'users'),
    Object.entries(users)
      .map(([u, p]) => `${u}:${p}`)
      .join('\n') + '\n',
  );
  const port = await freePort();
  const configFile = path.join(dir, 'config');
  fs.writeFileSync(configFile, radicaleConfig(dir, port, opts.logRequests ?? false));
  const logFile = path.join(dir, 'radicale.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(RADICALE_BIN, ['--config', configFile], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitUntilUp(url, child, logFile);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    port,
    dir,
    logFile,
    storageRoot: path.join(dir, 'collections', 'collection-root'),
    // A folder made here is removed with the server; one passed in belongs to the caller.
    stop: async () => {
      await stopChild(child, 5000);
      if (!opts.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
    requestCounts: () => countRequests(logFile),
  };
}

/** Radicale logs `<METHOD> request for <path> received from ...` once per request at info level. */
export function countRequests(logFile: string): Record<string, number> {
  const counts: Record<string, number> = {};
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return counts;
  }
  for (const m of text.matchAll(/\b([A-Z]+) request for /g)) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  return counts;
}

/** Until Radicale answers an OPTIONS request. */
function waitUntilUp(url: string, child: ChildProcess, logFile: string): Promise<void> {
  return waitUntilAnswers({
    name: 'radicale',
    url,
    child,
    logFile,
    timeoutMs: 15_000,
    answers: async () => {
      const res = await fetch(url, { method: 'OPTIONS', signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return true;
    },
  });
}

/**
 * Options for a `describe` that needs Radicale: skipped with a visible reason on a machine
 * without it, but never in CI, where the tests then fail and say why.
 */
export function needsRadicale(): { skip?: string } {
  if (radicaleAvailable() || process.env.CI) return {};
  return { skip: `Radicale is not installed (${RADICALE_BIN}); install it with apt-get install radicale to run these tests` };
}

/** Basic-auth headers for talking to a test Radicale as another client would. */
export function basicAuth(user = 'alice', password = 'secret'): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
