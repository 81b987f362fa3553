// Validates the registration as the user types, with exactly pas-core's rules and codes,
// through the pas-wasm forms module (build it first: bash pas-wasm/build.sh).
import init, { validateRegistration, assessPerson, eligibility } from '../../pas-wasm/pkg/web/pas_wasm.js';

const NEEDS = {
  pregnant_postpartum: 'Pregnant or recently gave birth', hospital_discharge: 'Recently discharged from hospital',
  major_surgery: 'Major surgery', social_needs: 'Social needs', stroke_tia: 'Stroke / TIA',
  heart_disease_hypertension: 'Heart disease / hypertension', diabetes: 'Diabetes', copd_asthma: 'COPD / asthma',
  cancer: 'Cancer', mental_health: 'Mental health', substance_use: 'Substance use', eating_disorder: 'Eating disorder',
  sickle_cell: 'Sickle cell', dementia: 'Dementia', kidney_disease: 'Kidney disease', chronic_pain: 'Chronic pain',
  other_chronic: 'Other chronic condition',
};
const form = document.getElementById('hcr');
const needsBox = document.getElementById('needs');
for (const [code, label] of Object.entries(NEEDS)) {
  const l = document.createElement('label');
  l.innerHTML = `<input type="checkbox" name="need" value="${code}"> ${label}`;
  needsBox.insertBefore(l, document.getElementById('needs-error'));
}
const touched = new Set();
const today = new Date().toISOString().slice(0, 10);

// The form's fields as pas-core's RegistrationInput: every value as text.
function currentInput() {
  const v = (id) => document.getElementById(id).value;
  const b = (id) => String(document.getElementById(id).checked);
  return {
    registration_id: 'DRAFT-1', household_id: 'DRAFT-1', relationship: 'self', status: 'waiting',
    registered_at: today,
    phn: v('phn'), given_name: v('given_name'), family_name: v('family_name'), birth_date: v('birth_date'),
    postal_code: v('postal_code'), phone: v('phone'), email: v('email'), email_confirm: v('email_confirm'),
    gender_preference: v('gender_preference'), language: v('language'), travel: v('travel'),
    translator_needed: b('translator_needed'), msp_coverage: b('msp_coverage'),
    has_provider: b('has_provider'), provider_leaving: b('provider_leaving'),
    needs: [...form.querySelectorAll('input[name=need]:checked')].map((c) => c.value).join(';'),
  };
}

function render(showAll) {
  const input = currentInput();
  const { errors } = validateRegistration(input);
  const shown = errors.filter((e) => showAll || touched.has(e.field));
  for (const el of form.querySelectorAll('.error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  for (const e of shown) {
    const slot = document.getElementById(`${e.field}-error`);
    if (slot) slot.textContent = slot.textContent ? `${slot.textContent}; ${e.message}` : e.message;
    document.getElementById(e.field)?.setAttribute('aria-invalid', 'true');
  }
  document.getElementById('summary').textContent = shown.length
    ? `${shown.length} field${shown.length > 1 ? 's need' : ' needs'} attention: ${shown.map((e) => e.field).join(', ')}`
    : (errors.length ? '' : 'Everything looks right.');
  let priority = '';
  try {
    const a = assessPerson({ birth_date: input.birth_date, needs: input.needs });
    priority = `${a.tier_explanation} (care complexity: ${a.complexity}).`;
    const e = eligibility(input);
    if (!e.eligible && errors.length === 0) priority += ` Not able to wait: ${e.reasons.join(', ')}.`;
  } catch (err) {
    // Birth date or needs not valid yet: the field errors say why.
    if (!err.code) throw err;
  }
  document.getElementById('priority').textContent = priority;
  return errors;
}

await init();
document.getElementById('status').textContent = 'Checks run in your browser as you type.';
form.addEventListener('input', (ev) => {
  touched.add(ev.target.name === 'need' ? 'needs' : ev.target.id);
  render(false);
});
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const errors = render(true);
  if (errors.length === 0) document.getElementById('summary').textContent = 'Valid: this registration would be submitted.';
  else document.getElementById(errors[0].field)?.focus();
});

// `#demo` in the URL types a PHN with a wrong check digit, to see (or test) an error appear.
if (location.hash === '#demo') {
  const phn = document.getElementById('phn');
  phn.value = '9698 658 216';
  phn.dispatchEvent(new Event('input', { bubbles: true }));
}
