//! Scores a tracker against ground truth, for tests, tuning and replays: OSPA and GOSPA
//! between the track positions and the true positions at one time, both with the optimal
//! assignment of `associate`, and a [`TrackingScore`] that accumulates them over time with
//! the identity errors an operator notices (a track's number jumping to another target, a
//! target's track breaking) and detection-to-update latencies.
//!
//! OSPA (Schuhmacher et al. 2008), cut-off c, order p, |X| = m ≤ n = |Y|:
//! `( (min_π Σ min(d, c)^p + c^p (n − m)) / n )^(1/p)`, 0 for two empty sets, c when just
//! one is empty. GOSPA with α = 2 (Rahmathullah et al. 2017):
//! `( Σ_assigned d^p + c^p/2 · (missed + false) )^(1/p)`, where a pair farther apart than c
//! counts as one missed target and one false track.

use std::collections::{BTreeMap, BTreeSet};

use nalgebra::{DMatrix, Vector2};

use super::associate::solve_assignment;
use super::error::{TrackingError, finite};
use super::types::{GroundTruthPoint, Track};

fn check_params(c_m: f64, p: f64) -> Result<(), TrackingError> {
    if !(c_m.is_finite() && c_m > 0.0) {
        return Err(TrackingError::InvalidConfig(
            "metric cut-off c must be positive",
        ));
    }
    if !(p.is_finite() && p >= 1.0) {
        return Err(TrackingError::InvalidConfig(
            "metric order p must be at least 1",
        ));
    }
    Ok(())
}

fn check_points(field: &'static str, points: &[Vector2<f64>]) -> Result<(), TrackingError> {
    for point in points {
        finite(field, point.x)?;
        finite(field, point.y)?;
    }
    Ok(())
}

/// The assignment of estimates to truths minimising Σ min(d, c)^p, as (estimate, truth,
/// distance) triples; every estimate or every truth is in one.
fn assign(
    estimates: &[Vector2<f64>],
    truths: &[Vector2<f64>],
    c_m: f64,
    p: f64,
) -> Vec<(usize, usize, f64)> {
    let costs = DMatrix::from_fn(estimates.len(), truths.len(), |i, j| {
        (estimates[i] - truths[j]).norm().min(c_m).powf(p)
    });
    solve_assignment(&costs)
        .into_iter()
        .enumerate()
        .filter_map(|(i, j)| j.map(|j| (i, j, (estimates[i] - truths[j]).norm())))
        .collect()
}

/// OSPA distance between estimated and true positions, metres.
pub fn ospa(
    estimates: &[Vector2<f64>],
    truths: &[Vector2<f64>],
    c_m: f64,
    p: f64,
) -> Result<f64, TrackingError> {
    check_params(c_m, p)?;
    check_points("estimate position", estimates)?;
    check_points("truth position", truths)?;
    let n = estimates.len().max(truths.len());
    if n == 0 {
        return Ok(0.0);
    }
    let pairs = assign(estimates, truths, c_m, p);
    let localisation: f64 = pairs.iter().map(|&(_, _, d)| d.min(c_m).powf(p)).sum();
    let cardinality = c_m.powf(p) * (n - pairs.len()) as f64;
    Ok(((localisation + cardinality) / n as f64).powf(1.0 / p))
}

/// GOSPA (α = 2) and its parts. The parts are in metres to the power p and add up to
/// `distance_m^p`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gospa {
    /// The GOSPA distance, metres.
    pub distance_m: f64,
    /// Σ d^p over assigned pairs.
    pub localisation: f64,
    /// c^p / 2 for each missed truth.
    pub missed: f64,
    /// c^p / 2 for each false estimate.
    pub false_tracks: f64,
    /// Truths without an estimate within c.
    pub n_missed: usize,
    /// Estimates without a truth within c.
    pub n_false: usize,
    /// Assigned (estimate index, truth index) pairs, closer than c.
    pub pairs: Vec<(usize, usize)>,
}

/// GOSPA (α = 2) between estimated and true positions.
pub fn gospa(
    estimates: &[Vector2<f64>],
    truths: &[Vector2<f64>],
    c_m: f64,
    p: f64,
) -> Result<Gospa, TrackingError> {
    check_params(c_m, p)?;
    check_points("estimate position", estimates)?;
    check_points("truth position", truths)?;
    let close: Vec<(usize, usize, f64)> = assign(estimates, truths, c_m, p)
        .into_iter()
        .filter(|&(_, _, d)| d < c_m)
        .collect();
    let localisation: f64 = close.iter().map(|&(_, _, d)| d.powf(p)).sum();
    let half = c_m.powf(p) / 2.0;
    let n_missed = truths.len() - close.len();
    let n_false = estimates.len() - close.len();
    let (missed, false_tracks) = (half * n_missed as f64, half * n_false as f64);
    Ok(Gospa {
        distance_m: (localisation + missed + false_tracks).powf(1.0 / p),
        localisation,
        missed,
        false_tracks,
        n_missed,
        n_false,
        pairs: close.into_iter().map(|(i, j, _)| (i, j)).collect(),
    })
}

/// The confirmed tracks' identities and positions, the estimates to score.
pub fn confirmed_estimates(tracks: &[Track]) -> Vec<(u64, Vector2<f64>)> {
    tracks
        .iter()
        .filter(|t| t.confirmed)
        .map(|t| (t.id, t.state.pos_enu_m()))
        .collect()
}

/// The scores of one time.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanScore {
    /// OSPA, metres.
    pub ospa_m: f64,
    /// GOSPA and its parts.
    pub gospa: Gospa,
}

/// Summary of detection-to-update latencies, seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencySummary {
    /// Samples recorded.
    pub count: usize,
    /// Their mean.
    pub mean_s: f64,
    /// Their 95th percentile (nearest rank).
    pub p95_s: f64,
    /// The largest.
    pub max_s: f64,
}

/// Everything accumulated so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSummary {
    /// Times recorded.
    pub times: usize,
    /// Mean OSPA over them, metres.
    pub mean_ospa_m: f64,
    /// Mean GOSPA over them, metres.
    pub mean_gospa_m: f64,
    /// A target's track changed to another while the old one still existed and had
    /// followed it up to the time before (a truth keeps its track while they stay within c).
    pub id_swaps: usize,
    /// A target's track changed after the target went unfollowed for a while, or after its
    /// old track ended.
    pub fragmentations: usize,
    /// Truths without a track within c, summed over times.
    pub missed_truths: usize,
    /// Tracks without a truth within c, summed over times.
    pub false_tracks: usize,
    /// Latencies, if any were recorded.
    pub latency: Option<LatencySummary>,
}

/// Which track last followed a truth, and whether it has been unfollowed since.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct Following {
    track_id: Option<u64>,
    lost_since: bool,
}

/// Accumulates scores over time.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackingScore {
    c_m: f64,
    p: f64,
    times: usize,
    ospa_sum_m: f64,
    gospa_sum_m: f64,
    id_swaps: usize,
    fragmentations: usize,
    missed_truths: usize,
    false_tracks: usize,
    following: BTreeMap<u64, Following>,
    latencies_s: Vec<f64>,
}

impl TrackingScore {
    /// An empty score with cut-off `c_m` and order `p`.
    pub fn new(c_m: f64, p: f64) -> Result<Self, TrackingError> {
        check_params(c_m, p)?;
        Ok(Self {
            c_m,
            p,
            times: 0,
            ospa_sum_m: 0.0,
            gospa_sum_m: 0.0,
            id_swaps: 0,
            fragmentations: 0,
            missed_truths: 0,
            false_tracks: 0,
            following: BTreeMap::new(),
            latencies_s: Vec::new(),
        })
    }

    /// Scores one time: the tracks' `(id, position)` against the truths present then.
    pub fn record(
        &mut self,
        estimates: &[(u64, Vector2<f64>)],
        truths: &[GroundTruthPoint],
    ) -> Result<ScanScore, TrackingError> {
        let est_pos: Vec<Vector2<f64>> = estimates.iter().map(|e| e.1).collect();
        let truth_pos: Vec<Vector2<f64>> = truths.iter().map(|t| t.pos_enu_m).collect();
        let ospa_m = ospa(&est_pos, &truth_pos, self.c_m, self.p)?;
        let gospa = gospa(&est_pos, &truth_pos, self.c_m, self.p)?;
        self.times += 1;
        self.ospa_sum_m += ospa_m;
        self.gospa_sum_m += gospa.distance_m;
        self.missed_truths += gospa.n_missed;
        self.false_tracks += gospa.n_false;
        let followed_by = self.identities(estimates, truths);
        let live: BTreeSet<u64> = estimates.iter().map(|e| e.0).collect();
        for (truth, track_id) in truths.iter().zip(followed_by) {
            self.follow(truth.id, track_id, &live);
        }
        Ok(ScanScore { ospa_m, gospa })
    }

    /// Which track follows each truth now: as in CLEAR MOT, a truth keeps the track that
    /// followed it last time while they stay within c of each other; the truths and tracks
    /// left are matched by the optimal assignment, pairs closer than c. Without this, two
    /// tracks passing close to each other would "swap" at every scan where noise tips the
    /// optimal assignment.
    fn identities(
        &self,
        estimates: &[(u64, Vector2<f64>)],
        truths: &[GroundTruthPoint],
    ) -> Vec<Option<u64>> {
        let mut followed_by = vec![None; truths.len()];
        let mut claimed = vec![false; estimates.len()];
        for (t, truth) in truths.iter().enumerate() {
            let previous = self.following.get(&truth.id).and_then(|f| f.track_id);
            let kept = estimates.iter().enumerate().position(|(e, &(id, pos))| {
                Some(id) == previous && !claimed[e] && (pos - truth.pos_enu_m).norm() < self.c_m
            });
            if let Some(e) = kept {
                claimed[e] = true;
                followed_by[t] = Some(estimates[e].0);
            }
        }
        let free_truths: Vec<usize> = (0..truths.len())
            .filter(|&t| followed_by[t].is_none())
            .collect();
        let free_estimates: Vec<usize> = (0..estimates.len()).filter(|&e| !claimed[e]).collect();
        let est_pos: Vec<Vector2<f64>> = free_estimates.iter().map(|&e| estimates[e].1).collect();
        let truth_pos: Vec<Vector2<f64>> =
            free_truths.iter().map(|&t| truths[t].pos_enu_m).collect();
        for (e, t, d) in assign(&est_pos, &truth_pos, self.c_m, self.p) {
            if d < self.c_m {
                followed_by[free_truths[t]] = Some(estimates[free_estimates[e]].0);
            }
        }
        followed_by
    }

    fn follow(&mut self, truth_id: u64, track_id: Option<u64>, live: &BTreeSet<u64>) {
        let state = self.following.entry(truth_id).or_default();
        let Some(new_id) = track_id else {
            state.lost_since |= state.track_id.is_some();
            return;
        };
        if let Some(old_id) = state.track_id.filter(|&old| old != new_id) {
            if state.lost_since || !live.contains(&old_id) {
                self.fragmentations += 1;
            } else {
                self.id_swaps += 1;
            }
        }
        *state = Following {
            track_id: Some(new_id),
            lost_since: false,
        };
    }

    /// Records the time from a detection (`detected_s`) to the track update that used it
    /// (`updated_s`), both seconds on one clock. Refuses non-finite or negative latencies.
    pub fn record_latency_s(
        &mut self,
        detected_s: f64,
        updated_s: f64,
    ) -> Result<(), TrackingError> {
        let latency_s = finite("latency", updated_s - detected_s)?;
        if latency_s < 0.0 {
            return Err(TrackingError::TimeWentBackwards {
                last_s: detected_s,
                now_s: updated_s,
            });
        }
        self.latencies_s.push(latency_s);
        Ok(())
    }

    fn latency(&self) -> Option<LatencySummary> {
        let count = self.latencies_s.len();
        if count == 0 {
            return None;
        }
        let mut sorted = self.latencies_s.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = (0.95 * count as f64).ceil() as usize;
        Some(LatencySummary {
            count,
            mean_s: sorted.iter().sum::<f64>() / count as f64,
            p95_s: sorted[rank.clamp(1, count) - 1],
            max_s: sorted[count - 1],
        })
    }

    /// Everything so far; means are 0 before the first time.
    pub fn summary(&self) -> ScoreSummary {
        let times = self.times.max(1) as f64;
        ScoreSummary {
            times: self.times,
            mean_ospa_m: self.ospa_sum_m / times,
            mean_gospa_m: self.gospa_sum_m / times,
            id_swaps: self.id_swaps,
            fragmentations: self.fragmentations,
            missed_truths: self.missed_truths,
            false_tracks: self.false_tracks,
            latency: self.latency(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f64, y: f64) -> Vector2<f64> {
        Vector2::new(x, y)
    }

    #[test]
    fn identical_sets_score_zero_and_empty_against_one_scores_c() {
        let set = [v(0.0, 0.0), v(100.0, 5.0), v(-30.0, 40.0)];
        assert_eq!(ospa(&set, &set, 50.0, 2.0), Ok(0.0));
        assert_eq!(gospa(&set, &set, 50.0, 2.0).map(|g| g.distance_m), Ok(0.0));
        assert_eq!(ospa(&[], &[], 50.0, 2.0), Ok(0.0));
        assert_eq!(ospa(&[], &[v(1.0, 1.0)], 50.0, 2.0), Ok(50.0));
        assert_eq!(ospa(&[v(1.0, 1.0)], &[], 50.0, 1.0), Ok(50.0));
        // GOSPA of one missed target: (c²/2)^(1/2).
        let missed = gospa(&[], &[v(1.0, 1.0)], 50.0, 2.0).expect("valid");
        assert!((missed.distance_m - 1250f64.sqrt()).abs() < 1e-12);
        assert_eq!((missed.n_missed, missed.n_false), (1, 0));
    }

    #[test]
    fn hand_computed_case_and_its_gospa_decomposition() {
        // Truths (0,0) and (100,0); estimates (3,4), 5 m from the first, and (200,200),
        // far from both. c = 10, p = 2.
        let truths = [v(0.0, 0.0), v(100.0, 0.0)];
        let estimates = [v(3.0, 4.0), v(200.0, 200.0)];
        // OSPA: best assignment 5² + min(d, 10)² = 25 + 100 over n = 2: sqrt(62.5).
        let o = ospa(&estimates, &truths, 10.0, 2.0).expect("valid");
        assert!((o - 62.5f64.sqrt()).abs() < 1e-12, "{o}");
        // GOSPA: localisation 25, one missed 100/2, one false 100/2: sqrt(125).
        let g = gospa(&estimates, &truths, 10.0, 2.0).expect("valid");
        assert!((g.localisation - 25.0).abs() < 1e-12);
        assert_eq!((g.missed, g.false_tracks), (50.0, 50.0));
        assert_eq!((g.n_missed, g.n_false), (1, 1));
        assert_eq!(g.pairs, vec![(0, 0)]);
        assert!((g.distance_m - 125f64.sqrt()).abs() < 1e-12);
        // p = 1: OSPA (5 + 10) / 2 = 7.5; GOSPA 5 + 5 + 5 = 15.
        assert!((ospa(&estimates, &truths, 10.0, 1.0).expect("valid") - 7.5).abs() < 1e-12);
        let g1 = gospa(&estimates, &truths, 10.0, 1.0).expect("valid");
        assert!((g1.distance_m - 15.0).abs() < 1e-12);
    }

    #[test]
    fn metrics_are_symmetric_and_refuse_bad_input() {
        let a = [v(0.0, 0.0), v(10.0, 0.0), v(0.0, 37.0)];
        let b = [v(1.0, 2.0), v(13.0, -4.0)];
        let ab = ospa(&a, &b, 20.0, 2.0).expect("valid");
        let ba = ospa(&b, &a, 20.0, 2.0).expect("valid");
        assert!((ab - ba).abs() < 1e-12);
        let gab = gospa(&a, &b, 20.0, 2.0).expect("valid");
        let gba = gospa(&b, &a, 20.0, 2.0).expect("valid");
        assert!((gab.distance_m - gba.distance_m).abs() < 1e-12);
        assert_eq!((gab.n_missed, gab.n_false), (gba.n_false, gba.n_missed));
        assert!(ospa(&a, &b, 0.0, 2.0).is_err());
        assert!(ospa(&a, &b, 10.0, 0.5).is_err());
        assert!(gospa(&[v(f64::NAN, 0.0)], &b, 10.0, 2.0).is_err());
    }

    fn truth(id: u64, x: f64) -> GroundTruthPoint {
        GroundTruthPoint {
            id,
            time_s: 0.0,
            pos_enu_m: v(x, 0.0),
        }
    }

    #[test]
    fn swaps_and_fragmentations_are_told_apart() {
        let mut score = TrackingScore::new(10.0, 2.0).expect("valid");
        let truths = [truth(1, 0.0), truth(2, 100.0)];
        // t0: track 10 on truth 1, track 20 on truth 2.
        score
            .record(&[(10, v(0.0, 0.0)), (20, v(100.0, 0.0))], &truths)
            .expect("ok");
        // t1: the tracks swap targets: two swaps.
        score
            .record(&[(20, v(0.0, 0.0)), (10, v(100.0, 0.0))], &truths)
            .expect("ok");
        // t2: truth 1 unfollowed (its track wandered off), t3: picked up by new track 30.
        score
            .record(&[(20, v(50.0, 0.0)), (10, v(100.0, 0.0))], &truths)
            .expect("ok");
        score
            .record(&[(30, v(0.0, 0.0)), (10, v(100.0, 0.0))], &truths)
            .expect("ok");
        let summary = score.summary();
        assert_eq!(summary.id_swaps, 2);
        assert_eq!(summary.fragmentations, 1);
        assert_eq!(summary.missed_truths, 1);
        assert_eq!(summary.false_tracks, 1);
        assert_eq!(summary.times, 4);
        // OSPA at t2: one pair exact, the other at 50 m → cut at 10: sqrt(100/2).
        let expected_mean = 50f64.sqrt() / 4.0;
        assert!((summary.mean_ospa_m - expected_mean).abs() < 1e-12);
    }

    #[test]
    fn latency_summary_uses_nearest_rank() {
        let mut score = TrackingScore::new(10.0, 2.0).expect("valid");
        assert_eq!(score.summary().latency, None);
        for i in 1..=20 {
            score
                .record_latency_s(100.0, 100.0 + f64::from(i) * 0.01)
                .expect("ok");
        }
        assert!(score.record_latency_s(5.0, 4.0).is_err());
        assert!(score.record_latency_s(f64::NAN, 4.0).is_err());
        let latency = score.summary().latency.expect("samples");
        assert_eq!(latency.count, 20);
        assert!((latency.mean_s - 0.105).abs() < 1e-9);
        assert!((latency.p95_s - 0.19).abs() < 1e-9);
        assert!((latency.max_s - 0.20).abs() < 1e-9);
    }
}
