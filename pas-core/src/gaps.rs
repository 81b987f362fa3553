//! Care gaps per community: who waits, against what the community's providers can take, and how
//! long the list would take to clear at the recent pace. For planners (`pas gaps`) and the
//! public dashboard.
//!
//! DOMAIN.md is silent on care gaps; the figures here, chosen with health-authority planning in
//! mind, are:
//! * **group** — the community a record names, else its FSA (the grouping of the §6 report),
//!   for patients and providers alike;
//! * **waiting** — persons who may wait now (§3 eligible, status `waiting`), by tier (§4) at
//!   `as_of`;
//! * **accepting providers** and **open places** — providers accepting with ≥ 1 open place, and
//!   the sum of their places (`providers.csv`'s `open_places`, which a province sets per month);
//! * **monthly demand** — registrations whose `registered_at` falls in the `window_days` before
//!   `as_of` (any status: a person attached since still arrived), per 30.44 days;
//! * **months to clear** — waiting ÷ (open places − monthly demand) when places outpace demand,
//!   else `None`: at the recent pace the list does not shrink.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::eligibility::eligibility;
use crate::priority::Tier;
use crate::provider::Provider;
use crate::registration::{Registration, Status};

/// Average days in a month (365.25 / 12).
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// What the figures depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapOptions {
    /// Reference date (ages, tiers, the demand window's end).
    pub as_of: NaiveDate,
    /// Days before `as_of` whose registrations make the monthly demand (default 90).
    pub window_days: u32,
}

impl GapOptions {
    /// `window_days` 90.
    pub const fn new(as_of: NaiveDate) -> Self {
        Self { as_of, window_days: 90 }
    }
}

/// One community's gap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommunityGap {
    /// Community name, else FSA.
    pub community: String,
    /// Waiting persons by tier: `[tier 1, tier 2, tier 3]`.
    pub waiting_by_tier: [u64; 3],
    /// All waiting persons.
    pub waiting: u64,
    /// Providers accepting with at least one open place.
    pub accepting_providers: u64,
    /// Their open places.
    pub open_places: u64,
    /// Registrations in the window (persons).
    pub arrived: u64,
    /// Registrations per month over the window.
    pub monthly_demand: f64,
    /// Months until nobody waits, at these rates; `None` when places do not outpace demand
    /// (and `Some(0.0)` when nobody waits).
    pub months_to_clear: Option<f64>,
}

/// Care gaps per community, in community order, with a province-wide total last (community
/// `"(all)"`).
///
/// ```
/// # use chrono::NaiveDate;
/// use pas_core::gaps::{care_gaps, GapOptions};
/// let gaps = care_gaps(&[], &[], &GapOptions::new(NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()));
/// assert_eq!(gaps.len(), 1);
/// assert_eq!((gaps[0].community.as_str(), gaps[0].months_to_clear), ("(all)", Some(0.0)));
/// ```
pub fn care_gaps(registrations: &[Registration], providers: &[Provider], options: &GapOptions) -> Vec<CommunityGap> {
    care_gaps_of(
        registrations.iter().map(|r| GapFacts::of(r, options.as_of)),
        providers,
        options,
    )
}

/// What the care gaps need of one registration: the day it joined the queue, the tier it waits
/// at now (`None` when it does not wait: another status, or not eligible, §3), its community.
/// A server that keeps only these per registration (not the registrations) computes
/// [`care_gaps_of`] in a fraction of the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GapFacts<'a> {
    /// The queue date's day.
    pub registered_on: NaiveDate,
    /// The tier it waits at as of the gaps' `as_of`, when it waits.
    pub waiting_tier: Option<Tier>,
    /// Community, else FSA.
    pub community: &'a str,
}

impl<'a> GapFacts<'a> {
    /// A registration's facts as of `as_of`: it waits when its status is `waiting` and it is
    /// eligible (§3), at its §4 tier.
    pub fn of(r: &'a Registration, as_of: NaiveDate) -> Self {
        let waits = r.status == Status::Waiting && eligibility(r).is_eligible();
        Self {
            registered_on: r.registered_at.date_naive(),
            waiting_tier: waits.then(|| r.assess(as_of).tier),
            community: r.community_or_fsa(),
        }
    }
}

/// [`care_gaps`] from each registration's [`GapFacts`].
pub fn care_gaps_of<'a>(
    facts: impl IntoIterator<Item = GapFacts<'a>>,
    providers: &[Provider],
    options: &GapOptions,
) -> Vec<CommunityGap> {
    // Hashed while counting (a million facts), ordered by name at the end.
    let mut groups: std::collections::HashMap<&str, Tally> = std::collections::HashMap::new();
    let mut all = Tally::default();
    let since = options.as_of - Duration::days(i64::from(options.window_days));
    for r in facts {
        let day = r.registered_on;
        let arrived = u64::from(day > since && day <= options.as_of);
        let tier = r.waiting_tier.map(|t| t as usize);
        for t in [groups.entry(r.community).or_default(), &mut all] {
            t.arrived += arrived;
            if let Some(tier) = tier {
                if let Some(slot) = t.waiting.get_mut(tier.saturating_sub(1)) {
                    *slot += 1;
                }
            }
        }
    }
    for p in providers {
        if p.places_offered() == 0 {
            continue;
        }
        let group = p.community_or_fsa();
        for t in [groups.entry(group).or_default(), &mut all] {
            t.providers += 1;
            t.places += u64::from(p.places_offered());
        }
    }
    let months = f64::from(options.window_days.max(1)) / DAYS_PER_MONTH;
    let groups: BTreeMap<&str, Tally> = groups.into_iter().collect();
    groups
        .into_iter()
        .map(|(name, t)| t.gap(name, months))
        .chain(std::iter::once(all.gap("(all)", months)))
        .collect()
}

#[derive(Default)]
struct Tally {
    waiting: [u64; 3],
    arrived: u64,
    providers: u64,
    places: u64,
}

impl Tally {
    fn gap(&self, name: &str, months: f64) -> CommunityGap {
        let waiting: u64 = self.waiting.iter().sum();
        let demand = self.arrived as f64 / months;
        let net = self.places as f64 - demand;
        CommunityGap {
            community: name.to_owned(),
            waiting_by_tier: self.waiting,
            waiting,
            accepting_providers: self.providers,
            open_places: self.places,
            arrived: self.arrived,
            monthly_demand: demand,
            months_to_clear: if waiting == 0 {
                Some(0.0)
            } else if net > 0.0 {
                Some(waiting as f64 / net)
            } else {
                None
            },
        }
    }
}
