/**
 * The HTTP interface of `timebridge serve`: Fastify with zod schemas for validation and
 * the OpenAPI document (`/openapi.json`, browsable at `/docs`), token auth on every
 * route but health, readiness, the reference and the signed webhook receivers, and one
 * error shape for every failure.
 */
import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Service } from '../../service/service.js';
import { authenticator } from './auth.js';
import { errorBody, sendError } from './errors.js';
import { logSampler } from './log-sampler.js';
import { activityRoutes } from './routes/activity.js';
import { connectionRoutes } from './routes/connections.js';
import { connectorRoutePlugin, connectorRoutes } from './routes/connector-routes.js';
import { oauthRoutes } from './routes/oauth.js';
import { recordRoutes } from './routes/records.js';
import { linkRoutes } from './routes/links.js';
import { templateRoutes } from './routes/templates.js';
import { scopeRoutes } from './routes/scopes.js';
import { reservationRoutes } from './routes/reservations.js';
import { timekeepingRoutes } from './routes/timekeeping.js';
import { bookingRoutes } from './routes/booking.js';
import { systemRoutes, tokenRoutes } from './routes/system.js';
import { webhookRoutes } from './routes/webhooks.js';
import { chatRoutes } from './routes/chat.js';
import { dashboardApiRoutes } from '../web/api-routes.js';
import { WebSessions } from '../web/sessions.js';
import { webRoutes } from '../web/web-routes.js';

export const API_PREFIX = '/api/v1';

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_URI_TOO_LONG: [414, 'the URL is too long'],
  HPE_HEADER_OVERFLOW: [431, 'the request headers are too large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request took too long to arrive'],
};

/** Node's parser refused the request before Fastify saw it; answer in the API's error shape when the socket still takes it. */
function clientError(err: NodeJS.ErrnoException, socket: import('node:net').Socket): void {
  if (!socket.writable) return void socket.destroy();
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'the request could not be parsed'];
  const body = JSON.stringify(errorBody('REQUEST_INVALID', message, 'check the request against the API reference at /docs'));
  socket.end(
    `HTTP/1.1 ${status} ${status === 414 ? 'URI Too Long' : status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export interface ServerState {
  stopping: boolean;
}

/** A route as registered (HEAD twins left out): what the authorization test matrix walks. */
export interface RouteEntry {
  method: string;
  url: string;
  public: boolean;
}

export async function buildServer(svc: Service, version: string): Promise<{ app: FastifyInstance; state: ServerState; routes: RouteEntry[] }> {
  const state: ServerState = { stopping: false };
  const routes: RouteEntry[] = [];
  const app = Fastify({
    loggerInstance: svc.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ajv: { customOptions: { coerceTypes: false } },
    // Fastify's own refusals (a malformed URL, an unsupported media type…) get our error shape too.
    frameworkErrors: (err, req, reply) => {
      sendError(reply, err, req as never);
    },
    // Refused before routing (URI too long, bad headers): answered on the socket in our shape.
    clientErrorHandler: clientError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler((err, req, reply) => sendError(reply, err, req));
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody('RESOURCE_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`, 'see the API reference at /docs')),
  );
  app.decorateRequest('caller', null);
  // Dashboard sessions live in this process; the cookie secret too (a restart signs everyone out).
  const sessions = new WebSessions();
  await app.register(fastifyCookie, { secret: randomBytes(32).toString('hex') });
  app.addHook('onRequest', authenticator(svc.store, svc.clock, sessions));
  // Requests that fail are logged (without bodies or headers), sampled: anyone can send refused requests at any rate.
  const refusals = logSampler(5, 50);
  app.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode < 400 || req.url.startsWith('/webhooks/')) return;
    const sample = refusals.take();
    if (sample.log)
      req.log.info(
        {
          method: req.method,
          url: req.url.split('?')[0]!.slice(0, 200),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          ...(sample.suppressed ? { suppressed: sample.suppressed } : {}),
        },
        'request refused',
      );
  });

  // The reference pages are public: they describe the API, never its data.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...(route.config as object), public: true };
    // Public routes say so in the OpenAPI document: no token.
    const isPublic = (route.config as { public?: boolean } | undefined)?.public === true;
    if (isPublic && route.schema) route.schema = { ...route.schema, security: [] };
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, public: isPublic });
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Timebridge API',
        version,
        description:
          'Sync hub for calendars, work logs and timesheets. Send `Authorization: Bearer <token>` (create one with `timebridge token create`). Errors are `{ error: { code, message, hint } }`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list' }, uiHooks: {}, staticCSP: true });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  await app.register(systemRoutes(svc, state));
  await app.register(tokenRoutes(svc), { prefix: API_PREFIX });
  await app.register(connectionRoutes(svc), { prefix: API_PREFIX });
  await app.register(linkRoutes(svc), { prefix: API_PREFIX });
  await app.register(templateRoutes(svc), { prefix: API_PREFIX });
  await app.register(activityRoutes(svc), { prefix: API_PREFIX });
  await app.register(scopeRoutes(svc), { prefix: API_PREFIX });
  await app.register(timekeepingRoutes(svc), { prefix: API_PREFIX });
  await app.register(recordRoutes(svc), { prefix: API_PREFIX });
  await app.register(bookingRoutes(svc), { prefix: API_PREFIX });
  await app.register(reservationRoutes(svc), { prefix: API_PREFIX });
  await app.register(webhookRoutes(svc));
  await app.register(chatRoutes(svc));
  // Routes connectors offer (the Kimai sync service's drop-in endpoints), each under its entry's prefix.
  for (const [type, decl] of connectorRoutes()) await app.register(connectorRoutePlugin(svc, type, decl), decl.prefix === '/' ? {} : { prefix: decl.prefix });
  await app.register(oauthRoutes(svc, API_PREFIX));
  await app.register(dashboardApiRoutes(svc), { prefix: API_PREFIX });
  // The dashboard: pages at /, its assets, and the session routes.
  await app.register(webRoutes(svc, sessions, API_PREFIX));
  await app.ready();
  return { app: app as unknown as FastifyInstance, state, routes };
}
