/**
 * `POST /slack/commands/<connection>`: the Request URL of a Slack app's `/tt` slash command
 * (and of its Events API, for the `url_verification` handshake). The body is read raw and
 * its `X-Slack-Signature` checked against the connection's signing secret within a
 * 5-minute window, constant-time (connectors/slack/signature.ts); a signature seen before is
 * refused as a replay. A command is answered 200 with an ephemeral message built from the
 * hub alone (app/slack-desk.ts): notices and summaries go through the job queue, so a slow
 * Slack API never holds the answer past Slack's 3 seconds.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { verifySlackRequest } from '../../../connectors/slack/signature.js';
import { slackSigningSecret, type SlackConfig } from '../../../connectors/slack/index.js';
import type { Service } from '../../../service/service.js';
import { errorBody } from '../errors.js';
import { logSampler } from '../log-sampler.js';

const NO_HOOK = 'no Slack connection at this address';
const NO_HOOK_HINT = 'check the Request URL: /slack/commands/<name of a connection of type slack>, and that it has a signingSecret';

const ephemeral = (text: string) => ({ response_type: 'ephemeral' as const, text });

export const slackRoutes =
  (svc: Service): FastifyPluginAsync =>
  async (app) => {
    const sampler = logSampler();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    app.post<{ Params: { connection: string } }>(
      '/slack/commands/:connection',
      {
        config: { public: true },
        schema: {
          tags: ['slack'],
          summary: 'Slack slash command `/tt` (start, stop, status, today, help) and the Events API url_verification handshake; signed by Slack',
          description:
            'Headers X-Slack-Request-Timestamp and X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")>; ' +
            'requests more than 5 minutes old or seen before are refused. A command is answered 200 {response_type: "ephemeral", text}.',
          params: z.object({ connection: z.string() }),
        },
      },
      async (req, reply) => {
        const receivedAt = new Date();
        const { connection } = req.params;
        const reject = (status: number, code: string, message: string, hint: string, reason: string) => {
          const sample = sampler.take();
          if (sample.log) req.log.warn({ slack: { connection: connection.slice(0, 100), code, reason }, ip: req.ip }, 'slack request refused');
          return reply.code(status).send(errorBody(code, message, hint));
        };
        let config: SlackConfig, secret: string;
        try {
          config = await svc.slack.config(connection);
          secret = slackSigningSecret(config);
        } catch {
          return reject(404, 'RESOURCE_NOT_FOUND', NO_HOOK, NO_HOOK_HINT, 'no such Slack connection, or no signing secret');
        }
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const verdict = verifySlackRequest({ headers: req.headers, body, receivedAt }, secret);
        const hint = "sign the exact body with the Slack app's signing secret and send it at once";
        if (!verdict.ok)
          return reject(
            401,
            verdict.code,
            verdict.code === 'WEBHOOK_REPLAYED' ? 'the request was refused as a replay' : 'the Slack signature is invalid',
            hint,
            verdict.reason,
          );
        const signature = String(req.headers['x-slack-signature']);
        if (!(await svc.replay.firstTime(`slack/${connection}/${signature}`, { key: signature, sentAt: verdict.sentAt }, receivedAt)))
          return reject(401, 'WEBHOOK_REPLAYED', 'the request was refused as a replay', hint, 'this signature was already accepted');

        if ((req.headers['content-type'] ?? '').includes('application/json')) {
          let event: { type?: unknown; challenge?: unknown };
          try {
            event = JSON.parse(body.toString('utf8')) as typeof event;
          } catch {
            return reject(400, 'REQUEST_INVALID', 'the body is not JSON', 'send the Events API envelope as JSON', 'bad JSON');
          }
          if (event.type === 'url_verification' && typeof event.challenge === 'string') return reply.code(200).type('text/plain').send(event.challenge);
          // Events the hub does not use are acknowledged, so Slack does not retry them.
          return reply.code(200).send({ ok: true });
        }
        const form = new URLSearchParams(body.toString('utf8'));
        const userId = form.get('user_id') ?? '';
        if (!userId) return reply.code(200).send(ephemeral('Slack sent no user_id with the command; nothing was done.'));
        try {
          const text = await svc.slack.desk.answer({ connection, userId, text: form.get('text') ?? '' }, config);
          return reply.code(200).send(ephemeral(text));
        } catch (err) {
          req.log.error({ err: String(err), connection }, 'slash command failed');
          return reply.code(200).send(ephemeral('Timebridge could not run that command (an internal error, logged for the admin). Try again in a moment.'));
        }
      },
    );
  };
