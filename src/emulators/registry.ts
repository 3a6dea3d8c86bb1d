/**
 * The emulators `timebridge emulate <system>` can start (architecture.md §8): in-memory
 * stand-ins for remote APIs no machine here reaches, faithful to docs/api-contracts. Each
 * system's code is loaded only when it is started, so commands that start none (a sync, a
 * plan) never load Fastify or an emulator.
 */
import type { Emulator } from './kit/emulator.js';

export interface EmulatorEntry {
  /** A fresh emulator; `demo` fills it with a small sample data set. */
  create(opts: { seed: number; demo: boolean }): Emulator | Promise<Emulator>;
  /** What to tell a user once it listens: credentials to use and a connection snippet. */
  usage(url: string): string;
}

export interface EmulatorSystem {
  /** One line for `timebridge emulate --help`. */
  description: string;
  load(): Promise<EmulatorEntry>;
}

export const EMULATORS: Record<string, EmulatorSystem> = {
  kimai: {
    description: 'Kimai 2 time tracking (REST API /api, timesheets, customers, projects, activities, users)',
    load: async () => (await import('./kimai/index.js')).kimaiEmulatorEntry,
  },
  google: {
    description: 'Google Calendar API v3 with OAuth (refresh tokens, service accounts), sync tokens and push channels',
    load: async () => (await import('./google/index.js')).googleEmulatorEntry,
  },
  jira: {
    description: 'Jira Cloud REST v3 (issues, users, native worklogs with properties, updated/deleted feeds)',
    load: async () => (await import('./jira/index.js')).jiraEmulatorEntry,
  },
  tempo: {
    description: 'Tempo Cloud REST v4 worklogs (429 at 5 req/s built in), with its Jira site on the same port',
    load: async () => (await import('./tempo/index.js')).tempoEmulatorEntry,
  },
  advoware: {
    description: 'Advoware REST API (security gateway tokens, employees, appointments by Kürzel and date range)',
    load: async () => (await import('./advoware/index.js')).advowareEmulatorEntry,
  },
  github: {
    description: 'GitHub REST issues (paging by Link, pull requests mixed in, rate limits) and signed webhooks with ping and redelivery',
    load: async () => (await import('./github/index.js')).githubEmulatorEntry,
  },
  byroapi: {
    description: 'Byroapi PDF form filling (POST /api/v1/form answers a real PDF or records the e-mail it would send)',
    load: async () => (await import('./byroapi/index.js')).byroapiEmulatorEntry,
  },
  slack: {
    description: 'Slack Web API (chat.postMessage, users.info, bot token) and signed /tt slash commands sent to the hub',
    load: async () => (await import('./slack/index.js')).slackEmulatorEntry,
  },
};
