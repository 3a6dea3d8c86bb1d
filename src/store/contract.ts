/**
 * The HubStore contract: behaviour every store implementation must show, written
 * against the interface only (no SQL) so SQLite and PostgreSQL run the same suite.
 * Each test opens a fresh store and closes it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimebridgeError } from '../core/errors.js';
import type { HubRecord } from '../core/model.js';
import { lossTests } from './contract-losses.js';
import { definitionTests, expiringTests, tokenTests } from './contract-service.js';
import type { ConflictRow, HubStore, Intent, ParkedItem, RecordWrite, RunRecord, StatusRow, StatusWrite } from './types.js';

const AT = '2025-03-01T10:00:00.000Z';

function write(id: string, over: Partial<RecordWrite> = {}): RecordWrite {
  return {
    id,
    kind: 'event',
    scope: 'cal:work',
    fields: { title: `t-${id}` },
    identity: `uid-${id}`,
    tombstone: false,
    origin: 'link:a',
    runId: 'run-1',
    expectedVersion: 0,
    updatedAt: AT,
    ...over,
  };
}

function status(linkId: string, hubId: string, extId: string, over: Partial<StatusWrite> = {}): StatusWrite {
  return { linkId, hubId, extId, hubVersion: 1, hubHash: `h-${hubId}`, extEtag: `e-${extId}`, extHash: `x-${extId}`, ...over };
}

/** Loaded rows without their derived base, to compare with what was written. */
const plain = (rows: StatusRow[]): StatusWrite[] => rows.map(({ base: _base, ...r }) => r);

function intent(id: string, linkId: string, over: Partial<Intent> = {}): Intent {
  return {
    id,
    linkId,
    runId: 'run-1',
    action: 'create',
    hubId: `hub-${id}`,
    extId: null,
    key: `key-${id}`,
    hubVersion: 1,
    hubHash: 'hash',
    createdAt: AT,
    ...over,
  };
}

function conflict(linkId: string, hubId: string, over: Partial<ConflictRow> = {}): ConflictRow {
  return {
    linkId,
    hubId,
    extId: `ext-${hubId}`,
    fields: ['title'],
    hubFields: { title: 'hub' },
    extFields: { title: 'ext' },
    detectedAt: AT,
    ...over,
  };
}

function parked(linkId: string, hubId: string, over: Partial<ParkedItem> = {}): ParkedItem {
  return {
    linkId,
    hubId,
    extId: null,
    action: 'create',
    code: 'CONNECTOR_INVALID_INPUT',
    kind: 'invalid_input',
    message: `PUT /cal/${hubId}.ics: the server answered HTTP 400`,
    answer: 'Bad Request: Failed to parse',
    status: 400,
    label: `Standup (UID ${hubId}@example.org)`,
    source: 'link folder: standup.ics',
    hubVersion: 2,
    hubHash: `h-${hubId}`,
    extEtag: null,
    parkedAt: AT,
    runId: 'run-1',
    ...over,
  };
}

function run(id: string, linkId: string, startedAt: string, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    linkId,
    trigger: 'manual',
    startedAt,
    finishedAt: null,
    status: 'running',
    counts: {},
    errors: [],
    warnings: [],
    plan: { ops: [] },
    apiCalls: 0,
    durationMs: null,
    ...over,
  };
}

function asRecord(w: RecordWrite, version: number): HubRecord {
  return {
    id: w.id,
    kind: w.kind,
    scope: w.scope,
    fields: w.fields,
    identity: w.identity,
    version,
    updatedAt: w.updatedAt,
    origin: w.origin,
    tombstone: w.tombstone,
  };
}

async function rejectsWithConflict(promise: Promise<unknown>, mentions: RegExp[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isTimebridgeError(err), `expected a TimebridgeError, got ${String(err)}`);
    assert.equal(err.code, 'STORE_VERSION_CONFLICT');
    for (const m of mentions) assert.match(err.message, m);
    return true;
  });
}

const byId = <T extends { id: string }>(xs: T[]): T[] => [...xs].sort((a, b) => a.id.localeCompare(b.id));
const byHub = <T extends { hubId: string }>(xs: T[]): T[] => [...xs].sort((a, b) => a.hubId.localeCompare(b.hubId));

export function storeContractSuite(name: string, open: () => Promise<HubStore>): void {
  const withStore = (fn: (store: HubStore) => Promise<void>) => async () => {
    const store = await open();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };

  describe(`HubStore contract: ${name}`, () => {
    recordTests(withStore);
    changeLogTests(withStore);
    statusTests(withStore);
    sideTableTests(withStore);
    parkedTests(withStore);
    definitionTests(withStore);
    tokenTests(withStore);
    expiringTests(withStore);
    lossTests(withStore);
  });
}

export type WithStore = (fn: (store: HubStore) => Promise<void>) => () => Promise<void>;

function recordTests(withStore: WithStore): void {
  describe('records', () => {
    it(
      'creates, updates, tombstones and revives with version bumps and before-snapshots',
      withStore(async (store) => {
        const v1 = write('r1');
        assert.deepEqual((await store.commit({ records: [v1] })).versions, { r1: 1 });
        assert.deepEqual(await store.getRecords(['r1']), [asRecord(v1, 1)]);

        const v2 = write('r1', { fields: { title: 'renamed', n: 2 }, expectedVersion: 1, origin: 'user:ann', runId: null });
        assert.deepEqual((await store.commit({ records: [v2] })).versions, { r1: 2 });
        const v3 = write('r1', { fields: {}, tombstone: true, expectedVersion: 2, updatedAt: '2025-03-02T00:00:00.000Z' });
        assert.deepEqual((await store.commit({ records: [v3] })).versions, { r1: 3 });
        assert.deepEqual(await store.getRecords(['r1']), [asRecord(v3, 3)]);
        const v4 = write('r1', { expectedVersion: 3 });
        assert.deepEqual((await store.commit({ records: [v4] })).versions, { r1: 4 });

        const log = await store.changesSince('cal:work', 'event', 0);
        assert.deepEqual(
          log.map((c) => [c.recordId, c.version, c.origin, c.runId, c.at]),
          [
            ['r1', 1, 'link:a', 'run-1', AT],
            ['r1', 2, 'user:ann', null, AT],
            ['r1', 3, 'link:a', 'run-1', '2025-03-02T00:00:00.000Z'],
            ['r1', 4, 'link:a', 'run-1', AT],
          ],
        );
        assert.deepEqual(
          log.map((c) => c.before),
          [
            null,
            { fields: v1.fields, tombstone: false, version: 1 },
            { fields: v2.fields, tombstone: false, version: 2 },
            { fields: {}, tombstone: true, version: 3 },
          ],
        );
      }),
    );

    it(
      'chains several writes to one record inside a batch',
      withStore(async (store) => {
        const result = await store.commit({
          records: [write('r1'), write('r1', { fields: { title: 'second' }, expectedVersion: 1 })],
        });
        assert.deepEqual(result.versions, { r1: 2 });
        const log = await store.changesSince('cal:work', 'event', 0);
        assert.deepEqual(
          log.map((c) => c.before?.fields ?? null),
          [null, { title: 't-r1' }],
        );
      }),
    );

    it(
      'a stale expectedVersion rolls back the whole batch',
      withStore(async (store) => {
        await store.commit({ records: [write('r1')] });
        const head = await store.headSeq();
        await rejectsWithConflict(
          store.commit({
            records: [write('fresh'), write('r1', { expectedVersion: 0 })],
            statusUpserts: [status('link:a', 'fresh', 'ext-fresh')],
            intentsAdd: [intent('i1', 'link:a')],
            conflictsUpsert: [conflict('link:a', 'fresh')],
            linkState: { linkId: 'link:a', hubCursor: 99 },
          }),
          [/r1/, /expected at version 0/, /version 1/],
        );
        assert.deepEqual(await store.getRecords(['fresh', 'r1']), [asRecord(write('r1'), 1)]);
        assert.deepEqual(plain(await store.loadStatus('link:a')), []);
        assert.deepEqual(await store.openIntents('link:a'), []);
        assert.deepEqual(await store.listConflicts(), []);
        assert.equal((await store.getLinkState('link:a')).hubCursor, 0);
        assert.equal(await store.headSeq(), head);
      }),
    );

    it(
      'refuses to update a record that does not exist',
      withStore(async (store) => {
        await rejectsWithConflict(store.commit({ records: [write('ghost', { expectedVersion: 3 })] }), [/ghost/]);
        assert.deepEqual(await store.getRecords(['ghost']), []);
      }),
    );

    it(
      'getRecords returns only found records, across many ids',
      withStore(async (store) => {
        const writes = Array.from({ length: 1203 }, (_, i) => write(`r${String(i).padStart(4, '0')}`));
        await store.commit({ records: writes });
        const asked = [...writes.map((w) => w.id), 'missing', 'r0000'];
        const got = await store.getRecords(asked);
        assert.equal(got.length, writes.length);
        assert.deepEqual(
          byId(got),
          writes.map((w) => asRecord(w, 1)),
        );
        assert.deepEqual(await store.getRecords([]), []);
        assert.deepEqual(await store.getRecords(['missing']), []);
      }),
    );

    it(
      'listScope returns every record of a large scope exactly once',
      withStore(async (store) => {
        const ids = Array.from({ length: 4321 }, (_, i) => `big-${String(i).padStart(5, '0')}`);
        await store.commit({ records: [...ids.map((id) => write(id, { scope: 'cal:big' })), write('other', { scope: 'cal:small' })] });
        const got = (await store.listScope('cal:big', 'event')).map((r) => r.id);
        assert.equal(got.length, ids.length);
        assert.deepEqual([...got].sort(), ids);
      }),
    );

    it(
      'listScope filters by scope and kind and includes tombstones',
      withStore(async (store) => {
        await store.commit({
          records: [write('a'), write('b', { tombstone: true }), write('c', { scope: 'cal:home' }), write('d', { kind: 'task' })],
        });
        assert.deepEqual(
          byId(await store.listScope('cal:work', 'event')).map((r) => [r.id, r.tombstone]),
          [
            ['a', false],
            ['b', true],
          ],
        );
        assert.deepEqual(
          (await store.listScope('cal:home', 'event')).map((r) => r.id),
          ['c'],
        );
        assert.deepEqual(await store.listScope('cal:none', 'event'), []);
      }),
    );

    it(
      'findByIdentity returns live records of that scope and kind only',
      withStore(async (store) => {
        await store.commit({
          records: [
            write('a', { identity: 'u1' }),
            write('b', { identity: 'u1' }),
            write('dead', { identity: 'u1', tombstone: true }),
            write('other-scope', { identity: 'u1', scope: 'cal:home' }),
            write('other-kind', { identity: 'u1', kind: 'task' }),
            write('no-identity', { identity: null }),
          ],
        });
        assert.deepEqual(
          byId(await store.findByIdentity('cal:work', 'event', 'u1')).map((r) => r.id),
          ['a', 'b'],
        );
        assert.deepEqual(await store.findByIdentity('cal:work', 'event', 'u2'), []);
        await store.commit({ records: [write('a', { identity: 'u1', tombstone: true, expectedVersion: 1 })] });
        assert.deepEqual(
          (await store.findByIdentity('cal:work', 'event', 'u1')).map((r) => r.id),
          ['b'],
        );
      }),
    );

    it(
      'findByIdentities returns the live records of any of the identities, in that scope and kind only',
      withStore(async (store) => {
        assert.ok(store.findByIdentities, 'both stores answer findByIdentities');
        await store.commit({
          records: [
            write('a', { identity: 'u1' }),
            write('b', { identity: 'u2' }),
            write('c', { identity: 'u2' }),
            write('dead', { identity: 'u1', tombstone: true }),
            write('other-scope', { identity: 'u1', scope: 'cal:home' }),
            write('other-kind', { identity: 'u2', kind: 'task' }),
            write('unasked', { identity: 'u3' }),
          ],
        });
        assert.deepEqual(
          byId(await store.findByIdentities!('cal:work', 'event', ['u1', 'u2', 'u1', 'none'])).map((r) => r.id),
          ['a', 'b', 'c'],
        );
        const many = Array.from({ length: 700 }, (_, i) => `x${i}`).concat('u3');
        assert.deepEqual(
          (await store.findByIdentities!('cal:work', 'event', many)).map((r) => r.id),
          ['unasked'],
        );
        assert.deepEqual(await store.findByIdentities!('cal:work', 'event', []), []);
      }),
    );
  });
}

function changeLogTests(withStore: WithStore): void {
  describe('change log', () => {
    it(
      'changesSince filters by scope, kind and seq, in seq order',
      withStore(async (store) => {
        await store.commit({ records: [write('a'), write('x', { scope: 'cal:home' }), write('t', { kind: 'task' })] });
        const first = await store.commit({ records: [write('b')] });
        await store.commit({ records: [write('a', { expectedVersion: 1 }), write('c')] });

        const all = await store.changesSince('cal:work', 'event', 0);
        assert.deepEqual(
          all.map((c) => [c.recordId, c.version]),
          [
            ['a', 1],
            ['b', 1],
            ['a', 2],
            ['c', 1],
          ],
        );
        assert.ok(
          all.every((c, i) => i === 0 || c.seq > (all[i - 1]?.seq ?? Infinity)),
          'seqs must increase',
        );
        assert.ok(all.every((c) => c.scope === 'cal:work' && c.kind === 'event'));

        const after = await store.changesSince('cal:work', 'event', first.headSeq);
        assert.deepEqual(
          after.map((c) => [c.recordId, c.version]),
          [
            ['a', 2],
            ['c', 1],
          ],
        );
        assert.deepEqual(
          (await store.changesSince('cal:home', 'event', 0)).map((c) => c.recordId),
          ['x'],
        );
        assert.deepEqual(await store.changesSince('cal:work', 'event', await store.headSeq()), []);
      }),
    );

    it(
      "changesOfRun returns one run's changes in seq order",
      withStore(async (store) => {
        await store.commit({ records: [write('a', { runId: 'run-7' }), write('b', { runId: null })] });
        await store.commit({ records: [write('c', { runId: 'run-8' }), write('a', { runId: 'run-7', expectedVersion: 1 })] });
        const changes = await store.changesOfRun('run-7');
        assert.deepEqual(
          changes.map((c) => [c.recordId, c.version, c.runId]),
          [
            ['a', 1, 'run-7'],
            ['a', 2, 'run-7'],
          ],
        );
        assert.ok((changes[0]?.seq ?? 0) < (changes[1]?.seq ?? 0));
        assert.deepEqual(await store.changesOfRun('run-none'), []);
      }),
    );

    it(
      "changesOfRecord returns one record's changes in version order, with what each replaced",
      withStore(async (store) => {
        await store.commit({ records: [write('a', { fields: { title: 'one' } }), write('b')] });
        await store.commit({ records: [write('a', { fields: { title: 'two' }, expectedVersion: 1, origin: 'api:ann', runId: null })] });
        await store.commit({ records: [write('a', { fields: { title: 'two' }, tombstone: true, expectedVersion: 2, origin: 'link:x', runId: 'run-9' })] });
        const changes = await store.changesOfRecord('a');
        assert.deepEqual(
          changes.map((c) => [c.version, c.origin, c.runId, c.before?.fields.title ?? null, c.before?.tombstone ?? null]),
          [
            [1, 'link:a', 'run-1', null, null],
            [2, 'api:ann', null, 'one', false],
            [3, 'link:x', 'run-9', 'two', false],
          ],
        );
        assert.deepEqual(await store.changesOfRecord('none'), []);
      }),
    );

    it(
      'headSeq is 0 when empty and follows the log',
      withStore(async (store) => {
        assert.equal(await store.headSeq(), 0);
        assert.equal((await store.commit({ linkState: { linkId: 'link:a', hubCursor: 0 } })).headSeq, 0);
        const r1 = await store.commit({ records: [write('a'), write('b')] });
        const seqs = (await store.changesSince('cal:work', 'event', 0)).map((c) => c.seq);
        assert.equal(r1.headSeq, Math.max(...seqs));
        assert.equal(await store.headSeq(), r1.headSeq);
        const r2 = await store.commit({ intentsAdd: [intent('i1', 'link:a')] });
        assert.equal(r2.headSeq, r1.headSeq);
        const r3 = await store.commit({ records: [write('c', { scope: 'cal:home' })] });
        assert.ok(r3.headSeq > r1.headSeq);
      }),
    );
  });
}

function statusTests(withStore: WithStore): void {
  describe('status rows', () => {
    it(
      'upserts by link and hub id, loads per link, deletes',
      withStore(async (store) => {
        await store.commit({
          statusUpserts: [status('link:a', 'h1', 'e1'), status('link:a', 'h2', 'e2'), status('link:b', 'h1', 'e1')],
        });
        assert.deepEqual(byHub(plain(await store.loadStatus('link:a'))), [status('link:a', 'h1', 'e1'), status('link:a', 'h2', 'e2')]);
        assert.deepEqual(plain(await store.loadStatus('link:b')), [status('link:b', 'h1', 'e1')]);

        const moved = status('link:a', 'h1', 'e9', { hubVersion: 4, extEtag: 'etag-2' });
        await store.commit({ statusUpserts: [moved], statusDeletes: [{ linkId: 'link:a', hubId: 'h2' }] });
        assert.deepEqual(plain(await store.loadStatus('link:a')), [moved]);
        assert.deepEqual(plain(await store.loadStatus('link:none')), []);
      }),
    );

    it(
      'gives each row the hub record as it was at the agreed version as its merge base',
      withStore(async (store) => {
        await store.commit({ records: [write('r1', { fields: { title: 'v1' } })], statusUpserts: [status('link:a', 'r1', 'e1')] });
        const atV1 = async () => (await store.getStatus('link:a', ['r1']))[0]!.base;
        assert.deepEqual(await atV1(), { title: 'v1' });
        await store.commit({ records: [write('r1', { fields: { title: 'v2' }, expectedVersion: 1 })] });
        await store.commit({ records: [write('r1', { fields: { title: 'v3' }, expectedVersion: 2, tombstone: true })] });
        assert.deepEqual(await atV1(), { title: 'v1' }, 'an older agreement keeps its own base after later writes');
        await store.commit({ statusUpserts: [status('link:a', 'r1', 'e1', { hubVersion: 3 })] });
        assert.deepEqual((await store.loadStatus('link:a'))[0]!.base, { title: 'v3' });
      }),
    );

    it(
      'loads the light index of a link and full rows by hub id',
      withStore(async (store) => {
        await store.commit({
          statusUpserts: [status('link:a', 'h1', 'e1'), status('link:a', 'h2', 'e2', { hubVersion: 7, extEtag: 'x7' }), status('link:b', 'h3', 'e3')],
        });
        const index = (await store.loadStatusIndex('link:a')).sort((x, y) => (x.hubId < y.hubId ? -1 : 1));
        assert.deepEqual(index, [
          { hubId: 'h1', extId: 'e1', hubVersion: status('link:a', 'h1', 'e1').hubVersion, extEtag: status('link:a', 'h1', 'e1').extEtag },
          { hubId: 'h2', extId: 'e2', hubVersion: 7, extEtag: 'x7' },
        ]);
        assert.deepEqual(plain(await store.getStatus('link:a', ['h2', 'h3', 'missing', 'h2'])), [
          status('link:a', 'h2', 'e2', { hubVersion: 7, extEtag: 'x7' }),
        ]);
        assert.deepEqual(plain(await store.getStatus('link:a', [])), []);
        assert.equal(await store.countStatus('link:a'), 2);
        assert.equal(await store.countStatus('link:none'), 0);
        const many = Array.from({ length: 1203 }, (_, i) => `m${i}`);
        await store.commit({ statusUpserts: many.map((h) => status('link:c', h, `x-${h}`)) });
        assert.equal((await store.getStatus('link:c', many)).length, 1203);
        assert.equal(await store.countStatus('link:c'), 1203);
      }),
    );

    it(
      'refuses an ext id already paired with another hub id, rolling back the batch',
      withStore(async (store) => {
        await store.commit({ statusUpserts: [status('link:a', 'h1', 'e1')] });
        await rejectsWithConflict(
          store.commit({
            records: [write('r1')],
            statusUpserts: [status('link:a', 'h2', 'e1')],
          }),
          [/e1/, /h2/],
        );
        assert.deepEqual(plain(await store.loadStatus('link:a')), [status('link:a', 'h1', 'e1')]);
        assert.deepEqual(await store.getRecords(['r1']), []);
      }),
    );

    it(
      'allows ext ids to move between hub ids within one batch',
      withStore(async (store) => {
        await store.commit({ statusUpserts: [status('link:a', 'h1', 'e1'), status('link:a', 'h2', 'e2')] });
        await store.commit({ statusUpserts: [status('link:a', 'h1', 'e2'), status('link:a', 'h2', 'e1')] });
        assert.deepEqual(
          byHub(plain(await store.loadStatus('link:a'))).map((s) => [s.hubId, s.extId]),
          [
            ['h1', 'e2'],
            ['h2', 'e1'],
          ],
        );
        await store.commit({
          statusDeletes: [{ linkId: 'link:a', hubId: 'h1' }],
          statusUpserts: [status('link:a', 'h3', 'e2')],
        });
        assert.deepEqual(
          byHub(plain(await store.loadStatus('link:a'))).map((s) => [s.hubId, s.extId]),
          [
            ['h2', 'e1'],
            ['h3', 'e2'],
          ],
        );
      }),
    );
  });
}

function sideTableTests(withStore: WithStore): void {
  describe('intents, conflicts, link state, runs, definitions', () => {
    it(
      'adds and clears intents per link',
      withStore(async (store) => {
        const withExt = intent('i2', 'link:a', { action: 'update', extId: 'e2', createdAt: '2025-03-01T11:00:00.000Z' });
        await store.commit({ intentsAdd: [intent('i1', 'link:a'), withExt, intent('i3', 'link:b', { action: 'delete' })] });
        assert.deepEqual(byId(await store.openIntents('link:a')), [intent('i1', 'link:a'), withExt]);
        await store.commit({ intentsClear: ['i1', 'unknown'] });
        assert.deepEqual(await store.openIntents('link:a'), [withExt]);
        assert.deepEqual(await store.openIntents('link:b'), [intent('i3', 'link:b', { action: 'delete' })]);
      }),
    );

    it(
      'upserts, lists and clears conflicts',
      withStore(async (store) => {
        await store.commit({ conflictsUpsert: [conflict('link:a', 'h1'), conflict('link:a', 'h2'), conflict('link:b', 'h1')] });
        const replaced = conflict('link:a', 'h1', { fields: ['title', 'start'], hubFields: { title: 'x', start: 1 } });
        await store.commit({ conflictsUpsert: [replaced] });
        const sortKey = (c: ConflictRow) => `${c.linkId} ${c.hubId}`;
        const sorted = (cs: ConflictRow[]) => [...cs].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
        assert.deepEqual(sorted(await store.listConflicts('link:a')), [replaced, conflict('link:a', 'h2')]);
        assert.equal((await store.listConflicts()).length, 3);
        await store.commit({
          conflictsClear: [
            { linkId: 'link:a', hubId: 'h1' },
            { linkId: 'link:b', hubId: 'h1' },
          ],
        });
        assert.deepEqual(await store.listConflicts(), [conflict('link:a', 'h2')]);
      }),
    );

    it(
      'link state has defaults and merges partial updates',
      withStore(async (store) => {
        const fresh = { linkId: 'link:a', hubCursor: 0, extCursor: null, lastRunId: null, lastStatus: null, lastRunAt: null, extDigest: null };
        assert.deepEqual(await store.getLinkState('link:a'), fresh);
        await store.commit({ linkState: { linkId: 'link:a', hubCursor: 12, extCursor: 'tok-1' } });
        await store.commit({ linkState: { linkId: 'link:a', lastRunId: 'run-1', lastStatus: 'ok', lastRunAt: AT } });
        const merged = { ...fresh, hubCursor: 12, extCursor: 'tok-1', lastRunId: 'run-1', lastStatus: 'ok', lastRunAt: AT };
        assert.deepEqual(await store.getLinkState('link:a'), merged);
        await store.commit({ linkState: { linkId: 'link:a', extCursor: null } });
        assert.deepEqual(await store.getLinkState('link:a'), { ...merged, extCursor: null });
        assert.deepEqual(await store.getLinkState('link:b'), { ...fresh, linkId: 'link:b' });
        await store.commit({ linkState: { linkId: 'link:a', extDigest: 'd1' } });
        assert.deepEqual(await store.getLinkState('link:a'), { ...merged, extCursor: null, extDigest: 'd1' });
      }),
    );

    it(
      'saves, upserts, gets and lists runs newest first',
      withStore(async (store) => {
        const bigPlan = { ops: Array.from({ length: 5000 }, (_, i) => ({ op: 'create', id: `ev-${i}`, fields: { n: i } })) };
        const r1 = run('run-1', 'link:a', '2025-03-01T08:00:00.000Z', { plan: bigPlan });
        await store.saveRun(r1);
        await store.saveRun(run('run-2', 'link:b', '2025-03-01T09:00:00.000Z'));
        await store.saveRun(run('run-3', 'link:a', '2025-03-01T10:00:00.000Z'));
        assert.deepEqual(await store.getRun('run-1'), r1);
        assert.equal(await store.getRun('run-none'), null);

        const failure = { code: 'ITEM_UNPARSABLE', kind: 'invalid_input' as const, message: 'bad' };
        const done: RunRecord = {
          ...r1,
          status: 'partial',
          finishedAt: AT,
          counts: { created: 3 },
          apiCalls: 7,
          durationMs: 1500,
          errors: [{ id: 'ev-1', label: 'Standup', error: failure }],
          warnings: [{ id: 'ev-2.ics', label: 'Café', message: 'ev-2.ics was not UTF-8: 1 byte read as Windows-1252' }],
        };
        await store.saveRun(done);
        assert.deepEqual(await store.getRun('run-1'), done);

        assert.deepEqual(
          (await store.listRuns({ limit: 10 })).map((r) => r.id),
          ['run-3', 'run-2', 'run-1'],
        );
        assert.deepEqual(
          (await store.listRuns({ limit: 2 })).map((r) => r.id),
          ['run-3', 'run-2'],
        );
        assert.deepEqual(
          (await store.listRuns({ linkId: 'link:a', limit: 10 })).map((r) => r.id),
          ['run-3', 'run-1'],
        );
        assert.deepEqual(await store.listRuns({ linkId: 'link:none', limit: 10 }), []);
      }),
    );

    it(
      'upserts definitions by id, connections and links apart',
      withStore(async (store) => {
        assert.deepEqual(await store.listDefinitions(), { connections: [], links: [] });
        await store.saveDefinitions({
          connections: [{ id: 'work', type: 'ics-folder', config: { path: '/a' } }],
          links: [{ id: 'work', type: 'link', config: { from: 'work', to: 'hub' } }],
        });
        await store.saveDefinitions({
          connections: [
            { id: 'work', type: 'ics-folder', config: { path: '/b' } },
            { id: 'home', type: 'caldav', config: {} },
          ],
          links: [],
        });
        const defs = await store.listDefinitions();
        assert.deepEqual(byId(defs.connections), [
          { id: 'home', type: 'caldav', config: {} },
          { id: 'work', type: 'ics-folder', config: { path: '/b' } },
        ]);
        assert.deepEqual(defs.links, [{ id: 'work', type: 'link', config: { from: 'work', to: 'hub' } }]);
      }),
    );
  });
}

function parkedTests(withStore: WithStore): void {
  describe('parked items', () => {
    it(
      'parks with every field, replaces a park of the same item, lists per link in hub id order',
      withStore(async (store) => {
        assert.deepEqual(await store.listParked(), []);
        const update = parked('link:a', 'h2', {
          extId: 'e2',
          action: 'update',
          extEtag: '"etag-2"',
          kind: 'conflict',
          code: 'CONNECTOR_CONFLICT',
          status: 409,
        });
        const local = parked('link:b', 'h1', { answer: null, status: null, source: null });
        await store.commit({ parkedUpsert: [update, parked('link:a', 'h1'), local] });
        assert.deepEqual(await store.listParked('link:a'), [parked('link:a', 'h1'), update]);
        assert.deepEqual(await store.listParked('link:b'), [local]);
        assert.deepEqual(await store.listParked(), [parked('link:a', 'h1'), update, local]);
        // Parked again with a new reason at a newer version: one row, the new one.
        const again = parked('link:a', 'h1', { hubVersion: 3, hubHash: 'h-new', message: 'refused again', runId: 'run-2' });
        await store.commit({ parkedUpsert: [again] });
        assert.deepEqual(await store.listParked('link:a'), [again, update]);
      }),
    );

    it(
      'unparks in the commit that records the success, with the rest of that commit',
      withStore(async (store) => {
        await store.commit({ parkedUpsert: [parked('link:a', 'h1'), parked('link:a', 'h2')] });
        await store.commit({
          statusUpserts: [status('link:a', 'h1', 'h1.ics')],
          parkedClear: [
            { linkId: 'link:a', hubId: 'h1' },
            { linkId: 'link:b', hubId: 'h2' },
          ],
        });
        assert.deepEqual(await store.listParked(), [parked('link:a', 'h2')]);
        // A commit that fails takes its unpark back with it.
        await store.commit({ records: [write('r1')] });
        await rejectsWithConflict(store.commit({ records: [write('r1', { expectedVersion: 5 })], parkedClear: [{ linkId: 'link:a', hubId: 'h2' }] }), [/r1/]);
        assert.deepEqual(await store.listParked(), [parked('link:a', 'h2')]);
      }),
    );

    it(
      "names every link's pairing of a hub record (where an item comes from)",
      withStore(async (store) => {
        await store.commit({ statusUpserts: [status('link:b', 'h1', 'b1.ics'), status('link:a', 'h1', 'a1'), status('link:a', 'h2', 'a2')] });
        assert.deepEqual(await store.pairingsOf('h1'), [
          { linkId: 'link:a', extId: 'a1' },
          { linkId: 'link:b', extId: 'b1.ics' },
        ]);
        assert.deepEqual(await store.pairingsOf('none'), []);
      }),
    );

    it(
      'clears every park of one link and says how many',
      withStore(async (store) => {
        await store.commit({ parkedUpsert: [parked('link:a', 'h1'), parked('link:a', 'h2'), parked('link:b', 'h1')] });
        assert.equal(await store.clearParked('link:a'), 2);
        assert.equal(await store.clearParked('link:a'), 0);
        assert.deepEqual(await store.listParked(), [parked('link:b', 'h1')]);
      }),
    );
  });
}
