/** The Timekeeper connector's pure parts: durations, SPARQL terms, the mappers' references and the settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTimebridgeError } from '../../../src/core/errors.js';
import type { MapContext, RefLookup } from '../../../src/connectors/kit/mapper.js';
import { formatDuration, parseDuration } from '../../../src/connectors/timekeeper/duration.js';
import { timekeeperConfigSchema } from '../../../src/connectors/timekeeper/index.js';
import { date, iri, str } from '../../../src/connectors/timekeeper/sparql.js';
import { workLogMapper } from '../../../src/connectors/timekeeper/work-log-mapper.js';
import type { WorkLog } from '../../../src/connectors/timekeeper/types.js';

function refs(map: Record<string, Record<string, string>>): RefLookup {
  return {
    hubId: (kind, ext) => map[kind]?.[ext] ?? null,
    extId: (kind, hub) => Object.entries(map[kind] ?? {}).find(([, h]) => h === hub)?.[0] ?? null,
    person: () => ({ name: 'Ben', email: null, timeZone: 'America/New_York' }),
  };
}

const ctx = (r: RefLookup, linked: MapContext['linked'] = null): MapContext => ({ now: new Date(0), link: 'tk', refs: r, linked });
const known = refs({ 'k:user': { '2': 'p-ben' }, 'k:project': { '21': 'pr-support' }, 'k:activity': { '32': 'a-hotline', '30': 'a-meeting' } });
const log = (o: Partial<WorkLog> = {}): WorkLog => ({
  date: '2026-03-03',
  durationSeconds: 5400,
  person: 'http://tk/persons/ben',
  task: 'http://tk/tasks/hotline',
  kimaiUserId: '2',
  kimaiActivityId: '32',
  kimaiProjectId: '21',
  ...o,
});

describe('Timekeeper durations', () => {
  it('reads the ISO-8601 durations Timekeeper writes and writes the shortest form', () => {
    assert.equal(parseDuration('PT2H30M'), 9000);
    assert.equal(parseDuration('P1DT2H'), 93_600);
    assert.equal(parseDuration('PT0.5H'), 1800);
    assert.equal(parseDuration('PT45S'), 45);
    for (const bad of ['', 'P', 'PT', '2h', 'P1M', 'P1W']) assert.equal(parseDuration(bad), null, bad);
    assert.equal(formatDuration(9000), 'PT2H30M');
    assert.equal(formatDuration(93_600), 'PT26H');
    assert.equal(formatDuration(0), 'PT0S');
    for (const s of [1, 59, 60, 3599, 3600, 3661, 86_400]) assert.equal(parseDuration(formatDuration(s)), s);
  });
});

describe('SPARQL terms', () => {
  it('escapes strings and refuses IRIs and dates that would break out of their term', () => {
    assert.equal(str('say "hi" \\ bye"""'), '"""say \\"hi\\" \\\\ bye\\"\\"\\""""');
    assert.equal(iri('http://tk/work-logs/1'), '<http://tk/work-logs/1>');
    for (const bad of ['http://x/a> } ; DROP ALL ; <x', 'not an iri', 'http://x/a b']) {
      assert.throws(
        () => iri(bad),
        (e) => isTimebridgeError(e) && e.code === 'CONNECTOR_INVALID_INPUT',
        bad,
      );
    }
    assert.throws(
      () => date('2026-03-03"^^xsd:date } ;'),
      (e) => isTimebridgeError(e),
    );
  });
});

describe('Timekeeper work-log mapper', () => {
  const m = workLogMapper({ kimai: 'k' });

  it('maps a work log to a day-granular entry on the person, project and activity of its Kimai ids, in the person’s zone', () => {
    const r = m.toHub(log(), ctx(known));
    assert.ok(r.ok);
    assert.deepEqual(r.value.fields, {
      date: '2026-03-03',
      start: null,
      durationSeconds: 5400,
      timeZone: 'America/New_York',
      personId: 'p-ben',
      projectId: 'pr-support',
      activityId: 'a-hotline',
      description: null,
      taskId: null,
      billable: null,
      tags: [],
    });
  });

  it('names what is missing when a reference is not synced yet, and waits', () => {
    const r = m.toHub(log({ kimaiActivityId: '99', kimaiUserId: null }), ctx(known));
    assert.ok(!r.ok && 'error' in r);
    assert.equal(r.code, 'REF_UNRESOLVED');
    assert.match(r.error, /has no Kimai account/);
    assert.match(r.error, /Kimai activity 99/);
  });

  it('keeps the hub project of an entry on a global activity, which has no project in Timekeeper', () => {
    const global = log({ kimaiActivityId: '30', kimaiProjectId: null });
    const linked = m.toHub(global, ctx(known, { projectId: 'pr-support' }));
    assert.ok(linked.ok && linked.value.fields.projectId === 'pr-support');
    const fresh = m.toHub(global, ctx(known));
    assert.ok(!fresh.ok && 'error' in fresh && /global/.test(fresh.error));
  });

  it('writes by Kimai ids, skipping an unbooked or running entry', () => {
    const fields = { date: '2026-03-04', start: null, durationSeconds: 600, personId: 'p-ben', projectId: 'pr-support', activityId: 'a-hotline' };
    const r = m.toExternal(fields, ctx(known), null);
    assert.ok(r.ok);
    assert.deepEqual([r.value.kimaiUserId, r.value.kimaiActivityId, r.value.kimaiProjectId, r.value.person, r.value.task], ['2', '32', '21', null, null]);
    const skip = m.toExternal({ ...fields, projectId: null }, ctx(known), null);
    assert.ok(!skip.ok && 'skip' in skip);
    const running = m.toExternal({ ...fields, durationSeconds: null }, ctx(known), null);
    assert.ok(!running.ok && 'skip' in running);
  });
});

describe('Timekeeper settings', () => {
  it('defaults to the Kimai sync service’s graphs, scope and groups, and refuses an endpoint that is not a URI', () => {
    const c = timekeeperConfigSchema.parse({ endpoint: 'http://database:8890/sparql' });
    assert.equal(c.graph, 'http://mu.semte.ch/graphs/redpencil');
    assert.equal(c.scope, 'http://services.redpencil.io/timekeeper-kimai-sync-service');
    assert.deepEqual(c.allowedGroups, [{ name: 'public', variables: [] }]);
    assert.equal(c.sudo, false);
    const bad = timekeeperConfigSchema.safeParse({ endpoint: 'database:8890' });
    assert.ok(!bad.success);
    assert.deepEqual(bad.error.issues[0]!.path, ['endpoint']);
  });
});

describe('references to another connection', () => {
  it('refuse a link whose kimai option names no connection, naming it', async () => {
    const { workspace } = await import('../../support/workspace.js');
    const yaml = `store:\n  path: hub.sqlite\nconnections:\n  tk:\n    type: timekeeper\n    endpoint: http://127.0.0.1:9/sparql\nlinks:\n  tk-work-logs: { connection: tk, scope: work, externalKind: work-log, options: { kimai: nope } }\n`;
    let ws: Awaited<ReturnType<typeof workspace>> | null = null;
    try {
      ws = await workspace(yaml, { clock: () => new Date(0) });
      assert.fail('the link was accepted');
    } catch (err) {
      assert.ok(isTimebridgeError(err), String(err));
      assert.match(err.message, /connection nope/);
    } finally {
      await ws?.close();
    }
  });
});
