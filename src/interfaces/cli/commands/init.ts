/** `timebridge init`: write a commented example configuration. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CONFIG_TEMPLATE } from '../../../app/config-template.js';
import { configPath } from '../../../app/config.js';
import type { GlobalOpts } from '../context.js';
import { EXIT } from '../exit-codes.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a commented example timebridge.yaml')
    .option('--force', 'overwrite an existing file')
    .action((o: { force?: boolean }, cmd: Command) => {
      const file = configPath(cmd.optsWithGlobals<GlobalOpts>().config, process.env);
      if (fs.existsSync(file) && !o.force) {
        process.stderr.write(`timebridge: ${file} already exists; nothing was written\n  next: edit it, or run \`timebridge init --force\` to replace it\n`);
        process.exitCode = EXIT.USAGE;
        return;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, CONFIG_TEMPLATE);
      process.stdout.write(`wrote ${file}\nnext: edit the connections and links, then run \`timebridge plan\` to see what a sync would do\n`);
    });
}
