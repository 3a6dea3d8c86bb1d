/**
 * A Slack connection's settings (bot token, signing secret and a connected person's user
 * token sealed at rest), and what is built from them. A connection with `oauth` is one a
 * person connects their own Slack account through (the connect flow records their Slack id);
 * it needs no bot token or signing secret unless it also serves `/tt` and notices.
 */
import { z } from 'zod';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';
import { isKnownZone } from '../kit/zone-time.js';
import { SlackApi } from './api.js';

export const SLACK_AUTH_URL = 'https://slack.com/oauth/v2/authorize';

/** The Slack app (api.slack.com/apps → Basic Information → App Credentials) a person connects their account through. */
const slackOAuthSchema = z
  .object({
    clientId: z.string().min(1).describe("the app's Client ID"),
    clientSecret: secret(z.string().min(1)).optional().describe("the app's Client Secret; sealed at rest"),
    clientSecretEnv: fromEnv('clientSecret', 'SLACK_CLIENT_SECRET').optional(),
    userScopes: z.array(z.string().min(1)).default(['users:read']).describe('user token scopes asked for (user_scope)'),
    authUrl: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address')
      .default(SLACK_AUTH_URL)
      .describe("the consent page (the emulator's http://127.0.0.1:<port>/oauth/v2/authorize in tests)"),
  })
  .strict()
  .refine((a) => (a.clientSecret === undefined) !== (a.clientSecretEnv === undefined), {
    message: 'set exactly one of clientSecret and clientSecretEnv',
    path: ['clientSecret'],
  });

export const slackConfigSchema = z
  .object({
    apiUrl: z
      .string()
      .regex(/^https?:\/\/[^/]+/i, 'a full http:// or https:// address')
      .default('https://slack.com/api/')
      .describe("Slack's Web API base (the emulator's http://127.0.0.1:<port>/api/ in tests and the demo)"),
    botToken: secret(z.string().regex(/^xox[bp]-/, 'a bot token starting with xoxb-'))
      .optional()
      .describe('the app\'s bot token (OAuth & Permissions → "Bot User OAuth Token"); sealed at rest'),
    botTokenEnv: fromEnv('botToken', 'SLACK_BOT_TOKEN').optional(),
    signingSecret: secret(z.string().min(8)).optional().describe('the app\'s signing secret (Basic Information → "Signing Secret"); sealed at rest'),
    signingSecretEnv: fromEnv('signingSecret', 'SLACK_SIGNING_SECRET').optional(),
    oauth: slackOAuthSchema.optional().describe('lets a person connect their Slack account: GET /api/v1/connections/{name}/oauth/start'),
    userToken: secret(z.string().regex(/^xoxp-/, 'a user token starting with xoxp-'))
      .optional()
      .describe("the connected person's user token, written by the connect flow; sealed at rest"),
    scope: z.string().min(1).describe('the hub scope whose persons, projects, tasks and timers `/tt` works on'),
    noticeChannel: z
      .string()
      .regex(/^[CG][A-Z0-9]+$/, 'a channel id such as C0123ABCD (channel details → About)')
      .optional()
      .describe('where timer starts and stops are announced; none: no notices'),
    dailySummary: z
      .object({
        enabled: z.boolean().default(false),
        at: z
          .string()
          .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'is not a time HH:MM such as 18:00')
          .default('18:00')
          .describe("a person's extras.slackSummaryAt overrides it"),
      })
      .strict()
      .default({ enabled: false, at: '18:00' }),
    timeZone: z.string().refine(isKnownZone, 'is not an IANA time zone such as Europe/Berlin').default('UTC').describe('for persons without a time zone'),
    timeoutMs: z.number().int().min(1000).default(10_000),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.botToken !== undefined && c.botTokenEnv !== undefined)
      ctx.addIssue({ code: 'custom', path: ['botToken'], message: 'set only one of botToken and botTokenEnv' });
    if (c.signingSecret !== undefined && c.signingSecretEnv !== undefined)
      ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'set only one of signingSecret and signingSecretEnv' });
    // A connection only for people's own accounts (oauth) needs no bot.
    if (c.oauth !== undefined) return;
    if (c.botToken === undefined && c.botTokenEnv === undefined) ctx.addIssue({ code: 'custom', path: ['botToken'], message: 'give botToken or botTokenEnv' });
    if (c.signingSecret === undefined && c.signingSecretEnv === undefined)
      ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'give signingSecret or signingSecretEnv (Slack signs every command with it)' });
  });

export type SlackConfig = z.infer<typeof slackConfigSchema>;

export function slackApiOf(c: SlackConfig, o: { fetch?: typeof fetch; outbound?: OutboundGuard } = {}): SlackApi {
  return new SlackApi({ apiUrl: c.apiUrl, botToken: resolved(c.botToken, 'Slack bot token'), timeoutMs: c.timeoutMs, ...o });
}

export const slackSigningSecret = (c: SlackConfig): string => resolved(c.signingSecret, 'Slack signing secret');
