/**
 * The `timebridge` CLI (bin/timebridge.js, the compiled dist/) as a child process that
 * does not block this process's event loop, so emulators running in the test process
 * can answer it. Build first: `npx tsc -p tsconfig.build.json` (`npm test` does).
 */
import { spawn } from 'node:child_process';
import { BIN, cleanEnv } from './serve.js';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function cliChild(cwd: string, args: string[], timeoutMs = 120_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
