/**
 * Crash safety of the first sync into Advoware: `timebridge sync` (the built CLI) copies 500
 * events of a calendar folder into an employee's Advoware appointments and is killed with
 * SIGKILL in the middle of the creates; the next process finishes the job with every event
 * exactly once on each side (the creates it may have made unanswered are found by their key,
 * not made again), and `plan` has nothing left to do. Build first: `npm run build`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { connectionLines } from '../../../src/emulators/advoware/index.js';
import { cliChild } from '../../support/cli-child.js';
import { BIN, cleanEnv } from '../../support/serve.js';
import { startAdvoware, type RunningAdvoware } from './advoware-fixture.js';
import { termine } from './advoware-workspace.js';

const N = 500;
const DAY = 86_400_000;

function event(i: number, today: number): string {
  const day = new Date(today + (1 + (i % 60)) * DAY).toISOString().slice(0, 10).replace(/-/g, '');
  const hour = String(8 + (i % 9)).padStart(2, '0');
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Timebridge//advoware crash test//EN',
    'BEGIN:VEVENT',
    `UID:aw-crash-${i}@timebridge.test`,
    'DTSTAMP:20260101T000000Z',
    `DTSTART;TZID=Europe/Berlin:${day}T${hour}0000`,
    `DTEND;TZID=Europe/Berlin:${day}T${hour}4500`,
    `SUMMARY:Termin ${i}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

describe('Advoware: a first sync of 500 appointments killed with SIGKILL', { concurrency: false }, () => {
  let aw: RunningAdvoware;
  let dir: string;
  before(async () => {
    assert.ok(fs.existsSync(BIN), 'bin/timebridge.js is missing');
    aw = await startAdvoware({ employees: ['MUE'] });
    // A little latency per call, so the kill lands among the creates.
    aw.emu.settings.latencyMs = 2;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-aw-crash-'));
    const cal = path.join(dir, 'cal');
    fs.mkdirSync(cal);
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    for (let i = 0; i < N; i++) fs.writeFileSync(path.join(cal, `e-${i}.ics`), event(i, today));
    fs.writeFileSync(
      path.join(dir, 'timebridge.yaml'),
      [
        'store:',
        '  path: hub.sqlite',
        'connections:',
        '  cal: { type: ics-folder, path: cal }',
        ...connectionLines(aw.base, 'aw'),
        'links:',
        '  cal: { connection: cal, scope: firm }',
        '  aw-MUE: { connection: aw, scope: firm, collection: MUE, window: { pastDays: 7, futureDays: 90 } }',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    await aw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the next process finishes with every appointment once', { timeout: 240_000 }, async (t) => {
    const child = spawn(process.execPath, [BIN, 'sync'], { cwd: dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    void done.then((e) => (exited = e));
    const started = Date.now();
    while (!exited && termine(aw).length < 150 && Date.now() - started < 120_000) await sleep(5);
    assert.equal(exited, null, `the sync ended before the kill: ${out}`);
    child.kill('SIGKILL');
    const e = await done;
    const atKill = termine(aw).length;
    t.diagnostic(`killed after ${Date.now() - started} ms with ${atKill} appointments in Advoware`);
    assert.equal(e.signal, 'SIGKILL');
    assert.ok(atKill >= 150 && atKill < N, `the kill landed mid-way (${atKill})`);

    aw.emu.settings.latencyMs = 0;
    let last = await cliChild(dir, ['sync'], 180_000);
    for (let i = 0; i < 2 && last.code !== 0; i++) last = await cliChild(dir, ['sync'], 180_000);
    assert.equal(last.code, 0, `${last.stdout}\n${last.stderr}`);
    const texts = termine(aw).map((x) => x.text);
    assert.equal(texts.length, N, `Advoware holds ${texts.length} appointments`);
    assert.equal(new Set(texts).size, N, 'no appointment twice');
    assert.equal(fs.readdirSync(path.join(dir, 'cal')).filter((n) => n.endsWith('.ics')).length, N, 'nothing came back into the folder twice');
    const plan = await cliChild(dir, ['plan']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.deepEqual(
      plan.stdout.split('\n').filter((l) => /^link \S+: /.test(l)),
      ['link cal: nothing to do', 'link aw-MUE: nothing to do'],
      plan.stdout,
    );
  });
});
