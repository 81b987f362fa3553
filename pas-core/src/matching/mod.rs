//! Matching waiting households to providers' open places (DOMAIN §5–§6).
//!
//! The rule is serial dictatorship: households ("units") are walked in one public priority
//! order and each takes its most preferred provider that still has room for all of them. It is
//! simple to explain to a patient ("people ahead of you chose first"), strategy-proof, and has
//! no justified envy. The result is defined exactly by §5, so this module has two
//! implementations that must agree on every input:
//!
//! * [`naive::assign`]: the definition, literally — every unit scans every provider. It is the
//!   test oracle and the benchmark baseline.
//! * [`assign`]: the province-scale engine — a k-d tree over clinic locations whose nodes
//!   summarise what their providers can still take (places, genders, languages, complexity,
//!   families), preference candidates computed in parallel, then the sequential walk.
//!
//! [`report`] checks a result independently of both (capacity, families, envy, waste) and
//! computes the §6 fairness figures.
//!
//! ```
//! # use chrono::NaiveDate;
//! # use pas_core::*;
//! # use pas_core::matching::{self, MatchOptions};
//! # use pas_core::provider::{Provider, ProviderInput};
//! let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
//! let person = Registration::validate(&RegistrationInput {
//!     registration_id: "R1".into(), household_id: "R1".into(), relationship: "self".into(),
//!     phn: "9698658215".into(), given_name: "Ana".into(), family_name: "Cruz".into(),
//!     birth_date: "1990-04-01".into(), postal_code: "V5K 0A1".into(),
//!     registered_at: "2025-02-01".into(), status: "waiting".into(),
//!     gender_preference: "any".into(), language: "tl".into(), translator_needed: "false".into(),
//!     travel: "20km".into(), msp_coverage: "true".into(), has_provider: "false".into(),
//!     provider_leaving: "false".into(), ..Default::default()
//! }, as_of).unwrap();
//! let doctor = Provider::validate(&ProviderInput {
//!     provider_id: "P1".into(), clinic_id: "C1".into(), given_name: "Jo".into(),
//!     family_name: "Lee".into(), gender: "male".into(), languages: "en".into(),
//!     accepting: "true".into(), open_places: "3".into(), max_complexity: "low".into(),
//!     accepts_families: "true".into(), postal_code: "V5K 0A2".into(), ..Default::default()
//! }).unwrap();
//! let problem = matching::prepare(&[person], &[doctor], &MatchOptions { seed: 0, as_of });
//! let result = matching::assign(&problem);
//! assert_eq!(result.rows(&problem)[0].provider_id.as_ref().map(|p| p.as_str()), Some("P1"));
//! ```

use chrono::{DateTime, NaiveDate, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;

use crate::eligibility::{IneligibleReason, eligibility};
use crate::error::ErrorCode;
use crate::identifiers::{HouseholdId, RegistrationId};
use crate::location::GeoPoint;
use crate::priority::{Complexity, Tier};
use crate::provider::{Provider, ProviderGender, ProviderId};
use crate::registration::{GenderPreference, Language, Registration, Travel};

mod engine;
pub mod naive;
mod par;
pub mod report;

pub use engine::assign;

/// What a run depends on besides its records (DOMAIN §5): the tie-break seed and the reference
/// date for ages and waits. Both are printed in every output so a run can be replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchOptions {
    /// Seed of the tie key (default 0).
    pub seed: u64,
    /// Reference date (ages, complexity, waits).
    pub as_of: NaiveDate,
}

/// One waiting person inside a unit, with what matching needs to know about them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// Their registration.
    pub registration_id: RegistrationId,
    /// Their own tier (§4).
    pub tier: Tier,
    /// Their complexity (§4): a provider must take at least this.
    pub complexity: Complexity,
    /// Preferred provider gender.
    pub gender_preference: GenderPreference,
    /// Preferred language.
    pub language: Language,
    /// Needs the provider to speak `language`.
    pub translator_needed: bool,
    /// How far they will travel.
    pub travel: Travel,
    /// When they registered.
    pub registered_at: DateTime<Utc>,
    /// Report grouping (§6): index into [`Problem::communities`].
    pub community: u32,
}

impl Member {
    /// §5, per member: gender, language, distance and complexity.
    pub fn accepts(&self, p: &Provider, distance_km: f64) -> bool {
        self.accepts_wherever(p) && self.travel.max_km().is_none_or(|max| distance_km <= max)
    }

    /// §5 per member without the distance: gender, language and complexity.
    pub fn accepts_wherever(&self, p: &Provider) -> bool {
        let gender = match self.gender_preference {
            GenderPreference::Any => true,
            GenderPreference::Female => p.gender == ProviderGender::Female,
            GenderPreference::Male => p.gender == ProviderGender::Male,
        };
        gender && (!self.translator_needed || p.speaks(self.language)) && self.complexity <= p.max_complexity
    }
}

/// A household's eligible waiting members, matched together (§5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// The household.
    pub household_id: HouseholdId,
    /// Members, by registration id.
    pub members: Vec<Member>,
    /// The lowest member tier.
    pub tier: Tier,
    /// The earliest member registration.
    pub registered_at: DateTime<Utc>,
    /// First 8 bytes of SHA-256(`"{seed}:{household_id}"`), big-endian.
    pub tie_key: u64,
    /// The registrant's location if they wait, else the earliest-registered member's.
    pub location: GeoPoint,
    /// The language of the member whose location is used.
    pub language: Language,
}

impl Unit {
    /// Number of persons.
    pub fn size(&self) -> u32 {
        u32::try_from(self.members.len()).unwrap_or(u32::MAX)
    }

    /// Whether `p` is eligible for this unit (§5), given their distance.
    pub fn accepts(&self, p: &Provider, distance_km: f64) -> bool {
        p.accepting
            && p.open_places >= 1
            && (self.members.len() == 1 || p.accepts_families)
            && self.members.iter().all(|m| m.accepts(p, distance_km))
    }

    /// [`Unit::accepts`] for some distance: everything but travel. A cheap first filter.
    pub fn accepts_wherever(&self, p: &Provider) -> bool {
        p.accepting
            && p.open_places >= 1
            && (self.members.len() == 1 || p.accepts_families)
            && self.members.iter().all(|m| m.accepts_wherever(p))
    }

    /// The distance to `p` by §5's formula.
    pub fn distance_km(&self, p: &Provider) -> f64 {
        self.location.distance_km(p.location)
    }

    /// The priority key (§5): smaller goes first.
    pub fn priority_cmp(&self, other: &Unit) -> Ordering {
        (
            self.tier,
            self.registered_at,
            self.tie_key,
            self.household_id.as_str().as_bytes(),
        )
            .cmp(&(
                other.tier,
                other.registered_at,
                other.tie_key,
                other.household_id.as_str().as_bytes(),
            ))
    }
}

/// §5's tie key: the first 8 bytes, big-endian, of SHA-256 of `"{seed}:{household_id}"`.
///
/// ```
/// let k = pas_core::matching::tie_key(0, "H1");
/// assert_eq!(k, pas_core::matching::tie_key(0, "H1"));
/// assert_ne!(k, pas_core::matching::tie_key(1, "H1"));
/// ```
pub fn tie_key(seed: u64, household_id: &str) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.to_string())
        .chain_update(b":")
        .chain_update(household_id)
        .finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// A registration that does not enter the match, with every reason (§3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ineligible {
    /// The registration.
    pub registration_id: RegistrationId,
    /// Every reason, each once.
    pub reasons: Vec<IneligibleReason>,
}

/// A match problem: units in priority order, providers by id, and who was left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Seed and reference date.
    pub options: MatchOptions,
    /// Units in priority order: rank = index + 1.
    pub units: Vec<Unit>,
    /// Providers sorted by `provider_id` (so index order is §5's tie-break order).
    pub providers: Vec<Provider>,
    /// Registrations that may not wait, sorted by registration id.
    pub ineligible: Vec<Ineligible>,
    /// Report groups: each member's `community` column, else their FSA (§6).
    pub communities: Vec<String>,
    /// Provider ids given more than once; none of those rows takes part.
    pub duplicate_providers: Vec<ProviderId>,
}

/// Build the units and the priority order (§3, §5) from valid registrations and providers.
///
/// Registrations are judged by §3; besides, a registration id given twice excludes every
/// copy (`duplicate_registration_id`: which one is right cannot be known), and when several
/// non-terminal registrations share a PHN only the earliest-registered (then smallest id) waits,
/// the others are `already_registered` (§2). Both rules give the same answer for any row order.
pub fn prepare(registrations: &[Registration], providers: &[Provider], options: &MatchOptions) -> Problem {
    let as_of = options.as_of;
    // One parallel pass over the records; everything after works on small keys. (A million
    // registrations are ~300 MB: each pass over them costs more than sorting the keys.)
    let mut scans: Vec<Scan> = par::map(registrations, |r| Scan {
        reasons: eligibility(r).reasons,
        id_hash: fx_hash(r.registration_id.as_str()),
        household_hash: fx_hash(r.household_id.as_str()),
        phn: r.phn.as_u64(),
        registered_at: r.registered_at.timestamp_micros(),
        terminal: r.status.is_terminal(),
    });
    let id_of = |i: u32| &registrations[i as usize].registration_id;

    // A registration id given twice: every copy is out.
    let mut ids: Vec<(u64, u32)> = scans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id_hash, index_u32(i)))
        .collect();
    par::sort_by(&mut ids, |a, b| {
        a.0.cmp(&b.0)
            .then_with(|| id_of(a.1).cmp(id_of(b.1)))
            .then(a.1.cmp(&b.1))
    });
    let dup = IneligibleReason::Invalid(ErrorCode::DuplicateRegistrationId);
    for w in ids.windows(2) {
        if w[0].0 == w[1].0 && id_of(w[0].1) == id_of(w[1].1) {
            for k in [w[0].1, w[1].1] {
                let reasons = &mut scans[k as usize].reasons;
                if !reasons.contains(&dup) {
                    reasons.push(dup);
                }
            }
        }
    }
    drop(ids);

    // Several non-terminal registrations of one PHN: the earliest waits, the rest are refused.
    let mut open: Vec<(u64, i64, u32)> = scans
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.terminal)
        .map(|(i, s)| (s.phn, s.registered_at, index_u32(i)))
        .collect();
    par::sort_by(&mut open, |a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
            let (ra, rb) = (&registrations[a.2 as usize], &registrations[b.2 as usize]);
            (ra.registered_at, &ra.registration_id).cmp(&(rb.registered_at, &rb.registration_id))
        })
    });
    for w in open.windows(2) {
        if w[0].0 == w[1].0 {
            scans[w[1].2 as usize]
                .reasons
                .push(IneligibleReason::Invalid(ErrorCode::AlreadyRegistered));
        }
    }
    drop(open);

    // Households: eligible members sorted by (household, registration id), cut into runs.
    let mut ineligible = Vec::new();
    let mut members: Vec<(u64, u32)> = Vec::with_capacity(registrations.len());
    for (i, s) in scans.iter_mut().enumerate() {
        if s.reasons.is_empty() {
            members.push((s.household_hash, index_u32(i)));
        } else {
            ineligible.push(Ineligible {
                registration_id: registrations[i].registration_id.clone(),
                reasons: std::mem::take(&mut s.reasons),
            });
        }
    }
    drop(scans);
    ineligible.sort_by(|a, b| a.registration_id.cmp(&b.registration_id));
    let household_of = |i: u32| &registrations[i as usize].household_id;
    par::sort_by(&mut members, |a, b| {
        a.0.cmp(&b.0)
            .then_with(|| household_of(a.1).cmp(household_of(b.1)))
            .then_with(|| id_of(a.1).cmp(id_of(b.1)))
    });
    let mut starts: Vec<usize> = Vec::new();
    for k in 0..members.len() {
        if k == 0 || members[k - 1].0 != members[k].0 || household_of(members[k - 1].1) != household_of(members[k].1) {
            starts.push(k);
        }
    }
    starts.push(members.len());
    let runs: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();

    // Report groups, numbered in name order so the numbering does not depend on threads.
    let mut communities: Vec<&str> = par::distinct(&members, |m| community_name(&registrations[m.1 as usize]));
    communities.sort_unstable();
    let community_index: FxHashMap<&str, u32> = communities
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, index_u32(i)))
        .collect();

    let mut units: Vec<Option<Unit>> = par::map(&runs, |&(a, b)| {
        Some(build_unit(
            registrations,
            &members[a..b],
            &community_index,
            options.seed,
            as_of,
        ))
    });
    drop(members);

    // Priority order (§5), sorting small keys rather than units.
    let mut keys: Vec<(Tier, i64, u64, u32)> = units
        .iter()
        .enumerate()
        .filter_map(|(i, u)| {
            u.as_ref()
                .map(|u| (u.tier, u.registered_at.timestamp_micros(), u.tie_key, index_u32(i)))
        })
        .collect();
    par::sort_by(&mut keys, |a, b| {
        (a.0, a.1, a.2)
            .cmp(&(b.0, b.1, b.2))
            .then_with(|| match (&units[a.3 as usize], &units[b.3 as usize]) {
                (Some(x), Some(y)) => x.priority_cmp(y),
                _ => Ordering::Equal,
            })
    });
    let units: Vec<Unit> = keys.iter().filter_map(|k| units[k.3 as usize].take()).collect();
    let communities = communities.into_iter().map(str::to_owned).collect();

    let mut sorted: Vec<&Provider> = providers.iter().collect();
    sorted.sort_by(|a, b| a.provider_id.cmp(&b.provider_id));
    let mut duplicate_providers = Vec::new();
    let mut kept = Vec::with_capacity(sorted.len());
    for (i, p) in sorted.iter().enumerate() {
        let same = |j: Option<usize>| {
            j.and_then(|j| sorted.get(j))
                .is_some_and(|q| q.provider_id == p.provider_id)
        };
        if same(i.checked_sub(1)) || same(Some(i + 1)) {
            if duplicate_providers.last() != Some(&p.provider_id) {
                duplicate_providers.push(p.provider_id.clone());
            }
        } else {
            kept.push((*p).clone());
        }
    }
    Problem {
        options: *options,
        units,
        providers: kept,
        ineligible,
        communities,
        duplicate_providers,
    }
}

fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// A household's report group: its `community`, else its FSA.
fn community_name(r: &Registration) -> &str {
    r.community.as_deref().unwrap_or_else(|| r.postal_code.fsa_str())
}

fn fx_hash(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

/// A registration reduced to what deduplication and grouping need.
struct Scan {
    reasons: Vec<IneligibleReason>,
    id_hash: u64,
    household_hash: u64,
    phn: u64,
    registered_at: i64,
    terminal: bool,
}

/// A unit from its members `(household hash, registration index)`, in registration-id order.
fn build_unit(
    registrations: &[Registration],
    members: &[(u64, u32)],
    community_index: &FxHashMap<&str, u32>,
    seed: u64,
    as_of: NaiveDate,
) -> Unit {
    let reg = |m: &(u64, u32)| &registrations[m.1 as usize];
    let anchor = members
        .iter()
        .map(reg)
        .find(|r| r.is_registrant())
        .or_else(|| {
            members
                .iter()
                .map(reg)
                .min_by(|a, b| a.registered_at.cmp(&b.registered_at))
        })
        .unwrap_or_else(|| reg(&members[0]));
    let members: Vec<Member> = members
        .iter()
        .map(|m| {
            let r = reg(m);
            let a = r.assess(as_of);
            Member {
                registration_id: r.registration_id.clone(),
                tier: a.tier,
                complexity: a.complexity,
                gender_preference: r.gender_preference,
                language: r.language,
                translator_needed: r.translator_needed,
                travel: r.travel,
                registered_at: r.registered_at,
                community: community_index.get(community_name(r)).copied().unwrap_or(u32::MAX),
            }
        })
        .collect();
    let household_id = anchor.household_id.clone();
    Unit {
        tie_key: tie_key(seed, household_id.as_str()),
        household_id,
        tier: members.iter().map(|m| m.tier).min().unwrap_or(Tier::Three),
        registered_at: members
            .iter()
            .map(|m| m.registered_at)
            .min()
            .unwrap_or(anchor.registered_at),
        location: anchor.location,
        language: anchor.language,
        members,
    }
}

/// The outcome of a run: per unit (in priority order), the index of its provider in
/// [`Problem::providers`] and the distance, or `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Per unit: `(provider index, distance km)`.
    pub outcome: Vec<Option<(u32, f64)>>,
}

/// One row of `matches.csv` (§7): a person of an eligible unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchRow {
    /// 1-based position of the unit in priority order.
    pub rank: u32,
    /// The household.
    pub household_id: HouseholdId,
    /// The person.
    pub registration_id: RegistrationId,
    /// The unit's tier.
    pub tier: Tier,
    /// The provider, when matched.
    pub provider_id: Option<ProviderId>,
    /// Distance from the unit's location to the provider, when matched.
    pub distance_km: Option<f64>,
}

impl Assignment {
    /// `matches.csv` rows, sorted by rank then registration id (§7).
    pub fn rows(&self, problem: &Problem) -> Vec<MatchRow> {
        let mut rows = Vec::with_capacity(problem.units.iter().map(|u| u.members.len()).sum());
        for (i, (unit, outcome)) in problem.units.iter().zip(&self.outcome).enumerate() {
            for m in &unit.members {
                rows.push(MatchRow {
                    rank: index_u32(i + 1),
                    household_id: unit.household_id.clone(),
                    registration_id: m.registration_id.clone(),
                    tier: unit.tier,
                    provider_id: outcome.map(|(p, _)| problem.providers[p as usize].provider_id.clone()),
                    distance_km: outcome.map(|(_, d)| d),
                });
            }
        }
        rows
    }

    /// Units matched.
    pub fn matched_units(&self) -> usize {
        self.outcome.iter().filter(|o| o.is_some()).count()
    }
}

/// The preference key of §5 for a unit and a provider: (distance, language flag), then the
/// provider's index (= id order). Smaller is preferred.
fn preference(unit: &Unit, p: &Provider, index: u32, distance: f64) -> (f64, u8, u32) {
    (distance, u8::from(!p.speaks(unit.language)), index)
}

fn preference_cmp(a: (f64, u8, u32), b: (f64, u8, u32)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
}
