/**
 * The Calendar API v3 resources as this connector reads and writes them (the fields the
 * hub uses, api-contracts §3.4), shared with the emulator so both speak the same shape.
 */

/** `{date}` for an all-day point, `{dateTime, timeZone?}` for a timed one. */
export interface GEventTime {
  date?: string;
  dateTime?: string;
  timeZone?: string;
}

export interface GExtendedProperties {
  private?: Record<string, string>;
  shared?: Record<string, string>;
}

export interface GEvent {
  kind?: 'calendar#event';
  id: string;
  etag?: string;
  status?: 'confirmed' | 'tentative' | 'cancelled';
  iCalUID?: string;
  summary?: string;
  description?: string;
  location?: string;
  colorId?: string;
  transparency?: 'opaque' | 'transparent';
  visibility?: 'default' | 'public' | 'private' | 'confidential';
  eventType?: 'default' | 'outOfOffice' | 'focusTime' | 'workingLocation';
  start?: GEventTime;
  end?: GEventTime;
  recurrence?: string[];
  recurringEventId?: string;
  originalStartTime?: GEventTime;
  extendedProperties?: GExtendedProperties;
  created?: string;
  updated?: string;
  sequence?: number;
  htmlLink?: string;
  // Fields the hub does not model ride along untouched (attendees, reminders, …).
  [other: string]: unknown;
}

export interface GEventList {
  kind: 'calendar#events';
  etag?: string;
  summary?: string;
  timeZone?: string;
  items: GEvent[];
  nextPageToken?: string;
  nextSyncToken?: string;
}

export interface GCalendar {
  kind: 'calendar#calendar';
  id: string;
  etag?: string;
  summary: string;
  description?: string;
  timeZone?: string;
}

export interface GCalendarListEntry {
  kind: 'calendar#calendarListEntry';
  id: string;
  summary: string;
  timeZone?: string;
  accessRole: 'owner' | 'writer' | 'reader' | 'freeBusyReader';
}

export interface GAclRule {
  kind: 'calendar#aclRule';
  id: string;
  etag?: string;
  role: 'owner' | 'writer' | 'reader' | 'freeBusyReader' | 'none';
  scope: { type: 'user' | 'group' | 'domain' | 'default'; value?: string };
}

export interface GChannel {
  kind: 'api#channel';
  id: string;
  resourceId: string;
  resourceUri: string;
  token?: string;
  /** Epoch milliseconds, as a string. */
  expiration: string;
}

export interface GErrorBody {
  error: {
    errors: { domain: string; reason: string; message: string; locationType?: string; location?: string }[];
    code: number;
    message: string;
  };
}

/** What one connector item is: the event, and for a series its exceptions (moved or cancelled instances). */
export interface GoogleItem {
  event: GEvent;
  exceptions: GEvent[];
  /** On a write: the instances the hub wants as exceptions (null event: cancelled); see instances.ts. */
  instances?: { key: string; event: GEvent | null }[];
}
