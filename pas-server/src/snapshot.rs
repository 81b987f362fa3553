//! The registrations as the public figures see them, kept in memory between computations
//! (issue 22): per registration only what pas-core's dashboard and care gaps read — dates,
//! status, birth date and needs (the tier is assessed again at each computation's date), whether
//! it waits eligibly, and its community — about 100 bytes, no PHI beyond the birth date.
//!
//! The first refresh reads every registration (the bulk reader: at 1M registrations several
//! seconds); each later one reads only the rows changed since (`updated_at`, an index range), so
//! a computation of the dashboard costs what changed plus pas-core's aggregation, not a read of
//! the province. A row is re-read when its `updated_at` is at most [`REREAD`] before the previous
//! refresh began: a write transaction stamps `updated_at` when it starts and may commit up to
//! the request deadline later (a match run, a panel upload), so a shorter margin could miss it.
//! Registrations are never deleted, so nothing leaves the snapshot; a row that no longer
//! validates does.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use pas_core::dashboard::JourneyFacts;
use pas_core::date::BirthDate;
use pas_core::gaps::GapFacts;
use pas_core::needs::NeedSet;
use pas_core::registration::Status;
use sqlx::AnyConnection;

use crate::clock::timestamp;
use crate::db::{Db, DbError, Validated, Which};

/// How far before the previous refresh a later one starts reading: more than the longest write
/// transaction (the 300 s deadline of uploads and match runs) plus clock differences between
/// server processes.
pub const REREAD: TimeDelta = TimeDelta::seconds(420);

/// One registration's facts.
#[derive(Debug, Clone, Copy)]
struct Facts {
    /// The row's `updated_at` (Unix seconds): the version held.
    updated_at: i64,
    registered_at: DateTime<Utc>,
    changed_at: DateTime<Utc>,
    status: Status,
    birth_date: BirthDate,
    needs: NeedSet,
    /// In `waiting` and eligible (§3): counted in the care gaps at its tier.
    waits: bool,
    /// Index into [`Snapshot::communities`].
    community: u32,
}

/// The public figures' view of every registration (module docs).
#[derive(Debug, Default)]
pub struct Snapshot {
    facts: HashMap<Box<str>, Facts>,
    communities: Vec<Box<str>>,
    community_index: HashMap<Box<str>, u32>,
    /// When the previous refresh began; `None` before the first.
    refreshed_at: Option<DateTime<Utc>>,
}

impl Snapshot {
    /// Bring the snapshot up to date at `now`: every registration the first time, then those
    /// changed since the previous refresh (less [`REREAD`]). How many rows were read.
    pub async fn refresh(&mut self, db: &Db, conn: &mut AnyConnection, now: DateTime<Utc>) -> Result<usize, DbError> {
        let as_of = now.date_naive();
        let mut read = 0;
        match self.refreshed_at {
            None => {
                db.validated_registrations(conn, Which::All, as_of, |v| {
                    read += 1;
                    self.put(v, as_of);
                })
                .await?;
            }
            Some(previous) => {
                // Which rows changed (a covering index range), then only those not held at
                // that version: a row re-read within [`REREAD`] that did not change costs a
                // comparison.
                let since = timestamp(previous - REREAD);
                let changed: Vec<String> = crate::db::registrations_updated_since(conn, &since)
                    .await?
                    .into_iter()
                    .filter(|(id, updated_at)| {
                        self.facts
                            .get(id.as_str())
                            .is_none_or(|f| f.updated_at != seconds(updated_at))
                    })
                    .map(|(id, _)| id)
                    .collect();
                let ids: Vec<&str> = changed.iter().map(String::as_str).collect();
                if !ids.is_empty() {
                    db.validated_registrations(conn, Which::Ids(&ids), as_of, |v| {
                        read += 1;
                        self.put(v, as_of);
                    })
                    .await?;
                }
            }
        }
        self.refreshed_at = Some(now);
        Ok(read)
    }

    /// Registrations held.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// Whether no registration is held.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    fn put(&mut self, v: Validated, as_of: NaiveDate) {
        let Some(reg) = v.registration else {
            self.facts.remove(v.registration_id.as_str());
            return;
        };
        let community = self.intern(reg.community_or_fsa());
        let facts = Facts {
            updated_at: seconds(&v.updated_at),
            registered_at: v.journey.registered_at(),
            changed_at: v.journey.changed_at(),
            status: v.journey.status(),
            birth_date: reg.birth_date,
            needs: reg.needs,
            // Whether it waits does not depend on the date (only its tier does).
            waits: GapFacts::of(&reg, as_of).waiting_tier.is_some(),
            community,
        };
        self.facts.insert(v.registration_id.into_boxed_str(), facts);
    }

    fn intern(&mut self, community: &str) -> u32 {
        if let Some(&i) = self.community_index.get(community) {
            return i;
        }
        let i = u32::try_from(self.communities.len()).unwrap_or(u32::MAX);
        self.communities.push(community.into());
        self.community_index.insert(community.into(), i);
        i
    }

    /// pas-core's inputs as of `as_of`: the dashboard's facts and each one's waiting tier (the
    /// care gaps'), in one order. Tiers are assessed at `as_of` (§4: age moves a person between
    /// tiers as time passes).
    pub fn facts(&self, as_of: NaiveDate) -> (Vec<JourneyFacts>, Vec<Option<pas_core::priority::Tier>>) {
        let mut journeys = Vec::with_capacity(self.facts.len());
        let mut waiting = Vec::with_capacity(self.facts.len());
        for f in self.facts.values() {
            let tier = pas_core::priority::assess(f.birth_date, f.needs, as_of).tier;
            waiting.push(f.waits.then_some(tier));
            journeys.push(JourneyFacts {
                registered_at: f.registered_at,
                status: f.status,
                changed_at: f.changed_at,
                tier,
                community: self.community(f.community).to_owned(),
            });
        }
        (journeys, waiting)
    }

    fn community(&self, i: u32) -> &str {
        self.communities.get(i as usize).map_or("", |c| c)
    }
}

/// A stored RFC 3339 time as Unix seconds (`i64::MIN` when unreadable: never equal to a
/// readable one, so such a row is read again).
fn seconds(stored: &str) -> i64 {
    DateTime::parse_from_rfc3339(stored).map_or(i64::MIN, |t| t.timestamp())
}
