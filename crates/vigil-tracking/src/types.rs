//! Plain data, apart from the algorithms that work on it: what a sensor reported
//! ([`Detection`]), what the tracker believes ([`GaussianState`], [`Prediction`], [`Update`],
//! [`Track`]) and what really happened ([`GroundTruth`]), so that tests, replays and the
//! world model can build and compare them without a tracker.
//!
//! Frames and units: positions are metres East and North of the caller's local tangent point
//! (ENU), velocities metres per second in the same frame, bearings radians clockwise from
//! north, times seconds on any one clock the caller keeps to (Vigil passes
//! `TimeUs::as_secs_f64()`, seconds since the UNIX epoch, which f64 holds to a quarter of a
//! microsecond).

use std::collections::{BTreeMap, VecDeque};

use nalgebra::{DMatrix, DVector, Matrix2, Vector2};

use super::error::{TrackingError, finite, positive};

/// How many recent head counts a track keeps to take their median.
pub const COUNT_WINDOW: usize = 9;

/// The target class a sensor suggests (the same classes as the world model's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ClassHint {
    /// The sensor does not say; such hints do not vote.
    #[default]
    Unknown,
    /// One or more people.
    Person,
    /// A vehicle.
    Vehicle,
    /// An animal.
    Animal,
}

/// The noise of a position measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PositionNoise {
    /// The same standard deviation East and North, uncorrelated.
    Isotropic {
        /// Standard deviation on each axis, metres.
        std_m: f64,
    },
    /// A full East-North covariance, square metres.
    Covariance {
        /// The 2x2 covariance, symmetric positive definite, m².
        covar_m2: Matrix2<f64>,
    },
}

impl PositionNoise {
    /// The 2x2 covariance this noise stands for, m².
    pub fn covar_m2(&self) -> Matrix2<f64> {
        match *self {
            Self::Isotropic { std_m } => Matrix2::identity() * (std_m * std_m),
            Self::Covariance { covar_m2 } => covar_m2,
        }
    }

    fn validate(&self) -> Result<(), TrackingError> {
        match *self {
            Self::Isotropic { std_m } => positive("position std_m", std_m).map(|_| ()),
            Self::Covariance { covar_m2 } => check_covariance("position covar_m2", &covar_m2),
        }
    }
}

/// What one detection measured about the target, relative to the sensor where it says so.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measurement {
    /// A position in the tangent plane (a camera's geolocated detection, a radar plot).
    Position {
        /// Where the target is, ENU metres.
        pos_enu_m: Vector2<f64>,
        /// How uncertain that is.
        noise: PositionNoise,
    },
    /// Range and bearing from the sensor.
    RangeBearing {
        /// Distance from the sensor, metres.
        range_m: f64,
        /// Its standard deviation, metres.
        range_std_m: f64,
        /// Direction from the sensor, radians clockwise from north.
        bearing_rad: f64,
        /// Its standard deviation, radians.
        bearing_std_rad: f64,
    },
    /// A bearing alone from the sensor (acoustic arrays, direction finders).
    Bearing {
        /// Direction from the sensor, radians clockwise from north.
        bearing_rad: f64,
        /// Its standard deviation, radians.
        bearing_std_rad: f64,
    },
    /// Something is within `zone_radius_m` of the sensor (PIR, seismic). The tracker reads it
    /// as a position at the sensor with a standard deviation of half the radius on each axis:
    /// that is the exact per-axis spread of a point uniform over the disc (E(x²) = r²/4).
    Presence {
        /// Radius of the sensor's zone, metres.
        zone_radius_m: f64,
    },
}

impl Measurement {
    /// Whether this measurement places the target on its own, and so may start a track.
    pub fn locates(&self) -> bool {
        matches!(self, Self::Position { .. } | Self::RangeBearing { .. })
    }

    /// Rejects NaNs, infinities and non-positive standard deviations.
    pub fn validate(&self) -> Result<(), TrackingError> {
        match *self {
            Self::Position { pos_enu_m, noise } => {
                finite("pos_enu_m.x", pos_enu_m.x)?;
                finite("pos_enu_m.y", pos_enu_m.y)?;
                noise.validate()
            }
            Self::RangeBearing {
                range_m,
                range_std_m,
                bearing_rad,
                bearing_std_rad,
            } => {
                if finite("range_m", range_m)? < 0.0 {
                    return Err(TrackingError::NonPositive {
                        field: "range_m",
                        value: range_m,
                    });
                }
                positive("range_std_m", range_std_m)?;
                finite("bearing_rad", bearing_rad)?;
                positive("bearing_std_rad", bearing_std_rad).map(|_| ())
            }
            Self::Bearing {
                bearing_rad,
                bearing_std_rad,
            } => {
                finite("bearing_rad", bearing_rad)?;
                positive("bearing_std_rad", bearing_std_rad).map(|_| ())
            }
            Self::Presence { zone_radius_m } => {
                positive("zone_radius_m", zone_radius_m).map(|_| ())
            }
        }
    }
}

/// One report from one sensor, already in the tangent plane.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// When the sensor saw it, seconds.
    pub time_s: f64,
    /// Where the sensor was, ENU metres (a ground node's position or a drone's).
    pub sensor_pos_enu_m: Vector2<f64>,
    /// What it measured.
    pub measurement: Measurement,
    /// The class the sensor suggests.
    pub class_hint: ClassHint,
    /// How many individuals the sensor counted, if it counts.
    pub count: Option<u32>,
    /// The sensor's confidence, 0..=1; weights its class hint.
    pub confidence: f64,
    /// Which sensor: detections of one source in one scan are associated together, so a
    /// track takes at most one detection per source per scan (Vigil packs sysid and compid).
    pub source_id: u32,
}

impl Detection {
    /// Rejects a detection with any non-finite number or impossible value.
    pub fn validate(&self) -> Result<(), TrackingError> {
        finite("time_s", self.time_s)?;
        finite("sensor_pos_enu_m.x", self.sensor_pos_enu_m.x)?;
        finite("sensor_pos_enu_m.y", self.sensor_pos_enu_m.y)?;
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(TrackingError::Confidence(self.confidence));
        }
        self.measurement.validate()
    }
}

/// A Gaussian belief about one target: mean and covariance at a time. The state is
/// `[x_e_m, y_n_m, v_e_mps, v_n_mps]` for constant velocity, with `omega_radps` appended for
/// the coordinated turn; position and velocity are at the same indices in both.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianState {
    /// The state vector.
    pub mean: DVector<f64>,
    /// Its covariance.
    pub covar: DMatrix<f64>,
    /// When it holds, seconds.
    pub time_s: f64,
}

impl GaussianState {
    /// A state, checked to have at least position and velocity and a square covariance of
    /// the same size.
    pub fn new(
        mean: DVector<f64>,
        covar: DMatrix<f64>,
        time_s: f64,
    ) -> Result<Self, TrackingError> {
        let state = Self {
            mean,
            covar,
            time_s,
        };
        state.check_dims()?;
        Ok(state)
    }

    /// Checks that the state has at least position and velocity and a square covariance of
    /// its size (the fields are public, so the algorithms check before multiplying).
    pub fn check_dims(&self) -> Result<(), TrackingError> {
        let n = self.mean.len();
        if n < 4 {
            return Err(TrackingError::DimensionMismatch {
                expected: 4,
                got: n,
            });
        }
        check_shape(&self.covar, n)
    }

    /// Size of the state vector.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Estimated position, ENU metres.
    pub fn pos_enu_m(&self) -> Vector2<f64> {
        Vector2::new(self.mean[0], self.mean[1])
    }

    /// Estimated velocity, ENU metres per second.
    pub fn vel_enu_mps(&self) -> Vector2<f64> {
        Vector2::new(self.mean[2], self.mean[3])
    }

    /// Covariance of the position, m².
    pub fn pos_covar_m2(&self) -> Matrix2<f64> {
        self.covar.fixed_view::<2, 2>(0, 0).into_owned()
    }

    /// The position and its covariance alone.
    pub fn position_belief(&self) -> PositionBelief {
        PositionBelief {
            pos_enu_m: self.pos_enu_m(),
            pos_covar_m2: self.pos_covar_m2(),
        }
    }
}

/// Where a track is believed to be, without its velocity: all that the gate and the spatial
/// grid need of it (every measurement model depends on the position alone), held on the
/// stack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PositionBelief {
    /// Estimated position, ENU metres.
    pub pos_enu_m: Vector2<f64>,
    /// Its covariance, m².
    pub pos_covar_m2: Matrix2<f64>,
}

/// A state carried forward in time by a motion model, before any measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The predicted state.
    pub state: GaussianState,
}

/// How a measurement differs from what a predicted state expected: what the gate and the
/// association judge, and what the update corrects with.
#[derive(Debug, Clone, PartialEq)]
pub struct Innovation {
    /// Measurement minus predicted measurement (angles wrapped into (-π, π]).
    pub residual: DVector<f64>,
    /// Its covariance S = H P Hᵀ + R.
    pub covar: DMatrix<f64>,
    /// S⁻¹.
    pub covar_inv: DMatrix<f64>,
    /// The measurement Jacobian H at the predicted state.
    pub jacobian: DMatrix<f64>,
    /// Squared Mahalanobis distance yᵀ S⁻¹ y.
    pub mahalanobis_sq: f64,
    /// ln det S.
    pub log_det_covar: f64,
}

impl Innovation {
    /// Dimension of the measurement.
    pub fn dim(&self) -> usize {
        self.residual.len()
    }

    /// Negative log-likelihood of the measurement given the prediction:
    /// ½ (d² + ln det S + m ln 2π). The association minimises its sum.
    pub fn negative_log_likelihood(&self) -> f64 {
        let m = self.dim() as f64;
        0.5 * (self.mahalanobis_sq + self.log_det_covar + m * (2.0 * std::f64::consts::PI).ln())
    }
}

/// A prediction corrected by one measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The posterior state.
    pub state: GaussianState,
    /// The innovation it was corrected with.
    pub innovation: Innovation,
}

/// One point of a track's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    /// Scan time, seconds.
    pub time_s: f64,
    /// Estimated position, ENU metres.
    pub pos_enu_m: Vector2<f64>,
    /// Estimated velocity, ENU metres per second.
    pub vel_enu_mps: Vector2<f64>,
    /// Whether a detection updated the track in this scan (else it coasted).
    pub updated: bool,
}

/// One target as the tracker follows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// Stable identity, never reused within one tracker.
    pub id: u64,
    /// The latest belief: posterior if the last scan updated it, prediction if it coasted.
    pub state: GaussianState,
    /// Recent scans, oldest first, at most the tracker's `history_len`.
    pub history: VecDeque<TrackPoint>,
    /// Scans in which a detection updated the track, ever.
    pub hits: u32,
    /// Scans in a row without an update.
    pub misses: u32,
    /// Scans since the track started, including the one that started it.
    pub scans: u32,
    /// Hit (1) or miss (0) of recent scans, bit 0 the latest: the M-of-N window.
    pub recent_hits: u64,
    /// Whether the track has passed M-of-N confirmation (it stays confirmed).
    pub confirmed: bool,
    /// The class with the largest confidence-weighted vote, `Unknown` until one votes.
    pub class: ClassHint,
    /// Sum of confidences each class has received.
    pub class_votes: BTreeMap<ClassHint, f64>,
    /// Median of the recent head counts (the upper one of an even number), if any.
    pub count: Option<u32>,
    /// The last [`COUNT_WINDOW`] head counts, oldest first.
    pub recent_counts: VecDeque<u32>,
    /// Time of the last update, seconds.
    pub last_update_s: f64,
    /// Where the last update put the target, ENU metres (what the reach gate measures from:
    /// see `gate::SpeedLimits`).
    pub last_fix_enu_m: Vector2<f64>,
    /// The standard deviation of that position along its worst axis, metres.
    pub last_fix_std_m: f64,
    /// Time the track started, seconds.
    pub created_s: f64,
    /// Whether the last scan could see the track: it was detected in it, or it lies inside a
    /// sensor's or camera's known coverage (see `coverage`). An unobserved track is a
    /// prediction that nothing can confirm or refute.
    pub observable: bool,
    /// Detections the coverage was expected to give since the last update, while the track
    /// was inside it (Σ pd·Δt/period): what the deleter weighs a silence by.
    pub missed_detections: f64,
    /// How many tracks this one stands for: 1, or more once tracks of people walking
    /// together have been merged into it (see `group`).
    pub members: u32,
    /// The older track this one has kept close to, and for how many scans in a row (see
    /// `group`).
    pub close_to: Option<(u64, u32)>,
    /// The group track this one was started beside, until it is confirmed: one of the
    /// group's members walking off (see `group`).
    pub born_of: Option<u64>,
}

impl Track {
    /// A new tentative track that has not yet closed a scan.
    pub fn new(id: u64, state: GaussianState) -> Self {
        let time_s = state.time_s;
        Self {
            id,
            history: VecDeque::new(),
            hits: 0,
            misses: 0,
            scans: 0,
            recent_hits: 0,
            confirmed: false,
            class: ClassHint::Unknown,
            class_votes: BTreeMap::new(),
            count: None,
            recent_counts: VecDeque::new(),
            last_update_s: time_s,
            last_fix_enu_m: state.pos_enu_m(),
            last_fix_std_m: worst_std_m(&state.pos_covar_m2()),
            created_s: time_s,
            observable: true,
            missed_detections: 0.0,
            members: 1,
            close_to: None,
            born_of: None,
            state,
        }
    }

    /// Notes whether a scan could see the track: `hit`, or else the detection rate (per
    /// second) of the coverage its position is inside, `None` if none, over the `dt_s` seconds
    /// since its previous scan.
    pub fn note_coverage(&mut self, hit: bool, rate_hz: Option<f64>, dt_s: f64) {
        if hit {
            self.observable = true;
            self.missed_detections = 0.0;
            return;
        }
        self.observable = rate_hz.is_some();
        if let Some(rate_hz) = rate_hz {
            self.missed_detections += rate_hz * dt_s.max(0.0);
        }
    }

    /// How many people (or animals, vehicles) the track stands for: the tracks merged into
    /// it, or the sensors' head count if that is larger; 1 for a lone target. What the
    /// console and journal show as "group of N".
    pub fn group_size(&self) -> u32 {
        self.members.max(self.count.unwrap_or(1)).max(1)
    }

    /// Takes a detection's class hint and head count into the track's aggregates.
    pub fn note_attributes(&mut self, detection: &Detection) {
        if detection.class_hint != ClassHint::Unknown && detection.confidence > 0.0 {
            *self.class_votes.entry(detection.class_hint).or_insert(0.0) += detection.confidence;
            self.class = majority_class(&self.class_votes);
        }
        if let Some(count) = detection.count {
            if self.recent_counts.len() == COUNT_WINDOW {
                self.recent_counts.pop_front();
            }
            self.recent_counts.push_back(count);
            self.count = upper_median(&self.recent_counts);
        }
    }

    /// Ends a scan for this track: counts the hit or miss and appends a history point,
    /// keeping at most `history_len` of them.
    pub fn close_scan(&mut self, time_s: f64, hit: bool, history_len: usize) {
        self.scans = self.scans.saturating_add(1);
        self.recent_hits = (self.recent_hits << 1) | u64::from(hit);
        if hit {
            self.hits = self.hits.saturating_add(1);
            self.misses = 0;
            self.last_update_s = time_s;
            self.last_fix_enu_m = self.state.pos_enu_m();
            self.last_fix_std_m = worst_std_m(&self.state.pos_covar_m2());
        } else {
            self.misses = self.misses.saturating_add(1);
        }
        while self.history.len() >= history_len.max(1) {
            self.history.pop_front();
        }
        self.history.push_back(TrackPoint {
            time_s,
            pos_enu_m: self.state.pos_enu_m(),
            vel_enu_mps: self.state.vel_enu_mps(),
            updated: hit,
        });
    }
}

/// The standard deviation along the worst axis of a position covariance, metres.
pub(crate) fn worst_std_m(covar_m2: &Matrix2<f64>) -> f64 {
    covar_m2.symmetric_eigenvalues().max().max(0.0).sqrt()
}

/// The class with the largest vote; ties go to the first in `ClassHint` order.
fn majority_class(votes: &BTreeMap<ClassHint, f64>) -> ClassHint {
    let mut best = (ClassHint::Unknown, 0.0);
    for (&class, &weight) in votes {
        if weight > best.1 {
            best = (class, weight);
        }
    }
    best.0
}

/// The median of the counts, the upper of the two middle ones for an even number.
fn upper_median(counts: &VecDeque<u32>) -> Option<u32> {
    let mut sorted: Vec<u32> = counts.iter().copied().collect();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied()
}

/// Where one true object was at one time, for scoring.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundTruthPoint {
    /// The object's identity.
    pub id: u64,
    /// Time, seconds.
    pub time_s: f64,
    /// Position, ENU metres.
    pub pos_enu_m: Vector2<f64>,
}

/// The path of one true object, points in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundTruth {
    /// The object's identity.
    pub id: u64,
    /// Its positions, in time order.
    pub points: Vec<GroundTruthPoint>,
}

impl GroundTruth {
    /// The object's position at `time_s`, interpolated linearly between points; `None`
    /// outside its first and last point.
    pub fn at(&self, time_s: f64) -> Option<GroundTruthPoint> {
        let after = self.points.iter().position(|p| p.time_s >= time_s)?;
        let b = self.points[after];
        if after == 0 {
            return (b.time_s == time_s).then_some(b);
        }
        let a = self.points[after - 1];
        let span_s = b.time_s - a.time_s;
        let w = if span_s > 0.0 {
            (time_s - a.time_s) / span_s
        } else {
            1.0
        };
        Some(GroundTruthPoint {
            id: self.id,
            time_s,
            pos_enu_m: a.pos_enu_m + (b.pos_enu_m - a.pos_enu_m) * w,
        })
    }
}

/// Checks that a matrix is n x n.
pub(crate) fn check_shape(matrix: &DMatrix<f64>, n: usize) -> Result<(), TrackingError> {
    if matrix.nrows() == n && matrix.ncols() == n {
        Ok(())
    } else {
        Err(TrackingError::DimensionMismatch {
            expected: n,
            got: matrix.nrows().max(matrix.ncols()),
        })
    }
}

/// Checks that a 2x2 matrix is finite, symmetric and positive definite.
pub(crate) fn check_covariance(
    field: &'static str,
    covar: &Matrix2<f64>,
) -> Result<(), TrackingError> {
    if covar.iter().any(|v| !v.is_finite()) {
        return Err(TrackingError::NonFinite { field });
    }
    let scale = covar.abs().max().max(f64::MIN_POSITIVE);
    let symmetric = (covar[(0, 1)] - covar[(1, 0)]).abs() <= 1e-9 * scale;
    if symmetric && covar.cholesky().is_some() {
        Ok(())
    } else {
        Err(TrackingError::NotPositiveDefinite { field })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detection(measurement: Measurement) -> Detection {
        Detection {
            time_s: 1.0,
            sensor_pos_enu_m: Vector2::zeros(),
            measurement,
            class_hint: ClassHint::Person,
            count: Some(2),
            confidence: 0.5,
            source_id: 1,
        }
    }

    #[test]
    fn nan_and_bad_stds_are_rejected() {
        let nan_pos = Measurement::Position {
            pos_enu_m: Vector2::new(f64::NAN, 0.0),
            noise: PositionNoise::Isotropic { std_m: 1.0 },
        };
        assert!(matches!(
            detection(nan_pos).validate(),
            Err(TrackingError::NonFinite { .. })
        ));
        let zero_std = Measurement::Bearing {
            bearing_rad: 0.1,
            bearing_std_rad: 0.0,
        };
        assert!(matches!(
            detection(zero_std).validate(),
            Err(TrackingError::NonPositive { .. })
        ));
        let bad_covar = Measurement::Position {
            pos_enu_m: Vector2::zeros(),
            noise: PositionNoise::Covariance {
                covar_m2: Matrix2::new(1.0, 2.0, 2.0, 1.0),
            },
        };
        assert!(matches!(
            detection(bad_covar).validate(),
            Err(TrackingError::NotPositiveDefinite { .. })
        ));
        let mut d = detection(Measurement::Presence {
            zone_radius_m: 10.0,
        });
        assert_eq!(d.validate(), Ok(()));
        d.time_s = f64::INFINITY;
        assert!(d.validate().is_err());
        d.time_s = 0.0;
        d.confidence = f64::NAN;
        assert!(matches!(d.validate(), Err(TrackingError::Confidence(_))));
    }

    #[test]
    fn class_is_confidence_weighted_majority_and_count_is_median() {
        let state = GaussianState::new(DVector::zeros(4), DMatrix::identity(4, 4), 0.0);
        let mut track = Track::new(1, state.expect("valid state"));
        let mut d = detection(Measurement::Presence { zone_radius_m: 5.0 });
        for (class, confidence, count) in [
            (ClassHint::Person, 0.3, 1),
            (ClassHint::Person, 0.3, 9),
            (ClassHint::Vehicle, 0.9, 2),
            (ClassHint::Unknown, 1.0, 3),
        ] {
            d.class_hint = class;
            d.confidence = confidence;
            d.count = Some(count);
            track.note_attributes(&d);
        }
        // Vehicle 0.9 beats Person 0.6; Unknown does not vote.
        assert_eq!(track.class, ClassHint::Vehicle);
        // Counts 1, 9, 2, 3 sorted 1, 2, 3, 9: upper median 3.
        assert_eq!(track.count, Some(3));
    }

    #[test]
    fn close_scan_keeps_a_bounded_history_and_counts_hits() {
        let state = GaussianState::new(DVector::zeros(4), DMatrix::identity(4, 4), 0.0);
        let mut track = Track::new(1, state.expect("valid state"));
        for (i, hit) in [true, false, true, true].into_iter().enumerate() {
            track.close_scan(i as f64, hit, 3);
        }
        assert_eq!(track.history.len(), 3);
        assert_eq!(track.history[0].time_s, 1.0);
        assert_eq!((track.hits, track.misses, track.scans), (3, 0, 4));
        assert_eq!(track.recent_hits & 0b1111, 0b1011);
        assert_eq!(track.last_update_s, 3.0);
    }

    #[test]
    fn ground_truth_interpolates_inside_its_span_only() {
        let point = |t: f64, x: f64| GroundTruthPoint {
            id: 7,
            time_s: t,
            pos_enu_m: Vector2::new(x, 0.0),
        };
        let truth = GroundTruth {
            id: 7,
            points: vec![point(0.0, 0.0), point(2.0, 10.0)],
        };
        assert_eq!(truth.at(1.5).map(|p| p.pos_enu_m.x), Some(7.5));
        assert_eq!(truth.at(0.0).map(|p| p.pos_enu_m.x), Some(0.0));
        assert_eq!(truth.at(-0.1), None);
        assert_eq!(truth.at(2.1), None);
    }
}
