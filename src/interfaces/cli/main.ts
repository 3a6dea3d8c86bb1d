/** The `timebridge` command line. */
import { Command, CommanderError } from 'commander';
import { reportError } from './context.js';
import { EXIT } from './exit-codes.js';
import { registerAdmin } from './commands/admin.js';
import { registerCheck } from './commands/check.js';
import { registerDemo } from './commands/demo.js';
import { registerEmulate } from './commands/emulate.js';
import { registerInit } from './commands/init.js';
import { registerInspect } from './commands/inspect.js';
import { registerPlan } from './commands/plan.js';
import { registerRecords } from './commands/records.js';
import { registerRules } from './commands/rules.js';
import { registerServe } from './commands/serve.js';
import { registerSync } from './commands/sync.js';
import { registerTimekeeping } from './commands/timekeeping.js';
import { registerUndo } from './commands/undo.js';

export function buildProgram(): Command {
  const program = new Command('timebridge')
    .description('Sync hub for calendars, work logs and timesheets: plan, review, apply — without duplicates or silent loss.')
    .option('-c, --config <file>', 'config file (default: ./timebridge.yaml or $TIMEBRIDGE_CONFIG)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerInit(program);
  registerSync(program);
  registerPlan(program);
  registerInspect(program);
  registerCheck(program);
  registerUndo(program);
  registerTimekeeping(program);
  registerRecords(program);
  registerRules(program);
  registerDemo(program);
  registerServe(program);
  registerAdmin(program);
  registerEmulate(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    return reportError(err);
  }
}
