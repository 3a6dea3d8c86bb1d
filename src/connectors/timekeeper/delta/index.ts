/** The delta receiver the Timekeeper entry mounts (`routes`), and what its connector shares with it (the `mu-call-id`s of its writes). */
import type { ConnectorRoutes } from '../../kit/routes.js';
import { deltaRoute } from './routes.js';

export { deltaRoute, receiveDelta, trustingConnections, deltaSettingsOf } from './routes.js';
export * from './delta.js';

/** `POST /delta` at the root; an entry with routes of its own adds `deltaRoute` to them. */
export const deltaRoutes: ConnectorRoutes = { prefix: '/', tag: 'timekeeper', routes: [deltaRoute] };
