// Plain words for the codes pas-core uses (DOMAIN §3–§4), shared by the pages: the form offers
// needs by these words and the provider's offers list shows them the same way.
export const NEEDS = {
  pregnant_postpartum: 'Pregnant, or gave birth in the last months',
  hospital_discharge: 'Recently discharged from hospital',
  major_surgery: 'Had or is waiting for major surgery',
  social_needs: 'Social needs (housing, income, support at home)',
  stroke_tia: 'Stroke or mini-stroke (TIA)',
  heart_disease_hypertension: 'Heart disease or high blood pressure',
  diabetes: 'Diabetes',
  copd_asthma: 'COPD or asthma',
  cancer: 'Cancer',
  mental_health: 'Mental health condition',
  substance_use: 'Substance use',
  eating_disorder: 'Eating disorder',
  sickle_cell: 'Sickle cell disease',
  dementia: 'Dementia',
  kidney_disease: 'Kidney disease',
  chronic_pain: 'Chronic pain',
  other_chronic: 'Another long-term condition',
};
export const REASONS = {
  not_bc_resident: 'the postal code is not in British Columbia',
  no_msp_coverage: 'MSP coverage is needed',
  already_attached: 'already has a family doctor or nurse practitioner who is not leaving',
};

// `diabetes;copd_asthma` → `Diabetes, COPD or asthma` (an unknown code is shown as is).
export function needsInWords(codes) {
  const list = (codes || '').split(';').map((c) => c.trim()).filter(Boolean);
  return list.length ? list.map((c) => NEEDS[c] || c).join(', ') : '';
}
