//! Starts tracks and confirms them. A detection that no track took and that lies in no
//! track's gate starts a tentative track if it locates the target on its own: a position or
//! a range and bearing. A bearing alone says nothing about range, so it never starts a
//! track. A presence detection does not either, unless configured to: it places the target
//! only within the sensor's zone, which the operator already sees as the sensor's alert, and
//! a motion sensor stirred by wind or animals would otherwise confirm a track sitting on the
//! sensor after three trips. Presence detections do update tracks that pass by.
//!
//! A track is confirmed once M of its last N scans (3 of 5 by default) updated it. A scan is
//! one call of the tracker's `step`, and a track has a hit in it if any source's detection
//! updated it, so callers should group detections into scans (see `scan`) rather than step
//! once per detection.

use nalgebra::{DMatrix, DVector, Matrix2, Vector2};

use super::error::TrackingError;
use super::types::{Detection, GaussianState, Measurement, Track};

/// The M-of-N confirmation rule over a track's recent scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MOfN {
    /// Hits needed.
    pub m: u32,
    /// Out of this many latest scans (at most 64).
    pub n: u32,
}

impl Default for MOfN {
    fn default() -> Self {
        Self { m: 3, n: 5 }
    }
}

impl MOfN {
    /// Checks 1 ≤ m ≤ n ≤ 64.
    pub fn validate(&self) -> Result<(), TrackingError> {
        if self.m >= 1 && self.m <= self.n && self.n <= 64 {
            Ok(())
        } else {
            Err(TrackingError::InvalidConfig(
                "M-of-N needs 1 <= m <= n <= 64",
            ))
        }
    }

    fn hits_in_window(&self, track: &Track) -> u32 {
        let mask = if self.n >= 64 {
            u64::MAX
        } else {
            (1u64 << self.n) - 1
        };
        (track.recent_hits & mask).count_ones()
    }

    /// Whether M of the track's last N scans were hits.
    pub fn is_met(&self, track: &Track) -> bool {
        self.hits_in_window(track) >= self.m
    }

    /// Whether a tentative track can no longer be confirmed within its first N scans.
    pub fn is_out_of_reach(&self, track: &Track) -> bool {
        self.hits_in_window(track) + self.n.saturating_sub(track.scans) < self.m
    }
}

/// Where a detection puts the target on its own, ENU metres, with the covariance of that
/// position; `None` for a bearing, which does not.
pub fn locate(detection: &Detection) -> Option<(Vector2<f64>, Matrix2<f64>)> {
    let sensor = detection.sensor_pos_enu_m;
    match detection.measurement {
        Measurement::Position { pos_enu_m, noise } => Some((pos_enu_m, noise.covar_m2())),
        Measurement::RangeBearing {
            range_m,
            range_std_m,
            bearing_rad,
            bearing_std_rad,
        } => {
            let (sin, cos) = bearing_rad.sin_cos();
            let pos = sensor + Vector2::new(sin, cos) * range_m;
            // ∂(e, n)/∂(r, θ) carries the polar noise into the plane.
            let j = Matrix2::new(sin, range_m * cos, cos, -range_m * sin);
            let r = Matrix2::from_diagonal(&Vector2::new(
                range_std_m * range_std_m,
                bearing_std_rad * bearing_std_rad,
            ));
            Some((pos, j * r * j.transpose()))
        }
        Measurement::Presence { zone_radius_m } => {
            let std_m = zone_radius_m / 2.0;
            Some((sensor, Matrix2::identity() * (std_m * std_m)))
        }
        Measurement::Bearing { .. } => None,
    }
}

/// Starts tentative tracks from single detections: the position from the detection, the
/// velocity zero with a wide standard deviation, the turn rate (for five-state models) zero.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Initiator {
    /// Size of the state vector (4 for constant velocity, 5 with a turn rate).
    pub state_dim: usize,
    /// Standard deviation of each velocity component of a new track, m/s: about the
    /// fastest target's speed.
    pub speed_std_mps: f64,
    /// Standard deviation of the turn rate of a new track, rad/s.
    pub turn_rate_std_radps: f64,
    /// Whether presence detections may start tracks (see the module documentation).
    pub from_presence: bool,
}

impl Initiator {
    /// Whether this detection may start a track.
    pub fn can_start(&self, detection: &Detection) -> bool {
        detection.measurement.locates()
            || (self.from_presence && matches!(detection.measurement, Measurement::Presence { .. }))
    }

    /// A tentative track with identity `id` at `time_s` from `detection`, or `None` if the
    /// detection may not start one or is invalid.
    pub fn initiate(&self, id: u64, detection: &Detection, time_s: f64) -> Option<Track> {
        if !self.can_start(detection) || detection.validate().is_err() || self.state_dim < 4 {
            return None;
        }
        let (pos, pos_covar) = locate(detection)?;
        let n = self.state_dim;
        let mut mean = DVector::zeros(n);
        mean[0] = pos.x;
        mean[1] = pos.y;
        let mut covar = DMatrix::zeros(n, n);
        covar.view_mut((0, 0), (2, 2)).copy_from(&pos_covar);
        let speed_var = self.speed_std_mps * self.speed_std_mps;
        covar[(2, 2)] = speed_var;
        covar[(3, 3)] = speed_var;
        for i in 4..n {
            covar[(i, i)] = self.turn_rate_std_radps * self.turn_rate_std_radps;
        }
        let state = GaussianState::new(mean, covar, time_s).ok()?;
        let mut track = Track::new(id, state);
        track.note_attributes(detection);
        Some(track)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ClassHint, PositionNoise};

    fn detection(measurement: Measurement) -> Detection {
        Detection {
            time_s: 3.0,
            sensor_pos_enu_m: Vector2::new(100.0, 200.0),
            measurement,
            class_hint: ClassHint::Vehicle,
            count: Some(1),
            confidence: 0.8,
            source_id: 4,
        }
    }

    const INITIATOR: Initiator = Initiator {
        state_dim: 5,
        speed_std_mps: 10.0,
        turn_rate_std_radps: 0.1,
        from_presence: false,
    };

    #[test]
    fn range_bearing_starts_a_track_at_the_polar_point() {
        let d = detection(Measurement::RangeBearing {
            range_m: 100.0,
            range_std_m: 2.0,
            bearing_rad: std::f64::consts::FRAC_PI_2,
            bearing_std_rad: 0.01,
        });
        let track = INITIATOR.initiate(9, &d, 3.5).expect("starts");
        assert_eq!(track.id, 9);
        assert!((track.state.mean[0] - 200.0).abs() < 1e-9);
        assert!((track.state.mean[1] - 200.0).abs() < 1e-9);
        // Due east: range noise along east (4 m²), cross-range along north ((100·0.01)² = 1).
        let p = track.state.pos_covar_m2();
        assert!(
            (p[(0, 0)] - 4.0).abs() < 1e-9 && (p[(1, 1)] - 1.0).abs() < 1e-9,
            "{p}"
        );
        assert_eq!(track.state.covar[(2, 2)], 100.0);
        assert!((track.state.covar[(4, 4)] - 0.01).abs() < 1e-15);
        assert_eq!(track.state.time_s, 3.5);
        assert_eq!(track.class, ClassHint::Vehicle);
        assert!(!track.confirmed);
    }

    #[test]
    fn bearings_never_and_presence_only_when_allowed_start_tracks() {
        let bearing = detection(Measurement::Bearing {
            bearing_rad: 0.3,
            bearing_std_rad: 0.05,
        });
        assert!(INITIATOR.initiate(1, &bearing, 3.0).is_none());
        let presence = detection(Measurement::Presence {
            zone_radius_m: 40.0,
        });
        assert!(INITIATOR.initiate(1, &presence, 3.0).is_none());
        let allowed = Initiator {
            from_presence: true,
            ..INITIATOR
        };
        let track = allowed.initiate(1, &presence, 3.0).expect("allowed");
        assert_eq!(track.state.pos_enu_m(), Vector2::new(100.0, 200.0));
        assert_eq!(track.state.covar[(0, 0)], 400.0);
        let nan = detection(Measurement::Position {
            pos_enu_m: Vector2::new(f64::NAN, 1.0),
            noise: PositionNoise::Isotropic { std_m: 1.0 },
        });
        assert!(INITIATOR.initiate(1, &nan, 3.0).is_none());
    }

    #[test]
    fn three_of_five_confirms_and_gives_up_when_out_of_reach() {
        let rule = MOfN::default();
        let state =
            GaussianState::new(DVector::zeros(4), DMatrix::identity(4, 4), 0.0).expect("state");
        let run = |pattern: &[bool]| {
            let mut track = Track::new(1, state.clone());
            for (i, hit) in pattern.iter().enumerate() {
                track.close_scan(i as f64, *hit, 10);
            }
            (rule.is_met(&track), rule.is_out_of_reach(&track))
        };
        assert_eq!(run(&[true, true]), (false, false));
        assert_eq!(run(&[true, true, true]), (true, false));
        assert_eq!(run(&[true, false, false, true]), (false, false));
        assert_eq!(run(&[true, false, false, false]), (false, true));
        assert_eq!(run(&[true, false, true, false, true]), (true, false));
        assert_eq!(run(&[true, false, true, false, false]), (false, true));
        assert!(MOfN { m: 4, n: 3 }.validate().is_err());
        assert!(MOfN { m: 0, n: 3 }.validate().is_err());
        assert!(MOfN { m: 64, n: 64 }.validate().is_ok());
    }
}
