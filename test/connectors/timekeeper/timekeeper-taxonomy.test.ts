/**
 * Kimai's taxonomy mirrored from the hub into Timekeeper on a real Virtuoso: customers,
 * projects and activities made with the Kimai ids Timekeeper expects, in the workspace
 * scheme, with their parents; resources the Kimai sync service made before are taken
 * over, not doubled; a rename in Kimai renames the same resource and leaves its other triples;
 * Kimai users become Timekeeper's Kimai accounts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedUris, TK } from '../../../src/app/timekeeper-seed.js';
import { needsVirtuoso, startVirtuoso, type Virtuoso } from '../../support/virtuoso.js';
import { ADMIN_TOKEN, startKimai } from '../kimai/kimai-fixture.js';
import { config, kimaiLinks, taxonomy, workspace, type Workspace } from '../kimai/kimai-workspace.js';
import { reseed, seedData, triplesOf } from './timekeeper-fixture.js';

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const SKOS = 'http://www.w3.org/2004/02/skos/core#';
const LABEL = 'http://www.w3.org/2000/01/rdf-schema#label';
const ID = 'http://purl.org/dc/terms/identifier';
const TK_LINKS = ['tk-customers', 'tk-projects', 'tk-activities', 'tk-accounts'];
const ACCOUNT = 'http://xmlns.com/foaf/0.1/OnlineAccount';

type Rows = { results: { bindings: Record<string, { value: string }>[] } };

describe('Kimai taxonomy mirrored into Timekeeper', needsVirtuoso(), () => {
  let v: Virtuoso, kimai: Awaited<ReturnType<typeof startKimai>>;
  before(async () => {
    v = await startVirtuoso();
    kimai = await startKimai();
  });
  after(async () => {
    await kimai?.close();
    await v?.stop();
  });

  async function open(): Promise<Workspace> {
    const tk = {
      connection: `  tk:\n    type: timekeeper\n    endpoint: ${v.sparqlUrl}\n`,
      links: ['customer', 'project', 'activity', 'account']
        .map((k) => `  tk-${k === 'activity' ? 'activities' : `${k}s`}: { connection: tk, scope: work, externalKind: ${k}, options: { kimai: kimai } }`)
        .join('\n'),
    };
    const ws = await workspace(config([kimaiLinks('kimai', kimai.base), tk]));
    const results = await ws.runAll([...taxonomy('kimai'), ...TK_LINKS]);
    assert.deepEqual(
      results.map((r) => [r.run.linkId, r.run.status, r.run.errors]),
      results.map((r) => [r.run.linkId, 'ok', []]),
    );
    return ws;
  }

  const byKimaiId = async (cls: string) => {
    const rows = (await v.sparql(`SELECT ?uri ?id WHERE { ?uri a <${cls}> ; <${ID}> ?id }`, 'query')) as Rows;
    return new Map(rows.results.bindings.map((b) => [b.id!.value, b.uri!.value]));
  };

  it('makes customers, projects and activities with their Kimai ids, scheme and parents', async () => {
    await reseed(v, seedData({ customers: [], projects: [], activities: [], persons: [] }));
    const ws = await open();
    try {
      const customers = await byKimaiId('http://www.w3.org/ns/prov#Organization');
      const projects = await byKimaiId('http://usefulinc.com/ns/doap#Project');
      const activities = await byKimaiId('http://mu.semte.ch/vocabularies/ext/KimaiActivity');
      assert.deepEqual([...customers.keys()].sort(), ['10', '11']);
      assert.deepEqual([...projects.keys()].sort(), ['20', '21', '22']);
      assert.deepEqual([...activities.keys()].sort(), ['30', '31', '32']);
      const website = await triplesOf(v, projects.get('20')!);
      assert.deepEqual(website[LABEL], ['Website']);
      assert.deepEqual(website[`${SKOS}topConceptOf`], [TK.workspace]);
      assert.deepEqual(website[`${SKOS}inScheme`], [TK.workspace]);
      assert.deepEqual(website['http://www.w3.org/ns/prov#wasAttributedTo'], [customers.get('10')]);
      assert.deepEqual(website['http://www.w3.org/ns/ui#color'], ['#1565c0']);
      assert.match(projects.get('20')!, /^http:\/\/timekeeper\.redpencil\.io\/tasks\/[0-9a-f-]{36}$/);
      const design = await triplesOf(v, activities.get('31')!);
      assert.deepEqual(design[`${SKOS}broader`], [projects.get('20')]);
      assert.deepEqual(design[RDF_TYPE]!.sort(), ['http://mu.semte.ch/vocabularies/ext/KimaiActivity', 'http://www.w3.org/2005/01/wf/flow#Task']);
      assert.equal((await triplesOf(v, activities.get('30')!))[`${SKOS}broader`], undefined, 'a global activity has no parent');
      const accounts = await byKimaiId(ACCOUNT);
      assert.deepEqual([...accounts.keys()].sort(), ['1', '2']);
      const ben = await triplesOf(v, accounts.get('2')!);
      assert.deepEqual(ben['http://xmlns.com/foaf/0.1/accountName'], ['ben']);
      assert.deepEqual(ben['http://xmlns.com/foaf/0.1/accountServiceHomepage'], [TK.kimaiHomepage]);
      assert.match(accounts.get('2')!, /^http:\/\/timekeeper\.redpencil\.io\/accounts\/[0-9a-f-]{36}$/);
      const again = await ws.runAll(TK_LINKS);
      const writes = (c: Record<string, number>) => Object.keys(c).filter((k) => /^(push|pull)-/.test(k));
      assert.ok(
        again.every((r) => r.run.status === 'ok' && writes(r.run.counts).length === 0),
        `a second run writes nothing: ${JSON.stringify(again.map((r) => r.run.counts))}`,
      );
    } finally {
      await ws.close();
    }
  });

  it('takes over what the Kimai sync service made instead of doubling it, and a Kimai rename renames it, keeping its other triples', async () => {
    await reseed(v, seedData());
    await v.sparql(`INSERT DATA { GRAPH <${TK.graphs.kimai}> { <${seedUris.task(21)}> <http://mu.semte.ch/vocabularies/ext/note> "kept" } }`);
    const ws = await open();
    try {
      const projects = await byKimaiId('http://usefulinc.com/ns/doap#Project');
      assert.equal(projects.size, 3);
      assert.equal(projects.get('21'), seedUris.task(21));
      const accounts = await byKimaiId(ACCOUNT);
      assert.deepEqual([...accounts.entries()].sort(), [
        ['1', seedUris.account('anna')],
        ['2', seedUris.account('ben')],
      ]);
      const res = await fetch(`${kimai.base}/api/projects/21`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Customer support' }),
      });
      assert.equal(res.status, 200, await res.text());
      const results = await ws.runAll(['kimai-projects', 'tk-projects']);
      assert.ok(
        results.every((r) => r.run.status === 'ok'),
        JSON.stringify(results.map((r) => r.run.errors)),
      );
      const support = await triplesOf(v, seedUris.task(21));
      assert.deepEqual(support[LABEL], ['Customer support']);
      assert.deepEqual(support['http://mu.semte.ch/vocabularies/ext/note'], ['kept']);
      assert.deepEqual(support[ID], ['21']);
    } finally {
      await ws.close();
    }
  });
});
