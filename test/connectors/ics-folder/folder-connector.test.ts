import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { isTimebridgeError, type ErrorKind } from '../../../src/core/errors.js';
import { isItemFailure, type Connector } from '../../../src/connectors/kit/connector.js';
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import { createIcsFolderConnector } from '../../../src/connectors/ics-folder/folder-connector.js';

const roots: string[] = [];
after(() => {
  for (const root of roots) fs.rmSync(root, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-ics-folder-'));
  roots.push(dir);
  return dir;
}

function ics(uid: string, summary: string): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Timebridge//tests//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20240105T080000Z',
    'DTSTART:20240105T090000Z',
    'DTEND:20240105T100000Z',
    `SUMMARY:${summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

const LIST = { cursor: null, window: null };
const key = (hubId: string) => ({ hubId, key: 'k1' });

async function rejectsWith(promise: Promise<unknown>, kind: ErrorKind): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isTimebridgeError(err), String(err));
    assert.equal(err.kind, kind, err.message);
    return true;
  });
}

async function etagOf(connector: Connector<string>, id: string): Promise<string | undefined> {
  return (await connector.list(LIST)).refs.find((r) => r.id === id)?.etag;
}

connectorContractSuite('ics-folder connector contract', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-ics-contract-'));
  return {
    connector: createIcsFolderConnector({ path: dir }),
    fresh: () => createIcsFolderConnector({ path: dir }),
    sample: (n) => ics(`sample-${n}@timebridge.test`, `Sample ${n}`),
    change: (data) => data.replace(/^SUMMARY:(.*)$/m, 'SUMMARY:$1 (changed)'),
    same: (a, b) => a === b,
    teardown: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

connectorContractSuite('ics-folder connector contract with fsync', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-ics-contract-fsync-'));
  return {
    connector: createIcsFolderConnector({ path: dir, fsync: true }),
    fresh: () => createIcsFolderConnector({ path: dir, fsync: true }),
    sample: (n) => ics(`sample-${n}@timebridge.test`, `Sample ${n}`),
    change: (data) => data.replace(/^SUMMARY:(.*)$/m, 'SUMMARY:$1 (changed)'),
    same: (a, b) => a === b,
    teardown: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
});

describe('ics-folder connector: listing', () => {
  it('never reads file content: a listing leaves atime alone, while a get moves it', async (t) => {
    const dir = tempDir();
    const connector = createIcsFolderConnector({ path: dir });
    const { id } = await connector.create(ics('a@test', 'A'), key('a'));
    const file = path.join(dir, id);
    // A fixed whole-second mtime, and an atime before the ctime that utimes sets: under
    // relatime (and strictatime) the next read of the file must move atime.
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000);
    const oldAtime = new Date(mtime.getTime() - 3_600_000);
    fs.utimesSync(file, oldAtime, mtime);
    await connector.get([id]);
    if (fs.statSync(file).atimeMs === oldAtime.getTime()) {
      t.skip('this filesystem does not record reads in atime (noatime), so the proof cannot run');
      return;
    }
    fs.utimesSync(file, oldAtime, mtime);
    const before = await etagOf(connector, id);
    await connector.list(LIST);
    assert.equal(fs.statSync(file).atimeMs, oldAtime.getTime(), 'list() did not read the file');
    fs.utimesSync(file, new Date(mtime.getTime() - 60_000), mtime);
    assert.equal(await etagOf(connector, id), before, 'an atime-only change keeps the etag');
  });

  it('keeps the etag format `mtimeMs-size-inode`, so etags stored by earlier versions still match', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'a.ics'), ics('a@timebridge.test', 'A'));
    // A sub-millisecond mtime: the fraction is part of the etag.
    fs.utimesSync(path.join(dir, 'a.ics'), 1_700_000_000.1234567, 1_700_000_000.1234567);
    const st = fs.statSync(path.join(dir, 'a.ics'));
    const connector = createIcsFolderConnector({ path: dir });
    const want = `${st.mtimeMs}-${st.size}-${st.ino}`;
    assert.equal(await etagOf(connector, 'a.ics'), want);
    const [got] = await connector.get(['a.ics']);
    assert.ok(got && !isItemFailure(got));
    assert.equal(got.etag, want);
  });

  it('lists files whose content is not iCalendar or not even UTF-8', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'junk.ics'), Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a]));
    fs.writeFileSync(path.join(dir, 'empty.ics'), '');
    const listing = await createIcsFolderConnector({ path: dir }).list(LIST);
    assert.deepEqual(listing.refs.map((r) => r.id).sort(), ['empty.ics', 'junk.ics']);
    assert.equal(listing.complete, true);
  });

  it('reads a Latin-1 file with a warning naming it, and refuses one that is not text, naming it', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'latin1.ics'), Buffer.concat([Buffer.from('SUMMARY:Z'), Buffer.from([0xfc]), Buffer.from('rich\r\n')]));
    fs.writeFileSync(path.join(dir, 'junk.ics'), Buffer.from([0x53, 0x00, 0xe9, 0x0a]));
    const [latin1, junk] = await createIcsFolderConnector({ path: dir }).get(['latin1.ics', 'junk.ics']);
    assert.ok(latin1 && !isItemFailure(latin1) && junk && isItemFailure(junk));
    assert.equal(latin1.data, 'SUMMARY:Zürich\r\n');
    assert.match(latin1.warnings?.[0] ?? '', /latin1\.ics was not UTF-8: 1 byte \(first on line 1\) read as Windows-1252/);
    assert.equal(junk.error.code, 'ITEM_UNPARSABLE');
    assert.match(junk.error.message, /junk\.ics was not read: it holds NUL bytes/);
    assert.deepEqual(fs.readFileSync(path.join(dir, 'latin1.ics')).subarray(9, 10), Buffer.from([0xfc]), 'the file is left as it is');
  });

  it('still lists a file it may not read (checked when not running as root)', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root reads mode-000 files anyway, so this proves nothing here');
      return;
    }
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'locked.ics'), ics('l@test', 'L'));
    fs.chmodSync(path.join(dir, 'locked.ics'), 0o000);
    const connector = createIcsFolderConnector({ path: dir });
    assert.deepEqual(
      (await connector.list(LIST)).refs.map((r) => r.id),
      ['locked.ics'],
    );
    const [result] = await connector.get(['locked.ics']);
    assert.ok(result && isItemFailure(result));
    assert.equal(result.error.kind, 'auth');
  });

  it('ignores hidden files, temp files, other extensions and folders', async () => {
    const dir = tempDir();
    for (const name of ['.hidden.ics', '.timebridge-0123456789abcdef.tmp', 'notes.txt', 'x.ics.bak', 'README']) {
      fs.writeFileSync(path.join(dir, name), 'not an event');
    }
    fs.mkdirSync(path.join(dir, 'sub.ics'));
    fs.writeFileSync(path.join(dir, 'real.ics'), ics('r@test', 'R'));
    const listing = await createIcsFolderConnector({ path: dir }).list(LIST);
    assert.deepEqual(
      listing.refs.map((r) => r.id),
      ['real.ics'],
    );
    assert.deepEqual(listing.failures, []);
    assert.equal(listing.mode, 'full');
    assert.equal(listing.cursor, null);
  });

  it('leaves no temp files behind after create, update and delete', async () => {
    const dir = tempDir();
    const connector = createIcsFolderConnector({ path: dir });
    const a = await connector.create(ics('a@test', 'A'), key('a'));
    const b = await connector.create(ics('b@test', 'B'), key('b'));
    await rejectsWith(connector.create(ics('a@test', 'A'), key('a')), 'precondition');
    await connector.update(a.id, ics('a@test', 'A2'), a.etag);
    await connector.delete(b.id, b.etag);
    assert.deepEqual(fs.readdirSync(dir), ['a.ics']);
  });

  it('skips a file deleted between readdir and its stat, without a failure', async () => {
    const dir = tempDir();
    for (let i = 0; i < 4000; i++) fs.writeFileSync(path.join(dir, `e${i}.ics`), 'x');
    // list() yields to the event loop after 2000 stats; this callback runs in that
    // pause, after readdir, and removes files that come later in readdir's order.
    const late = fs.readdirSync(dir).slice(-100);
    setImmediate(() => late.forEach((name) => fs.unlinkSync(path.join(dir, name))));
    const listing = await createIcsFolderConnector({ path: dir }).list(LIST);
    assert.equal(listing.refs.length, 3900);
    assert.ok(listing.refs.every((r) => !late.includes(r.id)));
    assert.deepEqual(listing.failures, []);
    assert.equal(listing.complete, true);
  });
});

describe('ics-folder connector: folder', () => {
  it('fails with not_found for a missing folder, naming it and how to fix it', () => {
    const missing = path.join(tempDir(), 'no', 'such', 'calendar');
    assert.throws(
      () => createIcsFolderConnector({ path: missing }),
      (err: unknown) => {
        assert.ok(isTimebridgeError(err));
        assert.equal(err.code, 'CONNECTOR_NOT_FOUND');
        assert.match(err.message, /no[/\\]such[/\\]calendar/);
        assert.match(err.hint ?? '', /create: true/);
        return true;
      },
    );
    assert.equal(fs.existsSync(missing), false);
  });

  it('makes the folder, parents included, with create: true', async () => {
    const missing = path.join(tempDir(), 'new', 'calendar');
    const connector = createIcsFolderConnector({ path: missing, create: true });
    assert.ok(fs.statSync(missing).isDirectory());
    assert.deepEqual((await connector.list(LIST)).refs, []);
  });

  it('refuses a path that is a file', () => {
    const file = path.join(tempDir(), 'calendar.ics');
    fs.writeFileSync(file, '');
    assert.throws(
      () => createIcsFolderConnector({ path: file, create: true }),
      (err: unknown) => isTimebridgeError(err) && err.code === 'CONNECTOR_INVALID_INPUT',
    );
  });

  it('fails the listing, instead of listing nothing, when the folder disappears', async () => {
    const dir = path.join(tempDir(), 'cal');
    const connector = createIcsFolderConnector({ path: dir, create: true });
    await connector.create(ics('a@test', 'A'), key('a'));
    fs.rmSync(dir, { recursive: true });
    await rejectsWith(connector.list(LIST), 'not_found');
  });
});

describe('ics-folder connector: ids and writes', () => {
  it('rejects ids that could leave the folder, and touches nothing outside', async () => {
    const root = tempDir();
    const dir = path.join(root, 'cal');
    fs.writeFileSync(path.join(root, 'outside.ics'), ics('o@test', 'Outside'));
    const connector = createIcsFolderConnector({ path: dir, create: true });
    const bad = ['../outside.ics', 'sub/x.ics', '..\\outside.ics', '.hidden.ics', '/etc/hosts.ics', 'x.txt', '', '.ics', 'a\0.ics'];
    for (const id of bad) {
      const [result] = await connector.get([id]);
      assert.ok(result && isItemFailure(result), `get ${JSON.stringify(id)} fails`);
      assert.equal(result.error.kind, 'invalid_input');
      await rejectsWith(connector.update(id, 'x', 'etag'), 'invalid_input');
      await rejectsWith(connector.delete(id, 'etag'), 'invalid_input');
    }
    await rejectsWith(connector.create('x', key('../outside')), 'invalid_input');
    await rejectsWith(connector.create('x', key('../escaped')), 'invalid_input');
    await rejectsWith(connector.findByKey(key('sub/x')), 'invalid_input');
    await rejectsWith(connector.findByKey(key('.hidden')), 'invalid_input');
    assert.deepEqual(fs.readdirSync(root).sort(), ['cal', 'outside.ics']);
    assert.equal(fs.readFileSync(path.join(root, 'outside.ics'), 'utf8'), ics('o@test', 'Outside'));
  });

  it('detects an external edit through the etag and refuses to overwrite it', async () => {
    const dir = tempDir();
    const connector = createIcsFolderConnector({ path: dir });
    const created = await connector.create(ics('a@test', 'Mine'), key('a'));
    const external = ics('a@test', 'Edited by hand');
    fs.writeFileSync(path.join(dir, created.id), external);
    const now = await etagOf(connector, created.id);
    assert.ok(now && now !== created.etag, 'the listing shows a new etag');
    await rejectsWith(connector.update(created.id, ics('a@test', 'Mine again'), created.etag), 'precondition');
    await rejectsWith(connector.delete(created.id, created.etag), 'precondition');
    assert.equal(fs.readFileSync(path.join(dir, created.id), 'utf8'), external);
    await connector.update(created.id, ics('a@test', 'Merged'), now);
    assert.equal(fs.readFileSync(path.join(dir, created.id), 'utf8'), ics('a@test', 'Merged'));
  });

  it('gives every update a new etag even at equal size within one clock tick', async () => {
    const dir = tempDir();
    const connector = createIcsFolderConnector({ path: dir });
    let ref = await connector.create(ics('a@test', 'Version 0'), key('a'));
    const etags = [ref.etag];
    const inodes = [fs.statSync(path.join(dir, ref.id)).ino];
    for (let n = 1; n <= 20; n++) {
      ref = await connector.update(ref.id, ics('a@test', `Version ${n % 10}`), ref.etag);
      etags.push(ref.etag);
      inodes.push(fs.statSync(path.join(dir, ref.id)).ino);
      assert.equal(await etagOf(connector, ref.id), ref.etag);
    }
    assert.equal(new Set(etags).size, etags.length, 'all etags differ');
    for (let i = 1; i < inodes.length; i++) assert.notEqual(inodes[i], inodes[i - 1], 'rename brings a new inode');
  });

  it('sees a same-size replacement that kept the old mtime (rsync -a style)', async () => {
    const dir = tempDir();
    const connector = createIcsFolderConnector({ path: dir });
    const file = path.join(dir, 'a.ics');
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    fs.writeFileSync(file, ics('a@test', 'Version 1'));
    fs.utimesSync(file, mtime, mtime);
    const before = await etagOf(connector, 'a.ics');
    fs.writeFileSync(path.join(dir, '.sync-tmp'), ics('a@test', 'Version 2'));
    fs.utimesSync(path.join(dir, '.sync-tmp'), mtime, mtime);
    fs.renameSync(path.join(dir, '.sync-tmp'), file);
    const after = await etagOf(connector, 'a.ics');
    assert.equal(after?.split('-').slice(0, 2).join('-'), before?.split('-').slice(0, 2).join('-'), 'same mtime and size');
    assert.notEqual(after, before, 'the inode tells the versions apart');
  });

  it('never moves the mtime backwards, even over a file dated in the future', async () => {
    const dir = tempDir();
    const connector = createIcsFolderConnector({ path: dir });
    const created = await connector.create(ics('a@test', 'Version 1'), key('a'));
    const future = new Date(Date.now() + 3_600_000);
    fs.utimesSync(path.join(dir, created.id), future, future);
    const current = await etagOf(connector, created.id);
    assert.ok(current);
    const [before] = await connector.get([created.id]);
    const updated = await connector.update(created.id, ics('a@test', 'Version 2'), current);
    const [after] = await connector.get([created.id]);
    assert.ok(before && after && !isItemFailure(before) && !isItemFailure(after));
    assert.equal(after.etag, updated.etag);
    // Newest-wins compares modifiedAt, so our own write must look newer than what it replaced.
    assert.ok(after.modifiedAt! > before.modifiedAt!, `${after.modifiedAt} > ${before.modifiedAt}`);
  });

  it('reads back the listed etag, the text and the modification time', async () => {
    const dir = tempDir();
    const connector = createIcsFolderConnector({ path: dir });
    const text = ics('ü@test', 'Café ☕');
    const ref = await connector.create(text, key('cafe'));
    assert.equal(ref.id, 'cafe.ics');
    assert.equal(fs.readFileSync(path.join(dir, 'cafe.ics'), 'utf8'), text);
    const [item] = await connector.get([ref.id]);
    assert.ok(item && !isItemFailure(item));
    assert.equal(item.data, text);
    assert.equal(item.etag, ref.etag);
    assert.equal(item.modifiedAt, fs.statSync(path.join(dir, ref.id)).mtime.toISOString());
    // A file holds what was written: the write answers with the stored item, so the engine reads nothing back.
    assert.deepEqual(ref.stored, item);
    assert.deepEqual(await connector.findByKey(key('cafe')), { id: ref.id, etag: ref.etag });
  });
});
