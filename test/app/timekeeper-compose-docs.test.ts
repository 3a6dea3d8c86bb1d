/**
 * The documented replacement of the Kimai sync service (docs/architecture.md, "Replacing the
 * Kimai sync service in a Timekeeper stack", and its short form in the README): the compose
 * service runs `timebridge serve` on the config the docs give, that config loads as written,
 * and every environment variable of the original maps to a setting the loaded config has.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { loadConfig } from '../../src/app/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const ORIGINAL_VARS = [
  'API_TOKEN',
  'KIMAI_ENDPOINT',
  'DEFAULT_MU_AUTH_SCOPE',
  'FALLBACK_SYNC_CRON',
  'RESOURCE_BASE_URI',
  'WORKSPACE_URI',
  'KIMAI_ACCOUNT_SERVICE_HOMEPAGE',
];

function section(): string {
  const doc = read('docs/architecture.md');
  const start = doc.indexOf('#### Replacing the Kimai sync service in a Timekeeper stack');
  assert.ok(start >= 0, 'the section is in docs/architecture.md');
  return doc.slice(start, doc.indexOf('\n#### ', start + 10));
}
const yamlBlocks = (text: string) => [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
/** `| \`VAR\` | \`a.b.c…\` …` rows of a table: variable → setting path. */
const table = (text: string) => new Map([...text.matchAll(/^\| `([A-Z_]+)` \| `([^`:]+)/gm)].map((m) => [m[1]!, m[2]!]));

describe('the documented replacement of the Kimai sync service', () => {
  const [compose, yaml] = yamlBlocks(section());

  it('loads the documented timebridge.yaml as written: Kimai and Timekeeper connections, the links between them, listening for the notifier', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-tk-docs-'));
    try {
      fs.writeFileSync(path.join(dir, 'timebridge.yaml'), yaml!);
      const loaded = loadConfig(path.join(dir, 'timebridge.yaml'), { KIMAI_TOKEN: 'a-kimai-token' });
      assert.deepEqual(Object.fromEntries(Object.entries(loaded.connections).map(([n, c]) => [n, c.type])), { kimai: 'kimai', timekeeper: 'timekeeper' });
      assert.equal((loaded.connections.kimai!.settings as { tokenEnv?: string }).tokenEnv, 'KIMAI_TOKEN', 'the token is read from KIMAI_TOKEN');
      const links = loaded.config.links as Record<string, { connection: string; externalKind: string; options?: Record<string, unknown> }>;
      assert.deepEqual(links['kimai-timesheets']!.options, { granularity: 'day' });
      for (const kind of ['work-log', 'timesheet', 'customer', 'project', 'activity', 'account']) {
        const link = Object.values(links).find((l) => l.connection === 'timekeeper' && l.externalKind === kind);
        assert.deepEqual(link?.options, { kimai: 'kimai' }, `a Timekeeper ${kind} link naming the Kimai connection`);
      }
      assert.deepEqual([loaded.config.serve.host, loaded.config.serve.port], ['0.0.0.0', 8080], 'the delta rules call http://timebridge:8080/delta');
      // Every setting the tables name is one the loaded config has.
      for (const [file, text] of [
        ['docs/architecture.md', section()],
        ['README.md', read('README.md')],
      ] as const) {
        const rows = table(text);
        assert.deepEqual([...rows.keys()].filter((k) => ORIGINAL_VARS.includes(k)).sort(), [...ORIGINAL_VARS].sort(), `${file} maps every variable`);
        for (const v of ORIGINAL_VARS) {
          const [top, name, key] = rows.get(v)!.split('.') as [string, string, string];
          const node =
            top === 'connections' ? (loaded.connections[name]?.settings as Record<string, unknown>) : (links[name] as unknown as Record<string, unknown>);
          assert.ok(node, `${file}: ${v} → ${rows.get(v)} names a ${top === 'connections' ? 'connection' : 'link'} of the config`);
          assert.ok(key in node || (key === 'schedule' && name === 'tk-work-logs'), `${file}: ${v} → ${rows.get(v)} is a setting`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs timebridge serve on that config in the compose service, with the token the config reads', () => {
    const service = (YAML.parse(compose!) as Record<string, { command: string; environment: Record<string, string>; volumes: string[] }>).timebridge!;
    assert.match(service.command, /timebridge\.js serve --config \/config\/timebridge\.yaml$/);
    assert.ok('KIMAI_TOKEN' in service.environment);
    assert.ok(service.volumes.some((v) => v.endsWith(':/config') || v.split('#')[0]!.trim().endsWith(':/config')));
  });
});
