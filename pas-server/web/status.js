// A patient's view of their household (by the signed link in the URL fragment, which never
// reaches a server log) or of one registration (registration number + PHN + birth date).
const message = document.getElementById('message');
const box = document.getElementById('household');
const lookup = document.getElementById('lookup');
const params = new URLSearchParams(location.hash.slice(1));
let proof = null; // {token} or {phn, birth_date}

const STATUS = {
  waiting: 'On the waiting list',
  offered: 'Offered to a provider — the clinic is deciding',
  accepted: 'Accepted — the clinic will contact you to book a first visit',
  attached: 'Attached to a family doctor or nurse practitioner',
  inactive: 'Inactive — please tell us you still need a provider',
  withdrawn: 'Withdrawn from the list',
  closed: 'Closed',
};
const RELATION = { self: 'You', spouse: 'Spouse or partner', child: 'Child', parent: 'Parent', other: 'Household member' };

function say(text, kind) {
  message.className = text ? `notice ${kind || ''}` : '';
  message.textContent = text;
}

function date(rfc3339) {
  return new Date(rfc3339).toLocaleDateString('en-CA', { year: 'numeric', month: 'long', day: 'numeric' });
}

function card(m) {
  const c = document.createElement('section');
  c.className = 'card';
  c.setAttribute('aria-labelledby', `h-${m.registration_id}`);
  const h = document.createElement('h2');
  h.id = `h-${m.registration_id}`;
  h.textContent = RELATION[m.relationship] || 'Household member';
  const dl = document.createElement('dl');
  const row = (k, v) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    dl.append(dt, dd);
  };
  row('Status', STATUS[m.status] || m.status);
  if (m.provider_name) row(m.status === 'attached' ? 'Provider' : 'Offered provider', m.provider_name);
  row('Waiting since', date(m.registered_at));
  row('Priority', `${m.tier_explanation}.`);
  row('Registration number', m.registration_id);
  c.append(h, dl);
  const actions = document.createElement('div');
  actions.className = 'actions';
  const act = (label, path, confirmText, secondary) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    if (secondary) b.className = 'secondary';
    b.addEventListener('click', async () => {
      if (confirmText && !window.confirm(confirmText)) return;
      const sent = proof.token ? { token: proof.token } : { phn: proof.phn, birth_date: proof.birth_date };
      const r = await post(`/api/v1/registrations/${encodeURIComponent(m.registration_id)}/${path}`, sent);
      const body = await r.json();
      if (r.ok) {
        say('Done.', 'good');
        await load();
      } else {
        say(`That was not possible now (${body.code}).`, 'bad');
      }
    });
    actions.append(b);
  };
  if (m.status === 'inactive') act('I still need a provider', 'still-waiting', null, false);
  if (m.status === 'offered') act('Decline this offer', 'decline-offer', 'Decline this provider? You keep your place on the list the first time.', true);
  if (['waiting', 'offered', 'accepted', 'inactive'].includes(m.status)) {
    act('Leave the list', 'withdraw', 'Leave the waiting list? You can register again later, with a new date.', true);
  }
  if (actions.children.length) c.append(actions);
  return c;
}

// Proofs travel in request bodies only, never in a URL (DOMAIN §11).
function post(path, body) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function tooMany(r) {
  const wait = Math.ceil(Number(r.headers.get('retry-after') || 60) / 60);
  say(`Too many attempts. Please try again in ${wait} minute${wait > 1 ? 's' : ''}.`, 'bad');
}

function warnAttempts(n) {
  if (n > 0) {
    say(`Someone tried ${n} time${n > 1 ? 's' : ''} to open this registration with a wrong PHN, birth date or link `
      + 'since it was last opened. If it was not you, keep your registration number private.', 'bad');
  }
}

async function load() {
  if (proof?.token) {
    const r = await post(`/api/v1/households/${encodeURIComponent(params.get('household'))}/status`, { token: proof.token });
    if (r.status === 429) return tooMany(r);
    if (!r.ok) {
      say('This link does not work any more. Look up your registration with its number instead, or ask for a new link.', 'bad');
      proof = null;
      lookup.hidden = false;
      resend.hidden = false;
      box.replaceChildren();
      return;
    }
    const h = await r.json();
    box.replaceChildren(...h.members.map(card));
    warnAttempts(h.failed_attempts || 0);
  } else if (proof) {
    const r = await post(`/api/v1/registrations/${encodeURIComponent(proof.id)}/status`, { phn: proof.phn, birth_date: proof.birth_date });
    if (r.status === 429) return tooMany(r);
    if (!r.ok) {
      say('No registration matches this number, PHN and birth date.', 'bad');
      return;
    }
    const one = await r.json();
    box.replaceChildren(card(one));
    lookup.hidden = true;
    warnAttempts(one.failed_attempts || 0);
  }
}

lookup.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  proof = {
    id: document.getElementById('registration_id').value.trim(),
    phn: document.getElementById('phn').value,
    birth_date: document.getElementById('birth_date').value,
  };
  say('');
  await load();
});

const resend = document.getElementById('resend');
resend.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await post('/api/v1/link-requests', { phn: document.getElementById('resend-phn').value });
  if (r.status === 429) return tooMany(r);
  const body = await r.json();
  if (r.status === 202) say(body.detail, 'good');
  else say(body.errors?.[0]?.message || 'That is not a Personal Health Number.', 'bad');
});

if (params.get('token') && params.get('household')) {
  proof = { token: params.get('token') };
  if (params.get('new')) say('You are registered. Keep this page\'s link to come back: it opens your household.', 'good');
  await load();
} else {
  lookup.hidden = false;
  resend.hidden = false;
}
