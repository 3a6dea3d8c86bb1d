// The Timebridge dashboard: Preact + htm (no build step), talking to the JSON API with the
// session cookie and the session's CSRF token. Every value is rendered as text by Preact;
// nothing here sets innerHTML.
import { html, render, useState, useEffect, useCallback } from './vendor/htm-preact.js';
import { Entry, Records, Tasks, Timesheets, ToBook } from './records.js';
import { Offices } from './offices.js';

export let session = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `the server answered ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'HTTP_' + status;
    this.hint = body?.error?.hint ?? null;
  }
}

/** A JSON request with the CSRF token on every write; answers the body and the ETag. */
export async function request(method, url, body, extraHeaders) {
  const headers = { accept: 'application/json', ...(extraHeaders ?? {}) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session) headers['x-csrf-token'] = session.csrf;
  const res = await fetch('/api/v1' + url, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (res.status === 401 && url !== '/session') {
    location.assign('/signin?next=' + encodeURIComponent(location.pathname + location.search));
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return { data, etag: res.headers.get('etag') };
}

export async function api(method, url, body, extraHeaders) {
  return (await request(method, url, body, extraHeaders)).data;
}

export function navigate(url) {
  history.pushState(null, '', url);
  for (const l of listeners) l();
}
addEventListener('popstate', () => {
  for (const l of listeners) l();
});

export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}

/** A UTC instant shown in the viewer's zone; the original (UTC, or the record's zone) on hover. */
export function Time({ iso, zone }) {
  if (!iso) return html`<span>—</span>`;
  const d = new Date(iso);
  if (isNaN(d)) return html`<span>${iso}</span>`;
  const opts = { dateStyle: 'medium', timeStyle: 'short' };
  let title = `${iso} (UTC)`;
  try {
    if (zone) title = `${d.toLocaleString(undefined, { ...opts, timeZone: zone })} (${zone})`;
  } catch {
    title = `${iso} (${zone})`;
  }
  return html`<time datetime=${iso} title=${title}>${d.toLocaleString(undefined, opts)}</time>`;
}

/** A record's field as text; its start and end as times in the viewer's zone, with the record's own zone on hover. */
function FieldValue({ fields, name, missing }) {
  if (!fields) return missing ?? '';
  const v = fields[name];
  if ((name === 'start' || name === 'end') && typeof v === 'string' && /T.*Z$/.test(v))
    return html`<${Time} iso=${v} zone=${fields[name + 'Tz'] ?? undefined} />`;
  return show(v);
}

export function ErrorBox({ error }) {
  if (!error) return null;
  return html`<div class="error" role="alert">
    <strong>${error.message}</strong>${error.code ? html` <code>${error.code}</code>` : null} ${error.hint ? html`<p class="hint">${error.hint}</p>` : null}
  </div>`;
}

/** Load JSON for a page; `reload` fetches again; a null URL loads nothing (yet). */
export function useApi(url) {
  const [state, set] = useState({ data: null, error: null, loading: true });
  const load = useCallback(() => {
    if (url === null) return set({ data: null, error: null, loading: false });
    set((s) => ({ ...s, loading: true }));
    api('GET', url).then(
      (data) => set({ data, error: null, loading: false }),
      (error) => set({ data: null, error, loading: false }),
    );
  }, [url]);
  useEffect(load, [load]);
  return { ...state, reload: load };
}

export function Loading({ state, children }) {
  if (state.error) return html`<${ErrorBox} error=${state.error} />`;
  if (!state.data) return html`<p aria-busy="true">Loading…</p>`;
  return children(state.data);
}

/** A button that runs an action and shows its error (message and hint) next to it. */
export function Action({ label, run, done, confirm: ask, kind }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const click = async () => {
    if (ask && !window.confirm(ask)) return;
    setBusy(true);
    setError(null);
    try {
      const out = await run();
      done?.(out);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<span class="action"
    ><button type="button" class=${kind ?? ''} disabled=${busy} onClick=${click}>${busy ? label + '…' : label}</button><${ErrorBox} error=${error}
  /></span>`;
}

// ---- pages ----

function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    try {
      session = await api('POST', '/session', { token });
      const next = new URLSearchParams(location.search).get('next');
      // Only a path of this site: `//host` and `/\host` would leave it.
      location.assign(next && /^\/(?![/\\])/.test(next) ? next : '/');
    } catch (err) {
      setError(err);
    }
  };
  return html`<main class="signin">
    <h1>Timebridge</h1>
    <form onSubmit=${submit}>
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" required value=${token} onInput=${(e) => setToken(e.target.value)} />
      <p class="hint">Create one with <code>timebridge token create --user NAME</code>.</p>
      <button type="submit">Sign in</button>
    </form>
    <${ErrorBox} error=${error} />
  </main>`;
}

const LIGHT_TEXT = { green: 'All good', amber: 'Needs a look', red: 'Needs action' };

function Overview() {
  const s = useApi('/overview');
  return html`<h1>Overview</h1>
    <${Loading} state=${s}
      >${(d) =>
        d.links.length === 0
          ? html`<p class="empty">No links yet. Create one under <${Link} href="/connections">Connections & links<//>.</p>`
          : html`<div class="table-wrap">
              <table>
                <caption class="sr-only">
                  Links
                </caption>
                <thead>
                  <tr>
                    <th>Link</th>
                    <th>State</th>
                    <th>Last run</th>
                    <th>In sync</th>
                    <th>Parked</th>
                    <th>Conflicts</th>
                    <th>Losses</th>
                    <th>Next run</th>
                    <th></th>
                  </tr>
                </thead>
                <tbody>
                  ${d.links.map(
                    (l) =>
                      html`<tr class=${'light-' + l.light} data-link=${l.name}>
                        <th scope="row">${l.name}${l.enabled ? null : html` <small>(disabled)</small>`}</th>
                        <td>
                          <span class=${'light ' + l.light} aria-label=${LIGHT_TEXT[l.light]}></span>
                          ${LIGHT_TEXT[l.light]}${l.todo ? html`<p class="todo">${l.todo}</p>` : null}
                        </td>
                        <td>
                          ${l.lastRun ? html`<${Link} href=${'/runs/' + l.lastRun.id}>${l.lastRun.status}<//> <${Time} iso=${l.lastRun.startedAt} />` : 'never'}
                        </td>
                        <td>${l.inSync}</td>
                        <td>${l.parked}</td>
                        <td>${l.conflicts ? html`<${Link} href="/conflicts">${l.conflicts}<//>` : 0}</td>
                        <td>${l.losses}</td>
                        <td><${Time} iso=${l.nextRun} /></td>
                        <td><${Link} href=${'/plan/' + encodeURIComponent(l.name)}>Plan…<//></td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`}<//
    >`;
}

function Runs() {
  const params = new URLSearchParams(location.search);
  const [link, setLink] = useState(params.get('link') ?? '');
  const [status, setStatus] = useState(params.get('status') ?? '');
  const s = useApi('/runs?limit=200' + (link ? '&link=' + encodeURIComponent(link) : ''));
  const links = useApi('/links');
  const runs = (s.data?.runs ?? []).filter((r) => !status || r.status === status);
  return html`<h1>Runs</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label
        >Link
        <select value=${link} onChange=${(e) => setLink(e.target.value)}>
          <option value="">all</option>
          ${(links.data?.links ?? []).map((l) => html`<option value=${l.name}>${l.name}</option>`)}
        </select></label
      >
      <label
        >Status
        <select value=${status} onChange=${(e) => setStatus(e.target.value)}>
          ${['', 'ok', 'partial', 'failed', 'running', 'stopped', 'aborted'].map((v) => html`<option value=${v}>${v || 'all'}</option>`)}
        </select></label
      >
    </form>
    <${Loading} state=${s}
      >${() =>
        runs.length === 0
          ? html`<p class="empty">No runs match. Runs appear here after a sync or an apply.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Started</th>
                    <th>Link</th>
                    <th>Trigger</th>
                    <th>Status</th>
                    <th>Changes</th>
                    <th>Errors</th>
                  </tr>
                </thead>
                <tbody>
                  ${runs.map(
                    (r) =>
                      html`<tr>
                        <td>
                          <${Link} href=${'/runs/' + r.id}><${Time} iso=${r.startedAt} /><//>
                        </td>
                        <td>${r.linkId.replace(/^link:/, '')}</td>
                        <td>${r.trigger}</td>
                        <td>${r.status}</td>
                        <td>${countText(r.counts)}</td>
                        <td>${r.errors.length}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`}<//
    >`;
}

const countText = (counts) =>
  Object.entries(counts ?? {})
    .filter(([, n]) => n)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'nothing';

export const show = (v) => (v === undefined ? '' : v === null ? '∅' : typeof v === 'string' ? v : JSON.stringify(v));

function FieldDiff({ before, after, fields }) {
  const names = fields?.length
    ? fields
    : [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].filter((k) => show(before?.[k]) !== show(after?.[k]));
  if (!names.length) return null;
  return html`<table class="diff">
    <thead>
      <tr>
        <th>Field</th>
        <th>Before</th>
        <th>After</th>
      </tr>
    </thead>
    <tbody>
      ${names.map(
        (k) =>
          html`<tr>
            <th scope="row">${k}</th>
            <td class="before"><${FieldValue} fields=${before} name=${k} missing="(none)" /></td>
            <td class="after"><${FieldValue} fields=${after} name=${k} missing="(deleted)" /></td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function PlanTable({ plan, diffs }) {
  if (!plan || !plan.actions?.length) return html`<p class="empty">Nothing to do: both sides agree.</p>`;
  return html`${plan.guard && !plan.guard.ok ? html`<${ErrorBox} error=${{ message: plan.guard.message, code: plan.guard.code, hint: plan.guard.hint }} />` : null}
    <ol class="plan">
      ${plan.actions.map((a) => {
        // A create's hub id is only known once applied: match it by its external id then.
        const d = (a.hubId && diffs?.get(a.hubId)) || (a.extId && diffs?.get('ext:' + a.extId));
        return html`<li class=${'op-' + a.op}>
          <span class="op">${a.op}</span> <span class="label">${a.label}</span>
          <p class="reason">${a.reason}</p>
          ${a.error ? html`<p class="error">${a.error.message}</p>` : null}
          ${
            d
              ? html`<details open>
                  <summary>Hub side, before and after</summary>
                  <${FieldDiff} before=${d.before} after=${d.after} />
                </details>`
              : a.fields?.length
                ? html`<p>Fields: ${a.fields.join(', ')}</p>`
                : null
          }
        </li>`;
      })}
    </ol>`;
}

function Run({ id }) {
  const s = useApi('/runs/' + encodeURIComponent(id));
  const d = useApi('/runs/' + encodeURIComponent(id) + '/diff');
  const [undone, setUndone] = useState(null);
  const diffs = new Map((d.data?.changes ?? []).flatMap((c) => [[c.recordId, c], ...(c.extId ? [['ext:' + c.extId, c]] : [])]));
  return html`<${Loading} state=${s}
    >${(r) =>
      html`<h1>Run of ${r.linkId.replace(/^link:/, '')}</h1>
        <dl class="facts">
          <dt>Status</dt>
          <dd class="run-status">${r.status}</dd>
          <dt>Started</dt>
          <dd><${Time} iso=${r.startedAt} /></dd>
          <dt>Trigger</dt>
          <dd>${r.trigger}</dd>
          <dt>Changes</dt>
          <dd>${countText(r.counts)}</dd>
          <dt>Duration</dt>
          <dd>${r.durationMs ?? '—'} ms</dd>
        </dl>
        ${
          r.errors.length
            ? html`<h2>Errors</h2>
                <ul class="errors">
                  ${r.errors.map((e) => html`<li><strong>${e.label || e.id}</strong>: ${e.error.message}${e.error.hint ? html`<p class="hint">${e.error.hint}</p>` : null}</li>`)}
                </ul>`
            : null
        }
        <h2>Plan</h2>
        <${PlanTable} plan=${r.plan} diffs=${diffs} />
        <h2>Undo</h2>
        <p>Restore what this run overwrote or deleted in the hub; the affected links sync again.</p>
        <${Action} label="Undo this run" confirm="Undo this run?" run=${() => api('POST', '/runs/' + encodeURIComponent(r.id) + '/undo')} done=${setUndone} />
        ${undone ? html`<p role="status">Restored ${undone.restored} record(s); ${undone.jobs.length} sync(s) queued.</p>` : null}`}<//
  >`;
}

function PlanPage({ name }) {
  const [plan, setPlan] = useState(null);
  return html`<h1>Plan for ${name}</h1>
    <p>Make a plan, review it, then apply exactly that plan. If either side changes in between, nothing is written and you are asked to plan again.</p>
    <${Action} label="Make a plan" run=${() => api('POST', '/links/' + encodeURIComponent(name) + '/plan', {})} done=${(o) => setPlan(o.plan)} />
    ${
      plan
        ? html`<section aria-label="Plan">
            <h2>What would happen</h2>
            <p>${countText(plan.counts)}</p>
            <${PlanTable} plan=${plan} />
            <${Action}
              label="Apply this plan"
              kind="primary"
              run=${() => api('POST', '/links/' + encodeURIComponent(name) + '/apply', { plan })}
              done=${(job) => (job.result?.runId ? navigate('/runs/' + job.result.runId) : navigate('/runs?link=' + encodeURIComponent(name)))}
            />
          </section>`
        : null
    }`;
}

function ConflictCard({ c, done }) {
  const fields = c.fields.length ? c.fields : Object.keys({ ...c.hubFields, ...c.extFields });
  const [pick, setPick] = useState(Object.fromEntries(fields.map((f) => [f, 'hub'])));
  const resolve = (body) => api('POST', `/conflicts/${encodeURIComponent(c.link)}/${encodeURIComponent(c.hubId)}/resolve`, body);
  const merged = () => {
    const out = { ...c.hubFields };
    for (const f of fields) if (pick[f] === 'external') out[f] = c.extFields[f];
    return out;
  };
  return html`<article class="conflict" data-hub-id=${c.hubId}>
    <h2>${c.link}: ${show(c.hubFields.summary ?? c.hubId)}</h2>
    <p>Found <${Time} iso=${c.detectedAt} />. Both sides changed since they last agreed.</p>
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Field</th>
            <th>Base</th>
            <th>Hub</th>
            <th>External</th>
            <th>Keep</th>
          </tr>
        </thead>
        <tbody>
          ${fields.map(
            (f) =>
              html`<tr>
                <th scope="row">${f}</th>
                <td><${FieldValue} fields=${c.base} name=${f} /></td>
                <td><${FieldValue} fields=${c.hubFields} name=${f} /></td>
                <td><${FieldValue} fields=${c.extFields} name=${f} /></td>
                <td>
                  <fieldset>
                    <legend class="sr-only">Keep ${f} from</legend>
                    <label
                      ><input type="radio" name=${c.hubId + f} checked=${pick[f] === 'hub'} onChange=${() => setPick({ ...pick, [f]: 'hub' })} /> hub</label
                    >
                    <label
                      ><input type="radio" name=${c.hubId + f} checked=${pick[f] === 'external'} onChange=${() => setPick({ ...pick, [f]: 'external' })} />
                      external</label
                    >
                  </fieldset>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
    <${Action} label="Keep the hub's version" run=${() => resolve({ choose: 'hub' })} done=${done} />
    <${Action} label="Keep the external version" run=${() => resolve({ choose: 'external' })} done=${done} />
    <${Action} label="Keep the fields chosen above" run=${() => resolve({ choose: 'merged', fields: merged() })} done=${done} />
  </article>`;
}

function Conflicts() {
  const s = useApi('/conflicts');
  const [note, setNote] = useState(null);
  const done = () => {
    setNote('Resolved; a sync of the link is queued.');
    s.reload();
  };
  return html`<h1>Conflicts</h1>
    ${note ? html`<p role="status">${note}</p>` : null}
    <${Loading} state=${s}
      >${(d) =>
        d.conflicts.length === 0
          ? html`<p class="empty">No open conflicts.</p>`
          : d.conflicts.map((c) => html`<${ConflictCard} key=${c.link + c.hubId} c=${c} done=${done} />`)}<//
    >`;
}

function JsonField({ id, label, value, onInput, rows }) {
  return html`<label for=${id}>${label}</label
    ><textarea id=${id} rows=${rows ?? 4} spellcheck="false" value=${value} onInput=${(e) => onInput(e.target.value)}></textarea>`;
}

function parseJson(text, what) {
  try {
    return JSON.parse(text || '{}');
  } catch (e) {
    throw new ApiError(400, {
      error: { code: 'REQUEST_INVALID', message: `${what} is not valid JSON: ${e.message}`, hint: 'write an object such as {"path": "calendar"}' },
    });
  }
}

function NewConnection({ done }) {
  const [name, setName] = useState('');
  const [type, setType] = useState('ics-folder');
  const [settings, setSettings] = useState('{\n  "path": "calendar"\n}');
  return html`<form class="card" onSubmit=${(e) => e.preventDefault()} aria-label="New connection">
    <h3>New connection</h3>
    <label for="conn-name">Name</label><input id="conn-name" value=${name} onInput=${(e) => setName(e.target.value)} /> <label for="conn-type">Type</label
    ><input id="conn-type" value=${type} onInput=${(e) => setType(e.target.value)} />
    <${JsonField} id="conn-settings" label="Settings (JSON; secrets are write-only: never shown again)" value=${settings} onInput=${setSettings} />
    <${Action} label="Create connection" run=${() => api('POST', '/connections', { name, type, settings: parseJson(settings, 'Settings') })} done=${done} />
  </form>`;
}

function NewLink({ done }) {
  const [name, setName] = useState('');
  const [config, setConfig] = useState('{\n  "connection": "",\n  "scope": "",\n  "policy": {}\n}');
  return html`<form class="card" onSubmit=${(e) => e.preventDefault()} aria-label="New link">
    <h3>New link</h3>
    <label for="link-name">Name</label><input id="link-name" value=${name} onInput=${(e) => setName(e.target.value)} />
    <${JsonField} id="link-config" label="Settings (JSON: connection, scope, direction, policy, guard…)" value=${config} onInput=${setConfig} rows="6" />
    <${Action} label="Create link" run=${() => api('POST', '/links', { name, config: parseJson(config, 'Settings') })} done=${done} />
  </form>`;
}

function LinkRow({ l, reload }) {
  const [editing, setEditing] = useState(false);
  const [config, setConfig] = useState(JSON.stringify(l.config, null, 2));
  const path = '/links/' + encodeURIComponent(l.name);
  return html`<li class="card" data-link=${l.name}>
    <h3>${l.name}</h3>
    <p>
      ${l.enabled ? 'Enabled' : 'Disabled'} · ${l.owner ? 'owned by ' + l.owner : 'global'} ·
      ${l.source === 'file' ? 'from the config file (read-only here)' : 'made through the API'}
    </p>
    <p>Connection ${show(l.config.connection)} · scope ${show(l.config.scope)} · next run <${Time} iso=${l.nextRun} /></p>
    <${Action} label=${l.enabled ? 'Disable' : 'Enable'} run=${() => api('POST', path + (l.enabled ? '/disable' : '/enable'))} done=${reload} />
    <${Link} href=${'/plan/' + encodeURIComponent(l.name)}>Plan…<//>
    <${Action} label="Sync now" run=${() => api('POST', path + '/sync', {})} done=${reload} />
    ${
      l.source === 'api'
        ? html`<button type="button" onClick=${() => setEditing(!editing)} aria-expanded=${editing}>Policies and guard…</button> ${
              editing
                ? html`<div>
                    <${JsonField} id=${'cfg-' + l.name} label="Link settings (JSON)" value=${config} onInput=${setConfig} rows="10" />
                    <${Action}
                      label="Save settings"
                      run=${() => api('PATCH', path, { config: parseJson(config, 'Settings') })}
                      done=${() => {
                        setEditing(false);
                        reload();
                      }}
                    />
                  </div>`
                : null
            }`
        : null
    }
  </li>`;
}

function ConnectionRow({ c }) {
  const [tested, setTested] = useState(null);
  const path = '/connections/' + encodeURIComponent(c.name);
  return html`<li class="card" data-connection=${c.name}>
    <h3>${c.name}</h3>
    <p>${c.type} · ${c.owner ? 'owned by ' + c.owner : 'global'}${c.secrets.length ? ' · secrets set: ' + c.secrets.join(', ') : ''}</p>
    <${Action} label="Test" run=${() => api('POST', path + '/test')} done=${(o) => setTested(o)} />
    <${Action} label="Connect with OAuth" run=${() => api('GET', path + '/oauth/start')} done=${(o) => location.assign(o.authorizationUrl)} />
    ${tested?.ok ? html`<p role="status">Test passed: ${tested.items ?? 0} item(s) listed.</p>` : tested ? html`<${ErrorBox} error=${tested.error ?? { message: 'Test failed' }} />` : null}
  </li>`;
}

function Connections() {
  const conns = useApi('/connections');
  const links = useApi('/links');
  const reload = () => {
    conns.reload();
    links.reload();
  };
  return html`<h1>Connections & links</h1>
    <h2>Links</h2>
    <${Loading} state=${links}
      >${(d) =>
        d.links.length
          ? html`<ul class="cards">
              ${d.links.map((l) => html`<${LinkRow} key=${l.name} l=${l} reload=${reload} />`)}
            </ul>`
          : html`<p class="empty">No links yet.</p>`}<//
    >
    <${NewLink} done=${reload} />
    <h2>Connections</h2>
    <${Loading} state=${conns}
      >${(d) =>
        d.connections.length
          ? html`<ul class="cards">
              ${d.connections.map((c) => html`<${ConnectionRow} key=${c.name} c=${c} />`)}
            </ul>`
          : html`<p class="empty">No connections yet.</p>`}<//
    >
    <${NewConnection} done=${reload} />`;
}

const liveText = (e) =>
  e.type === 'finished'
    ? `done (${e.status}): ${e.planned} planned, ${e.applied} applied, ${e.failed} failed`
    : e.type === 'failed'
      ? `failed: ${e.message}`
      : e.type === 'progress'
        ? `${e.phase}${e.total ? ` ${e.done}/${e.total}` : ''}`
        : 'started';

/** Live progress of running syncs, from the server-sent events of the service. */
function Live() {
  const [runs, setRuns] = useState({});
  useEffect(() => {
    const es = new EventSource('/api/v1/events');
    const on = (type) => (ev) => {
      const e = JSON.parse(ev.data);
      setRuns((r) => ({ ...r, [e.link]: { ...(r[e.link] ?? {}), ...e, type } }));
    };
    for (const t of ['started', 'progress', 'finished', 'failed']) es.addEventListener(t, on(t));
    return () => es.close();
  }, []);
  const items = Object.values(runs);
  return html`<aside class="live" aria-live="polite" aria-label="Live progress">
    <h2>Live</h2>
    ${
      items.length === 0
        ? html`<p class="empty">No sync has run since you opened this page.</p>`
        : html`<ul>
            ${items.map((e) => html`<li data-live-link=${e.link}><strong>${e.link}</strong>${': ' + liveText(e)}</li>`)}
          </ul>`
    }
  </aside>`;
}

const NAV = [
  ['/', 'Overview'],
  ['/runs', 'Runs'],
  ['/conflicts', 'Conflicts'],
  ['/connections', 'Connections & links'],
  ['/records', 'Records'],
  ['/tasks', 'Tasks'],
  ['/timesheets', 'Timesheets'],
  ['/to-book', 'To book'],
];

function route(path) {
  let m;
  if (path === '/') return html`<${Overview} />`;
  if (path === '/runs') return html`<${Runs} key=${location.search} />`;
  if ((m = /^\/runs\/([^/]+)$/.exec(path))) return html`<${Run} key=${m[1]} id=${decodeURIComponent(m[1])} />`;
  if ((m = /^\/plan\/([^/]+)$/.exec(path))) return html`<${PlanPage} key=${m[1]} name=${decodeURIComponent(m[1])} />`;
  if (path === '/conflicts') return html`<${Conflicts} />`;
  if (path === '/connections') return html`<${Connections} />`;
  if (path === '/records') return html`<${Records} />`;
  if ((m = /^\/records\/entry\/([^/]+)$/.exec(path))) return html`<${Entry} key=${m[1]} id=${decodeURIComponent(m[1])} />`;
  if (path === '/tasks') return html`<${Tasks} />`;
  if (path === '/timesheets') return html`<${Timesheets} />`;
  if (path === '/to-book') return html`<${ToBook} />`;
  if (path === '/offices') return html`<${Offices} />`;
  if ((m = /^\/offices\/([^/]+)$/.exec(path))) return html`<${Offices} key=${m[1]} office=${decodeURIComponent(m[1])} />`;
  return html`<h1>Not found</h1>
    <p class="empty">No page at ${path}. <${Link} href="/">Go to the overview<//>.</p>`;
}

function App() {
  const [, tick] = useState(0);
  useEffect(() => {
    const l = () => tick((n) => n + 1);
    listeners.add(l);
    return () => listeners.delete(l);
  }, []);
  // The offices entry only where the hub has an attendance: block this user may read.
  const [offices, setOffices] = useState(false);
  useEffect(() => {
    api('GET', '/offices').then(
      () => setOffices(true),
      () => setOffices(false),
    );
  }, []);
  const nav = offices ? [...NAV, ['/offices', 'Offices']] : NAV;
  const path = location.pathname;
  const signOut = async () => {
    await api('DELETE', '/session');
    location.assign('/signin');
  };
  return html`<a class="skip" href="#main">Skip to content</a>
    <header>
      <nav aria-label="Main">
        <ul>
          ${nav.map(([href, label]) => html`<li><${Link} href=${href} aria-current=${(href === '/' ? path === '/' : path.startsWith(href)) ? 'page' : null}>${label}<//></li>`)}
        </ul>
      </nav>
      <p class="who">Signed in as <strong>${session.userId}</strong> (${session.role}) <button type="button" onClick=${signOut}>Sign out</button></p>
    </header>
    <div class="layout">
      <main id="main" tabindex="-1">${route(path)}</main>
      <${Live} />
    </div>`;
}

async function start() {
  const root = document.getElementById('app');
  if (location.pathname === '/signin') return render(html`<${SignIn} />`, root);
  try {
    session = await api('GET', '/session');
  } catch (e) {
    if (e.status !== 401) render(html`<${ErrorBox} error=${e} />`, root);
    return;
  }
  render(html`<${App} />`, root);
}

start();
