//! How often a client may call (DOMAIN §11, OWASP ASVS V2.2 and V11): per-client rate limits on
//! the public and patient routes, per-sender limits on operations that send e-mail, and the
//! throttle of failed patient proofs (per registration, shared by every process through the
//! database, and per client).
//!
//! Every refusal is `429` with `Retry-After`. Limits count requests of one client address: the
//! TCP peer, or — with `--trust-forwarded-for`, behind a reverse proxy that sets it — the last
//! address of `X-Forwarded-For` (the one the proxy saw). In-memory limits are per process (a
//! deployment of N processes allows N times as much); the proof throttle is in the database.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::Error;

/// The limits a server enforces; zero turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests per minute per client on the public and patient API routes (registration,
    /// proofs, link requests, public figures).
    pub public_per_minute: u32,
    /// E-mail-sending operations (endorsement requests, link requests) per hour per sender.
    pub mail_per_hour: u32,
    /// Failed patient proofs per registration per hour before `429` (all clients together).
    pub proof_failures_per_registration: u32,
    /// Failed patient proofs per client per hour, whatever registrations they named.
    pub proof_failures_per_client: u32,
    /// Link re-sends per registration per day (more are accepted and not sent: the answer does
    /// not say whether a PHN is registered).
    pub link_requests_per_registration: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            public_per_minute: 120,
            mail_per_hour: 30,
            proof_failures_per_registration: 5,
            proof_failures_per_client: 20,
            link_requests_per_registration: 3,
        }
    }
}

impl Limits {
    /// No limits (tests that register thousands of households from one address).
    pub const fn off() -> Self {
        Self {
            public_per_minute: 0,
            mail_per_hour: 0,
            proof_failures_per_registration: 0,
            proof_failures_per_client: 0,
            link_requests_per_registration: 0,
        }
    }
}

/// One keyed limiter, or none when its limit is zero.
struct Keyed<K: std::hash::Hash + Eq + Clone> {
    limiter: Option<DefaultKeyedRateLimiter<K>>,
    code: &'static str,
    checks: AtomicU64,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    fn new(per: u32, period: Duration, code: &'static str) -> Self {
        let limiter = NonZeroU32::new(per).and_then(|n| {
            Quota::with_period(period / n.get())
                .map(|q| q.allow_burst(n))
                .map(RateLimiter::keyed)
        });
        Self {
            limiter,
            code,
            checks: AtomicU64::new(0),
        }
    }

    fn check(&self, key: &K) -> Result<(), Error> {
        let Some(limiter) = &self.limiter else { return Ok(()) };
        // Forget idle keys now and then, so memory follows the active clients only.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            Error::TooMany(self.code, wait.as_secs() + 1)
        })
    }
}

/// The in-memory limiters of one process.
pub struct Throttle {
    limits: Limits,
    public: Keyed<IpAddr>,
    mail: Keyed<String>,
    /// Panel uploads being validated: at most [`UPLOADS_AT_ONCE`] in the process, one per
    /// provider.
    upload_slots: std::sync::Arc<tokio::sync::Semaphore>,
    uploading: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

/// Panel uploads validated at once by one process (each streams its file; the others wait).
pub const UPLOADS_AT_ONCE: usize = 2;

/// A panel upload in progress; dropping it frees the provider and the slot.
#[derive(Debug)]
pub struct Uploading {
    provider: String,
    uploading: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    /// The process slot, once granted (the provider's mark is held, and freed on drop, from
    /// before the wait for a slot: a request dropped while waiting frees it too).
    _slot: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Uploading {
    fn drop(&mut self) {
        if let Ok(mut set) = self.uploading.lock() {
            set.remove(&self.provider);
        }
    }
}

impl std::fmt::Debug for Throttle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttle")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Throttle {
    /// Limiters for `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            public: Keyed::new(limits.public_per_minute, Duration::from_secs(60), "rate_limited"),
            mail: Keyed::new(limits.mail_per_hour, Duration::from_secs(3600), "rate_limited"),
            upload_slots: std::sync::Arc::new(tokio::sync::Semaphore::new(UPLOADS_AT_ONCE)),
            uploading: std::sync::Arc::default(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// One request of `client` to a public or patient route.
    pub fn public(&self, client: ClientAddr) -> Result<(), Error> {
        self.public.check(&client.0)
    }

    /// Start a panel upload for `provider`: `429 upload_in_progress` while one of theirs is
    /// still being validated; otherwise waits for one of the process's upload slots.
    pub async fn upload(&self, provider: &str) -> Result<Uploading, Error> {
        {
            let mut set = self
                .uploading
                .lock()
                .map_err(|_| Error::Internal("upload registry poisoned".to_owned()))?;
            if !set.insert(provider.to_owned()) {
                return Err(Error::TooMany("upload_in_progress", 30));
            }
        }
        let mut uploading = Uploading {
            provider: provider.to_owned(),
            uploading: std::sync::Arc::clone(&self.uploading),
            _slot: None,
        };
        let slot = std::sync::Arc::clone(&self.upload_slots)
            .acquire_owned()
            .await
            .map_err(|_| Error::Internal("upload slots closed".to_owned()))?;
        uploading._slot = Some(slot);
        Ok(uploading)
    }

    /// One e-mail-sending operation by `sender` (a party id, or a client address).
    pub fn mail(&self, sender: &str) -> Result<(), Error> {
        self.mail.check(&sender.to_owned())
    }
}

/// The proof window: failures per registration and per client are counted over the last hour
/// (in the database, see [`crate::db::proof_failures`]).
pub const PROOF_WINDOW: chrono::Duration = chrono::Duration::hours(1);

/// `Retry-After` for a registration whose oldest failure in the window was at `oldest`.
pub fn retry_after(oldest: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((oldest + PROOF_WINDOW - now).num_seconds())
        .unwrap_or(0)
        .max(1)
}

/// The client's address (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl std::fmt::Display for ClientAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ClientAddr {
    /// The client of a request: the peer, or the proxy's last `X-Forwarded-For` entry when
    /// `trust_forwarded_for`.
    pub fn of(parts: &Parts, trust_forwarded_for: bool) -> Self {
        if trust_forwarded_for {
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back();
            if let Some(ip) = forwarded {
                return Self(ip);
            }
        }
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Self(peer)
    }
}

impl FromRequestParts<crate::api::App> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &crate::api::App) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts, app.settings.trust_forwarded_for))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_client_over_its_limit_gets_429_with_retry_after_and_others_do_not() {
        let t = Throttle::new(Limits {
            public_per_minute: 3,
            ..Limits::default()
        });
        let a = ClientAddr("192.0.2.1".parse().unwrap());
        let b = ClientAddr("192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            t.public(a).unwrap();
        }
        match t.public(a) {
            Err(Error::TooMany("rate_limited", secs)) => assert!((1..=61).contains(&secs), "{secs}"),
            other => panic!("{other:?}"),
        }
        t.public(b).unwrap();
        let off = Throttle::new(Limits::off());
        for _ in 0..10_000 {
            off.public(a).unwrap();
        }
    }

    #[tokio::test]
    async fn one_upload_per_provider_and_a_few_per_process() {
        let t = Throttle::new(Limits::default());
        let first = t.upload("A1001").await.unwrap();
        assert!(matches!(
            t.upload("A1001").await,
            Err(Error::TooMany("upload_in_progress", _))
        ));
        let other = t.upload("B2002").await.unwrap();
        // Both slots taken: a third provider waits; abandoning the wait frees its mark.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), t.upload("C3003")).await;
        assert!(waiting.is_err(), "no slot free");
        drop(first);
        let third = t.upload("C3003").await.unwrap();
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), t.upload("A1001")).await;
        assert!(waiting.is_err(), "no slot while B2002 and C3003 upload");
        drop((other, third));
        t.upload("A1001").await.unwrap();
    }
}
