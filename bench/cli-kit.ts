/** What the benchmark scripts share: number options, `--help` from the doc comment, and building dist when it is stale. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export type BuildMode = 'auto' | 'always' | 'never';

/** A comma-separated list of whole numbers (`_` allowed as a digit separator). */
export function wholeNumbers(text: string, what: string): number[] {
  const xs = text.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 0)) throw new Error(`${what}: expected whole numbers, got "${text}"`);
  return xs;
}

/** Prints the script's first doc comment (its options) and exits. */
export function printHelpAndExit(scriptUrl: string): never {
  const text = fs.readFileSync(fileURLToPath(scriptUrl), 'utf8');
  process.stdout.write(text.slice(text.indexOf('/**'), text.indexOf('*/') + 2) + '\n');
  process.exit(0);
}

/** dist is stale when a source file is newer than its compiled file, or that is missing, or the CLI bundle is older than dist. */
function distStale(): boolean {
  const mtime = (f: string) => fs.statSync(path.join(REPO, 'dist', f), { throwIfNoEntry: false })?.mtimeMs ?? -1;
  if (mtime('cli-bundle/main.js') < mtime('interfaces/cli/main.js')) return true;
  const src = path.join(REPO, 'src');
  const files = fs.readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  return files.some((f) => {
    const out = fs.statSync(path.join(REPO, 'dist', f.replace(/\.ts$/, '.js')), { throwIfNoEntry: false });
    return !out || out.mtimeMs < fs.statSync(path.join(src, f)).mtimeMs;
  });
}

/** Runs `tsc -p tsconfig.build.json` and the CLI bundle (scripts/bundle-cli.mjs), as `npm run build` does, unless told not to, or (auto) when dist is current. */
export function buildDist(mode: BuildMode): { ran: boolean; seconds: number } {
  if (mode === 'never' || (mode === 'auto' && !distStale())) return { ran: false, seconds: 0 };
  const t0 = performance.now();
  const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building dist failed (npx tsc -p tsconfig.build.json); fix the errors above or pass --skip-build');
  const b = spawnSync(process.execPath, [path.join(REPO, 'scripts', 'bundle-cli.mjs')], { cwd: REPO, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('bundling the CLI failed (node scripts/bundle-cli.mjs); fix the errors above or pass --skip-build');
  return { ran: true, seconds: (performance.now() - t0) / 1000 };
}
