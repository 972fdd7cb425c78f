//! Decides which detections could have come from which track: a detection is inside a
//! track's gate when the squared Mahalanobis distance of its innovation is below the
//! chi-square quantile of the gate probability for the measurement's dimension (at 0.99:
//! 6.63 for one dimension, 9.21 for two). Pairs outside the gate are never associated.
//!
//! A second gate, [`SpeedLimits`], bounds what the first cannot: a track that has coasted
//! grows its covariance, and with it a chi-square gate wide enough to take a detection of
//! someone else a hundred metres away (a person's track whose velocity a file of walkers
//! had made wrong, coasting twenty seconds, took a passer-by's detection that it could
//! only have reached at 4.4 m/s). The reach gate admits a detection only where the track's
//! class could have got to since its last fix, at the class's top speed.

use nalgebra::Vector2;

use super::error::TrackingError;
use super::initiate::locate;
use super::measure::GateDistance;
use super::types::{ClassHint, Detection, Innovation, Track, worst_std_m};

/// How many standard deviations of the detection's and the last fix's position errors the
/// reach gate allows beyond the distance a track could have moved.
const REACH_SIGMAS: f64 = 3.0;

/// A class holding at least this share of a track's class votes bounds its reach (see
/// [`SpeedLimits::of_track`]).
const CLASS_SHARE: f64 = 0.25;

/// Thresholds are kept for measurement dimensions 1 to this; larger ones are computed.
const KEPT_DIMS: usize = 4;

/// A chi-square gate on the squared Mahalanobis distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChiSquareGate {
    probability: f64,
    thresholds: [f64; KEPT_DIMS],
}

impl ChiSquareGate {
    /// A gate that a correct detection passes with `probability`, in (0, 1).
    pub fn new(probability: f64) -> Result<Self, TrackingError> {
        if !(probability > 0.0 && probability < 1.0) {
            return Err(TrackingError::InvalidConfig(
                "gate probability must be in (0, 1)",
            ));
        }
        let mut thresholds = [0.0; KEPT_DIMS];
        for (i, threshold) in thresholds.iter_mut().enumerate() {
            *threshold = chi_square_quantile(probability, i + 1);
        }
        Ok(Self {
            probability,
            thresholds,
        })
    }

    /// The gate probability.
    pub fn probability(&self) -> f64 {
        self.probability
    }

    /// The largest squared Mahalanobis distance admitted for a measurement of `dof`
    /// dimensions.
    pub fn threshold(&self, dof: usize) -> f64 {
        match dof {
            0 => 0.0,
            d if d <= KEPT_DIMS => self.thresholds[d - 1],
            d => chi_square_quantile(self.probability, d),
        }
    }

    /// Whether the innovation is inside the gate (a NaN distance never is).
    pub fn admits(&self, innovation: &Innovation) -> bool {
        innovation.mahalanobis_sq <= self.threshold(innovation.dim())
    }

    /// Whether a fixed-size innovation is inside the gate (see [`ChiSquareGate::admits`]).
    pub fn admits_distance(&self, distance: &GateDistance) -> bool {
        distance.mahalanobis_sq <= self.threshold(distance.dim)
    }
}

/// ln Γ(a) for a > 0 (Lanczos, g = 7, nine terms: about 1e-15 relative).
fn ln_gamma(a: f64) -> f64 {
    const COEFFS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if a < 0.5 {
        // Reflection: Γ(a) Γ(1 − a) = π / sin(πa).
        let pi = std::f64::consts::PI;
        return (pi / (pi * a).sin()).ln() - ln_gamma(1.0 - a);
    }
    let a = a - 1.0;
    let t = a + 7.5;
    let series = COEFFS
        .iter()
        .enumerate()
        .skip(1)
        .fold(COEFFS[0], |sum, (i, c)| sum + c / (a + i as f64));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (a + 0.5) * t.ln() - t + series.ln()
}

/// The regularised lower incomplete gamma function P(a, x).
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let log_prefactor = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Series: P = e^−x x^a / Γ(a) Σ x^n / (a (a+1) … (a+n)).
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..500 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        sum * log_prefactor.exp()
    } else {
        // Continued fraction for Q = 1 − P (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            d = if d.abs() < tiny { tiny } else { d };
            c = b + an / c;
            c = if c.abs() < tiny { tiny } else { c };
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        1.0 - log_prefactor.exp() * h
    }
}

/// The chi-square cumulative distribution with `dof` degrees of freedom at `x`.
pub fn chi_square_cdf(x: f64, dof: usize) -> f64 {
    gamma_p(dof as f64 / 2.0, x / 2.0)
}

/// The `probability` quantile of the chi-square distribution with `dof` degrees of freedom
/// (bisection on the distribution to 1e-12). NaN for a probability outside (0, 1) or
/// zero degrees of freedom.
pub fn chi_square_quantile(probability: f64, dof: usize) -> f64 {
    if !(probability > 0.0 && probability < 1.0) || dof == 0 {
        return f64::NAN;
    }
    let mut high = dof as f64 + 10.0;
    while chi_square_cdf(high, dof) < probability {
        high *= 2.0;
    }
    let mut low = 0.0;
    while high - low > 1e-12 * high.max(1.0) {
        let mid = 0.5 * (low + high);
        if chi_square_cdf(mid, dof) < probability {
            low = mid;
        } else {
            high = mid;
        }
    }
    0.5 * (low + high)
}

/// The fastest each class of target can go, for the reach gate: a detection further from a
/// track's last fix than the track's class could have gone since is not the track's.
/// Tracks of no class yet (or `Unknown`) are not bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpeedLimits {
    /// People on foot, m/s.
    pub person_mps: f64,
    /// Animals (herds, cattle), m/s.
    pub animal_mps: f64,
    /// Vehicles, m/s.
    pub vehicle_mps: f64,
}

impl Default for SpeedLimits {
    /// People 3 m/s (a steady run: a sprint is faster, but not for the tens of seconds a
    /// track coasts), animals 6 m/s (cattle at a gallop, briefly), vehicles 40 m/s (a
    /// car on an open road, faster than anything off it).
    fn default() -> Self {
        Self {
            person_mps: 3.0,
            animal_mps: 6.0,
            vehicle_mps: 40.0,
        }
    }
}

impl SpeedLimits {
    /// Checks every limit is finite and positive.
    pub fn validate(&self) -> Result<(), TrackingError> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if positive(self.person_mps) && positive(self.animal_mps) && positive(self.vehicle_mps) {
            Ok(())
        } else {
            Err(TrackingError::InvalidConfig(
                "speed limits must be finite and > 0",
            ))
        }
    }

    /// The top speed of `class`, m/s; `None` for a class not known.
    pub fn of(&self, class: ClassHint) -> Option<f64> {
        match class {
            ClassHint::Unknown => None,
            ClassHint::Person => Some(self.person_mps),
            ClassHint::Animal => Some(self.animal_mps),
            ClassHint::Vehicle => Some(self.vehicle_mps),
        }
    }

    /// The top speed of a track: of the fastest class holding at least [`CLASS_SHARE`] of
    /// its class votes (a radar takes a vehicle crawling through a market for a walker, and
    /// the vehicle keeps a vehicle's reach); `None` for a track no sensor has classed.
    pub fn of_track(&self, track: &Track) -> Option<f64> {
        let total: f64 = track.class_votes.values().sum();
        (track.class_votes.iter())
            .filter(|&(_, &votes)| votes >= CLASS_SHARE * total)
            .filter_map(|(&class, _)| self.of(class))
            .reduce(f64::max)
    }

    /// Whether `track` could have reached where `reach` puts a detection by `time_s`: within
    /// its top speed ([`SpeedLimits::of_track`]) times the time since its last fix, plus
    /// [`REACH_SIGMAS`] of the two positions' errors. A detection that does not place the
    /// target (a bearing), or a track of no class, is always within reach.
    pub fn within_reach(&self, track: &Track, reach: Option<&Reach>, time_s: f64) -> bool {
        let (Some(reach), Some(speed_mps)) = (reach, self.of_track(track)) else {
            return true;
        };
        let since_s = (time_s - track.last_update_s).max(0.0);
        let spread_m = reach.std_m.hypot(track.last_fix_std_m);
        let distance_m = (reach.pos_enu_m - track.last_fix_enu_m).norm();
        distance_m <= speed_mps * since_s + REACH_SIGMAS * spread_m
    }
}

/// Where a detection puts its target on its own, for the reach gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// The position, ENU metres.
    pub pos_enu_m: Vector2<f64>,
    /// The standard deviation of its error along its worst axis, metres.
    pub std_m: f64,
}

impl Reach {
    /// The reach of `detection`; `None` for one that does not place the target (a bearing).
    pub fn of(detection: &Detection) -> Option<Self> {
        let (pos_enu_m, covar_m2) = locate(detection)?;
        Some(Self {
            pos_enu_m,
            std_m: worst_std_m(&covar_m2),
        })
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;

    #[test]
    fn thresholds_match_chi_square_tables() {
        let gate = ChiSquareGate::new(0.99).expect("valid");
        // Tables: 6.635 (1 dof), 9.210 (2), 11.345 (3), 13.277 (4); 2 dof is −2 ln(0.01).
        assert!(
            (gate.threshold(1) - 6.634_896_6).abs() < 1e-6,
            "{}",
            gate.threshold(1)
        );
        assert!((gate.threshold(2) - (-2.0 * 0.01f64.ln())).abs() < 1e-9);
        assert!((gate.threshold(3) - 11.344_866_9).abs() < 1e-6);
        assert!((gate.threshold(4) - 13.276_704_1).abs() < 1e-6);
        assert!((gate.threshold(5) - 15.086_272_5).abs() < 1e-6);
        let gate95 = ChiSquareGate::new(0.95).expect("valid");
        assert!((gate95.threshold(1) - 3.841_458_8).abs() < 1e-6);
        assert!((gate95.threshold(2) - 5.991_464_5).abs() < 1e-6);
    }

    #[test]
    fn gate_admits_inside_and_refuses_outside_and_nan() {
        let gate = ChiSquareGate::new(0.99).expect("valid");
        let innovation = |d2: f64, dim: usize| Innovation {
            residual: DVector::zeros(dim),
            covar: DMatrix::identity(dim, dim),
            covar_inv: DMatrix::identity(dim, dim),
            jacobian: DMatrix::zeros(dim, 4),
            mahalanobis_sq: d2,
            log_det_covar: 0.0,
        };
        assert!(gate.admits(&innovation(9.0, 2)));
        assert!(!gate.admits(&innovation(9.3, 2)));
        assert!(gate.admits(&innovation(6.6, 1)));
        assert!(!gate.admits(&innovation(6.7, 1)));
        assert!(!gate.admits(&innovation(f64::NAN, 2)));
    }

    #[test]
    fn invalid_probabilities_are_refused() {
        for p in [0.0, 1.0, -0.5, f64::NAN] {
            assert!(ChiSquareGate::new(p).is_err(), "{p}");
        }
    }

    #[test]
    fn ln_gamma_of_half_integers_is_exact_enough() {
        let sqrt_pi_ln = 0.5 * std::f64::consts::PI.ln();
        assert!((ln_gamma(0.5) - sqrt_pi_ln).abs() < 1e-13);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(2.5) - (0.75 * std::f64::consts::PI.sqrt()).ln()).abs() < 1e-13);
    }
}
