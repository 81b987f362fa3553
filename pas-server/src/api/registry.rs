//! Health Connect Registry: households register (public), patients see and change their own
//! household (DOMAIN §2, §9, §11).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use pas_core::attachment::{Journey, JourneyEvent};
use pas_core::date::parse_iso_date;
use pas_core::registration::MAX_HOUSEHOLD_MEMBERS;
use pas_core::{Household, Phn, RegistrationInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{App, new_id, text, timestamp};
use crate::db::{self, DbError, StoredRegistration};
use crate::effects::{self, Who};
use crate::error::{Error, Problem};
use crate::throttle::{ClientAddr, PROOF_WINDOW, retry_after};

/// One person of a household, as on the HCR form (DOMAIN §7 fields; those marked required
/// are `missing_field` when absent or blank, the others optional). The server assigns
/// `registration_id`, `household_id` (the first member's id), `registered_at` (now) and
/// `status` (`waiting`). Every field may be sent as text; booleans and numbers are accepted too.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct MemberInput {
    /// `self` for the first member; `spouse`, `child`, `parent` or `other`.
    #[serde(deserialize_with = "text")]
    #[schema(required = true, example = "self")]
    pub relationship: String,
    /// Personal Health Number, 10 digits (spaces allowed).
    #[serde(deserialize_with = "text")]
    #[schema(required = true, example = "9698 658 215")]
    pub phn: String,
    /// Given name.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
    pub given_name: String,
    /// Family name.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
    pub family_name: String,
    /// ISO date, e.g. `1980-05-17`.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
    pub birth_date: String,
    /// Canadian postal code.
    #[serde(deserialize_with = "text")]
    #[schema(required = true, example = "V8W 1P6")]
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
    #[schema(required = true)]
    pub gender_preference: String,
    /// ISO 639 code; blank = `en`.
    #[serde(deserialize_with = "text")]
    pub language: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
    pub translator_needed: String,
    /// `5km`, `20km` or `any`.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
    pub travel: String,
    /// `;`-separated need codes (DOMAIN §4), may be blank.
    #[serde(deserialize_with = "text")]
    pub needs: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
    pub msp_coverage: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
    pub has_provider: String,
    /// `true` or `false`.
    #[serde(deserialize_with = "text")]
    #[schema(required = true)]
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
    /// The members (1 to 15); the first is the registrant.
    #[schema(required = true, min_items = 1, max_items = 15)]
    #[serde(deserialize_with = "at_most_one_too_many")]
    pub members: Vec<MemberInput>,
}

/// The members as sent, but never more than one past [`MAX_HOUSEHOLD_MEMBERS`]: pas-core
/// refuses a larger household with one error however large it is, so the rest are skipped
/// unread rather than built (64 KiB of `{},` was ≈ 21,000 member records, 25 MB a request).
fn at_most_one_too_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<MemberInput>, D::Error> {
    struct Members;
    impl<'de> serde::de::Visitor<'de> for Members {
        type Value = Vec<MemberInput>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an array of members")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut members = Vec::new();
            while members.len() <= MAX_HOUSEHOLD_MEMBERS {
                match seq.next_element()? {
                    Some(m) => members.push(m),
                    None => return Ok(members),
                }
            }
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok(members)
        }
    }
    d.deserialize_seq(Members)
}

impl HouseholdRequest {
    /// The members as pas-core's registration records: `ids[i]` is member `i`'s new
    /// registration id, the first the household's; every member is `waiting` since
    /// `registered_at`. What the server stores and validates (fuzzed as one with the JSON).
    pub fn inputs(self, ids: &[String], registered_at: &str) -> Vec<RegistrationInput> {
        let household_id = ids.first().cloned().unwrap_or_default();
        self.members
            .into_iter()
            .zip(ids)
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
                registered_at: registered_at.to_owned(),
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
            .collect()
    }
}

/// A stored household.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdCreated {
    /// The household id (the registrant's registration id).
    pub household_id: String,
    /// One entry per member, in request order.
    pub registrations: Vec<MemberSummary>,
    /// A signed token that opens this household's page without PHN and birth date
    /// (`POST /api/v1/households/{id}/status` with `{"token": …}`); keep it private. It stops
    /// working when it expires or when every member has withdrawn.
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

/// A patient's proof of access (DOMAIN §11), always in a request body (never in a URL): the
/// household link's token, or PHN and birth date of the registration named in the path.
/// Failed proofs are throttled per registration and per client (429) and audited.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
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
    /// Failed attempts to open this registration (wrong PHN, birth date or link) since it was
    /// last opened: the owner is told (DOMAIN §11).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A household as its patient sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HouseholdStatus {
    /// The household id.
    pub household_id: String,
    /// Every member.
    pub members: Vec<RegistrationStatus>,
    /// Failed attempts to open the household or a member since it was last opened.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_attempts: u64,
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
        (status = 409, description = "A PHN already has a registration that is not closed (`already_registered`; no registration is named: ask for the link again, `POST /api/v1/link-requests`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 KiB (`payload_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON (`unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client (`rate_limited`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors (`validation_failed`, with every error)", body = Problem, content_type = "application/problem+json"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_household(
    State(app): State<App>,
    client: ClientAddr,
    body: Result<super::JsonObject<HouseholdRequest>, Error>,
) -> Result<(StatusCode, Json<HouseholdCreated>), Error> {
    let super::JsonObject(request) = body?;
    let now = app.clock.now();
    let as_of = now.date_naive();
    let registered_at = timestamp(now);
    let ids: Vec<String> = request.members.iter().map(|_| new_id()).collect();
    let household_id = ids.first().cloned().unwrap_or_default();
    let inputs = request.inputs(&ids, &registered_at);
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
            due_at: db::due_at(&journey),
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
    match app.registrar.store(rows, client.to_string()).await {
        Ok(()) => {}
        Err(DbError::AlreadyRegistered) => {
            // DOMAIN §2: an unauthenticated caller learns the code only, no registration.
            tracing::info!(household_id, "household refused: already_registered");
            return Err(Error::AlreadyRegistered);
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

/// What opens a registration or a household, checked by [`open`].
enum Key<'a> {
    /// PHN and birth date of the registration `id`.
    Proof {
        id: &'a str,
        phn: &'a str,
        birth_date: &'a str,
    },
    /// The household link's token, for the household `household_id` (or the household of the
    /// registration `id`).
    Link {
        id: &'a str,
        token: &'a str,
        household: bool,
    },
}

/// The registrations a key opens (one, or the household's members) and how many failed
/// attempts named them since they were last opened (DOMAIN §11).
///
/// Throttled first, before the key is looked at: at most `proof_failures_per_registration`
/// failures per named id and `proof_failures_per_client` per client in [`PROOF_WINDOW`], then
/// `429` with `Retry-After` (counted in the database, so every process agrees). An unknown id
/// and a wrong key give the same `404` and are counted alike, so neither the answer nor the
/// throttle tells whether an id exists. PHN and birth date are compared in constant time. A
/// link opens its household until it expires or every member has withdrawn. Every refusal is
/// audited (id and client address, no PHI).
async fn open(app: &App, client: ClientAddr, key: Key<'_>) -> Result<(Vec<StoredRegistration>, u64), Error> {
    use subtle::ConstantTimeEq;
    let limits = app.throttle.limits();
    let now = app.clock.now();
    let since = timestamp(now - PROOF_WINDOW);
    let named = match key {
        Key::Proof { id, .. } | Key::Link { id, .. } => id,
    };
    if named.len() > 64 {
        return Err(Error::NotFound);
    }
    let client_text = client.to_string();
    let mut conn = app.db.pool().acquire().await?;
    for (by_client, key, limit) in [
        (false, named, limits.proof_failures_per_registration),
        (true, client_text.as_str(), limits.proof_failures_per_client),
    ] {
        if limit == 0 {
            continue;
        }
        let failures = db::proof_failures(&mut conn, key, by_client, &since).await?;
        if failures.count >= u64::from(limit) {
            let oldest = failures
                .oldest
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                .map_or(now, |t| t.to_utc());
            return Err(Error::TooMany("too_many_attempts", retry_after(oldest, now)));
        }
    }
    let opened: Option<Vec<StoredRegistration>> = match key {
        Key::Proof { id, phn, birth_date } => {
            let stored = db::registration(&mut conn, id).await?;
            // Both comparisons always run, on fixed-length values, whatever the id holds.
            let given_phn = Phn::parse(phn).map(|p| p.to_string()).unwrap_or_default();
            let given_birth = parse_iso_date(birth_date.trim())
                .map(|d| d.to_string())
                .unwrap_or_default();
            let (held_phn, held_birth) = stored.as_ref().map_or(("-".repeat(10), "-".repeat(10)), |s| {
                (s.phn.clone(), s.birth_date.clone())
            });
            let phn_ok = given_phn.as_bytes().ct_eq(held_phn.as_bytes());
            let birth_ok = given_birth.as_bytes().ct_eq(held_birth.as_bytes());
            if bool::from(phn_ok & birth_ok) {
                stored.map(|s| vec![s])
            } else {
                None
            }
        }
        Key::Link { id, token, household } => {
            let household_id = if household {
                Some(id.to_owned())
            } else {
                db::registration(&mut conn, id).await?.map(|s| s.household_id)
            };
            match (household_id, app.links.verify(token, now)) {
                (Some(h), Some(signed)) if bool::from(h.as_bytes().ct_eq(signed.as_bytes())) => {
                    let members = db::household(&mut conn, &h).await?;
                    // A withdrawn household's link stops working (DOMAIN §11, revocable links).
                    let open = members.iter().any(|m| m.status != pas_core::Status::Withdrawn.code());
                    let members: Vec<_> = if household {
                        members
                    } else {
                        members.into_iter().filter(|m| m.registration_id == id).collect()
                    };
                    (open && !members.is_empty()).then_some(members)
                }
                _ => None,
            }
        }
    };
    match opened {
        Some(members) => {
            let ids: Vec<&str> = members.iter().map(|m| m.registration_id.as_str()).collect();
            let mut failed = db::take_proof_failures(&mut conn, &ids).await?;
            if matches!(key, Key::Link { household: true, .. }) && !ids.contains(&named) {
                failed += db::take_proof_failures(&mut conn, &[named]).await?;
            }
            Ok((members, failed))
        }
        None => {
            let mut tx = app.db.begin().await?;
            db::record_proof_failure(&mut tx, named, &client_text, &timestamp(now), &since).await?;
            let kind = if matches!(key, Key::Proof { .. }) {
                "phn_birth_date"
            } else {
                "link"
            };
            effects::audit(
                &mut tx,
                &Who::patient(client),
                now,
                "proof_refused",
                &format!("registration {named}"),
                &serde_json::json!({ "client": client_text, "proof": kind }),
            )
            .await?;
            tx.commit().await?;
            tracing::info!(registration_id = named, client = %client, proof = kind, "patient proof refused");
            Err(Error::NotFound)
        }
    }
}

/// The key a [`PatientProof`] carries for registration `id`.
fn key_of<'a>(id: &'a str, proof: &'a PatientProof) -> Key<'a> {
    if proof.token.is_empty() {
        Key::Proof {
            id,
            phn: &proof.phn,
            birth_date: &proof.birth_date,
        }
    } else {
        Key::Link {
            id,
            token: &proof.token,
            household: false,
        }
    }
}

async fn status_of(app: &App, stored: &StoredRegistration) -> Result<RegistrationStatus, Error> {
    let as_of = app.clock.today();
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
        failed_attempts: 0,
    })
}

/// A patient looks up their registration (DOMAIN §11: registration id + PHN + birth date, or
/// the household link's token, in the body).
#[utoipa::path(
    post,
    path = "/api/v1/registrations/{id}/status",
    tag = "registry",
    params(("id" = String, Path, description = "Registration id")),
    request_body = PatientProof,
    responses(
        (status = 200, description = "The registration's status and tier", body = RegistrationStatus),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a proof (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed proofs for this registration or from this client (`too_many_attempts`), or too many requests (`rate_limited`); see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn registration_status(
    State(app): State<App>,
    client: ClientAddr,
    Path(id): Path<String>,
    body: Result<super::JsonObject<PatientProof>, Error>,
) -> Result<Json<RegistrationStatus>, Error> {
    let super::JsonObject(proof) = body?;
    let (opened, failed) = open(&app, client, key_of(&id, &proof)).await?;
    let stored = opened.into_iter().next().ok_or(Error::NotFound)?;
    effects::audit_read(
        &app.db,
        &Who::patient(client),
        app.clock.now(),
        &format!("registration {id}"),
        &serde_json::json!({ "proof": if proof.token.is_empty() { "phn_birth_date" } else { "link" } }),
    )
    .await?;
    let mut status = status_of(&app, &stored).await?;
    status.failed_attempts = failed;
    Ok(Json(status))
}

/// The link's token, for the household page.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LinkToken {
    /// The household link's token.
    pub token: String,
}

/// A patient opens their household with the signed link's token, in the body (DOMAIN §11).
#[utoipa::path(
    post,
    path = "/api/v1/households/{id}/status",
    tag = "registry",
    params(("id" = String, Path, description = "Household id")),
    request_body = LinkToken,
    responses(
        (status = 200, description = "Every member's status", body = HouseholdStatus),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown household, or a token that is forged, expired, for another household or of a withdrawn household", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a token (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts or requests; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn household(
    State(app): State<App>,
    client: ClientAddr,
    Path(id): Path<String>,
    body: Result<super::JsonObject<LinkToken>, Error>,
) -> Result<Json<HouseholdStatus>, Error> {
    let super::JsonObject(token) = body?;
    let key = Key::Link {
        id: &id,
        token: &token.token,
        household: true,
    };
    let (rows, failed_attempts) = open(&app, client, key).await?;
    effects::audit_read(
        &app.db,
        &Who::patient(client),
        app.clock.now(),
        &format!("household {id}"),
        &serde_json::json!({ "proof": "link" }),
    )
    .await?;
    let mut members = Vec::with_capacity(rows.len());
    for r in &rows {
        members.push(status_of(&app, r).await?);
    }
    Ok(Json(HouseholdStatus {
        household_id: id,
        members,
        failed_attempts,
    }))
}

async fn patient_event(
    app: &App,
    client: ClientAddr,
    id: &str,
    body: Result<super::JsonObject<PatientProof>, Error>,
    event: JourneyEvent,
) -> Result<Json<RegistrationStatus>, Error> {
    let super::JsonObject(proof) = body?;
    let (_, failed) = open(app, client, key_of(id, &proof)).await?;
    let mut tx = app.db.begin().await?;
    // Re-read inside the transaction: the journey may have moved since.
    let current = db::registration(&mut tx, id).await?.ok_or(Error::NotFound)?;
    let updated =
        crate::journey::journey_event(&mut tx, &current, &event, app.clock.now(), &Who::patient(client)).await?;
    tx.commit().await?;
    tracing::info!(registration_id = %id, event = event.name(), status = %updated.status, "patient event");
    let mut status = status_of(app, &updated).await?;
    status.failed_attempts = failed;
    Ok(Json(status))
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
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not possible in the current state (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a proof (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts or requests; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    State(app): State<App>,
    client: ClientAddr,
    Path(id): Path<String>,
    body: Result<super::JsonObject<PatientProof>, Error>,
) -> Result<Json<RegistrationStatus>, Error> {
    patient_event(&app, client, &id, body, JourneyEvent::Withdraw).await
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
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No offer to decline (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a proof (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts or requests; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decline_offer(
    State(app): State<App>,
    client: ClientAddr,
    Path(id): Path<String>,
    body: Result<super::JsonObject<PatientProof>, Error>,
) -> Result<Json<RegistrationStatus>, Error> {
    patient_event(&app, client, &id, body, JourneyEvent::PatientDecline).await
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
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown id or wrong proof (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not waiting or inactive (`invalid_transition`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a proof (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts or requests; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn status_reply(
    State(app): State<App>,
    client: ClientAddr,
    Path(id): Path<String>,
    body: Result<super::JsonObject<PatientProof>, Error>,
) -> Result<Json<RegistrationStatus>, Error> {
    patient_event(&app, client, &id, body, JourneyEvent::StatusReply).await
}

/// Ask for the household link to be sent again.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LinkRequest {
    /// The Personal Health Number of anyone in the household.
    #[schema(example = "9698 658 215")]
    pub phn: String,
}

/// The answer to a link request: the same whether or not the PHN is registered.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LinkRequested {
    /// What happens now, in words.
    pub detail: String,
}

/// Send the household link again to the contact already on file (DOMAIN §2): the answer is the
/// same whether or not the PHN is registered, and the work happens after the answer, so its
/// time does not tell either. At most `link_requests_per_registration` links a day per household
/// are sent; more requests are answered alike and not sent.
#[utoipa::path(
    post,
    path = "/api/v1/link-requests",
    tag = "registry",
    request_body = LinkRequest,
    responses(
        (status = 202, description = "Accepted: if the PHN is on the registry, its household's link goes to the contact on file", body = LinkRequested),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a PHN (`validation_failed`) or not a link request (`invalid_body`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this client (`rate_limited`); see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn request_link(
    State(app): State<App>,
    client: ClientAddr,
    body: Result<super::JsonObject<LinkRequest>, Error>,
) -> Result<(StatusCode, Json<LinkRequested>), Error> {
    let super::JsonObject(request) = body?;
    let phn = Phn::parse(&request.phn)
        .map_err(|e| Error::Validation(pas_core::ValidationErrors(vec![pas_core::FieldRule::at(&e, "phn")])))?;
    app.throttle.mail(&client.to_string())?;
    let task_app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = send_link(&task_app, &phn.to_string(), client).await {
            tracing::warn!(error = %e, "link request not carried out");
        }
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(LinkRequested {
            detail: "If this PHN is on the registry, the link to its household is on its way to the e-mail \
                     (or phone) given when registering."
                .to_owned(),
        }),
    ))
}

/// Queue the household link of the active registration holding `phn`, if any, to the
/// household's contact on file.
async fn send_link(app: &App, phn: &str, client: ClientAddr) -> Result<(), Error> {
    use pas_core::workflow::{Effect, Recipient, Template};
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let Some(id) = db::active_registration_for(&mut tx, phn).await? else {
        return Ok(());
    };
    let Some(stored) = db::registration(&mut tx, &id).await? else {
        return Ok(());
    };
    let members = db::household(&mut tx, &stored.household_id).await?;
    let limit = app.throttle.limits().link_requests_per_registration;
    let sent = db::household_links_sent(
        &mut tx,
        &stored.household_id,
        &timestamp(now - chrono::Duration::days(1)),
    )
    .await?;
    if limit > 0 && sent >= u64::from(limit) {
        tracing::info!(household_id = %stored.household_id, "link request over the daily limit: not sent");
        return Ok(());
    }
    // The household's contact: the first member (registrant first) with an e-mail, else a phone.
    let contact = |pick: fn(&RegistrationInput) -> &str| {
        members
            .iter()
            .find(|m| serde_json::from_str::<RegistrationInput>(&m.record).is_ok_and(|r| !pick(&r).trim().is_empty()))
    };
    let effect = if let Some(m) = contact(|r| &r.email) {
        Some(Effect::Email {
            template: Template::HouseholdLink,
            to: Recipient::Patient(registration_id(&m.registration_id)?),
            token: None,
        })
    } else {
        contact(|r| &r.phone)
            .map(|m| -> Result<Effect, Error> {
                Ok(Effect::Sms {
                    template: Template::HouseholdLink,
                    to: Recipient::Patient(registration_id(&m.registration_id)?),
                })
            })
            .transpose()?
    };
    let Some(effect) = effect else {
        tracing::info!(household_id = %stored.household_id, "link request: no contact on file");
        return Ok(());
    };
    let expires = now + app.settings.link_ttl;
    let token = app.links.sign(&stored.household_id, expires);
    let link = format!(
        "{}/status#household={}&token={}",
        app.settings.public_url, stored.household_id, token
    );
    effects::record(&mut tx, &Who::patient(client), now, &[effect], Some(&link)).await?;
    effects::audit(
        &mut tx,
        &Who::patient(client),
        now,
        "link_sent",
        &format!("household {}", stored.household_id),
        &serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn registration_id(id: &str) -> Result<pas_core::RegistrationId, Error> {
    pas_core::RegistrationId::parse(id).map_err(|_| Error::Internal("stored registration id not valid".to_owned()))
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
