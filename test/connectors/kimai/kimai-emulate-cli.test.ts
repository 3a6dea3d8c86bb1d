/**
 * `timebridge emulate kimai` as a user runs it: the CLI (bin/timebridge.js, the compiled
 * dist/ — `npm test` builds it first) starts the emulator on a free port, prints the URL,
 * the demo token and a connection snippet, answers the API, and stops on SIGTERM.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEMO_ADMIN_TOKEN } from '../../../src/emulators/kimai/kimai-data.js';
import { startEmulate } from '../../support/serve.js';

describe('timebridge emulate kimai', () => {
  it('starts, prints its URL and a usable token, answers /api/ping, and stops on SIGTERM', async () => {
    const emu = await startEmulate('kimai');
    try {
      const url = emu.url,
        out = emu.stdout();
      assert.ok(out.includes(DEMO_ADMIN_TOKEN), 'the token to use is printed');
      assert.ok(out.includes(`url: ${url}`), 'the connection snippet points at the emulator');
      const ping = await fetch(`${url}/api/ping`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` } });
      assert.deepEqual(await ping.json(), { message: 'pong' });
      const demo = await fetch(`${url}/api/timesheets?user=all`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` } });
      assert.ok(Number(demo.headers.get('x-total-count')) >= 3, 'the demo data set is loaded');
      assert.equal((await fetch(`${url}/api/ping`)).status, 401);
    } finally {
      assert.equal(await emu.stop(), 0, `exit code after SIGTERM\n${emu.stderr()}`);
    }
  });
});
