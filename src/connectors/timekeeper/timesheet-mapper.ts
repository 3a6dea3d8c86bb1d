/**
 * Timekeeper timesheet ⇄ hub `timesheet` (core/fields/timesheet.ts): the same four states,
 * one per person and month. The person is found by the Kimai id of their account through
 * the user link of the Kimai connection the `kimai` option names, as for work logs.
 */
import type { Json } from '../../core/model.js';
import { timesheetIdentity } from '../../core/fields/timesheet.js';
import { unresolvedRef, type Mapper, type MapperEntry } from '../kit/mapper.js';
import type { Timesheet } from './types.js';
import { workLogMapperOptions, type WorkLogMapperOptions } from './work-log-mapper.js';

const STATES = new Set(['draft', 'absence-submitted', 'submitted', 'exported']);
const text = (v: Json | undefined): string | null => (typeof v === 'string' ? v : null);

export function timesheetMapper(opts: WorkLogMapperOptions): Mapper<Timesheet> {
  const userKind = `${opts.kimai}:user`;
  return {
    name: 'timekeeper-timesheet',
    hubKind: 'timesheet',
    holds: ['personId', 'month', 'state'],
    refKinds: [userKind],
    toHub(t, ctx) {
      const personId = t.kimaiUserId === null ? null : (ctx.refs?.hubId(userKind, t.kimaiUserId) ?? null);
      if (!personId) {
        return unresolvedRef(
          `the Timekeeper timesheet of ${t.month} belongs to ${t.person ?? 'nobody'}, whose Kimai account ${t.kimaiUserId ?? '(none)'} no user link of ${opts.kimai} knows`,
          `Run the user link of ${opts.kimai}, and link the person to their Kimai account in Timekeeper.`,
        );
      }
      const fields = { personId, month: t.month, state: t.state };
      return { ok: true, value: { fields, identity: timesheetIdentity(personId, t.month) } };
    },
    toExternal(fields, ctx, previous) {
      const state = text(fields.state);
      const month = text(fields.month);
      const personId = text(fields.personId);
      if (!state || !STATES.has(state) || !month || !personId) return { ok: false, error: 'the timesheet has no person, month or known state' };
      const user = ctx.refs?.extId(userKind, personId) ?? null;
      if (user === null) {
        return unresolvedRef(
          `person ${personId} has no Kimai user of ${opts.kimai}`,
          `Run the user link of ${opts.kimai}; Timekeeper finds people by their Kimai account.`,
        );
      }
      // The person and month say which timesheet it is; the connector keeps both as Timekeeper has them.
      return { ok: true, value: { month, state: state as Timesheet['state'], person: previous?.person ?? null, kimaiUserId: user } };
    },
    identity: (f) => (typeof f.personId === 'string' && typeof f.month === 'string' ? timesheetIdentity(f.personId, f.month) : null),
    label: (f) => `timesheet ${String(f.month ?? '?')}`,
  };
}

export const timesheetMapperEntry: MapperEntry<Timesheet, WorkLogMapperOptions> = {
  externalKind: 'timesheet',
  hubKind: 'timesheet',
  options: workLogMapperOptions,
  make: timesheetMapper,
};
