/** The emulator frame: fault rules, control routes, persistence. Exercised over real HTTP. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createEmulator, type Emulator } from '../../src/emulators/kit/emulator.js';
import { FaultPlan } from '../../src/emulators/kit/faults.js';

function toy(seed = 1): { em: Emulator; items: string[] } {
  const items: string[] = [];
  const em = createEmulator({
    name: 'toy',
    seed,
    errorBody: (status) => ({ toyError: status }),
    reset: () => {
      items.length = 0;
    },
    snapshot: () => ({ items }),
    restore: (d) => {
      items.splice(0, items.length, ...(d as { items: string[] }).items);
    },
  });
  em.app.get('/items', async () => ({ items: items.slice(0, em.settings.maxPageSize) }));
  em.app.post('/items', async (req) => {
    items.push((req.body as { name: string }).name);
    return { ok: true };
  });
  return { em, items };
}

const json = async (r: Response) => ({ status: r.status, body: (await r.json()) as Record<string, unknown>, retryAfter: r.headers.get('retry-after') });

describe('emulator kit', () => {
  it("answers a fault rule in the API's error shape, for the matching requests only, the given number of times", async () => {
    const { em } = toy();
    const url = await em.listen();
    try {
      const add = await fetch(`${url}/_emulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ method: 'GET', path: '^/items$', status: 429, retryAfter: 2, times: 2 }),
      });
      assert.equal(add.status, 201);
      assert.deepEqual(await json(await fetch(`${url}/items`)), { status: 429, body: { toyError: 429 }, retryAfter: '2' });
      assert.equal(
        (await fetch(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"a"}' })).status,
        200,
        'other methods pass',
      );
      assert.equal((await fetch(`${url}/items`)).status, 429);
      assert.deepEqual((await json(await fetch(`${url}/items`))).body, { items: ['a'] }, 'the rule retires after `times`');
      const state = await json(await fetch(`${url}/_emulator`));
      assert.equal((state.body.requests as Record<string, number>)['GET /items'], 3);
      assert.equal((state.body.faults as { fired: number }[])[0]!.fired, 2);
    } finally {
      await em.close();
    }
  });

  it('refuses a malformed rule with the field named, and resets data, rules and counts', async () => {
    const { em, items } = toy();
    const url = await em.listen();
    try {
      const bad = await json(
        await fetch(`${url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"status":99}' }),
      );
      assert.equal(bad.status, 400);
      assert.match(String(bad.body.error), /status/);
      items.push('x');
      em.inject({ status: 500 });
      assert.equal((await fetch(`${url}/items`)).status, 500);
      await fetch(`${url}/_emulator/reset`, { method: 'POST' });
      assert.deepEqual((await json(await fetch(`${url}/items`))).body, { items: [] });
    } finally {
      await em.close();
    }
  });

  it('changes settings through the control route and refuses unknown ones', async () => {
    const { em, items } = toy();
    const url = await em.listen();
    try {
      items.push('a', 'b', 'c');
      const patch = (body: unknown) =>
        fetch(`${url}/_emulator/settings`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      assert.equal((await patch({ maxPageSize: 2 })).status, 200);
      assert.deepEqual((await json(await fetch(`${url}/items`))).body, { items: ['a', 'b'] });
      const bad = await json(await patch({ pageSize: 2 }));
      assert.equal(bad.status, 400);
      assert.match(String(bad.body.error), /maxPageSize, latencyMs/);
    } finally {
      await em.close();
    }
  });

  it('keeps its data in a file across restarts when persisted', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-emu-'));
    const file = path.join(dir, 'toy.json');
    try {
      const first = toy();
      first.em.persist(file);
      const url = await first.em.listen();
      await fetch(`${url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"kept"}' });
      await first.em.close();
      const second = toy();
      second.em.persist(file);
      assert.deepEqual(second.items, ['kept']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fires a random share of requests, the same ones for the same seed', () => {
    const fired = (seed: number) => {
      const plan = new FaultPlan(seed);
      plan.add({ status: 503, rate: 0.2 });
      return Array.from({ length: 1000 }, () => plan.match('GET', '/x')[0]!.fire);
    };
    const a = fired(7);
    const share = a.filter(Boolean).length / a.length;
    assert.ok(share > 0.15 && share < 0.25, `about 20 % fire (got ${share})`);
    assert.deepEqual(fired(7), a, 'same seed, same faults');
    assert.notDeepEqual(fired(8), a, 'another seed, other faults');
  });

  it('fires every n-th request after letting some pass', () => {
    const plan = new FaultPlan();
    plan.add({ status: 500, after: 2, every: 3 });
    const fired = Array.from({ length: 10 }, () => plan.match('POST', '/y')[0]?.fire ?? false);
    assert.deepEqual(fired, [false, false, false, false, true, false, false, true, false, false]);
  });
});
