//! Joint probabilistic data association (JPDA): the second associator beside global nearest
//! neighbour, for dense scenes. Where GNN commits every scan to the one best pairing of
//! detections and tracks, so that two targets passing close can trade identities on a
//! single unlucky scan, JPDA weighs every feasible joint event of a cluster
//! (each detection to at most one track, each track at most one detection, the rest clutter
//! or missed) by its probability and gives each track the marginal probability β of each
//! detection, and β₀ of none. The updater then corrects the track with all of them at once
//! (see `update::collapse`): the probability-weighted innovation, and a covariance widened
//! by the spread of the innovations, so a track torn between two detections becomes
//! uncertain instead of wrong. The price is coalescence: tracks of people walking together,
//! sharing the same detections scan after scan, drift onto one another, which is what group
//! tracks (`group`) turn into one track that counts them.
//!
//! The probability of a joint event θ (Bar-Shalom's parametric JPDA) is proportional to
//! Π over its pairs (t, d) of Pd · g_td / λ_d, times Π over its missed tracks of
//! (1 − Pd · Pg), with g_td the Gaussian likelihood of the pair (e^−cost, the cost the gate
//! gives), Pd the detection probability, Pg the gate probability and λ_d the clutter density
//! in the detection's measurement space.
//!
//! The events are enumerated exactly, depth first over the cluster's tracks, with nothing
//! allocated per event or pair; their number grows factorially with the cluster (ten tracks
//! all gating the same ten detections make 2.3·10⁸ events), so the enumeration stops at
//! [`JpdaConfig::max_joint_events`] and such a cluster is associated by GNN instead (β = 1
//! for its optimal pairs). A k-best approximation (Murty) would keep soft weights there at
//! the cost of k assignments per cluster; the report counts the fallbacks
//! (`StepReport::jpda_fallbacks`) so that a deployment can tell whether it needs one.

use nalgebra::DMatrix;

use super::associate::{allowed, solve_assignment};
use super::error::TrackingError;
use super::measure::{MeasurementModel, Observation};

/// How the tracker associates detections with tracks, chosen per deployment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum AssociationMethod {
    /// Global nearest neighbour: the optimal one-to-one assignment (the default).
    #[default]
    GlobalNearestNeighbour,
    /// Joint probabilistic data association over each cluster.
    Jpda(JpdaConfig),
}

impl AssociationMethod {
    /// JPDA with its default parameters.
    pub fn jpda() -> Self {
        Self::Jpda(JpdaConfig::default())
    }

    /// The association's name, as `--associator` and a session's `session.json` give it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::GlobalNearestNeighbour => "gnn",
            Self::Jpda(_) => "jpda",
        }
    }

    /// The association called `name` (see [`AssociationMethod::name`]), with its default
    /// parameters; `None` for a name this tracker does not know.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "gnn" => Some(Self::GlobalNearestNeighbour),
            "jpda" => Some(Self::jpda()),
            _ => None,
        }
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), TrackingError> {
        match self {
            Self::GlobalNearestNeighbour => Ok(()),
            Self::Jpda(config) => config.validate(),
        }
    }
}

/// JPDA's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JpdaConfig {
    /// Pd: the probability that a sensor reports a target it covers, in (0, 1].
    pub detection_probability: f64,
    /// False detections per km² per scan: the clutter density of position detections
    /// (for range and bearing it is converted at the detection's range: λ·r per m·rad).
    pub clutter_per_km2: f64,
    /// False bearings per radian per scan, for bearing-only sensors.
    pub clutter_per_rad: f64,
    /// The most joint events enumerated in one cluster; a larger cluster is associated by
    /// GNN.
    pub max_joint_events: usize,
}

impl Default for JpdaConfig {
    /// Pd 0.9; one false detection per km² and 0.1 per radian each scan (the simulator's
    /// cameras and radars report a few false plots over the few km² they watch); 20,000
    /// events, a few milliseconds of enumeration for the largest cluster.
    fn default() -> Self {
        Self {
            detection_probability: 0.9,
            clutter_per_km2: 1.0,
            clutter_per_rad: 0.1,
            max_joint_events: 20_000,
        }
    }
}

impl JpdaConfig {
    /// Checks every value is in its range.
    pub fn validate(&self) -> Result<(), TrackingError> {
        let pd = self.detection_probability;
        if !(pd > 0.0 && pd <= 1.0) {
            return Err(TrackingError::InvalidConfig(
                "JPDA detection probability must be in (0, 1]",
            ));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !(positive(self.clutter_per_km2) && positive(self.clutter_per_rad)) {
            return Err(TrackingError::InvalidConfig(
                "JPDA clutter densities must be finite and > 0",
            ));
        }
        if self.max_joint_events == 0 {
            return Err(TrackingError::InvalidConfig(
                "JPDA max_joint_events must be at least 1",
            ));
        }
        Ok(())
    }

    /// ln λ: the clutter density in the observation's measurement space (per m², per m·rad,
    /// per rad).
    pub fn log_clutter_density(&self, observation: &Observation) -> f64 {
        let per_m2 = self.clutter_per_km2 * 1e-6;
        match observation.model {
            MeasurementModel::Position => per_m2.ln(),
            MeasurementModel::RangeBearing { .. } => {
                // An area element is r dr dθ: a density per m² is r times that per m·rad.
                let range_m = observation.z.get(0).copied().unwrap_or(1.0).max(1.0);
                (per_m2 * range_m).ln()
            }
            MeasurementModel::Bearing { .. } => self.clutter_per_rad.ln(),
        }
    }
}

/// The association probabilities of one cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Marginals {
    /// β[(t, d)]: the probability that detection d is track t's (0 outside the gate).
    pub detection: DMatrix<f64>,
    /// β₀ of each track: the probability that none of the detections is its.
    pub miss: Vec<f64>,
    /// Whether every joint event was weighed; false when the cluster had more than
    /// `max_joint_events` and was associated by GNN (β of 1 or 0).
    pub exact: bool,
}

/// The JPDA associator of a tracker.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Jpda {
    /// Its parameters.
    pub config: JpdaConfig,
    /// Pg, the tracker's gate probability.
    pub gate_probability: f64,
}

/// A track's options in the enumeration: its gated detections (column, ln weight).
struct Options {
    /// Per track, where its options start in `col` and `log_weight` (and one past the last
    /// track, the end).
    start: Vec<usize>,
    col: Vec<usize>,
    log_weight: Vec<f64>,
}

impl Jpda {
    /// The marginal association probabilities of a cluster: `costs` has a row per track
    /// and a column per detection (the negative log-likelihood of the pair; infinite outside
    /// the gate), `log_clutter` ln λ per detection.
    pub fn marginals(&self, costs: &DMatrix<f64>, log_clutter: &[f64]) -> Marginals {
        let (rows, cols) = costs.shape();
        let log_pd = self.config.detection_probability.ln();
        let log_miss = (1.0 - self.config.detection_probability * self.gate_probability)
            .max(f64::MIN_POSITIVE)
            .ln();
        let mut options = Options {
            start: Vec::with_capacity(rows + 1),
            col: Vec::new(),
            log_weight: Vec::new(),
        };
        for r in 0..rows {
            options.start.push(options.col.len());
            for c in 0..cols {
                let cost = costs[(r, c)];
                if allowed(cost) {
                    let clutter = log_clutter.get(c).copied().unwrap_or(0.0);
                    options.col.push(c);
                    options.log_weight.push(log_pd - cost - clutter);
                }
            }
        }
        options.start.push(options.col.len());
        // Each track with a gated detection gives at least one event of its own, so a
        // cluster with more tracks than the budget is over it before any enumeration (and
        // the enumeration's depth stays within the budget).
        if rows < self.config.max_joint_events
            && let Some(marginals) = enumerate(&options, rows, cols, log_miss, &self.config)
        {
            return marginals;
        }
        gnn_marginals(costs)
    }
}

/// Weighs every joint event depth first (an odometer over the tracks' choices: none, or one
/// of their gated detections not yet taken), summing each event's weight into the
/// marginals of the choices it makes; the weights are kept relative to the largest seen so
/// far, so nothing overflows. `None` when the events outnumber the budget.
fn enumerate(
    options: &Options,
    rows: usize,
    cols: usize,
    log_miss: f64,
    config: &JpdaConfig,
) -> Option<Marginals> {
    if rows == 0 {
        return Some(Marginals {
            detection: DMatrix::zeros(0, cols),
            miss: Vec::new(),
            exact: true,
        });
    }
    // choice[r]: 0 for none, k for the option start[r] + k − 1.
    let mut choice = vec![0usize; rows];
    let mut prefix = vec![0.0f64; rows + 1];
    let mut used = vec![false; cols];
    let mut detection_sum = vec![0.0f64; options.col.len()];
    let mut miss_sum = vec![0.0f64; rows];
    let (mut total, mut reference) = (0.0f64, f64::NEG_INFINITY);
    let mut events = 0usize;
    let mut r = 0;
    loop {
        let count = options.start[r + 1] - options.start[r];
        if choice[r] > count {
            // Every choice of this track tried: back to the previous one.
            if r == 0 {
                break;
            }
            r -= 1;
            if choice[r] > 0 {
                used[options.col[options.start[r] + choice[r] - 1]] = false;
            }
            choice[r] += 1;
            continue;
        }
        let step = if choice[r] == 0 {
            log_miss
        } else {
            let option = options.start[r] + choice[r] - 1;
            if used[options.col[option]] {
                choice[r] += 1;
                continue;
            }
            used[options.col[option]] = true;
            options.log_weight[option]
        };
        prefix[r + 1] = prefix[r] + step;
        if r + 1 < rows {
            r += 1;
            choice[r] = 0;
            continue;
        }
        // A whole joint event.
        events += 1;
        if events > config.max_joint_events {
            return None;
        }
        let log_weight = prefix[rows];
        if log_weight > reference {
            let rescale = (reference - log_weight).exp();
            total *= rescale;
            detection_sum.iter_mut().for_each(|w| *w *= rescale);
            miss_sum.iter_mut().for_each(|w| *w *= rescale);
            reference = log_weight;
        }
        let weight = (log_weight - reference).exp();
        total += weight;
        for (track, &k) in choice.iter().enumerate() {
            if k == 0 {
                miss_sum[track] += weight;
            } else {
                detection_sum[options.start[track] + k - 1] += weight;
            }
        }
        if choice[r] > 0 {
            used[options.col[options.start[r] + choice[r] - 1]] = false;
        }
        choice[r] += 1;
    }
    let mut detection = DMatrix::zeros(rows, cols);
    for track in 0..rows {
        for option in options.start[track]..options.start[track + 1] {
            detection[(track, options.col[option])] = detection_sum[option] / total;
        }
    }
    Some(Marginals {
        detection,
        miss: miss_sum.iter().map(|w| w / total).collect(),
        exact: true,
    })
}

/// GNN's optimal pairs as certain marginals: the fallback for clusters over the budget.
fn gnn_marginals(costs: &DMatrix<f64>) -> Marginals {
    let (rows, cols) = costs.shape();
    let mut detection = DMatrix::zeros(rows, cols);
    let mut miss = vec![1.0; rows];
    for (track, col) in solve_assignment(costs).into_iter().enumerate() {
        if let Some(col) = col {
            detection[(track, col)] = 1.0;
            miss[track] = 0.0;
        }
    }
    Marginals {
        detection,
        miss,
        exact: false,
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::DVector;

    use super::*;
    use vigil_core::rng::Rng;

    fn jpda(pd: f64, max_joint_events: usize) -> Jpda {
        Jpda {
            config: JpdaConfig {
                detection_probability: pd,
                max_joint_events,
                ..JpdaConfig::default()
            },
            gate_probability: 0.99,
        }
    }

    /// Every joint event by brute force (recursively, with a list per event), summed.
    fn brute_force(costs: &DMatrix<f64>, log_clutter: &[f64], pd: f64, pg: f64) -> Marginals {
        fn search(
            costs: &DMatrix<f64>,
            row: usize,
            taken: &mut Vec<Option<usize>>,
            events: &mut Vec<Vec<Option<usize>>>,
        ) {
            if row == costs.nrows() {
                events.push(taken.clone());
                return;
            }
            taken.push(None);
            search(costs, row + 1, taken, events);
            taken.pop();
            for col in 0..costs.ncols() {
                if allowed(costs[(row, col)]) && !taken.contains(&Some(col)) {
                    taken.push(Some(col));
                    search(costs, row + 1, taken, events);
                    taken.pop();
                }
            }
        }
        let mut events = Vec::new();
        search(costs, 0, &mut Vec::new(), &mut events);
        let (rows, cols) = costs.shape();
        let mut detection = DMatrix::zeros(rows, cols);
        let mut miss = vec![0.0; rows];
        let mut total = 0.0;
        for event in &events {
            let weight: f64 = event
                .iter()
                .enumerate()
                .map(|(t, d)| match d {
                    None => 1.0 - pd * pg,
                    Some(d) => pd * (-costs[(t, *d)]).exp() / log_clutter[*d].exp(),
                })
                .product();
            total += weight;
            for (t, d) in event.iter().enumerate() {
                match d {
                    None => miss[t] += weight,
                    Some(d) => detection[(t, *d)] += weight,
                }
            }
        }
        Marginals {
            detection: detection / total,
            miss: miss.iter().map(|m| m / total).collect(),
            exact: true,
        }
    }

    #[test]
    fn the_two_by_two_case_matches_the_hand_computation() {
        // Likelihoods g = e^−cost: track 0 sees detection 0 at 0.4 and detection 1 at 0.1,
        // track 1 sees them at 0.2 and 0.3; Pd = 0.8, Pg = 0.99, λ = 0.1 for both. A pair
        // weighs Pd g / λ = 8 g: a00 = 3.2, a01 = 0.8, a10 = 1.6, a11 = 2.4; a miss weighs
        // 1 − 0.8 · 0.99 = 0.208. The seven joint events:
        //   {} 0.208² = 0.043264; {00} 3.2·0.208 = 0.6656; {01} 0.8·0.208 = 0.1664;
        //   {10} 1.6·0.208 = 0.3328; {11} 2.4·0.208 = 0.4992; {00,11} 3.2·2.4 = 7.68;
        //   {01,10} 0.8·1.6 = 1.28; total 10.667264.
        // β00 = (0.6656 + 7.68)/total, β01 = (0.1664 + 1.28)/total,
        // β0 of track 0 = (0.043264 + 0.3328 + 0.4992)/total; β10 = (0.3328 + 1.28)/total,
        // β11 = (0.4992 + 7.68)/total, β0 of track 1 = (0.043264 + 0.6656 + 0.1664)/total.
        let costs = DMatrix::from_row_slice(
            2,
            2,
            &[
                -(0.4f64.ln()),
                -(0.1f64.ln()),
                -(0.2f64.ln()),
                -(0.3f64.ln()),
            ],
        );
        let log_clutter = [0.1f64.ln(); 2];
        let m = jpda(0.8, 100).marginals(&costs, &log_clutter);
        let total = 10.667264;
        let expected = [
            (0.6656 + 7.68) / total,
            (0.1664 + 1.28) / total,
            (0.3328 + 1.28) / total,
            (0.4992 + 7.68) / total,
        ];
        let got = [
            m.detection[(0, 0)],
            m.detection[(0, 1)],
            m.detection[(1, 0)],
            m.detection[(1, 1)],
        ];
        for (g, e) in got.iter().zip(expected) {
            assert!((g - e).abs() < 1e-12, "{got:?} vs {expected:?}");
        }
        assert!((m.miss[0] - (0.043264 + 0.3328 + 0.4992) / total).abs() < 1e-12);
        assert!((m.miss[1] - (0.043264 + 0.6656 + 0.1664) / total).abs() < 1e-12);
        assert!(m.exact);
    }

    #[test]
    fn probabilities_sum_to_one_and_match_brute_force_on_random_clusters() {
        let mut rng = Rng::new(16);
        for case in 0..300 {
            let rows = 1 + rng.below(5);
            let cols = 1 + rng.below(5);
            let costs = DMatrix::from_fn(rows, cols, |_, _| {
                if rng.uniform() < 0.35 {
                    f64::INFINITY
                } else {
                    rng.range(-2.0, 12.0)
                }
            });
            let log_clutter: Vec<f64> = (0..cols).map(|_| rng.range(-14.0, 0.0)).collect();
            let pd = rng.range(0.5, 1.0);
            let m = jpda(pd, 100_000).marginals(&costs, &log_clutter);
            let b = brute_force(&costs, &log_clutter, pd, 0.99);
            assert!(m.exact);
            for t in 0..rows {
                let sum = m.miss[t] + m.detection.row(t).sum();
                assert!((sum - 1.0).abs() < 1e-12, "case {case} track {t}: {sum}");
                assert!((m.miss[t] - b.miss[t]).abs() < 1e-9, "case {case}");
                for d in 0..cols {
                    assert!(
                        (m.detection[(t, d)] - b.detection[(t, d)]).abs() < 1e-9,
                        "case {case}: {} vs {}",
                        m.detection,
                        b.detection
                    );
                    if !allowed(costs[(t, d)]) {
                        assert_eq!(m.detection[(t, d)], 0.0);
                    }
                }
            }
            // A detection goes to at most one track in every event.
            for d in 0..cols {
                assert!(m.detection.column(d).sum() <= 1.0 + 1e-12, "case {case}");
            }
        }
    }

    #[test]
    fn weights_far_from_one_neither_overflow_nor_vanish() {
        // ln weights near +700 and −700 per pair: e^1400 would overflow.
        let costs = DMatrix::from_row_slice(2, 2, &[-700.0, -690.0, 700.0, -695.0]);
        let m = jpda(0.9, 100).marginals(&costs, &[0.0, 0.0]);
        assert!(m.detection.iter().all(|b| b.is_finite()));
        assert!(m.detection[(0, 0)] > 0.99 && m.detection[(1, 1)] > 0.99);
        for t in 0..2 {
            assert!((m.miss[t] + m.detection.row(t).sum() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn a_cluster_over_the_budget_falls_back_to_gnn() {
        // Three tracks each gating three detections: 34 events.
        let costs = DMatrix::from_row_slice(3, 3, &[1.0, 2.0, 3.0, 2.0, 1.0, 3.0, 3.0, 3.0, 1.0]);
        let clutter = [-10.0; 3];
        assert!(jpda(0.9, 34).marginals(&costs, &clutter).exact);
        let fallback = jpda(0.9, 33).marginals(&costs, &clutter);
        assert!(!fallback.exact);
        assert_eq!(fallback.detection, DMatrix::identity(3, 3));
        assert_eq!(fallback.miss, vec![0.0; 3]);
        // More tracks than the budget: over it before enumerating.
        assert!(!jpda(0.9, 3).marginals(&costs, &clutter).exact);
    }

    #[test]
    fn clutter_density_is_per_measurement_space() {
        let config = JpdaConfig::default();
        let position = Observation {
            model: MeasurementModel::Position,
            z: DVector::zeros(2),
            noise_covar: DMatrix::identity(2, 2),
        };
        assert!((config.log_clutter_density(&position) - 1e-6f64.ln()).abs() < 1e-12);
        let range_bearing = Observation {
            model: MeasurementModel::RangeBearing {
                sensor_pos_enu_m: nalgebra::Vector2::zeros(),
            },
            z: DVector::from_vec(vec![500.0, 0.3]),
            noise_covar: DMatrix::identity(2, 2),
        };
        assert!((config.log_clutter_density(&range_bearing) - 5e-4f64.ln()).abs() < 1e-12);
        assert!(
            JpdaConfig {
                detection_probability: 1.5,
                ..config
            }
            .validate()
            .is_err()
        );
        assert!(
            JpdaConfig {
                clutter_per_km2: 0.0,
                ..config
            }
            .validate()
            .is_err()
        );
        assert!(AssociationMethod::jpda().validate().is_ok());
    }
}
