/**
 * Timebridge in the peer benchmark: the real CLI (`node bin/timebridge.js --config … sync`)
 * as its own process per run, with one YAML config per scenario (SQLite store next to it,
 * links `a` and `b` on one scope). The CalDAV password comes from TB_BENCH_PASSWORD.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseRunLines } from './folder-bench.js';
import { measureNode, type Measured } from './measure.js';

export const PASSWORD_ENV = 'TB_BENCH_PASSWORD';

export type Side = { type: 'folder'; path: string } | { type: 'caldav'; url: string; username: string; password: string; calendar: string };

const q = (s: string) => JSON.stringify(s);

function connection(name: string, s: Side): string[] {
  if (s.type === 'folder') return [`  ${name}: { type: ics-folder, path: ${q(s.path)} }`];
  return [
    `  ${name}:`,
    '    type: caldav',
    `    url: ${q(s.url)}`,
    `    auth: { type: basic, username: ${q(s.username)}, passwordEnv: ${PASSWORD_ENV} }`,
    `    calendar: ${q(s.calendar)}`,
    '    create: true',
  ];
}

/** Writes `<dir>/timebridge.yaml`; the store is `<dir>/hub.sqlite`. */
export function writeTimebridgeConfig(dir: string, a: Side, b: Side): string {
  const file = path.join(dir, 'timebridge.yaml');
  fs.writeFileSync(
    file,
    [
      'store: { type: sqlite, path: hub.sqlite }',
      'connections:',
      ...connection('a', a),
      ...connection('b', b),
      'links:',
      '  a: { connection: a, scope: bench }',
      '  b: { connection: b, scope: bench }',
      '',
    ].join('\n'),
  );
  return file;
}

export interface TimebridgeRun {
  m: Measured;
  /** Actions per link summed over the passes of the run, as the CLI printed them. */
  counts: Record<string, Record<string, number>>;
  linkMs: { link: string; ms: number }[];
  /** Link lines whose status is not ok. */
  notOk: string[];
}

export async function runTimebridge(repo: string, config: string, password: string): Promise<TimebridgeRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('TIMEBRIDGE_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  env[PASSWORD_ENV] = password;
  const m = await measureNode([path.join(repo, 'bin', 'timebridge.js'), '--config', config, 'sync'], { cwd: repo, env });
  return { m, ...parseRunLines(m.stdout) };
}
