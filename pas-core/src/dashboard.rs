//! The public dashboard's figures (DOMAIN §11: only aggregates of at least 10 persons, with
//! complementary suppression): people on the list and attached over time, median waits by tier
//! and by community, care gaps, registrations by status, and the last match run.
//!
//! The server hands in one [`JourneyFacts`] per registration — dates and codes, no PHI — and
//! the care gaps, and publishes what comes out of [`public_figures`]: every figure passes
//! through one [`crate::disclosure::Table`] with every relation between them, so no caller can
//! forget the rule or a relation's partner. The last match run is a population of its own and
//! goes through [`public_run`].
//!
//! Definitions (DOMAIN is silent): a person is *on the list* at a date from `registered_at` until
//! their registration becomes `attached`, `withdrawn` or `closed`; *attached* counts attachments
//! up to that date. A *wait* is the days from `registered_at` to attachment for persons attached
//! in the last `window_days`, or to `as_of` for persons still on the list; the dashboard reports
//! both medians per group.
//!
//! Relations the reader can use, and which the table therefore holds:
//! * today's point of the timeline = the tiers' `on_list` = the communities' `on_list` = the
//!   registrations in `waiting`, `offered`, `accepted` and `inactive`; the cumulative `attached`
//!   today = the registrations in `attached`;
//! * `waiting` (by status) = its tiers; a tier's `waiting` = the care gaps' `(all)` tier (who
//!   is eligible) + the waiting who are not eligible (stored as waiting; a group, protected
//!   even when 0);
//! * a tier's or a community's `on_list` = its waiting persons + the rest (offers out, accepted,
//!   inactive: a group, protected even when 0);
//! * care gaps: each community's `waiting` = its tiers, and `(all)` = the sum of the communities
//!   (waiting, each tier, and the arrivals that `monthly_demand` reveals);
//! * **the cumulative timeline**: the difference of two consecutive `attached` points is that
//!   month's attachments, a group, protected even when 0; so a point is published only where the
//!   change since the previous published point is 10 or more (a flat or slow month takes its
//!   neighbour with it). The window of the attachment medians starts between two month ends;
//!   its cumulative count is a hidden point of the chain, and the attachments in the window (the
//!   sum of the tiers' and of the communities' `attached`) are the difference to today. The
//!   `on_list` points are not chained: the change of a stock is arrivals minus departures, not
//!   a group.
//!
//! Figures that reveal a count are published only with it: a median only when its group's count
//! is, `monthly_demand` (arrivals ÷ months) only when the arrivals are, `months_to_clear` and
//! `never_clears` only when both the waiting and the arrivals are.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::disclosure::{Cell, Published, Table};
pub use crate::disclosure::{MIN_PUBLIC_GROUP, public_count};
use crate::gaps::CommunityGap;
use crate::matching::report::{MatchReport, quantile};
use crate::priority::Tier;
use crate::registration::Status;

/// A care gap as the public may see it (DOMAIN §11): figures about persons are `None` when
/// suppressed; provider figures are not about patients and are always shown.
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
    /// Registrations per month recently (shown when the window's arrivals are).
    pub monthly_demand: Option<f64>,
    /// Months to clear the list (shown when waiting and arrivals are, and places outpace
    /// demand).
    pub months_to_clear: Option<f64>,
    /// At the recent pace the list does not shrink (shown when waiting and arrivals are).
    pub never_clears: Option<bool>,
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

    fn on_list_at(&self, end: DateTime<Utc>) -> bool {
        self.registered_at <= end && self.left_at().is_none_or(|l| l > end)
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
    /// Per community with at least one count shown (others left out entirely).
    pub by_community: Vec<GroupWait>,
}

/// Everything published about the registry at one moment, suppressed together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicFigures {
    /// The dashboard.
    pub dashboard: Dashboard,
    /// Care gaps per community and `(all)` (empty when none were given).
    pub care_gaps: Vec<PublicGap>,
    /// Registrations per status (every status present).
    pub by_status: BTreeMap<Status, Option<u64>>,
    /// Registrations in `waiting` per tier (`[tier 1, tier 2, tier 3]`).
    pub waiting_by_tier: [Option<u64>; 3],
}

/// The dashboard alone: the figures at `as_of` over the last `months` month-ends, waits of
/// attachments over the last `window_days` ([`public_figures`] without care gaps).
///
/// ```
/// # use chrono::NaiveDate;
/// let d = pas_core::dashboard::dashboard(&[], NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(), 3, 90);
/// let dates: Vec<String> = d.timeline.iter().map(|p| p.date.to_string()).collect();
/// assert_eq!(dates, ["2026-09-30", "2026-10-31", "2026-11-25"]);
/// assert_eq!(d.timeline[2].on_list, None, "0 persons: suppressed");
/// ```
pub fn dashboard(facts: &[JourneyFacts], as_of: NaiveDate, months: u32, window_days: u32) -> Dashboard {
    public_figures(facts, &[], as_of, months, window_days).dashboard
}

/// Care gaps alone (the `(all)` row last, as [`crate::gaps::care_gaps`] returns them),
/// suppressed together.
pub fn public_gaps(gaps: &[CommunityGap]) -> Vec<PublicGap> {
    let mut t = Table::new();
    let rows = Communities::build(&mut t, &BTreeMap::new(), gaps, false);
    let p = t.publish();
    rows.publish(&p, gaps)
}

/// Every public figure about the registry — the dashboard ([`dashboard`]'s arguments), the care
/// gaps (`gaps`, `(all)` last; may be empty), registrations by status and waiting by tier — in
/// one table, so that no relation between them leaks (module docs).
pub fn public_figures(
    facts: &[JourneyFacts],
    gaps: &[CommunityGap],
    as_of: NaiveDate,
    months: u32,
    window_days: u32,
) -> PublicFigures {
    let now = end_of(as_of);
    let since_date = as_of
        .checked_sub_days(Days::new(u64::from(window_days)))
        .unwrap_or(as_of);
    let since = end_of(since_date);
    let mut t = Table::new();

    // The timeline.
    let dates = month_ends(as_of, months);
    let on_list: Vec<Cell> = dates
        .iter()
        .map(|d| {
            let end = end_of(*d);
            t.headline(facts.iter().filter(|f| f.on_list_at(end)).count() as u64)
        })
        .collect();
    let cumulative = |end: DateTime<Utc>| {
        facts
            .iter()
            .filter(|f| f.attached_at().is_some_and(|a| a <= end))
            .count() as u64
    };
    // The chain of cumulative attachments: month ends (shown) and the window's start (hidden).
    let mut points: Vec<(NaiveDate, Option<usize>)> = dates.iter().enumerate().map(|(i, d)| (*d, Some(i))).collect();
    if since_date < as_of && !dates.contains(&since_date) {
        points.push((since_date, None));
    }
    points.sort();
    let mut attached: Vec<Option<Cell>> = vec![None; dates.len()];
    let mut since_cell = None;
    let mut previous: Option<Cell> = None;
    for (date, month) in &points {
        let n = cumulative(end_of(*date));
        let cell = if month.is_some() { t.headline(n) } else { t.hidden(n) };
        if let Some(p) = previous {
            // That stretch's attachments: a group.
            t.split(cell, &[p]);
        }
        previous = Some(cell);
        if let Some(slot) = month.and_then(|i| attached.get_mut(i)) {
            *slot = Some(cell);
        }
        if *date == since_date {
            since_cell = Some(cell);
        }
    }
    let on_now = on_list.last().copied().unwrap_or_else(|| {
        let n = facts.iter().filter(|f| f.on_list_at(now)).count() as u64;
        t.hidden(n)
    });
    let attached_now = attached
        .last()
        .copied()
        .flatten()
        .unwrap_or_else(|| t.hidden(cumulative(now)));

    // Waits per tier and community.
    // Grouped by tier index and by borrowed community name (a million facts, no allocation
    // each), then named and ordered.
    let mut by_tier: [Waits; 3] = Default::default();
    let mut by_community: std::collections::HashMap<&str, Waits> = std::collections::HashMap::new();
    for f in facts {
        if f.registered_at > now {
            continue;
        }
        let days = |to: DateTime<Utc>| (to - f.registered_at).num_seconds() as f64 / 86_400.0;
        let waiting = f.on_list_at(now).then(|| days(now));
        let attached = f.attached_at().filter(|a| *a > since && *a <= now).map(days);
        let tier = by_tier.get_mut((f.tier as usize).saturating_sub(1));
        for w in tier.into_iter().chain([by_community.entry(&f.community).or_default()]) {
            w.waiting.extend(waiting);
            w.attached.extend(attached);
        }
    }
    let tiers: BTreeMap<String, Waits> = [Tier::One, Tier::Two, Tier::Three]
        .into_iter()
        .zip(by_tier)
        .map(|(t, w)| (t.to_string(), w))
        .collect();
    let communities: BTreeMap<String, Waits> = by_community.into_iter().map(|(name, w)| (name.to_owned(), w)).collect();
    let tier_cells: Vec<(Cell, Cell)> = tiers.values().map(|w| w.cells(&mut t)).collect();
    let counts: BTreeMap<&str, (u64, u64)> = communities
        .iter()
        .map(|(name, w)| (name.as_str(), (w.waiting.len() as u64, w.attached.len() as u64)))
        .collect();
    let rows = Communities::build(&mut t, &counts, gaps, true);
    let in_window: u64 = tiers.values().map(|w| w.attached.len() as u64).sum();
    // The attachments in the window: today's cumulative count minus the window start's.
    let window = match since_cell {
        Some(s) if s != attached_now => t.split(attached_now, &[s]),
        _ => t.hidden(in_window),
    };
    t.sum(on_now, &tier_cells.iter().map(|c| c.0).collect::<Vec<_>>());
    t.sum(on_now, &rows.lists().map(|c| c.0).collect::<Vec<_>>());
    t.sum(window, &tier_cells.iter().map(|c| c.1).collect::<Vec<_>>());
    t.sum(window, &rows.lists().map(|c| c.1).collect::<Vec<_>>());

    // Registrations by status, waiting by tier.
    let status_cells: BTreeMap<Status, Cell> = Status::ALL
        .iter()
        .map(|&s| (s, t.shown(facts.iter().filter(|f| f.status == s).count() as u64)))
        .collect();
    let waiting_tiers: [Cell; 3] = [Tier::One, Tier::Two, Tier::Three].map(|tier| {
        t.shown(
            facts
                .iter()
                .filter(|f| f.status == Status::Waiting && f.tier == tier)
                .count() as u64,
        )
    });
    let status = |s: Status| status_cells.get(&s).copied();
    let on_list_statuses: Vec<Cell> = Status::ALL
        .iter()
        .filter(|s| !s.is_terminal())
        .filter_map(|&s| status(s))
        .collect();
    t.sum(on_now, &on_list_statuses);
    if let Some(a) = status(Status::Attached) {
        t.sum(attached_now, &[a]);
    }
    if let Some(w) = status(Status::Waiting) {
        t.sum(w, &waiting_tiers);
    }
    for ((on, _), waiting) in tier_cells.iter().zip(waiting_tiers) {
        // On the list but not waiting (offers out, accepted, inactive): a group.
        t.split(*on, &[waiting]);
    }
    // The care gaps' `(all)` by tier counts the eligible among `waiting` by tier; the others
    // (stored as waiting, not eligible at `as_of`) are a group.
    if let Some(all) = rows.all {
        for (w, g) in waiting_tiers.iter().zip(all.tiers) {
            t.split(*w, &[g]);
        }
    }

    let p = t.publish();
    let group = |name: &String, w: &Waits, cells: (Cell, Cell)| w.figures(name.clone(), &p, cells);
    PublicFigures {
        dashboard: Dashboard {
            as_of,
            timeline: dates
                .iter()
                .zip(&on_list)
                .zip(&attached)
                .map(|((date, on), att)| MonthPoint {
                    date: *date,
                    on_list: p.count(*on),
                    attached: att.and_then(|c| p.count(c)),
                })
                .collect(),
            by_tier: tiers
                .iter()
                .zip(&tier_cells)
                .map(|((name, w), c)| group(name, w, *c))
                .collect(),
            by_community: communities
                .iter()
                .filter_map(|(name, w)| rows.list(name).map(|c| group(name, w, c)))
                .filter(|g| g.on_list.is_some() || g.attached.is_some())
                .collect(),
        },
        care_gaps: rows.publish(&p, gaps),
        by_status: status_cells.iter().map(|(s, c)| (*s, p.count(*c))).collect(),
        waiting_by_tier: waiting_tiers.map(|c| p.count(c)),
    }
}

/// The cells of one care-gap row.
#[derive(Debug, Clone, Copy)]
struct GapCells {
    waiting: Cell,
    tiers: [Cell; 3],
    arrived: Cell,
}

impl GapCells {
    /// A row's cells (shown, or hidden for a lump), its waiting = its tiers. The `(all)` row's
    /// totals are headlines.
    fn new(t: &mut Table, g: &GapCounts, shown: bool, all: bool) -> Self {
        let mut cell = |n: u64| if shown { t.shown(n) } else { t.hidden(n) };
        let tiers = g.tiers.map(&mut cell);
        let (waiting, arrived) = if all {
            (t.headline(g.waiting), t.headline(g.arrived))
        } else {
            let mut cell = |n: u64| if shown { t.shown(n) } else { t.hidden(n) };
            (cell(g.waiting), cell(g.arrived))
        };
        let cells = Self {
            waiting,
            tiers,
            arrived,
        };
        t.sum(cells.waiting, &cells.tiers);
        cells
    }
}

/// A care-gap row's person counts.
#[derive(Debug, Clone, Copy, Default)]
struct GapCounts {
    waiting: u64,
    tiers: [u64; 3],
    arrived: u64,
}

impl GapCounts {
    fn of(g: &CommunityGap) -> Self {
        Self {
            waiting: g.waiting,
            tiers: g.waiting_by_tier,
            arrived: g.arrived,
        }
    }

    fn add(&mut self, other: &Self) {
        self.waiting += other.waiting;
        self.arrived += other.arrived;
        for (a, b) in self.tiers.iter_mut().zip(other.tiers) {
            *a += b;
        }
    }

    fn max(&self) -> u64 {
        self.tiers
            .iter()
            .copied()
            .chain([self.waiting, self.arrived])
            .max()
            .unwrap_or(0)
    }
}

/// The summed counts of merged small communities: `(on_list, attached)` and a care-gap row.
type Lump = (Option<(u64, u64)>, Option<GapCounts>);

/// One community's cells: the dashboard's `(on_list, attached)` and its care-gap row.
#[derive(Debug, Clone, Copy, Default)]
struct RowCells {
    list: Option<(Cell, Cell)>,
    gap: Option<GapCells>,
}

/// The communities of the dashboard and of the care gaps in the table.
///
/// A community every count of which is under 10 is suppressed whole, and such communities
/// enter the table merged, per shape (in the dashboard, in the care gaps, or both), as one
/// hidden row: a reader who knows every relation can put a lump's whole value into any one of
/// its communities (the others at 0, which every relation inside a community allows), so the
/// bounds on each merged community's cells are exactly the lump's, and the other cells' bounds
/// are unchanged. (This keeps the table small when many communities are small.)
struct Communities {
    rows: BTreeMap<String, RowCells>,
    all: Option<GapCells>,
    lumps: Vec<RowCells>,
}

impl Communities {
    /// `with_lists`: the dashboard's per-community figures are published too. Then every
    /// community of either has both shapes (a community with providers only has 0 persons on
    /// the list, and that 0 is protected like any other).
    fn build(t: &mut Table, lists: &BTreeMap<&str, (u64, u64)>, gaps: &[CommunityGap], with_lists: bool) -> Self {
        let (all, named) = match gaps.split_last() {
            Some((all, named)) => (Some(all), named),
            None => (None, gaps),
        };
        let gap_counts: BTreeMap<&str, GapCounts> =
            named.iter().map(|g| (g.community.as_str(), GapCounts::of(g))).collect();
        let names: std::collections::BTreeSet<&str> = lists.keys().chain(gap_counts.keys()).copied().collect();
        let mut rows = BTreeMap::new();
        // The lumps' summed counts, by shape (dashboard figures?, care-gap row?).
        let mut lumps: BTreeMap<(bool, bool), Lump> = BTreeMap::new();
        let row = |t: &mut Table, list: Option<(u64, u64)>, gap: Option<&GapCounts>, shown: bool| {
            let cell = |t: &mut Table, n: u64| if shown { t.shown(n) } else { t.hidden(n) };
            let list = list.map(|(on, att)| (cell(t, on), cell(t, att)));
            let gap = gap.map(|g| GapCells::new(t, g, shown, false));
            if let (Some((on, _)), Some(g)) = (list, gap) {
                // On the list but not waiting (offers out, accepted, inactive, not eligible):
                // a group.
                t.split(on, &[g.waiting]);
            }
            RowCells { list, gap }
        };
        for name in names {
            let list = lists.get(name).copied().or(with_lists.then_some((0, 0)));
            let gap = gap_counts.get(name).copied().or(all.map(|_| GapCounts::default()));
            let gap = gap.as_ref();
            let small = list.is_none_or(|(on, att)| on.max(att) < MIN_PUBLIC_GROUP)
                && gap.is_none_or(|g| g.max() < MIN_PUBLIC_GROUP);
            if small {
                let lump = lumps.entry((list.is_some(), gap.is_some())).or_default();
                if let Some((on, att)) = list {
                    let l = lump.0.get_or_insert((0, 0));
                    l.0 += on;
                    l.1 += att;
                }
                if let Some(g) = gap {
                    lump.1.get_or_insert_with(GapCounts::default).add(g);
                }
            } else {
                rows.insert(name.to_owned(), row(t, list, gap, true));
            }
        }
        let lumps: Vec<RowCells> = lumps
            .values()
            .map(|(list, gap)| row(t, *list, gap.as_ref(), false))
            .collect();
        let all = all.map(|g| GapCells::new(t, &GapCounts::of(g), true, true));
        let this = Self { rows, all, lumps };
        if let Some(all) = this.all {
            let gap_rows: Vec<GapCells> = this.every().filter_map(|r| r.gap).collect();
            t.sum(all.waiting, &gap_rows.iter().map(|r| r.waiting).collect::<Vec<_>>());
            t.sum(all.arrived, &gap_rows.iter().map(|r| r.arrived).collect::<Vec<_>>());
            for i in 0..3 {
                t.sum(all.tiers[i], &gap_rows.iter().map(|r| r.tiers[i]).collect::<Vec<_>>());
            }
        }
        this
    }

    fn every(&self) -> impl Iterator<Item = &RowCells> {
        self.rows.values().chain(&self.lumps)
    }

    /// Every `(on_list, attached)` pair, lumps included.
    fn lists(&self) -> impl Iterator<Item = (Cell, Cell)> + '_ {
        self.every().filter_map(|r| r.list)
    }

    /// A community's own `(on_list, attached)`, `None` when it is in a lump.
    fn list(&self, name: &str) -> Option<(Cell, Cell)> {
        self.rows.get(name).and_then(|r| r.list)
    }

    fn publish(&self, p: &Published, gaps: &[CommunityGap]) -> Vec<PublicGap> {
        let last = gaps.len().saturating_sub(1);
        gaps.iter()
            .enumerate()
            .map(|(i, g)| {
                let cells = if i == last {
                    self.all
                } else {
                    self.rows.get(&g.community).and_then(|r| r.gap)
                };
                let count = |c: Option<Cell>| c.and_then(|c| p.count(c));
                let waiting = count(cells.map(|c| c.waiting));
                let arrived = count(cells.map(|c| c.arrived));
                let shown = waiting.is_some() && arrived.is_some();
                PublicGap {
                    community: g.community.clone(),
                    waiting,
                    waiting_by_tier: [0, 1, 2].map(|t| count(cells.map(|c| c.tiers[t]))),
                    accepting_providers: g.accepting_providers,
                    open_places: g.open_places,
                    monthly_demand: arrived.map(|_| g.monthly_demand),
                    months_to_clear: g.months_to_clear.filter(|_| shown),
                    never_clears: shown.then_some(g.months_to_clear.is_none()),
                }
            })
            .collect()
    }
}

#[derive(Default)]
struct Waits {
    waiting: Vec<f64>,
    attached: Vec<f64>,
}

impl Waits {
    fn cells(&self, t: &mut Table) -> (Cell, Cell) {
        (t.shown(self.waiting.len() as u64), t.shown(self.attached.len() as u64))
    }

    fn figures(&self, group: String, p: &Published, (on, att): (Cell, Cell)) -> GroupWait {
        let median = |v: &[f64]| {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            quantile(&v, 0.5)
        };
        GroupWait {
            group,
            on_list: p.count(on),
            median_days_waiting: p.count(on).and_then(|_| median(&self.waiting)),
            attached: p.count(att),
            median_days_to_attach: p.count(att).and_then(|_| median(&self.attached)),
        }
    }
}

/// A match run's figures as the public may see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicRun {
    /// Persons in the run.
    pub persons: Option<u64>,
    /// Persons matched.
    pub matched_persons: Option<u64>,
    /// matched / persons, when both are shown.
    pub match_rate: Option<f64>,
    /// Tiers 1–3, each present.
    pub by_tier: Vec<PublicBreakdown>,
}

/// One tier of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicBreakdown {
    /// Tier (`1`–`3`).
    pub tier: String,
    /// Persons.
    pub persons: Option<u64>,
    /// Persons matched.
    pub matched: Option<u64>,
    /// matched / persons, when both are shown.
    pub match_rate: Option<f64>,
    /// Median days waited among the matched, when `matched` is shown.
    pub median_wait_days: Option<f64>,
}

/// The public figures of a match run (DOMAIN §11): persons and matched, run-wide and per tier,
/// in one table with the unmatched (persons − matched) as protected hidden cells, so that no
/// rate, difference or total minus parts reveals a group under 10.
///
/// ```
/// use pas_core::dashboard::public_run;
/// # use pas_core::matching::report::{Breakdown, Concordance, Counts, MatchReport};
/// # let tier = |g: &str, persons, matched, wait| Breakdown {
/// #     group: g.into(), persons, matched, match_rate: matched as f64 / persons as f64,
/// #     median_wait_days: wait, p90_wait_days: None, median_distance_km: None, p90_distance_km: None };
/// # let report = MatchReport {
/// #     seed: 1, as_of: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
/// #     counts: Counts { ineligible: 0, units: 76, persons: 76, providers: 3, accepting_providers: 3,
/// #         places_offered: 60, places_used: 53, matched_units: 53, matched_persons: 53 },
/// #     justified_envy_pairs: 0, families_split: 0, wasted_places: 0, capacity_exceeded: 0,
/// #     ineligible_placements: 0,
/// #     by_tier: vec![tier("1", 30, 20, Some(12.0)), tier("2", 30, 30, Some(40.0)), tier("3", 16, 3, Some(90.0))],
/// #     by_community: vec![],
/// #     language_concordance: Concordance { persons: 0, matched: 0, concordant: 0, rate: 1.0 },
/// # };
/// // Tier 3: 16 persons, 3 matched. Its rate (0.1875 × 16 = 3) must not be shown, nor a
/// // matched count from which 3 follows; tier 2's "everyone matched" (0 unmatched) neither.
/// let run = public_run(&report);
/// let t3 = &run.by_tier[2];
/// assert_eq!((t3.persons, t3.matched, t3.match_rate), (Some(16), None, None));
/// assert_eq!(run.by_tier[1].matched, None);
/// ```
pub fn public_run(report: &MatchReport) -> PublicRun {
    let mut t = Table::new();
    let persons = t.headline(report.counts.persons);
    let matched = t.headline(report.counts.matched_persons);
    t.split(persons, &[matched]);
    let rows: Vec<(String, Cell, Cell, Option<f64>)> = [Tier::One, Tier::Two, Tier::Three]
        .iter()
        .map(|tier| {
            let name = tier.to_string();
            let b = report.by_tier.iter().find(|b| b.group == name);
            let p = t.shown(b.map_or(0, |b| b.persons));
            let m = t.shown(b.map_or(0, |b| b.matched));
            t.split(p, &[m]);
            (name, p, m, b.and_then(|b| b.median_wait_days))
        })
        .collect();
    t.sum(persons, &rows.iter().map(|r| r.1).collect::<Vec<_>>());
    t.sum(matched, &rows.iter().map(|r| r.2).collect::<Vec<_>>());
    let p = t.publish();
    PublicRun {
        persons: p.count(persons),
        matched_persons: p.count(matched),
        match_rate: p.rate(matched, persons),
        by_tier: rows
            .into_iter()
            .map(|(tier, persons, matched, median)| PublicBreakdown {
                tier,
                persons: p.count(persons),
                matched: p.count(matched),
                match_rate: p.rate(matched, persons),
                median_wait_days: p.about(matched, median),
            })
            .collect(),
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

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use proptest::prelude::*;

    use super::*;
    use crate::disclosure::reader::Reader;
    use crate::gaps::DAYS_PER_MONTH;

    const WINDOW: u32 = 90;
    const MONTHS: u32 = 12;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default()
    }

    /// A person as the test knows them: the dashboard's facts and whether they are eligible
    /// (the care gaps count only eligible waiting persons).
    #[derive(Debug, Clone)]
    struct Person {
        fact: JourneyFacts,
        eligible: bool,
    }

    const COMMUNITIES: [&str; 5] = ["Alert Bay", "Bella Coola", "Comox", "Duncan", "Esquimalt"];

    fn person() -> impl Strategy<Value = Person> {
        // Registered in the last 13 months; most stay a while and are waiting (so that the
        // groups between figures — offers out, a month's attachments — are often small); a few
        // are not eligible.
        let status = prop_oneof![
            12 => Just(Status::Waiting),
            1 => Just(Status::Offered),
            1 => Just(Status::Accepted),
            1 => Just(Status::Inactive),
            4 => Just(Status::Attached),
            1 => Just(Status::Withdrawn),
            1 => Just(Status::Closed),
        ];
        (0i64..395, 0i64..200, status, 0usize..3, 0usize..5, 0u8..20).prop_map(|(back, stay, status, t, c, e)| {
            let today = Utc
                .with_ymd_and_hms(2026, 11, 25, 12, 0, 0)
                .single()
                .unwrap_or_default();
            let registered = today - Duration::days(back);
            let changed = (registered + Duration::days(stay)).min(today);
            Person {
                fact: JourneyFacts {
                    registered_at: registered,
                    status,
                    changed_at: changed,
                    tier: [Tier::One, Tier::Two, Tier::Three][t],
                    community: COMMUNITIES[c].to_owned(),
                },
                eligible: e > 0,
            }
        })
    }

    /// Care gaps as [`crate::gaps::care_gaps`] computes them, from the persons (places per
    /// community fixed; "Fort Nelson" has providers only).
    fn gaps_of(people: &[Person]) -> Vec<CommunityGap> {
        let months = f64::from(WINDOW) / DAYS_PER_MONTH;
        let since = as_of() - Duration::days(i64::from(WINDOW));
        let gap = |name: &str, members: &[&Person], places: u64| {
            let mut tiers = [0u64; 3];
            let mut arrived = 0;
            for p in members {
                if p.fact.status == Status::Waiting && p.eligible {
                    tiers[p.fact.tier as usize - 1] += 1;
                }
                let day = p.fact.registered_at.date_naive();
                arrived += u64::from(day > since && day <= as_of());
            }
            let waiting: u64 = tiers.iter().sum();
            let demand = arrived as f64 / months;
            let net = places as f64 - demand;
            CommunityGap {
                community: name.to_owned(),
                waiting_by_tier: tiers,
                waiting,
                accepting_providers: u64::from(places > 0),
                open_places: places,
                arrived,
                monthly_demand: demand,
                months_to_clear: if waiting == 0 {
                    Some(0.0)
                } else if net > 0.0 {
                    Some(waiting as f64 / net)
                } else {
                    None
                },
            }
        };
        let mut names: Vec<&str> = COMMUNITIES.to_vec();
        names.push("Fort Nelson");
        names.sort_unstable();
        let mut out: Vec<CommunityGap> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| **n == "Fort Nelson" || people.iter().any(|p| p.fact.community == **n))
            .map(|(i, n)| {
                let members: Vec<&Person> = people.iter().filter(|p| p.fact.community == *n).collect();
                gap(n, &members, 3 * i as u64)
            })
            .collect();
        let everyone: Vec<&Person> = people.iter().collect();
        let places = out.iter().map(|g| g.open_places).sum();
        let mut all = gap("(all)", &everyone, places);
        all.accepting_providers = out.iter().map(|g| g.accepting_providers).sum();
        out.push(all);
        out
    }

    /// The reader's model: one unknown per group, what was published about it, and the truth
    /// (known to the test only).
    #[derive(Default)]
    struct Model {
        names: Vec<String>,
        truth: Vec<u64>,
        /// `Some(published)` for a figure the page prints (`None` = printed as null); `None`
        /// for a group the page never prints but that its figures may imply.
        printed: Vec<Option<Option<u64>>>,
        relations: Vec<(Vec<usize>, Vec<usize>)>,
        facts: Vec<(usize, u64)>,
    }

    impl Model {
        fn printed(&mut self, name: String, truth: u64, published: Option<u64>) -> usize {
            if let Some(v) = published {
                assert_eq!(v, truth, "{name}: a published count is true");
            }
            self.push(name, truth, Some(published))
        }

        fn group(&mut self, name: String, truth: u64) -> usize {
            self.push(name, truth, None)
        }

        fn push(&mut self, name: String, truth: u64, printed: Option<Option<u64>>) -> usize {
            self.names.push(name);
            self.truth.push(truth);
            self.printed.push(printed);
            self.truth.len() - 1
        }

        fn relate(&mut self, totals: Vec<usize>, parts: Vec<usize>) {
            self.relations.push((totals, parts));
        }

        /// Everything the reader proves, as breaches of DOMAIN §11.
        fn attack(&self) -> Vec<String> {
            let mut reader = Reader::new(self.truth.len());
            for (i, p) in self.printed.iter().enumerate() {
                if let Some(Some(v)) = p {
                    reader.know(i, *v);
                }
            }
            for &(i, v) in &self.facts {
                reader.know(i, v);
            }
            for (a, b) in &self.relations {
                reader.relate(a.clone(), b.clone());
            }
            reader.solve();
            let mut out = Vec::new();
            for i in 0..self.truth.len() {
                let (lo, hi) = reader.bounds(i);
                let v = i128::from(self.truth[i]);
                assert!(
                    lo <= v && hi.is_none_or(|h| v <= h),
                    "{}: the reader's bounds [{lo}, {hi:?}] hold the truth {v}",
                    self.names[i]
                );
                let small = v < MIN_PUBLIC_GROUP as i128 && hi.is_some_and(|h| h < MIN_PUBLIC_GROUP as i128);
                let recovered = self.printed[i] == Some(None) && hi == Some(lo);
                if small || recovered {
                    out.push(format!("{} = {v} in [{lo}, {hi:?}]", self.names[i]));
                }
            }
            out
        }
    }

    /// Everything the dashboard, the care gaps and `/stats` publish, with every relation the
    /// module docs name, built from the definitions rather than from the table.
    fn model(people: &[Person], gaps: &[CommunityGap], p: &PublicFigures) -> Model {
        let facts: Vec<&JourneyFacts> = people.iter().map(|p| &p.fact).collect();
        let end = |d: NaiveDate| d.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc();
        let now = end(as_of());
        let on_list_at = |t: DateTime<Utc>| {
            facts
                .iter()
                .filter(|f| f.registered_at <= t && (!f.status.is_terminal() || f.changed_at > t))
                .count() as u64
        };
        let attached_by = |t: DateTime<Utc>| {
            facts
                .iter()
                .filter(|f| f.status == Status::Attached && f.changed_at <= t)
                .count() as u64
        };
        let mut m = Model::default();
        let d = &p.dashboard;
        // The timeline and its chain of month's attachments.
        let mut cum = Vec::new();
        let mut on = Vec::new();
        for point in &d.timeline {
            let t = end(point.date);
            on.push(m.printed(format!("on_list {}", point.date), on_list_at(t), point.on_list));
            cum.push(m.printed(format!("attached by {}", point.date), attached_by(t), point.attached));
        }
        for (i, w) in cum.windows(2).enumerate() {
            let date = d.timeline[i + 1].date;
            let month = m.group(format!("attached in month to {date}"), m.truth[w[1]] - m.truth[w[0]]);
            m.relate(vec![w[1]], vec![w[0], month]);
        }
        // The window's start sits between two month ends.
        let since = as_of() - Duration::days(i64::from(WINDOW));
        let at_since = m.group("attached by window start".into(), attached_by(end(since)));
        let after = d.timeline.iter().position(|pt| pt.date >= since).unwrap_or(0);
        let next = cum[after];
        let gap_after = m.group(
            "attached window start → month end".into(),
            m.truth[next] - m.truth[at_since],
        );
        m.relate(vec![next], vec![at_since, gap_after]);
        if after > 0 {
            let before = cum[after - 1];
            let gap_before = m.group(
                "attached month end → window start".into(),
                m.truth[at_since] - m.truth[before],
            );
            m.relate(vec![at_since], vec![before, gap_before]);
        }
        let on_now = *on.last().unwrap_or(&0);
        let cum_now = *cum.last().unwrap_or(&0);
        let window_truth = facts
            .iter()
            .filter(|f| f.status == Status::Attached && f.changed_at > end(since) && f.changed_at <= now)
            .count() as u64;
        let window = m.group("attached in window".into(), window_truth);
        m.relate(vec![cum_now], vec![at_since, window]);
        // Tiers: on the list, attached in the window, waiting (stats), the rest.
        let by_status: BTreeMap<Status, usize> = Status::ALL
            .iter()
            .map(|&s| {
                let n = facts.iter().filter(|f| f.status == s).count() as u64;
                (
                    s,
                    m.printed(format!("status {s}"), n, p.by_status.get(&s).copied().flatten()),
                )
            })
            .collect();
        let mut tier_on = Vec::new();
        let mut tier_att = Vec::new();
        let mut waiting = Vec::new();
        for (i, tier) in [Tier::One, Tier::Two, Tier::Three].into_iter().enumerate() {
            let of_tier = || facts.iter().filter(move |f| f.tier == tier);
            let g = &d.by_tier[i];
            let n_on = of_tier()
                .filter(|f| f.registered_at <= now && (!f.status.is_terminal() || f.changed_at > now))
                .count() as u64;
            let n_att = of_tier()
                .filter(|f| f.status == Status::Attached && f.changed_at > end(since) && f.changed_at <= now)
                .count() as u64;
            let n_wait = of_tier().filter(|f| f.status == Status::Waiting).count() as u64;
            let o = m.printed(format!("tier {tier} on_list"), n_on, g.on_list);
            let a = m.printed(format!("tier {tier} attached"), n_att, g.attached);
            let w = m.printed(format!("tier {tier} waiting"), n_wait, p.waiting_by_tier[i]);
            let rest = m.group(format!("tier {tier} on the list, not waiting"), n_on - n_wait);
            m.relate(vec![o], vec![w, rest]);
            tier_on.push(o);
            tier_att.push(a);
            waiting.push(w);
        }
        m.relate(vec![on_now], tier_on);
        m.relate(vec![window], tier_att);
        m.relate(vec![by_status[&Status::Waiting]], waiting.clone());
        m.relate(
            vec![on_now],
            Status::ALL
                .iter()
                .filter(|s| !s.is_terminal())
                .map(|s| by_status[s])
                .collect(),
        );
        m.relate(vec![cum_now], vec![by_status[&Status::Attached]]);
        // Care gaps, every row; communities of the dashboard (a missing one is all null).
        let months = f64::from(WINDOW) / DAYS_PER_MONTH;
        let mut rows = Vec::new();
        for (g, pg) in gaps.iter().zip(&p.care_gaps) {
            let name = &g.community;
            let w = m.printed(format!("{name} waiting"), g.waiting, pg.waiting);
            let tiers: Vec<usize> = (0..3)
                .map(|t| {
                    m.printed(
                        format!("{name} waiting tier {}", t + 1),
                        g.waiting_by_tier[t],
                        pg.waiting_by_tier[t],
                    )
                })
                .collect();
            // monthly_demand × months = arrivals; months_to_clear × (places − demand) = waiting.
            let arrivals = pg.monthly_demand.map(|demand| (demand * months).round() as u64);
            let arrived = m.printed(format!("{name} arrived"), g.arrived, arrivals);
            if let Some(demand) = pg.monthly_demand {
                if let Some(mtc) = pg.months_to_clear.filter(|x| *x > 0.0) {
                    m.facts
                        .push((w, (mtc * (g.open_places as f64 - demand)).round() as u64));
                }
            }
            m.relate(vec![w], tiers.clone());
            rows.push((name.clone(), w, tiers, arrived));
        }
        if let Some(((_, all_w, all_t, all_a), named)) = rows.split_last() {
            m.relate(vec![*all_w], named.iter().map(|r| r.1).collect());
            m.relate(vec![*all_a], named.iter().map(|r| r.3).collect());
            for t in 0..3 {
                m.relate(vec![all_t[t]], named.iter().map(|r| r.2[t]).collect());
                // Waiting by tier (stats) = the care gaps' (all) + the waiting who are not
                // eligible (a group).
                let ineligible = people
                    .iter()
                    .filter(|p| p.fact.status == Status::Waiting && !p.eligible && p.fact.tier as usize == t + 1)
                    .count() as u64;
                let i = m.group(format!("tier {} waiting, not eligible", t + 1), ineligible);
                m.relate(vec![waiting[t]], vec![all_t[t], i]);
            }
            let mut c_on = Vec::new();
            let mut c_att = Vec::new();
            for (name, w, _, _) in named {
                let shown = d.by_community.iter().find(|c| c.group == *name);
                let of = || facts.iter().filter(|f| f.community == *name);
                let n_on = of()
                    .filter(|f| f.registered_at <= now && (!f.status.is_terminal() || f.changed_at > now))
                    .count() as u64;
                let n_att = of()
                    .filter(|f| f.status == Status::Attached && f.changed_at > end(since) && f.changed_at <= now)
                    .count() as u64;
                let o = m.printed(format!("{name} on_list"), n_on, shown.and_then(|c| c.on_list));
                let a = m.printed(format!("{name} attached"), n_att, shown.and_then(|c| c.attached));
                let rest = m.group(format!("{name} on the list, not waiting"), n_on - m.truth[*w]);
                m.relate(vec![o], vec![*w, rest]);
                c_on.push(o);
                c_att.push(a);
            }
            m.relate(vec![on_now], c_on);
            m.relate(vec![window], c_att);
        }
        m
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

        /// DOMAIN §11 on everything published together (dashboard, care gaps, `/stats`): a
        /// reader who knows every published figure and every definition — subtracting parts
        /// from totals, differencing consecutive cumulative points, multiplying demand and
        /// months, bounding through every relation — narrows no group under 10 and recovers no
        /// suppressed figure.
        #[test]
        fn s11_no_reader_narrows_a_group_from_the_public_figures(people in proptest::collection::vec(person(), 0..160)) {
            let facts: Vec<JourneyFacts> = people.iter().map(|p| p.fact.clone()).collect();
            let gaps = gaps_of(&people);
            let p = public_figures(&facts, &gaps, as_of(), MONTHS, WINDOW);
            let found = model(&people, &gaps, &p).attack();
            prop_assert!(found.is_empty(), "{:#?}", found);
        }
    }

    /// DOMAIN §11, the reported attack on `waiting 13` with tiers `[null, null, 13]`: in the
    /// care gaps, a community whose waiting persons are all in one tier shows no tier.
    #[test]
    fn s11_care_gaps_never_show_total_minus_parts_under_ten() {
        let gap = |name: &str, tiers: [u64; 3]| CommunityGap {
            community: name.into(),
            waiting_by_tier: tiers,
            waiting: tiers.iter().sum(),
            accepting_providers: 1,
            open_places: 5,
            arrived: 30,
            monthly_demand: 10.0,
            months_to_clear: None,
        };
        let gaps = [
            gap("Comox", [0, 0, 13]),
            gap("Duncan", [20, 30, 40]),
            gap("(all)", [20, 30, 53]),
        ];
        let public = public_gaps(&gaps);
        for g in &public {
            let shown: u64 = g.waiting_by_tier.iter().flatten().sum();
            let hidden = g.waiting_by_tier.iter().filter(|t| t.is_none()).count();
            if let Some(w) = g.waiting {
                assert!(hidden == 0 || w - shown >= MIN_PUBLIC_GROUP, "{g:?}");
                assert_ne!(hidden, 1, "{g:?}");
            }
        }
        assert_eq!(public[0].waiting_by_tier, [None, None, None]);
    }
}
