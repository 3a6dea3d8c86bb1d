/**
 * GET /api/v1/parked names the items the remote refused, by link, as far as the caller may
 * see them (a user: their links and global ones, without the remote answer; an admin: all,
 * with it); POST /links/:name/sync with retryParked unparks that link's items only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ParkedItem } from '../../../src/store/types.js';
import { startHarness, type Harness } from './security-harness.js';

const parked = (link: string, hubId: string): ParkedItem => ({
  linkId: `link:${link}`,
  hubId,
  extId: null,
  action: 'create',
  code: 'CONNECTOR_INVALID_INPUT',
  kind: 'invalid_input',
  message: `Standup (UID ${hubId}) was refused by link ${link} and is parked: PUT /cal/${hubId}.ics (UID ${hubId}) was not created: the server answered HTTP 400: secret server detail`,
  answer: 'secret server detail',
  status: 400,
  label: `Standup (UID ${hubId})`,
  source: `${hubId}.ics of link other`,
  hubVersion: 1,
  hubHash: 'h',
  extEtag: null,
  parkedAt: '2026-01-01T00:00:00.000Z',
  runId: 'run-x',
});

describe('GET /api/v1/parked and sync with retryParked', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ store: 'sqlite' });
    await h.svc.store.commit({ parkedUpsert: [parked('alice-link', 'a1'), parked('bob-link', 'b1'), parked('g', 'g1')] });
  });
  after(async () => {
    await h.close();
  });

  it("a user sees their own and global links' parked items, without the remote answer; an admin sees all of it", async () => {
    const alice = await h.call('alice', 'GET', '/api/v1/parked');
    assert.equal(alice.status, 200, alice.text);
    assert.deepEqual(alice.body.parked.map((p: { hubId: string }) => p.hubId).sort(), ['a1', 'g1']);
    assert.ok(!alice.text.includes('secret server detail'), `the remote answer reached a user: ${alice.text}`);
    const a1 = alice.body.parked.find((p: { hubId: string }) => p.hubId === 'a1');
    assert.match(a1.message, /answered HTTP 400\.$/);
    assert.deepEqual([a1.item, a1.source, a1.status, a1.answer], ['Standup (UID a1)', 'a1.ics of link other', 400, null]);
    assert.match(a1.next, /retryParked/);
    const bobsOnly = await h.call('alice', 'GET', '/api/v1/parked?link=bob-link');
    assert.deepEqual(bobsOnly.body.parked, []);
    const admin = await h.call('admin', 'GET', '/api/v1/parked');
    assert.deepEqual(admin.body.parked.map((p: { hubId: string }) => p.hubId).sort(), ['a1', 'b1', 'g1']);
    assert.equal(admin.body.parked.find((p: { hubId: string }) => p.hubId === 'b1').answer, 'secret server detail');
  });

  it("a sync with retryParked unparks that link's items only", async () => {
    const plain = await h.call('alice', 'POST', '/api/v1/links/alice-link/sync?wait=true', {});
    assert.equal(plain.status, 200, plain.text);
    assert.deepEqual(
      (await h.svc.store.listParked('link:alice-link')).map((p) => p.hubId),
      ['a1'],
      'a plain sync leaves the park',
    );
    const retry = await h.call('alice', 'POST', '/api/v1/links/alice-link/sync?wait=true', { retryParked: true });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.state, 'done', retry.text);
    assert.deepEqual(await h.svc.store.listParked('link:alice-link'), []);
    assert.deepEqual(
      (await h.svc.store.listParked()).map((p) => p.hubId),
      ['b1', 'g1'],
    );
  });
});
