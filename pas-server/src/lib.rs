//! The PAS reference server (issue 9, first slice): a thin axum server over pas-core that
//! stores Health Connect Registry households in SQLite (default) or PostgreSQL.
//!
//! [`Server::bind`] opens and migrates the database and binds the listener; [`Server::run`]
//! serves until the shutdown future completes. `pas serve` and the tests use the same two calls.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::routing::{get, post};
use tower_http::trace::TraceLayer;

pub mod api;
pub mod db;
pub mod error;

use api::App;
use db::Database;

/// The default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./pas.db";

/// The routes over one storage backend.
pub fn router<D: Database>(db: D) -> Router {
    Router::new()
        .route("/api/v1/households", post(api::create_household::<D>))
        .route("/api/v1/registrations/{id}/status", get(api::registration_status::<D>))
        .route("/api/v1/registrations/{id}/withdraw", post(api::withdraw::<D>))
        .route("/healthz", get(api::healthz::<D>))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
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
        .with_state(App { db })
}

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        api::openapi_json(),
    )
}

async fn not_found() -> error::Error {
    error::Error::NotFound
}

/// A server with its database open and migrated and its listener bound.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: Router,
}

impl Server {
    /// Open (creating and migrating) the database at `database_url` (`sqlite://…` or
    /// `postgres://…`) and bind `listen` (port 0 picks a free port).
    pub async fn bind(listen: SocketAddr, database_url: &str) -> anyhow::Result<Self> {
        let app = if database_url.starts_with("sqlite:") {
            let db = db::open_sqlite(database_url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot open SQLite database: {e}"))?;
            db.migrate()
                .await
                .map_err(|e| anyhow::anyhow!("cannot migrate SQLite database: {e}"))?;
            router(db)
        } else if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            let db = db::open_postgres(database_url)
                .await
                .map_err(|e| anyhow::anyhow!("cannot connect to PostgreSQL: {e}"))?;
            db.migrate()
                .await
                .map_err(|e| anyhow::anyhow!("cannot migrate PostgreSQL database: {e}"))?;
            router(db)
        } else {
            anyhow::bail!("unsupported database URL: use sqlite://FILE or postgres://…");
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
        Ok(Self { listener, app })
    }

    /// The bound address.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serve until `shutdown` completes, then finish the requests in flight.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        axum::serve(self.listener, self.app)
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}
