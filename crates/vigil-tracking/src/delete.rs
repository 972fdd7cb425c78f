//! Ends tracks: a tentative track once M-of-N confirmation is out of its reach, a track that
//! the sensors stopped seeing, and any track whose position has become so uncertain that
//! showing it would mislead (the trace of its position covariance over a limit).
//!
//! When the tracker knows where its sensors see (it was given a known `Coverage`), a track's
//! life follows what is observable:
//! - inside some sensor's or camera's coverage and not detected, it goes once the detections
//!   the coverage was expected to give since its last update, Σ pd·Δt/period, reach
//!   `max_missed_detections` (5 by default: about six seconds under a radar reporting every
//!   second with pd 0.8, twelve under a sensor reporting every two seconds with pd 0.85; a
//!   target that is really there is missed that many times in a row with probability about
//!   (1 − pd)^6, 6·10⁻⁵ at pd 0.8);
//! - outside every coverage it is kept, marked unobserved ([`Track::observable`] false) and
//!   predicted with a growing covariance, until `unobserved_coast_s` (30 s by default, the
//!   coast time of old) after its last update — which bounds every track's life without an
//!   update. (60 s was tried: in the crowded scenario of `tests/tracking.rs` tracks coasting
//!   that long caught other people's detections, and identity swaps nearly doubled.)
//! - a target that walks out of every sensor's range therefore ends at most
//!   `unobserved_coast_s` after its last detection, one that stops being detected where a
//!   sensor would see it ends within a few of that sensor's periods.
//!
//! Without known coverage every track not updated for `coast_s` (30 s) goes, as before.

use super::initiate::MOfN;
use super::types::Track;

/// Why a track was deleted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeleteReason {
    /// A tentative track could no longer pass M-of-N.
    NotConfirmed,
    /// No update for longer than the coast time (the unobserved coast time when the
    /// coverage is known).
    Coasted {
        /// Seconds since the last update.
        since_update_s: f64,
    },
    /// Inside known coverage, not detected for as many expected detections as the limit.
    Unseen {
        /// Detections the coverage was expected to give since the last update.
        missed_detections: f64,
    },
    /// The position covariance trace passed the limit.
    Uncertain {
        /// The trace, m².
        pos_covar_trace_m2: f64,
    },
}

/// Decides which tracks to delete.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deleter {
    /// Longest time without an update when the coverage is not known, seconds.
    pub coast_s: f64,
    /// Longest time without an update when the coverage is known, seconds.
    pub unobserved_coast_s: f64,
    /// Expected detections missed inside coverage before a track goes.
    pub max_missed_detections: f64,
    /// Largest trace of the position covariance, m² (2 σ² for σ on each axis).
    pub max_pos_covar_trace_m2: f64,
    /// The confirmation rule tentative tracks are held to.
    pub confirmation: MOfN,
}

impl Deleter {
    /// Why `track` should go at `now_s`, or `None` if it stays; `coverage_known` says
    /// whether the tracker knows where its sensors see (see the module documentation). A NaN
    /// in the track's covariance counts as too uncertain.
    pub fn should_delete(
        &self,
        track: &Track,
        now_s: f64,
        coverage_known: bool,
    ) -> Option<DeleteReason> {
        if !track.confirmed && self.confirmation.is_out_of_reach(track) {
            return Some(DeleteReason::NotConfirmed);
        }
        let since_update_s = now_s - track.last_update_s;
        if coverage_known && track.missed_detections >= self.max_missed_detections {
            return Some(DeleteReason::Unseen {
                missed_detections: track.missed_detections,
            });
        }
        let coast_s = if coverage_known {
            self.unobserved_coast_s
        } else {
            self.coast_s
        };
        if since_update_s > coast_s {
            return Some(DeleteReason::Coasted { since_update_s });
        }
        let pos_covar_trace_m2 = track.state.pos_covar_m2().trace();
        // False for a NaN trace.
        let within_limit = pos_covar_trace_m2 <= self.max_pos_covar_trace_m2;
        if !within_limit {
            return Some(DeleteReason::Uncertain { pos_covar_trace_m2 });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;
    use crate::types::GaussianState;

    const DELETER: Deleter = Deleter {
        coast_s: 30.0,
        unobserved_coast_s: 60.0,
        max_missed_detections: 5.0,
        max_pos_covar_trace_m2: 2.0 * 100.0 * 100.0,
        confirmation: MOfN { m: 3, n: 5 },
    };

    fn confirmed_track(pos_var_m2: f64) -> Track {
        let state = GaussianState::new(
            DVector::zeros(4),
            DMatrix::identity(4, 4) * pos_var_m2,
            10.0,
        )
        .expect("state");
        let mut track = Track::new(1, state);
        track.close_scan(10.0, true, 5);
        track.confirmed = true;
        track
    }

    #[test]
    fn coast_time_and_uncertainty_end_confirmed_tracks() {
        let track = confirmed_track(25.0);
        assert_eq!(DELETER.should_delete(&track, 40.0, false), None);
        assert_eq!(
            DELETER.should_delete(&track, 40.5, false),
            Some(DeleteReason::Coasted {
                since_update_s: 30.5
            })
        );
        let vague = confirmed_track(10_001.0);
        assert!(matches!(
            DELETER.should_delete(&vague, 11.0, false),
            Some(DeleteReason::Uncertain { .. })
        ));
        assert!(
            DELETER
                .should_delete(&confirmed_track(f64::NAN), 11.0, false)
                .is_some()
        );
    }

    #[test]
    fn tentative_tracks_go_once_m_of_n_is_out_of_reach() {
        let mut track = confirmed_track(1.0);
        track.confirmed = false;
        track.close_scan(11.0, false, 5);
        track.close_scan(12.0, false, 5);
        assert_eq!(DELETER.should_delete(&track, 12.0, false), None);
        track.close_scan(13.0, false, 5);
        assert_eq!(
            DELETER.should_delete(&track, 13.0, false),
            Some(DeleteReason::NotConfirmed)
        );
    }

    #[test]
    fn with_known_coverage_silence_inside_ends_a_track_and_outside_it_coasts_longer() {
        // Inside coverage at 0.8 detections a second, not detected: gone at 5 expected, after
        // the seventh second without a detection.
        let mut inside = confirmed_track(25.0);
        for second in 1..=7 {
            inside.close_scan(10.0 + f64::from(second), false, 5);
            inside.note_coverage(false, Some(0.8), 1.0);
            let verdict = DELETER.should_delete(&inside, 10.0 + f64::from(second), true);
            if second < 7 {
                assert_eq!(verdict, None, "second {second}");
            } else {
                assert!(
                    matches!(verdict, Some(DeleteReason::Unseen { .. })),
                    "second {second}: {verdict:?}"
                );
            }
        }
        assert!(inside.observable);
        // Outside every region: kept, unobserved, past the 30 s coast, until 60 s.
        let mut outside = confirmed_track(25.0);
        outside.note_coverage(false, None, 1.0);
        assert!(!outside.observable);
        assert_eq!(DELETER.should_delete(&outside, 50.0, true), None);
        assert_eq!(DELETER.should_delete(&outside, 70.0, true), None);
        assert!(matches!(
            DELETER.should_delete(&outside, 70.5, true),
            Some(DeleteReason::Coasted { .. })
        ));
        // A detection clears the count.
        inside.note_coverage(true, None, 1.0);
        assert_eq!(inside.missed_detections, 0.0);
    }
}
