//! The HTTP API. Handlers are thin: pas-core validates, assesses, matches and moves the state
//! machines; [`crate::db`] stores; [`crate::effects`] queues messages and audit rows in the same
//! transaction; this module decides who may call what (DOMAIN §10–§11).
//!
//! Access, by role (the tests check the whole matrix):
//!
//! | endpoint | public | patient | provider | staff (MOA) | medical director | coordinator | admin |
//! |---|---|---|---|---|---|---|---|
//! | `POST /households`, `GET /stats`, `/healthz`, `/openapi.json`, `/docs` | ✓ | | | | | | |
//! | `GET /households/{id}`, registration status, withdraw, decline offer, status reply | | own (link or PHN + birth date) | | | | | |
//! | `GET /me`, endorsements (request, receive, approve, decline, cancel, end) | | | ✓ | ✓ | ✓ | ✓ | ✓ |
//! | provider profile, capacity, offers (list, accept, decline), panel upload, 98990 claim | | | own | for endorsers (§10) | | | claims (MSP feed) |
//! | `POST /clinics` | | | | | | | ✓ |
//! | `PUT /clinics/{id}` | | | | | own clinic | | ✓ |
//! | `GET /clinics/{id}` | | | its members | its members | own clinic | ✓ | ✓ |
//! | match runs (start, read), registrations list | | | | | | own region (`pas_region`) | ✓ |
//! | outbox, audit trail, party standing | | | | | | | ✓ |

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use pas_core::endorsement::{EndorsementBook, Parties, Party, Standing};
use pas_core::region::{PROVINCE, RegionMap};
use pas_core::{BcProviderId, Email};
use serde::{Deserialize, Deserializer, Serialize};
use sqlx::{AnyConnection, Row};
use utoipa::{OpenApi, ToSchema};

use crate::auth::{Auth, Claims, LinkSigner};
use crate::cache::Cached;
use crate::db::{Db, DbError};
use crate::effects::Who;
use crate::error::{Error, Problem, ProblemField};

pub mod admin;
pub mod dashboard;
pub mod dev;
pub mod endorse;
pub mod jobs;
pub mod matching;
pub mod providers;
pub mod registry;
pub mod reviews;

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The server's public base URL (links in e-mails), without a trailing slash.
    pub public_url: String,
    /// How long a patient link is valid.
    pub link_ttl: chrono::Duration,
    /// The largest panel upload accepted, in bytes.
    pub max_panel_bytes: u64,
    /// Where the pages log in (authorization code + PKCE), if anywhere.
    pub login: Option<LoginConfig>,
    /// The Content-Security-Policy of the pages (allows the token endpoint's origin).
    pub csp: String,
    /// Health-authority regions (coordinators' scope).
    pub regions: pas_core::region::RegionMap,
    /// Take the client address from `X-Forwarded-For` (behind a reverse proxy).
    pub trust_forwarded_for: bool,
}

/// How the pages log in: the identity provider's endpoints for the authorization-code flow with
/// PKCE (RFC 7636), as a public client.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginConfig {
    /// Authorization endpoint (absolute, or a path of this server for `--dev-login`).
    pub authorization_endpoint: String,
    /// Token endpoint.
    pub token_endpoint: String,
    /// The client id (the ID token's audience).
    pub client_id: String,
    /// Scopes to ask for.
    pub scope: String,
    /// Whether this is the `--dev-login` demo identity provider.
    pub dev_login: bool,
}

/// Shared state of the handlers.
#[derive(Clone, Debug)]
pub struct App {
    /// Storage.
    pub db: Db,
    /// Token verification (and `--dev-login`).
    pub auth: Arc<Auth>,
    /// Patient links.
    pub links: LinkSigner,
    /// Group commit of new households.
    pub registrar: crate::registrar::Registrar,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Public aggregates, computed at most once per interval.
    pub public: Arc<PublicFigures>,
    /// The one source of "now" ([`crate::clock`]).
    pub clock: crate::clock::SharedClock,
    /// Per-client and per-sender limits ([`crate::throttle`]).
    pub throttle: Arc<crate::throttle::Throttle>,
}

/// The public aggregates' caches ([`crate::cache`]).
#[derive(Debug)]
pub struct PublicFigures {
    /// `GET /dashboard` and its plots.
    pub dashboard: Cached<dashboard::DashboardView>,
    /// `GET /stats`.
    pub stats: Cached<admin::Stats>,
    /// What the figures read of every registration, refreshed by what changed.
    pub snapshot: tokio::sync::Mutex<crate::snapshot::Snapshot>,
}

impl PublicFigures {
    /// Caches that keep figures for `ttl`.
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            dashboard: Cached::new(ttl),
            stats: Cached::new(ttl),
            snapshot: tokio::sync::Mutex::default(),
        }
    }
}

/// The OpenAPI 3.1 description of this API, generated from the code.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "PAS reference server",
        description = "Provincial Attachment System (BC): Health Connect Registry, Clinic and Provider \
                       Registry, Panel Registry, endorsements and matching. Provider-side endpoints take \
                       an OpenID Connect ID token (`Authorization: Bearer …`) with MFA. Errors are \
                       RFC 9457 problems (application/problem+json) carrying pas-core's codes.",
        license(name = "Apache-2.0")
    ),
    paths(
        registry::create_household,
        registry::household,
        registry::request_link,
        registry::registration_status,
        registry::withdraw,
        registry::decline_offer,
        registry::status_reply,
        registry::healthz,
        providers::me,
        crate::web::login_config,
        providers::create_clinic,
        providers::get_clinic,
        providers::put_clinic,
        providers::put_provider,
        providers::get_provider,
        providers::put_capacity,
        providers::upload_panel,
        providers::panel_report,
        endorse::list,
        endorse::create,
        endorse::receive,
        endorse::approve,
        endorse::decline,
        endorse::cancel,
        endorse::end,
        matching::start_run,
        matching::get_run,
        matching::list_offers,
        matching::accept_offer,
        matching::decline_offer,
        matching::claim,
        matching::registrations,
        admin::stats,
        dashboard::figures,
        admin::outbox,
        admin::audit_trail,
        admin::set_standing,
        jobs::run_tick,
        reviews::list,
        reviews::resolve,
    ),
    components(schemas(Problem, ProblemField, Claims)),
    modifiers(&BearerAuth, &EveryStatus),
    tags(
        (name = "registry", description = "Health Connect Registry: households and patients (DOMAIN §2, §9, §11)"),
        (name = "providers", description = "Clinic and Provider Registry, capacity, Panel Registry (§8)"),
        (name = "endorsements", description = "MOA endorsements (§10)"),
        (name = "matching", description = "Match runs, offers and attachment claims (§5, §9)"),
        (name = "admin", description = "Statistics, outbox and audit trail"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "oidc",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "OpenID Connect ID token from OneHealthID (BC Provider ID) with MFA in `amr`",
                    ))
                    .build(),
            ),
        );
    }
}

/// States on every operation the statuses the server's layers may answer besides the
/// handler's own (issue 18: the document names every status): `400` (a malformed path, query or
/// body), `408` (the request timeout), `401`/`403` where a token is needed, `404` where the path
/// names a record, `413`/`415`/`422` where there is a body, `422` for query parameters, `429` on
/// the rate-limited public routes. A handler's own description of a status is kept.
struct EveryStatus;

impl utoipa::Modify for EveryStatus {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    crate::error::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for (path, item) in &mut openapi.paths.paths {
            let public = path.starts_with("/api/v1/") && PUBLIC_PATHS.contains(&path.as_str());
            for op in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete]
                .into_iter()
                .flatten()
            {
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                let params = op.parameters.as_deref().unwrap_or_default();
                let in_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
                let in_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
                let body = op.request_body.is_some();
                let mut add = |status: &str, description: &str, when: bool| {
                    if when {
                        op.responses
                            .responses
                            .entry(status.to_owned())
                            .or_insert_with(|| problem(description).into());
                    }
                };
                add(
                    "400",
                    "Malformed request: path, query or body (`bad_request`, `malformed_json`)",
                    true,
                );
                add(
                    "401",
                    "Not logged in, invalid or expired token, or no MFA (`unauthenticated`, `invalid_token`, `mfa_required`)",
                    secured,
                );
                add("403", "Not allowed for this role or party", secured);
                add("404", "No such record", in_path);
                add("408", "The request took too long (`request_timeout`)", true);
                add(
                    "413",
                    "Body larger than this endpoint accepts (`payload_too_large`)",
                    body,
                );
                add(
                    "415",
                    "The body is not of a media type this endpoint reads (`unsupported_media_type`)",
                    body,
                );
                add(
                    "422",
                    "The body or a parameter is not valid (`invalid_body`, `validation_failed`, `invalid_parameter`)",
                    body || in_query,
                );
                add(
                    "429",
                    "Too many requests from this client (`rate_limited`); see Retry-After",
                    public,
                );
            }
        }
    }
}

/// The rate-limited public and patient routes (see `public_routes` in the crate root).
pub const PUBLIC_PATHS: [&str; 10] = [
    "/api/v1/households",
    "/api/v1/households/{id}/status",
    "/api/v1/link-requests",
    "/api/v1/registrations/{id}/status",
    "/api/v1/registrations/{id}/withdraw",
    "/api/v1/registrations/{id}/decline-offer",
    "/api/v1/registrations/{id}/still-waiting",
    "/api/v1/stats",
    "/api/v1/dashboard",
    "/dashboard/timeline.svg",
];

/// The generated OpenAPI document as pretty JSON (what `pas openapi` prints and
/// `pas-server/openapi.json` holds).
pub fn openapi_json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    s.push('\n');
    s
}

pub use crate::clock::timestamp;

/// A fresh random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Text from JSON: a string as is, `true`/`false` and numbers as written, `null` as blank.
/// pas-core validates text (as a form or CSV sends it), so it reports bad values with its codes.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    use serde_json::Value;
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(serde::de::Error::custom("expected text, a boolean or a number")),
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

/// Where a coordinator works: one health-authority region, or the whole province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every region (provincial coordinators and admins).
    Province,
    /// One region of the server's region table.
    Region(String),
}

impl Scope {
    /// `province` or the region's name, as stored with a match run.
    pub fn name(&self) -> &str {
        match self {
            Self::Province => PROVINCE,
            Self::Region(r) => r,
        }
    }

    /// Whether an address with this postal code is in scope.
    pub fn covers(&self, regions: &RegionMap, postal_code: &pas_core::PostalCode) -> bool {
        match self {
            Self::Province => true,
            Self::Region(r) => regions.region_of(postal_code) == Some(r.as_str()),
        }
    }

    /// Whether a stored run (by its scope name) is visible in this scope.
    pub fn sees_run(&self, run_region: &str) -> bool {
        matches!(self, Self::Province) || self.name() == run_region
    }
}

/// A provider-side caller: a verified ID token with MFA (DOMAIN §11), and what PAS knows of
/// the party.
#[derive(Debug, Clone)]
pub struct Caller {
    /// BC Provider ID.
    pub party: String,
    /// The verified claims.
    pub claims: Claims,
    /// Where the request came from (for the audit trail).
    pub client: crate::throttle::ClientAddr,
}

impl Caller {
    /// Licensed (physician or nurse practitioner).
    pub fn licensed(&self) -> bool {
        self.claims.licence_standing.is_some()
    }

    /// Licensed and in good standing.
    pub fn in_good_standing(&self) -> bool {
        self.claims.licence_standing.as_deref() == Some("good")
    }

    /// The MSP practitioner number of a licensed caller.
    pub fn practitioner(&self) -> Option<&str> {
        self.claims
            .msp_practitioner_number
            .as_deref()
            .filter(|_| self.licensed())
    }

    /// Holds the health-authority role `role` (`coordinator`, `admin`).
    pub fn has_role(&self, role: &str) -> bool {
        self.claims.pas_roles.iter().any(|r| r == role)
    }

    /// The audit identity, in `role`.
    pub fn who(&self, role: &'static str) -> Who {
        Who {
            actor: format!("party:{}", self.party),
            role,
            source: self.client.to_string(),
        }
    }

    /// The caller as a coordinator, with the region they work in (DOMAIN §11): the token's
    /// `pas_region`, which must be a region of `regions` or `province`. An admin may do
    /// everything a coordinator does, province-wide.
    pub fn coordinator(&self, regions: &RegionMap) -> Result<(Who, Scope), Error> {
        if self.has_role("coordinator") {
            let scope = match self.claims.pas_region.as_deref() {
                None | Some("") => {
                    return Err(Error::Forbidden(
                        "region_required",
                        "a coordinator's token must name their health-authority region (`pas_region`)".to_owned(),
                    ));
                }
                Some(PROVINCE) => Scope::Province,
                Some(r) if regions.contains(r) => Scope::Region(r.to_owned()),
                Some(_) => {
                    return Err(Error::Forbidden(
                        "unknown_region",
                        format!(
                            "pas_region: not a region of this server ({} or `{PROVINCE}`)",
                            regions.regions().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            };
            Ok((self.who("coordinator"), scope))
        } else if self.has_role("admin") {
            Ok((self.who("admin"), Scope::Province))
        } else {
            Err(Error::Forbidden(
                "forbidden",
                "this needs the coordinator role".to_owned(),
            ))
        }
    }

    /// The caller as an admin.
    pub fn admin(&self) -> Result<Who, Error> {
        if self.has_role("admin") {
            Ok(self.who("admin"))
        } else {
            Err(Error::Forbidden("forbidden", "this needs the admin role".to_owned()))
        }
    }

    /// The role the caller's own party plays (`provider` or `staff`), for endorsement audits.
    pub fn party_role(&self) -> &'static str {
        if self.licensed() { "provider" } else { "staff" }
    }
}

impl FromRequestParts<App> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(Error::Unauthorized(
                "unauthenticated",
                "log in: send `Authorization: Bearer <ID token>`",
            ))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(Error::Unauthorized(
                "unauthenticated",
                "the Authorization header must be `Bearer <ID token>`",
            ))?;
        let claims = app
            .auth
            .verify(token.trim(), app.clock.now())
            .await
            .map_err(|r| Error::Unauthorized(r.code, r.detail))?;
        let mut caller = Self {
            party: claims.sub.clone(),
            claims,
            client: crate::throttle::ClientAddr::of(parts, app.settings.trust_forwarded_for),
        };
        let (licensed, standing) = remember_party(&app.db, &caller, app.clock.now()).await?;
        // The standing acted on is the more restrictive of the token's and the registry's
        // (DOMAIN §11), checked on every request.
        if licensed {
            let claimed_good = caller.claims.licence_standing.as_deref().is_none_or(|s| s == "good");
            let good = claimed_good && standing == "good";
            caller.claims.licence_standing = Some(if good { "good" } else { "not_good" }.to_owned());
        }
        Ok(caller)
    }
}

/// Keep the party directory current with what the identity provider says — contact, name,
/// practitioner number, and the token's claimed standing — and return what the registry holds:
/// `(licensed, standing)`. The registry's standing is changed only by an admin or the college
/// feed (`PUT /admin/parties/{id}/standing`), never by a token (DOMAIN §11: a token cannot
/// raise it); a party seen for the first time starts with its token's claim. A party once
/// licensed stays licensed whatever a later token omits. Writes only when something changed.
async fn remember_party(db: &Db, caller: &Caller, now: DateTime<Utc>) -> Result<(bool, String), Error> {
    let licensed = i64::from(caller.licensed());
    let claimed = match caller.claims.licence_standing.as_deref() {
        Some("good") => "good",
        Some(_) => "not_good",
        None => "",
    };
    let email = caller.claims.email.as_deref();
    let name = caller.claims.name.as_deref();
    let practitioner = caller.practitioner();
    let mut conn = db.pool().acquire().await?;
    let known = sqlx::query(
        "SELECT email, name, licensed, standing, practitioner_number, claimed_standing FROM parties WHERE party_id = $1",
    )
    .bind(&caller.party)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = &known {
        let held_licensed = r.try_get::<i64, _>(2)?;
        let held_standing: String = r.try_get(3)?;
        let same = r.try_get::<Option<String>, _>(0)?.as_deref() == email
            && r.try_get::<Option<String>, _>(1)?.as_deref() == name
            && (held_licensed == licensed || held_licensed == 1)
            && r.try_get::<Option<String>, _>(4)?.as_deref() == practitioner
            && r.try_get::<String, _>(5)? == claimed;
        if same {
            return Ok((held_licensed != 0, held_standing));
        }
    }
    let at = timestamp(now);
    // An upsert: the same party's first requests may arrive together, on several processes.
    let written = sqlx::query(
        "INSERT INTO parties (party_id, email, name, licensed, standing, practitioner_number, updated_at, claimed_standing) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $5) ON CONFLICT (party_id) DO UPDATE SET email = excluded.email, \
         name = excluded.name, licensed = CASE WHEN parties.licensed = 1 THEN 1 ELSE excluded.licensed END, \
         practitioner_number = excluded.practitioner_number, claimed_standing = excluded.claimed_standing, \
         updated_at = excluded.updated_at",
    )
    .bind(&caller.party)
    .bind(email)
    .bind(name)
    .bind(licensed)
    .bind(claimed)
    .bind(practitioner)
    .bind(&at)
    .execute(&mut *conn)
    .await;
    match written {
        Ok(_) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(Error::Forbidden(
                "practitioner_number_taken",
                "another party already holds this MSP practitioner number".to_owned(),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    if known.is_none() {
        crate::effects::audit(
            &mut conn,
            &caller.who(caller.party_role()),
            now,
            "party_registered",
            &format!("party {}", caller.party),
            &serde_json::json!({ "licensed": licensed != 0, "standing": claimed, "source": "token" }),
        )
        .await?;
    }
    let row = sqlx::query("SELECT licensed, standing FROM parties WHERE party_id = $1")
        .bind(&caller.party)
        .fetch_one(&mut *conn)
        .await?;
    Ok((row.try_get::<i64, _>(0)? != 0, row.try_get(1)?))
}

/// The party directory as pas-core's [`Parties`].
pub async fn parties(conn: &mut AnyConnection) -> Result<Parties, Error> {
    let rows = sqlx::query("SELECT party_id, email, licensed, standing, claimed_standing FROM parties")
        .fetch_all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get(0)?;
        let Ok(id) = BcProviderId::parse(&id) else { continue };
        let email = r.try_get::<Option<String>, _>(1)?.and_then(|e| Email::parse(&e).ok());
        let licensed: i64 = r.try_get(2)?;
        let standing: String = r.try_get(3)?;
        let claimed: String = r.try_get(4)?;
        out.push(if licensed != 0 {
            Party::licensed(
                id,
                email,
                // The more restrictive of the registry's record and the latest token's claim.
                if standing == "good" && claimed != "not_good" {
                    Standing::Good
                } else {
                    Standing::NotGood
                },
            )
        } else {
            Party::unlicensed(id, email)
        });
    }
    Ok(Parties::from(out))
}

/// The endorsement book with its version (see [`crate::db::put_document`]).
pub async fn endorsement_book(conn: &mut AnyConnection) -> Result<(i64, EndorsementBook), Error> {
    let (version, body) = crate::db::document(conn, "endorsements").await?;
    let book = match body {
        Some(b) => serde_json::from_str(&b).map_err(|e| DbError::Corrupt("endorsement book", e.to_string()))?,
        None => EndorsementBook::default(),
    };
    Ok((version, book))
}

/// May `caller` act for the provider `provider_id` (their offers, capacity, panel)? The
/// provider themselves in good standing, or unlicensed staff with an active endorsement by
/// that provider while the provider is in good standing (DOMAIN §10). The audit identity.
pub async fn acting_for(app: &App, caller: &Caller, provider_id: &str) -> Result<Who, Error> {
    if caller.practitioner() == Some(provider_id) {
        return if caller.in_good_standing() {
            Ok(caller.who("provider"))
        } else {
            Err(Error::Forbidden(
                "standing_not_good",
                "your college licence is not in good standing".to_owned(),
            ))
        };
    }
    if caller.licensed() {
        return Err(Error::Forbidden(
            "forbidden",
            "a provider may act only for their own practice".to_owned(),
        ));
    }
    let mut conn = app.db.pool().acquire().await?;
    let party: Option<String> = sqlx::query_scalar("SELECT party_id FROM parties WHERE practitioner_number = $1")
        .bind(provider_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(party) = party else {
        return Err(Error::Forbidden(
            "no_active_endorsement",
            "this provider has not endorsed you".to_owned(),
        ));
    };
    let directory = parties(&mut conn).await?;
    let (_, book) = endorsement_book(&mut conn).await?;
    let (Ok(staff), Ok(licensed)) = (BcProviderId::parse(&caller.party), BcProviderId::parse(&party)) else {
        return Err(Error::Forbidden("unknown_party", "unknown party".to_owned()));
    };
    book.access(&directory, &staff, &licensed)
        .map_err(|d| Error::Forbidden(d.code(), d.to_string()))?;
    Ok(caller.who("staff"))
}

/// A JSON body that must be an object (serde would also read a struct from an array of its
/// fields in order, which no client means): `422 invalid_body` otherwise. Media type, syntax
/// and size are checked as by axum's `Json`.
#[derive(Debug, Clone)]
pub struct JsonObject<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for JsonObject<T> {
    type Rejection = Error;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<serde_json::Value>::from_request(request, state).await?;
        Self::from_value(value)
    }
}

impl<T: serde::de::DeserializeOwned> JsonObject<T> {
    /// The body's JSON value as `T`, if it is an object of `T`'s shape (what the extractor
    /// does after axum's `Json` has checked media type, size and syntax).
    pub fn from_value(value: serde_json::Value) -> Result<Self, Error> {
        let shape = || {
            Error::Body(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "the JSON body does not have the expected shape (see /openapi.json)",
            )
        };
        if !value.is_object() {
            return Err(shape());
        }
        serde_json::from_value(value).map(Self).map_err(|_| shape())
    }
}

/// A page of a list: `limit` (default 100, at most 1,000) rows after `after`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Rows to return (1–1000, default 100).
    #[serde(deserialize_with = "limit_in_range")]
    #[param(minimum = 1, maximum = 1000)]
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    /// Return rows after this id (the last id of the previous page).
    pub after: Option<i64>,
}

impl Page {
    /// The limit, clamped.
    pub fn limit(&self) -> i64 {
        page_limit(self.limit)
    }
}

/// A listing's `limit` as sent: 1 to 1,000, else the query is refused (`400 bad_request`)
/// rather than quietly changed.
pub fn limit_in_range<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<i64>::deserialize(d)? {
        Some(n) if !(1..=1000).contains(&n) => Err(serde::de::Error::custom("limit must be 1 to 1000")),
        other => Ok(other),
    }
}

/// Rows a listing returns for a requested `limit`: 100 by default, 1 to 1,000.
pub fn page_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(100).clamp(1, 1000)
}
