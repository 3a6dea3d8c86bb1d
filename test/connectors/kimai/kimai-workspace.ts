/**
 * A Timebridge workspace for Kimai sync tests, built the way a user builds one: a
 * timebridge.yaml with Kimai connections and links, loaded and composed by the real
 * config path (which also works out each link's reference sources). Helpers read and
 * write hub records directly.
 */
import { workspace as openWorkspace, type Workspace } from '../../support/workspace.js';

export const CLOCK = new Date(Date.UTC(2026, 2, 10, 12));

export type { Workspace } from '../../support/workspace.js';

/** A workspace on this YAML, at the Kimai tests' fixed clock, in scope `work`. */
export function workspace(yaml: string, env: Record<string, string> = {}): Promise<Workspace> {
  return openWorkspace(yaml, { clock: () => CLOCK, prefix: 'tb-kimai-', env });
}

/** YAML for one Kimai connection and its five links in scope `work`. */
export function kimaiLinks(
  name: string,
  url: string,
  opts: { token?: string; timesheets?: string; taxonomyDirection?: string; collection?: string } = {},
): { connection: string; links: string } {
  const connection = `  ${name}:\n    type: kimai\n    url: ${url}\n    token: ${opts.token ?? 'admin-token-0123456789'}\n    timeZone: Europe/Berlin\n`;
  const dir = opts.taxonomyDirection ?? 'pull';
  const links = [
    `  ${name}-customers: { connection: ${name}, scope: work, externalKind: customer, direction: ${dir} }`,
    `  ${name}-projects: { connection: ${name}, scope: work, externalKind: project, direction: ${dir} }`,
    `  ${name}-activities: { connection: ${name}, scope: work, externalKind: activity, direction: ${dir} }`,
    `  ${name}-users: { connection: ${name}, scope: work, externalKind: user, direction: pull }`,
    `  ${name}-timesheets: { connection: ${name}, scope: work, externalKind: timesheet, collection: ${opts.collection ?? 'all'}${opts.timesheets ? `, ${opts.timesheets}` : ''} }`,
  ].join('\n');
  return { connection, links };
}

export function config(parts: { connection: string; links: string }[]): string {
  return `store:\n  path: hub.sqlite\nconnections:\n${parts.map((p) => p.connection).join('')}links:\n${parts.map((p) => p.links).join('\n')}\n`;
}

export const taxonomy = (name: string) => [`${name}-customers`, `${name}-projects`, `${name}-activities`, `${name}-users`];
