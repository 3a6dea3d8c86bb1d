/**
 * Registry entry of the example "notes" connector: its settings with their marks, how it is
 * built, its mapper, webhook receiver and OAuth flow. Built only from connectors/kit and
 * core; the test registers it with one line, `CONNECTORS['notes-example'] = notesEntry`.
 */
import { z } from 'zod';
import type { ConnectorEntry } from '../../../../src/connectors/kit/entry.js';
import { createHttpClient } from '../../../../src/connectors/kit/http-client.js';
import { accountKey, clientOptions, withBudget } from '../../../../src/connectors/kit/http-setup.js';
import { fixedMapper } from '../../../../src/connectors/kit/mapper.js';
import { fromEnv, secret } from '../../../../src/connectors/kit/settings-marks.js';
import { TimebridgeError } from '../../../../src/core/errors.js';
import { notesManifest } from './manifest.js';
import { createNoteConnector } from './note-connector.js';
import { noteTaskMapper } from './note-mapper.js';
import { notesOAuth } from './oauth.js';
import type { NoteItem } from './types.js';
import { notesReceiver } from './webhook.js';

const configSchema = z
  .object({
    baseUrl: z.string().regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address'),
    /** The marks are the whole secret story: sealed at rest, never shown, env reads for admins only. */
    apiToken: secret(z.string().min(8)).optional().describe('API token (sealed at rest when set through the API)'),
    apiTokenEnv: fromEnv('apiToken', 'NOTES_TOKEN').optional().describe('environment variable holding the API token (timebridge.yaml and admins only)'),
    oauth: z
      .object({
        clientId: z.string().min(1),
        clientSecret: secret(z.string().min(1)),
        /** Set by the connect flow, sealed in the store; absent: not connected yet. */
        refreshToken: secret(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    pageSize: z.number().int().min(1).max(100).default(50).describe('notes per list page'),
  })
  .strict()
  .refine((c) => [c.apiToken, c.apiTokenEnv, c.oauth].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of apiToken, apiTokenEnv and oauth',
  });

export type NotesConfig = z.infer<typeof configSchema>;

export const notesEntry: ConnectorEntry<NotesConfig, NoteItem> = {
  manifest: notesManifest,
  configSchema,
  async create(config, env) {
    const http = withBudget(env.http);
    const outbound = env.outbound ? { outbound: env.outbound } : {};
    const token = config.apiToken ?? (await accessToken(config, outbound));
    const client = createHttpClient({
      baseUrl: config.baseUrl,
      auth: { type: 'bearer', token },
      ...outbound,
      ...clientOptions(http, { key: accountKey(config.baseUrl, token), published: notesManifest.rateLimit ?? null }),
    });
    return createNoteConnector(client, config.pageSize);
  },
  mappers: { 'note-task': fixedMapper('note', noteTaskMapper) },
  webhook: notesReceiver,
  oauth: notesOAuth,
};

/** An access token for the connected account (the refresh grant); OAUTH_REQUIRED before the connect flow ran. */
async function accessToken(config: NotesConfig, outbound: Pick<Parameters<typeof createHttpClient>[0], 'outbound'>): Promise<string> {
  const refreshToken = config.oauth?.refreshToken;
  if (!config.oauth || !refreshToken) {
    throw new TimebridgeError('OAUTH_REQUIRED', 'The notes account is not connected yet.', {
      hint: 'open GET /api/v1/connections/<name>/oauth/start and allow access',
    });
  }
  const c = notesOAuth.client(config);
  const http = createHttpClient({ baseUrl: config.baseUrl, ...outbound });
  const form = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: c.clientId, client_secret: c.clientSecret };
  const res = await http.request({
    method: 'POST',
    path: c.tokenUrl,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return res.json<{ access_token: string }>().access_token;
}
