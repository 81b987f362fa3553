//! Households of registrations (DOMAIN §2, §7 `patients.csv`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use chrono::{Days, Months, NaiveDate};
use pas_core::date::EARLIEST_BIRTH_DATE;
use pas_core::{Need, NeedSet, RegistrationInput};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::draw::{between, chance, iso_date, one_of, padded, weighted};
use crate::geo::{AreaKind, Areas};
use crate::names::{ENGLISH, ENGLISH_SPEAKER_GROUPS, GROUPS, LANGUAGES};
use crate::phns::PhnSource;

/// Household sizes and their shares (percent): mostly single adults, as on BC's wait list.
const HOUSEHOLD_SIZES: [(usize, f64); 6] = [(1, 55.0), (2, 25.0), (3, 9.0), (4, 8.0), (5, 2.0), (6, 1.0)];

const STATUSES: [(&str, f64); 7] = [
    ("waiting", 92.0),
    ("offered", 2.0),
    ("accepted", 1.0),
    ("attached", 1.0),
    ("inactive", 2.0),
    ("withdrawn", 1.0),
    ("closed", 1.0),
];

const GENDER_PREFERENCES: [(&str, f64); 3] = [("any", 70.0), ("female", 25.0), ("male", 5.0)];

const TRAVEL: [(&str, f64); 3] = [("5km", 35.0), ("20km", 45.0), ("any", 20.0)];
/// Rural (`V0x`) households live far from any clinic and accept longer trips.
const TRAVEL_RURAL: [(&str, f64); 3] = [("5km", 10.0), ("20km", 40.0), ("any", 50.0)];

/// Registration dates span this many days before `as_of`.
const REGISTRATION_SPAN_DAYS: f64 = 1096.0;

/// Chronic codes by age band, weighted by how often each is declared in that band.
const CHRONIC_CHILD: [(Need, f64); 7] = [
    (Need::CopdAsthma, 45.0),
    (Need::MentalHealth, 30.0),
    (Need::OtherChronic, 12.0),
    (Need::EatingDisorder, 4.0),
    (Need::Diabetes, 4.0),
    (Need::SickleCell, 2.0),
    (Need::ChronicPain, 3.0),
];
const CHRONIC_YOUNG: [(Need, f64); 12] = [
    (Need::MentalHealth, 35.0),
    (Need::CopdAsthma, 22.0),
    (Need::ChronicPain, 9.0),
    (Need::OtherChronic, 8.0),
    (Need::Diabetes, 6.0),
    (Need::SubstanceUse, 7.0),
    (Need::EatingDisorder, 4.0),
    (Need::HeartDiseaseHypertension, 5.0),
    (Need::Cancer, 1.5),
    (Need::KidneyDisease, 1.0),
    (Need::SickleCell, 1.0),
    (Need::StrokeTia, 0.5),
];
const CHRONIC_MIDDLE: [(Need, f64); 13] = [
    (Need::HeartDiseaseHypertension, 25.0),
    (Need::Diabetes, 18.0),
    (Need::MentalHealth, 16.0),
    (Need::CopdAsthma, 12.0),
    (Need::ChronicPain, 9.0),
    (Need::OtherChronic, 6.0),
    (Need::Cancer, 5.0),
    (Need::SubstanceUse, 3.0),
    (Need::KidneyDisease, 3.0),
    (Need::StrokeTia, 2.0),
    (Need::EatingDisorder, 0.5),
    (Need::SickleCell, 0.5),
    (Need::Dementia, 0.5),
];
const CHRONIC_OLDER: [(Need, f64); 11] = [
    (Need::HeartDiseaseHypertension, 30.0),
    (Need::Diabetes, 18.0),
    (Need::CopdAsthma, 12.0),
    (Need::Cancer, 8.0),
    (Need::ChronicPain, 8.0),
    (Need::KidneyDisease, 6.0),
    (Need::StrokeTia, 5.0),
    (Need::Dementia, 5.0),
    (Need::MentalHealth, 5.0),
    (Need::OtherChronic, 5.0),
    (Need::SubstanceUse, 1.0),
];

/// A household member's relationship to the registrant (DOMAIN §2 codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rel {
    Registrant,
    Spouse,
    Child,
    Parent,
    Other,
}

impl Rel {
    const fn code(self) -> &'static str {
        match self {
            Self::Registrant => "self",
            Self::Spouse => "spouse",
            Self::Child => "child",
            Self::Parent => "parent",
            Self::Other => "other",
        }
    }
}

/// Households per chunk. A chunk is generated from its own stream of the seed, so chunks can be
/// generated in any order, on any number of threads, with the same result.
const CHUNK_HOUSEHOLDS: usize = 2048;

/// Exactly `n` registrations (the last household is cut short if needed), generated on up to
/// `threads` threads; the result does not depend on `threads`.
///
/// Household sizes are drawn first, sequentially, from `plan_rng`; then each chunk of
/// [`CHUNK_HOUSEHOLDS`] households is filled from `chunk_rng(k)`. Row `i` has id `R{i+1:07}`
/// and the PHN of row `i`, so no chunk needs another's state.
pub(crate) fn generate(
    plan_rng: &mut ChaCha8Rng,
    chunk_rng: &(dyn Fn(usize) -> ChaCha8Rng + Sync),
    seed: u64,
    as_of: NaiveDate,
    n: usize,
    threads: usize,
) -> Vec<RegistrationInput> {
    let mut sizes = Vec::new();
    let mut planned = 0;
    while planned < n {
        let size = weighted(plan_rng, &HOUSEHOLD_SIZES).min(n - planned);
        planned += size;
        sizes.push(size as u8);
    }
    let mut chunks = Vec::new();
    let mut first_row = 0;
    for households in sizes.chunks(CHUNK_HOUSEHOLDS) {
        chunks.push((first_row, households));
        first_row += households.iter().map(|&s| usize::from(s)).sum::<usize>();
    }
    let generator = Generator {
        as_of,
        areas: Areas::new(false),
        phns: PhnSource::new(seed),
    };
    let count = chunks.len();
    let mut rows = Vec::with_capacity(n);
    let threads = threads.min(count);
    if threads <= 1 {
        for (k, &(first_row, households)) in chunks.iter().enumerate() {
            generator.chunk(&mut chunk_rng(k), first_row, households, &mut rows);
        }
        return rows;
    }
    let make = |k: usize| {
        let (first_row, households) = chunks[k];
        let mut rows = Vec::with_capacity(households.iter().map(|&s| usize::from(s)).sum());
        generator.chunk(&mut chunk_rng(k), first_row, households, &mut rows);
        rows
    };
    // Workers take chunks in order and send them back; this thread appends them in order
    // (holding any that arrive early), so the result is the sequential one.
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<(usize, Vec<RegistrationInput>)>(2 * threads);
        for _ in 0..threads {
            let (tx, next, make) = (tx.clone(), &next, &make);
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= count || tx.send((k, make(k))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut early = BTreeMap::new();
        let mut wanted = 0;
        for (k, chunk) in rx {
            early.insert(k, chunk);
            while let Some(mut chunk) = early.remove(&wanted) {
                rows.append(&mut chunk);
                wanted += 1;
            }
        }
    });
    rows
}

/// What every chunk shares (read-only).
struct Generator {
    as_of: NaiveDate,
    areas: Areas,
    phns: PhnSource,
}

impl Generator {
    /// Appends the registrations of `households` (their sizes) to `rows`, the first being row
    /// `first_row` of the province.
    fn chunk(&self, rng: &mut ChaCha8Rng, first_row: usize, households: &[u8], rows: &mut Vec<RegistrationInput>) {
        let mut row = first_row;
        for &size in households {
            self.household(rng, usize::from(size), row, rows);
            row += usize::from(size);
        }
    }

    /// Appends one household of `size` members to `rows`, the first being row `household_row`.
    fn household(&self, rng: &mut ChaCha8Rng, size: usize, household_row: usize, rows: &mut Vec<RegistrationInput>) {
        let place = self.areas.place(rng);
        let language = weighted(rng, &language_table());
        let group = name_group(rng, language);
        let family_name = one_of(rng, GROUPS[group].family);
        let travel_table = if place.kind == AreaKind::Rural {
            &TRAVEL_RURAL
        } else {
            &TRAVEL
        };
        let travel = weighted(rng, travel_table);
        let status = weighted(rng, &STATUSES);
        // Recent registrations are more frequent: the days since registering follow the
        // minimum of two uniforms (density falling linearly to zero 3 years back).
        let days_ago = (rng.random::<f64>().min(rng.random::<f64>()) * REGISTRATION_SPAN_DAYS) as u64;
        let registered = self.as_of.checked_sub_days(Days::new(days_ago)).unwrap_or(self.as_of);
        let registrant_age = registrant_age(rng);
        let household_id = padded("R", 7, household_row as u64 + 1);

        for i in 0..size {
            let (rel, age) = if i == 0 {
                (Rel::Registrant, registrant_age)
            } else {
                member(rng, registrant_age, i, size)
            };
            let row = household_row + i;
            // Rows are below MAX_PATIENTS, which every PHN index is.
            let phn = self
                .phns
                .phn(row)
                .map(|p| padded("", 10, p.as_u64()))
                .unwrap_or_default();
            let registration_id = if i == 0 {
                household_id.clone()
            } else {
                padded("R", 7, row as u64 + 1)
            };

            // Second-generation children often carry an English given name.
            let given_group = if rel == Rel::Child && group != ENGLISH && chance(rng, 0.35) {
                ENGLISH
            } else {
                group
            };
            let given_name = one_of(rng, GROUPS[given_group].given);
            let family_name = match rel {
                Rel::Registrant | Rel::Child => family_name,
                Rel::Spouse if chance(rng, 0.85) => family_name,
                Rel::Parent if chance(rng, 0.7) => family_name,
                Rel::Spouse | Rel::Parent => one_of(rng, GROUPS[group].family),
                Rel::Other => {
                    let other_group = weighted(rng, &ENGLISH_SPEAKER_GROUPS);
                    one_of(rng, GROUPS[other_group].family)
                }
            };

            let birth = birth_date(rng, self.as_of, age);
            let mut member_registered = registered;
            if i > 0 && chance(rng, 0.15) {
                let later = u64::from(between(rng, 1, 180));
                member_registered = registered
                    .checked_add_days(Days::new(later))
                    .unwrap_or(self.as_of)
                    .min(self.as_of);
            }
            // A baby born after the household registered is added at birth.
            member_registered = member_registered.max(birth);

            let status = if i == 0 || chance(rng, 0.95) {
                status
            } else {
                weighted(rng, &STATUSES)
            };
            let language = if i == 0 || chance(rng, 0.9) {
                language
            } else {
                weighted(rng, &language_table())
            };
            let translator = match language {
                "en" | "fr" => chance(rng, 0.005),
                _ => chance(rng, 0.35),
            };
            let travel = if i == 0 || chance(rng, 0.95) {
                travel
            } else {
                weighted(rng, travel_table)
            };
            let has_provider = chance(rng, 0.04);
            let provider_leaving = has_provider && chance(rng, 0.5);

            rows.push(RegistrationInput {
                registration_id,
                household_id: household_id.clone(),
                relationship: rel.code().to_owned(),
                phn,
                given_name: given_name.to_owned(),
                family_name: family_name.to_owned(),
                birth_date: iso_date(birth),
                postal_code: place.postal_code.clone(),
                community: place.community.clone(),
                latitude: place.latitude.clone(),
                longitude: place.longitude.clone(),
                registered_at: iso_date(member_registered),
                status: status.to_owned(),
                gender_preference: weighted(rng, &GENDER_PREFERENCES).to_owned(),
                language: language.to_owned(),
                translator_needed: bool_text(translator),
                travel: travel.to_owned(),
                needs: needs(rng, age),
                msp_coverage: bool_text(chance(rng, 0.98)),
                has_provider: bool_text(has_provider),
                provider_leaving: bool_text(provider_leaving),
                ..RegistrationInput::default()
            });
        }
    }
}

/// `true`/`false` as written in §7 files.
pub(crate) fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_owned()
}

/// Language codes with their shares.
pub(crate) fn language_table() -> [(&'static str, f64); 14] {
    LANGUAGES.map(|(code, share, _)| (code, share))
}

/// The name group of a speaker of `language`: its community's, or for English speakers a
/// heritage drawn from BC's mix.
pub(crate) fn name_group(rng: &mut ChaCha8Rng, language: &str) -> usize {
    match LANGUAGES.iter().find(|(code, _, _)| *code == language) {
        Some(&(_, _, group)) if group != ENGLISH => group,
        _ => weighted(rng, &ENGLISH_SPEAKER_GROUPS),
    }
}

/// The registrant's age: 18–95, mostly working-age adults (80 % aged 25–70).
fn registrant_age(rng: &mut ChaCha8Rng) -> u32 {
    let x = rng.random::<f64>();
    if x < 0.08 {
        between(rng, 18, 24)
    } else if x < 0.88 {
        between(rng, 25, 70)
    } else {
        // 71–95, thinning out with age.
        let u = rng.random::<f64>();
        71 + (u * u * 25.0) as u32
    }
}

/// Relationship and age of the `index`-th (≥ 1) member of a household of `size`.
fn member(rng: &mut ChaCha8Rng, registrant_age: u32, index: usize, size: usize) -> (Rel, u32) {
    let x = rng.random::<f64>();
    let rel = match (index, size) {
        (1, 2) if x < 0.78 => Rel::Spouse,
        (1, 2) if x < 0.88 => Rel::Child,
        (1, 2) if x < 0.94 => Rel::Parent,
        (1, 2) => Rel::Other,
        (1, _) if x < 0.85 => Rel::Spouse,
        (1, _) => Rel::Child,
        _ if x < 0.88 => Rel::Child,
        _ if x < 0.95 => Rel::Parent,
        _ => Rel::Other,
    };
    match rel {
        Rel::Spouse => {
            let age = i64::from(registrant_age) + i64::from(between(rng, 0, 12)) - 6;
            (rel, age.clamp(18, 98) as u32)
        }
        Rel::Child if registrant_age <= 58 => {
            // Children 0–17, born when the parent was at least 18; 1 in 10 is an infant
            // (age 0: priority tier 1).
            let max = registrant_age.saturating_sub(18).min(17);
            let age = if chance(rng, 0.1) { 0 } else { between(rng, 0, max) };
            (rel, age)
        }
        Rel::Child => {
            // Older registrants' children are adults living with them.
            let age = registrant_age.saturating_sub(between(rng, 22, 38)).max(18);
            (rel, age)
        }
        Rel::Parent => {
            let age = registrant_age + between(rng, 20, 35);
            if age <= 100 {
                (rel, age)
            } else {
                (Rel::Other, between(rng, 18, 80))
            }
        }
        Rel::Other | Rel::Registrant => (Rel::Other, between(rng, 18, 80)),
    }
}

/// A birth date at which the person is `age` whole years old on `as_of`, never before
/// 1900-01-01 nor after `as_of` (DOMAIN §1).
fn birth_date(rng: &mut ChaCha8Rng, as_of: NaiveDate, age: u32) -> NaiveDate {
    let extra = u64::from(between(rng, 0, 364));
    as_of
        .checked_sub_months(Months::new(12 * age))
        .and_then(|d| d.checked_sub_days(Days::new(extra)))
        .unwrap_or(EARLIEST_BIRTH_DATE)
        .clamp(EARLIEST_BIRTH_DATE.min(as_of), as_of)
}

/// DOMAIN §4 need codes, `;`-separated in DOMAIN order, blank for most young people.
fn needs(rng: &mut ChaCha8Rng, age: u32) -> String {
    let mut set = NeedSet::EMPTY;
    let (p_chronic, counts, codes): (f64, [f64; 3], &[(Need, f64)]) = match age {
        0..=17 => (0.15, [0.9, 0.1, 0.0], &CHRONIC_CHILD),
        18..=39 => (0.15, [0.85, 0.15, 0.0], &CHRONIC_YOUNG),
        40..=64 => (0.45, [0.6, 0.3, 0.1], &CHRONIC_MIDDLE),
        _ => (0.75, [0.35, 0.4, 0.25], &CHRONIC_OLDER),
    };
    if chance(rng, p_chronic) {
        let count = weighted(rng, &[(1, counts[0]), (2, counts[1]), (3, counts[2])]);
        let mut tries = 0;
        while set.chronic_count() < count && tries < 12 {
            set.insert(weighted(rng, codes));
            tries += 1;
        }
    }
    if (20..=44).contains(&age) && chance(rng, 0.03) {
        set.insert(Need::PregnantPostpartum);
    }
    if chance(rng, 0.01) {
        set.insert(Need::HospitalDischarge);
    }
    if chance(rng, 0.02) {
        set.insert(Need::MajorSurgery);
    }
    if chance(rng, 0.04) {
        set.insert(Need::SocialNeeds);
    }
    if set.is_empty() { String::new() } else { set.to_string() }
}
