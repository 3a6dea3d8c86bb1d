/**
 * The Advoware emulator (`timebridge emulate advoware`), faithful to api-contracts-more §1:
 * base URL discovery (`/AdvonetConfigurator/api/Url`), the security gateway's signed token
 * request (advoware-gateway.ts), bearer tokens of a short, settable lifetime (an expired one
 * is 401), employees and their appointments (advoware-termine.ts). Faults (errors, 429,
 * dropped connections, short or empty listings) come from the emulator kit.
 *
 * Control routes besides the kit's:
 *   GET    /_emulator/advoware                   gateway settings, live tokens, employees
 *   PATCH  /_emulator/advoware                   { tokenLifetimeSec?, maxSkewSec? }
 *   POST   /_emulator/advoware/expire-tokens     every token handed out expires now
 *   POST   /_emulator/advoware/employees         add an employee { kuerzel, name?, email? }
 *   DELETE /_emulator/advoware/employees/:k      remove one (their appointments stay)
 *   POST   /_emulator/advoware/termine           add an appointment by hand (a negative frNr: a special entry)
 *   PATCH  /_emulator/advoware/termine/:frNr     edit one by hand (any field, special entries too)
 *   DELETE /_emulator/advoware/termine/:frNr     delete one by hand
 */
import { createEmulator, type Emulator } from '../kit/emulator.js';
import type { EmulatorEntry } from '../registry.js';
import { DEMO_API_KEY, DEMO_APP_ID, DEMO_LOGIN, demoData, emptyData, type AdvowareData } from './advoware-data.js';
import { gatewayRoutes, tokenValid, type GatewaySettings } from './advoware-gateway.js';
import { BadInput, MITARBEITER_PATH, TERMINE_PATH, stampAt, storedTermin, termineRoutes } from './advoware-termine.js';

export interface AdvowareEmulatorOptions {
  seed?: number;
  /** Three employees with a few appointments each. */
  demo?: boolean;
  /** Server clock in ms (tests move it); default Date.now. */
  now?: () => number;
  gateway?: Partial<GatewaySettings>;
}

export interface AdvowareEmulator extends Emulator {
  data(): AdvowareData;
  gateway: GatewaySettings;
}

export function createAdvowareEmulator(opts: AdvowareEmulatorOptions = {}): AdvowareEmulator {
  const now = opts.now ?? Date.now;
  let data = opts.demo ? demoData(new Date(now())) : emptyData();
  const gateway: GatewaySettings = { tokenLifetimeSec: 3300, maxSkewSec: 300, ...opts.gateway };
  const emulator = createEmulator({
    name: 'advoware',
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    errorBody: (status) => ({ Message: status === 429 ? 'Zu viele Anfragen.' : status >= 500 ? 'Ein Fehler ist aufgetreten.' : `Fehler ${status}.` }),
    reset: () => {
      data = emptyData();
    },
    snapshot: () => data,
    restore: (d) => {
      data = d as AdvowareData;
    },
  });
  const app = emulator.app;
  const get = () => data;

  app.get('/AdvonetConfigurator/api/Url', async (req, reply) => {
    const k = (req.query as Record<string, string | undefined>)['Kanzlei'] ?? '';
    if (k !== data.login.kanzlei) return reply.code(404).send({ Message: `Die Kanzlei ${k} ist nicht registriert.` });
    const base = `${emulator.url()}/`;
    return { relayUrl: base, connectorUrl: null, securityGateway: base };
  });
  app.addHook('preHandler', async (req, reply) => {
    if (!req.url.startsWith('/api/v1/advonet/')) return undefined;
    if (tokenValid(data, req.headers.authorization, now())) return undefined;
    return reply.code(401).send({ Message: 'Authorization has been denied for this request.' });
  });
  gatewayRoutes(app, get, gateway, now);
  termineRoutes(app, get, now);

  app.get('/_emulator/advoware', async () => ({
    gateway,
    liveTokens: [...data.tokens.values()].filter((e) => e > now()).length,
    employees: data.employees,
    termine: data.termine.size,
  }));
  app.patch('/_emulator/advoware', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    for (const [k, v] of Object.entries(body)) {
      if (!(k in gateway) || typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        return reply.code(400).send({ error: `${k}: not a gateway setting, or not a whole number ≥ 1 (settings: tokenLifetimeSec, maxSkewSec)` });
      }
    }
    Object.assign(gateway, body);
    return { gateway };
  });
  app.post('/_emulator/advoware/expire-tokens', async () => {
    const n = data.tokens.size;
    data.tokens.clear();
    return { expired: n };
  });
  app.post('/_emulator/advoware/employees', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const k = typeof b['kuerzel'] === 'string' ? b['kuerzel'].trim() : '';
    if (!k) return reply.code(400).send({ error: 'kuerzel: required, the employee code (e.g. MUE)' });
    if (data.employees.some((e) => e.kuerzel.toUpperCase() === k.toUpperCase())) return reply.code(409).send({ error: `kuerzel: ${k} exists already` });
    const e = {
      kuerzel: k,
      name: typeof b['name'] === 'string' ? b['name'] : k,
      email: typeof b['email'] === 'string' ? b['email'] : null,
      aktiv: b['aktiv'] !== false,
    };
    data.employees.push(e);
    return reply.code(201).send(e);
  });
  app.delete('/_emulator/advoware/employees/:k', async (req, reply) => {
    const k = (req.params as { k: string }).k.toUpperCase();
    const before = data.employees.length;
    data.employees = data.employees.filter((e) => e.kuerzel.toUpperCase() !== k);
    if (data.employees.length === before) return reply.code(404).send({ error: `no employee ${k}` });
    return reply.code(204).send();
  });
  app.post('/_emulator/advoware/termine', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const wanted = typeof b['frNr'] === 'number' && Number.isInteger(b['frNr']) && b['frNr'] !== 0 ? b['frNr'] : null;
    if (wanted !== null && data.termine.has(wanted)) return reply.code(409).send({ error: `frNr: ${wanted} exists already` });
    try {
      const t = storedTermin(b, null, wanted ?? data.nextFrNr, stampAt(now()));
      if (wanted === null) data.nextFrNr++;
      data.termine.set(t.frNr, t);
      return reply.code(201).send(t);
    } catch (err) {
      if (err instanceof BadInput) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });
  app.patch('/_emulator/advoware/termine/:n', async (req, reply) => {
    const n = Number((req.params as { n: string }).n);
    const prev = data.termine.get(n);
    if (!prev) return reply.code(404).send({ error: `no appointment ${n}` });
    try {
      const t = storedTermin((req.body ?? {}) as Record<string, unknown>, prev, n, stampAt(now()));
      data.termine.set(n, t);
      return t;
    } catch (err) {
      if (err instanceof BadInput) return reply.code(400).send({ error: err.message });
      throw err;
    }
  });
  app.delete('/_emulator/advoware/termine/:n', async (req, reply) => {
    const n = Number((req.params as { n: string }).n);
    if (!data.termine.delete(n)) return reply.code(404).send({ error: `no appointment ${n}` });
    return reply.code(204).send();
  });

  return Object.assign(emulator, { data: () => data, gateway });
}

export const advowareEmulatorEntry: EmulatorEntry = {
  create: ({ seed, demo }) => createAdvowareEmulator({ seed, demo }),
  usage: (url) =>
    [
      `Advoware: discovery ${url}/AdvonetConfigurator/api/Url?Kanzlei=${DEMO_LOGIN.kanzlei}, gateway ${url}/api/v1/Token,`,
      `  appointments ${url}${TERMINE_PATH}, employees ${url}${MITARBEITER_PATH}`,
      'timebridge.yaml (under connections:):',
      ...connectionLines(url, 'advoware'),
    ].join('\n'),
};

/** A timebridge.yaml connection named `name` on this emulator at `url`, as lines under `connections:`. */
export function connectionLines(url: string, name: string): string[] {
  return [
    `  ${name}:`,
    '    type: advoware',
    `    url: ${url}/`,
    `    appId: ${DEMO_APP_ID}`,
    `    apiKey: ${DEMO_API_KEY}`,
    `    kanzlei: ${DEMO_LOGIN.kanzlei}`,
    `    database: ${DEMO_LOGIN.database}`,
    `    user: ${DEMO_LOGIN.user}`,
    `    password: ${DEMO_LOGIN.password}`,
  ];
}
