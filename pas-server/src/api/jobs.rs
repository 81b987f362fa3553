//! The timer (DOMAIN §9, §10): offers lapse after 14 days, status checks go out and lapse,
//! endorsement requests get their reminder and expire. pas-core says what is due
//! (`Journey::next_due`, `EndorsementBook::tick`); this runs it hourly in the background and
//! on demand for admins (`POST /api/v1/admin/tick`).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use pas_core::attachment::JourneyEvent;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, Caller, endorsement_book, internal, timestamp};
use crate::clock::SharedClock;
use crate::db::{self, Db};
use crate::effects::{self, Who};
use crate::error::{Error, Problem};

/// What one tick did.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct TickSummary {
    /// The time the tick ran as (RFC 3339 UTC).
    pub now: String,
    /// Journeys that moved (offers lapsed, status checks sent or lapsed).
    pub journeys: u64,
    /// Endorsement effects (reminders, expiries).
    pub endorsement_effects: u64,
}

/// Run everything due at `now`, as `who` (PAS's timer, or the admin who ran it).
pub async fn tick(db: &Db, now: DateTime<Utc>, who: &Who) -> Result<TickSummary, Error> {
    let mut summary = TickSummary {
        now: timestamp(now),
        ..TickSummary::default()
    };
    let who = who.clone();
    // Only the rows whose time has come (an index range on `due_at`), not every waiting one;
    // their ids, then the rows again under the lock, TICK_BATCH per transaction.
    let due = {
        let mut conn = db.pool().acquire().await?;
        db::registrations_due(&mut conn, &summary.now).await?
    };
    for chunk in due.chunks(TICK_BATCH) {
        let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
        match tick_batch(db, &ids, now, &who).await {
            Ok(n) => summary.journeys += n,
            // One of them changed meanwhile: the batch is rolled back; one by one instead.
            Err(Error::Transition(_) | Error::Conflict) => {
                for id in ids {
                    summary.journeys += tick_one(db, id, now, &who).await?;
                }
            }
            Err(e) => return Err(e),
        }
    }
    let mut tx = db.begin().await?;
    db::lock(&mut tx, "endorsements", &summary.now).await?;
    let (version, mut book) = endorsement_book(&mut tx).await?;
    let effects = book.tick(now);
    if !effects.is_empty() {
        let body = serde_json::to_string(&book).map_err(internal)?;
        db::put_document(&mut tx, "endorsements", version, &body).await?;
        effects::record(&mut tx, &who, now, &effects, None).await?;
        tx.commit().await?;
        summary.endorsement_effects = effects.len() as u64;
    }
    Ok(summary)
}

/// Registrations per transaction of a tick.
const TICK_BATCH: usize = 500;

/// Tick the registrations `ids` whose time has come, in one transaction: how many changed.
async fn tick_batch(db: &Db, ids: &[&str], now: DateTime<Utc>, who: &Who) -> Result<u64, Error> {
    let mut tx = db.begin().await?;
    db::lock(&mut tx, "places", &timestamp(now)).await?;
    // Another process may have ticked one already: nothing due any more.
    let due = |journey: &pas_core::attachment::Journey| journey.next_due().is_some_and(|due| due <= now);
    let changed = crate::journey::apply_where(&mut tx, ids, &JourneyEvent::Tick, now, who, due).await?;
    tx.commit().await?;
    Ok(changed as u64)
}

/// Tick one registration in its own transaction: 1 when it changed.
async fn tick_one(db: &Db, id: &str, now: DateTime<Utc>, who: &Who) -> Result<u64, Error> {
    let mut tx = db.begin().await?;
    db::lock(&mut tx, "places", &timestamp(now)).await?;
    let Some(current) = db::registration(&mut tx, id).await? else {
        return Ok(0);
    };
    if current.parsed_journey()?.next_due().is_none_or(|due| due > now) {
        return Ok(0);
    }
    match crate::journey::journey_event(&mut tx, &current, &JourneyEvent::Tick, now, who).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(1)
        }
        // Changed meanwhile, or nothing due after all: leave it for the next tick.
        Err(Error::Transition(_) | Error::Conflict) => Ok(0),
        Err(e) => Err(e),
    }
}

/// Tick every hour (as `clock` tells the time) until the process ends.
pub async fn hourly(db: Db, clock: SharedClock) {
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        interval.tick().await;
        match tick(&db, clock.now(), &Who::system()).await {
            Ok(s) if s.journeys + s.endorsement_effects > 0 => {
                tracing::info!(
                    journeys = s.journeys,
                    endorsement_effects = s.endorsement_effects,
                    "tick"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "tick failed"),
        }
    }
}

/// When to run the tick as.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TickRequest {
    /// Run as this time (RFC 3339) instead of now — only with `--dev-login`, to demonstrate
    /// lapses and reminders.
    pub now: Option<DateTime<Utc>>,
}

/// Run the timer now (admin).
#[utoipa::path(
    post,
    path = "/api/v1/admin/tick",
    tag = "admin",
    request_body = TickRequest,
    security(("oidc" = [])),
    responses(
        (status = 200, description = "What moved", body = TickSummary),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`now` given without `--dev-login` (`not_dev_login`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn run_tick(
    State(app): State<App>,
    caller: Caller,
    body: Result<super::JsonObject<TickRequest>, Error>,
) -> Result<Json<TickSummary>, Error> {
    let who = caller.admin()?;
    let super::JsonObject(request) = body?;
    let now = match request.now {
        Some(t) if app.auth.is_dev() => t,
        Some(_) => {
            return Err(Error::Rejected(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "not_dev_login",
                "`now` may only be set on a --dev-login server".to_owned(),
            ));
        }
        None => app.clock.now(),
    };
    Ok(Json(tick(&app.db, now, &who).await?))
}
