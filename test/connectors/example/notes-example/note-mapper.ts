/**
 * A note ↔ a hub task (`core/fields/time-entry.ts`, `TaskFields`): pure. The note's key is
 * the task's key (and its identity, so the same task from another system is adopted, not
 * duplicated); the due date, which only notes have, goes under `extras.notes`.
 */
import type { Mapper } from '../../../../src/connectors/kit/mapper.js';
import { taskFieldsSchema, taskIdentity, type TaskFields } from '../../../../src/core/fields/time-entry.js';
import type { Fields } from '../../../../src/core/model.js';
import type { NoteItem } from './types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const noteTaskMapper: Mapper<NoteItem> = {
  name: 'note-task',
  hubKind: 'task',
  // A pull writes only these; the task's projectId, which another system may give it, stays.
  holds: ['key', 'summary', 'status', 'extras.notes'],
  toHub(note) {
    const fields: TaskFields = {
      key: note.key,
      summary: note.title || null,
      projectId: null,
      status: note.done ? 'done' : 'open',
      ...(note.due ? { extras: { notes: { due: note.due } } } : {}),
    };
    return { ok: true, value: { fields: fields as Fields, identity: taskIdentity(note.key) } };
  },
  toExternal(fields) {
    const task = taskFieldsSchema.safeParse(fields);
    if (!task.success)
      return { ok: false, error: `the task is not a hub task: ${task.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
    const due = (task.data.extras?.['notes'] as { due?: unknown } | undefined)?.due ?? null;
    if (due !== null && (typeof due !== 'string' || !DATE.test(due)))
      return { ok: false, error: `task ${task.data.key}: due date "${String(due)}" is not YYYY-MM-DD` };
    return { ok: true, value: { key: task.data.key, title: task.data.summary ?? '', done: task.data.status === 'done', due } };
  },
  identity: (fields: Fields) => (typeof fields['key'] === 'string' ? taskIdentity(fields['key']) : null),
  label: (fields: Fields) => `${String(fields['key'] ?? '?')} ${String(fields['summary'] ?? '')}`.trim(),
};
