/**
 * The service benchmark (part of `npm run bench`): `timebridge serve` on the embedded
 * SQLite default, as a subprocess, measured from outside over loopback.
 *   1. webhook ingest: autocannon posts signed deliveries (each with its own signature, so
 *      the replay guard accepts every one) for a fixed time → requests/s, p50/p99 latency;
 *   2. webhook → remote write done: edit an event in folder A, post the webhook, and time
 *      until the edit is in folder B (A → hub → B, grace period included) → p50/p95.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { signWebhook } from '../src/connectors/kit/webhooks.js';
import { REPO } from './cli-kit.js';

export interface ServeBenchResult {
  ingest: { seconds: number; connections: number; requests: number; rps: number; p50Ms: number; p99Ms: number; non2xx: number };
  endToEnd: { samples: number; graceMs: number; p50Ms: number; p95Ms: number; maxMs: number };
}

const SECRET = 'bench-webhook-secret-0123456789';
const GRACE_MS = 500;

function ics(uid: string, summary: string): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//bench//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T000000Z',
    `SUMMARY:${summary}`,
    'DTSTART:20261201T100000Z',
    'DTEND:20261201T110000Z',
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

export async function runServeBench(opts: { seconds: number; samples: number; tmp: string; log: (s: string) => void }): Promise<ServeBenchResult> {
  const dir = fs.mkdtempSync(path.join(opts.tmp, 'tb-serve-bench-'));
  for (const f of ['a', 'b']) fs.mkdirSync(path.join(dir, f));
  for (let i = 0; i < 100; i++) fs.writeFileSync(path.join(dir, 'a', `e${i}.ics`), ics(`e${i}@bench`, `Event ${i}`));
  fs.writeFileSync(
    path.join(dir, 'timebridge.yaml'),
    `store:\n  path: hub.sqlite\nserve:\n  webhookGraceMs: ${GRACE_MS}\nconnections:\n  a:\n    type: ics-folder\n    path: a\n    webhook:\n      secret: ${SECRET}\n  b:\n    type: ics-folder\n    path: b\nlinks:\n  a:\n    connection: a\n    scope: team\n  b:\n    connection: b\n    scope: team\n`,
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TIMEBRIDGE_') && k !== 'NODE_OPTIONS'));
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'timebridge.js'), 'serve', '--port', '0'], {
    cwd: dir,
    env: { ...env, TIMEBRIDGE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (c) => reject(new Error(`serve exited with ${c}`)));
    });
    const hook = `${url}/webhooks/ics-folder/a`;
    const post = (body: string) =>
      fetch(hook, { method: 'POST', headers: { 'x-timebridge-signature': signWebhook(SECRET, body), 'content-type': 'application/json' }, body });
    // Warm up, and let the first sync fill B.
    await post('{"warm":true}');
    for (const end = Date.now() + 30_000; fs.readdirSync(path.join(dir, 'b')).length < 100 && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));

    opts.log(`serve: webhook ingest for ${opts.seconds} s with autocannon (10 connections)…`);
    let n = 0;
    const result = await autocannon({
      url: hook,
      method: 'POST',
      connections: 10,
      duration: opts.seconds,
      requests: [
        {
          setupRequest: (req) => {
            const body = `{"n":${n++}}`;
            return { ...req, body, headers: { 'content-type': 'application/json', 'x-timebridge-signature': signWebhook(SECRET, body) } };
          },
        },
      ],
    });
    const ingest = {
      seconds: opts.seconds,
      connections: 10,
      requests: result.requests.total,
      rps: result.requests.average,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      non2xx: result.non2xx,
    };

    opts.log(`serve: webhook → write in folder B, ${opts.samples} samples (grace ${GRACE_MS} ms)…`);
    // Let the ingest burst's runs drain first.
    await new Promise((r) => setTimeout(r, GRACE_MS * 3));
    const lat: number[] = [];
    for (let i = 0; i < opts.samples; i++) {
      const summary = `Edited ${i} ${Date.now()}`;
      fs.writeFileSync(path.join(dir, 'a', 'e7.ics'), ics('e7@bench', summary));
      const t0 = performance.now();
      const res = await post(`{"sample":${i}}`);
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}`);
      const target = fs
        .readdirSync(path.join(dir, 'b'))
        .map((f) => path.join(dir, 'b', f))
        .find((f) => fs.readFileSync(f, 'utf8').includes('UID:e7@bench'))!;
      for (;;) {
        if (fs.readFileSync(target, 'utf8').includes(summary)) break;
        if (performance.now() - t0 > 30_000) throw new Error('the edit never reached folder B');
        await new Promise((r) => setTimeout(r, 2));
      }
      lat.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { ingest, endToEnd: { samples: lat.length, graceMs: GRACE_MS, p50Ms: pct(lat, 0.5), p95Ms: pct(lat, 0.95), maxMs: Math.max(...lat) } };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function formatServeBench(r: ServeBenchResult): string {
  return [
    'Service (timebridge serve, SQLite, loopback)',
    `  webhook ingest:  ${Math.round(r.ingest.rps).toLocaleString('en')} req/s over ${r.ingest.seconds} s (${r.ingest.connections} connections), p50 ${r.ingest.p50Ms} ms, p99 ${r.ingest.p99Ms} ms, non-2xx ${r.ingest.non2xx}   goal ≥ 2,000 req/s`,
    `  webhook → write: p50 ${Math.round(r.endToEnd.p50Ms)} ms, p95 ${Math.round(r.endToEnd.p95Ms)} ms, max ${Math.round(r.endToEnd.maxMs)} ms over ${r.endToEnd.samples} samples (grace ${r.endToEnd.graceMs} ms included)   goal p95 < 2,000 ms`,
  ].join('\n');
}
