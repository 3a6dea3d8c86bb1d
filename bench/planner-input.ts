/**
 * Synthetic `plan()` input at scale: `rows` agreements (status rows with an event-like
 * merge base), a complete full listing, and a fixed mix decided by the row index:
 *   slot % 200 in {0,1} → changed externally (fetched, mapped, new hash)    1.0 %
 *   slot % 200 == 2     → changed in the hub (version + 1, new hash)        0.5 %
 *   slot % 200 == 3     → deleted externally (absent from the listing)      0.5 %
 *   otherwise           → unchanged                                         98.0 %
 * With DEFAULT_POLICY that must plan exactly one pull-update, push-update or
 * pull-delete per changed row and nothing for the others.
 */
import type { Fields } from '../src/core/model.js';
import type { Agreement, ExtView, HubView, PlanInput } from '../src/core/planner.js';
import { DEFAULT_POLICY } from '../src/core/policy.js';

export interface Mix {
  rows: number;
  unchanged: number;
  extChanged: number;
  hubChanged: number;
  extDeleted: number;
}

export function mixOf(rows: number): Mix {
  const m: Mix = { rows, unchanged: 0, extChanged: 0, hubChanged: 0, extDeleted: 0 };
  for (let i = 0; i < rows; i++) {
    const s = i % 200;
    if (s < 2) m.extChanged++;
    else if (s === 2) m.hubChanged++;
    else if (s === 3) m.extDeleted++;
    else m.unchanged++;
  }
  return m;
}

/** The counts the planner must report for `mixOf(rows)`. */
export function expectedCounts(m: Mix): Record<string, number> {
  const out: Record<string, number> = {};
  if (m.extChanged) out['pull-update'] = m.extChanged;
  if (m.hubChanged) out['push-update'] = m.hubChanged;
  if (m.extDeleted) out['pull-delete'] = m.extDeleted;
  return out;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Hub fields of an event, like those the ics mapper produces (without the $raw carrier). */
function eventFields(i: number, summary: string): Fields {
  const day = 1 + (i % 28),
    month = 1 + (i % 12),
    hour = 7 + (i % 12);
  const date = `2025-${pad(month, 2)}-${pad(day, 2)}`;
  return {
    uid: `${pad(i, 8)}-bench@timebridge.test`,
    summary,
    description: i % 3 === 0 ? `Agenda for item ${i}\nsecond line` : null,
    location: i % 2 === 0 ? 'Raum Ostsee, 3. OG' : null,
    status: 'CONFIRMED',
    transp: 'OPAQUE',
    allDay: false,
    start: `${date}T${pad(hour, 2)}:00:00`,
    startTz: 'Europe/Berlin',
    end: `${date}T${pad(hour + 1, 2)}:00:00`,
    endTz: 'Europe/Berlin',
    rrule: null,
    exdates: [],
    rdates: [],
    overrides: [],
    extras: { ics: { norm: `norm${pad(i, 18)}` } },
  };
}

/**
 * A flat copy of an ASCII string. Ids in a real run come from SQLite rows and readdir as
 * flat strings, each side its own copy; template literals would give V8 cons strings,
 * which are slower to hash and would share one object between agreement and listing.
 */
const flat = (s: string) => Buffer.from(s, 'latin1').toString('latin1');

/** Fake 22-char hashes that differ per row and per generation. */
const hash = (tag: string, i: number) => `${tag}${pad(i, 21 - tag.length)}x`;

export function buildPlanInput(rows: number): PlanInput {
  const agreements: Agreement[] = new Array<Agreement>(rows);
  const present = new Set<string>();
  const fetched: ExtView[] = [];
  const changed: HubView[] = [];
  for (let i = 0; i < rows; i++) {
    const hubIdText = `019${pad(i, 9)}-7b2c-7d3e-8f40-${pad(i, 12)}`;
    const extIdText = `${pad(i, 8)}-bench@timebridge.test.ics`;
    const hubId = flat(hubIdText),
      extId = flat(extIdText);
    const summary = `Weekly sync #${i}`;
    const ag: Agreement = {
      hubId,
      extId,
      hubVersion: 1 + (i % 5),
      hubHash: hash('h', i),
      extEtag: `17300000${pad(i, 10)}000-1534-${4_000_000 + i}`,
      extHash: hash('e', i),
      base: eventFields(i, summary),
    };
    agreements[i] = ag;
    const s = i % 200;
    if (s !== 3) present.add(flat(extIdText));
    if (s < 2) {
      const fields = eventFields(i, `${summary} (moved)`);
      fetched.push({
        extId: flat(extIdText),
        etag: `17310000${pad(i, 10)}000-1541-${5_000_000 + i}`,
        modifiedAt: '2025-06-01T10:00:00.000Z',
        mapped: { ok: true, fields, identity: fields['uid'] as string, hash: hash('E', i), label: `${summary} (moved) (2025-…)` },
      });
    } else if (s === 2) {
      changed.push({
        id: flat(hubIdText),
        version: ag.hubVersion + 1,
        fields: eventFields(i, `${summary} — hub edit`),
        identity: `${pad(i, 8)}-bench@timebridge.test`,
        hash: hash('H', i),
        tombstone: false,
        updatedAt: '2025-06-01T09:00:00.000Z',
        label: `${summary} — hub edit`,
      });
    }
  }
  return {
    linkId: 'link:bench',
    now: new Date('2025-06-02T08:00:00Z'),
    policy: DEFAULT_POLICY,
    agreements,
    ext: { mode: 'full', complete: true, present, removed: new Set(), fetched, failed: [] },
    hub: { changed, candidates: [] },
  };
}
