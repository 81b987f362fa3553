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
      const r = await fetch(`/api/v1/registrations/${encodeURIComponent(m.registration_id)}/${path}`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proof),
      });
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

async function load() {
  if (proof?.token) {
    const r = await fetch(`/api/v1/households/${encodeURIComponent(params.get('household'))}?token=${encodeURIComponent(proof.token)}`);
    if (!r.ok) {
      say('This link does not work any more. Look up your registration with its number instead.', 'bad');
      proof = null;
      lookup.hidden = false;
      box.replaceChildren();
      return;
    }
    const h = await r.json();
    box.replaceChildren(...h.members.map(card));
  } else if (proof) {
    const q = new URLSearchParams({ phn: proof.phn, birth_date: proof.birth_date });
    const r = await fetch(`/api/v1/registrations/${encodeURIComponent(proof.id)}/status?${q}`);
    if (!r.ok) {
      say('No registration matches this number, PHN and birth date.', 'bad');
      return;
    }
    box.replaceChildren(card(await r.json()));
    lookup.hidden = true;
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

if (params.get('token') && params.get('household')) {
  proof = { token: params.get('token') };
  if (params.get('new')) say('You are registered. Keep this page\'s link to come back: it opens your household.', 'good');
  await load();
} else {
  lookup.hidden = false;
}
