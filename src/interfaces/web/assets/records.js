// The dashboard's records pages: time entries (a week per person, edit, split, book,
// delete, history), the running timer, tasks, timesheets and the "to book" list. They only
// call the records, timers, timesheets and booking routes, which decide who may see and
// change what. Every value is rendered as text; nothing here sets innerHTML.
import { html, useState, useEffect } from './vendor/htm-preact.js';
import { session, api, request, navigate, Link, Time, ErrorBox, useApi, Loading, Action, show } from './app.js';

const q = encodeURIComponent;

/** YYYY-MM-DD of a Date, in the viewer's zone. */
const isoDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const parseDay = (s) => {
  const [y, m, d] = s.split('-').map(Number);
  return new Date(y, m - 1, d);
};
/** The Monday of the week a day is in. */
function monday(day) {
  const d = parseDay(day);
  d.setDate(d.getDate() - ((d.getDay() + 6) % 7));
  return isoDay(d);
}
const addDays = (day, n) => {
  const d = parseDay(day);
  d.setDate(d.getDate() + n);
  return isoDay(d);
};
const addMonths = (month, n) => {
  const [y, m] = month.split('-').map(Number);
  const d = new Date(y, m - 1 + n, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
};
/** 5400 → "1:30". */
export function hours(seconds) {
  if (seconds == null) return 'running';
  const m = Math.round(seconds / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
}
/** A UTC instant as the value of a datetime-local input, in the viewer's zone. */
function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
/** A datetime-local value (the viewer's zone) as a UTC instant YYYY-MM-DDTHH:MM:SSZ. */
const fromLocalInput = (v) => (v ? new Date(v).toISOString().replace(/\.\d{3}Z$/, 'Z') : null);

/** The page's query parameters, and a way to change them without leaving the page. */
function useQuery() {
  const params = new URLSearchParams(location.search);
  const set = (changes) => {
    const p = new URLSearchParams(location.search);
    for (const [k, v] of Object.entries(changes)) {
      if (v) p.set(k, v);
      else p.delete(k);
    }
    navigate(location.pathname + (p.toString() ? '?' + p : ''));
  };
  return [params, set];
}

/** The scope the pages work in: `?scope=`, else the one picked last, else the only one where the caller is a person. */
function useScope(params) {
  const mine = useApi('/me/persons');
  const own = [...new Set((mine.data?.persons ?? []).map((p) => p.scope))];
  return params.get('scope') ?? window.localStorage.getItem('tb.scope') ?? (own.length === 1 ? own[0] : '');
}

function ScopePicker({ scope, set }) {
  const scopes = useApi('/scopes');
  const mine = useApi('/me/persons');
  const names = [...new Set([...(mine.data?.persons ?? []).map((p) => p.scope), ...(scopes.data?.scopes ?? []).map((s) => s.scope)])].sort();
  const [value, setValue] = useState(scope);
  useEffect(() => setValue(scope), [scope]);
  const pick = (e) => {
    e.preventDefault();
    window.localStorage.setItem('tb.scope', value.trim());
    set({ scope: value.trim() });
  };
  return html`<form class="filters" onSubmit=${pick} aria-label="Scope picker">
    <label for="scope">Scope</label>
    <input id="scope" list="scope-list" value=${value} onInput=${(e) => setValue(e.target.value)} required />
    <datalist id="scope-list">${names.map((n) => html`<option value=${n} />`)}</datalist>
    <button type="submit">Show</button>
  </form>`;
}

function isMe(p) {
  const u = session.userId;
  return p.fields.username === u || (typeof p.fields.email === 'string' && p.fields.email.toLowerCase() === u.toLowerCase());
}

/** The persons of a scope the caller may read (a user: themselves), and the one picked. */
function usePersons(scope, params) {
  const s = useApi(scope ? `/records/person?scope=${q(scope)}&limit=1000` : null);
  const persons = s.data?.items ?? [];
  const me = persons.find(isMe);
  const picked = persons.find((p) => p.id === params.get('person')) ?? me ?? persons[0] ?? null;
  return { state: s, persons, me, picked };
}

const personName = (p) => (p ? show(p.fields.name ?? p.fields.username ?? p.fields.email ?? p.id) : '—');

function PersonPicker({ persons, picked, set }) {
  if (persons.length < 2) return picked ? html`<p>Person: <strong>${personName(picked)}</strong></p>` : null;
  return html`<p>
    <label for="person">Person</label>
    <select id="person" value=${picked?.id ?? ''} onChange=${(e) => set({ person: e.target.value })}>
      ${persons.map((p) => html`<option value=${p.id}>${personName(p)}${isMe(p) ? ' (you)' : ''}</option>`)}
    </select>
  </p>`;
}

/** Records of a kind in a scope, all pages (the pages here list one person's week or a scope's tasks). */
async function listAll(kind, query) {
  const items = [];
  let after = null;
  do {
    const page = await api('GET', `/records/${kind}?${query}&limit=1000${after ? '&after=' + q(after) : ''}`);
    items.push(...page.items);
    after = page.next;
  } while (after);
  return items;
}

function useList(kind, query) {
  const [state, setState] = useState({ data: null, error: null });
  const [n, reload] = useState(0);
  useEffect(() => {
    if (query === null) return;
    setState({ data: null, error: null });
    listAll(kind, query).then(
      (data) => setState({ data, error: null }),
      (error) => setState({ data: null, error }),
    );
  }, [kind, query, n]);
  return { ...state, reload: () => reload((x) => x + 1) };
}

function NoScope() {
  return html`<p class="empty">Pick a scope to see its records: the scope your links write time entries into.</p>`;
}

function NoPerson({ scope, state }) {
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  if (!state.data) return html`<p aria-busy="true">Loading…</p>`;
  return html`<p class="empty">
    You are no person in scope ${scope}. An admin makes one with username "${session.userId}" (<code>timebridge records create person</code>), or a Kimai or
    Jira link brings one.
  </p>`;
}

// ---- the running timer ----

/** How long the timer has run: the server's count when loaded, then counting on each minute. */
function Elapsed({ seconds }) {
  const [since] = useState(() => Date.now());
  const [, tick] = useState(0);
  useEffect(() => {
    const t = window.setInterval(() => tick((n) => n + 1), 15_000);
    return () => window.clearInterval(t);
  }, []);
  return html`<span class="elapsed">${hours(seconds + (Date.now() - since) / 1000)}</span>`;
}

function TimerPanel({ scope, person, projects, done }) {
  const url = `/timers/current?scope=${q(scope)}&personId=${q(person.id)}`;
  const s = useApi(url);
  const [description, setDescription] = useState('');
  const [projectId, setProjectId] = useState('');
  const body = { scope, personId: person.id };
  const after = () => {
    s.reload();
    done();
  };
  return html`<section class="card timer" aria-label="Timer">
    <h2>Timer</h2>
    <${Loading} state=${s}
      >${(t) =>
        t.running
          ? html`<p role="status">
                Running since <${Time} iso=${t.timer.fields.start} zone=${t.timer.fields.timeZone ?? undefined} />${
                  t.timer.fields.description ? ': ' + t.timer.fields.description : ''
                }
                (<${Elapsed} seconds=${t.elapsedSeconds} /> so far)
              </p>
              <${Action} label="Stop timer" kind="primary" run=${() => api('POST', '/timers/stop', body)} done=${after} />
              <${Action} label="Discard timer" confirm="Discard the running timer without a time entry?" run=${() => api('DELETE', url)} done=${after} />`
          : html`<p>No timer is running.</p>
              <div class="form-row">
                <label for="timer-description">What are you working on?</label>
                <input id="timer-description" value=${description} onInput=${(e) => setDescription(e.target.value)} />
                <label for="timer-project">Project</label>
                <select id="timer-project" value=${projectId} onChange=${(e) => setProjectId(e.target.value)}>
                  <option value="">none</option>
                  ${projects.map((p) => html`<option value=${p.id}>${show(p.fields.name)}</option>`)}
                </select>
              </div>
              <${Action}
                label="Start timer"
                kind="primary"
                run=${() => api('POST', '/timers/start', { ...body, ...(description ? { description } : {}), ...(projectId ? { projectId } : {}) })}
                done=${() => {
                  setDescription('');
                  after();
                }}
              />`}<//
    >
  </section>`;
}

// ---- the week ----

function WeekView({ scope, person, week, set, projects }) {
  const to = addDays(week, 6);
  const s = useList('timeEntry', `scope=${q(scope)}&personId=${q(person.id)}&from=${week}&to=${to}`);
  const names = new Map(projects.map((p) => [p.id, p.fields.name]));
  const days = Array.from({ length: 7 }, (_, i) => addDays(week, i));
  return html`<section aria-label="Week">
    <h2>Week of ${parseDay(week).toLocaleDateString(undefined, { dateStyle: 'medium' })}</h2>
    <p class="pager">
      <button type="button" onClick=${() => set({ week: addDays(week, -7) })}>Previous week</button>
      <button type="button" onClick=${() => set({ week: monday(isoDay(new Date())) })}>This week</button>
      <button type="button" onClick=${() => set({ week: addDays(week, 7) })}>Next week</button>
    </p>
    <${Loading} state=${s}
      >${(entries) => {
        const live = entries.filter((e) => !e.deleted);
        if (live.length === 0) return html`<p class="empty">No time entries this week. Start the timer above, or a link brings them in.</p>`;
        const total = live.reduce((n, e) => n + (e.fields.durationSeconds ?? 0), 0);
        return html`<div class="table-wrap">
          <table class="week">
            <caption>
              ${personName(person)}: ${hours(total)} this week
            </caption>
            <thead>
              <tr>
                <th scope="col">Start</th>
                <th scope="col">Duration</th>
                <th scope="col">Description</th>
                <th scope="col">Project</th>
                <th scope="col"><span class="sr-only">Actions</span></th>
              </tr>
            </thead>
            ${days.map((day) => {
              const of = live.filter((e) => e.fields.date === day).sort((a, b) => String(a.fields.start).localeCompare(String(b.fields.start)));
              if (!of.length) return null;
              const sum = of.reduce((n, e) => n + (e.fields.durationSeconds ?? 0), 0);
              return html`<tbody data-day=${day}>
                <tr class="day">
                  <th scope="rowgroup" colspan="5">
                    ${parseDay(day).toLocaleDateString(undefined, { weekday: 'long', day: 'numeric', month: 'short' })} ·
                    <span class="day-total">${hours(sum)}</span>
                  </th>
                </tr>
                ${of.map(
                  (e) =>
                    html`<tr data-entry=${e.id}>
                      <td>${e.fields.start ? html`<${Time} iso=${e.fields.start} zone=${e.fields.timeZone ?? undefined} />` : 'all day'}</td>
                      <td>${hours(e.fields.durationSeconds)}</td>
                      <td>${show(e.fields.description ?? '')}</td>
                      <td>${e.fields.projectId ? show(names.get(e.fields.projectId) ?? e.fields.projectId) : html`<em>to book</em>`}</td>
                      <td>
                        <${Link} href=${`/records/entry/${q(e.id)}?scope=${q(scope)}`}
                          >Edit<span class="sr-only"> ${show(e.fields.description ?? e.id)}</span><//
                        >
                      </td>
                    </tr>`,
                )}
              </tbody>`;
            })}
          </table>
        </div>`;
      }}<//
    >
  </section>`;
}

/** Projects and activities of a scope (links bring them, e.g. Kimai). */
function useTaxonomy(scope) {
  const projects = useList('project', scope ? `scope=${q(scope)}` : null);
  const activities = useList('activity', scope ? `scope=${q(scope)}` : null);
  const live = (l) => (l.data ?? []).filter((r) => !r.deleted);
  return { projects: live(projects), activities: live(activities) };
}

export function Records() {
  const [params, set] = useQuery();
  const scope = useScope(params);
  const { state, persons, picked } = usePersons(scope, params);
  const { projects } = useTaxonomy(scope);
  const week = monday(params.get('week') ?? isoDay(new Date()));
  const [n, bump] = useState(0);
  return html`<h1>Records</h1>
    <p>
      Your time entries, a week at a time, and your timer. <${Link} href="/timesheets">Timesheets<//> · <${Link} href="/tasks">Tasks<//>${' · '}<${Link}
        href="/to-book"
        >To book<//
      >
    </p>
    <${ScopePicker} scope=${scope} set=${set} />
    ${
      !scope
        ? html`<${NoScope} />`
        : !picked
          ? html`<${NoPerson} scope=${scope} state=${state} />`
          : html`<${PersonPicker} persons=${persons} picked=${picked} set=${set} />
              <${TimerPanel} key=${scope + picked.id} scope=${scope} person=${picked} projects=${projects} done=${() => bump(n + 1)} />
              <${WeekView} key=${scope + picked.id + week + n} scope=${scope} person=${picked} week=${week} set=${set} projects=${projects} />`
    }`;
}

// ---- one entry ----

/** The error of a write, with what to do about a stale version. */
function WriteError({ error, reload }) {
  if (!error) return null;
  if (error.status === 409 && error.code === 'RESOURCE_CONFLICT')
    return html`<div class="error" role="alert">
      <strong>${error.message}</strong> <code>${error.code}</code>
      <p class="hint">Someone changed this record since you opened it: reload to see the current version, then make your change again.</p>
      <button type="button" onClick=${reload}>Reload</button>
    </div>`;
  return html`<${ErrorBox} error=${error} />`;
}

/** A write against the version read: If-Match from the ETag; its error shown next to the form. */
function useWrite(etag, after) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const run = async (method, url, body) => {
    setBusy(true);
    setError(null);
    try {
      const r = await request(method, url, body, { 'if-match': etag });
      after(r);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

function EntryForm({ rec, etag, projects, activities, saved, reload }) {
  const f = rec.fields;
  // The inputs as first shown: only what the person changed is sent (a start shown to the minute is not rewritten).
  const initial = {
    date: f.date ?? '',
    start: toLocalInput(f.start),
    minutes: f.durationSeconds == null ? '' : String(Math.round(f.durationSeconds / 60)),
    description: f.description ?? '',
    billable: f.billable === true,
  };
  const [date, setDate] = useState(initial.date);
  const [start, setStart] = useState(initial.start);
  const [minutes, setMinutes] = useState(initial.minutes);
  const [description, setDescription] = useState(initial.description);
  const [billable, setBillable] = useState(initial.billable);
  const w = useWrite(etag, saved);
  const save = (e) => {
    e.preventDefault();
    const patch = {};
    if (date !== initial.date) patch.date = date;
    if (start !== initial.start) patch.start = fromLocalInput(start);
    if (minutes !== initial.minutes) patch.durationSeconds = minutes === '' ? null : Math.round(Number(minutes) * 60);
    if (description !== initial.description) patch.description = description === '' ? null : description;
    if (billable !== initial.billable) patch.billable = billable;
    w.run('PATCH', `/records/timeEntry/${q(rec.id)}`, { fields: patch });
  };
  return html`<form class="card" onSubmit=${save} aria-label="Edit entry">
    <h2>Edit</h2>
    <div class="form-grid">
      <label for="e-date">Day</label><input id="e-date" type="date" required value=${date} onInput=${(e) => setDate(e.target.value)} />
      <label for="e-start">Start (your time)</label><input id="e-start" type="datetime-local" value=${start} onInput=${(e) => setStart(e.target.value)} />
      <label for="e-minutes">Duration (minutes)</label
      ><input id="e-minutes" type="number" min="0" step="1" value=${minutes} onInput=${(e) => setMinutes(e.target.value)} />
      <label for="e-description">Description</label><input id="e-description" value=${description} onInput=${(e) => setDescription(e.target.value)} />
      <label for="e-billable">Billable</label><input id="e-billable" type="checkbox" checked=${billable} onChange=${(e) => setBillable(e.target.checked)} />
    </div>
    <button type="submit" class="primary" disabled=${w.busy}>Save</button>
    <${WriteError} error=${w.error} reload=${reload} />
    <${BookForm} rec=${rec} etag=${etag} projects=${projects} activities=${activities} saved=${saved} reload=${reload} />
  </form>`;
}

function BookForm({ rec, etag, projects, activities, saved, reload }) {
  const [projectId, setProjectId] = useState(rec.fields.projectId ?? '');
  const [activityId, setActivityId] = useState(rec.fields.activityId ?? '');
  const w = useWrite(etag, saved);
  const book = () => w.run('PATCH', `/records/timeEntry/${q(rec.id)}`, { fields: { projectId: projectId || null, activityId: activityId || null } });
  return html`<fieldset class="book">
    <legend>Book on a project</legend>
    ${projects.length === 0 ? html`<p class="empty">This scope has no projects yet: a link (Kimai) brings them.</p>` : null}
    <label for="b-project">Project</label>
    <select id="b-project" value=${projectId} onChange=${(e) => setProjectId(e.target.value)}>
      <option value="">none</option>
      ${projects.map((p) => html`<option value=${p.id}>${show(p.fields.name)}</option>`)}
    </select>
    <label for="b-activity">Activity</label>
    <select id="b-activity" value=${activityId} onChange=${(e) => setActivityId(e.target.value)}>
      <option value="">none</option>
      ${activities.filter((a) => !a.fields.projectId || a.fields.projectId === projectId).map((a) => html`<option value=${a.id}>${show(a.fields.name)}</option>`)}
    </select>
    <button type="button" disabled=${w.busy} onClick=${book}>Book</button>
    <${WriteError} error=${w.error} reload=${reload} />
  </fieldset>`;
}

function SplitForm({ rec, etag, saved, reload }) {
  const total = rec.fields.durationSeconds ?? 0;
  const [minutes, setMinutes] = useState(total >= 120 ? String(Math.floor(total / 120)) : '');
  const w = useWrite(etag, saved);
  const split = (e) => {
    e.preventDefault();
    const first = Math.round(Number(minutes) * 60);
    w.run('POST', `/records/timeEntry/${q(rec.id)}/split`, { durationsSeconds: [first, total - first] });
  };
  if (total < 120) return null;
  return html`<form class="card" onSubmit=${split} aria-label="Split entry">
    <h2>Split</h2>
    <label for="s-minutes">Minutes in the first part (of ${Math.round(total / 60)})</label>
    <input id="s-minutes" type="number" min="1" max=${Math.floor(total / 60) - 1} required value=${minutes} onInput=${(e) => setMinutes(e.target.value)} />
    <button type="submit" disabled=${w.busy}>Split</button>
    <${WriteError} error=${w.error} reload=${reload} />
  </form>`;
}

const VIA = { api: 'the API', cli: 'the command line', link: 'a link', user: 'a user', rule: 'a booking rule' };

/** A field's value in the history: a start in the viewer's zone, a project, activity or person by name. */
function HistoryValue({ field, value, names, zone }) {
  if (field === 'start' && typeof value === 'string') return html`<${Time} iso=${value} zone=${zone} />`;
  if (typeof value === 'string' && names.has(value)) return html`<span title=${value}>${show(names.get(value))}</span>`;
  return show(value);
}

function History({ kind, id, names, zone }) {
  const s = useApi(`/records/${kind}/${q(id)}/history`);
  return html`<section aria-label="History">
    <h2>History across systems</h2>
    <${Loading} state=${s}
      >${(d) =>
        d.history.length === 0
          ? html`<p class="empty">No changes recorded.</p>`
          : html`<ol class="history">
              ${[...d.history].reverse().map(
                (h) =>
                  html`<li data-version=${h.version}>
                    <p>
                      <strong>${h.action}</strong> by <span class="by">${h.by}</span> via <span class="via">${VIA[h.via] ?? h.via}</span>${
                        h.system && h.system !== h.via ? html` (<span class="system">${h.system}</span>)` : null
                      }, <${Time} iso=${h.at} /> · version ${h.version}
                    </p>
                    ${
                      h.changes.length
                        ? html`<div class="table-wrap">
                            <table class="diff">
                              <thead>
                                <tr>
                                  <th scope="col">Field</th>
                                  <th scope="col">Before</th>
                                  <th scope="col">After</th>
                                </tr>
                              </thead>
                              <tbody>
                                ${h.changes.map(
                                  (c) =>
                                    html`<tr>
                                      <th scope="row">${c.field}</th>
                                      <td class="before">
                                        ${'before' in c ? html`<${HistoryValue} field=${c.field} value=${c.before} names=${names} zone=${zone} />` : '(none)'}
                                      </td>
                                      <td class="after">
                                        ${'after' in c ? html`<${HistoryValue} field=${c.field} value=${c.after} names=${names} zone=${zone} />` : '(none)'}
                                      </td>
                                    </tr>`,
                                )}
                              </tbody>
                            </table>
                          </div>`
                        : null
                    }
                  </li>`,
              )}
            </ol>`}<//
    >
  </section>`;
}

export function Entry({ id }) {
  const [params] = useQuery();
  const [state, setState] = useState({ data: null, error: null });
  const [n, setN] = useState(0);
  const [note, setNote] = useState(null);
  const load = () =>
    request('GET', `/records/timeEntry/${q(id)}`).then(
      (r) => setState({ data: r, error: null }),
      (error) => setState({ data: null, error }),
    );
  useEffect(() => {
    load();
  }, [id, n]);
  const picked = useScope(params);
  const scope = state.data?.data.scope ?? picked;
  const { projects, activities } = useTaxonomy(state.data ? scope : '');
  const persons = useList('person', state.data ? `scope=${q(scope)}` : null);
  const names = new Map([...projects, ...activities, ...(persons.data ?? [])].map((r) => [r.id, r.fields.name ?? r.id]));
  const saved = (text) => () => {
    setNote(text);
    setN(n + 1);
  };
  const back = `/records?scope=${q(scope)}`;
  return html`<p><${Link} href=${back}>← Back to the week<//></p>
    ${
      state.error
        ? html`<h1>Time entry</h1>
            <${ErrorBox} error=${state.error} />`
        : !state.data
          ? html`<p aria-busy="true">Loading…</p>`
          : (() => {
              const rec = state.data.data;
              const etag = state.data.etag;
              const f = rec.fields;
              return html`<h1>Time entry ${f.date ?? ''}</h1>
                ${note ? html`<p role="status">${note}</p>` : null}
                <dl class="facts">
                  <dt>Start</dt>
                  <dd>${f.start ? html`<${Time} iso=${f.start} zone=${f.timeZone ?? undefined} />` : 'all day'}</dd>
                  <dt>Duration</dt>
                  <dd>${hours(f.durationSeconds)}</dd>
                  <dt>Version</dt>
                  <dd>${rec.version}</dd>
                  <dt>Last written by</dt>
                  <dd>${rec.origin}</dd>
                  ${
                    f.exported
                      ? html`<dt>Locked</dt>
                          <dd>its month is locked (exported)</dd>`
                      : null
                  }
                </dl>
                <${EntryForm}
                  key=${etag}
                  rec=${rec}
                  etag=${etag}
                  projects=${projects}
                  activities=${activities}
                  saved=${saved('Saved.')}
                  reload=${() => setN(n + 1)}
                />
                <${SplitForm} key=${'s' + etag} rec=${rec} etag=${etag} saved=${saved('Split in two.')} reload=${() => setN(n + 1)} />
                <${DeleteButton} rec=${rec} etag=${etag} back=${back} reload=${() => setN(n + 1)} />
                <${History} key=${'h' + etag} kind="timeEntry" id=${rec.id} names=${names} zone=${f.timeZone ?? undefined} />`;
            })()
    }`;
}

function DeleteButton({ rec, etag, back, reload }) {
  const w = useWrite(etag, () => navigate(back));
  const del = () => window.confirm('Delete this time entry?') && w.run('DELETE', `/records/timeEntry/${q(rec.id)}`);
  return html`<p>
    <button type="button" class="danger" disabled=${w.busy} onClick=${del}>Delete entry</button>
    <${WriteError} error=${w.error} reload=${reload} />
  </p>`;
}

// ---- tasks ----

const STATES = ['todo', 'in-progress', 'done'];

function TaskRow({ t, reload }) {
  const [error, setError] = useState(null);
  const change = async (e) => {
    setError(null);
    try {
      await api('PATCH', `/records/task/${q(t.id)}`, { fields: { state: e.target.value } }, { 'if-match': `"${t.version}"` });
      reload();
    } catch (err) {
      setError(err);
    }
  };
  return html`<tr data-task=${t.id}>
    <th scope="row">${t.fields.url ? html`<a href=${t.fields.url} rel="noopener noreferrer">${t.fields.key}</a>` : t.fields.key}</th>
    <td>${show(t.fields.summary ?? '')}</td>
    <td>${show(t.fields.status ?? '')}</td>
    <td>
      <label class="sr-only" for=${'state-' + t.id}>State of ${t.fields.key}</label>
      <select id=${'state-' + t.id} value=${t.fields.state ?? 'todo'} onChange=${change}>
        ${STATES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
      <${ErrorBox} error=${error} />
    </td>
  </tr>`;
}

export function Tasks() {
  const [params, set] = useQuery();
  const scope = useScope(params);
  const state = params.get('state') ?? '';
  const { picked } = usePersons(scope, params);
  const s = useList('task', scope ? `scope=${q(scope)}${state ? '&state=' + q(state) : ''}` : null);
  const [key, setKey] = useState('');
  const [summary, setSummary] = useState('');
  const tasks = (s.data ?? []).filter((t) => !t.deleted);
  return html`<h1>Tasks</h1>
    <${ScopePicker} scope=${scope} set=${set} />
    ${
      !scope
        ? html`<${NoScope} />`
        : html`<p>
              <label for="task-state">State</label>
              <select id="task-state" value=${state} onChange=${(e) => set({ state: e.target.value })}>
                <option value="">all</option>
                ${STATES.map((v) => html`<option value=${v}>${v}</option>`)}
              </select>
            </p>
            <${Loading} state=${s}
              >${() =>
                tasks.length === 0
                  ? html`<p class="empty">No tasks${state ? ' in state ' + state : ''}. Create one below, or a Jira or GitHub link brings them.</p>`
                  : html`<div class="table-wrap">
                      <table>
                        <thead>
                          <tr>
                            <th scope="col">Key</th>
                            <th scope="col">Summary</th>
                            <th scope="col">Status in its system</th>
                            <th scope="col">State</th>
                          </tr>
                        </thead>
                        <tbody>
                          ${tasks.map((t) => html`<${TaskRow} key=${t.id + t.version} t=${t} reload=${s.reload} />`)}
                        </tbody>
                      </table>
                    </div>`}<//
            >
            <form class="card" aria-label="New task" onSubmit=${(e) => e.preventDefault()}>
              <h2>New task</h2>
              <label for="task-key">Key</label><input id="task-key" value=${key} onInput=${(e) => setKey(e.target.value)} />
              <label for="task-summary">Summary</label><input id="task-summary" value=${summary} onInput=${(e) => setSummary(e.target.value)} />
              <${Action}
                label="Create task"
                run=${() => api('POST', `/records/task?scope=${q(scope)}`, { fields: { key, summary, ...(picked ? { assigneeId: picked.id } : {}) } })}
                done=${() => {
                  setKey('');
                  setSummary('');
                  s.reload();
                }}
              />
            </form>`
    }`;
}

// ---- timesheets ----

const SHEET_TEXT = {
  draft: 'Draft: not submitted yet',
  submitted: 'Submitted',
  'absence-submitted': 'Submitted as absent',
  exported: 'Locked (exported): final',
};

export function Timesheets() {
  const [params, set] = useQuery();
  const scope = useScope(params);
  const month = /^\d{4}-\d{2}$/.test(params.get('month') ?? '') ? params.get('month') : isoDay(new Date()).slice(0, 7);
  const { state, persons, picked } = usePersons(scope, params);
  const { projects } = useTaxonomy(scope);
  const names = new Map(projects.map((p) => [p.id, p.fields.name]));
  const url = picked ? `/timesheets?scope=${q(scope)}&month=${month}&personId=${q(picked.id)}` : null;
  const s = useApi(url);
  const [note, setNote] = useState(null);
  const body = { scope, month, personId: picked?.id };
  const after = (text) => () => {
    setNote(text);
    s.reload();
  };
  return html`<h1>Timesheets</h1>
    <${ScopePicker} scope=${scope} set=${set} />
    ${
      !scope
        ? html`<${NoScope} />`
        : !picked
          ? html`<${NoPerson} scope=${scope} state=${state} />`
          : html`<${PersonPicker} persons=${persons} picked=${picked} set=${set} />
              <h2>${parseDay(month + '-01').toLocaleDateString(undefined, { month: 'long', year: 'numeric' })}</h2>
              <p class="pager">
                <button type="button" onClick=${() => set({ month: addMonths(month, -1) })}>Previous month</button>
                <button type="button" onClick=${() => set({ month: addMonths(month, 1) })}>Next month</button>
              </p>
              ${note ? html`<p role="status">${note}</p>` : null}
              <${Loading} state=${s}
                >${(d) =>
                  html`<p>State: <strong class="sheet-state">${SHEET_TEXT[d.state] ?? d.state}</strong> · total <strong>${hours(d.totalSeconds)}</strong></p>
                    ${
                      d.state === 'draft'
                        ? html`<${Action}
                            label="Submit month"
                            kind="primary"
                            run=${() => api('POST', '/timesheets/submit', body)}
                            done=${after('Submitted.')}
                          />`
                        : null
                    }
                    ${
                      d.state === 'submitted' || d.state === 'absence-submitted'
                        ? html`<${Action} label="Reopen month" run=${() => api('POST', '/timesheets/reopen', body)} done=${after('Reopened.')} />`
                        : null
                    }
                    ${
                      session.role === 'admin' && d.state !== 'exported'
                        ? html`<${Action}
                            label="Lock month"
                            confirm=${`Lock ${month} in scope ${scope}? Submitted timesheets become final.`}
                            run=${() => api('POST', '/timesheets/lock', { scope, month })}
                            done=${(r) => {
                              const [locked, skipped] = ['locked', 'skipped'].map((k) => r.reports.reduce((n, x) => n + x.report[k].length, 0));
                              after(`Locked ${locked} submitted timesheet(s) of the month; ${skipped} not locked (not submitted).`)();
                            }}
                          />`
                        : null
                    }
                    ${
                      d.entries.length === 0
                        ? html`<p class="empty">No time entries this month.</p>`
                        : html`<div class="table-wrap">
                            <table>
                              <thead>
                                <tr>
                                  <th scope="col">Day</th>
                                  <th scope="col">Start</th>
                                  <th scope="col">Duration</th>
                                  <th scope="col">Description</th>
                                  <th scope="col">Project</th>
                                </tr>
                              </thead>
                              <tbody>
                                ${[...d.entries]
                                  .sort((a, b) => String(a.fields.date).localeCompare(String(b.fields.date)))
                                  .map(
                                    (e) =>
                                      html`<tr data-entry=${e.id}>
                                        <td><${Link} href=${`/records/entry/${q(e.id)}?scope=${q(scope)}`}>${e.fields.date}<//></td>
                                        <td>${e.fields.start ? html`<${Time} iso=${e.fields.start} zone=${e.fields.timeZone ?? undefined} />` : 'all day'}</td>
                                        <td>${hours(e.fields.durationSeconds)}</td>
                                        <td>${show(e.fields.description ?? '')}</td>
                                        <td>${e.fields.projectId ? show(names.get(e.fields.projectId) ?? e.fields.projectId) : html`<em>to book</em>`}</td>
                                      </tr>`,
                                  )}
                              </tbody>
                            </table>
                          </div>`
                    }`}<//
              >`
    }`;
}

// ---- to book ----

export function ToBook() {
  const [params, set] = useQuery();
  const scope = useScope(params);
  const s = useApi(scope ? `/to-book?scope=${q(scope)}` : null);
  const scopes = useApi('/scopes');
  const mayApply = session.role === 'admin' || (scopes.data?.scopes ?? []).some((x) => x.scope === scope && x.owner === session.userId);
  const [report, setReport] = useState(null);
  return html`<h1>To book</h1>
    <p>Time entries that wait for a person, project or activity before the links can push them, with the booking rule that would book each now.</p>
    <${ScopePicker} scope=${scope} set=${set} />
    ${
      !scope
        ? html`<${NoScope} />`
        : html`${
              mayApply
                ? html`<${Action}
                    label="Apply rules"
                    run=${() => api('POST', `/scopes/${q(scope)}/rules/apply`)}
                    done=${(r) => {
                      setReport(r);
                      s.reload();
                    }}
                  />`
                : null
            }
            ${
              report
                ? html`<p role="status">
                    Booked ${report.booked.length}; ${report.waiting} still waiting${report.failed.length ? `; ${report.failed.length} failed` : ''}.
                  </p>`
                : null
            }
            <${Loading} state=${s}
              >${(d) =>
                d.entries.length === 0
                  ? html`<p class="empty">Nothing waits to be booked in ${scope}.</p>`
                  : html`<div class="table-wrap">
                      <table>
                        <thead>
                          <tr>
                            <th scope="col">Day</th>
                            <th scope="col">Description</th>
                            <th scope="col">Missing</th>
                            <th scope="col">Rule that would apply</th>
                            <th scope="col"><span class="sr-only">Actions</span></th>
                          </tr>
                        </thead>
                        <tbody>
                          ${d.entries.map(
                            (e) =>
                              html`<tr data-entry=${e.id}>
                                <td>${e.date ?? '—'}</td>
                                <td>${show(e.description ?? '')}</td>
                                <td>${e.missing.join(', ')}</td>
                                <td>${e.rule ?? html`<em>none</em>`}</td>
                                <td>
                                  <${Link} href=${`/records/entry/${q(e.id)}?scope=${q(scope)}`}
                                    >Book…<span class="sr-only"> ${show(e.description ?? e.id)}</span><//
                                  >
                                </td>
                              </tr>`,
                          )}
                        </tbody>
                      </table>
                    </div>`}<//
            >`
    }`;
}
