/**
 * GitHub's webhooks at `/webhooks/github/<connection>` (api-contracts §6.1). The signature
 * `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>` is checked with
 * `@octokit/webhooks-methods` (constant-time); GitHub sends no timestamp, so a delivery is
 * named by its `X-GitHub-Delivery` GUID, which a redelivery reuses: it is remembered for the
 * 3 days GitHub keeps deliveries, and a repeat is answered 200 as already done. `ping` is
 * answered 200. The `issues` actions that change a task run the connection's links; an
 * assignment also cues the assignee's timer. Every other event or action is acknowledged
 * with 200 and runs nothing (never 422, which GitHub shows as a failed delivery).
 */
import { verify as verifySignature } from '@octokit/webhooks-methods';
import { header, type TimerCue, type Verdict, type WebhookReceiver, type WebhookRequest } from '../kit/webhooks.js';

/** The `issues` actions that change what a task holds. */
export const TASK_ACTIONS = new Set(['opened', 'edited', 'labeled', 'unlabeled', 'assigned', 'unassigned', 'closed', 'reopened', 'deleted', 'transferred']);

/** GitHub offers redelivery of a delivery for 3 days. */
export const DELIVERY_MEMORY_MS = 3 * 24 * 3600_000;

const SIGNATURE = 'x-hub-signature-256';

interface IssuesPayload {
  action?: string;
  issue?: { number?: number; pull_request?: unknown };
  assignee?: { login?: string } | null;
  repository?: { full_name?: string };
  zen?: string;
}

const json = (body: object) => ({ contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

/** The JSON a delivery carries: the body itself, or the `payload` field of a form-encoded one (signed as sent). */
function payloadOf(req: WebhookRequest, text: string): IssuesPayload | null {
  try {
    const type = header(req.headers, 'content-type') ?? '';
    const raw = type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(text).get('payload') : text;
    const parsed: unknown = raw ? JSON.parse(raw) : null;
    return parsed && typeof parsed === 'object' ? (parsed as IssuesPayload) : null;
  } catch {
    return null;
  }
}

async function signed(text: string, secret: string, signature: string): Promise<boolean> {
  try {
    return await verifySignature(secret, text, signature);
  } catch {
    return false; // an empty body or signature
  }
}

export const githubReceiver: WebhookReceiver = {
  describe:
    'GitHub webhooks: X-Hub-Signature-256 (sha256=<hex HMAC-SHA256 of the raw body with the webhook secret>), X-GitHub-Event and X-GitHub-Delivery; content type application/json or form; a redelivery (same X-GitHub-Delivery) is answered 200 and changes nothing; events and actions Timebridge does not use are answered 200',
  async verify(req, secret): Promise<Verdict> {
    const signature = header(req.headers, SIGNATURE);
    if (!signature) {
      return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'no X-Hub-Signature-256 header: give the GitHub webhook the secret of this connection' };
    }
    const text = req.body.toString('utf8');
    if (!(await signed(text, secret, signature)))
      return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'X-Hub-Signature-256 does not match the body' };
    const guid = header(req.headers, 'x-github-delivery');
    if (!guid) return { ok: false, code: 'WEBHOOK_SIGNATURE_INVALID', reason: 'no X-GitHub-Delivery header' };
    const delivery = { key: guid, keepMs: DELIVERY_MEMORY_MS, repeatIsRedelivery: true };
    const event = header(req.headers, 'x-github-event') ?? '';
    const payload = payloadOf(req, text);
    if (event === 'ping') return { ok: true, delivery, links: [], reply: json({ ok: true, zen: payload?.zen ?? null }) };
    const action = payload?.action ?? '';
    const issue = payload?.issue;
    if (event !== 'issues' || !TASK_ACTIONS.has(action) || typeof issue?.number !== 'number' || issue.pull_request !== undefined) {
      return {
        ok: true,
        delivery,
        links: [],
        reply: json({ ignored: `${event || 'an event without X-GitHub-Event'}${action ? `.${action}` : ''} changes no task` }),
      };
    }
    const repo = payload?.repository?.full_name ?? '?';
    const login = action === 'assigned' ? payload?.assignee?.login : undefined;
    const cues: TimerCue[] = login
      ? [
          {
            kind: 'start-timer',
            externalKind: 'issue',
            extId: String(issue.number),
            person: { field: 'githubLogin', value: login },
            label: `${repo}#${issue.number}`,
            taskKey: `${repo}#${issue.number}`,
          },
        ]
      : [];
    return { ok: true, delivery, ...(cues.length ? { cues } : {}) };
  },
};
