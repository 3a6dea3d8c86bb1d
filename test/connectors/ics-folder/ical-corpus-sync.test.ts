/**
 * The fidelity corpus through the engine: every object goes folder → hub → folder and
 * folder → hub → Radicale, and the copy must say what the source says (compared by the
 * oracle: parsed, ignoring PRODID, DTSTAMP, order and folding). Then the hub renames
 * every event, and each copy — the source file included — must say the same as before
 * but for the new SUMMARY. A file that had to be converted warns on read, naming itself,
 * and is left as it is until that edit. What Radicale changes is listed, by name, in the
 * corpus table; anything else it changes fails.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCaldavConnector } from '../../../src/connectors/caldav/caldav-connector.js';
import { createIcsFolderConnector } from '../../../src/connectors/ics-folder/folder-connector.js';
import { icsEventMapper } from '../../../src/connectors/kit/icalendar/ical-event-mapper.js';
import { DEFAULT_POLICY } from '../../../src/core/policy.js';
import type { RunResult } from '../../../src/runtime/run-link.js';
import { syncLinks } from '../../../src/runtime/sync-links.js';
import type { LinkSpec, RunDeps } from '../../../src/runtime/types.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import type { HubStore, ParkedItem } from '../../../src/store/types.js';
import { basicAuth, needsRadicale, startRadicale, type Radicale } from '../../support/radicale.js';
import type { FieldLoss } from '../../../src/core/fields/write-loss.js';
import { BARE_COMMA, CORPUS, corpusBytes, corpusText, type CorpusEntry, type Loss } from './ical-corpus.js';
import { diffFacts, factsOf, masterValue } from './ical-oracle.js';

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const renamed = (e: CorpusEntry) => `Renamed ${e.uid} – ü€😀東`;

/** Text of a copy Timebridge wrote: it must be valid UTF-8. */
function utf8(bytes: Buffer | Uint8Array, where: string): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    return assert.fail(`${where} is not valid UTF-8`);
  }
}

/** file name → text of every .ics file in a folder whose unfolded text names `uid`. */
function filesOf(dir: string, uid: string): [string, Buffer][] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ics'))
    .map((f): [string, Buffer] => [f, fs.readFileSync(path.join(dir, f))])
    .filter(([, b]) =>
      b
        .toString('latin1')
        .replace(/\r?\n[ \t]/g, '')
        .includes(`UID:${uid}`),
    );
}

function sameAsSource(e: CorpusEntry, copy: string, where: string, ignore: string[] = []): void {
  const d = diffFacts(factsOf(corpusText(e), ignore), factsOf(copy, ignore));
  assert.deepEqual({ lost: d.onlyA, added: d.onlyB }, { lost: [], added: [] }, `${where} says what ${e.file} says`);
}

/** Every difference is a named loss of the table; on a first copy, every named loss happens. */
function sameBut(e: CorpusEntry, copy: string, losses: Loss[], ignore: string[] = [], allHappen = true): void {
  const d = diffFacts(factsOf(corpusText(e), ignore), factsOf(copy, ignore));
  const unexplained = [
    ...d.onlyA.filter((f) => !losses.some((l) => l.dropped?.test(f))).map((f) => `lost: ${f}`),
    ...d.onlyB.filter((f) => !losses.some((l) => l.added?.test(f))).map((f) => `added: ${f}`),
  ];
  assert.deepEqual(unexplained, [], `Radicale's copy of ${e.file} differs beyond the named losses`);
  for (const l of allHappen ? losses : []) {
    const seen = d.onlyA.some((f) => l.dropped?.test(f)) || d.onlyB.some((f) => l.added?.test(f));
    assert.ok(seen, `named loss "${l.name}" of ${e.file} no longer happens; remove it from the table`);
  }
}

/** The master's text properties holding a comma without its backslash: what Radicale 3.1 cuts (hub field names). */
function bareCommaFields(text: string): string[] {
  const master = text
    .replace(/\r?\n[ \t]/g, '')
    .split(/\r?\n/)
    .filter((l) => /^(SUMMARY|DESCRIPTION|LOCATION)[;:]/.test(l));
  return master
    .filter((l) => /(^|[^\\])(\\\\)*,/.test(l.slice(l.indexOf(':') + 1)))
    .map((l) => /^[A-Z]+/.exec(l)![0].toLowerCase())
    .sort();
}

async function renameAll(store: HubStore): Promise<void> {
  const records = (await store.listScope('team', 'event')).filter((r) => !r.tombstone);
  await store.commit({
    records: records.map((r) => {
      const e = CORPUS.find((c) => c.uid === r.fields['uid'])!;
      return {
        id: r.id,
        kind: 'event',
        scope: 'team',
        fields: { ...r.fields, summary: renamed(e) },
        identity: r.identity,
        tombstone: false,
        origin: 'user:test',
        runId: null,
        expectedVersion: r.version,
        updatedAt: new Date().toISOString(),
      };
    }),
  });
}

function folderLink(name: string, dir: string): LinkSpec<string> {
  return {
    id: `link:${name}`,
    name,
    scope: 'team',
    kind: 'event',
    window: null,
    policy: DEFAULT_POLICY,
    mapper: icsEventMapper,
    connector: createIcsFolderConnector({ path: dir, create: true }),
  };
}

const roots: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-corpus-'));
  roots.push(dir);
  return dir;
}
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function seed(dir: string): void {
  for (const e of CORPUS) fs.writeFileSync(path.join(dir, e.file), corpusBytes(e));
}

describe('corpus: folder → hub → folder', () => {
  const a = tempDir(),
    b = tempDir();
  const store = openSqliteStore(':memory:');
  const links = [folderLink('a', a), folderLink('b', b)];
  const deps: RunDeps = { store, clock: () => new Date() };
  let first: RunResult[] = [];
  let second: RunResult[] = [];
  before(async () => {
    seed(a);
    first = await syncLinks(links, deps, { trigger: 'test' });
    for (const e of CORPUS) assert.deepEqual(fs.readFileSync(path.join(a, e.file)), corpusBytes(e), `${e.file} was not rewritten`);
    await renameAll(store);
    second = await syncLinks(links, deps, { trigger: 'test' });
  });
  after(() => store.close());

  it('reads every file: no errors, and a warning naming each converted file, only those', () => {
    for (const r of [...first, ...second]) assert.deepEqual(r.run.errors, [], `run of ${r.run.linkId}`);
    const warned = first
      .flatMap((r) => r.run.warnings)
      .map((w) => w.id)
      .sort();
    assert.deepEqual(
      warned,
      CORPUS.filter((e) => e.warns)
        .map((e) => e.file)
        .sort(),
    );
    for (const w of first.flatMap((r) => r.run.warnings)) assert.match(w.message, new RegExp(`${w.id} was not UTF-8`));
  });

  for (const e of CORPUS) {
    it(`${e.file}: the copy says what the source says; after a rename in the hub both say it, and nothing else changed`, () => {
      // The first pass is checked through what the second left: the copy in b, then the rename everywhere.
      const [copy, ...more] = filesOf(b, e.uid);
      assert.ok(copy && !more.length, `one copy of ${e.uid} in b`);
      for (const [dir, side] of [
        [a, 'source folder'],
        [b, 'copy'],
      ] as const) {
        const [[file, bytes]] = filesOf(dir, e.uid) as [[string, Buffer]];
        const text = utf8(bytes, `${side} ${file}`);
        sameAsSource(e, text, `${side} ${file}`, ['SUMMARY']);
        assert.equal(masterValue(text, 'SUMMARY'), renamed(e));
      }
    });
  }

  it('a copy made without any edit says exactly what its source says', async () => {
    const c = tempDir();
    const fresh = openSqliteStore(':memory:');
    try {
      const src = tempDir();
      seed(src);
      await syncLinks([folderLink('src', src), folderLink('c', c)], { store: fresh, clock: () => new Date() }, { trigger: 'test' });
      for (const e of CORPUS) {
        const [[file, bytes]] = filesOf(c, e.uid) as [[string, Buffer]];
        sameAsSource(e, utf8(bytes, file), file);
      }
    } finally {
      await fresh.close();
    }
  });
});

describe('corpus: folder → hub → Radicale', needsRadicale(), () => {
  let server: Radicale;
  const dir = tempDir();
  const store = openSqliteStore(':memory:');
  const deps: RunDeps = { store, clock: () => new Date() };
  const copies = new Map<string, { before: string; after: string }>();
  /** Labels of the items the server link failed, per pass. */
  const refused: string[][] = [];
  /** The pass after those two, with nothing changed: the refused items are parked, not tried. */
  let settled: RunResult[] = [];
  let parked: ParkedItem[] = [];
  /** What the engine found Radicale did not keep on the first pass: lost fields by UID, and the UIDs its warnings name. */
  const detected = new Map<string, FieldLoss[]>();
  const warnedUids: string[] = [];

  async function readServer(): Promise<Map<string, string>> {
    const base = `${server.url}alice/corpus/`;
    const res = await fetch(base, { method: 'PROPFIND', headers: { ...basicAuth(), depth: '1' } });
    const hrefs = [...(await res.text()).matchAll(/<[^>]*href>([^<]+\.ics)<\//g)].map((m) => m[1]!);
    const out = new Map<string, string>();
    for (const href of hrefs) {
      const got = await fetch(new URL(href, server.url), { headers: basicAuth() });
      const text = utf8(Buffer.from(await got.arrayBuffer()), href);
      const uid = /^UID:(.*)$/m.exec(text.replace(/\r?\n[ \t]/g, ''))?.[1]?.trim();
      if (uid) out.set(uid, text);
    }
    return out;
  }

  before(async () => {
    server = await startRadicale();
    seed(dir);
    const links: LinkSpec<string>[] = [
      folderLink('folder', dir),
      {
        id: 'link:server',
        name: 'server',
        scope: 'team',
        kind: 'event',
        window: null,
        policy: DEFAULT_POLICY,
        mapper: icsEventMapper,
        connector: createCaldavConnector({
          url: server.url,
          auth: { type: 'basic', username: 'alice', password: 'secret' },
          calendar: 'corpus',
          create: true,
          displayName: null,
          batchSize: 100,
          timeoutMs: 15_000,
        }),
      },
    ];
    const errorsOf = (results: RunResult[]) => {
      for (const r of results.filter((x) => x.run.linkId === 'link:folder')) assert.deepEqual(r.run.errors, [], 'the folder link');
      const errors = results.filter((x) => x.run.linkId === 'link:server').at(-1)!.run.errors;
      for (const x of errors) {
        // The reason names the resource, the UID, the source file, and Radicale's answer.
        assert.match(x.error.message, /PUT \/alice\/corpus\/\S+\.ics \(UID \S+\) was not (created|updated): the server answered HTTP 400: Bad Request/);
        assert.match(x.error.message, /from \S+\.ics of link folder\)/);
        assert.match(x.error.hint ?? '', /--retry-parked/);
      }
      return errors.map((x) => x.label);
    };
    const firstPass = await syncLinks(links, deps, { trigger: 'test' });
    refused.push(errorsOf(firstPass));
    for (const l of await store.listLosses('link:server')) {
      const [rec] = await store.getRecords([l.hubId]);
      detected.set(String(rec!.fields['uid']), l.losses);
    }
    for (const w of firstPass.flatMap((r) => r.run.warnings).filter((x) => x.code === 'WRITE_LOSS')) {
      warnedUids.push(/\(UID ([^)]+)\)/.exec(w.message)![1]!);
    }
    const one = await readServer();
    await renameAll(store);
    refused.push(errorsOf(await syncLinks(links, deps, { trigger: 'test' })));
    const two = await readServer();
    settled = await syncLinks(links, deps, { trigger: 'test' });
    parked = await store.listParked('link:server');
    for (const e of CORPUS) copies.set(e.uid, { before: one.get(e.uid) ?? '', after: two.get(e.uid) ?? '' });
  });
  after(async () => {
    await store.close();
    await server?.stop();
  });

  it('Radicale refuses only the objects the table says it refuses, and the run says which', () => {
    const summaries = (labels: string[]) => labels.map((l) => l.replace(/ \(.*$/, '')).sort();
    const expected = CORPUS.filter((e) => e.radicaleRefuses)
      .map((e) => masterValue(corpusText(e), 'SUMMARY')!)
      .sort();
    assert.deepEqual(summaries(refused[0]!), expected);
    assert.deepEqual(
      summaries(refused[1]!),
      CORPUS.filter((e) => e.radicaleRefuses)
        .map(renamed)
        .sort(),
    );
  });

  it('a refused object is parked, so the pass after is clean: nothing tried again, no error', () => {
    for (const r of settled) assert.deepEqual([r.run.status, r.run.errors], ['ok', []], `run of ${r.run.linkId}`);
    const uids = CORPUS.filter((e) => e.radicaleRefuses)
      .map((e) => e.uid)
      .sort();
    assert.deepEqual(parked.map((p) => /UID (\S+)\)/.exec(p.label)?.[1] ?? p.label).sort(), uids);
    for (const p of parked) assert.deepEqual([p.status, p.answer, p.action], [400, 'Bad Request', 'create']);
  });

  it('the engine names each comma loss of the table as a write loss on its item, and no other', () => {
    const cut = CORPUS.filter((e) => !e.radicaleRefuses && e.radicale.includes(BARE_COMMA));
    assert.deepEqual([...detected.keys()].sort(), cut.map((e) => e.uid).sort());
    assert.deepEqual([...warnedUids].sort(), cut.map((e) => e.uid).sort(), 'one WRITE_LOSS warning per item');
    for (const e of cut) {
      assert.deepEqual(
        detected
          .get(e.uid)!
          .map((l) => l.field)
          .sort(),
        bareCommaFields(corpusText(e)),
        `${e.file}: the fields cut`,
      );
      for (const l of detected.get(e.uid)!) {
        const sent = String(l.sent),
          stored = String(l.stored);
        assert.ok(sent.includes(',') && sent.startsWith(stored) && stored.length < sent.length, `${e.file} ${l.field}: ${stored} is ${sent} cut at a comma`);
      }
    }
  });

  for (const e of CORPUS.filter((x) => x.radicaleRefuses)) {
    it(`${e.file}: refused by Radicale, a named loss: ${e.radicaleRefuses}`, () => {
      const copy = copies.get(e.uid)!;
      assert.deepEqual(copy, { before: '', after: '' }, 'not on the server');
      assert.ok(
        parked.some((p) => p.source === `${e.file} of link folder`),
        `parked, naming ${e.file}`,
      );
    });
  }

  for (const e of CORPUS.filter((x) => !x.radicaleRefuses)) {
    const named = e.radicale.length ? ` but for ${e.radicale.map((l) => l.name).join('; ')}` : '';
    it(`${e.file}: Radicale's copy says what the source says${named}, before and after a rename in the hub`, () => {
      const copy = copies.get(e.uid)!;
      assert.ok(copy.before && copy.after, `${e.uid} is on the server`);
      sameBut(e, copy.before, e.radicale);
      sameBut(e, copy.after, e.radicale, ['SUMMARY'], false);
      assert.equal(masterValue(copy.after, 'SUMMARY'), renamed(e));
    });
  }
});
