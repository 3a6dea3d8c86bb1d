/** Capabilities of the Google Calendar connector. */
import { ALL_WRITES, READ_ONLY, type Manifest } from '../kit/connector.js';

export const googleCalendarManifest: Manifest = {
  type: 'google-calendar',
  kinds: [
    // A series with its exceptions, as one hub event.
    { external: 'event', hub: 'event', can: ALL_WRITES },
    // Single events and every instance of a series (for importing time entries).
    { external: 'event-instance', hub: 'timeEntry', can: READ_ONLY },
    // Office attendance: reservations as all-day events; deleted events are listed as items (a deletion cancels the reservation).
    { external: 'attendance', hub: 'reservation', can: ALL_WRITES },
  ],
  // Sync tokens: a run with nothing to do is one request.
  incremental: 'delta-cursor',
  etags: true,
  webhooks: true,
  // The id is derived from the hub id (409 when taken), and the hub id is kept in extendedProperties.private.
  idempotency: 'deterministic-name',
  batchSize: 50,
  // Google's default per-user quota is 600 requests a minute.
  rateLimit: { requests: 600, perSeconds: 60 },
};
