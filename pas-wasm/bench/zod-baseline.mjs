// BASELINE ONLY — NOT USED BY PAS. A zod schema re-implementing the registration rules of
// DOMAIN §1–§2 as a JS form library would, to compare throughput with pas-wasm on the same
// records (bench/bench.mjs). It is an approximation: no FSA centroid table (so no
// unknown_location), simplified name and e-mail rules. The rules PAS applies are pas-core's.
import { z } from 'zod';

const WEIGHTS = [2, 4, 8, 5, 10, 9, 7, 3];
function phnOk(raw) {
  const s = raw.replace(/ /g, '');
  if (!/^9\d{9}$/.test(s)) return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (s.charCodeAt(i + 1) - 48) * WEIGHTS[i];
  const r = sum % 11;
  return r >= 2 && s.charCodeAt(9) - 48 === 11 - r;
}
function realDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3] ? d : null;
}
const NEEDS = new Set(['pregnant_postpartum', 'hospital_discharge', 'major_surgery', 'social_needs', 'stroke_tia',
  'heart_disease_hypertension', 'diabetes', 'copd_asthma', 'cancer', 'mental_health', 'substance_use',
  'eating_disorder', 'sickle_cell', 'dementia', 'kidney_disease', 'chronic_pain', 'other_chronic']);
const id = z.string().trim().min(1).max(64).regex(/^[\x21-\x7e]+$/);
const name = z.string().trim().min(1).max(50).regex(/^[\p{L}\p{M} '\-.]+$/u).regex(/\p{L}/u);
const bool = z.string().trim().regex(/^(true|false)$/i);
const oneOf = (...v) => z.string().trim().refine((s) => v.includes(s.toLowerCase()));
const optional = (schema) => z.string().refine((s) => s.trim() === '' || schema.safeParse(s).success);

export function registrationSchema(asOf) {
  const limit = realDate(asOf);
  return z.object({
    registration_id: id,
    household_id: id,
    relationship: oneOf('self', 'spouse', 'child', 'parent', 'other'),
    phn: z.string().refine(phnOk, 'invalid_phn'),
    given_name: name,
    family_name: name,
    birth_date: z.string().trim().refine((s) => {
      const d = realDate(s);
      return d !== null && d <= limit && d >= Date.UTC(1900, 0, 1);
    }, 'invalid_birth_date'),
    postal_code: z.string().trim().transform((s) => s.toUpperCase().replace(' ', ''))
      .pipe(z.string().regex(/^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\d[ABCEGHJ-NPRSTV-Z]\d$/)),
    community: z.string().max(100).optional(),
    latitude: z.string().optional(),
    longitude: z.string().optional(),
    registered_at: z.string().trim().refine((s) => {
      const t = realDate(s) ?? (/^\d{4}-\d{2}-\d{2}T/.test(s) ? new Date(s) : null);
      return t !== null && !Number.isNaN(+t) && t <= new Date(+limit + 86400000 - 1);
    }),
    status: oneOf('waiting', 'offered', 'accepted', 'attached', 'inactive', 'withdrawn', 'closed'),
    gender_preference: oneOf('any', 'female', 'male'),
    language: z.string().trim().regex(/^([A-Za-z]{2,3})?$/),
    translator_needed: bool,
    travel: oneOf('5km', '20km', 'any'),
    needs: z.string().refine((s) => s.trim() === '' || s.split(';').every((n) => NEEDS.has(n.trim().toLowerCase()))),
    msp_coverage: bool,
    has_provider: bool,
    provider_leaving: bool,
    phone: optional(z.string().transform((s) => s.replace(/[\s\-().]/g, '').replace(/^\+?1(?=\d{10}$)/, ''))
      .pipe(z.string().regex(/^[2-9]\d{9}$/))).optional(),
    email: optional(z.string().trim().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/)).optional(),
    email_confirm: z.string().optional(),
  }).superRefine((r, ctx) => {
    if ((r.relationship.trim().toLowerCase() === 'self') !== (r.registration_id.trim() === r.household_id.trim())) {
      ctx.addIssue({ code: 'custom', path: ['relationship'], message: 'invalid_relationship' });
    }
    if ((r.latitude ?? '').trim() === '' !== ((r.longitude ?? '').trim() === '')) {
      ctx.addIssue({ code: 'custom', path: ['longitude'], message: 'invalid_coordinates' });
    }
    if ((r.email_confirm ?? '').trim() !== '' && (r.email ?? '').trim().toLowerCase() !== r.email_confirm.trim().toLowerCase()) {
      ctx.addIssue({ code: 'custom', path: ['email_confirm'], message: 'email_mismatch' });
    }
  });
}
