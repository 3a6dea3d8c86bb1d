/**
 * The Calendar API v3 resources as the emulator serves them, written from api-contracts §3
 * (3.4 Event, 3.6 error body, 3.7 Calendar, AclRule, Channel) and not shared with the
 * connector, so a field the connector gets wrong is not wrong here too.
 */

/** `{date}` for an all-day point, `{dateTime, timeZone?}` for a timed one (§3.4 start / end). */
export interface EventDateTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface CalendarEvent {
  kind?: 'calendar#event';
  id: string;
  etag?: string;
  status?: 'confirmed' | 'tentative' | 'cancelled';
  iCalUID?: string;
  summary?: string;
  description?: string;
  location?: string;
  eventType?: 'default' | 'outOfOffice' | 'focusTime' | 'workingLocation';
  start?: EventDateTime;
  end?: EventDateTime;
  /** RRULE / EXRULE / RDATE / EXDATE lines, without DTSTART; only on a series master. */
  recurrence?: string[];
  recurringEventId?: string;
  originalStartTime?: EventDateTime;
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  created?: string;
  updated?: string;
  sequence?: number;
  htmlLink?: string;
  // The emulator keeps every other field a client sends (attendees, colorId, reminders, …) as it came.
  [other: string]: unknown;
}

/** The answer of events.list and events.instances (§3.2). */
export interface EventList {
  kind: 'calendar#events';
  etag?: string;
  summary?: string;
  timeZone?: string;
  items: CalendarEvent[];
  nextPageToken?: string;
  nextSyncToken?: string;
}

export type AccessRole = 'owner' | 'writer' | 'reader' | 'freeBusyReader';

export interface Calendar {
  kind: 'calendar#calendar';
  id: string;
  etag?: string;
  summary: string;
  description?: string;
  timeZone?: string;
}

export interface CalendarListEntry {
  kind: 'calendar#calendarListEntry';
  id: string;
  summary: string;
  timeZone?: string;
  accessRole: AccessRole;
}

export interface AclRule {
  kind: 'calendar#aclRule';
  id: string;
  etag?: string;
  role: AccessRole | 'none';
  scope: { type: 'user' | 'group' | 'domain' | 'default'; value?: string };
}

export interface Channel {
  kind: 'api#channel';
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string;
  /** Epoch milliseconds, as a string. */
  expiration: string;
}

/** §3.6: `{"error":{"errors":[…],"code","message"}}`. */
export interface ErrorBody {
  error: {
    errors: { domain: string; reason: string; message: string; locationType?: string; location?: string }[];
    code: number;
    message: string;
  };
}
