//! Public statistics (aggregates of ≥ 10 persons only, with complementary suppression, DOMAIN
//! §11: pas-core's `disclosure`) and the admin views: outbox, audit trail, party standing, and
//! running the daily timer on demand.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::ToSchema;

use super::{App, Caller, Page, internal, timestamp};
use crate::effects;
use crate::error::{Error, Problem};

use pas_core::dashboard::public_run;

/// Figures about the last match run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunFigures {
    /// The health-authority region the run covered, or `province`.
    pub region: String,
    /// When (RFC 3339 UTC).
    pub created_at: String,
    /// Reference date.
    pub as_of: String,
    /// The independent verifier found no justified envy, split family, waste or overfill.
    pub fair: bool,
    /// Persons in the run (`null` when suppressed: under 10, or to protect another figure).
    pub persons: Option<u64>,
    /// Persons matched (`null` when suppressed; the unmatched are protected too).
    pub matched_persons: Option<u64>,
    /// matched / persons, only when both are shown.
    pub match_rate: Option<f64>,
    /// Justified-envy pairs (0 in a fair run).
    pub justified_envy_pairs: u64,
    /// Places left empty that someone unmatched could have taken (0 in a fair run).
    pub wasted_places: u64,
    /// Tiers 1–3, each present: `tier`, `persons`, `matched`, `match_rate` (only when both
    /// counts are shown) and `median_wait_days` of the matched (only when `matched` is shown);
    /// suppressed figures are `null`.
    #[schema(value_type = Vec<Object>)]
    pub by_tier: Vec<serde_json::Value>,
}

/// Public statistics (recomputed at most once per `--public-cache-secs`). Registrations by
/// status and waiting by tier are suppressed in one table with the dashboard's figures (they
/// are the same snapshot), so that no difference between the two pages reveals a small group.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    /// When computed (RFC 3339 UTC).
    pub computed_at: String,
    /// Registrations per journey status (`null` when suppressed: under 10, 0 included, or to
    /// protect another figure).
    pub by_status: BTreeMap<String, Option<u64>>,
    /// Waiting persons per priority tier (`1`–`3`; `null` when suppressed).
    pub waiting_by_tier: BTreeMap<String, Option<u64>>,
    /// Providers accepting new patients (with capacity set and accepting).
    pub accepting_providers: u64,
    /// Match runs so far.
    pub match_runs: u64,
    /// The last run, if any.
    pub last_run: Option<RunFigures>,
}

/// Aggregated statistics for the public dashboard (no login; groups under 10 suppressed).
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    tag = "admin",
    responses((status = 200, description = "Aggregates", body = Stats))
)]
pub async fn stats(State(app): State<App>) -> Result<Json<Arc<Stats>>, Error> {
    Ok(Json(app.public.stats.get_or_try(|| compute_stats(&app)).await?))
}

async fn compute_stats(app: &App) -> Result<Stats, Error> {
    let pool = app.db.pool();
    // The dashboard's snapshot: its table holds these figures too.
    let view = super::dashboard::cached(app).await?;
    let by_status = view.registrations.by_status.clone();
    let waiting_by_tier = view.registrations.waiting_by_tier.clone();
    let mut accepting = 0u64;
    for r in sqlx::query("SELECT provider_id, capacity FROM providers WHERE capacity IS NOT NULL")
        .fetch_all(pool)
        .await?
    {
        let id: String = r.try_get(0)?;
        let c: String = r.try_get(1)?;
        if super::providers::capacity_of(&id, &c).is_ok_and(|c| c.open_places() > 0) {
            accepting += 1;
        }
    }
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM match_runs")
        .fetch_one(pool)
        .await?;
    let last_run = match super::matching::run(app, "latest", &super::Scope::Province).await? {
        Some(run) => {
            let report = super::matching::typed_report(&run).ok_or_else(|| internal("stored report"))?;
            let public = public_run(&report);
            Some(RunFigures {
                created_at: run.created_at.clone(),
                region: run.region.clone(),
                as_of: run.as_of.to_string(),
                fair: run.fair,
                persons: public.persons,
                matched_persons: public.matched_persons,
                match_rate: public.match_rate,
                justified_envy_pairs: report.justified_envy_pairs,
                wasted_places: report.wasted_places,
                by_tier: public
                    .by_tier
                    .iter()
                    .map(|b| {
                        json!({
                            "tier": b.tier,
                            "persons": b.persons,
                            "matched": b.matched,
                            "match_rate": b.match_rate,
                            "median_wait_days": b.median_wait_days,
                        })
                    })
                    .collect(),
            })
        }
        None => None,
    };
    Ok(Stats {
        computed_at: timestamp(app.clock.now()),
        by_status,
        waiting_by_tier,
        accepting_providers: accepting,
        match_runs: u64::try_from(runs).unwrap_or(0),
        last_run,
    })
}

/// One outbox message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OutboxRow {
    /// Sequence number.
    pub id: i64,
    /// Queued (RFC 3339 UTC).
    pub created_at: String,
    /// `email` or `sms`.
    pub channel: String,
    /// pas-core template code.
    pub template: String,
    /// Recipient by identifier (`{"kind": "party", "id": …}`), never an address of a patient.
    #[schema(value_type = Object)]
    pub recipient: serde_json::Value,
    /// Whether the message carries a link (an endorsement invitation's one-time token, a
    /// household's link). The link itself is never shown: it is a credential of its recipient,
    /// and it is erased once the message is sent.
    pub has_link: bool,
    /// `pending`, `sending`, `sent` or `failed`.
    pub state: String,
    /// Delivery attempts.
    pub attempts: i64,
    /// The last delivery error.
    pub last_error: Option<String>,
}

/// Messages queued by the state machines (admin). Without SMTP configured they stay
/// `pending` here.
#[utoipa::path(
    get,
    path = "/api/v1/admin/outbox",
    tag = "admin",
    params(Page),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Messages, oldest first", body = [OutboxRow]),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn outbox(
    State(app): State<App>,
    caller: Caller,
    Query(page): Query<Page>,
) -> Result<Json<Vec<OutboxRow>>, Error> {
    caller.admin()?;
    Ok(Json(
        outbox_rows(&app, page.after.unwrap_or(0), page.limit())
            .await?
            .into_iter()
            .map(|(row, _)| row)
            .collect(),
    ))
}

/// Outbox rows after `after`, with the links they carry (for the `--dev-login` demo mailbox
/// only; admins get the rows alone).
pub async fn outbox_rows(app: &App, after: i64, limit: i64) -> Result<Vec<(OutboxRow, Option<String>)>, Error> {
    let rows = sqlx::query(
        "SELECT id, created_at, channel, template, recipient, link, state, attempts, last_error FROM outbox \
         WHERE id > $1 ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(app.db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let recipient: String = r.try_get(4)?;
        let link: Option<String> = r.try_get(5)?;
        out.push((
            OutboxRow {
                id: r.try_get(0)?,
                created_at: r.try_get(1)?,
                channel: r.try_get(2)?,
                template: r.try_get(3)?,
                recipient: serde_json::from_str(&recipient).map_err(internal)?,
                has_link: link.is_some(),
                state: r.try_get(6)?,
                attempts: r.try_get(7)?,
                last_error: r.try_get(8)?,
            },
            link,
        ));
    }
    Ok(out)
}

/// One audit row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Who: `party:{BC Provider ID}`, `patient` or `system`.
    pub actor: String,
    /// The role they acted in.
    pub role: String,
    /// What (`register`, `offer`, `provider_accept`, `update`, `approve`, …).
    pub action: String,
    /// The record (`registration …`, `clinic …`, `endorsement request #1`).
    pub subject: String,
    /// State before/after and changed field names (codes and ids only).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// The client address the request came from (empty for PAS's own timer).
    pub source: String,
    /// SHA-256 chaining this row to the one before (`pas audit verify`).
    pub hash: String,
}

/// Which audit rows to read.
#[derive(Debug, Default, Deserialize, Serialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Rows about this record only (`registration R1`, `party dev-physician`, …).
    pub subject: Option<String>,
    /// Rows by this actor only (`party:{BC Provider ID}`, `patient`, `system`).
    pub actor: Option<String>,
    /// Rows to return (1–1000, default 100).
    #[serde(deserialize_with = "super::limit_in_range")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Return rows after this id.
    pub after: Option<i64>,
}

/// The audit trail (admin), by subject and actor when given.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    params(AuditFilter),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Audit rows, oldest first", body = [AuditRow]),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn audit_trail(
    State(app): State<App>,
    caller: Caller,
    Query(filter): Query<AuditFilter>,
) -> Result<Json<Vec<AuditRow>>, Error> {
    caller.admin()?;
    let rows = sqlx::query(
        "SELECT id, at, actor, role, action, subject, detail, source, hash FROM audit WHERE id > $1 \
         AND ($2 = '' OR subject = $2) AND ($3 = '' OR actor = $3) ORDER BY id LIMIT $4",
    )
    .bind(filter.after.unwrap_or(0))
    .bind(filter.subject.clone().unwrap_or_default())
    .bind(filter.actor.clone().unwrap_or_default())
    .bind(super::page_limit(filter.limit))
    .fetch_all(app.db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let detail: String = r.try_get(6)?;
        out.push(AuditRow {
            id: r.try_get(0)?,
            at: r.try_get(1)?,
            actor: r.try_get(2)?,
            role: r.try_get(3)?,
            action: r.try_get(4)?,
            subject: r.try_get(5)?,
            detail: serde_json::from_str(&detail).map_err(internal)?,
            source: r.try_get(7)?,
            hash: r.try_get(8)?,
        });
    }
    Ok(Json(out))
}

/// A college's standing for a licensed party.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct StandingRequest {
    /// `good` or `not_good`.
    pub standing: String,
}

/// Record a licensed party's standing (admin; a college feed). §10: a standing that is not
/// good suspends their staff's access at once, without touching any endorsement; the next login
/// with a token that says otherwise updates it again.
#[utoipa::path(
    put,
    path = "/api/v1/admin/parties/{id}/standing",
    tag = "admin",
    params(("id" = String, Path, description = "BC Provider ID")),
    request_body = StandingRequest,
    security(("oidc" = [])),
    responses(
        (status = 204, description = "Recorded"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such licensed party", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not `good` or `not_good`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_standing(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<Json<StandingRequest>, JsonRejection>,
) -> Result<axum::http::StatusCode, Error> {
    let who = caller.admin()?;
    let Json(request) = body?;
    if !matches!(request.standing.as_str(), "good" | "not_good") {
        return Err(Error::Rejected(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_standing",
            "standing must be good or not_good".to_owned(),
        ));
    }
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let done = sqlx::query("UPDATE parties SET standing = $1, updated_at = $2 WHERE party_id = $3 AND licensed = 1")
        .bind(&request.standing)
        .bind(timestamp(now))
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::Missing("licensed party"));
    }
    effects::audit(
        &mut tx,
        &who,
        now,
        "standing",
        &format!("party {id}"),
        &json!({ "to": request.standing }),
    )
    .await?;
    tx.commit().await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
