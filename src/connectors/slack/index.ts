/**
 * Registry entry of the Slack connector. A Slack connection syncs no records (it takes no
 * links): it lets people run their hub timers with `/tt` (the receiver at
 * `POST /chat/slack/{connection}`, interfaces/http/routes/chat.ts), announces timer
 * starts and stops in a channel, and sends each person a daily summary at their local time
 * (app/chat-desk.ts, app/chat-outbox.ts). The bot token and the signing secret are sealed at rest.
 * A person connects their own Slack account through the connect flow (oauth-flow.ts): it
 * records their Slack id on their person.
 */
import type { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import type { ConnectorEntry } from '../kit/entry.js';
import { slackManifest } from './manifest.js';
import { slackChat } from './chat.js';
import { slackOAuth } from './oauth-flow.js';
import { slackConfigSchema, type SlackConfig } from './settings.js';

export { slackConfigSchema, type SlackConfig } from './settings.js';

export const slackEntry: ConnectorEntry<SlackConfig, never> = {
  manifest: slackManifest,
  configSchema: slackConfigSchema as unknown as z.ZodType<SlackConfig>,
  create: () => {
    throw new TimebridgeError('CONFIG_INVALID', 'a Slack connection takes no links: it syncs no records', {
      hint: "remove the link; point the Slack app's slash command at /chat/slack/<connection> and set noticeChannel for notices",
    });
  },
  mappers: {},
  chat: slackChat,
  oauth: slackOAuth,
};
