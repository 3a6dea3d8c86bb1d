/** One link run end to end on real folders: run records, call counts, cursors and the no-change path. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runLink } from '../../src/runtime/run-link.js';
import { createHarness, eventText } from './sync-harness.js';

describe('runLink', () => {
  it('records counts and the connector calls each run made', async () => {
    const h = createHarness();
    try {
      fs.mkdirSync(h.dirs.a, { recursive: true });
      for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(h.dirs.a, `e${i}.ics`), eventText(`e${i}`, `s${i}`));
      const deps = { store: h.store, clock: () => new Date() };
      const a = await runLink(h.links[0]!, deps, { trigger: 'test' });
      assert.deepEqual(a.run.counts, { 'pull-create': 10 });
      assert.equal(a.run.apiCalls, 2, 'one listing and one batched get');
      const b = await runLink(h.links[1]!, deps, { trigger: 'test' });
      assert.deepEqual(b.run.counts, { 'push-create': 10 });
      assert.equal(b.run.apiCalls, 11, 'one listing and ten creates');
      const again = await runLink(h.links[1]!, deps, { trigger: 'test' });
      assert.deepEqual(again.plan.actions, []);
      assert.equal(again.run.apiCalls, 1, 'an unchanged side costs one listing');
      const saved = await h.store.getRun(b.run.id);
      assert.equal(saved?.status, 'ok');
      assert.equal(saved?.apiCalls, 11);
    } finally {
      await h.cleanup();
    }
  });

  it('after a clean run, an edit on either side is still seen (the no-change shortcut never hides one)', async () => {
    const h = createHarness();
    try {
      fs.mkdirSync(h.dirs.a, { recursive: true });
      fs.writeFileSync(path.join(h.dirs.a, 'x.ics'), eventText('x', 'one'));
      const deps = { store: h.store, clock: () => new Date() };
      for (const l of h.links) await runLink(l, deps, { trigger: 'test' });
      for (const l of h.links) assert.deepEqual((await runLink(l, deps, { trigger: 'test' })).plan.actions, []);
      fs.writeFileSync(path.join(h.dirs.a, 'x.ics'), eventText('x', 'two'));
      assert.deepEqual(
        (await runLink(h.links[0]!, deps, { trigger: 'test' })).plan.actions.map((a) => a.op),
        ['pull-update'],
      );
      assert.deepEqual(
        (await runLink(h.links[1]!, deps, { trigger: 'test' })).plan.actions.map((a) => a.op),
        ['push-update'],
      );
      const [rec] = (await h.store.listScope('team', 'event')).filter((r) => !r.tombstone);
      await h.store.commit({
        records: [
          {
            ...rec!,
            fields: { ...rec!.fields, summary: 'three' },
            origin: 'user:test',
            runId: null,
            expectedVersion: rec!.version,
            updatedAt: new Date().toISOString(),
          },
        ],
      });
      assert.deepEqual(
        (await runLink(h.links[0]!, deps, { trigger: 'test' })).plan.actions.map((a) => a.op),
        ['push-update'],
      );
    } finally {
      await h.cleanup();
    }
  });

  it('merges edits of different fields made in both folders, using the agreed base from the hub history', async () => {
    const h = createHarness({ conflict: 'keep-both' });
    try {
      fs.mkdirSync(h.dirs.a, { recursive: true });
      fs.writeFileSync(path.join(h.dirs.a, 'm.ics'), eventText('m', 'Planning'));
      const deps = { store: h.store, clock: () => new Date() };
      for (const l of h.links) await runLink(l, deps, { trigger: 'test' });
      const inB = fs.readdirSync(h.dirs.b).find((f) => f.endsWith('.ics'))!;
      // A renames the event; B gives it a location. Each side changed one field.
      fs.writeFileSync(path.join(h.dirs.a, 'm.ics'), eventText('m', 'Planning (moved)'));
      const bText = fs.readFileSync(path.join(h.dirs.b, inB), 'utf8').replace('\r\nDTSTART', '\r\nLOCATION:Room 4\r\nDTSTART');
      fs.writeFileSync(path.join(h.dirs.b, inB), bText);
      await runLink(h.links[0]!, deps, { trigger: 'test' });
      const b = await runLink(h.links[1]!, deps, { trigger: 'test' });
      assert.deepEqual(
        b.plan.actions.map((a) => a.op),
        ['merge'],
        JSON.stringify(b.plan.actions.map((a) => a.reason)),
      );
      assert.match(b.plan.actions[0]!.reason, /no field contested/);
      await runLink(h.links[0]!, deps, { trigger: 'test' });
      for (const dir of [h.dirs.a, h.dirs.b]) {
        const text = fs
          .readdirSync(dir)
          .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
          .join('');
        assert.match(text, /SUMMARY:Planning \(moved\)/);
        assert.match(text, /LOCATION:Room 4/);
      }
      assert.deepEqual(await h.store.listConflicts(), []);
    } finally {
      await h.cleanup();
    }
  });
});
