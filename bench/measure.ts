/**
 * Run a command as a separate process and measure wall time and peak RSS: with GNU
 * `/usr/bin/time -v` when it is there (Debian package `time`), otherwise by preloading
 * bench/rss-hook.mjs into the node child, which records process.resourceUsage().maxRSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const GNU_TIME = '/usr/bin/time';
const RSS_HOOK = fileURLToPath(new URL('./rss-hook.mjs', import.meta.url));

export interface Measured {
  exitCode: number | null;
  signal: string | null;
  wallS: number;
  /** Peak resident set size of the child in MiB (`time` reports KiB). */
  peakRssMb: number | null;
  userS: number | null;
  sysS: number | null;
  stdout: string;
  stderr: string;
  /** 1-minute load average when the command started (the machine is shared). */
  loadBefore: number;
  /** 'wall-only': measureCommand without GNU time (no peak RSS, no CPU). */
  method: 'gnu-time' | 'rss-hook' | 'wall-only';
}

export function hasGnuTime(): boolean {
  // TB_BENCH_NO_GNU_TIME=1 exercises the fallback on a machine that has GNU time.
  if (process.env.TB_BENCH_NO_GNU_TIME) return false;
  try {
    fs.accessSync(GNU_TIME, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function parseGnuTime(text: string): { rssKb: number | null; user: number | null; sys: number | null; exit: number | null } {
  const num = (re: RegExp): number | null => {
    const m = re.exec(text);
    return m ? Number(m[1]) : null;
  };
  return {
    rssKb: num(/Maximum resident set size \(kbytes\): (\d+)/),
    user: num(/User time \(seconds\): ([\d.]+)/),
    sys: num(/System time \(seconds\): ([\d.]+)/),
    exit: num(/Exit status: (\d+)/),
  };
}

/**
 * Spawns a command, collects its output, and times it from spawn to exit. The file system's
 * dirty pages are written out first (`sync`), so a measured process never pays for writing
 * back what the process before it, or the harness, wrote.
 */
async function spawnTimed(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  wallS: number;
  stdout: string;
  stderr: string;
  loadBefore: number;
}> {
  spawnSync('sync');
  const loadBefore = os.loadavg()[0]!;
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => err.push(d));
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  return { code, signal, wallS, loadBefore, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** Runs `node <nodeArgs…>` and measures it. `env` replaces the environment. */
export async function measureNode(nodeArgs: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Measured> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-measure-'));
  const timeFile = path.join(scratch, 'time.txt');
  const rssFile = path.join(scratch, 'rss.json');
  const gnu = hasGnuTime();
  const [cmd, args] = gnu ? [GNU_TIME, ['-v', '-o', timeFile, process.execPath, ...nodeArgs]] : [process.execPath, ['--import', RSS_HOOK, ...nodeArgs]];
  const env = gnu ? opts.env : { ...opts.env, TB_BENCH_RSS_FILE: rssFile };
  const { code, signal, wallS, loadBefore, stdout, stderr } = await spawnTimed(cmd, args, { cwd: opts.cwd, env });
  let peakRssMb: number | null = null;
  let userS: number | null = null;
  let sysS: number | null = null;
  let exitCode = code;
  try {
    if (gnu) {
      const t = parseGnuTime(fs.readFileSync(timeFile, 'utf8'));
      peakRssMb = t.rssKb === null ? null : t.rssKb / 1024;
      userS = t.user;
      sysS = t.sys;
      if (t.exit !== null) exitCode = t.exit;
    } else if (fs.existsSync(rssFile)) {
      const r = JSON.parse(fs.readFileSync(rssFile, 'utf8')) as { maxRSS: number; userCPUTime: number; systemCPUTime: number };
      peakRssMb = r.maxRSS / 1024;
      userS = r.userCPUTime / 1e6;
      sysS = r.systemCPUTime / 1e6;
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { exitCode, signal, wallS, peakRssMb, userS, sysS, loadBefore, stdout, stderr, method: gnu ? 'gnu-time' : 'rss-hook' };
}

/**
 * Runs any command (e.g. vdirsyncer) and measures it with GNU time. Without GNU time only
 * the wall time is known (peak RSS and CPU are null): the RSS hook works for node only.
 */
export async function measureCommand(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Measured> {
  const gnu = hasGnuTime();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-measure-'));
  const timeFile = path.join(scratch, 'time.txt');
  try {
    const r = gnu ? await spawnTimed(GNU_TIME, ['-v', '-o', timeFile, cmd, ...args], opts) : await spawnTimed(cmd, args, opts);
    const t = gnu ? parseGnuTime(fs.readFileSync(timeFile, 'utf8')) : null;
    return {
      exitCode: t?.exit ?? r.code,
      signal: r.signal,
      wallS: r.wallS,
      peakRssMb: t?.rssKb != null ? t.rssKb / 1024 : null,
      userS: t?.user ?? null,
      sysS: t?.sys ?? null,
      loadBefore: r.loadBefore,
      stdout: r.stdout,
      stderr: r.stderr,
      method: gnu ? 'gnu-time' : 'wall-only',
    };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
