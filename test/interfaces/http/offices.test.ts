/**
 * `GET /api/v1/offices` through the real server: the offices in force and the attendance
 * scope for admins, the scope's persons and users granted it (mayApprove only where the
 * records API lets them change reservations); anyone else and a hub without an
 * `attendance:` block get 404 with a hint. Approving and rejecting a reservation through the
 * records API is the scope's decision, never its own person's.
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
import { buildServer } from '../../../src/interfaces/http/server.js';
import { openService, type Service } from '../../../src/service/service.js';
import { createToken } from '../../../src/service/tokens.js';
import { injectCall } from '../../support/inject-call.js';

async function serve(dir: string, yaml: string[]) {
  fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml.join('\n'));
  const env = { ...process.env };
  const svc = await openService(loadConfig(path.join(dir, 'timebridge.yaml'), env), {
    env,
    logger: createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    scheduler: false,
  });
  const { app } = await buildServer(svc, 'test');
  const call = injectCall(app, {
    admin: (await createToken(svc.store, { userId: 'root', role: 'admin' })).token,
    alice: (await createToken(svc.store, { userId: 'ann', role: 'user' })).token,
    bob: (await createToken(svc.store, { userId: 'bob', role: 'user' })).token,
  });
  return { svc, app, call };
}

const BASE = ['serve: { concurrency: 1, scheduler: false }', 'store:', '  path: hub.sqlite'];
const ATTENDANCE = [
  ...BASE,
  'connections:',
  '  google: { type: google-calendar, baseUrl: "http://127.0.0.1:9/calendar/v3", auth: { type: oauth, clientId: c, clientSecret: s, refreshToken: r } }',
  'links:',
  '  prague-office: { connection: google, scope: office, collection: prague@example.com, externalKind: attendance, mapper: google-attendance, options: { office: prague } }',
  'attendance:',
  '  scope: office',
  '  offices:',
  '    - { id: prague, name: Prague, calendar: prague@example.com, connection: google }',
  '    - { id: brno, name: Brno, calendar: brno@example.com, connection: google }',
  '',
];

describe('GET /api/v1/offices', () => {
  const dirs: string[] = [];
  const open: { svc: Service; app: FastifyInstance }[] = [];
  const start = async (yaml: string[]) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-offices-'));
    dirs.push(dir);
    const s = await serve(dir, yaml);
    open.push(s);
    return s.call;
  };
  let call: Awaited<ReturnType<typeof start>>;

  before(async () => {
    call = await start(ATTENDANCE);
    const ann = await call('admin', 'POST', '/api/v1/records/person?scope=office', {
      fields: { name: 'Ann Novak', email: 'ann@example.com', username: 'ann' },
    });
    assert.equal(ann.status, 201, ann.text);
  });
  after(async () => {
    for (const s of open) {
      await s.app.close();
      await s.svc.stop(1000);
    }
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('admins get the offices and the scope, and may approve', async () => {
    const r = await call('admin', 'GET', '/api/v1/offices');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, {
      scope: 'office',
      offices: [
        { id: 'prague', name: 'Prague' },
        { id: 'brno', name: 'Brno' },
      ],
      mayApprove: true,
    });
  });

  it('a person of the scope sees the offices but is not told she may approve', async () => {
    const r = await call('alice', 'GET', '/api/v1/offices');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.mayApprove, false);
    assert.equal(r.body.offices.length, 2);
  });

  it('anyone else gets 404 with a hint, until an admin grants the scope', async () => {
    const r = await call('bob', 'GET', '/api/v1/offices');
    assert.equal(r.status, 404, r.text);
    assert.equal(r.body.error.code, 'RESOURCE_NOT_FOUND');
    assert.match(r.body.error.hint, /scope office/);
    assert.equal((await call('admin', 'POST', '/api/v1/scopes/office/grants', { user: 'bob', access: 'read' })).status, 200);
    const read = await call('bob', 'GET', '/api/v1/offices');
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.mayApprove, false);
    assert.equal((await call('admin', 'POST', '/api/v1/scopes/office/grants', { user: 'bob', access: 'read-write' })).status, 200);
    assert.equal((await call('bob', 'GET', '/api/v1/offices')).body.mayApprove, true);
  });

  it('a person may not approve or reject her own reservation, only cancel it; admins decide', async () => {
    const made = await call('admin', 'POST', '/api/v1/reservations', {
      user: { name: 'Ann Novak', email: 'ann@example.com' },
      approved: false,
      start: '2030-03-02',
      end: '2030-03-03',
      office_id: 'prague',
    });
    assert.equal(made.status, 200, made.text);
    const url = `/api/v1/records/reservation/${made.body.id}`;
    for (const state of ['approved', 'rejected']) {
      const r = await call('alice', 'PATCH', url, { fields: { state } }, { 'if-match': '"1"' });
      assert.equal(r.status, 403, r.text);
      assert.match(r.body.error.message, /only admins and the owner of scope office approve or reject/);
    }
    const own = await call('alice', 'POST', '/api/v1/records/reservation?scope=office', {
      fields: { office: 'brno', firstDay: '2030-04-01', lastDay: '2030-04-01', state: 'approved' },
    });
    assert.equal(own.status, 403, own.text);
    assert.equal((await call('admin', 'PATCH', url, { fields: { state: 'approved' } }, { 'if-match': '"1"' })).status, 200);
    const cancelled = await call('alice', 'PATCH', url, { fields: { state: 'cancelled' } }, { 'if-match': '"2"' });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.fields.state, 'cancelled');
  });

  it('without an attendance block it is 404 for everyone, saying how to configure it', async () => {
    const bare = await start([...BASE, '']);
    for (const who of ['admin', 'alice'] as const) {
      const r = await bare(who, 'GET', '/api/v1/offices');
      assert.equal(r.status, 404, r.text);
      assert.match(r.body.error.hint, /attendance: block/);
    }
  });
});
