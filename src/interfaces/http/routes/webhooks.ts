/**
 * `POST /webhooks/<connector type>/<connection>`: the signed receivers. The body is read
 * raw (the signature covers the exact bytes), verified, checked against the replay memory
 * in the hub store, and answered 202 at once; the runs follow after the grace period. A
 * handshake the receiver recognises is answered 200 with the receiver's reply and runs
 * nothing. A refused delivery is logged without its body.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { Service } from '../../../service/service.js';
import { signedReceiver, type WebhookReceiver } from '../../../connectors/kit/webhooks.js';
import { errorBody } from '../errors.js';
import { logSampler } from '../log-sampler.js';
import { CONNECTORS } from '../../../connectors/registry.js';

// One answer for every connection that takes no webhooks here, so the URL tells an outsider nothing about which exist.
const NO_HOOK = 'no connection at this address takes webhooks';
const NO_HOOK_HINT = 'check the URL: /webhooks/<connector type>/<connection name>, and that the connection has a webhook secret';

/** A connector type's receiver is its registry entry's; types without their own scheme use the generic signed one. */
export const receiverFor = (type: string): WebhookReceiver => CONNECTORS[type]?.webhook ?? signedReceiver;

export const webhookRoutes =
  (svc: Service): FastifyPluginAsync =>
  async (app) => {
    // Anyone can send refused deliveries at any rate: their log lines are sampled, their count is in /metrics.
    const sampler = logSampler();
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));

    app.post<{ Params: { type: string; connection: string } }>(
      '/webhooks/:type/:connection',
      {
        config: { public: true },
        schema: {
          tags: ['webhooks'],
          summary: 'Signed change notification for a connection; answered 202, the runs follow after the grace period (a handshake: 200 with its answer)',
          // Read when the server is built, so every registered connector's own scheme is in the API reference.
          description: [
            `Generic scheme: ${signedReceiver.describe}.`,
            ...Object.entries(CONNECTORS).flatMap(([t, e]) => (e.webhook ? [`${t}: ${e.webhook.describe}.`] : [])),
          ].join('\n\n'),
          params: z.object({ type: z.string(), connection: z.string() }),
        },
      },
      async (req, reply) => {
        const receivedAt = new Date();
        const started = performance.now();
        const { type, connection } = req.params;
        // Metric labels only ever take known connector types (the URL is the caller's).
        const label = CONNECTORS[type] ? type : 'unknown';
        const reject = (status: number, code: string, message: string, hint: string, reason?: string) => {
          const sample = sampler.take();
          if (sample.log) {
            req.log.warn(
              {
                webhook: { type: label, connection: connection.slice(0, 100), code, reason: reason ?? message },
                ip: req.ip,
                ...(sample.suppressed ? { suppressed: sample.suppressed } : {}),
              },
              'webhook refused',
            );
          }
          svc.metrics.webhookRefused(label, code, sample.log);
          svc.metrics.webhook(label, 'rejected', (performance.now() - started) / 1000);
          return reply.code(status).send(errorBody(code, message, hint));
        };
        let conn;
        try {
          conn = await svc.catalog.connectionSettings(connection);
        } catch {
          return reject(404, 'RESOURCE_NOT_FOUND', NO_HOOK, NO_HOOK_HINT, 'no such connection');
        }
        const secret = conn.common.webhook?.secret;
        if (conn.type !== type || !secret) {
          return reject(404, 'RESOURCE_NOT_FOUND', NO_HOOK, NO_HOOK_HINT, conn.type !== type ? 'another connector type' : 'no webhook secret');
        }
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const refuse = (code: 'WEBHOOK_SIGNATURE_INVALID' | 'WEBHOOK_REPLAYED', reason: string) =>
          reject(
            401,
            code,
            code === 'WEBHOOK_REPLAYED' ? 'the delivery was refused as a replay' : 'the webhook signature is invalid',
            "sign the exact body with the connection's webhook secret and send it at once",
            reason,
          );
        const verdict = await receiverFor(type).verify({ headers: req.headers, body, receivedAt }, secret);
        if (!verdict.ok) return refuse(verdict.code, verdict.reason);
        // Keyed by receiver too: one signature made with a secret two connections share is two deliveries.
        if (!(await svc.replay.firstTime(`${type}/${connection}/${verdict.delivery.key}`, verdict.delivery, receivedAt))) {
          // The sender's own redelivery of what was done already: 200, so it does not show as failed; nothing runs again.
          if (verdict.delivery.repeatIsRedelivery) {
            svc.metrics.webhook(label, 'accepted', (performance.now() - started) / 1000);
            return reply.code(200).send({ accepted: false, duplicate: true, delivery: verdict.delivery.key });
          }
          return refuse('WEBHOOK_REPLAYED', `delivery ${verdict.delivery.key} was already accepted`);
        }
        // A handshake (a signed challenge, a ping) is answered by the receiver itself, at once, and runs nothing.
        if (verdict.reply) {
          svc.metrics.webhook(label, 'accepted', (performance.now() - started) / 1000);
          return reply.code(200).type(verdict.reply.contentType).send(verdict.reply.body);
        }
        const links = (await svc.catalog.listLinks()).filter(
          (l) => l.enabled && l.config.connection === connection && (!verdict.links || verdict.links.includes(l.name)),
        );
        const jobs = [];
        for (const l of links) jobs.push({ link: l.name, ...(await svc.notifyWebhook(l.name, receivedAt)) });
        const timers = verdict.cues?.length ? await svc.timerCues.receive(svc.queue, connection, verdict.delivery.key, verdict.cues) : [];
        svc.metrics.webhook(label, 'accepted', (performance.now() - started) / 1000);
        return reply.code(202).send({ accepted: true, runs: jobs, ...(timers.length ? { timers } : {}) });
      },
    );
  };
