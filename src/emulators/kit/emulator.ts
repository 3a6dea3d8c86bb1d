/**
 * The frame every emulator runs in: a Fastify app with the control routes under
 * `/_emulator` (faults, reset, request counts, settings such as page size and latency),
 * the fault hook in front of the API routes, and start/stop on a port.
 *
 * Control routes:
 *   GET    /_emulator                 settings, fault rules, request counts
 *   POST   /_emulator/faults          add a rule (body: FaultRule; `listing` for short, empty or shifting pages)
 *   DELETE /_emulator/faults          remove every rule
 *   POST   /_emulator/reset           empty the emulator's data, rules and counts
 *   PATCH  /_emulator/settings        change settings (body: partial settings)
 */
import fs from 'node:fs';
import v8 from 'node:v8';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { FaultPlan, faultRuleSchema, type FaultRule } from './faults.js';

export interface EmulatorSettings {
  /** Largest page the list endpoints return, whatever the client asks for. */
  maxPageSize: number;
  /** Delay added to every API request. */
  latencyMs: number;
}

export interface EmulatorOptions {
  /** Name shown in logs and the control route. */
  name: string;
  seed?: number;
  settings?: Partial<EmulatorSettings>;
  /** Error body for an injected fault with this status, in the API's own error shape. */
  errorBody(status: number): unknown;
  /** Empty the emulator's own data (control route `reset`). */
  reset(): void;
  /** Print Fastify's request log (off by default). */
  logger?: boolean;
  /** The emulator's data (anything v8.serialize takes: plain objects, Maps, Sets), and back: lets `persist` keep it across restarts (the demo workspace). */
  snapshot?(): unknown;
  restore?(data: unknown): void;
}

export interface Emulator {
  app: FastifyInstance;
  faults: FaultPlan;
  settings: EmulatorSettings;
  /** API requests answered, by `METHOD path-pattern`. */
  counts: Map<string, number>;
  /** Listen on a port (0: any free one); resolves to the base URL. */
  listen(opts?: { port?: number; host?: string }): Promise<string>;
  /** The base URL once listening. */
  url(): string;
  close(): Promise<void>;
  /** Add a fault from code (tests) instead of the control route. */
  inject(rule: FaultRule): void;
  /**
   * Keep the data in this file (v8 serialization): load it now if it exists, and write it after every
   * changing request (and on close). Throws when the emulator cannot snapshot.
   */
  persist(file: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createEmulator(opts: EmulatorOptions): Emulator {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 10 * 1024 * 1024 });
  const faults = new FaultPlan(opts.seed ?? 1);
  const settings: EmulatorSettings = { maxPageSize: 1000, latencyMs: 0, ...opts.settings };
  const counts = new Map<string, number>();
  let base = '';
  app.decorateRequest('listingFault', null);
  /** Requests whose answer a `dropAfter` fault swallows (the handler ran; the connection is closed instead). */
  const dropAnswer = new WeakSet<FastifyRequest>();

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!;
    if (path.startsWith('/_emulator')) return;
    const key = `${req.method} ${req.routeOptions.url ?? path}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    let delay = settings.latencyMs;
    let firing: FaultRule | null = null;
    for (const hit of faults.match(req.method, path)) {
      delay += hit.rule.latencyMs ?? 0;
      if (hit.fire && !firing) firing = hit.rule;
    }
    if (delay) await sleep(delay);
    req.listingFault = firing?.listing ?? null;
    if (firing?.dropAfter) dropAnswer.add(req);
    if (!firing || firing.listing || firing.dropAfter) return;
    if (firing.drop) {
      req.raw.socket.destroy();
      return reply.hijack();
    }
    if (firing.retryAfter !== undefined) void reply.header('retry-after', String(firing.retryAfter));
    return reply.code(firing.status!).send(firing.body ?? opts.errorBody(firing.status!));
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (!dropAnswer.has(req)) return payload;
    // The handler has done its work; the client sees the connection reset, as after a timeout.
    reply.hijack();
    req.raw.socket.destroy();
    return payload;
  });

  app.get('/_emulator', async () => ({
    name: opts.name,
    settings,
    faults: faults.list(),
    requests: Object.fromEntries(counts),
  }));
  app.post('/_emulator/faults', async (req, reply) => {
    const r = faultRuleSchema.safeParse(req.body);
    if (!r.success) return reply.code(400).send({ error: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    faults.add(r.data);
    return reply.code(201).send({ faults: faults.list() });
  });
  app.delete('/_emulator/faults', async () => {
    faults.clear();
    return { faults: [] };
  });
  app.post('/_emulator/reset', async () => {
    opts.reset();
    faults.clear();
    counts.clear();
    return { reset: true };
  });
  app.patch('/_emulator/settings', async (req, reply) => {
    const body = (req.body ?? {}) as Partial<Record<keyof EmulatorSettings, unknown>>;
    for (const [k, v] of Object.entries(body)) {
      if (!(k in settings) || typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        return reply.code(400).send({ error: `${k}: not a setting, or not a whole number ≥ 0 (settings: ${Object.keys(settings).join(', ')})` });
      }
    }
    Object.assign(settings, body);
    if (settings.maxPageSize < 1) settings.maxPageSize = 1;
    return { settings };
  });

  let persistFile: string | null = null;
  const save = (): void => {
    if (!persistFile || !opts.snapshot) return;
    const tmp = `${persistFile}.tmp`;
    fs.writeFileSync(tmp, v8.serialize(opts.snapshot()));
    fs.renameSync(tmp, persistFile);
  };
  app.addHook('onResponse', async (req) => {
    if (persistFile && req.method !== 'GET' && req.method !== 'HEAD') save();
  });
  app.addHook('onClose', async () => save());

  return {
    app,
    faults,
    settings,
    counts,
    persist(file: string) {
      if (!opts.snapshot || !opts.restore) throw new Error(`the ${opts.name} emulator cannot keep its data in a file`);
      persistFile = file;
      if (fs.existsSync(file)) opts.restore(v8.deserialize(fs.readFileSync(file)));
      else save();
    },
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      const addr = app.server.address();
      const p = typeof addr === 'object' && addr ? addr.port : port;
      base = `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
      return base;
    },
    url: () => base,
    close: () => app.close(),
    inject: (rule) => faults.add(rule),
  };
}
