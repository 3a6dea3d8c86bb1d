/**
 * vdirsyncer (Debian package `vdirsyncer`, 0.19) as the peer: installed when missing,
 * one config per scenario (a pair of a `filesystem` storage and a `filesystem` or
 * `caldav` storage whose url is the calendar itself, collections = null), `discover`
 * once before the first sync (not timed), then `vdirsyncer sync` measured per run.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { measureCommand, type Measured } from './measure.js';

export const VDIRSYNCER_BIN = process.env.TB_VDIRSYNCER_BIN ?? '/usr/bin/vdirsyncer';

export type Storage = { type: 'folder'; path: string } | { type: 'caldav'; url: string; username: string; password: string };

function installed(): boolean {
  try {
    fs.accessSync(VDIRSYNCER_BIN, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Installs the Debian package when the binary is missing (`sudo` when not root); returns whether it did. */
export function ensureVdirsyncer(log: (line: string) => void): boolean {
  if (installed()) return false;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  log(`vdirsyncer is not installed (${VDIRSYNCER_BIN}): running ${[...sudo, 'apt-get update && apt-get install -y vdirsyncer'].join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', 'vdirsyncer'],
  ]) {
    const cmd = [...sudo, ...args];
    const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (exit ${r.status ?? r.signal}); install vdirsyncer and run again`);
  }
  if (!installed()) throw new Error(`apt-get installed vdirsyncer, but ${VDIRSYNCER_BIN} is still missing`);
  return true;
}

export function vdirsyncerVersion(): string {
  const r = spawnSync(VDIRSYNCER_BIN, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr || '?').trim().replace(/^vdirsyncer, version /, '');
}

const q = (s: string) => JSON.stringify(s);

function storageSection(name: string, s: Storage): string[] {
  if (s.type === 'folder') return [`[storage ${name}]`, 'type = "filesystem"', `path = ${q(s.path + '/')}`, 'fileext = ".ics"', ''];
  return [`[storage ${name}]`, 'type = "caldav"', `url = ${q(s.url)}`, `username = ${q(s.username)}`, `password = ${q(s.password)}`, ''];
}

/** Writes `<dir>/config` for one pair `bench` (A ↔ B) with its status under `<dir>/status/`. */
export function writeVdirsyncerConfig(dir: string, a: Storage, b: Storage): string {
  const file = path.join(dir, 'config');
  fs.writeFileSync(
    file,
    [
      '[general]',
      `status_path = ${q(path.join(dir, 'status') + '/')}`,
      '',
      '[pair bench]',
      'a = "bench_a"',
      'b = "bench_b"',
      'collections = null',
      '',
      ...storageSection('bench_a', a),
      ...storageSection('bench_b', b),
    ].join('\n'),
  );
  return file;
}

/** `vdirsyncer discover` (not timed; its requests happen outside any counted window). */
export function vdirsyncerDiscover(config: string): void {
  const r = spawnSync(VDIRSYNCER_BIN, ['-c', config, 'discover'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`vdirsyncer -c ${config} discover: exit ${r.status ?? r.signal}\n${(r.stderr + r.stdout).slice(-1500)}`);
}

export async function runVdirsyncer(config: string): Promise<Measured> {
  return measureCommand(VDIRSYNCER_BIN, ['-c', config, 'sync'], { cwd: path.dirname(config), env: process.env });
}
