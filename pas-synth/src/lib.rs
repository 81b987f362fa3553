//! # pas-synth
//!
//! A deterministic synthetic British Columbia for PAS tests, benchmarks and demos
//! (`pas generate`): households of registrations ([`pas_core::RegistrationInput`], DOMAIN §2/§7)
//! and clinics of providers ([`pas_core::ProviderInput`], §5/§7), as the text a `patients.csv` or
//! `providers.csv` would hold. Nobody in it is real: PHNs are valid by the §1 check digit only.
//!
//! ```
//! use chrono::NaiveDate;
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
//! let province = pas_synth::generate(&pas_synth::Config::new(1_000, 20, 42, as_of));
//! assert_eq!((province.patients.len(), province.providers.len()), (1_000, 20));
//! let mut csv = Vec::new();
//! pas_synth::write_patients_csv(&mut csv, &province.patients).unwrap();
//! ```
//!
//! ## Determinism
//!
//! Everything comes from [`rand_chacha::ChaCha8Rng`] seeded with [`Config::seed`], and floats
//! go through basic arithmetic only (no libm), so a seed gives the same bytes on every platform
//! and every run. Each part has its own stream of that generator: household sizes, providers,
//! planted errors, and one stream per chunk of 2048 households. Hence changing the number of
//! patients or the error rate leaves the providers unchanged; the rows of a province with planted
//! errors equal those of the same seed without, except the planted ones; asking for more patients
//! only appends (and completes the last household); and chunks are generated in parallel on
//! every core with a result that does not depend on the number of cores.
//!
//! ## Performance
//!
//! A million registrations are ~20 million small `String`s (about 1.2 GB with the structs):
//! allocating and first touching that memory is most of the cost, so chunks are generated on
//! all cores. Ids, PHNs, dates and coordinates are formatted without `fmt`. A PHN is computed
//! from its row number (see below), so no set of issued PHNs is kept.
//!
//! ## Realism (the choices)
//!
//! * **Where.** Real FSAs hold similar populations (~20–40k), so homes are drawn FSA by FSA from
//!   [`pas_core::location::bc_fsas`] with weights 1.3 for the Lower Mainland (`V3`–`V7`), 1.0 for
//!   Victoria (`V8`), the rest of Vancouver Island (`V9`) and the Interior/North (`V1`, `V2`), 0.5
//!   for rural `V0x` areas: population concentrates where FSAs are dense. A home lies around its
//!   FSA centroid with a bell-shaped offset (sum of three uniforms) of σ = 1.5 km (`V3`–`V8`),
//!   3 km (`V1`, `V2`, `V9`) or 12 km (`V0`). Coordinates are written with 5 decimals for ~90 % of
//!   households and left blank (FSA centroid used) for ~10 %; `community` is the FSA's GeoNames
//!   name for ~80 %, blank otherwise. Postal codes are the FSA plus a plausible LDU (`1P6`, 5th
//!   character from §1's letters), written `V8W 1P6` or, 1 in 10, `V8W1P6`. Household members
//!   share postal code, coordinates and community.
//! * **Households.** Sizes 1–6 with shares 55/25/9/8/2/1 % (mean 1.80 persons, so 1M
//!   registrations ≈ 555k households). The registrant (`self`, household_id = own id) is 18–95,
//!   mostly 25–70; a second member is mostly a spouse (±6 years), further members mostly children
//!   0–17 (1 in 10 an infant under one, priority tier 1; adult children for registrants over 58),
//!   sometimes a parent (20–35 years older) or another adult. Ids are `R0000001`… in file order.
//! * **PHNs** are unique and valid (DOMAIN §1): row `i`'s PHN is a seed-keyed permutation of `i`
//!   mapped onto PHN bodies that all admit a check digit, so up to [`MAX_PATIENTS`] (80 million)
//!   rows get distinct PHNs with no lookup.
//! * **Names** come from embedded lists for BC's communities (English, Punjabi, Chinese,
//!   Filipino, Persian, Korean, French, Spanish, Hindi, Vietnamese, Arabic, Japanese, Russian and
//!   surnames common in BC First Nations). A household's names follow its language (English
//!   speakers get a heritage drawn from BC's mix); members mostly share the family name and a
//!   third of second-generation children have an English given name.
//! * **Registration.** `registered_at` dates fall in the 3 years before `as_of`, recent ones more
//!   often (density falling linearly to zero 3 years back); 85 % of members register the same
//!   day as the registrant, the others up to 180 days later, and nobody before birth. Status:
//!   waiting 92 %, offered 2, accepted 1, attached 1, inactive 2, withdrawn 1, closed 1 (mostly
//!   shared in a household); MSP coverage 98 %; `has_provider` 4 %, half of them with
//!   `provider_leaving`.
//! * **Preferences.** Language en 74 %, pa 5, zh 4, yue 3, tl 3, fa 2, ko/fr/es/hi 1.5 each,
//!   vi/ar 1, ja/ru 0.5 (shared by 90 % of members); a translator for 35 % of other-language
//!   speakers and 0.5 % of en/fr speakers. Gender preference any 70 %, female 25, male 5. Travel
//!   5 km 35 %, 20 km 45, any 20; rural `V0` households 10/40/50.
//! * **Needs** (DOMAIN §4) by age: a chronic condition for 15 % under 40, 45 % aged 40–64 and
//!   75 % from 65 (then often 2–3 codes), with the codes common at each age (asthma and mental
//!   health in the young; hypertension, diabetes, COPD, cancer, dementia later);
//!   `pregnant_postpartum` for 3 % of adults 20–44 (there is no sex field); `hospital_discharge`
//!   1 %, `major_surgery` 2 %, `social_needs` 4 %.
//! * **Providers** work in clinics of 1–8 (`C00001`…, providers `P000001`…). Clinics are drawn
//!   with the home weights, ×1.5 for the cities (`V3`–`V8`), at σ = 1 km from the FSA centroid
//!   (5 km in `V0`); a clinic's providers share its postal code, coordinates and community.
//!   Gender female 55 %, male 42, other 1, unknown 2; languages `en`, plus for 25 % one or two
//!   (70/30) other languages drawn like patients'; accepting 65 %, with 5–30 open places for
//!   80 % of those, 31–50 for 15 %, 1–4 for 5 % (mean ≈ 20; 0 when not accepting);
//!   max complexity low 15 %, medium 35, high 50; accepts families 70 %.
//!
//! ## Panels
//!
//! [`write_panel_csv`] streams a `panel.csv` (DOMAIN §8) of any size with planted errors whose
//! counts it returns exactly (see the `panels` module docs).
//!
//! ## Planted errors
//!
//! [`Config::invalid_rate`] × patients rows (rounded) each get exactly one DOMAIN §1 error, one
//! of: a PHN with a wrong check digit, a birth date after `as_of`, the Alberta postal code
//! `T2P 1J9` with blank coordinates (`not_bc_resident`, `unknown_location`), the unknown need
//! `flu` appended to the needs, or travel `10km`. [`Province::planted_errors`] says how many.
#![warn(missing_docs)]

use std::io::Write;

use chrono::{Days, NaiveDate};
use pas_core::csv_input::PATIENT_COLUMNS;
use pas_core::provider::{PROVIDER_COLUMNS, PROVIDER_OPTIONAL_COLUMNS};
use pas_core::{ProviderInput, RegistrationInput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod draw;
mod geo;
mod names;
mod panels;
mod patients;
mod phns;
mod providers;

pub use panels::{PLANTED_CODES, PanelConfig, PanelPlanted, practitioner_number, write_panel_csv};

/// The largest province: the PHN scheme issues 80 million distinct PHNs (of the ~81.8 million
/// valid ones), so [`Config::patients`] is capped here.
pub const MAX_PATIENTS: usize = phns::MAX_PHNS;

/// What to generate. Same config, same province, byte for byte.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Number of registrations (capped at [`MAX_PATIENTS`]).
    pub patients: usize,
    /// Number of providers.
    pub providers: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Reference date: ages, birth dates and registration dates are relative to it.
    pub as_of: NaiveDate,
    /// Fraction (0–1) of patient rows given exactly one planted field error; 0 by default.
    pub invalid_rate: f64,
}

impl Config {
    /// A config without planted errors.
    pub fn new(patients: usize, providers: usize, seed: u64, as_of: NaiveDate) -> Self {
        Self {
            patients,
            providers,
            seed,
            as_of,
            invalid_rate: 0.0,
        }
    }
}

/// A generated province: registrations in household order, then providers in clinic order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Province {
    /// `patients.csv` rows; a household's members are consecutive, registrant first.
    pub patients: Vec<RegistrationInput>,
    /// `providers.csv` rows.
    pub providers: Vec<ProviderInput>,
    /// How many patient rows carry a planted error (see the crate docs).
    pub planted_errors: usize,
}

/// Streams of the ChaCha generator, one per part, so that parts do not shift each other:
/// household sizes, providers, planted errors, then one per chunk of households.
const HOUSEHOLD_STREAM: u64 = 0;
const PROVIDER_STREAM: u64 = 1;
const ERROR_STREAM: u64 = 2;
const CHUNK_STREAMS: u64 = 16;

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// Generate a province (see the crate docs for what it looks like), on every available core:
/// a million registrations are a gigabyte of small strings, and allocating them is the cost.
/// The result does not depend on the number of cores.
pub fn generate(config: &Config) -> Province {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    generate_on(config, threads)
}

fn generate_on(config: &Config, threads: usize) -> Province {
    let n = config.patients.min(MAX_PATIENTS);
    let mut patients = patients::generate(
        &mut rng(config.seed, HOUSEHOLD_STREAM),
        &|chunk| rng(config.seed, CHUNK_STREAMS + chunk as u64),
        config.seed,
        config.as_of,
        n,
        threads,
    );
    let providers = providers::generate(&mut rng(config.seed, PROVIDER_STREAM), config.providers);
    let planted_errors = plant_errors(
        &mut rng(config.seed, ERROR_STREAM),
        &mut patients,
        config.invalid_rate,
        config.as_of,
    );
    Province {
        patients,
        providers,
        planted_errors,
    }
}

/// Give round(`rate` × rows) distinct rows one error each; returns how many.
fn plant_errors(rng: &mut ChaCha8Rng, rows: &mut [RegistrationInput], rate: f64, as_of: NaiveDate) -> usize {
    let n = rows.len();
    let rate = if rate.is_nan() { 0.0 } else { rate.clamp(0.0, 1.0) };
    let count = ((rate * n as f64).round() as usize).min(n);
    if count == 0 {
        return 0;
    }
    // Partial Fisher–Yates: the first `count` entries become a uniform sample of rows.
    let mut index: Vec<u32> = (0..n as u32).collect();
    for i in 0..count {
        let j = rng.random_range(i as u32..n as u32) as usize;
        index.swap(i, j);
        let row = &mut rows[index[i] as usize];
        match rng.random_range(0..5u32) {
            0 => {
                // Every other last digit than the check digit is wrong.
                let mut phn = std::mem::take(&mut row.phn).into_bytes();
                if let Some(last) = phn.last_mut() {
                    *last = b'0' + last.wrapping_sub(b'0').wrapping_add(1) % 10;
                }
                row.phn = String::from_utf8(phn).unwrap_or_default();
            }
            1 => {
                let days = u64::from(rng.random_range(1..=365u32));
                row.birth_date = as_of
                    .checked_add_days(Days::new(days))
                    .map_or_else(|| "9999-99-99".to_owned(), draw::iso_date);
            }
            2 => {
                row.postal_code = "T2P 1J9".to_owned();
                row.latitude.clear();
                row.longitude.clear();
            }
            3 => {
                if row.needs.is_empty() {
                    row.needs = "flu".to_owned();
                } else {
                    row.needs.push_str(";flu");
                }
            }
            _ => row.travel = "10km".to_owned(),
        }
    }
    count
}

/// Columns written after DOMAIN §7's required patient columns (no contact fields: synthetic
/// rows have none).
const PATIENT_EXTRA_COLUMNS: [&str; 3] = ["community", "latitude", "longitude"];

/// Write `patients.csv` (DOMAIN §7): the required columns, then community, latitude, longitude
/// (synthetic rows have no phone or e-mail). Output is buffered here: pass a plain `File`.
pub fn write_patients_csv<W: Write>(w: W, rows: &[RegistrationInput]) -> std::io::Result<()> {
    let mut out = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(w);
    out.write_record(PATIENT_COLUMNS.iter().chain(&PATIENT_EXTRA_COLUMNS))?;
    for r in rows {
        out.write_record([
            &r.registration_id,
            &r.household_id,
            &r.relationship,
            &r.phn,
            &r.given_name,
            &r.family_name,
            &r.birth_date,
            &r.postal_code,
            &r.registered_at,
            &r.status,
            &r.gender_preference,
            &r.language,
            &r.translator_needed,
            &r.travel,
            &r.needs,
            &r.msp_coverage,
            &r.has_provider,
            &r.provider_leaving,
            &r.community,
            &r.latitude,
            &r.longitude,
        ])?;
    }
    out.flush()
}

/// Write `providers.csv` (DOMAIN §7): the required columns, then community, latitude, longitude.
/// Output is buffered here: pass a plain `File`.
pub fn write_providers_csv<W: Write>(w: W, rows: &[ProviderInput]) -> std::io::Result<()> {
    let mut out = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(w);
    out.write_record(PROVIDER_COLUMNS.iter().chain(&PROVIDER_OPTIONAL_COLUMNS))?;
    for p in rows {
        out.write_record([
            &p.provider_id,
            &p.clinic_id,
            &p.given_name,
            &p.family_name,
            &p.gender,
            &p.languages,
            &p.accepting,
            &p.open_places,
            &p.max_complexity,
            &p.accepts_families,
            &p.postal_code,
            &p.community,
            &p.latitude,
            &p.longitude,
        ])?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn same_province_on_any_number_of_threads() {
        let config = Config {
            invalid_rate: 0.01,
            ..Config::new(10_000, 50, 4, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())
        };
        let one = generate_on(&config, 1);
        assert_eq!(one.patients.len(), 10_000);
        for threads in [2, 3, 8] {
            assert!(generate_on(&config, threads) == one, "{threads} threads");
        }
    }
}
