//! The HTTP API (issue 9, first slice): households, patient status lookup, withdraw, health.
//!
//! Handlers are thin: pas-core validates, assesses and moves journeys; the [`Database`] stores.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use pas_core::attachment::{Journey, JourneyEvent};
use pas_core::date::parse_iso_date;
use pas_core::{Household, Phn, Registration, RegistrationInput};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::db::{Database, StoredRegistration};
use crate::error::{Error, Problem, ProblemField};

/// Shared state of the handlers.
#[derive(Clone)]
pub struct App<D> {
    /// The storage backend.
    pub db: D,
}

/// The OpenAPI 3.1 description of this API, generated from the code.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "PAS reference server",
        description = "Provincial Attachment System (BC): Health Connect Registry API. Errors are \
                       RFC 9457 problems (application/problem+json) carrying pas-core's codes.",
        license(name = "Apache-2.0")
    ),
    paths(create_household, registration_status, withdraw, healthz),
    components(schemas(
        HouseholdRequest,
        MemberInput,
        HouseholdCreated,
        MemberSummary,
        RegistrationStatus,
        PatientProof,
        Health,
        Problem,
        ProblemField
    )),
    tags((name = "registry", description = "Health Connect Registry (DOMAIN §2, §9, §11)"))
)]
pub struct ApiDoc;

/// The generated OpenAPI document as pretty JSON (what `pas openapi` prints and
/// `pas-server/openapi.json` holds).
pub fn openapi_json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

/// Text from JSON: a string as is, `true`/`false` and numbers as written, `null` as blank.
/// pas-core validates text (as a form or CSV sends it), so it reports bad values with its codes.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde_json::Value;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(serde::de::Error::custom("expected text, a boolean or a number")),
    }
}

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

/// A patient's proof of access to a registration (DOMAIN §11): PHN and birth date.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema, IntoParams)]
#[serde(default)]
pub struct PatientProof {
    /// Personal Health Number.
    pub phn: String,
    /// ISO birth date.
    pub birth_date: String,
}

/// A registration's status as the patient sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegistrationStatus {
    /// Registration id.
    pub registration_id: String,
    /// Household id.
    pub household_id: String,
    /// Journey status (DOMAIN §9).
    pub status: String,
    /// RFC 3339 UTC: the place in the queue.
    pub registered_at: String,
    /// Priority tier today, 1 to 3.
    pub tier: u8,
    /// Why this tier, in plain language.
    pub tier_explanation: String,
}

/// Health check answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
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
pub async fn create_household<D: Database>(
    State(app): State<App<D>>,
    body: Result<Json<HouseholdRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<HouseholdCreated>), Error> {
    let Json(request) = body?;
    let now = Utc::now();
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
    for (input, reg) in inputs.iter().zip(&household.members) {
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
    if let Err(e) = app.db.insert_household(&rows).await {
        let e = Error::from(e);
        if let Error::AlreadyRegistered(existing) = &e {
            tracing::info!(household_id, existing, "household refused: already_registered");
        }
        return Err(e);
    }
    tracing::info!(household_id, members = rows.len(), "household registered");
    Ok((
        StatusCode::CREATED,
        Json(HouseholdCreated {
            household_id,
            registrations,
        }),
    ))
}

/// The stored registration if the proof matches it; unknown id and wrong proof are the same
/// answer (404), so the response does not reveal whether the id exists.
async fn proven<D: Database>(db: &D, id: &str, proof: &PatientProof) -> Result<StoredRegistration, Error> {
    let stored = db.registration(id).await?.ok_or(Error::NotFound)?;
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

fn status_of(stored: &StoredRegistration) -> Result<RegistrationStatus, Error> {
    let as_of = Utc::now().date_naive();
    let input: RegistrationInput = serde_json::from_str(&stored.record).map_err(|e| Error::Internal(e.to_string()))?;
    let reg = Registration::validate(&input, as_of).map_err(|e| {
        Error::Internal(format!(
            "stored registration no longer valid: {} error(s)",
            e.errors().len()
        ))
    })?;
    let assessment = reg.assess(as_of);
    Ok(RegistrationStatus {
        registration_id: stored.registration_id.clone(),
        household_id: stored.household_id.clone(),
        status: stored.status.clone(),
        registered_at: stored.registered_at.clone(),
        tier: assessment.tier as u8,
        tier_explanation: assessment.tier_rule.explain(),
    })
}

/// A patient looks up their registration (DOMAIN §11: registration id + PHN + birth date).
#[utoipa::path(
    get,
    path = "/api/v1/registrations/{id}/status",
    tag = "registry",
    params(("id" = String, Path, description = "Registration id"), PatientProof),
    responses(
        (status = 200, description = "The registration's status and tier", body = RegistrationStatus),
        (status = 404, description = "Unknown id or wrong PHN/birth date (indistinguishable)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn registration_status<D: Database>(
    State(app): State<App<D>>,
    Path(id): Path<String>,
    proof: Result<Query<PatientProof>, QueryRejection>,
) -> Result<Json<RegistrationStatus>, Error> {
    let Query(proof) = proof.map_err(|_| Error::NotFound)?;
    let stored = proven(&app.db, &id, &proof).await?;
    Ok(Json(status_of(&stored)?))
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
        (status = 404, description = "Unknown id or wrong PHN/birth date (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in the current state (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw<D: Database>(
    State(app): State<App<D>>,
    Path(id): Path<String>,
    body: Result<Json<PatientProof>, JsonRejection>,
) -> Result<Json<RegistrationStatus>, Error> {
    let Json(proof) = body?;
    let stored = proven(&app.db, &id, &proof).await?;
    let journey: Journey = serde_json::from_str(&stored.journey).map_err(|e| Error::Internal(e.to_string()))?;
    let now = Utc::now();
    let (next, effects) = journey
        .transition(&JourneyEvent::Withdraw, now)
        .map_err(Error::Transition)?;
    let status = next.status().code();
    let journey_json = serde_json::to_string(&next).map_err(|e| Error::Internal(e.to_string()))?;
    app.db
        .update_journey(&id, &stored.status, status, &journey_json, &timestamp(now))
        .await?;
    // The effects (a confirmation message, an audit event) go to the outbox in a later slice.
    tracing::info!(registration_id = %id, status, effects = effects.len(), "registration withdrawn");
    let mut updated = stored;
    status.clone_into(&mut updated.status);
    Ok(Json(status_of(&updated)?))
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
pub async fn healthz<D: Database>(State(app): State<App<D>>) -> Result<Json<Health>, Error> {
    app.db.ping().await?;
    Ok(Json(Health {
        status: "ok".to_owned(),
    }))
}
