//! Public aggregates computed at most once per interval.
//!
//! The dashboard and `/stats` read every registration; they are public, so without a cache
//! anyone could make the server scan the registry as often as they like, and a page view (the
//! figures and two plots) would scan it three times. [`Cached`] keeps the last result for a
//! time-to-live and lets one request recompute while concurrent ones wait for that result
//! instead of starting their own scan. Each process has its own copy, so figures may be up to
//! one TTL old — stated on the dashboard by its `computed_at`.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// A value recomputed when older than its time-to-live.
#[derive(Debug)]
pub struct Cached<T> {
    ttl: Duration,
    slot: Mutex<Option<(Instant, Arc<T>)>>,
}

impl<T> Cached<T> {
    /// An empty cache; `ttl` zero recomputes every time.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            slot: Mutex::new(None),
        }
    }

    /// The time-to-live.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// The cached value if younger than the TTL, else the result of `compute` (stored when it
    /// succeeds; an error is returned and nothing is stored).
    pub async fn get_or_try<E, F, Fut>(&self, compute: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some((at, value)) = slot.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(Arc::clone(value));
        }
        let value = Arc::new(compute().await?);
        *slot = Some((Instant::now(), Arc::clone(&value)));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn computes_once_per_ttl_and_not_on_error() {
        let runs = AtomicU32::new(0);
        let compute = || async { Ok::<_, ()>(runs.fetch_add(1, Ordering::SeqCst) + 1) };
        let cache = Cached::new(Duration::from_secs(3600));
        assert_eq!(*cache.get_or_try(compute).await.unwrap(), 1);
        assert_eq!(*cache.get_or_try(compute).await.unwrap(), 1);
        let fresh = Cached::new(Duration::ZERO);
        assert!(fresh.get_or_try(|| async { Err::<u32, _>("down") }).await.is_err());
        assert_eq!(*fresh.get_or_try(compute).await.unwrap(), 2);
        assert_eq!(*fresh.get_or_try(compute).await.unwrap(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_readers_share_one_computation() {
        let runs = Arc::new(AtomicU32::new(0));
        let cache = Arc::new(Cached::new(Duration::from_secs(3600)));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, runs) = (Arc::clone(&cache), Arc::clone(&runs));
                tokio::spawn(async move {
                    *cache
                        .get_or_try(|| async {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok::<_, ()>(runs.fetch_add(1, Ordering::SeqCst))
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), 0);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }
}
