//! Clinic and Provider Registry (clinics, provider profiles, capacity) and the Panel Registry
//! (panel uploads with the §8 report and reconciliation).
//!
//! A provider is named by their MSP practitioner number, which is also their `provider_id` in
//! matching; the ID token's `msp_practitioner_number` claim binds a login to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use pas_core::attachment::JourneyEvent;
use pas_core::panel::{CheckedPanel, PanelFileError, PanelFormat, PendingPanel, Registry};
use pas_core::provider::{Provider, ProviderInput};
use pas_core::registry::{CapacityInput, Clinic, ClinicInput, ClinicRole, ProviderCapacity};
use pas_core::{BcProviderId, FieldRule, PractitionerNumber};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use utoipa::{IntoParams, ToSchema};

use super::{App, Caller, acting_for, internal, new_id, parties, text, timestamp};
use crate::db::{self, Db};
use crate::effects;
use crate::error::{Error, Problem};

/// Who the caller is to PAS (DOMAIN §11).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// BC Provider ID.
    pub party: String,
    /// Display name from the ID token.
    pub name: Option<String>,
    /// Roles held now: `provider`, `staff`, `medical_director`, `coordinator`, `admin`.
    pub roles: Vec<String>,
    /// The MSP practitioner number of a licensed caller.
    pub practitioner_number: Option<String>,
    /// Providers (practitioner numbers) this staff member may act for now (§10).
    pub acts_for: Vec<String>,
    /// Clinics (facility numbers) whose record the caller keeps as medical director.
    pub director_of: Vec<String>,
    /// Where a coordinator (or admin) works: their health-authority region, or `province`.
    pub region: Option<String>,
}

/// The caller's roles, endorsers and clinics.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "providers",
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Who you are to PAS", body = Me),
        (status = 401, description = "Not logged in, invalid token, or no MFA (`mfa_required`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(State(app): State<App>, caller: Caller) -> Result<Json<Me>, Error> {
    let mut conn = app.db.pool().acquire().await?;
    let directory = parties(&mut conn).await?;
    let (_, book) = super::endorsement_book(&mut conn).await?;
    let mut roles = Vec::new();
    let mut acts_for = Vec::new();
    if caller.practitioner().is_some() && caller.in_good_standing() {
        roles.push("provider".to_owned());
    }
    if let Ok(id) = BcProviderId::parse(&caller.party) {
        let endorsers = book.acts_for(&directory, &id);
        if !endorsers.is_empty() {
            roles.push("staff".to_owned());
        }
        for e in endorsers {
            let number: Option<String> =
                sqlx::query_scalar("SELECT practitioner_number FROM parties WHERE party_id = $1")
                    .bind(e.as_str())
                    .fetch_optional(&mut *conn)
                    .await?
                    .flatten();
            acts_for.extend(number);
        }
    }
    let director_of = clinics_directed_by(&mut conn, &caller.party).await?;
    if !director_of.is_empty() {
        roles.push("medical_director".to_owned());
    }
    for r in ["coordinator", "admin"] {
        if caller.has_role(r) {
            roles.push(r.to_owned());
        }
    }
    let region = caller
        .coordinator(&app.settings.regions)
        .ok()
        .map(|(_, scope)| scope.name().to_owned());
    Ok(Json(Me {
        party: caller.party.clone(),
        name: caller.claims.name.clone(),
        roles,
        practitioner_number: caller.practitioner().map(str::to_owned),
        acts_for,
        director_of,
        region,
    }))
}

async fn clinics_directed_by(conn: &mut sqlx::AnyConnection, party: &str) -> Result<Vec<String>, Error> {
    let Ok(party) = BcProviderId::parse(party) else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query("SELECT record FROM clinics ORDER BY facility_number")
        .fetch_all(conn)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let record: String = r.try_get(0)?;
        let clinic: Clinic = serde_json::from_str(&record).map_err(internal)?;
        if clinic.may_edit(&party) {
            out.push(clinic.facility_number.to_string());
        }
    }
    Ok(out)
}

/// A stored clinic.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClinicView {
    /// The clinic as validated by pas-core (facility number, name, address, phone, opening
    /// hours, members with roles).
    #[schema(value_type = Object)]
    pub clinic: serde_json::Value,
    /// Weekly hours in the form's syntax.
    pub hours: String,
    /// Date exceptions in the form's syntax.
    pub hours_exceptions: String,
    /// Last change (RFC 3339 UTC).
    pub updated_at: String,
}

fn clinic_view(clinic: &Clinic, updated_at: String) -> Result<ClinicView, Error> {
    Ok(ClinicView {
        clinic: serde_json::to_value(clinic).map_err(internal)?,
        hours: clinic.hours.weekly_text(),
        hours_exceptions: clinic.hours.exceptions_text(),
        updated_at,
    })
}

async fn stored_clinic(db: &Db, facility: &str) -> Result<Option<(Clinic, String)>, Error> {
    let row = sqlx::query("SELECT record, updated_at FROM clinics WHERE facility_number = $1")
        .bind(facility)
        .fetch_optional(db.pool())
        .await?;
    row.map(|r| {
        let record: String = r.try_get(0)?;
        let clinic: Clinic = serde_json::from_str(&record).map_err(internal)?;
        Ok((clinic, r.try_get(1)?))
    })
    .transpose()
}

/// Add a clinic to the registry (admin), naming its medical director(s) among its members.
#[utoipa::path(
    post,
    path = "/api/v1/clinics",
    tag = "providers",
    request_body(content = Object, description = "pas-core ClinicInput: facility_number, name, address, phone, hours (`Mo-Fr 08:00-17:00`), hours_exceptions, members [{party, roles}]"),
    security(("oidc" = [])),
    responses(
        (status = 201, description = "Created", body = ClinicView),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The facility number exists (`duplicate`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_clinic(
    State(app): State<App>,
    caller: Caller,
    body: Result<super::JsonObject<ClinicInput>, Error>,
) -> Result<(StatusCode, Json<ClinicView>), Error> {
    let who = caller.admin()?;
    let super::JsonObject(input) = body?;
    let clinic = Clinic::validate(&input).map_err(Error::Validation)?;
    let now = app.clock.now();
    let at = timestamp(now);
    let mut tx = app.db.begin().await?;
    let inserted = sqlx::query("INSERT INTO clinics (facility_number, record, updated_at) VALUES ($1, $2, $3)")
        .bind(clinic.facility_number.as_str())
        .bind(serde_json::to_string(&clinic).map_err(internal)?)
        .bind(&at)
        .execute(&mut *tx)
        .await;
    match inserted {
        Ok(_) => {}
        Err(e) if db::is_unique_violation(&e) => {
            return Err(Error::Rejected(
                StatusCode::CONFLICT,
                "duplicate",
                "a clinic with this facility number exists".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    let actor = BcProviderId::parse(&caller.party).map_err(internal)?;
    let audit: Vec<_> = Clinic::audit_change(None, &clinic, &actor, now).into_iter().collect();
    effects::record(&mut tx, &who, now, &audit, None).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(clinic_view(&clinic, at)?)))
}

/// Read a clinic's record (any provider-side role).
#[utoipa::path(
    get,
    path = "/api/v1/clinics/{id}",
    tag = "providers",
    params(("id" = String, Path, description = "MSP facility number")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "The clinic", body = ClinicView),
        (status = 403, description = "Not a member of the clinic, a coordinator or an admin (`not_a_member`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_clinic(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ClinicView>, Error> {
    let (clinic, updated_at) = stored_clinic(&app.db, &id).await?.ok_or(Error::Missing("clinic"))?;
    // The record names its members' BC Provider IDs: its members, coordinators and admins only.
    let party = BcProviderId::parse(&caller.party).map_err(internal)?;
    if !(clinic.is_member(&party) || caller.has_role("coordinator") || caller.has_role("admin")) {
        return Err(Error::Forbidden(
            "not_a_member",
            "a clinic's record is for its members, coordinators and admins".to_owned(),
        ));
    }
    Ok(Json(clinic_view(&clinic, updated_at)?))
}

/// Change a clinic's record: its medical director(s), or an admin (DOMAIN §11).
#[utoipa::path(
    put,
    path = "/api/v1/clinics/{id}",
    tag = "providers",
    params(("id" = String, Path, description = "MSP facility number")),
    request_body(content = Object, description = "pas-core ClinicInput (the facility number must stay the same)"),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Saved", body = ClinicView),
        (status = 403, description = "Not this clinic's medical director", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such clinic", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_clinic(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<super::JsonObject<ClinicInput>, Error>,
) -> Result<Json<ClinicView>, Error> {
    let (before, _) = stored_clinic(&app.db, &id).await?.ok_or(Error::Missing("clinic"))?;
    let actor = BcProviderId::parse(&caller.party).map_err(internal)?;
    let who = if before.may_edit(&actor) {
        caller.who("medical_director")
    } else if caller.has_role("admin") {
        caller.who("admin")
    } else {
        return Err(Error::Forbidden(
            "not_medical_director",
            "only this clinic's medical director may change its record".to_owned(),
        ));
    };
    let super::JsonObject(mut input) = body?;
    if input.facility_number.trim().is_empty() {
        input.facility_number.clone_from(&id);
    }
    let clinic = Clinic::validate(&input).map_err(Error::Validation)?;
    if clinic.facility_number.as_str() != id {
        return Err(Error::Rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            "facility_number_changed",
            "the facility number in the body differs from the URL".to_owned(),
        ));
    }
    // A director cannot lock the clinic out of its own record.
    if clinic.members_with(ClinicRole::MedicalDirector).next().is_none() {
        return Err(Error::Rejected(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_medical_director",
            "a clinic keeps at least one medical director".to_owned(),
        ));
    }
    let now = app.clock.now();
    let at = timestamp(now);
    let mut tx = app.db.begin().await?;
    sqlx::query("UPDATE clinics SET record = $1, updated_at = $2 WHERE facility_number = $3")
        .bind(serde_json::to_string(&clinic).map_err(internal)?)
        .bind(&at)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    let audit: Vec<_> = Clinic::audit_change(Some(&before), &clinic, &actor, now)
        .into_iter()
        .collect();
    effects::record(&mut tx, &who, now, &audit, None).await?;
    tx.commit().await?;
    Ok(Json(clinic_view(&clinic, at)?))
}

/// A provider's profile in the registry: what matching needs besides capacity.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProviderProfile {
    /// Their clinic's MSP facility number.
    #[serde(deserialize_with = "text")]
    pub clinic_id: String,
    /// Given name.
    #[serde(deserialize_with = "text")]
    pub given_name: String,
    /// Family name.
    #[serde(deserialize_with = "text")]
    pub family_name: String,
    /// `female`, `male`, `other` or `unknown`.
    #[serde(deserialize_with = "text")]
    pub gender: String,
    /// Practice postal code.
    #[serde(deserialize_with = "text")]
    pub postal_code: String,
    /// Community (optional).
    #[serde(deserialize_with = "text")]
    pub community: String,
    /// Latitude (optional; else the FSA centroid).
    #[serde(deserialize_with = "text")]
    pub latitude: String,
    /// Longitude (optional).
    #[serde(deserialize_with = "text")]
    pub longitude: String,
}

/// The matching record of a stored provider profile; capacity fields are neutral until
/// capacity is applied.
pub fn provider_input(provider_id: &str, profile: &str) -> Result<ProviderInput, serde_json::Error> {
    let p: ProviderProfile = serde_json::from_str(profile)?;
    Ok(profile_input(provider_id, p))
}

fn profile_input(provider_id: &str, p: ProviderProfile) -> ProviderInput {
    ProviderInput {
        provider_id: provider_id.to_owned(),
        clinic_id: p.clinic_id,
        given_name: p.given_name,
        family_name: p.family_name,
        gender: p.gender,
        languages: String::new(),
        accepting: "false".to_owned(),
        open_places: "0".to_owned(),
        max_complexity: "low".to_owned(),
        accepts_families: "false".to_owned(),
        postal_code: p.postal_code,
        community: p.community,
        latitude: p.latitude,
        longitude: p.longitude,
    }
}

/// Stored capacity settings, validated.
pub fn capacity_of(provider_id: &str, json: &str) -> Result<ProviderCapacity, String> {
    let mut input: CapacityInput = serde_json::from_str(json).map_err(|e| e.to_string())?;
    provider_id.clone_into(&mut input.provider_id);
    ProviderCapacity::validate(&input).map_err(|e| format!("{} field error(s)", e.errors().len()))
}

/// A provider's name for patients (`Dr`-less: given and family name).
pub async fn provider_name(db: &Db, provider_id: &str) -> Result<Option<String>, Error> {
    let profile: Option<String> = sqlx::query_scalar("SELECT profile FROM providers WHERE provider_id = $1")
        .bind(provider_id)
        .fetch_optional(db.pool())
        .await?;
    Ok(profile
        .and_then(|p| serde_json::from_str::<ProviderProfile>(&p).ok())
        .map(|p| format!("{} {}", p.given_name.trim(), p.family_name.trim())))
}

/// A provider as stored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProviderView {
    /// MSP practitioner number.
    pub provider_id: String,
    /// The profile.
    pub profile: ProviderProfile,
    /// Capacity settings, once given.
    #[schema(value_type = Option<Object>)]
    pub capacity: Option<serde_json::Value>,
    /// Places a match may fill now (capacity's open places less the places already promised).
    pub open_places: u32,
    /// When the current panel size was last set (RFC 3339 UTC).
    pub panel_size_at: String,
}

async fn provider_view(app: &App, id: &str) -> Result<ProviderView, Error> {
    let row = sqlx::query("SELECT profile, capacity, panel_size_at FROM providers WHERE provider_id = $1")
        .bind(id)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or(Error::Missing("provider"))?;
    let profile: String = row.try_get(0)?;
    let capacity: Option<String> = row.try_get(1)?;
    let capacity = capacity.map(|c| capacity_of(id, &c)).transpose().map_err(internal)?;
    let open = match &capacity {
        Some(c) => {
            let mut conn = app.db.pool().acquire().await?;
            let promised = crate::journey::promised(&mut conn, Some(id)).await?;
            c.open_places().saturating_sub(promised.get(id).copied().unwrap_or(0))
        }
        None => 0,
    };
    Ok(ProviderView {
        provider_id: id.to_owned(),
        profile: serde_json::from_str(&profile).map_err(internal)?,
        capacity: capacity
            .map(|c| serde_json::to_value(c).map_err(internal))
            .transpose()?,
        open_places: open,
        panel_size_at: row.try_get(2)?,
    })
}

/// Create or change a provider's profile (the provider, or staff acting for them).
#[utoipa::path(
    put,
    path = "/api/v1/providers/{id}",
    tag = "providers",
    params(("id" = String, Path, description = "MSP practitioner number")),
    request_body = ProviderProfile,
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Saved", body = ProviderView),
        (status = 403, description = "Not this provider nor their endorsed staff", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_provider(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<super::JsonObject<ProviderProfile>, Error>,
) -> Result<Json<ProviderView>, Error> {
    let who = acting_for(&app, &caller, &id).await?;
    let super::JsonObject(profile) = body?;
    PractitionerNumber::parse(&id)
        .map_err(|e| Error::Validation(pas_core::ValidationErrors(vec![e.at("provider_id")])))?;
    Provider::validate(&profile_input(&id, profile.clone())).map_err(Error::Validation)?;
    let now = app.clock.now();
    let at = timestamp(now);
    let json = serde_json::to_string(&profile).map_err(internal)?;
    let mut tx = app.db.begin().await?;
    let updated = sqlx::query("UPDATE providers SET profile = $1, updated_at = $2 WHERE provider_id = $3")
        .bind(&json)
        .bind(&at)
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO providers (provider_id, profile, capacity, panel_size_at, updated_at) \
             VALUES ($1, $2, NULL, $3, $3)",
        )
        .bind(&id)
        .bind(&json)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    effects::audit(
        &mut tx,
        &who,
        now,
        "update",
        &format!("provider {id}"),
        &json!({ "fields": ["profile"] }),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(provider_view(&app, &id).await?))
}

/// Read a provider (the provider, or staff acting for them).
#[utoipa::path(
    get,
    path = "/api/v1/providers/{id}",
    tag = "providers",
    params(("id" = String, Path, description = "MSP practitioner number")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "The provider", body = ProviderView),
        (status = 403, description = "Not this provider nor their endorsed staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No profile yet", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_provider(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ProviderView>, Error> {
    acting_for(&app, &caller, &id).await?;
    Ok(Json(provider_view(&app, &id).await?))
}

/// Set capacity for new patients (the provider, or staff acting for them): pas-core's
/// `CapacityInput` (accepting, max_new_per_month, desired_panel_size, current_panel_size,
/// max_complexity, accepts_families, languages); `provider_id` comes from the URL.
#[utoipa::path(
    put,
    path = "/api/v1/providers/{id}/capacity",
    tag = "providers",
    params(("id" = String, Path, description = "MSP practitioner number")),
    request_body(content = Object, description = "pas-core CapacityInput"),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "Saved", body = ProviderView),
        (status = 403, description = "Not this provider nor their endorsed staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No profile yet (PUT /providers/{id} first)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Field errors", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn put_capacity(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<super::JsonObject<CapacityInput>, Error>,
) -> Result<Json<ProviderView>, Error> {
    let who = acting_for(&app, &caller, &id).await?;
    let super::JsonObject(mut input) = body?;
    input.provider_id.clone_from(&id);
    let capacity = ProviderCapacity::validate(&input).map_err(Error::Validation)?;
    let now = app.clock.now();
    let at = timestamp(now);
    let mut tx = app.db.begin().await?;
    db::lock(&mut tx, "places", &at).await?;
    let before: Option<Option<String>> = sqlx::query_scalar("SELECT capacity FROM providers WHERE provider_id = $1")
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(before) = before else {
        return Err(Error::Missing("provider profile (PUT /api/v1/providers/{id} first)"));
    };
    let before = before.map(|b| capacity_of(&id, &b)).transpose().map_err(internal)?;
    let size_changed = before
        .as_ref()
        .is_none_or(|b| b.current_panel_size != capacity.current_panel_size);
    sqlx::query(
        "UPDATE providers SET capacity = $1, updated_at = $2, \
         panel_size_at = CASE WHEN $3 = 1 THEN $2 ELSE panel_size_at END WHERE provider_id = $4",
    )
    .bind(serde_json::to_string(&input).map_err(internal)?)
    .bind(&at)
    .bind(i64::from(size_changed))
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    let actor = BcProviderId::parse(&caller.party).map_err(internal)?;
    let audit: Vec<_> = ProviderCapacity::audit_change(before.as_ref(), &capacity, &actor, now)
        .into_iter()
        .collect();
    effects::record(&mut tx, &who, now, &audit, None).await?;
    tx.commit().await?;
    Ok(Json(provider_view(&app, &id).await?))
}

/// Options of a panel upload.
#[derive(Debug, Default, Deserialize, Serialize, IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct PanelOptions {
    /// Validation date (ISO; default today).
    pub as_of: Option<NaiveDate>,
}

/// A stored panel report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PanelUploaded {
    /// Report id.
    pub report_id: String,
    /// The practitioner.
    pub provider_id: String,
    /// `csv` or `fhir`.
    pub format: String,
    /// When (RFC 3339 UTC).
    pub created_at: String,
    /// pas-core's §8 report (rows, accepted, rejected, errors and warnings with lines,
    /// conflicts, mismatches, attached registration ids, the file per practitioner); PHNs
    /// masked.
    #[schema(value_type = Object)]
    pub report: serde_json::Value,
    /// Practitioners other than this one named on accepted rows: their rows were validated
    /// but neither reconciled nor counted here (upload them to their own panel).
    pub other_practitioners: Vec<OtherPractitioner>,
}

/// Accepted rows of a panel file that name another practitioner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OtherPractitioner {
    /// MSP practitioner number.
    pub practitioner: String,
    /// Accepted rows naming them.
    pub accepted: u64,
}

impl PanelUploaded {
    fn new(
        report_id: String,
        provider_id: String,
        format: String,
        created_at: String,
        report: serde_json::Value,
    ) -> Self {
        let other_practitioners = report["practitioners"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["practitioner"].as_str() != Some(provider_id.as_str()))
            .map(|p| OtherPractitioner {
                practitioner: p["practitioner"].as_str().unwrap_or_default().to_owned(),
                accepted: p["accepted"].as_u64().unwrap_or(0),
            })
            .collect();
        Self {
            report_id,
            provider_id,
            format,
            created_at,
            report,
            other_practitioners,
        }
    }
}

/// The registry §8 reconciles `pending`'s rows with: the non-terminal registrations of its
/// PHNs, looked up by index (a few statements per upload, not the whole registry).
async fn registry_of(db: &Db, pending: &PendingPanel, as_of: NaiveDate) -> Result<Registry, Error> {
    let phns: Vec<String> = pending.phns().iter().map(ToString::to_string).collect();
    let mut conn = db.pool().acquire().await?;
    let rows = db::active_registrations_for_phns(&mut conn, &phns).await?;
    let mut registry = Registry::new();
    for r in &rows {
        if let (_, Some(registration)) = r.validated(as_of)? {
            registry.insert_registration(&registration);
        }
    }
    Ok(registry)
}

/// Upload a panel (CSV `panel.csv` or FHIR R4 JSON, chosen by `Content-Type` — `text/csv`, or
/// `application/fhir+json` / `application/json`; with no type, `application/octet-stream` or
/// `text/plain`, by the first character: `{` is FHIR). The body is streamed into pas-core's
/// validator; the §8 report is stored; registrations whose PHN is on an accepted row naming
/// this practitioner move to `attached` (§9 panel reconciliation), and the count of those rows
/// becomes the provider's current panel size. Rows naming another practitioner (a clinic-wide
/// export) are validated and reported, but neither reconciled nor counted here.
#[utoipa::path(
    post,
    path = "/api/v1/providers/{id}/panel",
    tag = "providers",
    params(("id" = String, Path, description = "MSP practitioner number"), PanelOptions),
    request_body(content = String, description = "panel.csv (text/csv) or a FHIR R4 Bundle/Group (application/fhir+json)", content_type = "text/csv"),
    security(("oidc" = [])),
    responses(
        (status = 201, description = "Validated and reconciled", body = PanelUploaded),
        (status = 403, description = "Not this provider nor their endorsed staff", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than the server's limit, or a FHIR panel over 32 MiB (`payload_too_large`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "An upload of this provider is still being validated (`upload_in_progress`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A media type other than CSV, FHIR JSON, octet-stream or plain text (`unsupported_media_type`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a panel at all: missing columns, not FHIR (`file_rejected`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload_panel(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
    Query(options): Query<PanelOptions>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<PanelUploaded>), Error> {
    let who = acting_for(&app, &caller, &id).await?;
    let practitioner = PractitionerNumber::parse(&id)
        .map_err(|e| Error::Validation(pas_core::ValidationErrors(vec![e.at("provider_id")])))?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // pas-core's rule: a media type naming CSV or FHIR decides; with none, or a generic one
    // (what `curl --data-binary` or a browser may send), the first bytes do.
    let declared = PanelFormat::from_media_type(media_type);
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if declared.is_none() && !matches!(essence.as_str(), "" | "application/octet-stream" | "text/plain") {
        return Err(Error::Body(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send panel.csv as text/csv or a FHIR R4 panel as application/fhir+json",
        ));
    }
    // One upload per provider at a time, and a few per process: each is bounded, so together
    // they are too.
    let _uploading = app.throttle.upload(&id).await?;
    let now = app.clock.now();
    let as_of = options.as_of.unwrap_or_else(|| now.date_naive());
    // Stream the body into the validator on a blocking thread, stopping at the size limit.
    let limit = app.settings.max_panel_bytes;
    let too_large = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&too_large);
    let mut seen: u64 = 0;
    let stream = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .and_then(move |chunk| {
            seen += chunk.len() as u64;
            let over = seen > limit;
            if over {
                flag.store(true, Ordering::Relaxed);
            }
            std::future::ready(if over {
                Err(std::io::Error::other("panel larger than the limit"))
            } else {
                Ok(chunk)
            })
        });
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(stream));
    // §8: only this practitioner's rows are reconciled (below, with the registrations of their
    // PHNs); the others are validated and tell the uploader nothing.
    let outcome = tokio::task::spawn_blocking(move || {
        pas_core::panel::validate_deferred(
            reader,
            declared,
            as_of,
            practitioner,
            crate::MAX_FHIR_PANEL_BYTES,
            |_| {},
        )
    })
    .await
    .map_err(internal)?;
    if too_large.load(Ordering::Relaxed) {
        return Err(Error::Rejected(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("a panel upload may hold at most {limit} bytes"),
        ));
    }
    let pending = outcome.map_err(|e| match e {
        PanelFileError::FhirTooLarge { .. } => {
            Error::Rejected(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", e.detail())
        }
        // The reader's own words (they name lines and columns, never row content).
        _ => Error::Rejected(StatusCode::UNPROCESSABLE_ENTITY, "file_rejected", e.detail()),
    })?;
    let registry = registry_of(&app.db, &pending, as_of).await?;
    let CheckedPanel { format, report, .. } = pending.reconcile(&registry);

    let at = timestamp(now);
    let report_id = new_id();
    let report_json = serde_json::to_value(&report).map_err(internal)?;
    let mut tx = app.db.begin().await?;
    db::lock(&mut tx, "places", &at).await?;
    // Rows that did not match the registry wait for a coordinator (DOMAIN §8).
    super::reviews::queue(&mut tx, &report_id, &id, &report.mismatches, &at).await?;
    let own = report.practitioners.iter().find(|p| p.practitioner == practitioner);
    // §9 panel reconciliation; a registration that moved to a terminal state meanwhile is left.
    let ids: Vec<&str> = own
        .map_or(&[][..], |p| p.attached.as_slice())
        .iter()
        .map(pas_core::RegistrationId::as_str)
        .collect();
    let event = JourneyEvent::PanelReconciliation { practitioner };
    let attached = crate::journey::apply_where(&mut tx, &ids, &event, now, &who, |_| true).await?;
    sqlx::query(
        "INSERT INTO panel_reports (report_id, provider_id, uploaded_by, created_at, format, rows_read, accepted, \
         rejected, attached, report) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&report_id)
    .bind(&id)
    .bind(&who.actor)
    .bind(&at)
    .bind(format.as_str())
    .bind(i64::try_from(report.rows).unwrap_or(i64::MAX))
    .bind(i64::try_from(report.accepted).unwrap_or(i64::MAX))
    .bind(i64::try_from(report.rejected).unwrap_or(i64::MAX))
    .bind(i64::try_from(attached).unwrap_or(i64::MAX))
    .bind(report_json.to_string())
    .execute(&mut *tx)
    .await?;
    // The Panel Registry's count is the provider's current panel size from now on.
    let capacity: Option<Option<String>> = sqlx::query_scalar("SELECT capacity FROM providers WHERE provider_id = $1")
        .bind(&id)
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(Some(c)) = capacity {
        let mut input: CapacityInput = serde_json::from_str(&c).map_err(internal)?;
        input.current_panel_size = own.map_or(0, |p| p.accepted).to_string();
        sqlx::query("UPDATE providers SET capacity = $1, panel_size_at = $2, updated_at = $2 WHERE provider_id = $3")
            .bind(serde_json::to_string(&input).map_err(internal)?)
            .bind(&at)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    effects::audit(
        &mut tx,
        &who,
        now,
        "panel_upload",
        &format!("panel report {report_id}"),
        &json!({ "provider_id": id, "rows": report.rows, "accepted": report.accepted, "rejected": report.rejected, "attached": attached }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(report_id, rows = report.rows, attached, "panel uploaded");
    Ok((
        StatusCode::CREATED,
        Json(PanelUploaded::new(
            report_id,
            id,
            format.as_str().to_owned(),
            at,
            report_json,
        )),
    ))
}

/// Read a stored panel report (the provider, or staff acting for them).
#[utoipa::path(
    get,
    path = "/api/v1/panel-reports/{id}",
    tag = "providers",
    params(("id" = String, Path, description = "Report id")),
    security(("oidc" = [])),
    responses(
        (status = 200, description = "The report", body = PanelUploaded),
        (status = 403, description = "Not this provider nor their endorsed staff", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn panel_report(
    State(app): State<App>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PanelUploaded>, Error> {
    let row = sqlx::query("SELECT provider_id, format, created_at, report FROM panel_reports WHERE report_id = $1")
        .bind(&id)
        .fetch_optional(app.db.pool())
        .await?
        .ok_or(Error::Missing("panel report"))?;
    let provider_id: String = row.try_get(0)?;
    let who = acting_for(&app, &caller, &provider_id).await?;
    effects::audit_read(
        &app.db,
        &who,
        app.clock.now(),
        &format!("panel report {id}"),
        &json!({}),
    )
    .await?;
    let report: String = row.try_get(3)?;
    Ok(Json(PanelUploaded::new(
        id,
        provider_id,
        row.try_get(1)?,
        row.try_get(2)?,
        serde_json::from_str(&report).map_err(internal)?,
    )))
}
