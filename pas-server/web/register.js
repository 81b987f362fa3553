// Health Connect Registry form. Every field is checked as the person types with pas-core's own
// rules compiled to WebAssembly (pas-wasm forms module), so the messages and codes are exactly
// the server's; the server checks again on submit.
import init, { validateHousehold, assessPerson, eligibility } from '/assets/pkg/pas_wasm.js';
import { NEEDS, REASONS } from '/assets/labels.js';

const form = document.getElementById('hcr');
const list = document.getElementById('members');
const template = document.getElementById('member-template');
const summary = document.getElementById('summary');
const touched = new Set();
let ready = false;
const today = new Date().toISOString().slice(0, 10);

function addMember() {
  const i = list.children.length;
  const node = template.content.firstElementChild.cloneNode(true);
  node.dataset.index = String(i);
  node.querySelector('legend').textContent = i === 0 ? 'You' : `Household member ${i}`;
  const box = node.querySelector('.needs');
  for (const [code, label] of Object.entries(NEEDS)) {
    const l = document.createElement('label');
    l.className = 'check';
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.value = code;
    c.dataset.need = '1';
    l.append(c, ` ${label}`);
    box.append(l);
  }
  // Ids and labels per member: m0-phn, m1-phn, …; errors are announced via aria-describedby.
  for (const el of node.querySelectorAll('[id]')) el.id = el.id.replace(/^m-/, `m${i}-`);
  for (const el of node.querySelectorAll('label[for]')) el.htmlFor = el.htmlFor.replace(/^m-/, `m${i}-`);
  for (const el of node.querySelectorAll('[data-field]')) el.setAttribute('aria-describedby', `${el.id}-error`);
  node.querySelector('.needs-box').setAttribute('aria-describedby', `m${i}-needs-error`);
  if (i === 0) {
    node.querySelector('.rel').remove();
    node.querySelector('.remove-row').remove();
  } else {
    node.querySelector('.contact').remove();
    // Members usually share the address and language of the registrant.
    for (const f of ['postal_code', 'language']) {
      node.querySelector(`[data-field=${f}]`).value = document.getElementById(`m0-${f}`).value;
    }
    node.querySelector('.remove').addEventListener('click', () => {
      node.remove();
      renumber();
      limitMembers();
      render(false);
      document.getElementById('add-member').focus();
    });
  }
  list.append(node);
  limitMembers();
  return node;
}

// A household has at most 15 members (DOMAIN §2).
const MAX_MEMBERS = 15;
function limitMembers() {
  const add = document.getElementById('add-member');
  add.disabled = list.children.length >= MAX_MEMBERS;
  add.title = add.disabled ? `A household has at most ${MAX_MEMBERS} members.` : '';
}

// After a removal, members are numbered again so field names match the server's.
function renumber() {
  const nodes = [...list.children];
  const data = nodes.map(read);
  list.replaceChildren();
  touched.clear();
  data.forEach((d, i) => {
    const node = addMember();
    write(node, d, i);
  });
}

function write(node, d, i) {
  for (const el of node.querySelectorAll('[data-field]')) {
    const v = d[el.dataset.field];
    if (v === undefined) continue;
    if (el.type === 'checkbox') el.checked = v === 'true';
    else el.value = v;
    touched.add(el.id);
  }
  const needs = (d.needs || '').split(';');
  for (const c of node.querySelectorAll('[data-need]')) c.checked = needs.includes(c.value);
  void i;
}

// One member's fields as pas-core's RegistrationInput (every value as text).
function read(node) {
  const out = {};
  for (const el of node.querySelectorAll('[data-field]')) {
    out[el.dataset.field] = el.type === 'checkbox' ? String(el.checked) : el.value;
  }
  out.needs = [...node.querySelectorAll('[data-need]:checked')].map((c) => c.value).join(';');
  if (!('relationship' in out)) out.relationship = 'self';
  return out;
}

// What the server will receive, and the draft ids pas-core needs to check a household.
function members() {
  return [...list.children].map(read);
}
function drafts(ms) {
  return ms.map((m, i) => ({
    ...m, registration_id: `DRAFT-${i}`, household_id: 'DRAFT-0', registered_at: today, status: 'waiting',
  }));
}

function clearErrors() {
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// Show `errors` ({field: "members[1].phn", code, message}); only touched fields unless `all`.
function showErrors(errors, all) {
  clearErrors();
  const shown = [];
  for (const e of errors) {
    const m = /^members\[(\d+)\]\.(.+)$/.exec(e.field);
    const id = m ? `m${m[1]}-${m[2]}` : null;
    const target = id && document.getElementById(id);
    if (!all && !(target && touched.has(id)) && !(m && m[2] === 'needs' && touched.has(`m${m[1]}-needs`))) continue;
    shown.push(e);
    const slot = id && document.getElementById(`${id}-error`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent} ${e.message}` : e.message;
    target?.setAttribute('aria-invalid', 'true');
  }
  return shown;
}

function say(text, kind) {
  summary.hidden = !text;
  summary.className = `notice ${kind || ''}`;
  summary.textContent = text;
}

function render(all) {
  if (!ready) return [];
  const ms = members();
  const { errors } = validateHousehold(drafts(ms), today);
  const shown = showErrors(errors, all);
  say(shown.length ? `${shown.length} answer${shown.length > 1 ? 's need' : ' needs'} attention.` : '', shown.length ? 'bad' : '');
  // Priority and eligibility per person, explained as pas-core decides them.
  [...list.children].forEach((node, i) => {
    const p = node.querySelector('.priority');
    let text = '';
    try {
      const a = assessPerson({ birth_date: ms[i].birth_date, needs: ms[i].needs }, today);
      text = `${a.tier_explanation}.`;
      const own = errors.filter((e) => e.field.startsWith(`members[${i}].`));
      if (own.length === 0) {
        const e = eligibility(drafts(ms)[i], today);
        if (!e.eligible) text += ` Cannot wait on the list: ${e.reasons.map((r) => REASONS[r] || r).join('; ')}.`;
      }
    } catch (err) {
      if (!err.code) throw err; // birth date or needs not valid yet: the field says why
    }
    p.textContent = text;
  });
  return errors;
}

form.addEventListener('input', (ev) => {
  const el = ev.target;
  if (el.dataset.need) touched.add(`m${el.closest('fieldset.member').dataset.index}-needs`);
  else if (el.id) touched.add(el.id);
  render(false);
});
form.addEventListener('change', (ev) => {
  if (ev.target.id) touched.add(ev.target.id);
  render(false);
});
document.getElementById('add-member').addEventListener('click', () => {
  const node = addMember();
  render(false);
  node.querySelector('select, input').focus();
});

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (!ready) return;
  const errors = render(true);
  if (errors.length) {
    say(`${errors.length} answer${errors.length > 1 ? 's need' : ' needs'} attention before you can register.`, 'bad');
    const m = /^members\[(\d+)\]\.(.+)$/.exec(errors[0].field);
    document.getElementById(m ? `m${m[1]}-${m[2]}` : 'submit')?.focus();
    return;
  }
  const button = document.getElementById('submit');
  button.disabled = true;
  say('Sending…');
  try {
    const r = await fetch('/api/v1/households', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ members: members() }),
    });
    const body = await r.json();
    if (r.status === 201) {
      location.assign(`/status#household=${encodeURIComponent(body.household_id)}&token=${encodeURIComponent(body.access_token)}&new=1`);
      return;
    }
    if (body.code === 'already_registered') {
      // The registry does not say who (DOMAIN §2): the person uses their link or asks for it again.
      say('Someone in this household is already on the registry, so you do not need to register again. '
        + 'Open the link you received when you registered, or ask for it to be sent again on the status page (/status).', 'bad');
    } else if (body.code === 'validation_failed') {
      showErrors(body.errors, true);
      say(`${body.errors.length} answer${body.errors.length > 1 ? 's need' : ' needs'} attention.`, 'bad');
    } else {
      say(`The registry could not take the registration (${body.code || r.status}). Please try again.`, 'bad');
    }
  } catch {
    say('The registry could not be reached. Your answers are still here: please try again.', 'bad');
  } finally {
    button.disabled = false;
  }
});

addMember();
await init();
ready = true;
document.getElementById('rules-status').textContent = 'Your answers are checked as you type.';
render(false);
