/**
 * `POST /chat/<connector type>/<connection>`: the Request URL of a chat app's `/tt` slash
 * command (Slack), and of its Events API for the `url_verification` handshake. The body is
 * read raw and checked by the type's registry entry (`chat.verify`: Slack's
 * `X-Slack-Signature` on the raw body, constant-time, 5-minute window); a request seen before
 * is refused as a replay (the hub store remembers accepted ones). A command is answered 200
 * with an ephemeral message built from the hub alone (app/chat-desk.ts): notices and
 * summaries go through the job queue, so a slow chat API never holds the answer past
 * Slack's 3 seconds.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CONNECTORS } from '../../../connectors/registry.js';
import type { ChatEndpoint } from '../../../app/chat.js';
import type { Service } from '../../../service/service.js';
import { errorBody } from '../errors.js';
import { logSampler } from '../log-sampler.js';

// One answer for every address that takes no commands, so the URL tells an outsider nothing about which connections exist.
const NO_CHAT = 'no chat connection at this address';
const NO_CHAT_HINT = 'check the Request URL: /chat/<connector type>/<connection name> (e.g. /chat/slack/team), and that the connection has its signing secret';

export const chatRoutes =
  (svc: Service): FastifyPluginAsync =>
  async (app) => {
    const sampler = logSampler();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_req, body, done) => done(null, body));

    app.post<{ Params: { type: string; connection: string } }>(
      '/chat/:type/:connection',
      {
        config: { public: true },
        schema: {
          tags: ['chat'],
          summary: 'A signed chat command (Slack `/tt start|stop|status|today|help`) or handshake; answered 200 with an ephemeral message',
          description: Object.entries(CONNECTORS)
            .flatMap(([t, e]) => (e.chat ? [`${t}: ${e.chat.describe}.`] : []))
            .join('\n\n'),
          params: z.object({ type: z.string(), connection: z.string() }),
        },
      },
      async (req, reply) => {
        const receivedAt = new Date();
        const { type, connection } = req.params;
        const reject = (status: number, code: string, message: string, hint: string, reason: string) => {
          const sample = sampler.take();
          if (sample.log)
            req.log.warn({ chat: { type: type.slice(0, 50), connection: connection.slice(0, 100), code, reason }, ip: req.ip }, 'chat request refused');
          return reply.code(status).send(errorBody(code, message, hint));
        };
        let conn: ChatEndpoint;
        try {
          conn = await svc.chat.connection(type, connection);
        } catch {
          return reject(404, 'RESOURCE_NOT_FOUND', NO_CHAT, NO_CHAT_HINT, 'no such chat connection');
        }
        const request = { headers: req.headers, body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), receivedAt };
        const hint = "sign the exact body with the app's signing secret and send it at once";
        let verdict;
        try {
          verdict = conn.support.verify(request, conn.config);
        } catch {
          return reject(404, 'RESOURCE_NOT_FOUND', NO_CHAT, NO_CHAT_HINT, 'the connection has no signing secret');
        }
        if (!verdict.ok)
          return reject(
            401,
            verdict.code,
            verdict.code === 'WEBHOOK_REPLAYED' ? 'the request was refused as a replay' : 'the signature is invalid',
            hint,
            verdict.reason,
          );
        if (!(await svc.replay.firstTime(`chat/${type}/${connection}/${verdict.key}`, { key: verdict.key, sentAt: verdict.sentAt }, receivedAt)))
          return reject(401, 'WEBHOOK_REPLAYED', 'the request was refused as a replay', hint, 'this signature was already accepted');

        const asked = conn.support.parse(request);
        if (asked.kind === 'handshake') return reply.code(200).type(asked.reply.contentType).send(asked.reply.body);
        // Events the hub does not use are acknowledged, so the sender does not retry them.
        if (asked.kind === 'ignored') return reply.code(200).send({ ok: true });
        if (asked.kind === 'invalid')
          return reject(
            400,
            'REQUEST_INVALID',
            `the request was not understood: ${asked.reason}`,
            'send a slash command form or an Events API JSON body',
            asked.reason,
          );
        let text: string;
        try {
          text = await svc.chat.desk.answer({ connection, userId: asked.userId, text: asked.text }, conn);
        } catch (err) {
          req.log.error({ err: String(err), connection }, 'chat command failed');
          text = 'Timebridge could not run that command (an internal error, logged for the admin). Try again in a moment.';
        }
        const answer = conn.support.answer(text);
        return reply.code(200).type(answer.contentType).send(answer.body);
      },
    );
  };
