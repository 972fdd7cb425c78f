//! Ends tracks: a tentative track once M-of-N confirmation is out of its reach, any track
//! not updated for the coast time, and any track whose position has become so uncertain that
//! showing it would mislead (the trace of its position covariance over a limit).

use super::initiate::MOfN;
use super::types::Track;

/// Why a track was deleted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DeleteReason {
    /// A tentative track could no longer pass M-of-N.
    NotConfirmed,
    /// No update for longer than the coast time.
    Coasted {
        /// Seconds since the last update.
        since_update_s: f64,
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
    /// Longest time without an update, seconds.
    pub coast_s: f64,
    /// Largest trace of the position covariance, m² (2 σ² for σ on each axis).
    pub max_pos_covar_trace_m2: f64,
    /// The confirmation rule tentative tracks are held to.
    pub confirmation: MOfN,
}

impl Deleter {
    /// Why `track` should go at `now_s`, or `None` if it stays. A NaN in the track's
    /// covariance counts as too uncertain.
    pub fn should_delete(&self, track: &Track, now_s: f64) -> Option<DeleteReason> {
        if !track.confirmed && self.confirmation.is_out_of_reach(track) {
            return Some(DeleteReason::NotConfirmed);
        }
        let since_update_s = now_s - track.last_update_s;
        if since_update_s > self.coast_s {
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
        assert_eq!(DELETER.should_delete(&track, 40.0), None);
        assert_eq!(
            DELETER.should_delete(&track, 40.5),
            Some(DeleteReason::Coasted {
                since_update_s: 30.5
            })
        );
        let vague = confirmed_track(10_001.0);
        assert!(matches!(
            DELETER.should_delete(&vague, 11.0),
            Some(DeleteReason::Uncertain { .. })
        ));
        assert!(
            DELETER
                .should_delete(&confirmed_track(f64::NAN), 11.0)
                .is_some()
        );
    }

    #[test]
    fn tentative_tracks_go_once_m_of_n_is_out_of_reach() {
        let mut track = confirmed_track(1.0);
        track.confirmed = false;
        track.close_scan(11.0, false, 5);
        track.close_scan(12.0, false, 5);
        assert_eq!(DELETER.should_delete(&track, 12.0), None);
        track.close_scan(13.0, false, 5);
        assert_eq!(
            DELETER.should_delete(&track, 13.0),
            Some(DeleteReason::NotConfirmed)
        );
    }
}
