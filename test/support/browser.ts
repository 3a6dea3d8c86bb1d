/**
 * Headless Chromium for the dashboard's end-to-end suites: the Debian package driven by
 * playwright-core, the flags this machine's closed network needs, the rule that a suite
 * skips with a visible message without Chromium (and fails in CI, where it must run),
 * API tokens made with the CLI, and signing in through the sign-in page.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, tb } from './serve.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Without these Chromium tries the network at start (refused here, many times over) and updates itself. */
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Where screenshots go: the CI artifact folder. */
export const SCREENSHOTS = path.resolve(process.env.TIMEBRIDGE_SCREENSHOTS || path.join(ROOT, 'test-artifacts', 'screenshots'));

/** A suite's options: without Chromium it says so and skips, unless in CI, where it must run. */
export function chromiumGate(suite: string): { skip?: string } {
  if (fs.existsSync(CHROMIUM)) return {};
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: install the Debian package chromium (see .ci/run)`);
  const why = `${CHROMIUM} is missing: install the Debian package chromium to run the dashboard tests`;
  console.warn(`SKIPPED ${suite} end-to-end tests: ${why}`);
  return { skip: why };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** A new API token of a user, made by `timebridge token create` in a workspace. */
export function apiToken(dir: string, user: string, role: 'admin' | 'user'): string {
  const r = tb(dir, ['token', 'create', '--user', user, '--role', role]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/**
 * Open `to` in a new browser context, sign in on the page it leads to, and wait until the
 * dashboard shows `to` again. `acceptDialogs`: confirm every `confirm()` the page asks.
 */
export async function signIn(
  browser: Browser,
  base: string,
  tok: string,
  to = '/',
  o: { width?: number; height?: number; acceptDialogs?: boolean } = {},
): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: { width: o.width ?? 1280, height: o.height ?? 800 } });
  const page = await ctx.newPage();
  if (o.acceptDialogs) page.on('dialog', (d) => void d.accept());
  await page.goto(base + to);
  await page.waitForURL(/\/signin\?next=/);
  await page.getByLabel('API token').fill(tok);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === to.split('?')[0]);
  return { ctx, page };
}
