/**
 * `timebridge emulate kimai` as a user runs it: the CLI (bin/timebridge.js, the compiled
 * dist/ — `npm test` builds it first) starts the emulator on a free port, prints the URL,
 * the demo token and a connection snippet, answers the API, and stops on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { DEMO_ADMIN_TOKEN } from '../../../src/emulators/kimai/kimai-data.js';
import { BIN, cleanEnv } from '../../support/serve.js';

describe('timebridge emulate kimai', () => {
  it('starts, prints its URL and a usable token, answers /api/ping, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'emulate', 'kimai', '--port', '0'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 20 s\n${out}\n${err}`)), 20_000);
        child.stdout.on('data', () => {
          const m = /kimai emulator listening on (http:\/\/\S+)/.exec(out);
          if (m && out.includes('type: kimai')) { clearTimeout(timer); resolve(m[1]!); }
        });
        void exited.then((code) => { clearTimeout(timer); reject(new Error(`exited with ${code}\n${out}\n${err}`)); });
      });
      assert.ok(out.includes(DEMO_ADMIN_TOKEN), 'the token to use is printed');
      assert.ok(out.includes(`url: ${url}`), 'the connection snippet points at the emulator');
      const ping = await fetch(`${url}/api/ping`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` } });
      assert.deepEqual(await ping.json(), { message: 'pong' });
      const demo = await fetch(`${url}/api/timesheets?user=all`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` } });
      assert.ok(Number(demo.headers.get('x-total-count')) >= 3, 'the demo data set is loaded');
      assert.equal((await fetch(`${url}/api/ping`)).status, 401);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, `exit code after SIGTERM\n${err}`);
  });
});
