/** Capabilities of the Slack connector: it syncs no records (no link kinds); it talks to people (commands, notices, summaries). */
import type { Manifest } from '../kit/connector.js';

export const slackManifest: Manifest = {
  type: 'slack',
  kinds: [],
  incremental: 'full-listing-etags',
  etags: false,
  webhooks: true,
  // Notices carry no key Slack keeps; the outbox marks each one sent in the hub store instead.
  idempotency: 'natural-key',
  batchSize: 1,
  // chat.postMessage: about one message a second per channel (short bursts are fine).
  rateLimit: { requests: 1, perSeconds: 1 },
};
