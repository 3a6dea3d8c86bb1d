/**
 * The behaviour every connector must show, as a node:test suite. Each connector's
 * test file calls `connectorContractSuite` with a fixture that makes a fresh, empty
 * collection (a temp folder, a new CalDAV calendar, a reset emulator) per test, and a
 * second connector instance on it (`fresh`: what another process, or the one started
 * after a crash, would build), so nothing may rest on what one instance remembers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { isTimebridgeError, type ErrorKind } from '../../core/errors.js';
import { isItemFailure, type Connector, type ExternalItem, type ExternalRef, type IdempotencyKey, type ItemFailure, type Listing } from './connector.js';

export interface ContractFixture<E> {
  /** A connector on an empty collection. */
  connector: Connector<E>;
  /** Another connector instance on the same collection, sharing nothing in memory with `connector`. */
  fresh(): Connector<E>;
  /** The n-th sample item; different n give different items. */
  sample(n: number): E;
  /** a changed version of an item */
  change(data: E): E;
  /** Whether two items carry the same content, as far as the connector keeps it. */
  same(a: E, b: E): boolean;
  teardown(): Promise<void>;
}

export function connectorContractSuite<E>(name: string, setup: () => Promise<ContractFixture<E>>): void {
  const test = (title: string, body: (f: ContractFixture<E>) => Promise<void>): void => {
    it(title, async () => {
      const fixture = await setup();
      try {
        await body(fixture);
      } finally {
        await fixture.teardown();
      }
    });
  };

  describe(name, () => {
    test('an empty collection lists nothing, completely', async ({ connector }) => {
      const listing = await listAll(connector);
      assert.deepEqual(listing.refs, []);
      assert.equal(listing.complete, true);
      assert.deepEqual(listing.failures, []);
    });

    test('a created item is listed with its etag and reads back the same', async (f) => {
      const data = f.sample(1);
      const ref = await f.connector.create(data, newKey());
      assertRef(ref);
      const listing = await listAll(f.connector);
      assert.equal(listing.complete, true, 'listing is complete when nothing failed');
      assert.deepEqual(listing.failures, []);
      assert.deepEqual(listing.refs, plain([ref]), 'the listing holds the created item with the etag create returned');
      const item = await getOne(f.connector, ref.id);
      assert.equal(item.etag, ref.etag, 'get returns the listed etag');
      assert.ok(f.same(item.data, data), 'get returns the data that was created');
    });

    test('a repeated create with the same key leaves exactly one item, found by key', async (f) => {
      const key = newKey();
      const first = await f.connector.create(f.sample(1), key);
      let again: ExternalRef | undefined;
      try {
        again = await f.connector.create(f.sample(1), key);
      } catch (err) {
        assertKind(err, 'precondition');
      }
      if (again) assert.equal(again.id, first.id, 'a create that does not fail must return the existing item');
      const listing = await listAll(f.connector);
      assert.deepEqual(
        listing.refs.map((r) => r.id),
        [first.id],
      );
      const found = await f.connector.findByKey(key);
      assert.ok(found, 'findByKey finds what the create made');
      assert.deepEqual(plain([found]), listing.refs);
      assert.equal(await f.connector.findByKey(newKey()), null, 'an unknown key finds nothing');
    });

    test('a fresh connector instance finds by key what another instance created', async (f) => {
      const key = newKey();
      const created = await f.connector.create(f.sample(1), key);
      const other = f.fresh();
      const found = await other.findByKey(key);
      assert.ok(found, 'findByKey on a new instance (a new process after a crash) finds the item');
      assert.equal(found.id, created.id);
      assert.equal(await other.findByKey(newKey()), null, 'an unknown key finds nothing');
      let again: ExternalRef | undefined;
      try {
        again = await other.create(f.sample(1), key);
      } catch (err) {
        assertKind(err, 'precondition');
      }
      if (again) assert.equal(again.id, created.id, 'a retried create on the new instance returns the first item');
      assert.deepEqual(
        (await listAll(other)).refs.map((r) => r.id),
        [created.id],
        'still exactly one item',
      );
    });

    test('get is the evidence: not_found for an item gone since, the item for one the listing did not show', async (f) => {
      const gone = await f.connector.create(f.sample(1), newKey());
      const other = f.fresh();
      await other.delete(gone.id, gone.etag);
      const listing = await listAll(f.connector);
      assert.deepEqual(listing.refs, [], 'the listing no longer shows the deleted item');
      const late = await other.create(f.sample(2), newKey());
      const results = await f.connector.get([gone.id, late.id]);
      assert.equal(results.length, 2, 'one result per id');
      const [first, second] = results as [ExternalItem<E> | ItemFailure, ExternalItem<E> | ItemFailure];
      assert.ok(isItemFailure(first), 'the deleted item is a failure, not an exception');
      assert.deepEqual([first.id, first.error.kind], [gone.id, 'not_found']);
      assert.ok(!isItemFailure(second), `an item created after the listing is returned (${isItemFailure(second) ? second.error.message : ''})`);
      assert.equal(second.id, late.id);
      assert.ok(f.same(second.data, f.sample(2)), 'with its data');
    });

    test('update with the current etag changes data and etag', async (f) => {
      const data = f.sample(1);
      const created = await f.connector.create(data, newKey());
      const updated = await f.connector.update(created.id, f.change(data), created.etag);
      assertRef(updated);
      assert.equal(updated.id, created.id);
      assert.notEqual(updated.etag, created.etag, 'an update gives a new etag');
      const item = await getOne(f.connector, created.id);
      assert.equal(item.etag, updated.etag);
      assert.ok(f.same(item.data, f.change(data)), 'get returns the updated data');
      assert.ok(!f.same(item.data, data), 'the change is visible');
    });

    test('update with a stale etag fails with precondition and changes nothing', async (f) => {
      const data = f.sample(1);
      const created = await f.connector.create(data, newKey());
      const updated = await f.connector.update(created.id, f.change(data), created.etag);
      await assertRejectsWith(f.connector.update(created.id, f.sample(2), created.etag), 'precondition');
      const item = await getOne(f.connector, created.id);
      assert.equal(item.etag, updated.etag);
      assert.ok(f.same(item.data, f.change(data)), 'data is still that of the accepted update');
    });

    test('delete with a stale etag fails with precondition and keeps the item', async (f) => {
      const data = f.sample(1);
      const created = await f.connector.create(data, newKey());
      const updated = await f.connector.update(created.id, f.change(data), created.etag);
      await assertRejectsWith(f.connector.delete(created.id, created.etag), 'precondition');
      assert.deepEqual((await listAll(f.connector)).refs, plain([updated]));
    });

    test('delete with the current etag removes the item', async (f) => {
      const created = await f.connector.create(f.sample(1), newKey());
      await f.connector.delete(created.id, created.etag);
      assert.deepEqual((await listAll(f.connector)).refs, []);
      const [result] = await f.connector.get([created.id]);
      assert.ok(result && isItemFailure(result), 'get of a deleted item is a failure');
      assert.equal(result.id, created.id);
      assert.equal(result.error.kind, 'not_found');
    });

    test('delete of a missing item fails with not_found', async (f) => {
      const created = await f.connector.create(f.sample(1), newKey());
      await f.connector.delete(created.id, created.etag);
      await assertRejectsWith(f.connector.delete(created.id, created.etag), 'not_found');
    });

    test('etags are stable while nothing changes', async (f) => {
      for (let n = 1; n <= 3; n++) await f.connector.create(f.sample(n), newKey());
      const first = await listAll(f.connector);
      const second = await listAll(f.connector);
      assert.equal(first.refs.length, 3);
      assert.deepEqual(byId(second.refs), byId(first.refs));
    });

    test('get of several ids returns the items plus one failure for the missing one', async (f) => {
      const refs: ExternalRef[] = [];
      for (let n = 1; n <= 3; n++) refs.push(await f.connector.create(f.sample(n), newKey()));
      const [kept1, gone, kept2] = refs as [ExternalRef, ExternalRef, ExternalRef];
      await f.connector.delete(gone.id, gone.etag);
      const results = await f.connector.get([kept1.id, gone.id, kept2.id]);
      assert.equal(results.length, 3, 'one result per id');
      const failures = results.filter((r): r is ItemFailure => isItemFailure(r));
      const items = results.filter((r): r is ExternalItem<E> => !isItemFailure(r));
      assert.deepEqual(
        failures.map((x) => [x.id, x.error.kind]),
        [[gone.id, 'not_found']],
      );
      assert.deepEqual(items.map((x) => x.id).sort(), [kept1.id, kept2.id].sort());
      for (const item of items) {
        const n = item.id === kept1.id ? 1 : 3;
        assert.ok(f.same(item.data, f.sample(n)), `item ${item.id} reads back as created`);
      }
    });

    test('50 creates list as exactly 50 distinct ids', async (f) => {
      const created = new Set<string>();
      for (let n = 1; n <= 50; n++) created.add((await f.connector.create(f.sample(n), newKey())).id);
      const listing = await listAll(f.connector);
      const ids = listing.refs.map((r) => r.id);
      assert.equal(ids.length, 50);
      assert.equal(new Set(ids).size, 50, 'no id is listed twice');
      assert.deepEqual(new Set(ids), created);
      assert.equal(listing.complete, true);
    });
  });
}

function newKey(): IdempotencyKey {
  return { hubId: randomUUID(), key: randomUUID().slice(0, 8) };
}

/** A full listing: with no cursor, even delta connectors list everything. */
async function listAll<E>(connector: Connector<E>): Promise<Listing> {
  const listing = await connector.list({ cursor: null, window: null });
  assert.deepEqual(listing.removed, [], 'a listing without a cursor reports no removals');
  return { ...listing, refs: plain(listing.refs) };
}

async function getOne<E>(connector: Connector<E>, id: string): Promise<ExternalItem<E>> {
  const results = await connector.get([id]);
  assert.equal(results.length, 1);
  const [result] = results;
  assert.ok(result && !isItemFailure(result), `get ${id} failed: ${result && isItemFailure(result) ? result.error.message : 'no result'}`);
  assert.equal(result.id, id);
  return result;
}

function assertRef(ref: ExternalRef): void {
  assert.equal(typeof ref.id, 'string');
  assert.ok(ref.id.length > 0, 'the id is not empty');
  assert.equal(typeof ref.etag, 'string');
  assert.ok(ref.etag.length > 0, 'the etag is not empty');
}

function assertKind(err: unknown, kind: ErrorKind): void {
  assert.ok(isTimebridgeError(err), `expected a TimebridgeError, got ${String(err)}`);
  assert.equal(err.kind, kind, `expected kind ${kind}, got ${err.kind} (${err.code}: ${err.message})`);
}

async function assertRejectsWith(promise: Promise<unknown>, kind: ErrorKind): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assertKind(err, kind);
    return true;
  });
}

/** Just id and etag, so connectors may carry extra fields on their refs. */
function plain(refs: ExternalRef[]): ExternalRef[] {
  return refs.map(({ id, etag }) => ({ id, etag }));
}

function byId(refs: ExternalRef[]): ExternalRef[] {
  return [...refs].sort((a, b) => a.id.localeCompare(b.id));
}
