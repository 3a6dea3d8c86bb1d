/**
 * `timebridge records list|show|create|edit|delete`: hub records on the local store, with the
 * records API's rules (app/record-desk.ts: validation, locked months, versions), as the local
 * admin, written as `cli:<OS user>`. No service runs here, so nothing is queued: the next
 * `timebridge sync` sends the change to the links.
 */
import os from 'node:os';
import type { Command } from 'commander';
import { RecordAccess } from '../../../app/record-access.js';
import { parseKind, RecordDesk, type HistoryView, type RecordView } from '../../../app/record-desk.js';
import { Scopes } from '../../../app/scopes.js';
import type { App } from '../../../app/compose.js';
import { TimebridgeError } from '../../../core/errors.js';
import type { Fields, Json } from '../../../core/model.js';
import { HubRecords } from '../../../runtime/records.js';
import { withApp, type GlobalOpts } from '../context.js';

const SYNC_NEXT = 'run `timebridge sync` to send it to the links';

/** A `--set` value: JSON when it parses as JSON (numbers, null, true, "quoted", [..]), else the text itself. */
export function parseValue(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
}

/** `field=value` pairs as a fields object; `extras.kimai.x=1` nests. */
export function parseSets(sets: string[]): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const s of sets) {
    const i = s.indexOf('=');
    if (i <= 0)
      throw new TimebridgeError('REQUEST_INVALID', `--set ${s} is not field=value`, {
        hint: 'e.g. --set description="Landing page" --set durationSeconds=5400',
      });
    const path = s.slice(0, i).split('.');
    let at = out;
    for (const key of path.slice(0, -1)) {
      const next = at[key];
      at = (at[key] = next && typeof next === 'object' && !Array.isArray(next) ? next : {}) as Record<string, Json>;
    }
    at[path[path.length - 1]!] = parseValue(s.slice(i + 1));
  }
  return out;
}

function parseJsonFields(text: string | undefined): Record<string, Json> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new TimebridgeError('REQUEST_INVALID', `--json-fields is not JSON: ${(err as Error).message}`, {
      hint: `e.g. --json-fields '{"date":"2026-03-02"}'`,
    });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new TimebridgeError('REQUEST_INVALID', '--json-fields is not a JSON object', { hint: 'pass {"field": value, …}' });
  return v as Record<string, Json>;
}

function deskOf(app: App): { desk: RecordDesk; records: HubRecords } {
  const links = [...app.links.values()];
  const scopes = new Scopes(app.store, { listLinks: async () => links.map((l) => ({ owner: null, config: { scope: l.scope } })) }, app.clock);
  const records = new HubRecords(app.store, app.clock);
  const desk = new RecordDesk({
    store: app.store,
    records,
    access: new RecordAccess(app.store, scopes),
    scopes: async () => (await scopes.list()).map((s) => s.scope),
    systemOf: async (name) => app.links.get(name)?.connector.manifest.type ?? null,
  });
  return { desk, records };
}

const user = () => os.userInfo().username;
const local = () => ({ caller: { userId: user(), role: 'admin' as const }, actor: { origin: `cli:${user()}` } });
const shown = (v: unknown): string => (v === undefined ? '(absent)' : typeof v === 'string' ? v : JSON.stringify(v));
const out = (text: string): void => {
  process.stdout.write(text + '\n');
};

/** One line per record: what a person recognises it by. */
function summary(r: RecordView): string {
  const f = r.fields;
  const mins = typeof f.durationSeconds === 'number' ? `${Math.round(f.durationSeconds / 60)} min` : 'running';
  if (r.kind === 'timeEntry') return `${shown(f.date)} ${f.start ? String(f.start).slice(11, 16) : '--:--'} ${mins.padStart(8)}  ${shown(f.description ?? '')}`;
  if (r.kind === 'task') return `${shown(f.key)} [${shown(f.state ?? 'todo')}] ${shown(f.summary ?? '')}`;
  if (r.kind === 'reservation') return `${shown(f.firstDay)}…${shown(f.lastDay)} ${shown(f.office)} [${shown(f.state)}] ${shown(f.personId)}`;
  if (r.kind === 'person') return `${shown(f.name ?? '')} (${shown(f.username ?? f.email ?? 'no username')})`;
  return shown(f.name ?? f.summary ?? f.title ?? '').slice(0, 80);
}

function table(items: RecordView[]): string {
  return items.map((r) => `${r.id}  ${r.scope.padEnd(10)} v${String(r.version).padEnd(3)} ${r.deleted ? '(deleted) ' : ''}${summary(r)}`).join('\n');
}

function recordText(r: RecordView): string {
  const head = `${r.kind} ${r.id} in scope ${r.scope}, version ${r.version}${r.deleted ? ' (deleted)' : ''}, last written ${r.updatedAt} by ${r.origin}`;
  return [head, ...Object.entries(r.fields).map(([k, v]) => `  ${k}: ${shown(v)}`)].join('\n');
}

function historyText(h: HistoryView[]): string {
  return h
    .map((s) => {
      const who = s.via === 'link' ? `link ${s.by} (${s.system ?? 'link gone'})` : `${s.via} ${s.by}`;
      const lines = [`  v${s.version} ${s.at} ${s.action} by ${who}${s.runId ? `, run ${s.runId}` : ''}`];
      for (const c of s.changes) lines.push(`      ${c.field}: ${shown(c.before)} → ${shown(c.after)}`);
      return lines.join('\n');
    })
    .join('\n');
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerRecords(program: Command): void {
  const records = program.command('records').description('list, show, create, change and delete hub records (time entries, tasks, persons) on the local store');
  const g = (cmd: Command) => cmd.optsWithGlobals<GlobalOpts>();

  records
    .command('list')
    .description('records of a kind, ordered by id')
    .argument('<kind>', 'timeEntry, task, person, project, …')
    .option('--scope <scope>', 'one scope (default: every scope of the configured links)')
    .option('--person <id>', "a time entry's person (hub id)")
    .option('--office <id>', "a reservation's office")
    .option('--from <day>', "from this day (a time entry's date, a reservation's days; YYYY-MM-DD)")
    .option('--to <day>', 'to this day, inclusive')
    .option('--deleted', 'include deleted records')
    .option('--limit <n>', 'at most this many (default 100, at most 1000)', '100')
    .option('--after <cursor>', 'the page after this cursor (printed at the end of a page)')
    .option('--json', 'print as JSON')
    .action(
      async (
        kind: string,
        o: { scope?: string; person?: string; office?: string; from?: string; to?: string; deleted?: boolean; limit: string; after?: string; json?: boolean },
        cmd: Command,
      ) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw new TimebridgeError('REQUEST_INVALID', `--limit ${o.limit} is not 1…1000`, { hint: 'e.g. --limit 100' });
        for (const d of [o.from, o.to])
          if (d !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(d))
            throw new TimebridgeError('REQUEST_INVALID', `${d} is not a day`, { hint: 'write days as YYYY-MM-DD' });
        await withApp(g(cmd), async (app) => {
          const { desk } = deskOf(app);
          const page = await desk.list(local().caller, {
            kind: parseKind(kind),
            scope: o.scope,
            personId: o.person,
            office: o.office,
            from: o.from,
            to: o.to,
            includeDeleted: o.deleted ?? false,
            after: o.after,
            limit,
          });
          const items = page.items.map((r) => desk.view(r));
          if (o.json) return out(JSON.stringify({ items, next: page.next }, null, 2));
          const where = o.scope ? ` in scope ${o.scope}` : ' in the scopes of the configured links; name another with --scope';
          out(items.length ? table(items) : `no ${kind} records${where}`);
          if (page.next) out(`more: timebridge records list ${kind} --after ${page.next}`);
        });
      },
    );

  records
    .command('show')
    .description('one record, and with --history who changed it through which system')
    .argument('<id>', 'hub record id')
    .option('--history', 'also the changes: who, through which system, when, each field before → after')
    .option('--json', 'print as JSON')
    .action(async (id: string, o: { history?: boolean; json?: boolean }, cmd: Command) => {
      await withApp(g(cmd), async (app) => {
        const { desk } = deskOf(app);
        const r = desk.view(await desk.get(local().caller, null, id));
        const history = o.history ? await desk.history(local().caller, null, id) : undefined;
        if (o.json) return out(JSON.stringify(history ? { ...r, history } : r, null, 2));
        out(recordText(r) + (history ? `\nhistory:\n${historyText(history)}` : ''));
      });
    });

  records
    .command('create')
    .description('create a time entry, task or person')
    .argument('<kind>', 'timeEntry, task or person')
    .requiredOption('--scope <scope>', 'the hub scope to create it in')
    .option('--set <field=value>', 'a field (repeat); values parse as JSON when they can', collect, [])
    .option('--json-fields <json>', 'the fields as a JSON object (--set values go over it)')
    .option('--json', 'print the record as JSON')
    .action(async (kind: string, o: { scope: string; set: string[]; jsonFields?: string; json?: boolean }, cmd: Command) => {
      const fields = { ...parseJsonFields(o.jsonFields), ...parseSets(o.set) } as Fields;
      await withApp(g(cmd), async (app) => {
        const { desk } = deskOf(app);
        const l = local();
        printWritten(desk.view(await desk.create(l.caller, l.actor, parseKind(kind), o.scope, fields)), 'created', o.json);
      });
    });

  records
    .command('edit')
    .description("change a record's fields (merge: fields you do not name keep their value; null clears one)")
    .argument('<id>', 'hub record id')
    .option('--set <field=value>', 'a field (repeat); values parse as JSON when they can', collect, [])
    .option('--json-fields <json>', 'the changes as a JSON object')
    .option('--if-version <n>', 'refuse if the record is no longer at this version (default: the version it has now)')
    .option('--json', 'print the record as JSON')
    .action(async (id: string, o: { set: string[]; jsonFields?: string; ifVersion?: string; json?: boolean }, cmd: Command) => {
      const patch = { ...parseJsonFields(o.jsonFields), ...parseSets(o.set) };
      if (!Object.keys(patch).length) throw new TimebridgeError('REQUEST_INVALID', 'nothing to change', { hint: 'name fields with --set field=value' });
      await withApp(g(cmd), async (app) => {
        const { desk } = deskOf(app);
        const l = local();
        const version = await versionFor(desk, id, o.ifVersion);
        printWritten(desk.view(await desk.patch(l.caller, l.actor, null, id, patch, version)), 'changed', o.json);
      });
    });

  records
    .command('delete')
    .description('delete a record (it stays in the hub as a tombstone; links delete it on their side)')
    .argument('<id>', 'hub record id')
    .option('--if-version <n>', 'refuse if the record is no longer at this version')
    .option('--json', 'print the record as JSON')
    .action(async (id: string, o: { ifVersion?: string; json?: boolean }, cmd: Command) => {
      await withApp(g(cmd), async (app) => {
        const { desk } = deskOf(app);
        const l = local();
        const version = await versionFor(desk, id, o.ifVersion);
        printWritten(desk.view(await desk.remove(l.caller, l.actor, null, id, version)), 'deleted', o.json);
      });
    });
}

async function versionFor(desk: RecordDesk, id: string, given: string | undefined): Promise<number> {
  if (given === undefined) return (await desk.get(local().caller, null, id)).version;
  const n = Number(given);
  if (!Number.isInteger(n) || n < 1)
    throw new TimebridgeError('REQUEST_INVALID', `--if-version ${given} is not a version`, { hint: 'versions are 1, 2, 3, …' });
  return n;
}

function printWritten(r: RecordView, what: string, json: boolean | undefined): void {
  if (json) return out(JSON.stringify(r, null, 2));
  out(`${what} ${recordText(r)}\n${SYNC_NEXT}`);
}
