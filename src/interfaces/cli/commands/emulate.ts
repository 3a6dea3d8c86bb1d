/**
 * `timebridge emulate <system>`: run one remote API's emulator on a port until stopped,
 * for trying Timebridge (and tests and benchmarks) without an account anywhere.
 */
import type { Command } from 'commander';
import { TimebridgeError } from '../../../core/errors.js';
import { EMULATORS } from '../../../emulators/registry.js';

export function registerEmulate(program: Command): void {
  program
    .command('emulate')
    .description(`run an emulator of a remote API on a local port (systems: ${Object.keys(EMULATORS).join(', ') || 'none'})`)
    .argument(
      '<system>',
      Object.entries(EMULATORS)
        .map(([k, e]) => `${k}: ${e.description}`)
        .join('; ') || 'system name',
    )
    .option('--port <n>', 'port to listen on (0: any free port)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--no-demo', 'start empty instead of with sample data')
    .option('--seed <n>', 'seed of the fault generator', '1')
    .option('--latency <ms>', 'delay every API answer by this many milliseconds', '0')
    .option('--page-size <n>', 'largest page a list endpoint returns')
    .action(async (system: string, o: { port: string; host: string; demo: boolean; seed: string; latency: string; pageSize?: string }) => {
      const known = EMULATORS[system];
      if (!known) {
        throw new TimebridgeError('CONFIG_INVALID', `no emulator named "${system}"`, { hint: `use one of: ${Object.keys(EMULATORS).join(', ')}` });
      }
      const number = (v: string, what: string): number => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0)
          throw new TimebridgeError('CONFIG_INVALID', `${what} must be a whole number ≥ 0, not "${v}"`, { hint: `e.g. --${what} 10` });
        return n;
      };
      const entry = await known.load();
      const emulator = await entry.create({ seed: number(o.seed, 'seed'), demo: o.demo });
      emulator.settings.latencyMs = number(o.latency, 'latency');
      if (o.pageSize !== undefined) emulator.settings.maxPageSize = Math.max(1, number(o.pageSize, 'page-size'));
      const url = await emulator.listen({ port: number(o.port, 'port'), host: o.host });
      process.stdout.write(
        `${system} emulator listening on ${url}\n${entry.usage(url)}\n` +
          `Faults: POST ${url}/_emulator/faults {"status":503,"rate":0.2} · state: GET ${url}/_emulator · Ctrl-C stops.\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => {
          void emulator.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
