/**
 * Runs the real service for tests: `timebridge serve --port 0` (bin/timebridge.js, the
 * compiled dist/) as a subprocess in a temp workspace, waits for its URL, and keeps its
 * stdout and stderr (pino JSON lines) for assertions. Build first (`npm test` does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'timebridge.js');

/** The parent's environment without TIMEBRIDGE_* settings or test-runner plumbing. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('TIMEBRIDGE_') || k === 'NODE_TEST_CONTEXT' || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export function tb(cwd: string, args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix = 'tb-serve-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface Served {
  url: string;
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Send a signal and wait for the exit code (or, if a signal killed it, the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/**
 * The CLI (bin/timebridge.js) as a subprocess, ready once its stdout matches `ready`,
 * whose first group is the URL it listens on. Output is kept for assertions.
 */
export async function startCli(args: string[], o: { ready: RegExp; cwd?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<Served> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd ?? ROOT, env: cleanEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '',
    err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timebridge ${args[0]} did not start in ${timeoutMs} ms\n${out}\n${err}`)), timeoutMs);
    const check = () => {
      const m = o.ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`timebridge ${args[0]} exited with ${code}\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function startServe(cwd: string, args: string[] = [], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Served> {
  return startCli(['serve', '--port', '0', ...args], { cwd, env, timeoutMs, ready: /listening on (http:\/\/\S+)/ });
}

/** `timebridge emulate <system> --port 0`, ready once it has printed its URL and how to use it. */
export function startEmulate(system: string): Promise<Served> {
  return startCli(['emulate', system, '--port', '0'], { ready: new RegExp(`${system} emulator listening on (http://\\S+)[\\s\\S]*Faults:`) });
}

/** Poll until `fn` gives a truthy value, every 50 ms, failing after `timeoutMs` with `what`. */
export async function until<T>(what: string, fn: () => T | null | undefined | false | Promise<T | null | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** JSON over HTTP with an optional bearer token. */
// The body is whatever JSON the route answers; tests read into it freely.
export async function api(
  base: string,
  method: string,
  route: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any; text: string }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + route, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, text };
}

export function event(uid: string, summary: string, day = '20261201'): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//test//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T000000Z',
    `SUMMARY:${summary}`,
    `DTSTART:${day}T100000Z`,
    `DTEND:${day}T110000Z`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

/** A workspace with two .ics folders (a, b) linked through one scope; `a` takes signed webhooks. */
export function workspace(extra = ''): string {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'a'));
  fs.mkdirSync(path.join(dir, 'b'));
  fs.writeFileSync(
    path.join(dir, 'timebridge.yaml'),
    `store:
  path: hub.sqlite
serve:
  webhookGraceMs: 2000
  shutdownGraceMs: 2000
  dataRoot: users
connections:
  a:
    type: ics-folder
    path: a
    webhook:
      secret: ${WEBHOOK_SECRET}
  b:
    type: ics-folder
    path: b
links:
  a:
    connection: a
    scope: team
  b:
    connection: b
    scope: team
${extra}`,
  );
  return dir;
}

/** Until a service's job queue has nothing queued or running: its runs, and the runs they caused, are done. */
export function queueIdle(
  svc: { queue: { counts(): Promise<{ queued: number; active: number }> } },
  what = 'the queued runs',
  timeoutMs = 60_000,
): Promise<true> {
  return until(
    what,
    async () => {
      const c = await svc.queue.counts();
      return c.queued === 0 && c.active === 0;
    },
    timeoutMs,
  );
}
