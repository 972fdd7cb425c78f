//! Mission time: microseconds since the UNIX epoch, passed into everything that decides by
//! time (link health, command retries, replay) so that they are deterministic under test.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A moment on the mission clock, in microseconds since the UNIX epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeUs(pub u64);

impl TimeUs {
    pub fn from_secs_f64(secs: f64) -> Self {
        Self((secs * 1e6).max(0.0) as u64)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-6
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Self) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }

    pub fn plus(self, duration: Duration) -> Self {
        Self(
            self.0
                .saturating_add(u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)),
        )
    }
}

/// The live clock: UNIX time read once at start, then advanced by the monotonic clock, so it
/// never jumps backwards when the system clock is stepped mid-mission.
#[derive(Debug, Clone, Copy)]
pub struct MonoClock {
    start: Instant,
    start_unix: TimeUs,
}

impl MonoClock {
    pub fn new() -> Self {
        let unix_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        Self {
            start: Instant::now(),
            start_unix: TimeUs(unix_us),
        }
    }

    pub fn now(&self) -> TimeUs {
        self.at(Instant::now())
    }

    /// The mission time of a monotonic instant taken after the clock started.
    pub fn at(&self, instant: Instant) -> TimeUs {
        self.start_unix
            .plus(instant.saturating_duration_since(self.start))
    }
}

impl Default for MonoClock {
    fn default() -> Self {
        Self::new()
    }
}
