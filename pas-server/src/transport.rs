//! How connections are accepted and how long they may last (OWASP ASVS V11/V13: bound every
//! resource): at most [`Transport::max_connections`] open at once (more wait in the kernel's
//! backlog instead of exhausting file descriptors), request headers — and an idle keep-alive
//! connection's next request — within [`Transport::header_read_timeout`], every request answered
//! within [`Transport::request_timeout`] (`408 request_timeout`; panel uploads and match runs get
//! [`Transport::upload_timeout`]), and in-flight requests finished on shutdown.
//!
//! The accept loop is hyper's own (HTTP/1.1), with the peer address put in each request's
//! extensions as axum's `ConnectInfo`, which [`crate::throttle::ClientAddr`] reads.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::error::Error;

/// Connection and time limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transport {
    /// Connections served at once.
    pub max_connections: usize,
    /// Time to receive a request's headers, and the longest a keep-alive connection may stay
    /// idle between requests.
    pub header_read_timeout: Duration,
    /// Time to answer a request, body included.
    pub request_timeout: Duration,
    /// Time to answer a panel upload (a large EMR export over a slow link) or a match run (a
    /// province's registrations: tens of seconds at a million).
    pub upload_timeout: Duration,
    /// Time requests in flight get to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Answer `408 request_timeout` when the inner handler takes longer than the state's duration.
pub async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => Error::Rejected(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
}

/// Serve `router` on `listener` within `limits` until `shutdown` completes, then let requests
/// in flight finish (up to the grace period).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Transport,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first: while the server is full, new connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            tower::ServiceExt::oneshot(router.clone(), request)
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after the shutdown grace period");
    }
    Ok(())
}
