/**
 * A local server run as a child process (Virtuoso for the demo and the tests, Radicale for
 * the tests): a free loopback port for it, waiting until it answers, the end of its log for
 * an error, and stopping it.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

/** A loopback port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The last 800 characters of a log file, for an error message. */
export function logTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-800);
  } catch {
    return '(no log)';
  }
}

/** Resolves once `answers()` is true; fails when the child exits first or after `timeoutMs`, with the end of its log. */
export async function waitUntilAnswers(o: {
  name: string;
  url: string;
  child: ChildProcess;
  logFile: string;
  timeoutMs: number;
  answers: () => Promise<boolean>;
}): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let exited: number | null = null;
  o.child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`${o.name} exited with ${exited}: ${logTail(o.logFile)}`);
    try {
      if (await o.answers()) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${o.name} did not answer on ${o.url} within ${o.timeoutMs / 1000} s: ${logTail(o.logFile)}`);
}

/** SIGTERM, then SIGKILL if it has not exited after `killAfterMs`. */
export async function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
