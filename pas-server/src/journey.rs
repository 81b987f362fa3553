//! The attachment journey as stored (DOMAIN §9): a registration's transition applied inside a
//! transaction — pas-core's rule, the row, the offers it settles (pas-core's
//! [`settle_offers`](pas_core::attachment::settle_offers)), its effects into outbox and audit —
//! and the places already promised to providers.
//!
//! Places: a provider's open places are pas-core's `ProviderCapacity::open_places` minus the
//! places already promised since their panel size was last set — offers `open` or `accepted`,
//! and offers that became attachments after the panel size was stated (a later panel upload
//! counts them in `current_panel_size`).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use pas_core::attachment::{JourneyEvent, OfferSettlement, OfferState, settle_offers};
use sqlx::{AnyConnection, Row};

use crate::clock::timestamp;
use crate::db::{self, StoredRegistration};
use crate::effects::{self, Who};
use crate::error::Error;

/// Apply `event` to a stored registration inside `tx`: pas-core's transition, the row update
/// (optimistic on the status), the offers it settles, and its effects into outbox and audit
/// ([`journey_events`] for one registration). The row as it is now.
pub async fn journey_event(
    tx: &mut AnyConnection,
    stored: &StoredRegistration,
    event: &JourneyEvent,
    now: DateTime<Utc>,
    who: &Who,
) -> Result<StoredRegistration, Error> {
    let journey = stored.parsed_journey()?;
    let applied = journey_events(tx, &[(Current::of(stored, &journey), event.clone())], now, who).await?;
    let Some(Applied {
        status,
        journey,
        due_at,
    }) = applied.into_iter().next()
    else {
        return Err(Error::Internal("a journey event applied to nothing".to_owned()));
    };
    let mut updated = stored.clone();
    status.clone_into(&mut updated.status);
    updated.journey = journey;
    updated.updated_at = timestamp(now);
    updated.due_at = due_at;
    Ok(updated)
}

/// What a journey event made of one registration's row.
#[derive(Debug, Clone)]
pub struct Applied {
    /// The new status code.
    pub status: &'static str,
    /// The new journey, as JSON.
    pub journey: String,
    /// The new `due_at`.
    pub due_at: String,
}

/// A registration's journey as stored: what a transition needs.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    /// The registration.
    pub registration_id: &'a str,
    /// Its stored status (the update is conditional on it).
    pub status: &'a str,
    /// Its journey.
    pub journey: &'a pas_core::attachment::Journey,
}

impl<'a> Current<'a> {
    /// A stored registration with its parsed journey.
    pub fn of(stored: &'a StoredRegistration, journey: &'a pas_core::attachment::Journey) -> Self {
        Self {
            registration_id: &stored.registration_id,
            status: &stored.status,
            journey,
        }
    }
}

/// Apply journey events to many registrations at once (a match run's offers, a tick, a
/// panel's attachments): pas-core's transitions, the rows (one multi-row statement per
/// [`db::JSON_CHUNK`], each conditional on the row's status), the offers they settle, their
/// effects into outbox and audit. Any refused transition or concurrent change fails the whole
/// batch (the caller's transaction is then to be rolled back). What each row became, in order.
pub async fn journey_events(
    tx: &mut AnyConnection,
    items: &[(Current<'_>, JourneyEvent)],
    now: DateTime<Utc>,
    who: &Who,
) -> Result<Vec<Applied>, Error> {
    let at = timestamp(now);
    let mut changed = Vec::with_capacity(items.len());
    let mut all_effects = Vec::new();
    for (stored, event) in items {
        let journey = stored.journey;
        let (next, effs) = journey.transition(event, now).map_err(Error::Transition)?;
        let json = serde_json::to_string(&next).map_err(|e| Error::Internal(e.to_string()))?;
        if let Some(settlement) = settle_offers(journey.state(), next.state(), event) {
            store_settlement(tx, stored.registration_id, &settlement, &at).await?;
        }
        all_effects.extend(effs);
        changed.push(Applied {
            status: next.status().code(),
            journey: json,
            due_at: db::due_at(&next),
        });
    }
    let updates: Vec<db::JourneyUpdate<'_>> = items
        .iter()
        .zip(&changed)
        .map(|((stored, _), applied)| db::JourneyUpdate {
            id: stored.registration_id,
            expected_status: stored.status,
            status: applied.status,
            journey: &applied.journey,
            due_at: &applied.due_at,
        })
        .collect();
    db::update_journeys(tx, &updates, &at).await?;
    effects::record(tx, who, now, &all_effects, None).await?;
    Ok(changed)
}

/// Apply `event` to the registrations `ids` (read again inside `tx`, so under whatever lock the
/// caller holds) whose journey `when` keeps and pas-core allows it for — one that moved on
/// meanwhile is left as it is — in one batch of [`journey_events`], in the order of `ids`: how
/// many changed.
pub async fn apply_where(
    tx: &mut AnyConnection,
    ids: &[&str],
    event: &JourneyEvent,
    now: DateTime<Utc>,
    who: &Who,
    when: impl Fn(&pas_core::attachment::Journey) -> bool,
) -> Result<usize, Error> {
    let mut rows = db::registrations_by_ids(tx, ids).await?;
    let order: HashMap<&str, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|r| order.get(r.registration_id.as_str()).copied());
    let mut journeys = Vec::with_capacity(rows.len());
    for stored in &rows {
        let journey = stored.parsed_journey()?;
        if when(&journey) && journey.transition(event, now).is_ok() {
            journeys.push((stored, journey));
        }
    }
    let items: Vec<_> = journeys
        .iter()
        .map(|(stored, journey)| (Current::of(stored, journey), event.clone()))
        .collect();
    journey_events(tx, &items, now, who).await?;
    Ok(items.len())
}

/// The registration's live offers (`open`, `accepted`) as pas-core settled them.
async fn store_settlement(
    tx: &mut AnyConnection,
    registration_id: &str,
    settlement: &OfferSettlement,
    at: &str,
) -> Result<(), Error> {
    match settlement {
        OfferSettlement::AttachedTo(practitioner) => {
            sqlx::query(
                "UPDATE offers SET state = CASE WHEN provider_id = $1 THEN $2 ELSE $3 END, \
                 changed_at = $4 WHERE registration_id = $5 AND state IN ('open', 'accepted')",
            )
            .bind(practitioner.to_string())
            .bind(OfferState::Attached.code())
            .bind(OfferState::Withdrawn.code())
            .bind(at)
            .bind(registration_id)
            .execute(&mut *tx)
            .await?;
        }
        OfferSettlement::All(state) => {
            sqlx::query(
                "UPDATE offers SET state = $1, changed_at = $2 WHERE registration_id = $3 \
                 AND state IN ('open', 'accepted')",
            )
            .bind(state.code())
            .bind(at)
            .bind(registration_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(())
}

/// Places already promised per provider (see the module docs).
/// `only`: one provider's count instead of every provider's.
pub async fn promised(tx: &mut AnyConnection, only: Option<&str>) -> Result<HashMap<String, u32>, Error> {
    let rows = sqlx::query(
        "SELECT o.provider_id, COUNT(*) FROM offers o JOIN providers p ON p.provider_id = o.provider_id \
         WHERE ($1 = '' OR o.provider_id = $1) \
         AND (o.state IN ('open', 'accepted') OR (o.state = 'attached' AND o.changed_at > p.panel_size_at)) \
         GROUP BY o.provider_id",
    )
    .bind(only.unwrap_or_default())
    .fetch_all(tx)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        let id: String = r.try_get(0)?;
        let n: i64 = r.try_get(1)?;
        out.insert(id, u32::try_from(n).unwrap_or(u32::MAX));
    }
    Ok(out)
}
