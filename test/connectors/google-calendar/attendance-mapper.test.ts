/** The google-attendance mapper: reservations ⇄ all-day events of an office calendar (pure). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attendanceOptionsSchema, makeAttendanceMapper } from '../../../src/connectors/google-calendar/attendance-mapper.js';
import type { GoogleItem } from '../../../src/connectors/google-calendar/google-types.js';
import type { MapContext } from '../../../src/connectors/kit/mapper.js';
import { addDays, RESERVATION_STATES } from '../../../src/core/fields/reservation.js';
import type { Fields } from '../../../src/core/model.js';

const mapper = makeAttendanceMapper(attendanceOptionsSchema.parse({ office: 'prague', colors: { pending: '6', approved: '10' } }));
const ctx = (linked: Fields | null = null): MapContext => ({
  now: new Date('2030-01-01T00:00:00Z'),
  link: 'prague-office',
  refs: { hubId: () => null, extId: () => null, person: (id) => (id === 'p1' ? { name: 'Ann Novak', email: 'ann@example.com', timeZone: null } : null) },
  linked,
});
const reservation = (over: Partial<Record<string, unknown>> = {}): Fields => ({
  personId: 'p1',
  office: 'prague',
  firstDay: '2030-03-02',
  lastDay: '2030-03-03',
  state: 'pending',
  requestedAt: '2030-02-25T11:38:00Z',
  source: 'api',
  ...over,
});
const out = (f: Fields, previous: GoogleItem | null = null): GoogleItem => {
  const r = mapper.toExternal(f, ctx(), previous);
  assert.ok(r.ok, JSON.stringify(r));
  return r.value;
};
const back = (item: GoogleItem, linked: Fields | null) => mapper.toHub(item, ctx(linked));

describe('google-attendance mapper', () => {
  it('shows a pending reservation as "(Name)" over its days (exclusive end) in the pending colour, an approved one as "Name"', () => {
    const pending = out(reservation()).event;
    assert.deepEqual(
      [pending.summary, pending.start, pending.end, pending.colorId, pending.status],
      ['(Ann Novak)', { date: '2030-03-02' }, { date: '2030-03-04' }, '6', 'confirmed'],
    );
    assert.equal(pending.extendedProperties?.private?.['timebridgeState'], 'pending');
    const approved = out(reservation({ state: 'approved' })).event;
    assert.deepEqual([approved.summary, approved.colorId], ['Ann Novak', '10']);
  });

  it('reads back every reservation it writes unchanged (property)', () => {
    const day = fc.integer({ min: 0, max: 3000 }).map((n) => addDays('2025-01-01', n));
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 40 }), fc.constantFrom('pending', 'approved'), (first, len, state) => {
        const f = reservation({ firstDay: first, lastDay: addDays(first, len), state });
        const r = back(out(f), null);
        assert.ok(r.ok, JSON.stringify(r));
        assert.deepEqual(r.value.fields, f);
        assert.equal(r.value.identity, `reservation:p1:prague:${first}:${addDays(first, len)}`);
      }),
    );
  });

  it('a moved event moves the days; a deleted one cancels (a rejected one stays rejected); a cancel in the hub cancels the event', () => {
    const f = reservation({ state: 'approved' });
    const ev = out(f).event;
    const moved = back({ event: { ...ev, start: { date: '2030-03-10' }, end: { date: '2030-03-13' } }, exceptions: [] }, f);
    assert.ok(moved.ok);
    assert.deepEqual([moved.value.fields.firstDay, moved.value.fields.lastDay, moved.value.fields.state], ['2030-03-10', '2030-03-12', 'approved']);
    // Google may give a deleted event with nothing but its id: the linked reservation says which.
    const deleted = back({ event: { id: ev.id, status: 'cancelled' }, exceptions: [] }, f);
    assert.ok(deleted.ok);
    assert.deepEqual(deleted.value.fields, { ...f, state: 'cancelled' });
    const rejected = back({ event: { id: ev.id, status: 'cancelled' }, exceptions: [] }, { ...f, state: 'rejected' });
    assert.ok(rejected.ok);
    assert.equal(rejected.value.fields.state, 'rejected');
    // A deleted event nothing is linked to is not a reservation to make.
    assert.ok(!back({ event: { id: 'x', status: 'cancelled' }, exceptions: [] }, null).ok);
    for (const state of ['cancelled', 'rejected']) assert.equal(out({ ...f, state }, { event: ev, exceptions: [] }).event.status, 'cancelled');
  });

  it('leaves other offices and hand-made events alone, and refuses a timed event', () => {
    assert.deepEqual(mapper.toExternal(reservation({ office: 'brno' }), ctx(), null), {
      ok: false,
      skip: "a reservation for office brno: another link's calendar shows it",
    });
    const shown = out(reservation());
    assert.equal(out(reservation({ office: 'brno' }), shown).event.status, 'cancelled');
    // An event added by hand by no manual user is reported (an item error), not taken.
    const manual = back({ event: { id: 'm1', summary: 'Ann', start: { date: '2030-03-02' }, end: { date: '2030-03-03' } }, exceptions: [] }, null);
    assert.ok(!manual.ok && 'error' in manual && /m1/.test(manual.error) && /not a manual user/.test(manual.error), JSON.stringify(manual));
    const timed = back(
      { event: { ...shown.event, start: { dateTime: '2030-03-02T09:00:00Z' }, end: { dateTime: '2030-03-02T10:00:00Z' } }, exceptions: [] },
      reservation(),
    );
    assert.ok(!timed.ok && 'error' in timed && /all-day/.test(timed.error));
  });

  it('reads a manual user’s event added by hand as an approved reservation to write back; reports anyone else’s', () => {
    const m = makeAttendanceMapper(attendanceOptionsSchema.parse({ office: 'prague', manualUsers: ['ann@example.com'] }));
    const c: MapContext = { ...ctx(), refs: { ...ctx().refs!, personByEmail: (e) => (e === 'ann@example.com' ? 'p1' : null) } };
    const ev = (over: Record<string, unknown> = {}): GoogleItem => ({
      event: {
        id: 'm2',
        summary: 'in',
        creator: { email: 'Ann@Example.com' },
        created: '2030-02-01T08:00:00.123Z',
        start: { date: '2030-03-02' },
        end: { date: '2030-03-04' },
        ...over,
      },
      exceptions: [],
    });
    const r = m.toHub(ev(), c);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.value, {
      fields: {
        personId: 'p1',
        office: 'prague',
        firstDay: '2030-03-02',
        lastDay: '2030-03-03',
        state: 'approved',
        requestedAt: '2030-02-01T08:00:00Z',
        source: 'calendar',
      },
      identity: 'reservation:p1:prague:2030-03-02:2030-03-03',
      writeBack: true,
    });
    const stranger = m.toHub(ev({ creator: { email: 'eve@example.com' } }), c);
    assert.ok(!stranger.ok && 'error' in stranger && /eve@example\.com/.test(stranger.error) && /m2/.test(stranger.error));
    const nobody = makeAttendanceMapper(attendanceOptionsSchema.parse({ office: 'prague', manualUsers: ['zed@example.com'] })).toHub(
      ev({ creator: { email: 'zed@example.com' } }),
      c,
    );
    assert.ok(!nobody.ok && 'error' in nobody && /no person/.test(nobody.error));
    const timed = m.toHub(ev({ start: { dateTime: '2030-03-02T09:00:00Z' }, end: { dateTime: '2030-03-02T10:00:00Z' } }), c);
    assert.ok(!timed.ok && 'error' in timed && /all-day/.test(timed.error));
    const deleted = m.toHub(ev({ status: 'cancelled' }), c);
    assert.ok(!deleted.ok && 'skip' in deleted);
  });

  it('knows every state', () => {
    assert.deepEqual([...RESERVATION_STATES], ['pending', 'approved', 'rejected', 'cancelled']);
  });

  it('with foreignEvents: delete, says to remove anyone else’s hand-made event (naming creator and event), and no other', () => {
    const m = makeAttendanceMapper(attendanceOptionsSchema.parse({ office: 'prague', manualUsers: ['ann@example.com'], foreignEvents: 'delete' }));
    const c: MapContext = { ...ctx(), refs: { ...ctx().refs!, personByEmail: (e) => (e === 'ann@example.com' ? 'p1' : null) } };
    const ev = (creator: string, over: Record<string, unknown> = {}): GoogleItem => ({
      event: { id: 'f1', summary: 'Walk-in', creator: { email: creator }, start: { date: '2030-03-02' }, end: { date: '2030-03-03' }, ...over },
      exceptions: [],
    });
    const foreign = m.toHub(ev('Mallory@Example.com'), c);
    assert.ok(!foreign.ok && 'remove' in foreign, JSON.stringify(foreign));
    assert.match(foreign.remove, /f1 "Walk-in".*mallory@example\.com.*deleted/);
    // A manual user's event is still a reservation; an event already deleted is skipped; one of the hub's own is never removed.
    assert.ok(m.toHub(ev('ann@example.com'), c).ok);
    const gone = m.toHub(ev('mallory@example.com', { status: 'cancelled' }), c);
    assert.ok(!gone.ok && 'skip' in gone);
    const own = makeAttendanceMapper(attendanceOptionsSchema.parse({ office: 'prague', foreignEvents: 'delete' }));
    const shown = own.toExternal(reservation(), ctx(), null);
    assert.ok(shown.ok);
    assert.ok(own.toHub(shown.value, ctx(null)).ok);
    // The default reports.
    assert.equal(attendanceOptionsSchema.parse({ office: 'prague' }).foreignEvents, 'report');
  });
});
