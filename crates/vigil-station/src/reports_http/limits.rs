//! Rate limits of the report endpoint: a token bucket per client address (every request) and
//! per reporting token (every report), so that one phone stuck in a loop or one leaked link
//! cannot flood the operator's inbox. Buckets are kept for at most [`MAX_BUCKETS`] keys; the
//! least recently used go first (a forgotten key starts with a full bucket again).

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

/// Keys remembered per limiter.
pub const MAX_BUCKETS: usize = 4096;

/// How many requests or reports are allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Requests of any kind per client address: a burst of this many...
    pub requests_burst: u32,
    /// ...refilled at this many a minute.
    pub requests_per_min: u32,
    /// Reports per token: a burst of this many...
    pub reports_burst: u32,
    /// ...refilled at this many a minute.
    pub reports_per_min: u32,
}

impl Default for RateLimits {
    /// A village focal point sends a few reports an hour; a gateway relays a market day's
    /// messages in bursts. A phone reloading the page is a few requests.
    fn default() -> Self {
        Self {
            requests_burst: 60,
            requests_per_min: 60,
            reports_burst: 30,
            reports_per_min: 10,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets per key.
#[derive(Debug)]
pub struct Limiter<K> {
    burst: f64,
    per_s: f64,
    buckets: HashMap<K, Bucket>,
}

impl<K: Eq + Hash + Clone> Limiter<K> {
    pub fn new(burst: u32, per_min: u32) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_s: f64::from(per_min) / 60.0,
            buckets: HashMap::new(),
        }
    }

    /// Takes one from `key`'s bucket at `now`; `Err(wait)` when it is empty, with how long
    /// until one is back.
    pub fn take(&mut self, key: &K, now: Instant) -> Result<(), Duration> {
        if !self.buckets.contains_key(key) && self.buckets.len() >= MAX_BUCKETS {
            let oldest = self
                .buckets
                .iter()
                .min_by_key(|(_, b)| b.last)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.buckets.remove(&oldest);
            }
        }
        let bucket = self.buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed_s = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed_s * self.per_s).min(self.burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait_s = if self.per_s > 0.0 {
            (1.0 - bucket.tokens) / self.per_s
        } else {
            3600.0
        };
        Err(Duration::from_secs_f64(wait_s.min(3600.0)))
    }

    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let mut limiter = Limiter::new(3, 60);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(&"a", t0).is_ok());
        }
        let wait = limiter.take(&"a", t0).expect_err("empty");
        assert!((wait.as_secs_f64() - 1.0).abs() < 1e-6, "{wait:?}");
        assert!(limiter.take(&"b", t0).is_ok(), "keys are separate");
        assert!(limiter.take(&"a", t0 + Duration::from_secs(1)).is_ok());
        assert!(limiter.take(&"a", t0 + Duration::from_secs(1)).is_err());
        // Never more than the burst, however long it rested.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(limiter.take(&"a", later).is_ok());
        }
        assert!(limiter.take(&"a", later).is_err());
    }

    #[test]
    fn keys_are_bounded() {
        let mut limiter = Limiter::new(1, 1);
        let t0 = Instant::now();
        for i in 0..(MAX_BUCKETS + 10) {
            let _ = limiter.take(&i, t0 + Duration::from_millis(i as u64));
        }
        assert_eq!(limiter.len(), MAX_BUCKETS);
        // The first keys were forgotten: they start full again.
        assert!(limiter.take(&0, t0 + Duration::from_secs(100)).is_ok());
    }
}
