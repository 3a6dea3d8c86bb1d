/**
 * The emulators `timebridge emulate <system>` can start (architecture.md §8): in-memory
 * stand-ins for remote APIs no machine here reaches, faithful to docs/api-contracts.
 */
import type { Emulator } from './kit/emulator.js';
import { kimaiEmulatorEntry } from './kimai/index.js';
import { googleEmulatorEntry } from './google/index.js';
import { jiraEmulatorEntry } from './jira/index.js';
import { tempoEmulatorEntry } from './tempo/index.js';

export interface EmulatorEntry {
  /** One line for `timebridge emulate --help`. */
  description: string;
  /** A fresh emulator; `demo` fills it with a small sample data set. */
  create(opts: { seed: number; demo: boolean }): Emulator | Promise<Emulator>;
  /** What to tell a user once it listens: credentials to use and a connection snippet. */
  usage(url: string): string;
}

export const EMULATORS: Record<string, EmulatorEntry> = {
  kimai: kimaiEmulatorEntry,
  google: googleEmulatorEntry,
  jira: jiraEmulatorEntry,
  tempo: tempoEmulatorEntry,
};
