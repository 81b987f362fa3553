//! `pas serve`: the reference server.

use std::net::SocketAddr;

use pas_server::auth::{JwksSource, OidcConfig};
use pas_server::effects::Smtp;
use pas_server::{Config, DEFAULT_DATABASE_URL, Server};

/// Arguments of `pas serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (port 0 picks a free one; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// `sqlite://FILE` (created and migrated on start) or `postgres://…`.
    #[arg(long, env = "PAS_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// OpenID Connect issuer of provider-side ID tokens (OneHealthID), e.g.
    /// `https://common-logon.hlth.gov.bc.ca/auth/realms/moh_applications`.
    #[arg(long, env = "PAS_OIDC_ISSUER", requires_all = ["oidc_audience", "oidc_jwks"])]
    oidc_issuer: Option<String>,
    /// The audience (client id) ID tokens must name.
    #[arg(long, env = "PAS_OIDC_AUDIENCE", requires = "oidc_issuer")]
    oidc_audience: Option<String>,
    /// The issuer's signing keys: a JWKS URL (`https://…/certs`) or a JWKS JSON file.
    #[arg(long, env = "PAS_OIDC_JWKS", requires = "oidc_issuer")]
    oidc_jwks: Option<String>,
    /// The issuer's authorization endpoint, for the pages' login (authorization code + PKCE;
    /// `authorization_endpoint` of its `.well-known/openid-configuration`).
    #[arg(long, env = "PAS_OIDC_AUTHORIZE_URL", requires = "oidc_token_url")]
    oidc_authorize_url: Option<String>,
    /// The issuer's token endpoint (it must allow this site's origin: CORS).
    #[arg(long, env = "PAS_OIDC_TOKEN_URL", requires = "oidc_authorize_url")]
    oidc_token_url: Option<String>,
    /// Enable a LOCAL DEMO identity provider (`POST /dev/login`) that issues tokens for any
    /// role. For trying PAS on a laptop only; refused with PostgreSQL.
    #[arg(long, conflicts_with = "oidc_issuer")]
    dev_login: bool,
    /// Public base URL used in e-mailed links (default: http://LISTEN).
    #[arg(long, env = "PAS_PUBLIC_URL")]
    public_url: Option<String>,
    /// SMTP server for e-mail, lettre URL form (`smtps://user:pass@mail.example.org`); without
    /// it messages stay in the outbox, visible to admins.
    #[arg(long, env = "PAS_SMTP_URL", requires = "mail_from")]
    smtp_url: Option<String>,
    /// The From address of e-mail.
    #[arg(long, env = "PAS_MAIL_FROM")]
    mail_from: Option<String>,
    /// Days a patient's signed link stays valid.
    #[arg(long, default_value_t = 30)]
    link_days: i64,
    /// Largest panel upload in MiB.
    #[arg(long, default_value_t = pas_server::DEFAULT_MAX_PANEL_MIB)]
    max_panel_mib: u64,
    /// Health-authority regions: a CSV `prefix,region` (longest postal-code prefix wins) instead
    /// of the built-in map of BC's five regional health authorities (`pas regions` prints it).
    #[arg(long, env = "PAS_REGIONS")]
    regions: Option<std::path::PathBuf>,
    /// Seconds the public dashboard's and /stats' figures are reused before they are computed
    /// again from every registration (0: every request).
    #[arg(long, default_value_t = 60)]
    public_cache_secs: u64,
    /// Run on a clock standing still at this instant (RFC 3339) instead of the system clock, so
    /// that tests of the binary do not depend on the day they run. Loopback addresses only.
    #[arg(long, hide = true)]
    test_clock: Option<chrono::DateTime<chrono::Utc>>,
    /// Connections served at once (more wait in the listen backlog).
    #[arg(long, default_value_t = 512)]
    max_connections: usize,
    /// Requests per minute one client may make to the public and patient API (registration,
    /// status, link requests, public figures); 0: no limit.
    #[arg(long, default_value_t = 120)]
    public_requests_per_minute: u32,
    /// E-mail-sending operations (endorsement requests, link requests) per hour per sender; 0:
    /// no limit.
    #[arg(long, default_value_t = 30)]
    mail_per_hour: u32,
    /// Behind a reverse proxy that sets `X-Forwarded-For`: rate limits and audit rows use its
    /// last address (the client the proxy saw) instead of the proxy's.
    #[arg(long)]
    trust_forwarded_for: bool,
    /// The keys that sign patient links: a file of `id:base64url-secret` lines (32 bytes or
    /// more), the signing key first; older keys after it still verify (rotation). Without it,
    /// a secret kept in the database signs (a copy of the database could then mint links).
    #[arg(long, env = "PAS_LINK_KEYS")]
    link_keys: Option<std::path::PathBuf>,
}

/// Serve until Ctrl-C (or SIGTERM), then finish the requests in flight.
pub fn run(args: &Args) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let mut config = Config::new(&args.database_url);
    config.oidc = match (&args.oidc_issuer, &args.oidc_audience, &args.oidc_jwks) {
        (Some(issuer), Some(audience), Some(jwks)) => Some(OidcConfig {
            issuer: issuer.clone(),
            audience: audience.clone(),
            jwks: JwksSource::parse(jwks),
            authorization_endpoint: args.oidc_authorize_url.clone(),
            token_endpoint: args.oidc_token_url.clone(),
        }),
        _ => None,
    };
    config.dev_login = args.dev_login;
    config.public_url.clone_from(&args.public_url);
    config.smtp = match (&args.smtp_url, &args.mail_from) {
        (Some(url), Some(from)) => Some(Smtp {
            url: url.clone(),
            from: from.clone(),
        }),
        _ => None,
    };
    config.link_days = args.link_days;
    config.max_panel_bytes = args.max_panel_mib.saturating_mul(1024 * 1024);
    config.public_cache = std::time::Duration::from_secs(args.public_cache_secs);
    config.transport.max_connections = args.max_connections;
    config.limits.public_per_minute = args.public_requests_per_minute;
    config.limits.mail_per_hour = args.mail_per_hour;
    config.trust_forwarded_for = args.trust_forwarded_for;
    if let Some(path) = &args.link_keys {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the link keys {}: {e}", path.display()))?;
        config.link_keys = Some(
            pas_server::auth::LinkSigner::from_file_text(&text)
                .map_err(|e| anyhow::anyhow!("link keys {}: {e}", path.display()))?,
        );
    }

    if let Some(at) = args.test_clock {
        // A clock that stands still never expires a token or a link: never on a reachable address.
        if !args.listen.ip().is_loopback() {
            anyhow::bail!(
                "--test-clock is for tests on a loopback address (127.0.0.1), not {}",
                args.listen
            );
        }
        eprintln!("pas: TEST CLOCK: the server's time stands at {at}");
        config.clock = std::sync::Arc::new(pas_server::clock::ManualClock::new(at));
    }
    if let Some(path) = &args.regions {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the region table {}: {e}", path.display()))?;
        config.regions = pas_core::region::RegionMap::parse_csv(&text)
            .map_err(|e| anyhow::anyhow!("region table {}: {e}", path.display()))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let server = Server::bind(args.listen, &config).await?;
        let addr = server.local_addr()?;
        println!("pas: listening on http://{addr}");
        if server.dev_login() {
            eprintln!("pas: DEV LOGIN ENABLED — demo tokens from POST http://{addr}/dev/login; not for real patients");
            tracing::warn!("dev login enabled: anyone reaching this server can log in as any role");
        }
        if config.oidc.is_none() && !config.dev_login {
            eprintln!("pas: no identity provider configured: provider-side endpoints answer 401 (see --oidc-issuer or --dev-login)");
        }
        tracing::info!(%addr, "listening");
        server.run(shutdown_signal()).await?;
        tracing::info!("stopped");
        Ok(())
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
