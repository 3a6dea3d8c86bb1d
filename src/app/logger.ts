/**
 * The service's logger: pino, JSON lines on stderr (or pretty enough for a terminal is
 * left to `pino-pretty` users). Secrets never reach a line: credentials are redacted by
 * key wherever they sit in a logged object, headers that carry them are redacted, and
 * messages pass through `scrubSecrets` for tokens that appear in text.
 */
import { pino, type Logger } from 'pino';
import { secretKeyNames } from './secret-fields.js';

/**
 * Keys whose values are never logged: the settings connectors mark secret, and credential
 * headers. Read from the registry when a logger is made, not when this module loads, so a
 * connector registered after start-up (a test's one registry line) is covered too.
 */
const redactedKeys = (): string[] => [...secretKeyNames(), 'authorization', 'cookie'];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const k of redactedKeys()) {
    paths.push(k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`);
  }
  paths.push('req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'headers.authorization');
  return paths;
}

/** API tokens (tb_…), bearer credentials and basic auth in URLs, as they may appear in free text. */
export function scrubSecrets(text: string): string {
  return text
    .replace(/\btb_[A-Za-z0-9_-]{8,}/g, (t) => `${t.slice(0, 7)}…`)
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]')
    .replace(/(\/\/[^/:@\s]+:)[^@\s]+@/g, '$1[redacted]@');
}

export interface LoggerOptions {
  level?: string;
  /** Where lines go (default stderr); tests pass a stream to read them. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? process.env.TIMEBRIDGE_LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as typeof args;
          method.apply(this, scrubbed);
        },
      },
    },
    (opts.destination ?? process.stderr) as never,
  );
}

export type { Logger };
