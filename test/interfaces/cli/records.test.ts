/**
 * `timebridge records` as a subprocess (the compiled CLI; build first) on a SQLite hub in a
 * temp folder: create, list, edit and show --history, the exit codes and messages of a bad
 * field (2, naming it), an unknown id (1) and a stale --if-version (1).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliChild, type Ran } from '../../support/cli-child.js';

describe('timebridge records', () => {
  let dir: string;
  const tb = (...args: string[]): Promise<Ran> => cliChild(dir, ['records', ...args]);
  const ok = (r: Ran, what: string): Ran => {
    assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const me = os.userInfo().username;
  let person: string, entry: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-records-cli-'));
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), 'store:\n  path: hub.sqlite\n');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates a person and a time entry (values parse as JSON when they can) and says to sync', async () => {
    const p = ok(await tb('create', 'person', '--scope', 'work', '--set', 'name=Me', '--set', `username=${me}`, '--json'), 'create person');
    person = JSON.parse(p.stdout).id;
    const r = ok(
      await tb(
        'create',
        'timeEntry',
        '--scope',
        'work',
        '--json-fields',
        '{"date":"2026-03-02","start":"2026-03-02T09:00:00Z"}',
        '--set',
        'durationSeconds=3600',
        '--set',
        'description=Landing page',
        '--set',
        'billable=true',
      ),
      'create entry',
    );
    assert.match(r.stdout, /^created timeEntry (\S+) in scope work, version 1/);
    assert.match(r.stdout, /run `timebridge sync` to send it to the links/);
    entry = /^created timeEntry (\S+)/.exec(r.stdout)![1]!;
    const shown = JSON.parse(ok(await tb('show', entry, '--json'), 'show').stdout);
    assert.deepEqual(
      [shown.fields.durationSeconds, shown.fields.billable, shown.fields.description, shown.fields.personId, shown.origin],
      [3600, true, 'Landing page', person, `cli:${me}`],
      "the local user's person is the entry's",
    );
  });

  it('lists as a table and as JSON', async () => {
    const table = ok(await tb('list', 'timeEntry', '--scope', 'work'), 'list');
    assert.match(table.stdout, new RegExp(`${entry}\\s+work\\s+v1\\s+2026-03-02 09:00\\s+60 min\\s+Landing page`));
    const json = JSON.parse(ok(await tb('list', 'timeEntry', '--scope', 'work', '--from', '2026-03-01', '--to', '2026-03-31', '--json'), 'list --json').stdout);
    assert.deepEqual(
      json.items.map((i: { id: string }) => i.id),
      [entry],
    );
    assert.equal(json.next, null);
  });

  it('edits against the current version, and show --history names the CLI and each field', async () => {
    ok(await tb('edit', entry, '--set', 'durationSeconds=5400', '--set', 'description=null'), 'edit');
    const r = ok(await tb('show', entry, '--history'), 'show --history');
    assert.match(r.stdout, /version 2/);
    assert.match(r.stdout, new RegExp(`v1 \\S+ create by cli ${me}`));
    assert.match(r.stdout, new RegExp(`v2 \\S+ update by cli ${me}`));
    assert.match(r.stdout, /durationSeconds: 3600 → 5400/);
    assert.match(r.stdout, /description: Landing page → null/);
  });

  it('a bad field exits 2 naming it, and changes nothing', async () => {
    const r = await tb('edit', entry, '--set', 'durationSeconds=long');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /REQUEST_INVALID: .*durationSeconds/);
    const missing = await tb('create', 'timeEntry', '--scope', 'work', '--set', 'durationSeconds=60');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs date/);
    assert.equal(JSON.parse((await tb('show', entry, '--json')).stdout).version, 2);
  });

  it('an unknown id exits 1 saying so; a stale --if-version exits 1 with a conflict', async () => {
    const r = await tb('show', 'no-such-record');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /RESOURCE_NOT_FOUND: no hub record no-such-record/);
    assert.match(r.stderr, /timebridge records list/);
    const stale = await tb('delete', entry, '--if-version', '1');
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /RESOURCE_CONFLICT: the record is at version 2, not 1/);
  });

  it('deletes with the current version; the record is listed only with --deleted', async () => {
    ok(await tb('delete', entry), 'delete');
    assert.match(ok(await tb('list', 'timeEntry', '--scope', 'work'), 'list').stdout, /no timeEntry records in scope work/);
    assert.match(ok(await tb('list', 'timeEntry', '--scope', 'work', '--deleted'), 'list --deleted').stdout, /\(deleted\) 2026-03-02/);
  });
});
