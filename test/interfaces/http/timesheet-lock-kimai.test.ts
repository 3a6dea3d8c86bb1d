/**
 * A month lock reaching Kimai's exported flag on the right Kimai: two teams, each a hub
 * scope synced with its own Kimai (two emulators, two connections). Anna's entries are in
 * both; the first runs bring them into the hub. She submits her March in both scopes
 * through the API, an admin locks March, and the queued runs (the service's workers) carry
 * the lock out: each Kimai shows exactly anna's March records exported — February, April
 * and ben's stay open, and each Kimai gets one export toggle per record of its own. A
 * locked entry then refuses an edit through the hub (PERIOD_LOCKED).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../../src/app/config.js';
import { createLogger } from '../../../src/app/logger.js';
import { isTimebridgeError } from '../../../src/core/errors.js';
import { buildServer } from '../../../src/interfaces/http/server.js';
import { runLink } from '../../../src/runtime/run-link.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { injectCall } from '../../support/inject-call.js';
import { queueIdle } from '../../support/serve.js';
import { ADMIN_TOKEN, startKimai } from '../../connectors/kimai/kimai-fixture.js';
import { CLOCK, config, kimaiLinks, taxonomy } from '../../connectors/kimai/kimai-workspace.js';

type Emu = Awaited<ReturnType<typeof startKimai>>;
const ANNA = 1,
  BEN = 2;

async function post(emu: Emu, user: number, day: string, description: string): Promise<number> {
  const res = await fetch(`${emu.base}/api/timesheets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user, project: 20, activity: 31, begin: `${day}T09:00`, end: `${day}T11:00`, description }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: number }).id;
}

const exportToggles = (emu: Emu) => [...emu.counts].filter(([k]) => k.startsWith('PATCH') && k.endsWith('/export')).reduce((n, [, c]) => n + c, 0);
const exportedIds = (emu: Emu) =>
  emu
    .data()
    .timesheets.filter((t) => t.exported)
    .map((t) => t.id)
    .sort((a, b) => a - b);

describe('the month lock reaches the exported flag on the right Kimai', () => {
  const emus: Record<'a' | 'b', Emu> = {} as Record<'a' | 'b', Emu>;
  const ids: Record<'a' | 'b', Record<string, number>> = { a: {}, b: {} };
  let dir: string, svc: Service, app: FastifyInstance, call: ReturnType<typeof injectCall>;

  const idle = () => queueIdle(svc, 'the queued runs');

  before(async () => {
    emus.a = await startKimai();
    emus.b = await startKimai();
    ids.a = {
      annaMar2: await post(emus.a, ANNA, '2026-03-02', 'a: anna 2 March'),
      annaMar3: await post(emus.a, ANNA, '2026-03-03', 'a: anna 3 March'),
      annaFeb: await post(emus.a, ANNA, '2026-02-20', 'a: anna 20 February'),
      benMar: await post(emus.a, BEN, '2026-03-04', 'a: ben 4 March'),
    };
    ids.b = {
      annaMar5: await post(emus.b, ANNA, '2026-03-05', 'b: anna 5 March'),
      annaApr: await post(emus.b, ANNA, '2026-04-01', 'b: anna 1 April'),
      benMar: await post(emus.b, BEN, '2026-03-06', 'b: ben 6 March'),
    };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-lock-two-kimai-'));
    // One scope per team, each with its own Kimai.
    const team = (name: string, scope: string) => {
      const l = kimaiLinks(name, emus[name as 'a' | 'b'].base);
      return { connection: l.connection, links: l.links.replaceAll('scope: work', `scope: ${scope}`) };
    };
    const yaml = config([team('a', 'team-a'), team('b', 'team-b')]).replace('store:\n', 'serve:\n  concurrency: 1\n  scheduler: false\nstore:\n');
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml);
    const env = { ...process.env };
    svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
      env,
      logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
      scheduler: false,
      clock: () => CLOCK,
    });
    ({ app } = await buildServer(svc, 'test'));
    // The first runs, in order (taxonomy before the timesheets that refer to it), before any worker takes jobs.
    for (const k of ['a', 'b']) {
      for (const name of [...taxonomy(k), `${k}-timesheets`]) {
        const r = await runLink(await svc.catalog.linkSpec(name), { store: svc.store, clock: () => CLOCK }, { trigger: 'test' });
        assert.equal(r.run.status, 'ok', `${name}: ${JSON.stringify(r.run.errors)}`);
      }
    }
    await svc.startWorkers();
    const tokens = {
      admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
      alice: (await createToken(svc.store, { userId: 'anna', role: 'user' })).token,
      bob: (await createToken(svc.store, { userId: 'ben', role: 'user' })).token,
    };
    call = injectCall(app, tokens);
  });
  after(async () => {
    await app?.close();
    await svc?.stop(1000);
    await emus.a?.close();
    await emus.b?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('anna submits March in both teams; the admin locks it; each Kimai exports exactly her March records', async () => {
    for (const scope of ['team-a', 'team-b']) {
      const shown = await call('alice', 'GET', `/api/v1/timesheets?scope=${scope}&month=2026-03`);
      assert.equal(shown.status, 200, shown.text);
      assert.equal(shown.body.entries.length, scope === 'team-a' ? 2 : 1, 'the first runs brought her March entries in');
      const r = await call('alice', 'POST', '/api/v1/timesheets/submit', { scope, month: '2026-03' });
      assert.deepEqual([r.status, r.body.timesheet?.fields.state], [200, 'submitted'], r.text);
    }
    await idle();
    assert.deepEqual([exportToggles(emus.a), exportToggles(emus.b)], [0, 0], 'submitting exports nothing');

    const lock = await call('admin', 'POST', '/api/v1/timesheets/lock', { month: '2026-03' });
    assert.equal(lock.status, 200, lock.text);
    const byScope = Object.fromEntries(
      lock.body.reports.map((r: { scope: string; report: { locked: { exported: string[] }[] }; carriers: string[] }) => [
        r.scope,
        { carriers: r.carriers, exported: r.report.locked.flatMap((l) => l.exported).sort() },
      ]),
    );
    assert.deepEqual(byScope, {
      'team-a': { carriers: ['a-timesheets'], exported: [String(ids.a.annaMar2), String(ids.a.annaMar3)].sort() },
      'team-b': { carriers: ['b-timesheets'], exported: [String(ids.b.annaMar5)] },
    });
    for (const r of lock.body.reports)
      assert.ok(
        r.jobs.some((j: { link: string }) => j.link === r.carriers[0]),
        'the carrier run is queued',
      );
    await idle();

    assert.deepEqual(
      exportedIds(emus.a),
      [ids.a.annaMar2!, ids.a.annaMar3!].sort((x, y) => x - y),
    );
    assert.deepEqual(exportedIds(emus.b), [ids.b.annaMar5!]);
    // One toggle per record, each on its own Kimai: the other team's lock touched nothing here.
    assert.deepEqual([exportToggles(emus.a), exportToggles(emus.b)], [2, 1]);
    const descriptions = (emu: Emu) =>
      emu
        .data()
        .timesheets.map((t) => t.description)
        .sort();
    assert.deepEqual(descriptions(emus.a), ['a: anna 2 March', 'a: anna 20 February', 'a: anna 3 March', 'a: ben 4 March']);

    // The hub entries carry the lock and name their timesheet (extras.timesheet: no Kimai link holds it).
    const sheet = (await svc.store.listScope('team-a', 'timesheet')).find((t) => !t.tombstone)!;
    assert.equal(sheet.fields.state, 'exported');
    const annaEntries = (await svc.store.listScope('team-a', 'timeEntry')).filter((e) => e.fields.personId === sheet.fields.personId);
    const march = annaEntries.filter((e) => String(e.fields.date).startsWith('2026-03'));
    assert.deepEqual(
      march.map((e) => [e.fields.exported, (e.fields.extras as { timesheet?: string }).timesheet]),
      [
        [true, sheet.id],
        [true, sheet.id],
      ],
    );
    assert.equal(annaEntries.find((e) => String(e.fields.date).startsWith('2026-02'))!.fields.exported, undefined);

    // Another run changes nothing more in either Kimai.
    for (const name of ['a-timesheets', 'b-timesheets']) {
      const r = await runLink(await svc.catalog.linkSpec(name), { store: svc.store, clock: () => CLOCK }, { trigger: 'test', full: true });
      assert.equal(r.plan.actions.filter((a) => a.op.startsWith('push')).length, 0, `${name}: ${JSON.stringify(r.plan.actions)}`);
    }
    assert.deepEqual([exportToggles(emus.a), exportToggles(emus.b)], [2, 1]);

    // A locked entry refuses an edit through the hub; anna's reopen is refused too, and an open month still takes one.
    const locked = march[0]!;
    await assert.rejects(
      svc.records.update({ id: locked.id, fields: { ...locked.fields, description: 'changed' }, ifMatch: locked.version, actor: { origin: 'api:anna' } }),
      (err: unknown) => isTimebridgeError(err) && err.code === 'PERIOD_LOCKED',
    );
    const reopen = await call('alice', 'POST', '/api/v1/timesheets/reopen', { scope: 'team-a', month: '2026-03' });
    assert.deepEqual([reopen.status, reopen.body.error?.code], [409, 'PERIOD_LOCKED']);
    const feb = annaEntries.find((e) => String(e.fields.date).startsWith('2026-02'))!;
    const edited = await svc.records.update({
      id: feb.id,
      fields: { ...feb.fields, description: 'edited' },
      ifMatch: feb.version,
      actor: { origin: 'api:anna' },
    });
    assert.equal(edited.fields.description, 'edited');
  });
});
