/** A Slack connection's settings (bot token and signing secret sealed at rest), and what is built from them. */
import { z } from 'zod';
import type { OutboundGuard } from '../kit/outbound-policy.js';
import { fromEnv, resolved, secret } from '../kit/settings-marks.js';
import { isKnownZone } from '../kit/zone-time.js';
import { SlackApi } from './api.js';

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
    if (c.botToken === undefined && c.botTokenEnv === undefined) ctx.addIssue({ code: 'custom', path: ['botToken'], message: 'give botToken or botTokenEnv' });
    if (c.signingSecret !== undefined && c.signingSecretEnv !== undefined)
      ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'set only one of signingSecret and signingSecretEnv' });
    if (c.signingSecret === undefined && c.signingSecretEnv === undefined)
      ctx.addIssue({ code: 'custom', path: ['signingSecret'], message: 'give signingSecret or signingSecretEnv (Slack signs every command with it)' });
  });

export type SlackConfig = z.infer<typeof slackConfigSchema>;

export function slackApiOf(c: SlackConfig, o: { fetch?: typeof fetch; outbound?: OutboundGuard } = {}): SlackApi {
  return new SlackApi({ apiUrl: c.apiUrl, botToken: resolved(c.botToken, 'Slack bot token'), timeoutMs: c.timeoutMs, ...o });
}

export const slackSigningSecret = (c: SlackConfig): string => resolved(c.signingSecret, 'Slack signing secret');
