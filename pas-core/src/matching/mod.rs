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
//! let people = [person];
//! let problem = matching::prepare(&people, &[doctor], &MatchOptions { seed: 0, as_of });
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
pub mod files;
mod load;
pub mod naive;
mod par;
pub mod report;

pub use engine::assign;
pub use load::{Loaded, RejectedRow, check_patient, check_provider, load_patients, load_providers};

/// What a run depends on besides its records (DOMAIN §5): the tie-break seed and the reference
/// date for ages and waits. Both are printed in every output so a run can be replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchOptions {
    /// Seed of the tie key (default 0).
    pub seed: u64,
    /// Reference date (ages, complexity, waits).
    pub as_of: NaiveDate,
}

/// One waiting person inside a unit, with what matching needs to know about them. Borrows the
/// id from the registration it was built from: a province's worth of id copies costs more than
/// the match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member<'r> {
    /// Their registration.
    pub registration_id: &'r RegistrationId,
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

impl Member<'_> {
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit<'r> {
    /// The household.
    pub household_id: &'r HouseholdId,
    /// Members, by registration id.
    pub members: Vec<Member<'r>>,
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
    /// Providers this unit may not be offered to: those excluded for any member by an earlier
    /// decline or lapsed offer (§9). Empty unless [`Problem::exclude`] filled it.
    pub excluded: Vec<ProviderId>,
}

impl Unit<'_> {
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
            && !self.is_excluded(p)
    }

    /// [`Unit::accepts`] for some distance: everything but travel. A cheap first filter.
    pub fn accepts_wherever(&self, p: &Provider) -> bool {
        p.accepting
            && p.open_places >= 1
            && (self.members.len() == 1 || p.accepts_families)
            && self.members.iter().all(|m| m.accepts_wherever(p))
            && !self.is_excluded(p)
    }

    /// Whether `p` was excluded for a member of this unit (§9).
    pub fn is_excluded(&self, p: &Provider) -> bool {
        !self.excluded.is_empty() && self.excluded.contains(&p.provider_id)
    }

    /// The distance to `p` by §5's formula.
    pub fn distance_km(&self, p: &Provider) -> f64 {
        self.location.distance_km(p.location)
    }

    /// The priority key (§5): smaller goes first.
    pub fn priority_cmp(&self, other: &Unit<'_>) -> Ordering {
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
    TieKeys::new(seed).key(household_id)
}

/// A registration that does not enter the match, with every reason (§3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ineligible<'r> {
    /// The registration.
    pub registration_id: &'r RegistrationId,
    /// Every reason, each once.
    pub reasons: Vec<IneligibleReason>,
}

/// A match problem: units in priority order, providers by id, and who was left out. It borrows
/// the registrations it was built from (`'r`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem<'r> {
    /// Seed and reference date.
    pub options: MatchOptions,
    /// Units in priority order: rank = index + 1.
    pub units: Vec<Unit<'r>>,
    /// Providers sorted by `provider_id` (so index order is §5's tie-break order).
    pub providers: Vec<Provider>,
    /// Registrations that may not wait, sorted by registration id.
    pub ineligible: Vec<Ineligible<'r>>,
    /// Report groups (§6): every `community` value, else FSA, among the registrations, in name
    /// order. [`Member::community`] indexes this list.
    pub communities: Vec<String>,
    /// Provider ids given more than once; none of those rows takes part.
    pub duplicate_providers: Vec<ProviderId>,
}

impl Problem<'_> {
    /// Exclude providers per registration before assigning (§9: a provider who declined an
    /// offer, let it lapse, or was declined by the patient is not offered that registration
    /// again). A unit excludes the union of its members' exclusions, since the household is
    /// placed together. §5 is otherwise unchanged: an excluded provider is simply not eligible
    /// for the unit, in [`assign`], [`naive::assign`] and the [`report`] alike. Returns the
    /// number of units that have exclusions.
    pub fn exclude<'a>(&mut self, excluded: impl Fn(&RegistrationId) -> &'a [ProviderId]) -> usize {
        let mut units = 0;
        for unit in &mut self.units {
            for m in &unit.members {
                for p in excluded(m.registration_id) {
                    if !unit.excluded.contains(p) {
                        unit.excluded.push(p.clone());
                    }
                }
            }
            units += usize::from(!unit.excluded.is_empty());
        }
        units
    }
}

/// Build the units and the priority order (§3, §5) from valid registrations and providers.
///
/// Registrations are judged by §3; besides, a registration id given twice excludes every
/// copy (`duplicate_registration_id`: which one is right cannot be known), and when several
/// non-terminal registrations share a PHN only the earliest-registered (then smallest id) waits,
/// the others are `already_registered` (§2). Both rules give the same answer for any row order.
///
/// At a million registrations the records themselves (~300 MB) are the cost: the function
/// reads them in memory order once or twice, in parallel, and otherwise sorts small integer
/// keys, comparing strings only where hashes tie (same household, or a duplicate id or PHN).
pub fn prepare<'r>(registrations: &'r [Registration], providers: &[Provider], options: &MatchOptions) -> Problem<'r> {
    let as_of = options.as_of;
    // Report groups, numbered in name order so the numbering does not depend on threads.
    let mut communities: Vec<&str> = par::distinct(registrations, Registration::community_or_fsa);
    communities.sort_unstable();
    let community_index: FxHashMap<&str, u32> = communities
        .iter()
        .enumerate()
        .map(|(i, c)| (*c, index_u32(i)))
        .collect();

    // One parallel pass over the records, in memory order, keeps everything later steps need.
    let ties = TieKeys::new(options.seed);
    let mut scans: Vec<Scan> = par::map(registrations, |r| {
        let a = r.assess(as_of);
        let registrant = r.is_registrant();
        Scan {
            id_hash: fx_hash(r.registration_id.as_str()),
            household_hash: fx_hash(r.household_id.as_str()),
            phn: r.phn.as_u64(),
            // A household's tie key, computed once at its registrant (others: when building).
            tie_key: if registrant {
                ties.key(r.household_id.as_str())
            } else {
                0
            },
            registered_at: r.registered_at,
            location: r.location,
            community: community_index.get(r.community_or_fsa()).copied().unwrap_or(u32::MAX),
            tier: a.tier,
            complexity: a.complexity,
            gender_preference: r.gender_preference,
            language: r.language,
            translator_needed: r.translator_needed,
            travel: r.travel,
            eligible: eligibility(r).is_eligible(),
            terminal: r.status.is_terminal(),
            registrant,
            duplicate: false,
            already: false,
        }
    });
    let id_of = |i: u32| &registrations[i as usize].registration_id;
    let household_of = |i: u32| &registrations[i as usize].household_id;

    // A registration id given twice: every copy is out. (One key buffer serves all three
    // groupings below: fresh memory is slow to touch.)
    let mut keys: Vec<Slot> = scans.iter().enumerate().map(|(i, s)| Slot::new(s.id_hash, i)).collect();
    par::sort_unstable_by_key(&mut keys, |k| (k.hash, k.index));
    for run in keys.chunk_by_mut(|a, b| a.hash == b.hash).filter(|run| run.len() > 1) {
        // Equal hashes: duplicates, or (rarely) different ids. Sorting by id makes copies adjacent.
        run.sort_unstable_by(|a, b| id_of(a.index).cmp(id_of(b.index)).then(a.index.cmp(&b.index)));
        for w in run.windows(2) {
            if id_of(w[0].index) == id_of(w[1].index) {
                scans[w[0].index as usize].duplicate = true;
                scans[w[1].index as usize].duplicate = true;
            }
        }
    }

    // Several non-terminal registrations of one PHN: the earliest waits (then the smallest id),
    // the rest are refused.
    keys.clear();
    keys.extend(
        scans
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.terminal)
            .map(|(i, s)| Slot::new(s.phn, i)),
    );
    par::sort_unstable_by_key(&mut keys, |k| (k.hash, k.index));
    for run in keys.chunk_by_mut(|a, b| a.hash == b.hash).filter(|run| run.len() > 1) {
        run.sort_unstable_by(|a, b| {
            let (ra, rb) = (&registrations[a.index as usize], &registrations[b.index as usize]);
            (ra.registered_at, &ra.registration_id, a.index).cmp(&(rb.registered_at, &rb.registration_id, b.index))
        });
        for k in &run[1..] {
            scans[k.index as usize].already = true;
        }
    }

    // Households: eligible members grouped by household hash; within a run of equal hashes,
    // sorted by (household id, registration id), and each household's first member marked.
    let mut ineligible = Vec::new();
    keys.clear();
    for (i, (s, r)) in scans.iter().zip(registrations).enumerate() {
        if s.eligible && !s.duplicate && !s.already {
            keys.push(Slot::new(s.household_hash, i));
        } else {
            let mut reasons = eligibility(r).reasons;
            if s.duplicate {
                reasons.push(IneligibleReason::Invalid(ErrorCode::DuplicateRegistrationId));
            }
            if s.already {
                reasons.push(IneligibleReason::Invalid(ErrorCode::AlreadyRegistered));
            }
            ineligible.push(Ineligible {
                registration_id: &r.registration_id,
                reasons,
            });
        }
    }
    ineligible.sort_unstable_by(|a, b| a.registration_id.cmp(b.registration_id));
    let mut members = keys;
    par::sort_unstable_by_key(&mut members, |m| (m.hash, m.index));
    par::for_each_run_mut(
        &mut members,
        |a, b| a.hash == b.hash,
        |run| {
            if run.len() > 1 {
                run.sort_unstable_by(|a, b| {
                    (household_of(a.index), id_of(a.index)).cmp(&(household_of(b.index), id_of(b.index)))
                });
            }
            run[0].first = true;
            for k in 1..run.len() {
                run[k].first = household_of(run[k - 1].index) != household_of(run[k].index);
            }
        },
    );
    let mut starts: Vec<usize> = (0..members.len()).filter(|&k| members[k].first).collect();
    starts.push(members.len());
    let runs: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
    drop(starts);

    // Priority order (§5) on each household's key, then the units are built in that order.
    let scan = |m: &Slot| &scans[m.index as usize];
    let mut order: Vec<RunKey> = par::map(&runs, |&(a, b)| {
        let run = &members[a..b];
        RunKey {
            tier: run.iter().map(|m| scan(m).tier).min().unwrap_or(Tier::Three),
            registered_at: run.iter().map(|m| scan(m).registered_at).min().unwrap_or_default(),
            tie_key: match run.iter().find(|m| scan(m).registrant) {
                Some(m) => scan(m).tie_key,
                None => ties.key(household_of(run[0].index).as_str()),
            },
            start: index_u32(a),
            end: index_u32(b),
        }
    });
    drop(runs);
    par::sort_unstable_by(&mut order, |x, y| {
        (x.tier, x.registered_at, x.tie_key)
            .cmp(&(y.tier, y.registered_at, y.tie_key))
            .then_with(|| {
                household_of(members[x.start as usize].index).cmp(household_of(members[y.start as usize].index))
            })
    });
    let units: Vec<Unit<'r>> = par::map(&order, |k| {
        build_unit(registrations, &scans, &members[k.start as usize..k.end as usize], k)
    });
    drop(order);
    drop(members);
    drop(scans);
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
fn fx_hash(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

/// A registration reduced to what deduplication, grouping, ordering and units need, so that
/// later steps, which visit registrations in household or priority order, read this compact
/// record rather than the registration.
struct Scan {
    id_hash: u64,
    household_hash: u64,
    phn: u64,
    /// The household's tie key, for registrants.
    tie_key: u64,
    registered_at: DateTime<Utc>,
    location: GeoPoint,
    community: u32,
    tier: Tier,
    complexity: Complexity,
    gender_preference: GenderPreference,
    language: Language,
    translator_needed: bool,
    travel: Travel,
    /// §3 eligible.
    eligible: bool,
    terminal: bool,
    registrant: bool,
    /// Its registration id is given more than once.
    duplicate: bool,
    /// An earlier non-terminal registration has its PHN.
    already: bool,
}

/// A registration (`index`) under a grouping key; `first` marks a household's first member.
struct Slot {
    hash: u64,
    index: u32,
    first: bool,
}

impl Slot {
    fn new(hash: u64, index: usize) -> Self {
        Self {
            hash,
            index: index_u32(index),
            first: false,
        }
    }
}

/// A unit-to-be (`members[start..end]`) with its priority key.
struct RunKey {
    tier: Tier,
    registered_at: DateTime<Utc>,
    tie_key: u64,
    start: u32,
    end: u32,
}

/// [`tie_key`] for one seed: the hash state after `"{seed}:"` is computed once.
struct TieKeys(Sha256);

impl TieKeys {
    fn new(seed: u64) -> Self {
        Self(Sha256::new().chain_update(seed.to_string()).chain_update(b":"))
    }

    fn key(&self, household_id: &str) -> u64 {
        let digest = self.0.clone().chain_update(household_id).finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first)
    }
}

/// A unit from its members (in registration-id order) and its priority key. The anchor (whose
/// location and language count) is the registrant if they wait, else the earliest registered.
fn build_unit<'r>(registrations: &'r [Registration], scans: &[Scan], members: &[Slot], key: &RunKey) -> Unit<'r> {
    let scan = |m: &Slot| &scans[m.index as usize];
    let anchor = members
        .iter()
        .find(|m| scan(m).registrant)
        .or_else(|| members.iter().min_by_key(|m| scan(m).registered_at))
        .unwrap_or(&members[0]);
    let members: Vec<Member<'r>> = members
        .iter()
        .map(|m| {
            let s = scan(m);
            Member {
                registration_id: &registrations[m.index as usize].registration_id,
                tier: s.tier,
                complexity: s.complexity,
                gender_preference: s.gender_preference,
                language: s.language,
                translator_needed: s.translator_needed,
                travel: s.travel,
                registered_at: s.registered_at,
                community: s.community,
            }
        })
        .collect();
    Unit {
        household_id: &registrations[anchor.index as usize].household_id,
        members,
        tier: key.tier,
        registered_at: key.registered_at,
        tie_key: key.tie_key,
        location: scan(anchor).location,
        language: scan(anchor).language,
        excluded: Vec::new(),
    }
}

/// The outcome of a run: per unit (in priority order), the index of its provider in
/// [`Problem::providers`] and the distance, or `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    /// Per unit: `(provider index, distance km)`.
    pub outcome: Vec<Option<(u32, f64)>>,
}

/// One row of `matches.csv` (§7): a person of an eligible unit. Borrows the ids from the problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchRow<'p> {
    /// 1-based position of the unit in priority order.
    pub rank: u32,
    /// The household.
    pub household_id: &'p HouseholdId,
    /// The person.
    pub registration_id: &'p RegistrationId,
    /// The unit's tier.
    pub tier: Tier,
    /// The provider, when matched.
    pub provider_id: Option<&'p ProviderId>,
    /// Distance from the unit's location to the provider, when matched.
    pub distance_km: Option<f64>,
}

impl Assignment {
    /// `matches.csv` rows, sorted by rank then registration id (§7).
    pub fn rows<'p>(&self, problem: &'p Problem<'_>) -> Vec<MatchRow<'p>> {
        let mut rows = Vec::with_capacity(problem.units.iter().map(|u| u.members.len()).sum());
        for (i, (unit, outcome)) in problem.units.iter().zip(&self.outcome).enumerate() {
            for m in &unit.members {
                rows.push(MatchRow {
                    rank: index_u32(i + 1),
                    household_id: unit.household_id,
                    registration_id: m.registration_id,
                    tier: unit.tier,
                    provider_id: outcome.map(|(p, _)| &problem.providers[p as usize].provider_id),
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
fn preference(unit: &Unit<'_>, p: &Provider, index: u32, distance: f64) -> (f64, u8, u32) {
    (distance, u8::from(!p.speaks(unit.language)), index)
}

fn preference_cmp(a: (f64, u8, u32), b: (f64, u8, u32)) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
}
