/**
 * `/tt` as text, pure: what a command asks for, which project or task a start names, and
 * the ephemeral answers. No clock and no I/O: the hub side (app/slack-desk.ts) reads the
 * records and runs the timers.
 */
export type TtCommand =
  { verb: 'start'; target: string } | { verb: 'stop' } | { verb: 'status' } | { verb: 'today' } | { verb: 'help' } | { verb: 'unknown'; word: string };

export function parseTt(text: string): TtCommand {
  const trimmed = text.trim();
  const [word = '', ...rest] = trimmed.split(/\s+/);
  const verb = word.toLowerCase();
  if (verb === 'start') return { verb: 'start', target: rest.join(' ').trim() };
  if (verb === 'stop' || verb === 'status' || verb === 'today') return { verb };
  if (verb === '' || verb === 'help') return { verb: 'help' };
  return { verb: 'unknown', word };
}

export interface Candidate {
  id: string;
  kind: 'project' | 'task';
  /** What people call it: a project's name, a task's key and summary. */
  label: string;
  /** Words a name may match (name; key; summary). */
  names: string[];
  projectId: string | null;
}

export type Choice = { found: Candidate } | { ambiguous: Candidate[] } | { none: true };

/**
 * The project or task `target` names: a hub id, or a task key, exactly; else a name or key
 * that equals it ignoring case; else the ones that contain it, ignoring case (one: that one;
 * several: a list to choose from).
 */
export function chooseTarget(target: string, candidates: Candidate[]): Choice {
  const byId = candidates.find((c) => c.id === target);
  if (byId) return { found: byId };
  const want = target.toLowerCase();
  const exact = candidates.filter((c) => c.names.some((n) => n.toLowerCase() === want));
  if (exact.length === 1) return { found: exact[0]! };
  const partial = exact.length > 1 ? exact : candidates.filter((c) => c.names.some((n) => n.toLowerCase().includes(want)));
  if (partial.length === 1) return { found: partial[0]! };
  if (partial.length > 1) return { ambiguous: partial };
  return { none: true };
}

/** A duration as people read it: `1 h 05 min`, `12 min`. */
export function hoursMinutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const h = Math.floor(m / 60);
  return h ? `${h} h ${String(m % 60).padStart(2, '0')} min` : `${m} min`;
}

const LIST_MAX = 10;

export const HELP_TEXT = [
  '*Timebridge timers* — `/tt <command>`:',
  '• `/tt start [project or task]` — start your timer (a running one is stopped first); name a project or task by id, key or part of its name',
  '• `/tt stop` — stop your timer and book the time',
  '• `/tt status` — what your timer is running on, and for how long',
  "• `/tt today` — today's total and entries (in your time zone)",
  '• `/tt help` — this text',
].join('\n');

export function ambiguousText(target: string, found: Candidate[]): string {
  const lines = found.slice(0, LIST_MAX).map((c) => `• ${c.kind} *${c.label}* — \`/tt start ${c.id}\``);
  const more = found.length > LIST_MAX ? [`…and ${found.length - LIST_MAX} more: type more of the name`] : [];
  return [`"${target}" matches ${found.length} projects or tasks; say which:`, ...lines, ...more].join('\n');
}

export function unknownTargetText(target: string, known: Candidate[]): string {
  const some = known
    .filter((c) => c.kind === 'project')
    .slice(0, LIST_MAX)
    .map((c) => c.label);
  return [
    `No project or task matches "${target}".`,
    some.length ? `Your projects: ${some.join(', ')}.` : 'There are no projects in your hub scope yet.',
    'Try `/tt start <part of a name>`, or `/tt start` with nothing to time without a project.',
  ].join('\n');
}

export const unknownCommandText = (word: string): string => `I don't know \`/tt ${word}\`. ${HELP_TEXT}`;
