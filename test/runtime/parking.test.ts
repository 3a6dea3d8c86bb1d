/**
 * Refused writes park their item: a folder ⇄ hub ⇄ Google Calendar (emulator) sync in
 * which the emulator refuses one event with HTTP 400. The run that meets the refusal
 * reports it in full and parks the item; later runs send nothing for it (counted at the
 * emulator) and are ok; an edit, or `retryParked`, tries it again; a success unparks it.
 * A 503 never parks.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { googleEventMapper } from '../../src/connectors/google-calendar/event-mapper.js';
import type { GoogleItem } from '../../src/connectors/google-calendar/google-types.js';
import { createIcsFolderConnector } from '../../src/connectors/ics-folder/folder-connector.js';
import { icsEventMapper } from '../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { DEFAULT_POLICY } from '../../src/core/policy.js';
import { runLink } from '../../src/runtime/run-link.js';
import { syncLinks } from '../../src/runtime/sync-links.js';
import type { LinkSpec, RunDeps } from '../../src/runtime/types.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { connector, newCalendar, startEmulator, type Running } from '../connectors/google-calendar/google-support.js';
import { eventText } from './sync-harness.js';

let r: Running;
const roots: string[] = [];
before(async () => {
  r = await startEmulator();
});
after(async () => {
  await r.emulator.close();
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

const INSERT = 'POST /calendar/v3/calendars/:cid/events';
const inserts = (): number => r.emulator.counts.get(INSERT) ?? 0;
const REFUSAL = {
  error: { code: 400, message: 'Invalid start time for bad-1', errors: [{ domain: 'global', reason: 'invalid', message: 'Invalid start time for bad-1' }] },
};

async function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-park-'));
  roots.push(dir);
  const cal = await newCalendar(r);
  const folder: LinkSpec<string> = {
    id: 'link:folder',
    name: 'folder',
    scope: 'team',
    kind: 'event',
    window: null,
    policy: DEFAULT_POLICY,
    connector: createIcsFolderConnector({ path: dir, create: true }),
    mapper: icsEventMapper,
  };
  const google: LinkSpec<GoogleItem> = {
    id: 'link:google',
    name: 'google',
    scope: 'team',
    kind: 'event',
    window: null,
    policy: DEFAULT_POLICY,
    connector: connector(r, { calendar: cal }),
    mapper: googleEventMapper,
  };
  const deps: RunDeps = { store: openSqliteStore(':memory:'), clock: () => new Date() };
  fs.writeFileSync(path.join(dir, 'ok.ics'), eventText('ok-1', 'Fine'));
  const first = await syncLinks([folder, google], deps, { trigger: 'test' });
  assert.ok(first.every((x) => x.run.status === 'ok'));
  return { dir, folder, google, deps, links: [folder, google] as LinkSpec[] };
}

describe('parked items', () => {
  it('a 400 parks the item with its reason; later runs skip it and are ok; an edit or retryParked tries it again', async () => {
    const { dir, google, deps, links } = await setup();
    const store = deps.store;
    r.emulator.inject({ method: 'POST', path: '/events$', status: 400, body: REFUSAL });
    try {
      fs.writeFileSync(path.join(dir, 'bad.ics'), eventText('bad-1', 'Broken'));
      const before1 = inserts();
      const run1 = (await syncLinks(links, deps, { trigger: 'test' })).find((x) => x.run.linkId === 'link:google')!.run;
      assert.equal(inserts() - before1, 1, 'one try: a 400 is not retried');
      assert.equal(run1.status, 'partial');
      const [e] = run1.errors;
      assert.ok(e, 'the refusal is reported');
      for (const part of ['Broken', 'UID bad-1', 'bad.ics of link folder', 'HTTP 400', 'Invalid start time for bad-1', 'parked']) {
        assert.ok(e.error.message.includes(part), `the reason names ${part}: ${e.error.message}`);
      }
      assert.match(
        e.error.hint ?? '',
        /fix the item in bad\.ics of link folder and it is tried again on its next change, or run `timebridge sync --retry-parked`/,
      );
      const [p] = await store.listParked('link:google');
      assert.ok(p);
      assert.equal(p.action, 'create');
      assert.equal(p.extId, null);
      assert.equal(p.status, 400);
      assert.match(p.answer ?? '', /"reason": ?"invalid"/);
      assert.equal(p.source, 'bad.ics of link folder');
      // A parked item never holds the hub cursor back.
      assert.equal((await store.getLinkState('link:google')).hubCursor, await store.headSeq());

      const before2 = inserts();
      const run2 = await syncLinks(links, deps, { trigger: 'test' });
      assert.ok(
        run2.every((x) => x.run.status === 'ok' && !x.run.errors.length),
        'a run that only leaves a parked item alone is ok',
      );
      // Even a run that reads the whole scope, and so plans the create again, skips it.
      const full = await runLink(google, deps, { trigger: 'test', full: true });
      assert.equal(full.run.status, 'ok');
      assert.equal(full.run.counts.parked, 1);
      assert.equal(inserts() - before2, 0, 'nothing sent for the parked item');

      // Edited in its source: tried again, refused again, parked at the new version.
      fs.writeFileSync(path.join(dir, 'bad.ics'), eventText('bad-1', 'Still broken'));
      const before3 = inserts();
      const run3 = (await syncLinks(links, deps, { trigger: 'test' })).find((x) => x.run.linkId === 'link:google')!.run;
      assert.equal(inserts() - before3, 1, 'the edit is tried');
      assert.equal(run3.status, 'partial');
      const [again] = await store.listParked('link:google');
      assert.ok(again && again.hubVersion > p.hubVersion && again.label.startsWith('Still broken'));

      // The server takes it now, but nothing changed: still parked until asked.
      r.emulator.faults.clear();
      const before4 = inserts();
      await syncLinks(links, deps, { trigger: 'test' });
      assert.equal(inserts() - before4, 0);
      const retried = await syncLinks(links, deps, { trigger: 'test', retryParked: true });
      assert.equal(inserts() - before4, 1, 'retryParked sends it');
      assert.ok(retried.every((x) => x.run.status === 'ok'));
      assert.deepEqual(await store.listParked(), [], 'a success unparks');
      const events = await google.connector.list({ cursor: null, window: null });
      assert.equal(events.refs.length, 2);

      // An update refused, then the event fixed in its source: the edit goes through and unparks it.
      r.emulator.inject({ method: 'PUT', path: '/events/', status: 400, body: REFUSAL });
      fs.writeFileSync(path.join(dir, 'bad.ics'), eventText('bad-1', 'Broken update'));
      await syncLinks(links, deps, { trigger: 'test' });
      const [update] = await store.listParked('link:google');
      assert.ok(update && update.action === 'update' && update.extId !== null && update.extEtag !== null, 'an update parks with the etag it carried');
      r.emulator.faults.clear();
      fs.writeFileSync(path.join(dir, 'bad.ics'), eventText('bad-1', 'Fixed'));
      const fixed = await syncLinks(links, deps, { trigger: 'test' });
      assert.ok(fixed.every((x) => x.run.status === 'ok'));
      assert.deepEqual(await store.listParked(), [], 'the successful write unparked it');
    } finally {
      r.emulator.faults.clear();
      await deps.store.close();
    }
  });

  it('a parked create whose event is deleted in its source is forgotten, not named for ever', async () => {
    const { dir, deps, links } = await setup();
    r.emulator.inject({ method: 'POST', path: '/events$', status: 400, body: REFUSAL });
    try {
      fs.writeFileSync(path.join(dir, 'bad.ics'), eventText('bad-1', 'Broken'));
      await syncLinks(links, deps, { trigger: 'test' });
      assert.equal((await deps.store.listParked('link:google')).length, 1);
      fs.rmSync(path.join(dir, 'bad.ics'));
      const gone = await syncLinks(links, deps, { trigger: 'test' });
      assert.ok(gone.every((x) => x.run.status === 'ok'));
      assert.deepEqual(await deps.store.listParked(), []);
    } finally {
      r.emulator.faults.clear();
      await deps.store.close();
    }
  });

  it('a transient 503 never parks: every run tries again until the server takes it', async () => {
    const { dir, deps, links } = await setup();
    r.emulator.inject({ method: 'POST', path: '/events$', status: 503 });
    try {
      fs.writeFileSync(path.join(dir, 'later.ics'), eventText('later-1', 'Later'));
      for (let i = 0; i < 2; i++) {
        const before = inserts();
        const run = (await syncLinks(links, deps, { trigger: 'test' })).find((x) => x.run.linkId === 'link:google')!.run;
        assert.equal(run.status, 'partial');
        assert.equal(run.errors[0]?.error.kind, 'transient');
        assert.ok(inserts() > before, `run ${i + 1} tried it`);
        assert.deepEqual(await deps.store.listParked(), []);
      }
      r.emulator.faults.clear();
      const ok = await syncLinks(links, deps, { trigger: 'test' });
      assert.ok(ok.every((x) => x.run.status === 'ok'));
    } finally {
      r.emulator.faults.clear();
      await deps.store.close();
    }
  });
});
