/**
 * `POST /webhooks/<connector type>/<connection>`: the signed receivers. The body is read
 * raw (the signature covers the exact bytes), verified, and answered 202 at once; the
 * runs follow after the grace period. A refused delivery is logged without its body.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Service } from '../../../service/service.js';
import { googleCalendarReceiver } from '../../../connectors/google-calendar/push.js';
import { signedReceiver, type WebhookReceiver } from '../../../service/webhooks.js';
import { errorBody } from '../errors.js';

/** Receivers by connector type; types without their own scheme use the generic signed one. */
const RECEIVERS: Record<string, WebhookReceiver> = { 'google-calendar': googleCalendarReceiver };
export const receiverFor = (type: string): WebhookReceiver => RECEIVERS[type] ?? signedReceiver;

export const webhookRoutes = (svc: Service): FastifyPluginAsync => async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

  app.post<{ Params: { type: string; connection: string } }>('/webhooks/:type/:connection', {
    config: { public: true },
    schema: {
      tags: ['webhooks'], summary: 'Signed change notification for a connection; answered 202, the runs follow after the grace period',
      description: `Generic scheme: ${signedReceiver.describe}.`,
      params: z.object({ type: z.string(), connection: z.string() }),
    },
  }, async (req, reply) => {
    const receivedAt = new Date();
    const started = performance.now();
    const { type, connection } = req.params;
    const reject = (status: number, code: string, message: string, hint: string, reason?: string) => {
      req.log.warn({ webhook: { type, connection, code, reason: reason ?? message }, ip: req.ip }, 'webhook refused');
      svc.metrics.webhook(type, 'rejected', (performance.now() - started) / 1000);
      return reply.code(status).send(errorBody(code, message, hint));
    };
    let conn;
    try {
      conn = await svc.catalog.connectionSettings(connection);
    } catch {
      return reject(404, 'RESOURCE_NOT_FOUND', `no connection ${connection} takes webhooks`, 'check the URL: /webhooks/<connector type>/<connection name>');
    }
    const secret = conn.common.webhook?.secret;
    if (conn.type !== type || !secret) {
      return reject(404, 'RESOURCE_NOT_FOUND', `no connection ${connection} of type ${type} takes webhooks`, 'give the connection a webhook secret (webhook.secret or webhook.secretEnv) and use its type in the URL');
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const verdict = receiverFor(type).verify({ headers: req.headers, body, receivedAt }, secret, svc.replay);
    if (!verdict.ok) {
      return reject(401, verdict.code, verdict.code === 'WEBHOOK_REPLAYED' ? 'the delivery was refused as a replay' : 'the webhook signature is invalid', 'sign the exact body with the connection\'s webhook secret and send it at once', verdict.reason);
    }
    const links = (await svc.catalog.listLinks()).filter((l) => l.enabled && l.config.connection === connection && (!verdict.links || verdict.links.includes(l.name)));
    const jobs = [];
    for (const l of links) jobs.push({ link: l.name, ...(await svc.notifyWebhook(l.name, receivedAt)) });
    svc.metrics.webhook(type, 'accepted', (performance.now() - started) / 1000);
    return reply.code(202).send({ accepted: true, runs: jobs });
  });
};
