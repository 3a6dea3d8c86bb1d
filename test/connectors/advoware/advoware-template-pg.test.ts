/**
 * Two workers on one PostgreSQL store run the template `aw-employees` at once: two services
 * on one schema, each with two job slots, and `POST /api/v1/templates/aw-employees/run` on
 * both together (after the template job each queued on start). The run records prove that no
 * two runs of one employee's link overlap in time (each link's [startedAt, finishedAt]
 * intervals are disjoint: the per-link advisory lock, no Redis), and neither side holds a
 * duplicate afterwards. `?key=MUE` then runs only MUE's links.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import type { RunRecord } from '../../../src/store/types.js';
import { injectCall } from '../../support/inject-call.js';
import { adminQuery, freshSchemaName, needsPostgres, PG_URL } from '../../support/postgres.js';
import { until } from '../../support/serve.js';
import { client, startEmulator, timedEvent, type Running } from '../google-calendar/google-support.js';
import { startAdvoware, type RunningAdvoware } from './advoware-fixture.js';
import { awPost, calendarsNamed, dayIn, eventsOf, templateYaml, termine } from './advoware-workspace.js';

const quiet = () => createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
const EMPLOYEES = ['MUE', 'SCH', 'KLE'];
const LINKS = EMPLOYEES.flatMap((k) => [`aw-${k}`, `aw-google-${k}`]);

describe('the aw-employees template on two workers sharing PostgreSQL', await needsPostgres(), () => {
  const schema = freshSchemaName();
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it('never runs one employee’s link twice at once, leaves no duplicates, and ?key=MUE runs MUE’s links alone', async () => {
    const aw: RunningAdvoware = await startAdvoware({ employees: EMPLOYEES });
    cleanup.push(() => aw.close());
    const g: Running = await startEmulator();
    cleanup.push(() => g.emulator.close());
    // Enough appointments that a run takes a while, so overlapping runs would show.
    for (const k of EMPLOYEES)
      for (let i = 0; i < 25; i++) {
        const h = String(7 + (i % 10)).padStart(2, '0');
        await awPost(aw, { datum: dayIn(1 + Math.floor(i / 10)), uhrzeitVon: `${h}:00`, uhrzeitBis: `${h}:45`, text: `${k} Termin ${i}`, anwalt: k, sb: k });
      }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-aw-pg-'));
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'timebridge.yaml');
    fs.writeFileSync(
      file,
      templateYaml(aw.base, g, '{ connection: aw }', `store: { type: postgres, url: "${PG_URL}", schema: ${schema} }\nserve: { concurrency: 2 }`),
    );
    const env = { ...process.env };
    const open = async (): Promise<{ svc: Service; call: ReturnType<typeof injectCall> }> => {
      const svc = await openService(loadConfig(file, env), { env, logger: quiet() });
      cleanup.push(() => svc.stop(0));
      const { app } = await buildServer(svc, 'test');
      const admin = (await createToken(svc.store, { userId: 'root', role: 'admin' })).token;
      return { svc, call: injectCall(app, { admin, alice: admin, bob: admin }) };
    };
    const a = await open();
    const b = await open();
    const idle = () =>
      until(
        'both workers are idle',
        async () => {
          for (const s of [a.svc, b.svc]) {
            const c = await s.queue.counts();
            if (c.queued !== 0 || c.active !== 0) return false;
          }
          return true;
        },
        90_000,
      );
    const runsOf = async (link: string): Promise<RunRecord[]> => a.svc.store.listRuns({ linkId: `link:${link}`, limit: 1000 });

    await Promise.all([a.svc.startWorkers(), b.svc.startWorkers()]);
    const [ra, rb] = await Promise.all([
      a.call('admin', 'POST', '/api/v1/templates/aw-employees/run'),
      b.call('admin', 'POST', '/api/v1/templates/aw-employees/run'),
    ]);
    assert.equal(ra.status, 202, ra.text);
    assert.equal(rb.status, 202, rb.text);
    await until('every derived link ran', async () => (await Promise.all(LINKS.map(async (l) => (await runsOf(l)).length))).every((n) => n >= 1), 90_000);
    await idle();

    // A Google event for MUE, then both workers at once again and again: two-way, still one run of a link at a time.
    const [mueCal] = calendarsNamed(g, 'AW-MUE');
    assert.ok(mueCal, 'AW-MUE was made');
    const day = dayIn(2);
    await client(g).insertEvent(mueCal.cal.id, timedEvent('Aus Google', `${day}T18:00:00`, `${day}T19:00:00`));
    // Ask both workers again and again until a run of some link was asked for while another run
    // of it was going on (a job of the link made while another was active): the case the lock is for.
    const contended = async (): Promise<string | null> => {
      for (const l of LINKS) {
        const jobs = await a.svc.queue.list({ linkId: `link:${l}`, limit: 1000 });
        for (const j1 of jobs) {
          if (!j1.startedAt) continue;
          const end = j1.finishedAt ? Date.parse(j1.finishedAt) : Infinity;
          const j2 = jobs.find((j) => j.id !== j1.id && Date.parse(j.createdAt) >= Date.parse(j1.startedAt!) && Date.parse(j.createdAt) < end);
          if (j2) return `${l}: job ${j2.id} was queued while ${j1.id} ran`;
        }
      }
      return null;
    };
    const asked: string[] = [];
    const why = await until(
      'a second run of one link asked for while the first ran',
      async () => {
        const r = await Promise.all([
          a.call('admin', 'POST', '/api/v1/templates/aw-employees/run'),
          b.call('admin', 'POST', '/api/v1/templates/aw-employees/run'),
        ]);
        assert.deepEqual(
          r.map((x) => x.status),
          [202, 202],
        );
        asked.push(...r.map((x) => x.body.jobId as string));
        return contended();
      },
      60_000,
    );
    assert.ok(why);
    await until('the template jobs are done', async () => (await Promise.all(asked.map((id) => a.svc.queue.get(id)))).every((j) => j?.finishedAt), 90_000);
    await idle();

    // The proof: per link, its runs' [startedAt, finishedAt] never overlap, whichever worker ran them.
    let total = 0;
    for (const l of LINKS) {
      const runs = (await runsOf(l)).sort((x, y) => x.startedAt.localeCompare(y.startedAt));
      total += runs.length;
      assert.ok(
        runs.every((x) => x.finishedAt !== null),
        `${l}: every run finished`,
      );
      assert.deepEqual(
        runs.filter((x) => x.status !== 'ok').map((x) => [x.status, x.errors]),
        [],
        `${l}: every run ok`,
      );
      for (let i = 1; i < runs.length; i++)
        assert.ok(
          Date.parse(runs[i]!.startedAt) >= Date.parse(runs[i - 1]!.finishedAt!),
          `${l}: run ${runs[i]!.id} started at ${runs[i]!.startedAt}, before run ${runs[i - 1]!.id} finished at ${runs[i - 1]!.finishedAt}`,
        );
    }
    assert.ok(total >= LINKS.length * 2, `each link ran more than once (${total} runs)`);

    // No duplicates on either side; both sides hold the same appointments.
    assert.ok(
      termine(aw, 'MUE').some((t) => t.text === 'Aus Google'),
      'the Google event reached Advoware',
    );
    for (const k of EMPLOYEES) {
      const inAw = termine(aw, k).map((t) => t.text ?? '');
      const inG = (await eventsOf(g, `AW-${k}`)).map((e) => e.summary ?? '');
      assert.equal(new Set(inAw).size, inAw.length, `no duplicate in Advoware for ${k}: ${inAw.join(', ')}`);
      assert.equal(new Set(inG).size, inG.length, `no duplicate in AW-${k}`);
      assert.deepEqual([...inG].sort(), [...inAw].sort(), `AW-${k} holds what Advoware holds for ${k}`);
      assert.equal(calendarsNamed(g, `AW-${k}`).length, 1, `one calendar AW-${k}`);
    }

    // One employee by hand: only MUE's two links run.
    const before = new Map(await Promise.all(LINKS.map(async (l) => [l, (await runsOf(l)).length] as const)));
    const one = await b.call('admin', 'POST', '/api/v1/templates/aw-employees/run?key=MUE');
    assert.equal(one.status, 202, one.text);
    await until('the template job of MUE is done', async () => Boolean((await b.svc.queue.get(one.body.jobId))?.finishedAt), 60_000);
    await idle();
    const job = await b.svc.queue.get(one.body.jobId);
    assert.deepEqual([...((job?.result?.['queued'] as string[]) ?? [])].sort(), ['aw-MUE', 'aw-google-MUE']);
    for (const l of LINKS) {
      const n = (await runsOf(l)).length;
      if (l.endsWith('-MUE')) assert.ok(n > before.get(l)!, `${l} ran`);
      else assert.equal(n, before.get(l), `${l} did not run`);
    }
  });
});
