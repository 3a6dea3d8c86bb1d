/**
 * Reservations through `timebridge records` (the compiled CLI; build first): the local
 * user books their own office days, a listing picks the office and the days it touches and
 * shows days, office and state, and a reservation whose last day is before its first is
 * refused naming the field.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliChild, type Ran } from '../../support/cli-child.js';

describe('timebridge records: reservations', () => {
  let dir: string;
  const tb = (...args: string[]): Promise<Ran> => cliChild(dir, ['records', ...args]);
  const ok = (r: Ran, what: string): Ran => {
    assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const me = os.userInfo().username;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-reservations-cli-'));
    fs.writeFileSync(path.join(dir, 'timebridge.yaml'), 'store:\n  path: hub.sqlite\n');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('books office days for the local user and lists them by office and days', async () => {
    const person = JSON.parse(
      ok(await tb('create', 'person', '--scope', 'office', '--set', 'name=Me', '--set', `username=${me}`, '--json'), 'person').stdout,
    ).id;
    const book = (office: string, first: string, last: string) =>
      tb('create', 'reservation', '--scope', 'office', '--set', `office=${office}`, '--set', `firstDay=${first}`, '--set', `lastDay=${last}`, '--json');
    const june = JSON.parse(ok(await book('prague', '2030-06-29', '2030-07-02'), 'june').stdout);
    assert.deepEqual([june.fields.personId, june.fields.state, june.origin], [person, 'pending', `cli:${me}`]);
    ok(await book('prague', '2030-05-04', '2030-05-04'), 'may');
    ok(await book('brno', '2030-07-10', '2030-07-10'), 'brno');

    const july = ok(await tb('list', 'reservation', '--scope', 'office', '--office', 'prague', '--from', '2030-07-01', '--to', '2030-07-31'), 'list').stdout;
    const lines = july.trim().split('\n');
    assert.equal(lines.length, 1, july);
    assert.match(lines[0]!, new RegExp(`^${june.id} .*2030-06-29…2030-07-02 prague \\[pending\\] ${person}$`));

    const backwards = await book('prague', '2030-06-29', '2030-06-28');
    assert.equal(backwards.code, 2, backwards.stderr);
    assert.match(backwards.stderr, /lastDay/);
  });
});
