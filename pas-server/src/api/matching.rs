//! Match runs by coordinators, offers answered by providers or their staff, 98990 attachment
//! claims (DOMAIN §5, §6, §9).
//!
//! Places: a provider's open places net of the places already promised ([`crate::journey`]).
//! Every transaction that creates or answers offers first
//! takes the `places` lock row ([`crate::db::lock`]), so two server processes sharing one
//! PostgreSQL database can never promise one place twice.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use pas_core::attachment::{AttachmentClaim, ClaimInput, Journey, JourneyEvent};
use pas_core::matching::{self, MatchOptions, report::MatchReport};
use pas_core::provider::Provider;
use pas_core::region::PROVINCE;
use pas_core::{ProviderId, RegistrationId, RegistrationInput};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use utoipa::{IntoParams, ToSchema};

use super::{App, Caller, Scope, acting_for, internal, new_id, timestamp};
use crate::db::{self, StoredRegistration};
use crate::effects;
use crate::error::{Error, Problem};
use crate::journey::{journey_event, promised};

/// Options of a match run.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RunRequest {
    /// Reference date (ISO; default today).
    pub as_of: Option<NaiveDate>,
    /// Tie-break seed (default 0), 0 to 2^64 − 1.
    #[schema(value_type = Option<u64>, format = "uint64", minimum = 0, maximum = 18446744073709551615_u64)]
    pub seed: Option<u64>,
}

/// A match run's outcome.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunSummary {
    /// Run id.
    pub run_id: String,
    /// When (RFC 3339 UTC).
    pub created_at: String,
    /// Reference date.
    pub as_of: NaiveDate,
    /// Seed.
    #[schema(value_type = u64, format = "uint64", minimum = 0, maximum = 18446744073709551615_u64)]
    pub seed: u64,
    /// Offers made.
    pub offers: u64,
    /// Whether the independent verifier found the run fair (DOMAIN §6).
    pub fair: bool,
    /// The health-authority region the run covered, or `province`.
    pub region: String,
    /// pas-core's §6 report (counts, envy, waste, breakdowns by tier and community).
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
}

/// The providers a match may use now, with places net of promises.
pub(crate) async fn match_providers(tx: &mut AnyConnection) -> Result<Vec<Provider>, Error> {
    match_providers_where(tx, |_| true).await
}

/// The providers a match may use now that `keep` keeps, with places net of promises.
async fn match_providers_where(
    tx: &mut AnyConnection,
    keep: impl Fn(&Provider) -> bool,
) -> Result<Vec<Provider>, Error> {
    let promised = promised(tx, None).await?;
    let rows = sqlx::query("SELECT provider_id, profile, capacity FROM providers WHERE capacity IS NOT NULL")
        .fetch_all(&mut *tx)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get(0)?;
        let profile: String = r.try_get(1)?;
        let capacity: Option<String> = r.try_get(2)?;
        let Some(capacity) = capacity else { continue };
        let input = super::providers::provider_input(&id, &profile).map_err(internal)?;
        let capacity = super::providers::capacity_of(&id, &capacity).map_err(internal)?;
        let Ok(mut p) = Provider::validate(&input) else {
            tracing::warn!(provider_id = %id, "stored provider profile no longer valid; left out of the run");
            continue;
        };
        if !keep(&p) {
            continue;
        }
        capacity.apply_to(&mut p);
        p.open_places = p.open_places.saturating_sub(promised.get(&id).copied().unwrap_or(0));
        out.push(p);
    }
    Ok(out)
}

/// Start a match run (DOMAIN §5): every waiting registration against every provider's open
/// places — in the coordinator's health-authority region (their token's `pas_region`; both the
/// patient's and the provider's postal code must be in it), or province-wide; each matched
/// registration is offered to its provider (§9), the §6 report stored.
#[utoipa::path(
    post,
    path = "/api/v1/match-runs",
    tag = "matching",
    request_body = RunRequest,
    security(("oidc" = [])),
    responses(
        (status = 201, description = "Run done, offers made", body = RunSummary),
        (status = 401, description = "Not logged in, invalid token, or no MFA (`mfa_required`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator (`forbidden`), or a coordinator without a known region (`region_required`, `unknown_region`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_run(
    State(app): State<App>,
    caller: Caller,
    body: Result<super::JsonObject<RunRequest>, Error>,
) -> Result<(StatusCode, Json<RunSummary>), Error> {
    let regions = &app.settings.regions;
    let (who, scope) = caller.coordinator(regions)?;
    let super::JsonObject(request) = body?;
    let now = app.clock.now();
    let as_of = request.as_of.unwrap_or_else(|| now.date_naive());
    let seed = request.seed.unwrap_or(0);
    let at = timestamp(now);
    let mut tx = app.db.begin().await?;
    db::lock(&mut tx, "places", &at).await?;
    let started = std::time::Instant::now();
    let providers = match_providers_where(&mut tx, |p| scope.covers(regions, &p.postal_code)).await?;
    let mut registrations = Vec::new();
    let mut excluded: HashMap<RegistrationId, Vec<ProviderId>> = HashMap::new();
    // Each waiting registration's journey, for the offers, beside it (every one read is in
    // `waiting`: that is its stored status).
    let mut journeys: Vec<Journey> = Vec::new();
    app.db.validated_registrations(&mut tx, db::Which::Waiting, as_of, |mut v| {
        match v.registration.take() {
            Some(r) if !scope.covers(regions, &r.postal_code) => {}
            Some(r) => {
                if !v.journey.excluded_providers().is_empty() {
                    excluded.insert(r.registration_id.clone(), v.journey.excluded_providers().to_vec());
                }
                registrations.push(r);
                journeys.push(v.journey);
            }
            None => {
                tracing::warn!(registration_id = %v.registration_id, "stored registration no longer valid; left out")
            }
        }
    })
    .await?;
    let read = started.elapsed();
    let options = MatchOptions { seed, as_of };
    let (rows, report) = {
        let mut problem = matching::prepare(&registrations, &providers, &options);
        problem.exclude(|id| excluded.get(id).map_or(&[][..], Vec::as_slice));
        let assignment = matching::assign(&problem);
        let rows = assignment.rows(&problem);
        let report = matching::report::report(&problem, &rows);
        let rows: Vec<(String, String)> = rows
            .iter()
            .filter_map(|r| r.provider_id.map(|p| (r.registration_id.to_string(), p.to_string())))
            .collect();
        (rows, report)
    };
    let matched = started.elapsed() - read;
    let run_id = new_id();
    let report_json = serde_json::to_value(&report).map_err(internal)?;
    sqlx::query(
        "INSERT INTO match_runs (run_id, started_by, created_at, as_of, seed, offers, fair, report, region) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&run_id)
    .bind(&who.actor)
    .bind(&at)
    .bind(as_of.to_string())
    .bind(i64::try_from(seed).unwrap_or(i64::MAX))
    .bind(i64::try_from(rows.len()).unwrap_or(i64::MAX))
    .bind(i64::from(report.is_fair()))
    .bind(report_json.to_string())
    .bind(scope.name())
    .execute(&mut *tx)
    .await?;
    // Every offer of the run: the journeys, their effects and the offer rows, batched.
    let index: HashMap<&str, usize> = registrations
        .iter()
        .enumerate()
        .map(|(i, r)| (r.registration_id.as_str(), i))
        .collect();
    let mut events = Vec::with_capacity(rows.len());
    for (registration_id, provider_id) in &rows {
        let Some(journey) = index.get(registration_id.as_str()).and_then(|&i| journeys.get(i)) else {
            continue;
        };
        let provider = ProviderId::parse(provider_id).map_err(internal)?;
        let current = crate::journey::Current {
            registration_id,
            status: pas_core::registration::Status::Waiting.code(),
            journey,
        };
        events.push((current, JourneyEvent::Offer { provider }));
    }
    crate::journey::journey_events(&mut tx, &events, now, &who).await?;
    db::insert_offers(&mut tx, &run_id, &rows, &at, || uuid::Uuid::now_v7().to_string()).await?;
    effects::audit(
        &mut tx,
        &who,
        now,
        "match_run",
        &format!("match run {run_id}"),
        &json!({ "as_of": as_of, "seed": seed, "offers": rows.len(), "fair": report.is_fair(), "region": scope.name() }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        run_id,
        offers = rows.len(),
        fair = report.is_fair(),
        region = scope.name(),
        read_ms = read.as_millis(),
        match_ms = matched.as_millis(),
        write_ms = (started.elapsed() - read - matched).as_millis(),
        "match run"
    );
    Ok((
        StatusCode::CREATED,
        Json(RunSummary {
            run_id,
            created_at: at,
            as_of,
            seed,
            offers: rows.len() as u64,
            fair: report.is_fair(),
            region: scope.name().to_owned(),
            report: report_json,
        }),
    ))
}

/// Read a match run and its §6 report.
#[utoipa::path(
    get,
    path = "/api/v1/match-runs/{id}",
    tag = "matching",
    params(("id" = String, Path, description = "Run id, or `latest` (the latest run the caller may see)")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "The run", body = RunSummary),
        (status = 403, description = "Not a coordinator, or no known region", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such run (or another region's)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_run(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<RunSummary>, Error> {
    let (_, scope) = caller.coordinator(&app.settings.regions)?;
    run(&app, &id, &scope)
        .await?
        .ok_or(Error::Missing("match run"))
        .map(Json)
}

/// A run by id, or the latest with `latest`, if `scope` sees it (another region's run reads as
/// missing, so its existence is not told).
pub async fn run(app: &App, id: &str, scope: &Scope) -> Result<Option<RunSummary>, Error> {
    let sql = "SELECT run_id, created_at, as_of, seed, offers, fair, report, region FROM match_runs";
    let row = if id == "latest" {
        sqlx::query(&format!(
            "{sql} WHERE ($1 = '{PROVINCE}' OR region = $1) ORDER BY created_at DESC, run_id LIMIT 1"
        ))
        .bind(scope.name())
        .fetch_optional(app.db.pool())
        .await?
    } else {
        sqlx::query(&format!("{sql} WHERE run_id = $1"))
            .bind(id)
            .fetch_optional(app.db.pool())
            .await?
    };
    let Some(r) = row else { return Ok(None) };
    let region: String = r.try_get(7)?;
    if !scope.sees_run(&region) {
        return Ok(None);
    }
    let as_of: String = r.try_get(2)?;
    let report: String = r.try_get(6)?;
    Ok(Some(RunSummary {
        run_id: r.try_get(0)?,
        created_at: r.try_get(1)?,
        as_of: as_of.parse().map_err(internal)?,
        seed: u64::try_from(r.try_get::<i64, _>(3)?).unwrap_or(0),
        offers: u64::try_from(r.try_get::<i64, _>(4)?).unwrap_or(0),
        fair: r.try_get::<i64, _>(5)? != 0,
        region,
        report: serde_json::from_str(&report).map_err(internal)?,
    }))
}

/// The stored §6 report of a run, typed.
pub fn typed_report(summary: &RunSummary) -> Option<MatchReport> {
    serde_json::from_value(summary.report.clone()).ok()
}

/// An offer as the provider's office sees it: who the patient is and how to reach them.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferView {
    /// Offer id.
    pub offer_id: String,
    /// `open` or `accepted`.
    pub state: String,
    /// When offered (RFC 3339 UTC).
    pub offered_at: String,
    /// Registration id.
    pub registration_id: String,
    /// Household id (members of one household are offered together).
    pub household_id: String,
    /// Given name.
    pub given_name: String,
    /// Family name.
    pub family_name: String,
    /// ISO birth date.
    pub birth_date: String,
    /// Contact phone.
    pub phone: String,
    /// Contact e-mail.
    pub email: String,
    /// Preferred language.
    pub language: String,
    /// Needs a translator.
    pub translator_needed: String,
    /// Health needs (DOMAIN §4 codes, `;`-separated).
    pub needs: String,
}

/// Which offers to list.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct OfferFilter {
    /// `open` (default), `accepted` or `all` (open and accepted).
    pub state: Option<String>,
}

/// The offers waiting for a provider's answer (or accepted, waiting for the first visit).
#[utoipa::path(
    get,
    path = "/api/v1/providers/{id}/offers",
    tag = "matching",
    params(("id" = String, Path, description = "MSP practitioner number"), OfferFilter),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Offers", body = [OfferView]),
        (status = 403, description = "Not this provider, nor staff endorsed by them (`no_active_endorsement`, `standing_not_good`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_offers(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(filter): Query<OfferFilter>,
) -> Result<Json<Vec<OfferView>>, Error> {
    let who = acting_for(&app, &caller, &id).await?;
    let states = match filter.state.as_deref().unwrap_or("open") {
        "open" => "('open')",
        "accepted" => "('accepted')",
        "all" => "('open', 'accepted')",
        _ => {
            return Err(Error::Rejected(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_filter",
                "state must be open, accepted or all".to_owned(),
            ));
        }
    };
    let rows = sqlx::query(&format!(
        "SELECT o.offer_id, o.state, o.created_at, r.registration_id, r.household_id, r.record \
         FROM offers o JOIN registrations r ON r.registration_id = o.registration_id \
         WHERE o.provider_id = $1 AND o.state IN {states} ORDER BY o.created_at, r.household_id, r.registration_id"
    ))
    .bind(&id)
    .fetch_all(app.db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let record: String = r.try_get(5)?;
        let input: RegistrationInput = serde_json::from_str(&record).map_err(internal)?;
        out.push(OfferView {
            offer_id: r.try_get(0)?,
            state: r.try_get(1)?,
            offered_at: r.try_get(2)?,
            registration_id: r.try_get(3)?,
            household_id: r.try_get(4)?,
            given_name: input.given_name,
            family_name: input.family_name,
            birth_date: input.birth_date,
            phone: input.phone,
            email: input.email,
            language: input.language,
            translator_needed: input.translator_needed,
            needs: input.needs,
        });
    }
    // The list shows names, birth dates, contact and needs: the read is audited.
    let registrations: Vec<&str> = out.iter().map(|o| o.registration_id.as_str()).collect();
    effects::audit_read(
        &app.db,
        &who,
        app.clock.now(),
        &format!("provider {id} offers"),
        &serde_json::json!({ "registrations": registrations }),
    )
    .await?;
    Ok(Json(out))
}

/// An offer after an answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OfferAnswered {
    /// Offer id.
    pub offer_id: String,
    /// The offer's state now.
    pub state: String,
    /// The registration's journey status now.
    pub registration_status: String,
}

async fn answer(app: &App, caller: &Caller, offer_id: &str, accept: bool) -> Result<Json<OfferAnswered>, Error> {
    let offer = sqlx::query("SELECT registration_id, provider_id, state FROM offers WHERE offer_id = $1")
        .bind(offer_id)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or(Error::Missing("offer"))?;
    let registration_id: String = offer.try_get(0)?;
    let provider_id: String = offer.try_get(1)?;
    let who = acting_for(app, caller, &provider_id).await?;
    let provider = ProviderId::parse(&provider_id).map_err(internal)?;
    let event = if accept {
        JourneyEvent::ProviderAccept { provider }
    } else {
        JourneyEvent::ProviderDecline { provider }
    };
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    db::lock(&mut tx, "places", &timestamp(now)).await?;
    let state: String = sqlx::query_scalar("SELECT state FROM offers WHERE offer_id = $1")
        .bind(offer_id)
        .fetch_one(&mut *tx)
        .await?;
    if state != "open" {
        return Err(Error::Rejected(
            StatusCode::CONFLICT,
            "offer_closed",
            format!("this offer is {state}, not open"),
        ));
    }
    let stored = db::registration(&mut tx, &registration_id)
        .await?
        .ok_or(Error::Missing("registration"))?;
    let updated = journey_event(&mut tx, &stored, &event, now, &who).await?;
    let state: String = sqlx::query_scalar("SELECT state FROM offers WHERE offer_id = $1")
        .bind(offer_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    tracing::info!(offer_id, state, "offer answered");
    Ok(Json(OfferAnswered {
        offer_id: offer_id.to_owned(),
        state,
        registration_status: updated.status,
    }))
}

/// The provider (or staff acting for them) accepts an offer (DOMAIN §9 `offered → accepted`).
#[utoipa::path(
    post,
    path = "/api/v1/offers/{id}/accept",
    tag = "matching",
    params(("id" = String, Path, description = "Offer id")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Accepted", body = OfferAnswered),
        (status = 403, description = "Not this offer's provider nor their endorsed staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The offer is no longer open (`offer_closed`, `invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn accept_offer(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OfferAnswered>, Error> {
    answer(&app, &caller, &id, true).await
}

/// The provider (or staff acting for them) declines an offer (DOMAIN §9: the patient waits
/// again with their date; this provider is not offered them again).
#[utoipa::path(
    post,
    path = "/api/v1/offers/{id}/decline",
    tag = "matching",
    params(("id" = String, Path, description = "Offer id")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Declined", body = OfferAnswered),
        (status = 403, description = "Not this offer's provider nor their endorsed staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such offer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The offer is no longer open", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decline_offer(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OfferAnswered>, Error> {
    answer(&app, &caller, &id, false).await
}

/// A 98990 attachment claim (MSP): the patient is attached to the practitioner.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimRequest {
    /// The patient's PHN.
    pub phn: String,
    /// The claiming practitioner's MSP number.
    pub practitioner_number: String,
    /// MSP fee code; must be `98990`.
    pub fee_code: String,
    /// ISO date of service.
    pub service_date: String,
}

/// The outcome of a claim.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClaimOutcome {
    /// The registration the claim attached.
    pub registration_id: String,
    /// Its status now (`attached`).
    pub status: String,
}

/// Record a 98990 attachment claim (DOMAIN §9 `accepted → attached`). Sent by the MSP feed
/// (admin: any `accepted` registration of the PHN, MSP billing being the evidence) or by the
/// practitioner's office, only for a registration this practitioner has accepted. To an office
/// every other case — no registration, one that waits, one accepted by someone else — is the
/// same `404 no_claimable_registration`, so a claim does not tell who is on the list.
#[utoipa::path(
    post,
    path = "/api/v1/claims",
    tag = "matching",
    request_body = ClaimRequest,
    security(("oidc" = [])),
    responses(
        (status = 201, description = "Attached", body = ClaimOutcome),
        (status = 403, description = "Neither admin nor this practitioner's office", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No registration of this PHN accepted by this practitioner (`no_claimable_registration`; for the MSP feed: no active registration)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "MSP feed: the registration is not in `accepted` (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is invalid (`validation_failed`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn claim(
    State(app): State<App>,
    caller: Caller,
    body: Result<super::JsonObject<ClaimRequest>, Error>,
) -> Result<(StatusCode, Json<ClaimOutcome>), Error> {
    let super::JsonObject(c) = body?;
    let now = app.clock.now();
    let input = ClaimInput {
        phn: c.phn,
        practitioner_number: c.practitioner_number,
        fee_code: c.fee_code,
        service_date: c.service_date,
    };
    let AttachmentClaim { phn, practitioner, .. } =
        AttachmentClaim::validate(&input, now.date_naive()).map_err(Error::Validation)?;
    let feed = caller.has_role("admin");
    let who = if feed {
        caller.who("admin")
    } else {
        acting_for(&app, &caller, practitioner.as_str()).await?
    };
    let not_claimable = || {
        Error::Rejected(
            StatusCode::NOT_FOUND,
            "no_claimable_registration",
            "no registration of this PHN is accepted by this practitioner".to_owned(),
        )
    };
    let mut tx = app.db.begin().await?;
    db::lock(&mut tx, "places", &timestamp(now)).await?;
    let id = match db::active_registration_for(&mut tx, &phn.to_string()).await? {
        Some(id) => id,
        None if feed => return Err(Error::Missing("active registration for this PHN")),
        None => return Err(not_claimable()),
    };
    let stored = db::registration(&mut tx, &id)
        .await?
        .ok_or(Error::Missing("registration"))?;
    if !feed {
        let journey = stored.parsed_journey()?;
        let accepted_here = matches!(journey.state(), pas_core::attachment::JourneyState::Accepted { .. })
            && journey
                .state()
                .provider()
                .is_some_and(|p| p.as_str() == practitioner.as_str());
        if !accepted_here {
            return Err(not_claimable());
        }
    }
    let updated = journey_event(
        &mut tx,
        &stored,
        &JourneyEvent::AttachmentClaim { practitioner },
        now,
        &who,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(ClaimOutcome {
            registration_id: updated.registration_id,
            status: updated.status,
        }),
    ))
}

/// A registration as a coordinator sees it: no names, PHN or birth date.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistrationRow {
    /// Registration id.
    pub registration_id: String,
    /// Household id.
    pub household_id: String,
    /// Journey status.
    pub status: String,
    /// Queue date (RFC 3339 UTC).
    pub registered_at: String,
    /// Community or FSA.
    pub community: String,
}

/// Which registrations to list.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct RegistrationFilter {
    /// Only this status.
    pub status: Option<String>,
    /// At most this many (1–1000, default 100).
    #[serde(deserialize_with = "super::limit_in_range")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// After this registration id (paging).
    pub after: Option<String>,
}

/// Registrations for coordinators (DOMAIN §11), without PHI: those whose postal code is in the
/// coordinator's region (all for a provincial coordinator or an admin).
#[utoipa::path(
    get,
    path = "/api/v1/registrations",
    tag = "matching",
    params(RegistrationFilter),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Registrations, by id", body = [RegistrationRow]),
        (status = 403, description = "Not a coordinator, or no known region", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn registrations(
    State(app): State<App>,
    caller: Caller,
    Query(filter): Query<RegistrationFilter>,
) -> Result<Json<Vec<RegistrationRow>>, Error> {
    let regions = &app.settings.regions;
    let (_, scope) = caller.coordinator(regions)?;
    let limit = super::page_limit(filter.limit);
    let status = filter.status.unwrap_or_default();
    let mut after = filter.after.unwrap_or_default();
    let as_of = app.clock.now().date_naive();
    let mut out = Vec::new();
    // A region's rows are found by reading pages in id order and keeping those in scope (the
    // region follows from the postal code inside the stored input), until `limit` are kept.
    loop {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM registrations WHERE ($1 = '' OR status = $1) AND registration_id > $2 \
             ORDER BY registration_id LIMIT $3",
            db::REGISTRATION_COLUMNS
        ))
        .bind(&status)
        .bind(&after)
        .bind(limit)
        .fetch_all(app.db.pool())
        .await?;
        let full_page = rows.len() as i64 == limit;
        for row in &rows {
            let stored = StoredRegistration::from_row(row)?;
            after.clone_from(&stored.registration_id);
            let (journey, registration) = stored.validated(as_of)?;
            // A registration no longer valid has no known region: provincial scope only.
            let in_scope = scope == Scope::Province
                || registration
                    .as_ref()
                    .is_some_and(|r| scope.covers(regions, &r.postal_code));
            if !in_scope {
                continue;
            }
            out.push(RegistrationRow {
                community: registration
                    .map(|r| r.community_or_fsa().to_owned())
                    .unwrap_or_default(),
                registered_at: timestamp(journey.registered_at()),
                registration_id: stored.registration_id,
                household_id: stored.household_id,
                status: stored.status,
            });
            if out.len() as i64 == limit {
                return Ok(Json(out));
            }
        }
        if !full_page {
            break;
        }
    }
    Ok(Json(out))
}
