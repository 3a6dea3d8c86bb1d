/**
 * The HubStore contract, continued: the tables the service manages (managed definitions,
 * API tokens, the webhook replay memory and OAuth sign-ins under way). Run by
 * storeContractSuite in contract.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { WithStore } from './contract.js';
import type { ApiToken, ManagedDefinition, OAuthState } from './types.js';

const AT = '2025-03-01T10:00:00.000Z';

function managed(category: ManagedDefinition['category'], id: string, over: Partial<ManagedDefinition> = {}): ManagedDefinition {
  return {
    category,
    id,
    type: 'caldav',
    config: { url: `https://${id}.example`, nested: { list: [1, 'two', null, true] } },
    owner: null,
    source: 'api',
    enabled: true,
    secrets: null,
    updatedAt: AT,
    ...over,
  };
}

/** An ISO timestamp (as toISOString writes it) within the last minute. */
function assertRecentIso(at: string): void {
  assert.equal(new Date(at).toISOString(), at);
  assert.ok(Math.abs(Date.now() - Date.parse(at)) < 60_000, `${at} is not now`);
}

export function definitionTests(withStore: WithStore): void {
  describe('managed definitions', () => {
    it(
      'puts, gets, lists by id, replaces and deletes',
      withStore(async (store) => {
        const b = managed('connection', 'b', { owner: 'user-1', enabled: false, secrets: 'v1:sealed' });
        const a = managed('connection', 'a', { source: 'file', type: 'ics-folder', config: { path: '/a' } });
        await store.putDefinition(b);
        await store.putDefinition(a);
        assert.deepEqual(await store.listManagedDefinitions('connection'), [a, b]);
        assert.deepEqual(await store.getDefinition('connection', 'b'), b);
        assert.equal(await store.getDefinition('connection', 'none'), null);

        const b2 = { ...b, type: 'google', config: { calendar: 'x' }, owner: 'user-2', enabled: true, secrets: null, updatedAt: '2025-03-02T00:00:00.000Z' };
        await store.putDefinition(b2);
        assert.deepEqual(await store.getDefinition('connection', 'b'), b2);

        assert.equal(await store.deleteDefinition('connection', 'b'), true);
        assert.equal(await store.deleteDefinition('connection', 'b'), false);
        assert.equal(await store.getDefinition('connection', 'b'), null);
        assert.deepEqual(await store.listManagedDefinitions('connection'), [a]);
      }),
    );

    it(
      'keeps connections and links apart, even with the same id',
      withStore(async (store) => {
        const conn = managed('connection', 'work');
        const link = managed('link', 'work', { type: 'link', config: { from: 'work', to: 'hub' } });
        await store.putDefinition(conn);
        await store.putDefinition(link);
        assert.deepEqual(await store.listManagedDefinitions('connection'), [conn]);
        assert.deepEqual(await store.listManagedDefinitions('link'), [link]);
        assert.equal(await store.deleteDefinition('link', 'work'), true);
        assert.deepEqual(await store.getDefinition('connection', 'work'), conn);
        assert.equal(await store.getDefinition('link', 'work'), null);
        assert.deepEqual(await store.listDefinitions(), { connections: [{ id: 'work', type: conn.type, config: conn.config }], links: [] });
      }),
    );

    it(
      'saveDefinitions marks rows as file and global, keeping enabled and secrets of existing ones',
      withStore(async (store) => {
        await store.saveDefinitions({
          connections: [{ id: 'work', type: 'ics-folder', config: { path: '/a' } }],
          links: [{ id: 'sync', type: 'link', config: { from: 'work' } }],
        });
        const [work] = await store.listManagedDefinitions('connection');
        assert.ok(work);
        assertRecentIso(work.updatedAt);
        assert.deepEqual(
          { ...work, updatedAt: AT },
          {
            category: 'connection',
            id: 'work',
            type: 'ics-folder',
            config: { path: '/a' },
            owner: null,
            source: 'file',
            enabled: true,
            secrets: null,
            updatedAt: AT,
          },
        );
        assert.equal((await store.getDefinition('link', 'sync'))?.source, 'file');

        // The API disables the connection and stores its secrets; an API-made one is then named in the file.
        await store.putDefinition({ ...work, enabled: false, secrets: 'v1:sealed', updatedAt: AT });
        await store.putDefinition(managed('connection', 'home', { owner: 'user-1', enabled: false, secrets: 's2' }));
        await store.saveDefinitions({
          connections: [
            { id: 'work', type: 'ics-folder', config: { path: '/b' } },
            { id: 'home', type: 'caldav', config: { v: 2 } },
          ],
          links: [],
        });
        const after = await store.listManagedDefinitions('connection');
        assert.deepEqual(
          after.map((d) => ({ ...d, updatedAt: AT })),
          [
            { category: 'connection', id: 'home', type: 'caldav', config: { v: 2 }, owner: null, source: 'file', enabled: false, secrets: 's2', updatedAt: AT },
            {
              category: 'connection',
              id: 'work',
              type: 'ics-folder',
              config: { path: '/b' },
              owner: null,
              source: 'file',
              enabled: false,
              secrets: 'v1:sealed',
              updatedAt: AT,
            },
          ],
        );
        for (const d of after) assertRecentIso(d.updatedAt);
        assert.deepEqual(
          (await store.listManagedDefinitions('link')).map((d) => d.id),
          ['sync'],
          'a definition left out of the file stays',
        );
      }),
    );
  });
}

function token(id: string, createdAt: string, over: Partial<ApiToken> = {}): ApiToken {
  return {
    id,
    userId: `user-${id}`,
    role: 'user',
    label: `token ${id}`,
    hash: `${id}`.padEnd(64, '0'),
    createdAt,
    lastUsedAt: null,
    revokedAt: null,
    ...over,
  };
}

export function tokenTests(withStore: WithStore): void {
  describe('API tokens', () => {
    it(
      'creates, finds by hash and lists by creation time then id',
      withStore(async (store) => {
        const late = token('a', '2025-03-02T00:00:00.000Z', { role: 'admin' });
        const early2 = token('c', AT);
        const early1 = token('b', AT);
        for (const t of [late, early2, early1]) await store.createToken(t);
        assert.deepEqual(await store.findToken(late.hash), late);
        assert.equal(await store.findToken('f'.repeat(64)), null);
        assert.deepEqual(await store.listTokens(), [early1, early2, late]);
        await assert.rejects(store.createToken(token('d', AT, { hash: late.hash })), 'a hash is unique');
        assert.equal((await store.listTokens()).length, 3);
      }),
    );

    it(
      'revokes once: a revoked token is not found but still listed',
      withStore(async (store) => {
        const t = token('a', AT);
        await store.createToken(t);
        await store.createToken(token('b', AT));
        assert.equal(await store.revokeToken('a', '2025-03-05T00:00:00.000Z'), true);
        assert.equal(await store.findToken(t.hash), null);
        assert.equal(await store.revokeToken('a', '2025-03-06T00:00:00.000Z'), false);
        assert.equal(await store.revokeToken('none', AT), false);
        assert.deepEqual(await store.listTokens(), [{ ...t, revokedAt: '2025-03-05T00:00:00.000Z' }, token('b', AT)]);
      }),
    );

    it(
      'touch records the last use',
      withStore(async (store) => {
        const t = token('a', AT);
        await store.createToken(t);
        await store.touchToken('a', '2025-03-03T00:00:00.000Z');
        await store.touchToken('a', '2025-03-04T00:00:00.000Z');
        await store.touchToken('none', AT);
        assert.deepEqual(await store.findToken(t.hash), { ...t, lastUsedAt: '2025-03-04T00:00:00.000Z' });
        assert.deepEqual(await store.listTokens(), [{ ...t, lastUsedAt: '2025-03-04T00:00:00.000Z' }]);
      }),
    );
  });
}

/** An ISO time `minutes` after AT. */
const at = (minutes: number): string => new Date(Date.parse(AT) + minutes * 60_000).toISOString();

function signIn(key: string, over: Partial<OAuthState> = {}): OAuthState {
  return { key, connection: 'alice-gcal', userId: 'alice', redirectUri: 'https://hub.example/oauth/google/callback', expiresAt: at(10), ...over };
}

export function expiringTests(withStore: WithStore): void {
  describe('webhook replay memory', () => {
    it(
      'accepts a delivery once while it is remembered, again once it expired',
      withStore(async (store) => {
        assert.equal(await store.rememberDelivery('sig-1', at(5), AT), true);
        assert.equal(await store.rememberDelivery('sig-1', at(5), at(1)), false, 'a repeat inside the window');
        assert.equal(await store.rememberDelivery('sig-2', at(5), at(1)), true, 'another delivery');
        assert.equal(await store.rememberDelivery('sig-1', at(5), at(4.9)), false, 'still remembered just before it expires');
        assert.equal(await store.rememberDelivery('sig-1', at(10), at(5)), true, 'forgotten once it expired');
        assert.equal(await store.rememberDelivery('sig-1', at(10), at(6)), false, 'remembered again with the new expiry');
        assert.equal(await store.rememberDelivery('sig-2', at(10), at(6)), true, 'pruned meanwhile');
      }),
    );

    it(
      'of deliveries with one key at the same time, exactly one is accepted',
      withStore(async (store) => {
        const results = await Promise.all(Array.from({ length: 12 }, () => store.rememberDelivery('same', at(5), AT)));
        assert.equal(results.filter(Boolean).length, 1);
      }),
    );
  });

  describe('OAuth sign-ins under way', () => {
    it(
      'takes a sign-in once, and none that expired or was never made',
      withStore(async (store) => {
        const a = signIn('a'),
          b = signIn('b', { userId: null, connection: 'team-gcal' });
        await store.saveOAuthState(a, AT);
        await store.saveOAuthState(b, AT);
        await assert.rejects(store.saveOAuthState(signIn('a', { connection: 'other' }), AT), 'a key is unique');
        assert.deepEqual(await store.takeOAuthState('a', at(1)), a);
        assert.equal(await store.takeOAuthState('a', at(1)), null, 'single use');
        assert.equal(await store.takeOAuthState('none', at(1)), null);
        assert.equal(await store.takeOAuthState('b', at(10)), null, 'expired at its expiry');
        await store.saveOAuthState(b, AT);
        assert.deepEqual(await store.takeOAuthState('b', at(9.9)), b, 'an expired take removed it, so it could be made again');
      }),
    );

    it(
      'prunes expired sign-ins when a new one is made',
      withStore(async (store) => {
        await store.saveOAuthState(signIn('old', { expiresAt: at(1) }), AT);
        await store.saveOAuthState(signIn('new', { expiresAt: at(20) }), at(2));
        await store.saveOAuthState(signIn('old', { expiresAt: at(30) }), at(2));
        assert.equal((await store.takeOAuthState('old', at(3)))?.expiresAt, at(30), 'the expired one was gone, so its key was free');
      }),
    );

    it(
      'of takes of one sign-in at the same time, exactly one gets it',
      withStore(async (store) => {
        await store.saveOAuthState(signIn('s'), AT);
        const results = await Promise.all(Array.from({ length: 12 }, () => store.takeOAuthState('s', at(1))));
        assert.equal(results.filter((r) => r !== null).length, 1);
      }),
    );
  });
}
