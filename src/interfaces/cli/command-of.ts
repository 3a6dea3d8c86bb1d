/**
 * Which command a `timebridge` run names, read from argv before anything is loaded:
 * bin/timebridge.js decides from it whether the run can use the CLI bundle, and main.ts
 * which command module to import. No imports: this is on every run's start-up path.
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

/**
 * The commands the CLI bundle (scripts/bundle-cli.mjs) runs. The others — the service and the
 * emulators (serve, worker, demo, emulate), help, `help <command>`, an unknown command or
 * none — run from dist/. main.ts's MODULES must name the same commands (a test checks).
 */
export const BUNDLED_COMMANDS: ReadonlySet<string> = new Set([
  'init',
  'sync',
  'plan',
  'apply',
  'status',
  'runs',
  'conflicts',
  'check',
  'audit',
  'links',
  'undo',
  'timer',
  'timesheet',
  'records',
  'rules',
  'token',
  'secrets',
]);
