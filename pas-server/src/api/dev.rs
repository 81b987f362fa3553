//! `pas serve --dev-login`: a local, clearly-labelled identity provider that issues demo ID
//! tokens for any persona, so a newcomer can try every role without OneHealthID. Off by
//! default; refused with PostgreSQL (a shared database is a real deployment). Not part of the
//! OpenAPI document, which describes the production API.

use axum::Json;
use axum::extract::State;
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
        // Coordinators here are provincial; tests of regional scope set their own region.
        pas_region: roles
            .contains(&"coordinator")
            .then(|| pas_core::region::PROVINCE.to_owned()),
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

/// The claims of the persona `key`.
fn persona_claims(key: &str) -> Result<Claims, Error> {
    personas()
        .into_iter()
        .find(|p| p.key == key)
        .map(|p| p.claims)
        .ok_or(Error::Missing("persona"))
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
    body: Result<super::JsonObject<LoginRequest>, Error>,
) -> Result<Json<LoginResponse>, Error> {
    let super::JsonObject(request) = body?;
    let mut claims = match (request.persona, request.claims) {
        (Some(key), None) => persona_claims(&key)?,
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
        .issue_dev_token(claims, app.clock.now(), chrono::Duration::hours(8))
        .ok_or(Error::Missing("dev login"))?;
    Ok(Json(LoginResponse {
        id_token,
        warning: "DEV LOGIN: a demo token from pas serve --dev-login, not a OneHealthID login".to_owned(),
    }))
}

/// A message of the demo mailbox: the outbox row and the link it carries.
#[derive(Debug, Serialize)]
pub struct MailboxMessage {
    /// The outbox row.
    #[serde(flatten)]
    pub message: super::admin::OutboxRow,
    /// The link the message carries, as its recipient would find it in their mail.
    pub link: Option<String>,
}

/// `GET /dev/mailbox` (`--dev-login` only, on loopback): every queued message with its link, as
/// the demo's recipients would read them — so a demo can follow an e-mailed link without an
/// SMTP server. Real deployments have no such page; admins see messages without their links.
pub async fn mailbox(State(app): State<App>) -> Result<Json<Vec<MailboxMessage>>, Error> {
    // The latest 1,000 messages.
    let last: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM outbox")
        .fetch_one(app.db.pool())
        .await?;
    let rows = super::admin::outbox_rows(&app, last.unwrap_or(0).saturating_sub(1000), 1000).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(message, link)| MailboxMessage { message, link })
            .collect(),
    ))
}

/// `GET /dev/jwks.json`: the dev key, as an identity provider publishes it.
pub async fn jwks(State(app): State<App>) -> Json<jsonwebtoken::jwk::JwkSet> {
    Json(app.auth.jwks().await)
}

/// The query of `GET /dev/authorize` (and the hidden fields of its form).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuthorizeRequest {
    /// `code`.
    pub response_type: String,
    /// `pas`.
    pub client_id: String,
    /// Where to send the code: a page of this server.
    pub redirect_uri: String,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// `S256`.
    pub code_challenge_method: String,
    /// Opaque; returned as is.
    pub state: String,
    /// OpenID Connect nonce: put in the ID token, checked by the page that asked.
    pub nonce: String,
    /// The persona chosen (the form's button).
    pub persona: Option<String>,
}

fn visible(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Check an authorization request; the values end up in a page and a redirect, so they are
/// held to strict character sets instead of being escaped.
fn checked(app: &App, r: &AuthorizeRequest) -> Result<(), Error> {
    let bad = |what: &str| {
        Err(Error::Rejected(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("authorization request: {what}"),
        ))
    };
    if r.response_type != "code" || r.code_challenge_method != "S256" {
        return bad("response_type must be code and code_challenge_method S256");
    }
    if r.client_id != crate::auth::DEV_AUDIENCE {
        return bad("unknown client_id");
    }
    if !visible(&r.code_challenge, 128) || !visible(&r.state, 128) || !visible(&r.nonce, 128) {
        return bad("code_challenge, state and nonce must be base64url");
    }
    let own = format!("{}/", app.settings.public_url);
    let rest = r.redirect_uri.strip_prefix(&own).unwrap_or("\u{0}");
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b)) {
        return bad("redirect_uri must be a page of this server");
    }
    Ok(())
}

/// `GET /dev/authorize`: the demo identity provider's login page — pick a persona.
pub async fn authorize_page(
    State(app): State<App>,
    axum::extract::Query(r): axum::extract::Query<AuthorizeRequest>,
) -> Result<axum::response::Html<String>, Error> {
    checked(&app, &r)?;
    let hidden = |name: &str, value: &str| format!(r#"<input type="hidden" name="{name}" value="{value}">"#);
    let fields = [
        hidden("response_type", &r.response_type),
        hidden("client_id", &r.client_id),
        hidden("redirect_uri", &r.redirect_uri),
        hidden("code_challenge", &r.code_challenge),
        hidden("code_challenge_method", &r.code_challenge_method),
        hidden("state", &r.state),
        hidden("nonce", &r.nonce),
    ]
    .concat();
    let buttons: String = personas()
        .iter()
        .map(|p| {
            format!(
                r#"<li><button type="submit" class="secondary" name="persona" value="{}">{}</button></li>"#,
                p.key, p.description
            )
        })
        .collect();
    Ok(axum::response::Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo identity provider — PAS</title><link rel="stylesheet" href="/assets/app.css"></head>
<body><header class="site"><a href="/">Provincial Attachment System</a></header><main>
<h1>Demo identity provider</h1>
<p class="notice bad">This server runs with <code>--dev-login</code>. These demo identities stand in
for OneHealthID (BC Provider ID with multi-factor authentication); never use them with real patients.</p>
<form method="post" action="/dev/authorize">{fields}<ul id="personas">{buttons}</ul></form>
</main></body></html>"#
    )))
}

/// `POST /dev/authorize`: the persona chosen; redirect back with a one-time code (60 s).
pub async fn authorize(
    State(app): State<App>,
    axum::extract::Form(r): axum::extract::Form<AuthorizeRequest>,
) -> Result<axum::response::Redirect, Error> {
    checked(&app, &r)?;
    let mut claims = persona_claims(r.persona.as_deref().unwrap_or_default())?;
    claims.nonce = Some(r.nonce.clone());
    let code = crate::auth::random_token().map_err(super::internal)?;
    app.auth.remember_code(
        code.clone(),
        crate::auth::PendingCode {
            claims,
            challenge: r.code_challenge.clone(),
            redirect_uri: r.redirect_uri.clone(),
            expires: std::time::Instant::now() + std::time::Duration::from_secs(60),
        },
    );
    Ok(axum::response::Redirect::to(&format!(
        "{}?code={code}&state={}",
        r.redirect_uri, r.state
    )))
}

/// The form of `POST /dev/token`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenRequest {
    /// `authorization_code`.
    pub grant_type: String,
    /// From the redirect.
    pub code: String,
    /// The PKCE verifier.
    pub code_verifier: String,
    /// As sent to `/dev/authorize`.
    pub redirect_uri: String,
    /// `pas`.
    pub client_id: String,
}

/// `POST /dev/token`: exchange a code and its PKCE verifier for an ID token (OAuth errors as
/// RFC 6749 `{"error": …}` with 400).
pub async fn token(
    State(app): State<App>,
    axum::extract::Form(t): axum::extract::Form<TokenRequest>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let refuse = |error: &str| {
        (
            axum::http::StatusCode::BAD_REQUEST,
            Json(serde_json::json!({ "error": error })),
        )
            .into_response()
    };
    if t.grant_type != "authorization_code" {
        return refuse("unsupported_grant_type");
    }
    let Some(pending) = app.auth.take_code(&t.code) else {
        return refuse("invalid_grant");
    };
    if pending.redirect_uri != t.redirect_uri
        || t.client_id != crate::auth::DEV_AUDIENCE
        || crate::auth::pkce_challenge(&t.code_verifier) != pending.challenge
    {
        return refuse("invalid_grant");
    }
    match app
        .auth
        .issue_dev_token(pending.claims, app.clock.now(), chrono::Duration::hours(8))
    {
        Some(id_token) => Json(serde_json::json!({
            "id_token": id_token,
            "token_type": "Bearer",
            "expires_in": 8 * 3600,
        }))
        .into_response(),
        None => refuse("server_error"),
    }
}
