/** `timebridge token create|list|revoke` and `timebridge secrets new-key|rotate`. */
import type { Command } from 'commander';
import { configPath, loadConfig } from '../../../app/config.js';
import { openStore } from '../../../app/compose.js';
import { newSecretKey, parseSecretKey, secretBox, secretBoxFromEnv } from '../../../app/secret-box.js';
import { TimebridgeError } from '../../../core/errors.js';
import { createToken } from '../../../service/tokens.js';
import type { HubStore } from '../../../store/types.js';
import type { GlobalOpts } from '../context.js';

async function withStore<T>(g: GlobalOpts, fn: (store: HubStore) => Promise<T>): Promise<T> {
  const loaded = loadConfig(configPath(g.config, process.env), process.env);
  const store = await openStore(loaded);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function registerAdmin(program: Command): void {
  const token = program.command('token').description('API tokens for `timebridge serve` (stored hashed; shown once)');
  token
    .command('create')
    .description('make a token and print it')
    .requiredOption('--user <id>', 'the user the token acts as (owner of what it creates)')
    .option('--role <role>', 'admin (manages everything) or user (own connections and links)', 'user')
    .option('--label <text>', 'a note to recognise the token by', '')
    .action(async (o: { user: string; role: string; label: string }, cmd: Command) => {
      if (o.role !== 'admin' && o.role !== 'user')
        throw new TimebridgeError('CONFIG_INVALID', `--role must be admin or user, not "${o.role}"`, { hint: 'pass --role admin or --role user' });
      await withStore(cmd.optsWithGlobals<GlobalOpts>(), async (store) => {
        const { token: t, record } = await createToken(store, { userId: o.user, role: o.role as 'admin' | 'user', label: o.label });
        process.stdout.write(`${t}\n`);
        process.stderr.write(`token ${record.id} for ${record.userId} (${record.role}); it is not shown again — keep it somewhere safe\n`);
      });
    });
  token
    .command('list')
    .description('list tokens (never their values)')
    .action(async (_o: unknown, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOpts>(), async (store) => {
        const rows = await store.listTokens();
        if (!rows.length) process.stdout.write('no tokens; make one with `timebridge token create --user <id> --role admin`\n');
        for (const t of rows) {
          process.stdout.write(
            `${t.id}  ${t.userId.padEnd(12)} ${t.role.padEnd(5)} created ${t.createdAt}  ${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}  ${t.label}\n`,
          );
        }
      });
    });
  token
    .command('revoke')
    .description('revoke a token by id')
    .argument('<id>', 'token id from `timebridge token list`')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOpts>(), async (store) => {
        if (!(await store.revokeToken(id, new Date().toISOString())))
          throw new TimebridgeError('RESOURCE_NOT_FOUND', `no active token ${id}`, { hint: 'list tokens with `timebridge token list`' });
        process.stdout.write(`revoked ${id}\n`);
      });
    });

  const secrets = program.command('secrets').description('the key that seals connection secrets at rest (AES-256-GCM)');
  secrets
    .command('new-key')
    .description('print a new random key for TIMEBRIDGE_SECRET_KEY')
    .action(() => {
      process.stdout.write(`${newSecretKey()}\n`);
    });
  secrets
    .command('rotate')
    .description('re-seal every stored secret with TIMEBRIDGE_NEW_SECRET_KEY (TIMEBRIDGE_SECRET_KEY is the current key)')
    .action(async (_o: unknown, cmd: Command) => {
      const current = secretBoxFromEnv(process.env);
      const nextText = process.env.TIMEBRIDGE_NEW_SECRET_KEY;
      if (!nextText)
        throw new TimebridgeError('SECRET_KEY_MISSING', 'TIMEBRIDGE_NEW_SECRET_KEY is not set', {
          hint: 'set it to a key from `timebridge secrets new-key`, keep TIMEBRIDGE_SECRET_KEY as the current key, and run again',
        });
      const next = secretBox(parseSecretKey(nextText, 'TIMEBRIDGE_NEW_SECRET_KEY'));
      await withStore(cmd.optsWithGlobals<GlobalOpts>(), async (store) => {
        let moved = 0,
          already = 0;
        for (const d of await store.listManagedDefinitions('connection')) {
          if (!d.secrets) continue;
          if (next.sealedByMe(d.secrets)) {
            already++;
            continue;
          }
          if (!current)
            throw new TimebridgeError('SECRET_KEY_MISSING', 'TIMEBRIDGE_SECRET_KEY (the current key) is not set', {
              hint: 'set it to the key the secrets are sealed with',
            });
          await store.putDefinition({ ...d, secrets: next.seal(current.open(d.secrets)) });
          moved++;
        }
        process.stdout.write(
          `re-sealed ${moved} connections with key ${next.keyId}${already ? ` (${already} already were)` : ''}; now start Timebridge with TIMEBRIDGE_SECRET_KEY set to the new key\n`,
        );
      });
    });
}
