/** Who may read and change which hub record (app/record-access.ts), on a real store with real scope claims and grants. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RecordAccess } from '../../src/app/record-access.js';
import { Scopes } from '../../src/app/scopes.js';
import { TimebridgeError } from '../../src/core/errors.js';
import type { Fields, HubRecord, RecordKind } from '../../src/core/model.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { HubStore } from '../../src/store/types.js';

const NOW = new Date('2026-03-10T09:00:00Z');

function person(id: string, username: string | null, email: string | null, scope = 'team'): HubRecord {
  return {
    id,
    kind: 'person',
    scope,
    fields: { name: id, email, username, timeZone: null, active: true },
    identity: null,
    version: 1,
    updatedAt: '',
    origin: '',
    tombstone: false,
  };
}
const rec = (id: string, kind: RecordKind, fields: Fields, scope = 'team') => ({ id, kind, scope, fields });

async function setup(fn: (access: RecordAccess, scopes: Scopes, store: HubStore) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-access-'));
  const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
  try {
    const people = [person('p-alice', 'alice', null), person('p-bob', null, 'Bob@Example.com'), person('p-carol', 'carol', null, 'carols')];
    await store.commit({
      records: people.map((p) => ({ ...p, runId: null, expectedVersion: 0, origin: 'link:kimai-users', tombstone: false, updatedAt: NOW.toISOString() })),
    });
    // The team scope is global (the admins'); carol owns her own scope.
    const scopes = new Scopes(
      store,
      {
        listLinks: async () => [
          { owner: null, config: { scope: 'team' } },
          { owner: 'carol', config: { scope: 'carols' } },
        ],
      },
      () => NOW,
    );
    await fn(new RecordAccess(store, scopes), scopes, store);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const alice = { userId: 'alice', role: 'user' as const };
const bob = { userId: 'bob@example.com', role: 'user' as const };
const carol = { userId: 'carol', role: 'user' as const };
const admin = { userId: 'root', role: 'admin' as const };

describe('record access', () => {
  it('finds a user as the person with their username or e-mail (any case)', () =>
    setup(async (access) => {
      assert.equal((await access.personOf('alice', 'team')).id, 'p-alice');
      assert.equal((await access.personOf('BOB@example.com', 'team')).id, 'p-bob');
      await assert.rejects(
        access.personOf('dave', 'team'),
        (err: unknown) => err instanceof TimebridgeError && err.code === 'RESOURCE_NOT_FOUND' && /username "dave"/.test(err.hint ?? ''),
      );
    }));

  it('a user reads and changes their own records only; others are not found; admins do all', () =>
    setup(async (access) => {
      const mine = rec('e1', 'timeEntry', { personId: 'p-alice' });
      const bobs = rec('e2', 'timeEntry', { personId: 'p-bob' });
      assert.equal(await access.allows(alice, mine, 'write'), true);
      assert.equal(await access.allows(alice, bobs, 'read'), false);
      await assert.rejects(access.assert(alice, bobs, 'write'), (err: unknown) => err instanceof TimebridgeError && err.code === 'RESOURCE_NOT_FOUND');
      assert.equal(await access.allows(bob, bobs, 'write'), true);
      assert.equal(await access.allows(admin, bobs, 'write'), true);
      // A task belongs to its assignee; a person to itself.
      assert.equal(await access.allows(alice, rec('t1', 'task', { assigneeId: 'p-alice' }), 'write'), true);
      assert.equal(await access.allows(alice, rec('p-alice', 'person', {}), 'write'), true);
      assert.equal(await access.allows(alice, rec('p-bob', 'person', {}), 'read'), false);
    }));

  it("records that belong to nobody are readable by the scope's persons and changed by admins", () =>
    setup(async (access) => {
      const project = rec('proj', 'project', { name: 'Website' });
      assert.equal(await access.allows(alice, project, 'read'), true);
      await assert.rejects(access.assert(alice, project, 'write'), (err: unknown) => err instanceof TimebridgeError && err.code === 'AUTH_FORBIDDEN');
      // Carol is no person of the team scope: she does not see its projects.
      assert.equal(await access.allows(carol, project, 'read'), false);
      assert.equal(await access.allows(admin, project, 'write'), true);
    }));

  it('a scope owner and a read-write grant see and change all of the scope; a read grant sees all and changes its own', () =>
    setup(async (access, scopes) => {
      const inCarols = rec('e9', 'timeEntry', { personId: 'p-someone' }, 'carols');
      assert.equal(await access.allows(carol, inCarols, 'write'), true);
      assert.equal(await access.allows(alice, inCarols, 'read'), false);
      await scopes.grant('carols', 'alice', 'read');
      assert.equal(await access.allows(alice, inCarols, 'read'), true);
      assert.equal(await access.allows(alice, inCarols, 'write'), false);
      await scopes.grant('carols', 'alice', 'read-write');
      assert.equal(await access.allows(alice, inCarols, 'write'), true);
    }));
});
