// The provider-side workspace: one page whose sections follow the caller's roles (GET /me).
// Every rule is the server's (pas-core); this page only shows answers and problems.
import { needsInWords } from '/assets/labels.js';

const token = sessionStorage.getItem('pas.token');
if (!token) location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
const message = document.getElementById('message');
let me = null;
let actingFor = null;

function say(text, kind) {
  message.className = text ? `notice ${kind || ''}` : '';
  message.textContent = text;
}

/** Call the API as the logged-in party; a problem becomes an exception carrying it. */
async function api(method, path, body, headers = {}) {
  const init = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) init.body = body;
    else {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
  }
  const r = await fetch(path, init);
  if (r.status === 401) {
    sessionStorage.removeItem('pas.token');
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    throw new Error('logged out');
  }
  const text = await r.text();
  const value = text ? JSON.parse(text) : null;
  if (!r.ok) throw Object.assign(new Error(value?.detail || r.statusText), { problem: value });
  return value;
}

function clearErrors(prefix) {
  for (const el of document.querySelectorAll(`[id^="${prefix}-"].error`)) el.textContent = '';
  for (const el of document.querySelectorAll(`[id^="${prefix}-"][aria-invalid]`)) el.removeAttribute('aria-invalid');
}

/** Field errors of a problem next to `prefix-field` inputs, and a one-line summary. */
function showProblem(e, prefix) {
  clearErrors(prefix);
  const p = e.problem;
  if (!p) return say(String(e.message), 'bad');
  for (const f of p.errors || []) {
    const slot = document.getElementById(`${prefix}-${f.field}-error`);
    if (slot) slot.textContent = f.message;
    const input = document.getElementById(`${prefix}-${f.field}`);
    input?.setAttribute('aria-invalid', 'true');
    input?.setAttribute('aria-describedby', `${prefix}-${f.field}-error`);
  }
  say(p.errors?.length ? `${p.errors.length} answer(s) need attention.` : `${p.title}: ${p.detail}`, 'bad');
}

function cells(tr, values) {
  for (const v of values) {
    const td = document.createElement('td');
    if (v instanceof Node) td.append(v);
    else td.textContent = v;
    tr.append(td);
  }
}

function button(label, onClick, secondary) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (secondary) b.className = 'secondary';
  b.addEventListener('click', onClick);
  return b;
}

// ---- practice: profile, capacity, offers, panel -------------------------------------------

async function loadPractice() {
  const id = actingFor;
  let provider = null;
  try {
    provider = await api('GET', `/api/v1/providers/${id}`);
  } catch (e) {
    if (e.problem?.status !== 404) throw e;
  }
  const profile = provider?.profile || {};
  for (const f of ['given_name', 'family_name', 'gender', 'clinic_id', 'postal_code', 'community']) {
    const el = document.getElementById(`prof-${f}`);
    if (profile[f] !== undefined) el.value = profile[f];
  }
  const c = provider?.capacity;
  if (c) {
    document.getElementById('cap-accepting').checked = c.accepting;
    document.getElementById('cap-max_new_per_month').value = c.max_new_per_month;
    document.getElementById('cap-desired_panel_size').value = c.desired_panel_size;
    document.getElementById('cap-current_panel_size').value = c.current_panel_size;
    document.getElementById('cap-max_complexity').value = c.max_complexity;
    document.getElementById('cap-accepts_families').checked = c.accepts_families;
    document.getElementById('cap-languages').value = c.languages.join(';');
  }
  document.getElementById('open-places').textContent = provider ? `Open places now: ${provider.open_places}` : 'Save your profile first.';
  await loadOffers();
}

async function loadOffers() {
  const offers = await api('GET', `/api/v1/providers/${actingFor}/offers?state=all`);
  const body = document.querySelector('#offers tbody');
  body.replaceChildren();
  if (offers.length === 0) {
    const tr = document.createElement('tr');
    cells(tr, ['No offers waiting.', '', '', '', '', '']);
    body.append(tr);
  }
  for (const o of offers) {
    const tr = document.createElement('tr');
    const answer = document.createElement('div');
    answer.className = 'actions';
    if (o.state === 'open') {
      for (const [label, verb, secondary] of [['Accept', 'accept', false], ['Decline', 'decline', true]]) {
        answer.append(button(`${label} ${o.given_name} ${o.family_name}`, async () => {
          try {
            await api('POST', `/api/v1/offers/${o.offer_id}/${verb}`);
            await loadPractice();
            say(`Offer ${verb === 'accept' ? 'accepted' : 'declined'}.`, 'good');
          } catch (e) {
            showProblem(e, 'offer');
          }
        }, secondary));
      }
    }
    cells(tr, [`${o.given_name} ${o.family_name}`, o.birth_date, o.phone || '—', needsInWords(o.needs) || '—', o.state, answer]);
    body.append(tr);
  }
}

document.getElementById('profile').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = Object.fromEntries(['given_name', 'family_name', 'gender', 'clinic_id', 'postal_code', 'community']
    .map((f) => [f, document.getElementById(`prof-${f}`).value]));
  try {
    await api('PUT', `/api/v1/providers/${actingFor}`, body);
    clearErrors('prof');
    await loadPractice();
    say('Profile saved.', 'good');
  } catch (e) {
    showProblem(e, 'prof');
  }
});

document.getElementById('capacity').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const v = (f) => document.getElementById(`cap-${f}`).value;
  const b = (f) => String(document.getElementById(`cap-${f}`).checked);
  const body = {
    accepting: b('accepting'), max_new_per_month: v('max_new_per_month'), desired_panel_size: v('desired_panel_size'),
    current_panel_size: v('current_panel_size'), max_complexity: v('max_complexity'),
    accepts_families: b('accepts_families'), languages: v('languages'),
  };
  try {
    await api('PUT', `/api/v1/providers/${actingFor}/capacity`, body);
    clearErrors('cap');
    await loadPractice();
    say('Capacity saved.', 'good');
  } catch (e) {
    showProblem(e, 'cap');
  }
});

function reportView(out) {
  const r = out.report;
  const own = (r.practitioners || []).find((x) => x.practitioner === out.provider_id);
  const box = document.createElement('div');
  const p = document.createElement('p');
  p.textContent = `${r.rows} rows: ${r.accepted} accepted, ${r.rejected} rejected; `
    + `${own ? own.attached.length : 0} patient(s) from the waitlist now attached to ${out.provider_id}.`;
  box.append(p);
  if (out.other_practitioners.length) {
    const o = document.createElement('p');
    o.textContent = 'Rows for other practitioners were checked but not added to this panel: '
      + out.other_practitioners.map((x) => `${x.practitioner} (${x.accepted} accepted)`).join(', ')
      + '. Upload them to their own panel.';
    box.append(o);
  }
  const findings = [...r.errors.map((f) => ({ ...f, kind: 'error' })), ...r.warnings.map((f) => ({ ...f, kind: 'warning' }))]
    .sort((a, b) => (a.line ?? a.entry ?? 0) - (b.line ?? b.entry ?? 0));
  if (findings.length) {
    const wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    wrap.tabIndex = 0;
    wrap.setAttribute('role', 'region');
    wrap.setAttribute('aria-label', 'Panel findings (table)');
    const t = document.createElement('table');
    t.innerHTML = '<thead><tr><th scope="col">Line</th><th scope="col">Kind</th><th scope="col">Field</th><th scope="col">Code</th><th scope="col">PHN</th></tr></thead>';
    const tb = document.createElement('tbody');
    for (const f of findings) {
      const tr = document.createElement('tr');
      cells(tr, [String(f.line ?? f.pointer ?? f.entry), f.kind, f.field, f.code, f.phn || '']);
      tb.append(tr);
    }
    t.append(tb);
    wrap.append(t);
    box.append(wrap);
    const csv = ['line,kind,field,code,phn', ...findings.map((f) => [f.line ?? f.pointer ?? f.entry, f.kind, f.field, f.code, f.phn || ''].join(','))].join('\n');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([csv + '\n'], { type: 'text/csv' }));
    a.download = 'panel-findings.csv';
    a.textContent = 'Download the findings as CSV';
    box.append(a);
  }
  return box;
}

document.getElementById('panel').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const file = document.getElementById('panel-file').files[0];
  if (!file) return say('Choose a panel file first.', 'bad');
  const type = /\.json$/i.test(file.name) ? 'application/fhir+json' : 'text/csv';
  try {
    say('Checking the panel…');
    const out = await api('POST', `/api/v1/providers/${actingFor}/panel`, file, { 'content-type': type });
    say('Panel checked.', 'good');
    document.getElementById('panel-report').replaceChildren(reportView(out));
    await loadPractice();
  } catch (e) {
    showProblem(e, 'panel');
  }
});

document.getElementById('act-for').addEventListener('change', async (ev) => {
  actingFor = ev.target.value;
  await loadPractice();
});

// ---- endorsements -----------------------------------------------------------------------

async function loadEndorsements() {
  const mine = await api('GET', '/api/v1/endorsements');
  const box = document.getElementById('endorse-list');
  box.replaceChildren();
  const act = (label, path, secondary) => button(label, async () => {
    try {
      await api('POST', path);
      say('Done.', 'good');
      await refresh();
    } catch (e) {
      showProblem(e, 'endorse');
    }
  }, secondary);
  for (const r of mine.requests) {
    const p = document.createElement('div');
    p.className = 'card';
    const other = r.requester === me.party ? (r.recipient || r.recipient_email) : r.requester;
    p.append(`Request #${r.request_id} with ${other}: ${r.state}`);
    const actions = document.createElement('div');
    actions.className = 'actions';
    const awaitingMe = (r.state === 'received' && r.recipient === me.party) || (r.state === 'approved' && r.requester === me.party);
    if (awaitingMe) {
      actions.append(act('Approve', `/api/v1/endorsement-requests/${r.request_id}/approve`));
      actions.append(act('Decline', `/api/v1/endorsement-requests/${r.request_id}/decline`, true));
    }
    if (['created', 'received', 'approved'].includes(r.state) && r.requester === me.party) {
      actions.append(act('Cancel request', `/api/v1/endorsement-requests/${r.request_id}/cancel`, true));
    }
    if (actions.children.length) p.append(actions);
    box.append(p);
  }
  for (const e of mine.endorsements) {
    const p = document.createElement('div');
    p.className = 'card';
    p.append(`Endorsement #${e.endorsement_id} with ${e.parties.find((x) => x !== me.party)}: ${e.status}`);
    if (e.status === 'active') {
      const actions = document.createElement('div');
      actions.className = 'actions';
      actions.append(act('End this endorsement', `/api/v1/endorsements/${e.endorsement_id}/cancel`, true));
      p.append(actions);
    }
    box.append(p);
  }
}

document.getElementById('endorse').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    await api('POST', '/api/v1/endorsement-requests', { recipient_email: document.getElementById('endorse-email').value });
    say('Request sent.', 'good');
    await loadEndorsements();
  } catch (e) {
    if (e.problem?.errors) e.problem.errors = e.problem.errors.map((f) => ({ ...f, field: 'email' }));
    showProblem(e, 'endorse');
  }
});

// ---- clinic (medical directors) ---------------------------------------------------------

let clinicId = null;
document.getElementById('clinic-select').addEventListener('change', async (ev) => {
  clinicId = ev.target.value;
  await loadClinic();
});
async function loadClinic() {
  const c = await api('GET', `/api/v1/clinics/${clinicId}`);
  document.getElementById('cl-name').value = c.clinic.name;
  document.getElementById('cl-address').value = c.clinic.address;
  document.getElementById('cl-phone').value = c.clinic.phone;
  document.getElementById('cl-hours').value = c.hours;
  document.getElementById('cl-hours_exceptions').value = c.hours_exceptions;
  document.getElementById('cl-members').value = c.clinic.members.map((m) => `${m.party}: ${m.roles.join(';')}`).join('\n');
}
document.getElementById('clinic-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const v = (f) => document.getElementById(`cl-${f}`).value;
  const members = v('members').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [party, roles = ''] = l.split(':');
    return { party: party.trim(), roles: roles.trim() };
  });
  try {
    await api('PUT', `/api/v1/clinics/${clinicId}`, {
      facility_number: clinicId, name: v('name'), address: v('address'), phone: v('phone'), hours: v('hours'),
      hours_exceptions: v('hours_exceptions'), members,
    });
    say('Clinic record saved.', 'good');
  } catch (e) {
    showProblem(e, 'cl');
  }
});

// ---- matching (coordinators) ------------------------------------------------------------

document.getElementById('run').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  try {
    const r = await api('POST', '/api/v1/match-runs', { seed: Number(document.getElementById('run-seed').value || 0) });
    const c = r.report.counts;
    const box = document.getElementById('run-report');
    box.replaceChildren();
    const p = document.createElement('p');
    p.textContent = `Run ${r.run_id} (${r.region}): ${r.offers} offer(s) made. ${c.persons} people in ${c.units} households took part; `
      + `${c.matched_persons} matched to ${c.places_used} of ${c.places_offered} open places. `
      + (r.fair ? 'Fair: no one passed over by someone of lower priority, no family split, no usable place left empty.'
        : `NOT FAIR: ${r.report.justified_envy_pairs} envy pairs, ${r.report.families_split} families split, ${r.report.wasted_places} wasted places.`);
    box.append(p);
    say('Match run done.', 'good');
  } catch (e) {
    showProblem(e, 'run');
  }
});

document.getElementById('logout').addEventListener('click', () => {
  sessionStorage.removeItem('pas.token');
  location.assign('/');
});

async function refresh() {
  me = await api('GET', '/api/v1/me');
  document.getElementById('who').textContent =
    `Logged in as ${me.name || me.party}${me.roles.length ? ` — ${me.roles.join(', ')}` : ' — no role yet'}.`;
  const practices = [...(me.practitioner_number ? [me.practitioner_number] : []), ...me.acts_for];
  const select = document.getElementById('act-for');
  select.replaceChildren(...practices.map((p) => Object.assign(document.createElement('option'), { value: p, textContent: p })));
  document.getElementById('practice').hidden = practices.length === 0;
  if (practices.length) {
    actingFor = practices.includes(actingFor) ? actingFor : practices[0];
    select.value = actingFor;
    await loadPractice();
  }
  document.getElementById('endorsements').hidden = false;
  await loadEndorsements();
  // A medical director may keep several clinics' records: one at a time, chosen here.
  clinicId = me.director_of.includes(clinicId) ? clinicId : (me.director_of[0] || null);
  const clinics = document.getElementById('clinic-select');
  clinics.replaceChildren(...me.director_of.map((c) => Object.assign(document.createElement('option'), { value: c, textContent: c })));
  document.getElementById('clinic-choice').hidden = me.director_of.length < 2;
  document.getElementById('clinic').hidden = !clinicId;
  if (clinicId) {
    clinics.value = clinicId;
    await loadClinic();
  }
  document.getElementById('matching').hidden = !(me.roles.includes('coordinator') || me.roles.includes('admin'));
  document.getElementById('run-region').textContent = me.region === 'province'
    ? 'You match the whole province: every waiting patient against every accepting provider.'
    : me.region ? `You match the ${me.region} health-authority region: its waiting patients against its accepting providers.` : '';
}

await refresh();
