//! The public dashboard's figures (DOMAIN §11: only aggregates of at least 10 persons): people
//! on the list and attached over time, and median waits by tier and by community.
//!
//! The server hands in one [`JourneyFacts`] per registration — dates and codes, no PHI — and
//! publishes what comes out; every count and median about fewer than [`MIN_PUBLIC_GROUP`]
//! persons is `None` here, so no caller can forget the rule.
//!
//! Definitions (DOMAIN is silent): a person is *on the list* at a date from `registered_at` until
//! their registration becomes `attached`, `withdrawn` or `closed`; *attached* counts attachments
//! up to that date. A *wait* is the days from `registered_at` to attachment for persons attached
//! in the last `window_days`, or to `as_of` for persons still on the list; the dashboard reports
//! both medians per group.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::gaps::CommunityGap;
use crate::matching::report::quantile;
use crate::priority::Tier;
use crate::registration::Status;

/// The smallest group a public figure may describe (DOMAIN §11).
pub const MIN_PUBLIC_GROUP: u64 = 10;

/// `n` if it counts at least [`MIN_PUBLIC_GROUP`] persons, else `None` (suppressed).
///
/// ```
/// assert_eq!(pas_core::dashboard::public_count(10), Some(10));
/// assert_eq!(pas_core::dashboard::public_count(9), None);
/// ```
pub const fn public_count(n: u64) -> Option<u64> {
    if n >= MIN_PUBLIC_GROUP { Some(n) } else { None }
}

/// A care gap as the public may see it (DOMAIN §11): figures about persons are `None` under
/// [`MIN_PUBLIC_GROUP`]; provider figures are not about patients and are always shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicGap {
    /// Community, else FSA.
    pub community: String,
    /// Waiting persons.
    pub waiting: Option<u64>,
    /// Waiting persons by tier.
    pub waiting_by_tier: [Option<u64>; 3],
    /// Providers accepting with open places.
    pub accepting_providers: u64,
    /// Their open places.
    pub open_places: u64,
    /// Registrations per month recently (shown when the window holds ≥ 10).
    pub monthly_demand: Option<f64>,
    /// Months to clear the list (shown when ≥ 10 wait and places outpace demand).
    pub months_to_clear: Option<f64>,
    /// At the recent pace the list does not shrink (shown when ≥ 10 wait).
    pub never_clears: Option<bool>,
}

impl From<&CommunityGap> for PublicGap {
    fn from(g: &CommunityGap) -> Self {
        let shown = g.waiting >= MIN_PUBLIC_GROUP;
        Self {
            community: g.community.clone(),
            waiting: public_count(g.waiting),
            waiting_by_tier: g.waiting_by_tier.map(public_count),
            accepting_providers: g.accepting_providers,
            open_places: g.open_places,
            monthly_demand: public_count(g.arrived).map(|_| g.monthly_demand),
            months_to_clear: g.months_to_clear.filter(|_| shown),
            never_clears: shown.then_some(g.months_to_clear.is_none()),
        }
    }
}

/// What the dashboard needs of one registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JourneyFacts {
    /// The queue date.
    pub registered_at: DateTime<Utc>,
    /// Status now.
    pub status: Status,
    /// When the registration reached its status (for terminal states: when it left the list).
    pub changed_at: DateTime<Utc>,
    /// Priority tier now.
    pub tier: Tier,
    /// Community, else FSA.
    pub community: String,
}

impl JourneyFacts {
    fn left_at(&self) -> Option<DateTime<Utc>> {
        self.status.is_terminal().then_some(self.changed_at)
    }

    fn attached_at(&self) -> Option<DateTime<Utc>> {
        (self.status == Status::Attached).then_some(self.changed_at)
    }
}

/// One month-end of the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthPoint {
    /// The last day of the month (or `as_of` for the current month).
    pub date: NaiveDate,
    /// Persons on the list at the end of that day.
    pub on_list: Option<u64>,
    /// Persons attached up to that day (cumulative).
    pub attached: Option<u64>,
}

/// Waits of one group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupWait {
    /// Tier (`1`–`3`) or community.
    pub group: String,
    /// Persons on the list now.
    pub on_list: Option<u64>,
    /// Median days on the list so far, of those on the list.
    pub median_days_waiting: Option<f64>,
    /// Persons attached in the window.
    pub attached: Option<u64>,
    /// Median days from registration to attachment, of those attached in the window.
    pub median_days_to_attach: Option<f64>,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Reference date.
    pub as_of: NaiveDate,
    /// Month ends, oldest first.
    pub timeline: Vec<MonthPoint>,
    /// Per tier.
    pub by_tier: Vec<GroupWait>,
    /// Per community with at least one figure shown (groups under 10 left out entirely).
    pub by_community: Vec<GroupWait>,
}

/// The figures at `as_of` over the last `months` month-ends, waits of attachments over the last
/// `window_days`.
///
/// ```
/// # use chrono::NaiveDate;
/// let d = pas_core::dashboard::dashboard(&[], NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), 3, 90);
/// let dates: Vec<String> = d.timeline.iter().map(|p| p.date.to_string()).collect();
/// assert_eq!(dates, ["2026-09-30", "2026-10-31", "2026-11-25"]);
/// assert_eq!(d.timeline[2].on_list, None, "0 persons: suppressed");
/// ```
pub fn dashboard(facts: &[JourneyFacts], as_of: NaiveDate, months: u32, window_days: u32) -> Dashboard {
    let timeline = month_ends(as_of, months)
        .into_iter()
        .map(|date| {
            let end = end_of(date);
            let on_list = facts
                .iter()
                .filter(|f| f.registered_at <= end && f.left_at().is_none_or(|l| l > end))
                .count() as u64;
            let attached = facts
                .iter()
                .filter(|f| f.attached_at().is_some_and(|a| a <= end))
                .count() as u64;
            MonthPoint {
                date,
                on_list: public_count(on_list),
                attached: public_count(attached),
            }
        })
        .collect();
    let now = end_of(as_of);
    let since = now - Duration::days(i64::from(window_days));
    let mut tiers: BTreeMap<String, Waits> = BTreeMap::new();
    let mut communities: BTreeMap<String, Waits> = BTreeMap::new();
    for t in [Tier::One, Tier::Two, Tier::Three] {
        tiers.entry((t as u8).to_string()).or_default();
    }
    for f in facts {
        if f.registered_at > now {
            continue;
        }
        let days = |to: DateTime<Utc>| (to - f.registered_at).num_seconds() as f64 / 86_400.0;
        let (waiting, attached) = match (f.left_at(), f.attached_at()) {
            (None, _) => (Some(days(now)), None),
            (Some(_), Some(a)) if a > since && a <= now => (None, Some(days(a))),
            _ => (None, None),
        };
        for w in [
            tiers.entry((f.tier as u8).to_string()).or_default(),
            communities.entry(f.community.clone()).or_default(),
        ] {
            w.waiting.extend(waiting);
            w.attached.extend(attached);
        }
    }
    Dashboard {
        as_of,
        timeline,
        by_tier: tiers.into_iter().map(|(g, w)| w.figures(g)).collect(),
        by_community: communities
            .into_iter()
            .map(|(g, w)| w.figures(g))
            .filter(|g| g.on_list.is_some() || g.attached.is_some())
            .collect(),
    }
}

#[derive(Default)]
struct Waits {
    waiting: Vec<f64>,
    attached: Vec<f64>,
}

impl Waits {
    fn figures(mut self, group: String) -> GroupWait {
        let median = |v: &mut Vec<f64>| {
            if (v.len() as u64) < MIN_PUBLIC_GROUP {
                return None;
            }
            v.sort_by(f64::total_cmp);
            quantile(v, 0.5)
        };
        GroupWait {
            group,
            on_list: public_count(self.waiting.len() as u64),
            median_days_waiting: median(&mut self.waiting),
            attached: public_count(self.attached.len() as u64),
            median_days_to_attach: median(&mut self.attached),
        }
    }
}

/// The last `months` month-ends up to `as_of`, the current month ending at `as_of`.
fn month_ends(as_of: NaiveDate, months: u32) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(months as usize);
    let mut date = as_of;
    for _ in 0..months {
        out.push(date);
        // The last day of the previous month.
        date = date.with_day(1).and_then(|d| d.pred_opt()).unwrap_or(date);
    }
    out.reverse();
    out
}

fn end_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc()
}
