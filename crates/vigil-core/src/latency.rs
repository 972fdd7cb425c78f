//! A fixed-size latency histogram (log-linear buckets, 16 per octave: under 4.5% error), so
//! the world thread can report p50/p99 from frame arrival to snapshot without storing samples.

use std::time::Duration;

const SUB_BUCKETS: usize = 16;
const OCTAVES: usize = 40;

#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self {
            counts: vec![0; SUB_BUCKETS * OCTAVES],
            total: 0,
        }
    }
}

fn bucket_of(nanos: u64) -> usize {
    if nanos < SUB_BUCKETS as u64 {
        return nanos as usize;
    }
    let octave = 63 - nanos.leading_zeros() as usize; // >= 4
    let shift = octave - 4;
    let sub = ((nanos >> shift) as usize) & (SUB_BUCKETS - 1);
    ((octave - 3) * SUB_BUCKETS + sub).min(SUB_BUCKETS * OCTAVES - 1)
}

fn bucket_upper_nanos(bucket: usize) -> u64 {
    if bucket < SUB_BUCKETS {
        return bucket as u64;
    }
    let octave = bucket / SUB_BUCKETS + 3;
    let sub = (bucket % SUB_BUCKETS) as u64;
    ((SUB_BUCKETS as u64 + sub + 1) << (octave - 4)) - 1
}

impl LatencyHistogram {
    pub fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.counts[bucket_of(nanos)] += 1;
        self.total += 1;
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    /// The latency below which a fraction `quantile` (0..=1) of samples fall (bucket upper
    /// bound), or `None` when empty.
    pub fn quantile(&self, quantile: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(Duration::from_nanos(bucket_upper_nanos(bucket)));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_bucket_resolution() {
        let mut histogram = LatencyHistogram::default();
        for micros in 1..=1000u64 {
            histogram.record(Duration::from_micros(micros));
        }
        let p50 = histogram.quantile(0.5).expect("samples").as_secs_f64() * 1e6;
        let p99 = histogram.quantile(0.99).expect("samples").as_secs_f64() * 1e6;
        assert!((500.0..=500.0 * 1.07).contains(&p50), "p50 {p50}");
        assert!((990.0..=990.0 * 1.07).contains(&p99), "p99 {p99}");
        assert_eq!(histogram.count(), 1000);
    }

    #[test]
    fn buckets_are_monotonic() {
        let mut last = 0;
        for nanos in (0..100_000u64).step_by(7) {
            let bucket = bucket_of(nanos);
            assert!(bucket >= last);
            assert!(bucket_upper_nanos(bucket) >= nanos);
            last = bucket;
        }
    }
}
