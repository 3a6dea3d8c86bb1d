/**
 * Which command a `timebridge` run names, read from argv before anything is loaded
 * (bin/timebridge.js and main.ts decide from it what to import). No imports: this is on
 * every run's start-up path.
 */

/**
 * The first argument that is not the global `--config` option (with its value).
 * Undefined when there is none, or when another option (`--help`) comes first.
 */
export function commandOf(argv: string[]): string | undefined {
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') i++;
    else if (a.startsWith('--config=') || (a.startsWith('-c') && !a.startsWith('--'))) continue;
    else if (a.startsWith('-')) return undefined;
    else return a;
  }
  return undefined;
}

/** Commands that start the service stack or emulators: run from dist/, never from the CLI bundle (see scripts/bundle-cli.mjs). */
export const UNBUNDLED_COMMANDS: ReadonlySet<string> = new Set(['serve', 'worker', 'demo', 'emulate']);
