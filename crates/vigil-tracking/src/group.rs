//! Group tracks: people walking together, a few metres apart, are one blob to sensors with
//! metres of noise, and a tracker that keeps a track per person there keeps tracks that sit
//! on one another and trade identities (JPDA's tracks in a group share its detections and
//! drift together; GNN's take turns). The grouper merges a confirmed track that has kept
//! within [`GroupConfig::merge_distance_m`] and [`GroupConfig::merge_speed_mps`] of an older
//! confirmed track for [`GroupConfig::merge_scans`] scans in a row into that track, which
//! then stands for the people of both: [`Track::members`] adds up, and [`Track::group_size`]
//! (the larger of that and the sensors' head count) is what the console and journal can show
//! as "group of N". The older track keeps its identity and state; the younger ends.
//!
//! A group that splits up keeps its count: the one who walks away starts a track of their
//! own, but the group's count is not lowered (left for later: it would need the spread of
//! the detections the group track absorbs).

use super::error::TrackingError;
use super::types::Track;

/// When tracks are merged into group tracks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupConfig {
    /// Largest distance between two tracks' positions, metres.
    pub merge_distance_m: f64,
    /// Largest difference between their velocities, m/s.
    pub merge_speed_mps: f64,
    /// Scans in a row they must keep that close.
    pub merge_scans: u32,
}

impl Default for GroupConfig {
    /// Within 6 m (people walking in file, seen by sensors of about 5 m noise) and 0.7 m/s
    /// (half a walking pace: people crossing are not merged), for 5 scans in a row.
    fn default() -> Self {
        Self {
            merge_distance_m: 6.0,
            merge_speed_mps: 0.7,
            merge_scans: 5,
        }
    }
}

impl GroupConfig {
    /// Checks every value is in its range.
    pub fn validate(&self) -> Result<(), TrackingError> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !(positive(self.merge_distance_m) && positive(self.merge_speed_mps))
            || self.merge_scans == 0
        {
            return Err(TrackingError::InvalidConfig(
                "group merge distance and speed must be > 0, and merge_scans at least 1",
            ));
        }
        Ok(())
    }

    /// Notes, for each confirmed track, the older confirmed track it keeps close to (the
    /// nearest), and merges those that have kept close long enough into it; returns
    /// (merged track, group track) identities. `tracks` is oldest first.
    pub fn merge(&self, tracks: &mut Vec<Track>) -> Vec<(u64, u64)> {
        // The confirmed tracks by East position, to compare only those within reach.
        let mut by_east: Vec<usize> = (0..tracks.len()).filter(|&i| tracks[i].confirmed).collect();
        by_east.sort_by(|&a, &b| tracks[a].state.mean[0].total_cmp(&tracks[b].state.mean[0]));
        let mut nearest: Vec<Option<(usize, f64)>> = vec![None; tracks.len()];
        for (k, &a) in by_east.iter().enumerate() {
            for &b in &by_east[k + 1..] {
                let (ta, tb) = (&tracks[a], &tracks[b]);
                if tb.state.mean[0] - ta.state.mean[0] > self.merge_distance_m {
                    break;
                }
                let distance_m = (ta.state.pos_enu_m() - tb.state.pos_enu_m()).norm();
                let speed_mps = (ta.state.vel_enu_mps() - tb.state.vel_enu_mps()).norm();
                if distance_m > self.merge_distance_m || speed_mps > self.merge_speed_mps {
                    continue;
                }
                // The younger (later in `tracks`) notes the older.
                let (older, younger) = (a.min(b), a.max(b));
                if nearest[younger].is_none_or(|(_, d)| distance_m < d) {
                    nearest[younger] = Some((older, distance_m));
                }
            }
        }
        let mut merged = Vec::new();
        let mut into: Vec<Option<usize>> = vec![None; tracks.len()];
        for (younger, near) in nearest.iter().enumerate() {
            let Some((older, _)) = *near else {
                tracks[younger].close_to = None;
                continue;
            };
            let older_id = tracks[older].id;
            let scans = match tracks[younger].close_to {
                Some((id, scans)) if id == older_id => scans + 1,
                _ => 1,
            };
            tracks[younger].close_to = Some((older_id, scans));
            // A track that itself merges this scan takes no other in (it will the next).
            if scans >= self.merge_scans && into[older].is_none() {
                into[younger] = Some(older);
            }
        }
        for younger in 0..tracks.len() {
            if let Some(older) = into[younger] {
                let members = tracks[younger].members;
                let group = &mut tracks[older];
                group.members = group.members.saturating_add(members);
                merged.push((tracks[younger].id, tracks[older].id));
            }
        }
        let mut index = 0;
        tracks.retain(|_| {
            index += 1;
            into[index - 1].is_none()
        });
        merged
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;
    use crate::types::GaussianState;

    fn track(id: u64, pos: [f64; 2], vel: [f64; 2]) -> Track {
        let state = GaussianState::new(
            DVector::from_vec(vec![pos[0], pos[1], vel[0], vel[1]]),
            DMatrix::identity(4, 4),
            0.0,
        )
        .expect("state");
        let mut track = Track::new(id, state);
        track.confirmed = true;
        track
    }

    #[test]
    fn tracks_that_keep_together_merge_into_the_oldest_after_the_scans_it_takes() {
        let config = GroupConfig::default();
        let mut tracks = vec![
            track(1, [0.0, 0.0], [1.0, 0.0]),
            track(2, [3.0, 1.0], [1.2, 0.0]),
            // Close, but crossing at walking pace: not a group.
            track(3, [1.0, -2.0], [0.0, 1.3]),
            // Far away.
            track(4, [100.0, 0.0], [1.0, 0.0]),
        ];
        for scan in 1..config.merge_scans {
            assert_eq!(config.merge(&mut tracks), vec![], "scan {scan}");
            assert_eq!(tracks[1].close_to, Some((1, scan)));
            assert_eq!(tracks[2].close_to, None);
        }
        assert_eq!(config.merge(&mut tracks), vec![(2, 1)]);
        let ids: Vec<u64> = tracks.iter().map(|t| t.id).collect();
        assert_eq!(ids, vec![1, 3, 4]);
        assert_eq!(tracks[0].members, 2);
        assert_eq!(tracks[0].group_size(), 2);
        assert_eq!(tracks[1].members, 1);
    }

    #[test]
    fn a_pair_that_parts_starts_counting_again() {
        let config = GroupConfig::default();
        let mut tracks = vec![
            track(1, [0.0, 0.0], [1.0, 0.0]),
            track(2, [3.0, 0.0], [1.0, 0.0]),
        ];
        for _ in 1..config.merge_scans {
            config.merge(&mut tracks);
        }
        tracks[1].state.mean[0] = 20.0;
        assert_eq!(config.merge(&mut tracks), vec![]);
        assert_eq!(tracks[1].close_to, None);
        tracks[1].state.mean[0] = 3.0;
        assert_eq!(config.merge(&mut tracks), vec![]);
        assert_eq!(tracks[1].close_to, Some((1, 1)));
        // Tentative tracks are not merged.
        let mut tentative = vec![
            track(1, [0.0, 0.0], [0.0, 0.0]),
            track(2, [1.0, 0.0], [0.0, 0.0]),
        ];
        tentative[1].confirmed = false;
        for _ in 0..config.merge_scans {
            assert_eq!(config.merge(&mut tentative), vec![]);
        }
        assert!(
            GroupConfig {
                merge_scans: 0,
                ..config
            }
            .validate()
            .is_err()
        );
    }
}
