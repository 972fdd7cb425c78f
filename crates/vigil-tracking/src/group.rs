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
//! A group that splits up gives its members back: one who walks away is seen outside the
//! group track's gate and starts a track of their own beside it (within
//! [`GroupConfig::split_distance_m`]: [`GroupConfig::born_of`] notes which group, in
//! [`Track::born_of`]), and when that track is confirmed the group counts one fewer
//! ([`GroupConfig::split`]). Should the newcomer keep with the group after all, it merges
//! back in and the count is what it was.

use nalgebra::Vector2;

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
    /// A track started this close to a group track (metres) is taken for one of its
    /// members walking off.
    pub split_distance_m: f64,
}

impl Default for GroupConfig {
    /// Within 6 m (people walking in file, seen by sensors of about 5 m noise) and 0.7 m/s
    /// (half a walking pace: people crossing are not merged), for 5 scans in a row; a track
    /// started within 40 m of a group is one of its members (one walking off is taken
    /// for the group until outside its gate, some 20 m out, and starts a track a little
    /// beyond: `tests_jpda::one_who_walks_off_a_group_track_is_counted_once`).
    fn default() -> Self {
        Self {
            merge_distance_m: 6.0,
            merge_speed_mps: 0.7,
            merge_scans: 5,
            split_distance_m: 40.0,
        }
    }
}

impl GroupConfig {
    /// Checks every value is in its range.
    pub fn validate(&self) -> Result<(), TrackingError> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !(positive(self.merge_distance_m)
            && positive(self.merge_speed_mps)
            && positive(self.split_distance_m))
            || self.merge_scans == 0
        {
            return Err(TrackingError::InvalidConfig(
                "group merge and split distances and merge speed must be > 0, and merge_scans \
                 at least 1",
            ));
        }
        Ok(())
    }

    /// The group track (standing for more than one) nearest to `pos_enu_m` within
    /// `split_distance_m`, confirmed: the group a track started there came out of.
    pub fn born_of(&self, tracks: &[Track], pos_enu_m: Vector2<f64>) -> Option<u64> {
        tracks
            .iter()
            .filter(|t| t.confirmed && t.members > 1)
            .map(|t| (t.id, (t.state.pos_enu_m() - pos_enu_m).norm()))
            .filter(|&(_, d)| d <= self.split_distance_m)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id)
    }

    /// For each track of `confirmed` (confirmed this scan) that was born of a group still
    /// standing for more than one, takes one member off that group; returns (group track,
    /// the track that left it) identities.
    pub fn split(&self, tracks: &mut [Track], confirmed: &[u64]) -> Vec<(u64, u64)> {
        let mut split = Vec::new();
        for &id in confirmed {
            let Some(child) = tracks.iter_mut().find(|t| t.id == id) else {
                continue;
            };
            let Some(group_id) = child.born_of.take() else {
                continue;
            };
            if let Some(group) = tracks
                .iter_mut()
                .find(|t| t.id == group_id && t.members > 1)
            {
                group.members -= 1;
                split.push((group_id, id));
            }
        }
        split
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

    #[test]
    fn one_who_walks_off_a_group_is_taken_off_its_count_and_comes_back_if_it_rejoins() {
        let config = GroupConfig::default();
        let mut group = track(1, [0.0, 0.0], [1.0, 0.0]);
        group.members = 3;
        let mut tracks = vec![group, track(9, [200.0, 0.0], [1.0, 0.0])];
        // Started 12 m from the group: one of its members; 50 m from it: nobody's.
        assert_eq!(config.born_of(&tracks, Vector2::new(10.0, 7.0)), Some(1));
        assert_eq!(config.born_of(&tracks, Vector2::new(50.0, 0.0)), None);
        // A lone track (members 1) is no group.
        assert_eq!(config.born_of(&tracks, Vector2::new(195.0, 0.0)), None);
        let mut child = track(2, [10.0, 7.0], [0.0, 1.4]);
        child.born_of = config.born_of(&tracks, child.state.pos_enu_m());
        tracks.push(child);
        assert_eq!(config.split(&mut tracks, &[2]), vec![(1, 2)]);
        assert_eq!(tracks[0].members, 2);
        assert_eq!(tracks[2].born_of, None, "counted once");
        assert_eq!(config.split(&mut tracks, &[2]), vec![]);
        // It walks with the group again: merged back, the count is 3 again.
        tracks[2].state.mean[0] = 2.0;
        tracks[2].state.mean[1] = 0.0;
        tracks[2].state.mean[2] = 1.0;
        tracks[2].state.mean[3] = 0.0;
        for _ in 0..config.merge_scans {
            config.merge(&mut tracks);
        }
        assert_eq!(tracks[0].members, 3);
        assert_eq!(tracks.len(), 2);
    }
}
