/**
 * The book's overlay on office links: manual users joined, and a link that names no
 * calendar shows its office's — the office's id, or the calendar made and kept for it, or,
 * before it is made, its name — never the connection's default calendar.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { AttendanceBook } from '../../src/app/attendance-book.js';
import type { Catalog } from '../../src/app/catalog.js';
import { attendanceSchema, linkSchema } from '../../src/app/config-schema.js';
import { createLogger } from '../../src/app/logger.js';
import { calendarRowId } from '../../src/app/office-calendars.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

describe('attendance book: the office links’ overlay', () => {
  it('fills a missing collection from the office, the kept calendar, or the name it will have', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-book-'));
    const store = openSqliteStore(path.join(dir, 'hub.sqlite'));
    try {
      const base = attendanceSchema.parse({
        scope: 'office',
        offices: [
          { id: 'prague', name: 'Prague', calendar: 'prague@group.calendar.google.com', connection: 'g' },
          { id: 'linz', name: 'Linz', connection: 'g' },
        ],
        manualUsers: [{ email: 'Eva@Example.com' }],
        calendars: { summary: '{name} office' },
      });
      const logger = createLogger({ destination: new Writable({ write: (_c, _e, cb) => cb() }) });
      const book = new AttendanceBook(base, { store } as unknown as Catalog, logger, () => new Date('2030-01-01T00:00:00Z'), store);
      const link = (office: string, collection?: string) =>
        linkSchema.parse({
          connection: 'g',
          scope: 'office',
          externalKind: 'attendance',
          mapper: 'google-attendance',
          options: { office },
          ...(collection ? { collection } : {}),
        });

      assert.equal(book.overlay(link('prague')).collection, 'prague@group.calendar.google.com');
      assert.equal(book.overlay(link('prague', 'other@group.calendar.google.com')).collection, 'other@group.calendar.google.com');
      assert.equal(book.overlay(link('linz')).collection, 'Linz office', 'not made yet: by its name');
      assert.deepEqual(book.overlay(link('linz')).options?.['manualUsers'], ['eva@example.com']);

      await store.putDefinition({
        category: 'attendance',
        id: calendarRowId('linz'),
        type: 'office-calendar',
        config: { calendarId: 'made-linz@group.calendar.google.com' },
        owner: null,
        source: 'api',
        enabled: true,
        secrets: null,
        updatedAt: '2030-01-01T00:00:00Z',
      });
      await book.loadStored();
      assert.equal(book.overlay(link('linz')).collection, 'made-linz@group.calendar.google.com');
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
