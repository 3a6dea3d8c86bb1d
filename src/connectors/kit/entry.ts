/**
 * What a connector's folder gives the rest of the program: its registry entry. This is the
 * whole contract between a connector and the engine, the service and the HTTP layer; the
 * registry (`connectors/registry.ts`) only lists the entries by type name.
 */
import type { z } from 'zod';
import type { Connector, Manifest } from './connector.js';
import type { HttpSetup } from './http-setup.js';
import type { MapperEntry } from './mapper.js';
import type { OAuthSupport } from './oauth.js';
import type { OutboundGuard } from './outbound-policy.js';
import type { ChatSupport } from './chat.js';
import type { ConnectorRoutes } from './routes.js';
import type { WebhookReceiver } from './webhooks.js';

/** Which collection of a connection a link covers, and which of its external kinds. */
export interface LinkTarget {
  /** Calendar id, Kimai user, Tempo project…, as the connector defines it; null: the connection's default. */
  collection: string | null;
  /** One of the manifest's external kinds. */
  externalKind: string;
}

/** An open push channel: the remote notifies the service's webhook until it expires. */
export interface PushChannel {
  /** Epoch milliseconds. */
  expiresAt: number;
  stop(): Promise<void>;
}

/** Connectors whose remote pushes change notifications to a URL it is told (Google's events.watch). */
export interface PushSupport<C> {
  /** Renew a channel this long before it expires. */
  renewMarginMs: number;
  /** Open a channel for one link's collection, notifying `address`; `secret` is the connection's webhook secret. */
  watch(config: C, env: BuildEnv, o: { link: string; address: string; secret: string }): Promise<PushChannel>;
}

/** What the composition root hands a connector besides its settings. */
export interface BuildEnv {
  /** Relative paths resolve against it: the config file's folder, or a user's data root. */
  baseDir: string;
  target: LinkTarget;
  /** A probe (`POST /connections/{name}/test`): read only — make no folder, calendar or other remote object. */
  probe?: boolean;
  /** Where HTTP requests may go (users' connections); none: anywhere. Pass it to every HTTP client. */
  outbound?: OutboundGuard;
  /** How to build its HTTP clients (pacing, retries, the run's budget, the clock); absent: the defaults on the real clock. */
  http?: HttpSetup;
}

/** A range of a spreadsheet as rows of display strings (trailing empty cells and rows left out, as Sheets does). */
export interface SheetRange {
  /** The range the remote says it answered, A1 notation. */
  range: string;
  values: string[][];
}

/** Connectors that read spreadsheet ranges with the connection's own credentials (Google Sheets: office attendance's runtime config). */
export interface SheetsSupport<C> {
  readRange(config: C, env: BuildEnv, o: { spreadsheetId: string; range: string }): Promise<SheetRange>;
}

/** A calendar to find by its name or make and share (office attendance: an office's calendar on first use). */
export interface CalendarSpec {
  summary: string;
  timeZone?: string | undefined;
  description?: string | undefined;
  /** Shared with these on making; empty: the connection's own `create.shareWith`. */
  shareWith: { email: string; role: 'owner' | 'writer' | 'reader' | 'freeBusyReader' }[];
}

export interface CalendarSupport<C> {
  /** The id of the account's calendar named `summary`, made and shared when there is none; `made` says which. */
  ensure(config: C, env: BuildEnv, spec: CalendarSpec): Promise<{ id: string; made: boolean }>;
}

export interface ConnectorEntry<C, E> {
  manifest: Manifest;
  /** Schema of a connection's settings (everything besides `type`). */
  configSchema: z.ZodType<C>;
  /**
   * `baseDir` resolves relative paths (the config file's folder). May load the connector's
   * code on demand, so a CLI run pays start-up only for the connectors its config uses.
   */
  create(config: C, env: BuildEnv): Connector<E> | Promise<Connector<E>>;
  /**
   * Mappers a link may name with `mapper:`. A link that names none gets the first one
   * whose external kind is the link's.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  mappers: Record<string, MapperEntry<E, any>>;
  push?: PushSupport<C>;
  /**
   * How the remote's change notifications are checked at `/webhooks/<type>/<connection>`
   * (signature, handshakes, which links they concern); absent: Timebridge's generic signed scheme.
   */
  webhook?: WebhookReceiver;
  /** Whether the service carries out the timer cues of this connection's deliveries (`autoStartTimer`); absent: never. */
  startsTimers?(config: C): boolean;
  /** The OAuth connect flow of its connections (`/api/v1/connections/{name}/oauth/start` → `/oauth/<provider>/callback`). */
  oauth?: OAuthSupport<C>;
  /** Window and schedule a link of this kind gets when its config sets none (Kimai timesheets: ±31 days every 2 hours). */
  linkDefaults?(externalKind: string): { window?: { pastDays: number; futureDays: number }; schedule?: string };
  /** Reads spreadsheet ranges with the connection's credentials. */
  sheets?: SheetsSupport<C>;
  /** Finds or makes named calendars (the Google connector). */
  calendars?: CalendarSupport<C>;
  /** Extra HTTP routes it offers (drop-in endpoints of the service it replaces), mounted by `timebridge serve`. */
  routes?: ConnectorRoutes;
  /** A chat app (Slack): commands at `/chat/<type>/<connection>`, timer notices and daily summaries (connectors/kit/chat.ts). */
  chat?: ChatSupport<C>;
  /**
   * The collections a connection offers (Advoware employees, Kimai users): `key` is what a link's
   * `collection` takes, `active` false for one that should no longer sync. Link templates expand from it.
   */
  collections?(config: C, env: BuildEnv): Promise<{ key: string; name: string; active: boolean }[]>;
}
