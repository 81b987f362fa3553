//! `pas serve --dev-login`: a local, clearly-labelled identity provider that issues demo ID
//! tokens for any persona, so a newcomer can try every role without OneHealthID. Off by
//! default; refused with PostgreSQL (a shared database is a real deployment). Not part of the
//! OpenAPI document, which describes the production API.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use serde::{Deserialize, Serialize};

use super::App;
use crate::auth::Claims;
use crate::error::Error;

/// A demo persona.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Persona {
    /// A short name to log in as.
    pub key: String,
    /// What the persona is for.
    pub description: String,
    /// The claims their token carries.
    pub claims: Claims,
}

fn persona(key: &str, description: &str, claims: Claims) -> Persona {
    Persona {
        key: key.to_owned(),
        description: description.to_owned(),
        claims,
    }
}

fn claims(sub: &str, name: &str, standing: Option<&str>, practitioner: Option<&str>, roles: &[&str]) -> Claims {
    Claims {
        sub: sub.to_owned(),
        amr: vec!["pwd".to_owned(), "otp".to_owned()],
        email: Some(format!("{sub}@example.org")),
        name: Some(name.to_owned()),
        licence_standing: standing.map(str::to_owned),
        msp_practitioner_number: practitioner.map(str::to_owned),
        pas_roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        ..Claims::default()
    }
}

/// The demo personas.
pub fn personas() -> Vec<Persona> {
    vec![
        persona(
            "physician",
            "Dr Ada Demo, family physician (MSP D0001), good standing",
            claims("dev-physician", "Ada Demo", Some("good"), Some("D0001"), &[]),
        ),
        persona(
            "np",
            "Noor Demo, nurse practitioner (MSP D0002), good standing",
            claims("dev-np", "Noor Demo", Some("good"), Some("D0002"), &[]),
        ),
        persona(
            "moa",
            "Max Demo, medical office assistant (unlicensed; acts for endorsers)",
            claims("dev-moa", "Max Demo", None, None, &[]),
        ),
        persona(
            "director",
            "Dr Dee Demo, medical director (MSP D0003)",
            claims("dev-director", "Dee Demo", Some("good"), Some("D0003"), &[]),
        ),
        persona(
            "coordinator",
            "Cory Demo, health-authority coordinator",
            claims("dev-coordinator", "Cory Demo", None, None, &["coordinator"]),
        ),
        persona(
            "admin",
            "Ash Demo, PAS administrator",
            claims("dev-admin", "Ash Demo", None, None, &["admin"]),
        ),
    ]
}

/// `GET /dev/personas`.
pub async fn list() -> Json<Vec<Persona>> {
    Json(personas())
}

/// `POST /dev/login`: either `{"persona": "physician"}` or `{"claims": {…}}`; `"mfa": false`
/// leaves MFA out of `amr` (to see `401 mfa_required`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginRequest {
    /// A persona key.
    pub persona: Option<String>,
    /// Or any claims.
    pub claims: Option<Claims>,
    /// Include MFA in `amr` (default true).
    pub mfa: Option<bool>,
}

/// The issued token.
#[derive(Debug, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The ID token for `Authorization: Bearer …`.
    pub id_token: String,
    /// A reminder of what this is.
    pub warning: String,
}

/// Issue a demo token.
pub async fn login(
    State(app): State<App>,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<LoginResponse>, Error> {
    let Json(request) = body?;
    let mut claims = match (request.persona, request.claims) {
        (Some(key), None) => personas()
            .into_iter()
            .find(|p| p.key == key)
            .map(|p| p.claims)
            .ok_or(Error::Missing("persona"))?,
        (None, Some(c)) => c,
        _ => {
            return Err(Error::Rejected(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "send either persona or claims".to_owned(),
            ));
        }
    };
    if request.mfa == Some(false) {
        claims.amr.retain(|m| !crate::auth::MFA_METHODS.contains(&m.as_str()));
    } else if !claims
        .amr
        .iter()
        .any(|m| crate::auth::MFA_METHODS.contains(&m.as_str()))
    {
        claims.amr.push("otp".to_owned());
    }
    let id_token = app
        .auth
        .issue_dev_token(claims, chrono::Duration::hours(8))
        .ok_or(Error::Missing("dev login"))?;
    Ok(Json(LoginResponse {
        id_token,
        warning: "DEV LOGIN: a demo token from pas serve --dev-login, not a OneHealthID login".to_owned(),
    }))
}

/// `GET /dev/jwks.json`: the dev key, as an identity provider publishes it.
pub async fn jwks(State(app): State<App>) -> Json<jsonwebtoken::jwk::JwkSet> {
    Json(app.auth.jwks().await)
}
