//! The PAS reference server: a thin axum server over pas-core. It stores (SQLite by default,
//! PostgreSQL for real deployments), authenticates (OIDC ID tokens with MFA; signed patient
//! links), authorizes (DOMAIN §10–§11), and carries out the effects the state machines return
//! (outbox, audit). Every rule is pas-core's.
//!
//! [`Server::bind`] opens and migrates the database and binds the listener; [`Server::run`]
//! serves until the shutdown future completes. `pas serve` and the tests use the same two calls.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::routing::{get, post, put};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

pub mod api;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod clock;
pub mod db;
pub mod effects;
pub mod error;
pub mod journey;
pub mod registrar;
pub mod snapshot;
pub mod throttle;
pub mod transport;
pub mod web;

use api::{App, Settings, admin, dashboard, dev, endorse, jobs, matching, providers, registry};
use auth::{Auth, LinkSigner, OidcConfig};
use db::{Backend, Db};
use effects::Smtp;

/// The default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./pas.db";

/// The largest JSON body accepted by default (provider-side forms, capacity, endorsements).
pub const MAX_JSON_BYTES: usize = 256 * 1024;

/// The largest household registration: 15 members of about 20 fields each, the longest a
/// field may be, stay under 40 KiB.
pub const MAX_HOUSEHOLD_BYTES: usize = 64 * 1024;

/// The default largest panel upload, in MiB. A practitioner's panel of 3,000 patients is about
/// 300 KB of CSV; a clinic-wide EMR export of 100,000 rows about 10 MB. 128 MiB leaves room
/// for a health authority's bulk file while an upload stays bounded: CSV is streamed and its
/// report capped, so memory does not grow with it.
pub const DEFAULT_MAX_PANEL_MIB: u64 = 128;

/// The largest FHIR panel: a FHIR document is read whole before it is checked (about five
/// times its size in memory), so it has its own, smaller limit — 20,000 patients at about
/// 1.5 KB each. Larger panels go as CSV, or in several uploads.
pub const MAX_FHIR_PANEL_BYTES: u64 = 32 * 1024 * 1024;

/// The largest patient proof, token or link request.
pub const MAX_PROOF_BYTES: usize = 4 * 1024;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://FILE` or `postgres://…`.
    pub database_url: String,
    /// The identity provider, if any.
    pub oidc: Option<OidcConfig>,
    /// `--dev-login`: the local demo identity provider (refused with PostgreSQL).
    pub dev_login: bool,
    /// Public base URL for links in e-mails; default `http://{listen address}`.
    pub public_url: Option<String>,
    /// SMTP delivery; without it messages stay in the outbox.
    pub smtp: Option<Smtp>,
    /// Days a patient link stays valid.
    pub link_days: i64,
    /// The largest panel upload, in bytes.
    pub max_panel_bytes: u64,
    /// Run the hourly timer and the mail worker (tests turn this off to control time).
    pub background: bool,
    /// Health-authority regions by postal-code prefix (coordinators' scope, DOMAIN §11).
    pub regions: pas_core::region::RegionMap,
    /// How long the public dashboard's and `/stats`' figures are reused (they scan every
    /// registration; zero recomputes on every request).
    pub public_cache: std::time::Duration,
    /// The server's notion of now (the system clock; a [`clock::ManualClock`] in tests).
    pub clock: clock::SharedClock,
    /// Per-client and per-sender limits.
    pub limits: throttle::Limits,
    /// Connection cap and timeouts.
    pub transport: transport::Transport,
    /// Behind a reverse proxy: the client address is the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
    /// The keys that sign patient links (`--link-keys`); without them, a secret kept in the
    /// database.
    pub link_keys: Option<LinkSigner>,
}

impl Config {
    /// Defaults over `database_url`: no login, links valid 30 days, panels up to
    /// [`DEFAULT_MAX_PANEL_MIB`] (FHIR up to [`MAX_FHIR_PANEL_BYTES`]).
    pub fn new(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            oidc: None,
            dev_login: false,
            public_url: None,
            smtp: None,
            link_days: 30,
            max_panel_bytes: DEFAULT_MAX_PANEL_MIB * 1024 * 1024,
            background: true,
            regions: pas_core::region::RegionMap::bc_health_authorities(),
            public_cache: std::time::Duration::from_secs(60),
            clock: clock::system(),
            limits: throttle::Limits::default(),
            transport: transport::Transport::default(),
            trust_forwarded_for: false,
            link_keys: None,
        }
    }
}

/// The public and patient routes: no login, so each client is rate-limited, and bodies are
/// small.
fn public_routes(app: &App) -> Router<App> {
    let proof = |r: axum::routing::MethodRouter<App>| r.layer(DefaultBodyLimit::max(MAX_PROOF_BYTES));
    Router::new()
        .route(
            "/api/v1/households",
            post(registry::create_household).layer(DefaultBodyLimit::max(MAX_HOUSEHOLD_BYTES)),
        )
        .route("/api/v1/households/{id}/status", proof(post(registry::household)))
        .route("/api/v1/link-requests", proof(post(registry::request_link)))
        .route(
            "/api/v1/registrations/{id}/status",
            proof(post(registry::registration_status)),
        )
        .route("/api/v1/registrations/{id}/withdraw", proof(post(registry::withdraw)))
        .route(
            "/api/v1/registrations/{id}/decline-offer",
            proof(post(registry::decline_offer)),
        )
        .route(
            "/api/v1/registrations/{id}/still-waiting",
            proof(post(registry::status_reply)),
        )
        .route("/api/v1/stats", get(admin::stats))
        .route("/api/v1/dashboard", get(dashboard::figures))
        .route("/dashboard/timeline.svg", get(dashboard::timeline_svg))
        .route("/dashboard/waits.svg", get(dashboard::waits_svg))
        .route_layer(axum::middleware::from_fn_with_state(app.clone(), rate_limited))
}

/// `429` when the client has used its public requests ([`throttle::Limits::public_per_minute`]).
async fn rate_limited(
    axum::extract::State(app): axum::extract::State<App>,
    client: throttle::ClientAddr,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    match app.throttle.public(client) {
        Ok(()) => next.run(request).await,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// The routes over the app state, with the default request timeout.
pub fn router(app: App) -> Router {
    router_with(app, transport::Transport::default())
}

/// The routes over the app state: every request answered within `limits.request_timeout`, a
/// panel upload and a match run within `limits.upload_timeout`.
pub fn router_with(app: App, limits: transport::Transport) -> Router {
    let dev_login = app.auth.is_dev();
    let mut router = public_routes(&app)
        .route("/api/v1/registrations", get(matching::registrations))
        .route("/api/v1/me", get(providers::me))
        .route("/api/v1/clinics", post(providers::create_clinic))
        .route(
            "/api/v1/clinics/{id}",
            get(providers::get_clinic).put(providers::put_clinic),
        )
        .route(
            "/api/v1/providers/{id}",
            get(providers::get_provider).put(providers::put_provider),
        )
        .route("/api/v1/providers/{id}/capacity", put(providers::put_capacity))
        .route("/api/v1/providers/{id}/offers", get(matching::list_offers))
        .route("/api/v1/panel-reports/{id}", get(providers::panel_report))
        .route("/api/v1/panel-reviews", get(api::reviews::list))
        .route("/api/v1/panel-reviews/{id}/resolve", post(api::reviews::resolve))
        .route("/api/v1/endorsements", get(endorse::list))
        .route("/api/v1/endorsements/{id}/cancel", post(endorse::end))
        .route("/api/v1/endorsement-requests", post(endorse::create))
        .route("/api/v1/endorsement-requests/receive", post(endorse::receive))
        .route("/api/v1/endorsement-requests/{id}/approve", post(endorse::approve))
        .route("/api/v1/endorsement-requests/{id}/decline", post(endorse::decline))
        .route("/api/v1/endorsement-requests/{id}/cancel", post(endorse::cancel))
        .route("/api/v1/match-runs/{id}", get(matching::get_run))
        .route("/api/v1/offers/{id}/accept", post(matching::accept_offer))
        .route("/api/v1/offers/{id}/decline", post(matching::decline_offer))
        .route("/api/v1/claims", post(matching::claim))
        .route("/api/v1/admin/outbox", get(admin::outbox))
        .route("/api/v1/admin/audit", get(admin::audit_trail))
        .route("/api/v1/admin/parties/{id}/standing", put(admin::set_standing))
        .route("/api/v1/admin/tick", post(jobs::run_tick))
        .route("/api/v1/login-config", get(web::login_config))
        .route("/healthz", get(registry::healthz))
        .route("/openapi.json", get(openapi));
    if dev_login {
        router = router
            .route("/dev/personas", get(dev::list))
            .route("/dev/login", post(dev::login))
            .route("/dev/authorize", get(dev::authorize_page).post(dev::authorize))
            .route("/dev/token", post(dev::token))
            .route("/dev/jwks.json", get(dev::jwks))
            .route("/dev/mailbox", get(dev::mailbox));
    }
    router
        .merge(web::routes())
        .merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/docs/openapi.json", api::ApiDoc::openapi()))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            limits.request_timeout,
            transport::deadline,
        ))
        // Added after the request timeout, so they have only their own, longer one: a panel
        // upload (a large EMR export over a slow link) and a match run (a province's).
        .route(
            "/api/v1/match-runs",
            post(matching::start_run).layer(axum::middleware::from_fn_with_state(
                limits.upload_timeout,
                transport::deadline,
            )),
        )
        .route(
            "/api/v1/providers/{id}/panel",
            post(providers::upload_panel).layer(DefaultBodyLimit::disable()).layer(
                axum::middleware::from_fn_with_state(limits.upload_timeout, transport::deadline),
            ),
        )
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(axum::middleware::from_fn_with_state(app.clone(), audit::refusals))
        .layer(axum::middleware::from_fn(error::problems_only))
        .layer(axum::middleware::from_fn_with_state(app.clone(), web::security_headers))
        .layer(
            // Spans name the route template, never the URI: a query string may hold a PHN.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("http", method = %req.method(), route)
            }),
        )
        .with_state(app)
}

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        api::openapi_json(),
    )
}

async fn not_found() -> error::Error {
    error::Error::Missing("route")
}

/// The patient-link secret: made once, kept in the database so every process shares it.
async fn link_secret(db: &Db) -> anyhow::Result<Vec<u8>> {
    for _ in 0..3 {
        let mut conn = db.pool().acquire().await?;
        if let (_, Some(secret)) = db::document(&mut conn, "link_secret").await? {
            return Ok(secret.into_bytes());
        }
        let fresh = auth::random_token()?;
        match db::put_document(&mut conn, "link_secret", 0, &fresh).await {
            Ok(()) => return Ok(fresh.into_bytes()),
            // Another process made it first: read theirs.
            Err(db::DbError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
    }
    anyhow::bail!("cannot create the patient-link secret")
}

/// A server with its database open and migrated and its listener bound.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: App,
    background: bool,
    smtp: Option<Smtp>,
    transport: transport::Transport,
}

impl Server {
    /// Open (creating and migrating) the database and bind `listen` (port 0 picks a free
    /// port).
    pub async fn bind(listen: SocketAddr, config: &Config) -> anyhow::Result<Self> {
        let backend = Backend::of(&config.database_url)
            .ok_or_else(|| anyhow::anyhow!("unsupported database URL: use sqlite://FILE or postgres://…"))?;
        if config.dev_login && backend == Backend::Postgres {
            anyhow::bail!(
                "--dev-login is for trying PAS on a laptop and is refused with PostgreSQL: \
                 configure OpenID Connect (--oidc-issuer, --oidc-audience, --oidc-jwks) instead"
            );
        }
        if config.dev_login && !listen.ip().is_loopback() {
            // Anyone reaching a dev-login server can log in as an admin.
            anyhow::bail!(
                "--dev-login gives anyone who reaches the server every role: it listens on a loopback \
                 address only (127.0.0.1 or ::1), not {listen}"
            );
        }
        if config.dev_login && config.oidc.is_some() {
            anyhow::bail!("--dev-login and --oidc-* cannot be combined");
        }
        let auth = match (&config.oidc, config.dev_login) {
            (Some(oidc), _) => Auth::oidc(oidc.clone()).await?,
            (None, true) => Auth::dev_login()?,
            (None, false) => Auth::none(),
        };
        let db = Db::open(&config.database_url).await.map_err(|e| match backend {
            Backend::Sqlite => anyhow::anyhow!("cannot open SQLite database: {e}"),
            Backend::Postgres => anyhow::anyhow!("cannot open PostgreSQL database: {e}"),
        })?;
        let links = match &config.link_keys {
            Some(keys) => keys.clone(),
            None => {
                tracing::warn!(
                    "patient links are signed with a secret kept in the database: give --link-keys \
                     so that a copy of the database cannot mint links"
                );
                LinkSigner::new(&link_secret(&db).await?)
            }
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        let addr = listener.local_addr()?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        let login = match (&config.oidc, config.dev_login) {
            (Some(o), _) => match (&o.authorization_endpoint, &o.token_endpoint) {
                (Some(a), Some(t)) => Some(api::LoginConfig {
                    authorization_endpoint: a.clone(),
                    token_endpoint: t.clone(),
                    client_id: o.audience.clone(),
                    scope: "openid email profile".to_owned(),
                    dev_login: false,
                }),
                _ => None,
            },
            (None, true) => Some(api::LoginConfig {
                authorization_endpoint: "/dev/authorize".to_owned(),
                token_endpoint: "/dev/token".to_owned(),
                client_id: auth::DEV_AUDIENCE.to_owned(),
                scope: "openid email profile".to_owned(),
                dev_login: true,
            }),
            (None, false) => None,
        };
        let csp = web::csp(login.as_ref().map(|l| l.token_endpoint.as_str()));
        let app = App {
            registrar: registrar::Registrar::start(db.clone(), config.clock.clone()),
            clock: config.clock.clone(),
            db,
            auth: Arc::new(auth),
            links,
            settings: Arc::new(Settings {
                public_url,
                link_ttl: chrono::Duration::days(config.link_days),
                max_panel_bytes: config.max_panel_bytes,
                login,
                csp,
                regions: config.regions.clone(),
                trust_forwarded_for: config.trust_forwarded_for,
            }),
            public: Arc::new(api::PublicFigures::new(config.public_cache)),
            throttle: Arc::new(throttle::Throttle::new(config.limits)),
        };
        Ok(Self {
            listener,
            app,
            background: config.background,
            smtp: config.smtp.clone(),
            transport: config.transport,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Whether `--dev-login` is on.
    pub fn dev_login(&self) -> bool {
        self.app.auth.is_dev()
    }

    /// Serve until `shutdown` completes, then finish the requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let mut tasks = Vec::new();
        if self.background {
            tasks.push(tokio::spawn(jobs::hourly(self.app.db.clone(), self.app.clock.clone())));
            tasks.push(tokio::spawn(api::dashboard::warm(self.app.clone())));
            if let Some(smtp) = self.smtp.clone() {
                tasks.push(tokio::spawn(effects::worker(
                    self.app.db.clone(),
                    smtp,
                    self.app.clock.clone(),
                )));
            }
        }
        let served = transport::serve(
            self.listener,
            router_with(self.app, self.transport),
            self.transport,
            shutdown,
        )
        .await;
        for t in tasks {
            t.abort();
        }
        served?;
        Ok(())
    }
}
