//! The server's one notion of "now".
//!
//! Every handler, job and page asks the [`Clock`] in the app state; nothing in the server calls
//! `Utc::now()` or `SystemTime::now()` itself. Production runs on [`SystemClock`]; tests run on a
//! [`ManualClock`] set to a fixed instant and stepped forward when a test needs time to pass
//! (offers lapsing after 14 days, tokens expiring), so no test depends on the day it runs.
//! (Monotonic `Instant`s, used only to measure elapsed time for rate limits and timeouts, are
//! not wall-clock dates and stay as they are.)

use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant, UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in UTC: the default `as_of` of an operation (DOMAIN: "`as_of` defaults to
    /// today").
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The clock shared by the app state, the jobs and the pages.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place the wall clock is read
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until it is set or advanced: for tests and demonstrations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    /// A clock standing at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self { now: Mutex::new(at) }
    }

    /// Move the clock to `at` (backwards too).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at;
    }

    /// Move the clock forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock still holds a valid instant.
        self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// RFC 3339 UTC to the second: how the server stores and prints instants.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The system clock, shared.
pub fn system() -> SharedClock {
    Arc::new(SystemClock)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap().to_utc();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        assert_eq!(clock.now(), start);
        clock.advance(chrono::Duration::days(15));
        assert_eq!(clock.today().to_string(), "2026-12-10");
        clock.set(start);
        assert_eq!(clock.today().to_string(), "2026-11-25");
    }
}
