//! The match report (DOMAIN §6): counts, fairness checks and per-tier / per-community figures.
//!
//! The checks are computed by an **independent verifier** from the published rows (what
//! `matches.csv` says), not taken from the engine: a bug in the engine shows up here as a
//! non-zero count. The verifier does not replay serial dictatorship. It uses the fact that,
//! given any assignment, the places provider `p` had when unit `u` chose are
//! `offered(p) − Σ size(v)` over units `v` placed at `p` that rank before `u`. A unit `u` has
//! justified envy towards `p` when `p` is eligible for `u`, `u` prefers `p` to its outcome, and
//! those places are ≥ `size(u)` — DOMAIN §5's definition. Each unit is checked on its own (in
//! parallel), looking only at providers that still had a place at its rank and, if it was
//! matched, are no farther than its provider (a uniform latitude/longitude grid, sorted by how
//! long each provider kept a place).
//!
//! Figures for the public dashboard must suppress groups under 10 persons (§11); this report
//! is for coordinators and lists every group.

use chrono::NaiveDate;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::{MatchRow, Problem, Unit, par, preference, preference_cmp};
use crate::location::EARTH_RADIUS_KM;
use crate::priority::{Complexity, Tier};
use crate::provider::{Provider, ProviderGender};
use crate::registration::{GenderPreference, Language};

/// §6 match report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchReport {
    /// Tie-key seed of the run.
    pub seed: u64,
    /// Reference date of the run.
    pub as_of: NaiveDate,
    /// Counts.
    pub counts: Counts,
    /// (unit, provider) pairs with justified envy (§5): must be 0.
    pub justified_envy_pairs: u64,
    /// Households whose eligible members did not all get the same outcome: must be 0.
    pub families_split: u64,
    /// Places left at providers that some unmatched eligible unit could fit: must be 0.
    pub wasted_places: u64,
    /// Persons placed beyond providers' open places: must be 0.
    pub capacity_exceeded: u64,
    /// Units placed with a provider that is not eligible for them (§5): must be 0.
    pub ineligible_placements: u64,
    /// Per unit tier (1, 2, 3).
    pub by_tier: Vec<Breakdown>,
    /// Per community (the `community` column, else the FSA), by name.
    pub by_community: Vec<Breakdown>,
    /// Among persons who need a translator.
    pub language_concordance: Concordance,
}

impl MatchReport {
    /// Whether every fairness check is 0.
    pub fn is_fair(&self) -> bool {
        self.justified_envy_pairs == 0
            && self.families_split == 0
            && self.wasted_places == 0
            && self.capacity_exceeded == 0
            && self.ineligible_placements == 0
    }
}

/// Run-wide counts (§6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Registrations that did not enter the match.
    pub ineligible: u64,
    /// Units (households' waiting members).
    pub units: u64,
    /// Persons in units.
    pub persons: u64,
    /// Providers in the run.
    pub providers: u64,
    /// Providers accepting with ≥ 1 open place.
    pub accepting_providers: u64,
    /// Open places of accepting providers.
    pub places_offered: u64,
    /// Places taken.
    pub places_used: u64,
    /// Units matched.
    pub matched_units: u64,
    /// Persons matched.
    pub matched_persons: u64,
}

/// Figures for one group of persons (§6). Wait and distance quantiles are over matched persons
/// (linear interpolation between closest ranks); `None` when nobody in the group was matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// Tier (`1`…`3`) or community name.
    pub group: String,
    /// Persons waiting.
    pub persons: u64,
    /// Persons matched.
    pub matched: u64,
    /// matched / persons.
    pub match_rate: f64,
    /// Median days waited (as_of − registered_at) among matched.
    pub median_wait_days: Option<f64>,
    /// 90th percentile of days waited among matched.
    pub p90_wait_days: Option<f64>,
    /// Median km to the provider among matched.
    pub median_distance_km: Option<f64>,
    /// 90th percentile km among matched.
    pub p90_distance_km: Option<f64>,
}

/// Language concordance among persons who need a translator (§6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Concordance {
    /// Persons needing a translator.
    pub persons: u64,
    /// Of them, matched.
    pub matched: u64,
    /// Of the matched, with a provider who speaks their language.
    pub concordant: u64,
    /// concordant / matched (1 when nobody was matched).
    pub rate: f64,
}

/// Verify `rows` (a `matches.csv`) against `problem` and compute the §6 report.
pub fn report(problem: &Problem, rows: &[MatchRow]) -> MatchReport {
    let providers = &problem.providers;
    let offered: Vec<u64> = providers.iter().map(|p| u64::from(p.places_offered())).collect();
    let by_id: FxHashMap<&str, u32> = providers
        .iter()
        .enumerate()
        .map(|(i, p)| (p.provider_id.as_str(), u32::try_from(i).unwrap_or(u32::MAX)))
        .collect();
    let provider_of = |r: &MatchRow<'_>| {
        r.provider_id
            .map(|id| by_id.get(id.as_str()).copied().unwrap_or(u32::MAX))
    };
    let join = Join::new(problem, rows, provider_of);
    // Unit outcomes as the rows state them, and split households.
    let mut families_split = 0;
    let mut outcome: Vec<Option<u32>> = Vec::with_capacity(problem.units.len());
    let mut used = vec![0u64; providers.len()];
    let mut unknown_provider_persons = 0u64;
    let mut at: Vec<Vec<(u32, u64)>> = vec![Vec::new(); providers.len()];
    let mut person = 0;
    for (rank, unit) in problem.units.iter().enumerate() {
        let each: Vec<Option<u32>> = unit
            .members
            .iter()
            .map(|m| {
                person += 1;
                join.outcome(person - 1, m.registration_id.as_str())
            })
            .collect();
        if each.windows(2).any(|w| w[0] != w[1]) {
            families_split += 1;
        }
        for p in each.iter().flatten() {
            match used.get_mut(*p as usize) {
                Some(u) => *u += 1,
                None => unknown_provider_persons += 1,
            }
        }
        let o = each
            .first()
            .copied()
            .flatten()
            .filter(|&p| (p as usize) < providers.len());
        if let Some(p) = o {
            at[p as usize].push((rank_u32(rank), u64::from(unit.size())));
        }
        outcome.push(o);
    }
    let capacity_exceeded = unknown_provider_persons
        + used
            .iter()
            .zip(&offered)
            .map(|(&u, &o)| u.saturating_sub(o))
            .sum::<u64>();

    // Per provider: cumulative sizes by rank, and the last rank at which it still had a place.
    let history: Vec<History> = at
        .iter()
        .zip(&offered)
        .map(|(list, &offered)| History::new(list, offered))
        .collect();
    let grid = Grid::new(problem, &history);

    let ranks: Vec<usize> = (0..problem.units.len()).collect();
    let per_unit: Vec<UnitCheck> = par::map(&ranks, |&rank| check_unit(problem, &history, &grid, &outcome, rank));
    let justified_envy_pairs = per_unit.iter().map(|c| c.envy).sum();
    let ineligible_placements = per_unit.iter().filter(|c| c.ineligible_placement).count() as u64;
    let mut wasted: Vec<u32> = per_unit.iter().flat_map(|c| c.wasted.iter().copied()).collect();
    wasted.sort_unstable();
    wasted.dedup();
    let wasted_places = wasted.iter().map(|&p| history[p as usize].final_remaining()).sum();

    let (by_tier, by_community, language_concordance) = figures(problem, &outcome);
    let matched_units = outcome.iter().filter(|o| o.is_some()).count() as u64;
    let matched_persons = problem
        .units
        .iter()
        .zip(&outcome)
        .filter(|(_, o)| o.is_some())
        .map(|(u, _)| u64::from(u.size()))
        .sum();
    MatchReport {
        seed: problem.options.seed,
        as_of: problem.options.as_of,
        counts: Counts {
            ineligible: problem.ineligible.len() as u64,
            units: problem.units.len() as u64,
            persons: problem.units.iter().map(|u| u64::from(u.size())).sum(),
            providers: providers.len() as u64,
            accepting_providers: offered.iter().filter(|&&o| o > 0).count() as u64,
            places_offered: offered.iter().sum(),
            places_used: used.iter().sum(),
            matched_units,
            matched_persons,
        },
        justified_envy_pairs,
        families_split,
        wasted_places,
        capacity_exceeded,
        ineligible_placements,
        by_tier,
        by_community,
        language_concordance,
    }
}

/// Each person's outcome as the rows state it. `matches.csv` lists persons in the problem's
/// order (rank, then registration id), so when every row is the expected person the rows are
/// read in place; in any other case they are joined by registration id.
enum Join<'a> {
    /// Row `k` is the `k`-th person of the problem.
    InOrder(Vec<Option<u32>>),
    /// By registration id (a person missing from the rows is unmatched).
    ById(FxHashMap<&'a str, Option<u32>>),
}

impl<'a> Join<'a> {
    fn new(
        problem: &Problem<'_>,
        rows: &'a [MatchRow<'a>],
        provider_of: impl Fn(&MatchRow<'_>) -> Option<u32>,
    ) -> Self {
        let mut expected = problem
            .units
            .iter()
            .enumerate()
            .flat_map(|(i, u)| u.members.iter().map(move |m| (i + 1, m.registration_id)));
        let in_order = rows.iter().all(|r| {
            expected.next().is_some_and(|(rank, id)| {
                r.rank as usize == rank && (std::ptr::eq(r.registration_id, id) || r.registration_id == id)
            })
        }) && expected.next().is_none();
        if in_order {
            Join::InOrder(rows.iter().map(provider_of).collect())
        } else {
            Join::ById(
                rows.iter()
                    .map(|r| (r.registration_id.as_str(), provider_of(r)))
                    .collect(),
            )
        }
    }

    /// The outcome of the problem's `k`-th person, whose id is `id`.
    fn outcome(&self, k: usize, id: &str) -> Option<u32> {
        match self {
            Join::InOrder(outcomes) => outcomes.get(k).copied().flatten(),
            Join::ById(map) => map.get(id).copied().flatten(),
        }
    }
}

fn rank_u32(rank: usize) -> u32 {
    u32::try_from(rank).unwrap_or(u32::MAX)
}

/// A provider's placements in rank order.
struct History {
    offered: u64,
    /// `(rank, places used by units ranked ≤ rank)`.
    cumulative: Vec<(u32, u64)>,
    /// Units ranked ≤ this still found a place here (`u32::MAX`: always).
    open_until: u32,
}

impl History {
    fn new(list: &[(u32, u64)], offered: u64) -> Self {
        let mut sorted = list.to_vec();
        sorted.sort_unstable();
        let mut total = 0;
        let mut open_until = if offered == 0 { 0 } else { u32::MAX };
        let mut cumulative = Vec::with_capacity(sorted.len());
        for (rank, size) in sorted {
            total += size;
            cumulative.push((rank, total));
            if total >= offered && open_until == u32::MAX {
                open_until = rank;
            }
        }
        Self {
            offered,
            cumulative,
            open_until,
        }
    }

    /// Places left when the unit at `rank` chose (taken by units ranked before it).
    fn available_at(&self, rank: u32) -> u64 {
        let before = self.cumulative.partition_point(|&(r, _)| r < rank);
        let used = before.checked_sub(1).map_or(0, |i| self.cumulative[i].1);
        self.offered.saturating_sub(used)
    }

    fn final_remaining(&self) -> u64 {
        self.offered.saturating_sub(self.cumulative.last().map_or(0, |c| c.1))
    }
}

/// Providers with places, bucketed by class (gender, max complexity, families) and by
/// latitude/longitude cell; each bucket sorted by `open_until`, latest first. A unit only looks
/// at the classes that could take it, and in each only at providers still open at its rank.
struct Grid {
    cells: FxHashMap<(Bucket, i32, i32), Vec<u32>>,
    all: FxHashMap<Bucket, Vec<u32>>,
    open_until: Vec<u32>,
}

/// A provider class, and a language they speak (`None`: any language). A provider is in the
/// `None` bucket of its class and in one bucket per language it speaks.
type Bucket = (u8, Option<Language>);

const CELL_DEG: f64 = 0.25;

fn cell_of(lat: f64, lon: f64) -> (i32, i32) {
    ((lat / CELL_DEG).floor() as i32, (lon / CELL_DEG).floor() as i32)
}

fn class_of(p: &Provider) -> u8 {
    (p.gender as u8) * 6 + (p.max_complexity as u8) * 2 + u8::from(p.accepts_families)
}

/// The buckets that hold every provider that could take `unit` (a superset: all languages and
/// the distance are checked per provider).
fn buckets_for(unit: &Unit) -> Vec<Bucket> {
    let language = unit.members.iter().find(|m| m.translator_needed).map(|m| m.language);
    classes_for(unit).into_iter().map(|c| (c, language)).collect()
}

/// The provider classes that could take `unit`.
fn classes_for(unit: &Unit) -> Vec<u8> {
    let need = unit
        .members
        .iter()
        .map(|m| m.complexity)
        .max()
        .unwrap_or(Complexity::Low);
    let mut out = Vec::new();
    for g in ProviderGender::ALL {
        let gender_ok = unit.members.iter().all(|m| match m.gender_preference {
            GenderPreference::Any => true,
            GenderPreference::Female => *g == ProviderGender::Female,
            GenderPreference::Male => *g == ProviderGender::Male,
        });
        if !gender_ok {
            continue;
        }
        for c in Complexity::ALL.iter().filter(|c| **c >= need) {
            for f in [false, true] {
                if f || unit.members.len() == 1 {
                    out.push((*g as u8) * 6 + (*c as u8) * 2 + u8::from(f));
                }
            }
        }
    }
    out
}

impl Grid {
    fn new(problem: &Problem, history: &[History]) -> Self {
        let open_until: Vec<u32> = history.iter().map(|h| h.open_until).collect();
        let mut sorted: Vec<u32> = (0..problem.providers.len())
            .filter(|&i| history[i].offered > 0)
            .map(rank_u32)
            .collect();
        sorted.sort_by_key(|&p| std::cmp::Reverse(open_until[p as usize]));
        let mut all: FxHashMap<Bucket, Vec<u32>> = FxHashMap::default();
        let mut cells: FxHashMap<(Bucket, i32, i32), Vec<u32>> = FxHashMap::default();
        for &p in &sorted {
            let provider = &problem.providers[p as usize];
            let class = class_of(provider);
            let (i, j) = cell_of(provider.location.latitude, provider.location.longitude);
            let languages = provider.languages.iter().map(|l| Some(*l));
            for bucket in std::iter::once(None).chain(languages).map(|l| (class, l)) {
                all.entry(bucket).or_default().push(p);
                cells.entry((bucket, i, j)).or_default().push(p);
            }
        }
        Self { cells, all, open_until }
    }

    /// Providers of `classes` still open at `rank` that may lie within `radius_km` of the unit:
    /// calls `visit` on a superset of them.
    fn visit_open(&self, unit: &Unit, buckets: &[Bucket], rank: u32, radius_km: f64, mut visit: impl FnMut(u32)) {
        let open = |p: &u32| self.open_until[*p as usize] >= rank;
        let everywhere = |visit: &mut dyn FnMut(u32)| {
            for b in buckets {
                if let Some(list) = self.all.get(b) {
                    list.iter().take_while(|p| open(p)).for_each(|&p| visit(p));
                }
            }
        };
        let (lat, lon) = (unit.location.latitude, unit.location.longitude);
        let angle = radius_km / EARTH_RADIUS_KM;
        let lon_arg = angle.sin() / lat.to_radians().cos();
        if !radius_km.is_finite() || angle >= std::f64::consts::FRAC_PI_2 || !(0.0..0.99).contains(&lon_arg) {
            return everywhere(&mut visit);
        }
        let dlat = angle.to_degrees() * 1.000_001 + 1e-9;
        let dlon = lon_arg.asin().to_degrees() * 1.000_001 + 1e-9;
        let (c0, c1) = (cell_of(lat - dlat, lon - dlon), cell_of(lat + dlat, lon + dlon));
        let cells = i64::from(c1.0 - c0.0 + 1) * i64::from(c1.1 - c0.1 + 1) * buckets.len() as i64;
        if cells > self.cells.len() as i64 {
            return everywhere(&mut visit);
        }
        for &b in buckets {
            for i in c0.0..=c1.0 {
                for j in c0.1..=c1.1 {
                    if let Some(list) = self.cells.get(&(b, i, j)) {
                        list.iter().take_while(|p| open(p)).for_each(|&p| visit(p));
                    }
                }
            }
        }
    }
}

struct UnitCheck {
    envy: u64,
    ineligible_placement: bool,
    wasted: Vec<u32>,
}

fn check_unit(problem: &Problem, history: &[History], grid: &Grid, outcome: &[Option<u32>], rank: usize) -> UnitCheck {
    let unit = &problem.units[rank];
    let size = u64::from(unit.size());
    let rank = rank_u32(rank);
    let mut check = UnitCheck {
        envy: 0,
        ineligible_placement: false,
        wasted: Vec::new(),
    };
    let own = outcome[rank as usize].map(|o| {
        let p = &problem.providers[o as usize];
        let d = unit.distance_km(p);
        check.ineligible_placement = !unit.accepts(p, d);
        (o, preference(unit, p, o, d))
    });
    let radius = match own {
        Some((_, key)) => key.0,
        None => unit
            .members
            .iter()
            .filter_map(|m| m.travel.max_km())
            .fold(f64::INFINITY, f64::min),
    };
    grid.visit_open(unit, &buckets_for(unit), rank, radius, |i| {
        if own.is_some_and(|(o, _)| o == i) {
            return;
        }
        let p = &problem.providers[i as usize];
        if !unit.accepts_wherever(p) {
            return;
        }
        let d = unit.distance_km(p);
        if d > radius || !unit.accepts(p, d) {
            return;
        }
        if let Some((_, key)) = own {
            if preference_cmp(preference(unit, p, i, d), key).is_ge() {
                return;
            }
        }
        let h = &history[i as usize];
        if h.available_at(rank) >= size {
            check.envy += 1;
        }
        if own.is_none() && h.final_remaining() >= size {
            check.wasted.push(i);
        }
    });
    check
}

#[derive(Default)]
struct Group {
    persons: u64,
    matched: u64,
    waits: Vec<f64>,
    distances: Vec<f64>,
}

impl Group {
    fn finish(mut self, group: String) -> Breakdown {
        self.waits.sort_by(f64::total_cmp);
        self.distances.sort_by(f64::total_cmp);
        Breakdown {
            group,
            persons: self.persons,
            matched: self.matched,
            match_rate: if self.persons == 0 {
                0.0
            } else {
                self.matched as f64 / self.persons as f64
            },
            median_wait_days: quantile(&self.waits, 0.5),
            p90_wait_days: quantile(&self.waits, 0.9),
            median_distance_km: quantile(&self.distances, 0.5).map(round3),
            p90_distance_km: quantile(&self.distances, 0.9).map(round3),
        }
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Quantile `q` of sorted values, interpolating linearly between closest ranks.
pub(crate) fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let (a, b) = (sorted[lo], sorted[hi.min(last)]);
    Some(a + (b - a) * (pos - lo as f64))
}

fn figures(problem: &Problem, outcome: &[Option<u32>]) -> (Vec<Breakdown>, Vec<Breakdown>, Concordance) {
    let as_of = problem.options.as_of;
    let mut tiers: BTreeMap<Tier, Group> = BTreeMap::new();
    let mut communities: BTreeMap<&str, Group> = BTreeMap::new();
    let mut concordance = Concordance {
        persons: 0,
        matched: 0,
        concordant: 0,
        rate: 1.0,
    };
    for (unit, o) in problem.units.iter().zip(outcome) {
        let placed = o.map(|p| {
            let provider = &problem.providers[p as usize];
            (provider, unit.distance_km(provider))
        });
        for m in &unit.members {
            let wait = (as_of - m.registered_at.date_naive()).num_days() as f64;
            for g in [
                tiers.entry(unit.tier).or_default(),
                communities
                    .entry(problem.communities.get(m.community as usize).map_or("", String::as_str))
                    .or_default(),
            ] {
                g.persons += 1;
                if let Some((_, d)) = placed {
                    g.matched += 1;
                    g.waits.push(wait);
                    g.distances.push(d);
                }
            }
            if m.translator_needed {
                concordance.persons += 1;
                if let Some((p, _)) = placed {
                    concordance.matched += 1;
                    concordance.concordant += u64::from(p.speaks(m.language));
                }
            }
        }
    }
    if concordance.matched > 0 {
        concordance.rate = concordance.concordant as f64 / concordance.matched as f64;
    }
    (
        tiers.into_iter().map(|(t, g)| g.finish(t.to_string())).collect(),
        communities.into_iter().map(|(c, g)| g.finish(c.to_owned())).collect(),
        concordance,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[4.0], 0.9), Some(4.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&(1..=11).map(f64::from).collect::<Vec<_>>(), 0.9), Some(10.0));
    }
}
