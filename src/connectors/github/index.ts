/**
 * Registry entry of the GitHub connector: a repository's issues → hub tasks (external kind
 * `issue`, no collection), its webhook receiver, and the timer cues of assignments when the
 * connection sets `autoStartTimer`.
 */
import type { z } from 'zod';
import { TimebridgeError } from '../../core/errors.js';
import type { ConnectorEntry } from '../kit/entry.js';
import { GithubApi } from './github-api.js';
import type { GithubIssueItem } from './github-types.js';
import { GithubIssueConnector } from './issue-connector.js';
import { issueMapperEntry } from './issue-mapper.js';
import { githubManifest } from './manifest.js';
import { githubOAuth } from './oauth-flow.js';
import { githubConfigSchema, githubToken, type GithubConfig } from './settings.js';
import { githubReceiver } from './webhook-receiver.js';
import type { MapperEntry } from '../kit/mapper.js';

export { githubConfigSchema, priorityOf, type GithubConfig } from './settings.js';
export { githubReceiver } from './webhook-receiver.js';

export const githubEntry: ConnectorEntry<GithubConfig, GithubIssueItem> = {
  manifest: githubManifest,
  configSchema: githubConfigSchema as unknown as z.ZodType<GithubConfig>,
  create(config, env) {
    if (env.target.externalKind !== 'issue') {
      throw new TimebridgeError('CONFIG_INVALID', `GitHub has no kind "${env.target.externalKind}".`, { hint: 'Use externalKind: issue.' });
    }
    if (env.target.collection !== null) {
      throw new TimebridgeError('CONFIG_INVALID', `A GitHub issue link takes no collection (it was "${env.target.collection}").`, {
        hint: 'Remove collection from the link; the repository is the connection\'s "repo".',
      });
    }
    const api = new GithubApi({
      apiUrl: config.apiUrl,
      token: githubToken(config),
      repo: config.repo,
      timeoutMs: config.timeoutMs,
      ...(env.http ? { http: env.http } : {}),
      ...(env.outbound ? { outbound: env.outbound } : {}),
    });
    return new GithubIssueConnector(api, config);
  },
  mappers: { 'github-issue': issueMapperEntry as MapperEntry<GithubIssueItem, unknown> },
  webhook: githubReceiver,
  startsTimers: (config) => config.autoStartTimer,
  oauth: githubOAuth,
};
