/** An Advoware emulator with employees, and connectors on it built from settings as a user writes them. */
import { advowareApiOf, advowareConfigSchema, advowareEntry, type AdvowareConfig } from '../../../src/connectors/advoware/index.js';
import type { AdvowareApi } from '../../../src/connectors/advoware/advoware-api.js';
import { AdvowareAppointmentConnector } from '../../../src/connectors/advoware/advoware-connector.js';
import type { HttpSetup } from '../../../src/connectors/kit/http-setup.js';
import { createAdvowareEmulator, type AdvowareEmulator, type AdvowareEmulatorOptions } from '../../../src/emulators/advoware/index.js';
import { DEMO_API_KEY, DEMO_APP_ID, DEMO_LOGIN } from '../../../src/emulators/advoware/advoware-data.js';

export interface RunningAdvoware {
  emu: AdvowareEmulator;
  base: string;
  close(): Promise<void>;
}

export async function startAdvoware(opts: AdvowareEmulatorOptions & { employees?: string[] } = {}): Promise<RunningAdvoware> {
  const emu = createAdvowareEmulator(opts);
  emu.data().employees = (opts.employees ?? ['MUE', 'SCH']).map((k) => ({ kuerzel: k, name: `Employee ${k}`, email: null, aktiv: true }));
  const base = await emu.listen();
  return { emu, base, close: () => emu.close() };
}

/** Settings for the emulator, as a timebridge.yaml would give them. */
export function settings(base: string, over: Partial<Record<keyof AdvowareConfig, unknown>> = {}): AdvowareConfig {
  return advowareConfigSchema.parse({
    url: `${base}/`,
    appId: DEMO_APP_ID,
    apiKey: DEMO_API_KEY,
    kanzlei: DEMO_LOGIN.kanzlei,
    database: DEMO_LOGIN.database,
    user: DEMO_LOGIN.user,
    password: DEMO_LOGIN.password,
    ...over,
  });
}

/** Retries without waiting (the kit's own tests check the waits). */
export const quickHttp: HttpSetup = { clock: { sleep: async () => undefined } };

export function apiOn(base: string, over: Partial<Record<keyof AdvowareConfig, unknown>> = {}): AdvowareApi {
  return advowareApiOf(settings(base, over), { http: quickHttp });
}

export function connectorOn(base: string, kuerzel = 'MUE', api: AdvowareApi = apiOn(base)): AdvowareAppointmentConnector {
  const c = settings(base);
  return new AdvowareAppointmentConnector(api, { kuerzel, listFrom: c.listFrom, listTo: c.listTo, timeZone: c.timeZone });
}

export { advowareEntry };
