//! The coordinators' review of panel rows that did not match the registry (DOMAIN §8): a row
//! whose PHN the registry holds with another birth date or family name never attaches at upload,
//! and its uploader is told neither the field nor the record. It lands here, where a
//! coordinator of the registration's region attaches it to the uploading practitioner or
//! dismisses it; both are audited.

use axum::Json;
use axum::extract::{Path, Query, State};
use pas_core::PractitionerNumber;
use pas_core::attachment::JourneyEvent;
use pas_core::panel::Mismatch;
use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};
use utoipa::{IntoParams, ToSchema};

use super::{App, Caller, JsonObject, timestamp};
use crate::db;
use crate::effects;
use crate::error::{Error, Problem};

/// Queue the mismatches of one upload for review.
pub async fn queue(
    conn: &mut AnyConnection,
    report_id: &str,
    provider_id: &str,
    mismatches: &[Mismatch],
    at: &str,
) -> Result<(), Error> {
    for m in mismatches {
        let location = match &m.at {
            pas_core::panel::Location::Line { line } => format!("line {line}"),
            pas_core::panel::Location::Entry { entry, pointer } => format!("entry {entry} ({pointer})"),
        };
        sqlx::query(
            "INSERT INTO panel_reviews (report_id, provider_id, registration_id, location, fields, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6)",
        )
        .bind(report_id)
        .bind(provider_id)
        .bind(m.registration_id.as_str())
        .bind(location)
        .bind(m.fields.join(";"))
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A panel row to review: which registration, which upload, which fields differed (names, not
/// values).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Review {
    /// Review number.
    pub id: i64,
    /// The panel report the row is from.
    pub report_id: String,
    /// The practitioner whose panel it was.
    pub provider_id: String,
    /// The registration the registry holds for the row's PHN.
    pub registration_id: String,
    /// Where the row is in the file (`line 12`, or a FHIR entry).
    pub location: String,
    /// The fields that differ: `birth_date`, `family_name`.
    pub fields: Vec<String>,
    /// `open`, `attached` or `dismissed`.
    pub state: String,
    /// When it was queued (RFC 3339 UTC).
    pub created_at: String,
}

/// Which reviews to list.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ReviewFilter {
    /// `open` (default), `attached`, `dismissed` or `all`.
    pub state: Option<String>,
    /// At most this many (1–1000, default 100).
    #[serde(deserialize_with = "super::limit_in_range")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// After this review number (paging).
    pub after: Option<i64>,
}

const COLUMNS: &str = "id, report_id, provider_id, registration_id, location, fields, state, created_at";

fn review(r: &sqlx::any::AnyRow) -> Result<Review, Error> {
    let fields: String = r.try_get(5)?;
    Ok(Review {
        id: r.try_get(0)?,
        report_id: r.try_get(1)?,
        provider_id: r.try_get(2)?,
        registration_id: r.try_get(3)?,
        location: r.try_get(4)?,
        fields: fields.split(';').filter(|f| !f.is_empty()).map(str::to_owned).collect(),
        state: r.try_get(6)?,
        created_at: r.try_get(7)?,
    })
}

/// Panel rows waiting for a coordinator (those of registrations in the coordinator's region).
#[utoipa::path(
    get,
    path = "/api/v1/panel-reviews",
    tag = "providers",
    params(ReviewFilter),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Reviews, oldest first", body = Vec<Review>),
        (status = 403, description = "Not a coordinator or admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(app): State<App>,
    caller: Caller,
    Query(filter): Query<ReviewFilter>,
) -> Result<Json<Vec<Review>>, Error> {
    let (_, scope) = caller.coordinator(&app.settings.regions)?;
    let state = filter.state.unwrap_or_else(|| "open".to_owned());
    let limit = super::page_limit(filter.limit);
    let mut conn = app.db.pool().acquire().await?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM panel_reviews WHERE ($1 = 'all' OR state = $1) AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(&state)
    .bind(filter.after.unwrap_or(0))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let item = review(r)?;
        if in_scope(&app, &mut conn, &scope, &item.registration_id).await? {
            out.push(item);
        }
    }
    Ok(Json(out))
}

async fn in_scope(
    app: &App,
    conn: &mut AnyConnection,
    scope: &super::Scope,
    registration_id: &str,
) -> Result<bool, Error> {
    if matches!(scope, super::Scope::Province) {
        return Ok(true);
    }
    let Some(stored) = db::registration(conn, registration_id).await? else {
        return Ok(false);
    };
    let input: pas_core::RegistrationInput =
        serde_json::from_str(&stored.record).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(pas_core::PostalCode::parse(&input.postal_code).is_ok_and(|p| scope.covers(&app.settings.regions, &p)))
}

/// What the coordinator decided.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Resolution {
    /// `attach` (the same person after all: attach to the panel's practitioner) or `dismiss`.
    pub action: String,
}

/// Resolve a review: attach the registration to the panel's practitioner (DOMAIN §9 panel
/// reconciliation, by the coordinator) or dismiss the row. Audited.
#[utoipa::path(
    post,
    path = "/api/v1/panel-reviews/{id}/resolve",
    tag = "providers",
    params(("id" = i64, Path, description = "Review number")),
    request_body = Resolution,
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Resolved", body = Review),
        (status = 403, description = "Not a coordinator of the registration's region, nor admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such review", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already resolved, or the registration can no longer be attached", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`action` is not attach or dismiss (`invalid_action`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn resolve(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<i64>,
    body: Result<JsonObject<Resolution>, Error>,
) -> Result<Json<Review>, Error> {
    let (who, scope) = caller.coordinator(&app.settings.regions)?;
    let JsonObject(resolution) = body?;
    let next = match resolution.action.as_str() {
        "attach" => "attached",
        "dismiss" => "dismissed",
        _ => {
            return Err(Error::Rejected(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_action",
                "action must be attach or dismiss".to_owned(),
            ));
        }
    };
    let now = app.clock.now();
    let at = timestamp(now);
    let mut tx = app.db.begin().await?;
    db::lock(&mut tx, "places", &at).await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM panel_reviews WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::Missing("panel review"))?;
    let item = review(&row)?;
    if !in_scope(&app, &mut tx, &scope, &item.registration_id).await? {
        return Err(Error::Forbidden(
            "out_of_region",
            "this registration is outside your region".to_owned(),
        ));
    }
    if item.state != "open" {
        return Err(Error::Conflict);
    }
    if next == "attached" {
        let practitioner = PractitionerNumber::parse(&item.provider_id).map_err(|e| Error::Internal(e.to_string()))?;
        let stored = db::registration(&mut tx, &item.registration_id)
            .await?
            .ok_or(Error::Missing("registration"))?;
        crate::journey::journey_event(
            &mut tx,
            &stored,
            &JourneyEvent::PanelReconciliation { practitioner },
            now,
            &who,
        )
        .await?;
    }
    let done = sqlx::query(
        "UPDATE panel_reviews SET state = $1, resolved_at = $2, resolved_by = $3 WHERE id = $4 AND state = 'open'",
    )
    .bind(next)
    .bind(&at)
    .bind(&who.actor)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(Error::Conflict);
    }
    effects::audit(
        &mut tx,
        &who,
        now,
        "panel_review",
        &format!("registration {}", item.registration_id),
        &serde_json::json!({ "review": id, "report_id": item.report_id, "provider_id": item.provider_id, "to": next }),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(Review {
        state: next.to_owned(),
        ..item
    }))
}
