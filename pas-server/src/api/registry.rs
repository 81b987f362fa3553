//! Health Connect Registry: households register (public), patients see and change their own
//! household (DOMAIN §2, §9, §11).

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use pas_core::attachment::{Journey, JourneyEvent};
use pas_core::date::parse_iso_date;
use pas_core::{Household, Phn, RegistrationInput};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{App, new_id, text, timestamp};
use crate::db::{self, DbError, StoredRegistration};
use crate::effects::Who;
use crate::error::{Error, Problem};

/// One person of a household, as on the HCR form (DOMAIN §7 fields). The server assigns
/// `registration_id`, `household_id` (the first member's id), `registered_at` (now) and
/// `status` (`waiting`). Every field may be sent as text; booleans and numbers are accepted too.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct MemberInput {
    /// `self` for the first member; `spouse`, `child`, `parent` or `other`.
    #[serde(deserialize_with = "text")]
    #[schema(example = "self")]
    pub relationship: String,
    /// Personal Health Number, 10 digits (spaces allowed).
    #[serde(deserialize_with = "text")]
    #[schema(example = "9698 658 215")]
    pub phn: String,
    /// Given name.
    #[serde(deserialize_with = "text")]
    pub given_name: String,
    /// Family name.
    #[serde(deserialize_with = "text")]
    pub family_name: String,
    /// ISO date, e.g. `1980-05-17`.
    #[serde(deserialize_with = "text")]
    pub birth_date: String,
    /// Canadian postal code.
    #[serde(deserialize_with = "text")]
    #[schema(example = "V8W 1P6")]
    pub postal_code: String,
    /// Community (optional).
    #[serde(deserialize_with = "text")]
    pub community: String,
    /// Latitude in decimal degrees (optional; else the FSA centroid).
    #[serde(deserialize_with = "text")]
    pub latitude: String,
    /// Longitude in decimal degrees (optional).
    #[serde(deserialize_with = "text")]
    pub longitude: String,
    /// `any`, `female` or `male`.
    #[serde(deserialize_with = "text")]
    pub gender_preference: String,
    /// ISO 639 code; blank = `en`.
    #[serde(deserialize_with = "text")]
    pub language: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    pub translator_needed: String,
    /// `5km`, `20km` or `any`.
    #[serde(deserialize_with = "text")]
    pub travel: String,
    /// `;`-separated need codes (DOMAIN §4), may be blank.
    #[serde(deserialize_with = "text")]
    pub needs: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    pub msp_coverage: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    pub has_provider: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    pub provider_leaving: String,
    /// Contact phone (optional).
    #[serde(deserialize_with = "text")]
    pub phone: String,
    /// Contact e-mail (optional).
    #[serde(deserialize_with = "text")]
    pub email: String,
    /// The e-mail again (must match).
    #[serde(deserialize_with = "text")]
    pub email_confirm: String,
}

/// A household to register: the registrant first, then the other members.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct HouseholdRequest {
    /// The members; the first is the registrant.
    pub members: Vec<MemberInput>,
}

/// A stored household.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdCreated {
    /// The household id (the registrant's registration id).
    pub household_id: String,
    /// One entry per member, in request order.
    pub registrations: Vec<MemberSummary>,
    /// A signed token that opens this household's page without PHN and birth date
    /// (`GET /api/v1/households/{id}?token=…`); keep it private.
    pub access_token: String,
    /// When the token stops working (RFC 3339 UTC).
    pub access_expires_at: String,
}

/// A member's registration and what pas-core decided (DOMAIN §3, §4).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberSummary {
    /// The new registration id (keep it: with PHN and birth date it gives access).
    pub registration_id: String,
    /// Relationship to the registrant.
    pub relationship: String,
    /// Journey status (`waiting`).
    pub status: String,
    /// RFC 3339 UTC.
    pub registered_at: String,
    /// Priority tier, 1 (most urgent) to 3.
    pub tier: u8,
    /// Why this tier, in plain language.
    pub tier_explanation: String,
    /// `low`, `medium` or `high`.
    pub complexity: String,
    /// Why this complexity, in plain language.
    pub complexity_explanation: String,
    /// Whether the person may wait for matching (DOMAIN §3).
    pub eligible: bool,
    /// Every failing eligibility reason code.
    pub ineligible_reasons: Vec<String>,
}

/// A patient's proof of access (DOMAIN §11): the household link's token, or PHN and birth
/// date of the registration.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema, IntoParams)]
#[serde(default)]
pub struct PatientProof {
    /// Personal Health Number.
    pub phn: String,
    /// ISO birth date.
    pub birth_date: String,
    /// Or: the household link's token.
    pub token: String,
}

/// A registration's status as the patient sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistrationStatus {
    /// Registration id.
    pub registration_id: String,
    /// Household id.
    pub household_id: String,
    /// Relationship to the registrant.
    pub relationship: String,
    /// Journey status (DOMAIN §9).
    pub status: String,
    /// RFC 3339 UTC: the place in the queue.
    pub registered_at: String,
    /// Priority tier today, 1 to 3.
    pub tier: u8,
    /// Why this tier, in plain language.
    pub tier_explanation: String,
    /// The provider of an offer or acceptance, or the practitioner attached to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// The provider's name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
}

/// A household as its patient sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdStatus {
    /// The household id.
    pub household_id: String,
    /// Every member.
    pub members: Vec<RegistrationStatus>,
}

/// Health check answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// Register a household (DOMAIN §2): every field error at once (422), the duplicate rule (409).
#[utoipa::path(
    post,
    path = "/api/v1/households",
    tag = "registry",
    request_body = HouseholdRequest,
    responses(
        (status = 201, description = "Registered", body = HouseholdCreated),
        (status = 409, description = "A PHN already has a registration that is not closed (`already_registered`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors (`validation_failed`, with every error)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_household(
    State(app): State<App>,
    body: Result<Json<HouseholdRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<HouseholdCreated>), Error> {
    let Json(request) = body?;
    let now = app.clock.now();
    let as_of = now.date_naive();
    let registered_at = timestamp(now);
    let ids: Vec<String> = request.members.iter().map(|_| new_id()).collect();
    let household_id = ids.first().cloned().unwrap_or_default();
    let inputs: Vec<RegistrationInput> = request
        .members
        .into_iter()
        .zip(&ids)
        .map(|(m, id)| RegistrationInput {
            registration_id: id.clone(),
            household_id: household_id.clone(),
            relationship: m.relationship,
            phn: m.phn,
            given_name: m.given_name,
            family_name: m.family_name,
            birth_date: m.birth_date,
            postal_code: m.postal_code,
            community: m.community,
            latitude: m.latitude,
            longitude: m.longitude,
            registered_at: registered_at.clone(),
            status: pas_core::Status::Waiting.code().to_owned(),
            gender_preference: m.gender_preference,
            language: m.language,
            translator_needed: m.translator_needed,
            travel: m.travel,
            needs: m.needs,
            msp_coverage: m.msp_coverage,
            has_provider: m.has_provider,
            provider_leaving: m.provider_leaving,
            phone: m.phone,
            email: m.email,
            email_confirm: m.email_confirm,
        })
        .collect();
    let household = Household::validate(&inputs, as_of).map_err(Error::Validation)?;

    let mut rows = Vec::with_capacity(inputs.len());
    let mut registrations = Vec::with_capacity(inputs.len());
    for (position, (input, reg)) in (0i64..).zip(inputs.iter().zip(&household.members)) {
        let assessment = reg.assess(as_of);
        let eligibility = pas_core::eligibility(reg);
        let journey = Journey::new(reg.registration_id.clone(), reg.registered_at);
        rows.push(StoredRegistration {
            registration_id: reg.registration_id.to_string(),
            household_id: reg.household_id.to_string(),
            phn: reg.phn.to_string(),
            birth_date: NaiveDate::from(reg.birth_date).to_string(),
            status: journey.status().code().to_owned(),
            registered_at: timestamp(reg.registered_at),
            updated_at: registered_at.clone(),
            record: serde_json::to_string(input).map_err(|e| Error::Internal(e.to_string()))?,
            journey: serde_json::to_string(&journey).map_err(|e| Error::Internal(e.to_string()))?,
            position,
        });
        registrations.push(MemberSummary {
            registration_id: reg.registration_id.to_string(),
            relationship: reg.relationship.code().to_owned(),
            status: journey.status().code().to_owned(),
            registered_at: timestamp(reg.registered_at),
            tier: assessment.tier as u8,
            tier_explanation: assessment.tier_rule.explain(),
            complexity: assessment.complexity.code().to_owned(),
            complexity_explanation: assessment.complexity_rule.explain(),
            eligible: eligibility.is_eligible(),
            ineligible_reasons: eligibility.reasons.iter().map(ToString::to_string).collect(),
        });
    }
    let members = rows.len();
    let phns: Vec<String> = rows.iter().map(|r| r.phn.clone()).collect();
    match app.registrar.store(rows).await {
        Ok(()) => {}
        Err(DbError::AlreadyRegistered(_)) => {
            // Name the registration that holds one of the PHNs.
            let mut conn = app.db.pool().acquire().await?;
            for phn in &phns {
                if let Some(existing) = db::active_registration_for(&mut conn, phn).await? {
                    tracing::info!(household_id, existing, "household refused: already_registered");
                    return Err(Error::AlreadyRegistered(existing));
                }
            }
            // The other registration left the list meanwhile: the client may retry.
            return Err(Error::Conflict);
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(household_id, members, "household registered");
    let expires = now + app.settings.link_ttl;
    Ok((
        StatusCode::CREATED,
        Json(HouseholdCreated {
            access_token: app.links.sign(&household_id, expires),
            access_expires_at: timestamp(expires),
            household_id,
            registrations,
        }),
    ))
}

/// The stored registration if the proof opens it; an unknown id and a wrong proof give the
/// same answer (404), so the response does not reveal whether the id exists.
async fn proven(app: &App, id: &str, proof: &PatientProof) -> Result<StoredRegistration, Error> {
    let mut conn = app.db.pool().acquire().await?;
    let stored = db::registration(&mut conn, id).await?.ok_or(Error::NotFound)?;
    if !proof.token.is_empty() {
        return match app.links.verify(&proof.token, app.clock.now()) {
            Some(h) if h == stored.household_id => Ok(stored),
            _ => {
                tracing::info!(registration_id = id, "patient link refused");
                Err(Error::NotFound)
            }
        };
    }
    let phn_ok = Phn::parse(&proof.phn).is_ok_and(|p| p.to_string() == stored.phn);
    let birth_ok =
        parse_iso_date(proof.birth_date.trim()).is_some_and(|d| Some(d) == parse_iso_date(&stored.birth_date));
    if phn_ok && birth_ok {
        Ok(stored)
    } else {
        tracing::info!(registration_id = id, phn = %pas_core::phn::mask(&proof.phn), "patient proof refused");
        Err(Error::NotFound)
    }
}

async fn status_of(app: &App, stored: &StoredRegistration) -> Result<RegistrationStatus, Error> {
    let as_of = app.clock.now().date_naive();
    let (journey, reg) = stored.validated(as_of)?;
    let reg = reg.ok_or_else(|| Error::Internal("stored registration no longer valid".to_owned()))?;
    let assessment = reg.assess(as_of);
    let provider_id = match journey.state() {
        pas_core::attachment::JourneyState::Attached { practitioner } => Some(practitioner.to_string()),
        other => other.provider().map(ToString::to_string),
    };
    let provider_name = match &provider_id {
        Some(p) => super::providers::provider_name(&app.db, p).await?,
        None => None,
    };
    Ok(RegistrationStatus {
        registration_id: stored.registration_id.clone(),
        household_id: stored.household_id.clone(),
        relationship: reg.relationship.code().to_owned(),
        status: stored.status.clone(),
        registered_at: timestamp(journey.registered_at()),
        tier: assessment.tier as u8,
        tier_explanation: assessment.tier_rule.explain(),
        provider_id,
        provider_name,
    })
}

/// A patient looks up their registration (DOMAIN §11: registration id + PHN + birth date, or
/// the household link's token).
#[utoipa::path(
    get,
    path = "/api/v1/registrations/{id}/status",
    tag = "registry",
    params(("id" = String, Path, description = "Registration id"), PatientProof),
    responses(
        (status = 200, description = "The registration's status and tier", body = RegistrationStatus),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn registration_status(
    State(app): State<App>,
    Path(id): Path<String>,
    proof: Result<Query<PatientProof>, QueryRejection>,
) -> Result<Json<RegistrationStatus>, Error> {
    let Query(proof) = proof.map_err(|_| Error::NotFound)?;
    let stored = proven(&app, &id, &proof).await?;
    Ok(Json(status_of(&app, &stored).await?))
}

/// The link's token, for the household page.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema, IntoParams)]
#[serde(default)]
pub struct LinkToken {
    /// The household link's token.
    pub token: String,
}

/// A patient opens their household with the signed link (DOMAIN §11).
#[utoipa::path(
    get,
    path = "/api/v1/households/{id}",
    tag = "registry",
    params(("id" = String, Path, description = "Household id"), LinkToken),
    responses(
        (status = 200, description = "Every member's status", body = HouseholdStatus),
        (status = 404, description = "Unknown household, or a token that is forged, expired or for another household", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn household(
    State(app): State<App>,
    Path(id): Path<String>,
    token: Result<Query<LinkToken>, QueryRejection>,
) -> Result<Json<HouseholdStatus>, Error> {
    let Query(token) = token.map_err(|_| Error::NotFound)?;
    if app.links.verify(&token.token, app.clock.now()).as_deref() != Some(id.as_str()) {
        return Err(Error::NotFound);
    }
    let mut conn = app.db.pool().acquire().await?;
    let rows = db::household(&mut conn, &id).await?;
    drop(conn);
    if rows.is_empty() {
        return Err(Error::NotFound);
    }
    let mut members = Vec::with_capacity(rows.len());
    for r in &rows {
        members.push(status_of(&app, r).await?);
    }
    Ok(Json(HouseholdStatus {
        household_id: id,
        members,
    }))
}

async fn patient_event(
    app: &App,
    id: &str,
    body: Result<Json<PatientProof>, JsonRejection>,
    event: JourneyEvent,
) -> Result<Json<RegistrationStatus>, Error> {
    let Json(proof) = body?;
    proven(app, id, &proof).await?;
    let mut tx = app.db.begin().await?;
    // Re-read inside the transaction: the journey may have moved since.
    let current = db::registration(&mut tx, id).await?.ok_or(Error::NotFound)?;
    let updated = super::matching::journey_event(&mut tx, &current, &event, app.clock.now(), &Who::patient()).await?;
    tx.commit().await?;
    tracing::info!(registration_id = %id, event = event.name(), status = %updated.status, "patient event");
    Ok(Json(status_of(app, &updated).await?))
}

/// A patient withdraws their registration (DOMAIN §9: any non-terminal → `withdrawn`).
#[utoipa::path(
    post,
    path = "/api/v1/registrations/{id}/withdraw",
    tag = "registry",
    params(("id" = String, Path, description = "Registration id")),
    request_body = PatientProof,
    responses(
        (status = 200, description = "Withdrawn", body = RegistrationStatus),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in the current state (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Result<Json<PatientProof>, JsonRejection>,
) -> Result<Json<RegistrationStatus>, Error> {
    patient_event(&app, &id, body, JourneyEvent::Withdraw).await
}

/// A patient declines the provider they were offered (DOMAIN §9: back to waiting; the first
/// decline keeps the date, later ones reset it).
#[utoipa::path(
    post,
    path = "/api/v1/registrations/{id}/decline-offer",
    tag = "registry",
    params(("id" = String, Path, description = "Registration id")),
    request_body = PatientProof,
    responses(
        (status = 200, description = "Waiting again", body = RegistrationStatus),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No offer to decline (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decline_offer(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Result<Json<PatientProof>, JsonRejection>,
) -> Result<Json<RegistrationStatus>, Error> {
    patient_event(&app, &id, body, JourneyEvent::PatientDecline).await
}

/// A patient confirms they still wait (DOMAIN §9 status check; `inactive` → `waiting`).
#[utoipa::path(
    post,
    path = "/api/v1/registrations/{id}/still-waiting",
    tag = "registry",
    params(("id" = String, Path, description = "Registration id")),
    request_body = PatientProof,
    responses(
        (status = 200, description = "Confirmed", body = RegistrationStatus),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not waiting or inactive (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn status_reply(
    State(app): State<App>,
    Path(id): Path<String>,
    body: Result<Json<PatientProof>, JsonRejection>,
) -> Result<Json<RegistrationStatus>, Error> {
    patient_event(&app, &id, body, JourneyEvent::StatusReply).await
}

/// Liveness and database check.
#[utoipa::path(
    get,
    path = "/healthz",
    responses(
        (status = 200, description = "Up, database reachable", body = Health),
        (status = 500, description = "Database unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn healthz(State(app): State<App>) -> Result<Json<Health>, Error> {
    app.db.ping().await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
    }))
}
