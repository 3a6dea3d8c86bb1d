/** A note ↔ a hub task: pure, and holding only the three fields a note has. */
import type { Mapper } from '../../../../src/connectors/kit/mapper.js';
import type { Fields } from '../../../../src/core/model.js';
import type { NoteItem } from './types.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const noteTaskMapper: Mapper<NoteItem> = {
  name: 'note-task',
  hubKind: 'task',
  // A pull writes only these; whatever else another system gave the task stays.
  holds: ['title', 'done', 'due'],
  toHub: (note) => ({ ok: true, value: { fields: { title: note.title, done: note.done, ...(note.due ? { due: note.due } : {}) }, identity: null } }),
  toExternal(fields) {
    const title = fields['title'];
    if (typeof title !== 'string' || !title.trim()) return { ok: false, error: 'a note needs a title: the task has none' };
    const due = fields['due'];
    if (due !== undefined && (typeof due !== 'string' || !DATE.test(due))) return { ok: false, error: `the task's due date "${String(due)}" is not YYYY-MM-DD` };
    return { ok: true, value: { title, done: fields['done'] === true, due: due ?? null } };
  },
  identity: () => null,
  label: (fields: Fields) => String(fields['title'] ?? '(untitled note)'),
};
