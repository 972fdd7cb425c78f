//! Multi-target tracking: turns detections from drones and ground sensors into tracks with
//! stable identities, one scan at a time. In the spirit of Stone Soup, each role is one part
//! with one verb (a motion model moves, a predictor predicts, a gate admits, an associator
//! associates, an updater updates, an initiator initiates, a deleter deletes), the tracker
//! only composes them, and the data they pass (detections, predictions, updates, tracks,
//! ground truth) are plain types in [`types`].
//!
//! ```text
//!  detections ──► ScanGrouper (scan) ──► Scan { time_s, detections }
//!                                              │
//!  Tracker::step(time_s, &detections)          ▼
//!  ┌────────────────────────────────────────────────────────────────────┐
//!  │ Observation::from_detection  validate; z, R, h(x)   (measure)      │──► rejected
//!  │ Predictor::predict_position  every track to time_s  (predict)      │
//!  │ TrackGrid::rebuild           tracks by position     (spatial)      │
//!  │ for each source_id, in order:                                      │
//!  │   TrackGrid::candidates      tracks near, by bound  (spatial)      │
//!  │   Observation::gate_distance d² per near pair       (measure)      │
//!  │   ChiSquareGate::admits      d² ≤ χ²(p, dim z)      (gate)         │
//!  │   SpeedLimits::within_reach  of its last fix at its (gate)         │
//!  │                              class's top speed                     │
//!  │   lone_pairs, clusters       split the gated pairs  (cluster)      │
//!  │   Associator::associate      GNN, confirmed tracks  (associate)    │
//!  │                              first, then tentative                 │
//!  │   or Jpda::marginals         β per pair, per        (jpda)         │
//!  │                              cluster                               │
//!  │   KalmanUpdater::            EKF, Joseph form, on   (update)       │
//!  │     update_in_place          the stack                             │
//!  │   (JPDA: collapse            β-weighted mixture)    (update)       │
//!  │   Initiator::initiate        leftovers in no gate   (initiate)     │
//!  │ Track::close_scan, MOfN      hits, confirmation     (initiate)     │
//!  │ GroupConfig::split, merge    one who walked off     (group)        │
//!  │                              leaves a group; tracks                │
//!  │                              kept together become                  │
//!  │                              group tracks                          │
//!  │ Coverage::rate_at            observable or not      (coverage)     │
//!  │ Deleter::should_delete       M-of-N, unseen in      (delete)       │
//!  │                              coverage, coast, P                    │
//!  └──────────────────────────────┬─────────────────────────────────────┘
//!                                 ▼ Tracker::tracks(), StepReport
//!  TrackingScore::record  OSPA, GOSPA, swaps, fragmentations, latency (metrics)
//! ```
//!
//! Frames and units: everything is in a local East-North-Up tangent plane in metres (the
//! caller converts latitude and longitude with its geodesy module and converts back to show
//! tracks); velocities in m/s in that frame; bearings in radians clockwise from north; the
//! state is `[x_e, y_n, v_e, v_n]` for constant velocity and `[x_e, y_n, v_e, v_n, omega]`
//! for the coordinated turn. Time is `f64` seconds on one clock of the caller's choosing,
//! which keeps this module independent of the crate's clock: Vigil passes
//! `TimeUs::as_secs_f64()` (seconds since the UNIX epoch, held by an f64 to about 0.25 µs).
//!
//! Nothing here reads a clock, spawns a thread or iterates a hash map: the same detections
//! give the same tracks, bit for bit.

pub mod associate;
mod cluster;
pub mod coverage;
pub mod delete;
pub mod error;
pub mod gate;
pub mod group;
pub mod initiate;
pub mod jpda;
pub mod measure;
pub mod metrics;
pub mod motion;
pub mod predict;
pub mod scan;
pub mod spatial;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_jpda;
#[cfg(test)]
mod tests_reach;
pub mod tracker;
pub mod types;
pub mod update;

pub use associate::{Association, Associator, GlobalNearestNeighbour, solve_assignment};
pub use coverage::{Coverage, CoverageRegion, Region};
pub use delete::{DeleteReason, Deleter};
pub use error::TrackingError;
pub use gate::{ChiSquareGate, Reach, SpeedLimits, chi_square_cdf, chi_square_quantile};
pub use group::GroupConfig;
pub use initiate::{Initiator, MOfN, locate};
pub use jpda::{AssociationMethod, Jpda, JpdaConfig, Marginals};
pub use measure::{GateDistance, MeasurementModel, Observation, bearing_rad, wrap_angle_rad};
pub use metrics::{
    Gospa, LatencySummary, ScanScore, ScoreSummary, TrackingScore, confirmed_estimates, gospa, ospa,
};
pub use motion::{ConstantVelocity, CoordinatedTurn, Motion, MotionModel};
pub use predict::{KalmanPredictor, Predictor};
pub use scan::{Scan, ScanGrouper, group_into_scans};
pub use tracker::{StepReport, TrackUpdate, Tracker, TrackerConfig};
pub use types::{
    ClassHint, Detection, GaussianState, GroundTruth, GroundTruthPoint, Innovation, Measurement,
    PositionNoise, Prediction, Track, TrackPoint, Update,
};
pub use update::{KalmanUpdater, Updater, collapse};
