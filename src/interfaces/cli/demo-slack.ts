/**
 * The demo's Slack side: Kimai's demo users arrive in scope hours as persons without a
 * Slack id; the demo gives them the ids of the Slack emulator's users, so `/tt` and the
 * timer notices of #timers work at once.
 */
import { DEMO_SLACK_USERS } from '../../app/demo-data.js';
import { HubRecords } from '../../runtime/records.js';
import type { App } from '../../app/compose.js';

export async function linkSlackPersons(app: App): Promise<string[]> {
  const scope = (app.config.connections.slack?.settings as { scope?: string } | undefined)?.scope;
  if (!scope) return [];
  const records = new HubRecords(app.store, app.clock);
  const linked: string[] = [];
  for (const u of DEMO_SLACK_USERS) {
    const person = (await app.store.listScope(scope, 'person')).find((p) => !p.tombstone && p.fields.username === u.username);
    if (!person || person.fields.slackId === u.slackId) continue;
    await records.commit([records.write(person, { ...person.fields, slackId: u.slackId }, { origin: 'cli:demo' }, person.version)]);
    linked.push(`${u.username} → ${u.slackId}`);
  }
  return linked;
}
