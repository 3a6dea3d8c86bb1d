// The dashboard's office attendance page: per office, a month of days with who is in,
// pending and approved told apart by text as well as by style, and approve/reject through
// the records API (If-Match on the version read), which decides who may. Every value is
// rendered as text; nothing here sets innerHTML.
import { html } from './vendor/htm-preact.js';
import { api, navigate, Time, ErrorBox, useApi, Loading, Action } from './app.js';

const q = encodeURIComponent;
const pad = (n) => String(n).padStart(2, '0');
/** This month in the viewer's zone, YYYY-MM. */
const thisMonth = () => {
  const d = new Date();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
};
const addMonths = (month, n) => {
  const [y, m] = month.split('-').map(Number);
  const d = new Date(y, m - 1 + n, 1);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}`;
};
/** Every day of a month, YYYY-MM-DD (calendar days: a reservation's days have no zone). */
function daysOf(month) {
  const [y, m] = month.split('-').map(Number);
  const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: n }, (_, i) => `${month}-${pad(i + 1)}`);
}
const weekday = (day) => new Date(day + 'T12:00:00Z').toLocaleDateString(undefined, { weekday: 'short', timeZone: 'UTC' });
const monthTitle = (month) => new Date(month + '-15T12:00:00Z').toLocaleDateString(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });
const LIVE = new Set(['pending', 'approved']);

export function Offices({ office }) {
  const s = useApi('/offices');
  return html`<h1>Offices</h1>
    <${Loading} state=${s}>${(d) => html`<${OfficeMonth} key=${office ?? ''} info=${d} office=${office} />`}<//>`;
}

function OfficeMonth({ info, office }) {
  const params = new URLSearchParams(location.search);
  const raw = params.get('month');
  const month = raw && /^\d{4}-\d{2}$/.test(raw) ? raw : thisMonth();
  const chosen = info.offices.find((o) => o.id === office) ?? null;
  const go = (id, m) => navigate(`/offices/${q(id)}?month=${m}`);
  const picker = html`<p>
    <label for="office">Office</label>
    <select id="office" value=${chosen?.id ?? ''} onChange=${(e) => e.target.value && go(e.target.value, month)}>
      <option value="">choose an office</option>
      ${info.offices.map((o) => html`<option value=${o.id}>${o.name} (${o.id})</option>`)}
    </select>
  </p>`;
  if (info.offices.length === 0)
    return html`<p class="empty">
      No offices are configured. An admin adds them under <code>attendance.offices</code> in timebridge.yaml or in the Google Sheet.
    </p>`;
  if (!chosen)
    return html`${picker}${office ? html`<${ErrorBox} error=${{ message: `There is no office ${office}.`, hint: 'choose one of the offices above' }} />` : html`<p class="empty">Choose an office to see who is in.</p>`}`;
  return html`${picker}
    <nav class="pager" aria-label="Month">
      <button type="button" onClick=${() => go(chosen.id, addMonths(month, -1))}>← Previous month</button>
      <h2 id="month-title">${chosen.name}, ${monthTitle(month)}</h2>
      <button type="button" onClick=${() => go(chosen.id, addMonths(month, 1))}>Next month →</button>
    </nav>
    <${Month} key=${chosen.id + month} info=${info} office=${chosen} month=${month} />`;
}

function Month({ info, office, month }) {
  const days = daysOf(month);
  const url = `/records/reservation?scope=${q(info.scope)}&office=${q(office.id)}&from=${days[0]}&to=${days[days.length - 1]}&limit=1000`;
  const res = useApi(url);
  const persons = useApi(`/records/person?scope=${q(info.scope)}&limit=1000`);
  const names = new Map((persons.data?.items ?? []).map((p) => [p.id, typeof p.fields.name === 'string' ? p.fields.name : p.id]));
  const nameOf = (id) => names.get(id) ?? id;
  // Names first, so a person is never shown as an id for a moment (a user sees only the persons the API lets them read).
  const both = persons.data || persons.error ? res : { ...res, data: null, error: res.error };
  return html`<${Loading} state=${both}
    >${(d) => {
      const live = d.items.filter((r) => !r.deleted && LIVE.has(r.fields.state));
      const waiting = live.filter((r) => r.fields.state === 'pending');
      return html`${
          live.length === 0
            ? html`<p class="empty">Nobody has a reservation for ${office.name} in ${monthTitle(month)}.</p>`
            : html`<div class="table-wrap">
                <table class="attendance" aria-labelledby="month-title">
                  <thead>
                    <tr>
                      <th scope="col">Day</th>
                      <th scope="col">Who is in</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${days.map((day) => {
                      const here = live.filter((r) => r.fields.firstDay <= day && day <= r.fields.lastDay);
                      return html`<tr data-day=${day}>
                        <th scope="row"><time datetime=${day}>${weekday(day)} ${Number(day.slice(8))}</time></th>
                        <td>
                          ${
                            here.length === 0
                              ? html`<span class="sr-only">nobody</span>`
                              : html`<ul class="who-in">
                                  ${here.map(
                                    (r) =>
                                      html`<li class=${'res ' + r.fields.state} data-reservation=${r.id}>
                                        ${nameOf(r.fields.personId)} <small>${r.fields.state === 'pending' ? 'pending' : 'approved'}</small>
                                      </li>`,
                                  )}
                                </ul>`
                          }
                        </td>
                      </tr>`;
                    })}
                  </tbody>
                </table>
              </div>`
        }
        <h2>Waiting for approval</h2>
        ${
          waiting.length === 0
            ? html`<p class="empty">No pending requests for ${office.name} in ${monthTitle(month)}.</p>`
            : html`<ul class="requests">
                ${waiting.map((r) => html`<${Request} key=${r.id + r.version} r=${r} name=${nameOf(r.fields.personId)} reload=${res.reload} />`)}
              </ul>`
        }
        ${info.mayApprove ? null : html`<p class="hint">Admins and the owner of scope ${info.scope} approve and reject; the hub refuses anyone else.</p>`}`;
    }}<//
  >`;
}

function Request({ r, name, reload }) {
  const set = (state) => () => api('PATCH', `/records/reservation/${q(r.id)}`, { fields: { state } }, { 'if-match': `"${r.version}"` });
  const f = r.fields;
  return html`<li data-request=${r.id}>
    <strong>${name}</strong>: ${f.firstDay === f.lastDay ? f.firstDay : `${f.firstDay} to ${f.lastDay}`}
    ${f.requestedAt ? html`<span>, asked <${Time} iso=${f.requestedAt} /></span>` : null}
    <${Action} label=${`Approve ${name}`} run=${set('approved')} done=${reload} />
    <${Action} label=${`Reject ${name}`} kind="danger" run=${set('rejected')} done=${reload} confirm=${`Reject ${name}'s request?`} />
  </li>`;
}
