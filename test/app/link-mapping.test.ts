/** A link's externalKind, mapper and options: chosen, checked, and refused with the choices named. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { parseConfig } from '../../src/app/config.js';
import { linkMapping } from '../../src/app/link-mapping.js';
import { fixedMapper, type Mapper } from '../../src/connectors/kit/mapper.js';
import type { ConnectorEntry } from '../../src/connectors/kit/entry.js';
import { linkSchema } from '../../src/app/config-schema.js';
import { isTimebridgeError } from '../../src/core/errors.js';
import { CONNECTORS } from '../../src/connectors/registry.js';

function mapper(name: string, hubKind: Mapper<unknown>['hubKind']): Mapper<unknown> {
  return {
    name,
    hubKind,
    identity: () => null,
    label: () => name,
    toHub: () => ({ ok: false, skip: 'test' }),
    toExternal: () => ({ ok: false, skip: 'test' }),
  };
}

const entry = {
  manifest: {
    type: 'fake',
    kinds: [
      { external: 'event', hub: 'event' },
      { external: 'worklog', hub: 'timeEntry' },
    ],
  },
  mappers: {
    'fake-event': fixedMapper('event', mapper('fake-event', 'event')),
    'fake-import': {
      externalKind: 'event',
      hubKind: 'timeEntry',
      options: z.object({ roundMinutes: z.number().int().min(1).default(1) }).strict(),
      make: (o: { roundMinutes: number }) => ({ ...mapper(`fake-import/${o.roundMinutes}`, 'timeEntry') }),
    },
    'fake-worklog': fixedMapper('worklog', mapper('fake-worklog', 'timeEntry')),
  },
} as unknown as ConnectorEntry<unknown, unknown>;

const link = (extra: Record<string, unknown>) => linkSchema.parse({ connection: 'c', scope: 's', ...extra });

describe('linkMapping', () => {
  it('takes the first kind and its first mapper by default', () => {
    const m = linkMapping(entry, 'fake', link({}));
    assert.ok(typeof m !== 'string');
    assert.deepEqual([m.externalKind, m.mapperName, m.hubKind], ['event', 'fake-event', 'event']);
  });

  it('takes the first mapper of the chosen kind', () => {
    const m = linkMapping(entry, 'fake', link({ externalKind: 'worklog' }));
    assert.ok(typeof m !== 'string');
    assert.deepEqual([m.mapperName, m.hubKind], ['fake-worklog', 'timeEntry']);
  });

  it('passes checked options, with defaults, to the mapper factory', () => {
    const a = linkMapping(entry, 'fake', link({ mapper: 'fake-import', options: { roundMinutes: 15 } }));
    const b = linkMapping(entry, 'fake', link({ mapper: 'fake-import' }));
    assert.ok(typeof a !== 'string' && typeof b !== 'string');
    assert.equal(a.mapper.name, 'fake-import/15');
    assert.equal(b.mapper.name, 'fake-import/1');
    assert.equal(a.hubKind, 'timeEntry');
  });

  it("a link without a direction takes its mapper's default (google-export: mirror), else both; a direction written out wins", () => {
    const google = CONNECTORS['google-calendar']!;
    const dir = (extra: Record<string, unknown>) => {
      const m = linkMapping(google, 'google-calendar', link(extra));
      assert.ok(typeof m !== 'string', m as string);
      return m.direction;
    };
    assert.equal(dir({ mapper: 'google-export' }), 'mirror');
    assert.equal(dir({ mapper: 'google-export', direction: 'both' }), 'both');
    assert.equal(dir({ mapper: 'google-export', direction: 'push' }), 'push');
    assert.equal(dir({ mapper: 'google-event' }), 'both');
    assert.equal(dir({ externalKind: 'event-instance', mapper: 'google-import', direction: 'pull' }), 'pull');
  });

  it('names the choices when the kind, mapper, options or hub kind are wrong', () => {
    assert.match(linkMapping(entry, 'fake', link({ externalKind: 'issue' })) as string, /no kind "issue".*event, worklog/);
    assert.match(
      linkMapping(entry, 'fake', link({ externalKind: 'worklog', mapper: 'fake-event' })) as string,
      /no mapper "fake-event" for kind "worklog".*fake-worklog/,
    );
    assert.match(linkMapping(entry, 'fake', link({ mapper: 'fake-import', options: { roundMinutes: 0 } })) as string, /options: roundMinutes/);
    assert.match(linkMapping(entry, 'fake', link({ mapper: 'fake-import', options: { rounding: 5 } })) as string, /options: .*rounding/);
    assert.match(linkMapping(entry, 'fake', link({ options: { x: 1 } })) as string, /takes no options/);
    assert.match(linkMapping(entry, 'fake', link({ mapper: 'fake-import', kind: 'event' })) as string, /makes timeEntry records, not event/);
  });
});

describe('config loading checks the link mapping', () => {
  it('refuses a link whose mapper its connector does not have, naming the link and the choices', () => {
    const yaml = 'connections:\n  a:\n    type: ics-folder\n    path: x\nlinks:\n  l:\n    connection: a\n    scope: s\n    mapper: google-import\n';
    assert.throws(
      () => parseConfig(yaml, 'tb.yaml', {}),
      (err) => {
        assert.ok(isTimebridgeError(err));
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /links\.l\.mapper: ics-folder has no mapper "google-import" for kind "vevent".*ics-event/);
        return true;
      },
    );
  });

  it('accepts the connector default written out', () => {
    const yaml =
      'connections:\n  a:\n    type: ics-folder\n    path: x\nlinks:\n  l:\n    connection: a\n    scope: s\n    externalKind: vevent\n    mapper: ics-event\n';
    assert.equal(parseConfig(yaml, 'tb.yaml', {}).config.links.l!.mapper, 'ics-event');
  });
});
