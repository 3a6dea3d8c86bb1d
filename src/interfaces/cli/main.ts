/** The `timebridge` command line. */
import { Command, CommanderError } from 'commander';
import { commandOf } from './command-of.js';
import { EXIT } from './exit-codes.js';

type Register = (program: Command) => void;

/**
 * The command modules, in help order, each with the top-level commands it defines. A run
 * imports only the module of the command it was given (start-up time: each module pulls in
 * the store, the runtime, connectors or the service); help, `help <command>`, an unknown
 * command or none at all import them all, so help and commander's suggestions list every command.
 */
export const MODULES: { commands: string[]; load: () => Promise<Register> }[] = [
  { commands: ['init'], load: async () => (await import('./commands/init.js')).registerInit },
  { commands: ['sync'], load: async () => (await import('./commands/sync.js')).registerSync },
  { commands: ['plan', 'apply'], load: async () => (await import('./commands/plan.js')).registerPlan },
  { commands: ['status', 'runs', 'conflicts'], load: async () => (await import('./commands/inspect.js')).registerInspect },
  { commands: ['links'], load: async () => (await import('./commands/links.js')).registerLinks },
  { commands: ['audit'], load: async () => (await import('./commands/audit.js')).registerAudit },
  { commands: ['check'], load: async () => (await import('./commands/check.js')).registerCheck },
  { commands: ['undo'], load: async () => (await import('./commands/undo.js')).registerUndo },
  { commands: ['timer', 'timesheet'], load: async () => (await import('./commands/timekeeping.js')).registerTimekeeping },
  { commands: ['records'], load: async () => (await import('./commands/records.js')).registerRecords },
  { commands: ['rules'], load: async () => (await import('./commands/rules.js')).registerRules },
  { commands: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemo },
  { commands: ['serve', 'worker'], load: async () => (await import('./commands/serve.js')).registerServe },
  { commands: ['token', 'secrets'], load: async () => (await import('./commands/admin.js')).registerAdmin },
  { commands: ['emulate'], load: async () => (await import('./commands/emulate.js')).registerEmulate },
];

/** The program with the commands `argv` needs (all of them when it names none that is known). */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('timebridge')
    .description('Sync hub for calendars, work logs and timesheets: plan, review, apply — without duplicates or silent loss.')
    .option('-c, --config <file>', 'config file (default: ./timebridge.yaml or $TIMEBRIDGE_CONFIG)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const name = commandOf(argv);
  const one = MODULES.find((m) => name !== undefined && m.commands.includes(name));
  const registers = await Promise.all((one ? [one] : MODULES).map((m) => m.load()));
  for (const register of registers) register(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    const { reportError } = await import('./context.js');
    return reportError(err);
  }
}
