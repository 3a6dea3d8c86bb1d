/**
 * The demo's GitHub part (issue 21): Devon, a hub person of scope dev whose GitHub login is
 * `devon-park`; once the service listens, the GitHub emulator's repository gets a webhook to
 * it, and an issue is opened and assigned to Devon there — the webhook brings the issue in as a
 * task, and the assignment starts Devon's timer on it. Everything goes through the emulator's
 * control routes and the service's webhook, as it would from github.com.
 */
import { DEMO_GITHUB } from '../../app/demo-data.js';
import { personIdentity } from '../../core/fields/time-entry.js';
import { HubRecords } from '../../runtime/records.js';
import type { App } from '../../app/compose.js';

/** Devon, made once through the hub's records. */
export async function seedGithubPerson(app: App): Promise<void> {
  const p = DEMO_GITHUB.person;
  if ((await app.store.findByIdentity(DEMO_GITHUB.scope, 'person', personIdentity(p)!)).some((r) => !r.tombstone)) return;
  await new HubRecords(app.store, app.clock).create({ scope: DEMO_GITHUB.scope, kind: 'person', fields: { ...p }, actor: { origin: 'cli:demo' } });
}

async function control(github: string, path: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${github}/_emulator/github${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`the GitHub emulator refused ${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/** Point the repository's webhook at the service, open an issue and assign it to Devon; what happened, in lines. */
export async function githubWebhookDemo(github: string, serviceUrl: string): Promise<string[]> {
  const hook = `${serviceUrl}/webhooks/github/github`;
  await control(github, `/repos/${DEMO_GITHUB.repo}/hooks`, { url: hook, secret: DEMO_GITHUB.secret, events: ['issues'], replace: true });
  const opened = (await control(github, `/repos/${DEMO_GITHUB.repo}/events`, {
    action: 'opened',
    title: 'Coupon codes crash the checkout',
    labels: ['bug'],
  })) as { number: number };
  const assigned = (await control(github, `/repos/${DEMO_GITHUB.repo}/events`, {
    action: 'assigned',
    number: opened.number,
    assignee: DEMO_GITHUB.person.githubLogin,
  })) as { deliveries: { status: number }[] };
  return [
    `GitHub: issue ${DEMO_GITHUB.repo}#${opened.number} opened and assigned to ${DEMO_GITHUB.person.githubLogin} on the emulator; its webhook (${hook}) answered ${assigned.deliveries.map((d) => d.status).join(', ')},`,
    `  so the issue becomes a task of scope ${DEMO_GITHUB.scope} and ${DEMO_GITHUB.person.name}'s timer starts on it (GET /api/v1/timers/current?scope=${DEMO_GITHUB.scope}&personId=…)`,
  ];
}
