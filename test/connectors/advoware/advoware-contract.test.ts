/** The shared connector contract, run against one employee's Advoware appointments on the emulator. */
import type { AdvowareItem } from '../../../src/connectors/advoware/advoware-types.js';
import { connectorContractSuite } from '../../../src/connectors/kit/contract.js';
import { connectorOn, startAdvoware } from './advoware-fixture.js';

function sample(n: number): AdvowareItem {
  const day = String((n % 28) + 1).padStart(2, '0');
  return {
    termin: {
      frNr: 0,
      datum: `2026-04-${day}T00:00:00`,
      uhrzeitVon: '09:30:00',
      uhrzeitBis: '10:15:00',
      text: `Termin ${n}`,
      notiz: `Notiz ${n}`,
      ort: 'Raum 2',
    },
    kuerzel: 'MUE',
  };
}

const comparable = (a: AdvowareItem) => [a.termin.datum, a.termin.uhrzeitVon, a.termin.uhrzeitBis, a.termin.text, a.termin.notiz, a.termin.ort];

connectorContractSuite<AdvowareItem>('advoware appointments (one employee)', async () => {
  const r = await startAdvoware();
  return {
    connector: connectorOn(r.base),
    fresh: () => connectorOn(r.base),
    sample,
    change: (d) => ({ ...d, termin: { ...d.termin, text: `${d.termin.text ?? ''} (verschoben)`, uhrzeitBis: '11:00:00' } }),
    same: (a, b) => JSON.stringify(comparable(a)) === JSON.stringify(comparable(b)),
    teardown: () => r.close(),
  };
});
