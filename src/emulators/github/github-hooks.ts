/**
 * Webhook deliveries as GitHub makes them (api-contracts §6.1): a JSON body POSTed with
 * `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID, reused when the delivery is redelivered),
 * the hook and target headers, and — when the hook has a secret — `X-Hub-Signature-256:
 * sha256=<hex HMAC-SHA256 of the exact body>` (and the legacy SHA-1 one). GitHub does not
 * retry a failed delivery; redelivery is asked for by hand, and sends the same bytes again.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { GhDelivery, GhHook, GhRepo, GithubData } from './github-data.js';

const TIMEOUT_MS = 10_000;

export function signatureOf(secret: string, body: string, algorithm: 'sha256' | 'sha1' = 'sha256'): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

const wants = (hook: GhHook, event: string): boolean => event === 'ping' || hook.events.includes('*') || hook.events.includes(event);

async function send(hook: GhHook, repo: GhRepo, d: Omit<GhDelivery, 'status' | 'response' | 'deliveredAt'>): Promise<GhDelivery> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'GitHub-Hookshot/emulator',
    'x-github-event': d.event,
    'x-github-delivery': d.guid,
    'x-github-hook-id': String(hook.id),
    'x-github-hook-installation-target-type': 'repository',
    'x-github-hook-installation-target-id': String(repo.id),
  };
  if (hook.secret) {
    headers['x-hub-signature-256'] = signatureOf(hook.secret, d.body);
    headers['x-hub-signature'] = signatureOf(hook.secret, d.body, 'sha1');
  }
  const deliveredAt = new Date().toISOString();
  try {
    const res = await fetch(hook.url, { method: 'POST', headers, body: d.body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { ...d, deliveredAt, status: res.status, response: (await res.text()).slice(0, 2000) };
  } catch (err) {
    return { ...d, deliveredAt, status: 0, response: String(err) };
  }
}

/** Deliver an event to every hook of the repository that takes it; resolves once each receiver answered. */
export async function deliver(data: GithubData, repo: GhRepo, event: string, payload: Record<string, unknown>, only?: GhHook): Promise<GhDelivery[]> {
  const out: GhDelivery[] = [];
  for (const hook of only ? [only] : repo.hooks) {
    if (!wants(hook, event)) continue;
    const body = JSON.stringify({ ...payload, ...(event === 'ping' ? { hook_id: hook.id } : {}) });
    const action = typeof payload.action === 'string' ? payload.action : null;
    const d = await send(hook, repo, {
      guid: randomUUID(),
      attempt: data.deliveries.length + 1,
      hookId: hook.id,
      repo: `${repo.owner}/${repo.name}`,
      event,
      action,
      body,
      redelivery: false,
    });
    data.deliveries.push(d);
    out.push(d);
  }
  return out;
}

/** Send a past delivery again: the same GUID and bytes, signed with the hook's secret as it is now. */
export async function redeliver(data: GithubData, repo: GhRepo, past: GhDelivery): Promise<GhDelivery | null> {
  const hook = repo.hooks.find((h) => h.id === past.hookId);
  if (!hook) return null;
  const d = await send(hook, repo, { ...past, attempt: data.deliveries.length + 1, redelivery: true });
  data.deliveries.push(d);
  return d;
}
