/**
 * Parked items through the real CLI (the compiled dist/, as a subprocess) against a real
 * Radicale: a corpus object Radicale refuses with HTTP 400 (overrides without their
 * master) is reported in full once and parked; the next `timebridge sync` sends nothing
 * for it (counted in Radicale's request log) and exits 0 with one line about it;
 * `timebridge status` names it, with Radicale's answer; `sync --retry-parked` tries it.
 * Build first: `npx tsc -p tsconfig.build.json`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { needsRadicale, startRadicale, type Radicale } from '../../support/radicale.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = path.join(ROOT, 'bin', 'timebridge.js');
const REFUSED = fs.readFileSync(path.join(ROOT, 'test/fixtures/ical-corpus/overrides-no-master.ics'));
const UID = /^UID:(.*)$/m.exec(REFUSED.toString('utf8'))![1]!.trim();

function tb(cwd: string, args: string[]) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TIMEBRIDGE_') && k !== 'NODE_TEST_CONTEXT' && k !== 'NODE_OPTIONS') env[k] = v;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}` };
}

const good = [
  'BEGIN:VCALENDAR',
  'VERSION:2.0',
  'PRODID:-//test//EN',
  'BEGIN:VEVENT',
  'UID:fine-1',
  'DTSTAMP:20260101T000000Z',
  'DTSTART:20260310T090000Z',
  'DTEND:20260310T100000Z',
  'SUMMARY:Fine',
  'END:VEVENT',
  'END:VCALENDAR',
  '',
].join('\r\n');

describe('timebridge sync: a refusal is parked, with the reason', needsRadicale(), () => {
  let server: Radicale;
  let dir: string;
  const puts = () => server.requestCounts()['PUT'] ?? 0;

  before(async () => {
    server = await startRadicale({ logRequests: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-cli-park-'));
    fs.mkdirSync(path.join(dir, 'cal'));
    fs.writeFileSync(path.join(dir, 'cal', 'fine.ics'), good);
    fs.writeFileSync(path.join(dir, 'cal', 'orphans.ics'), REFUSED);
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'store:',
        '  path: hub.sqlite',
        'connections:',
        '  laptop: { type: ics-folder, path: cal }',
        `  server: { type: caldav, url: "${server.url}", auth: { type: basic, username: alice, password: secret }, calendar: team, create: true }`,
        'links:',
        '  laptop: { connection: laptop, scope: team }',
        '  server: { connection: server, scope: team }',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await server?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports it once in full, then syncs clean (exit 0) and names it in status until it is retried', () => {
    const first = tb(dir, ['sync']);
    assert.equal(first.code, 3, `the run that meets the refusal is partial\n${first.all}`);
    assert.match(first.stdout, new RegExp(`UID ${UID.replace(/[.@]/g, '\\$&')}`), first.all);
    assert.match(first.stdout, /from orphans\.ics of link laptop/, first.all);
    assert.match(first.stdout, /PUT \/alice\/team\/\S+\.ics \(UID \S+\) was not created: the server answered HTTP 400: Bad Request/, first.all);
    assert.match(
      first.stdout,
      /next: fix the item in orphans\.ics of link laptop and it is tried again on its next change, or run `timebridge sync --retry-parked`/,
      first.all,
    );

    const putsBefore = puts();
    const second = tb(dir, ['sync']);
    assert.equal(second.code, 0, `a sync that only leaves the parked item alone is ok\n${second.all}`);
    assert.equal(puts() - putsBefore, 0, 'nothing sent for the parked item');
    assert.match(
      second.stdout,
      /^1 item parked \(rejected by the server\); `timebridge status` names them, `timebridge sync --retry-parked` tries them again$/m,
      second.all,
    );

    const status = tb(dir, ['status']);
    assert.equal(status.code, 0, status.all);
    assert.match(status.stdout, /^server \(caldav ↔ hub team\/event\): 1 in sync, 0 conflicts, 0 interrupted writes, 1 parked;/m, status.all);
    assert.match(
      status.stdout,
      /parked since \S+: .* from orphans\.ics of link laptop \(create refused, CONNECTOR_INVALID_INPUT; the server answered HTTP 400: Bad Request\)/,
      status.all,
    );
    const rows = JSON.parse(tb(dir, ['status', '--json']).stdout) as {
      link: string;
      parked: { item: string; source: string; status: number; answer: string; reason: string; since: string; next: string }[];
    }[];
    const [p] = rows.find((r) => r.link === 'server')!.parked;
    assert.ok(p, 'status --json lists the parked item');
    assert.equal(p.source, 'orphans.ics of link laptop');
    assert.deepEqual([p.status, p.answer], [400, 'Bad Request']);
    assert.ok(p.item.includes(UID) && p.reason.includes('HTTP 400') && p.next.includes('--retry-parked') && p.since);
    assert.deepEqual(rows.find((r) => r.link === 'laptop')!.parked, []);

    const retry = tb(dir, ['sync', '--retry-parked']);
    assert.equal(puts() - putsBefore, 1, `--retry-parked sends it again\n${retry.all}`);
    assert.equal(retry.code, 3, `still refused: reported again\n${retry.all}`);
    assert.match(retry.stdout, /was not created: the server answered HTTP 400/, retry.all);
  });
});
