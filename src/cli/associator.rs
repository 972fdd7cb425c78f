//! `--associator` and `--group-tracks`: which data association the tracker runs, and whether
//! it merges people walking together into group tracks, chosen per deployment on the
//! command line and turned into the tracker's configuration.

use std::path::Path;

use vigil_tracking::{AssociationMethod, GroupConfig, TrackerConfig};

/// How detections are associated with tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Associator {
    /// Global nearest neighbour: each scan, the one best pairing of detections and tracks.
    #[default]
    Gnn,
    /// Joint probabilistic data association: each track takes every detection in its gate,
    /// weighted by the probability that it is its own; keeps crossing targets apart, at more
    /// computation in dense crowds (where tracks of people walking together coalesce:
    /// `--group-tracks` merges them).
    Jpda,
}

impl Associator {
    /// The tracker's configuration with this association, and group tracks if
    /// `group_tracks` (its other values the defaults).
    pub fn tracker_config(self, group_tracks: bool) -> TrackerConfig {
        TrackerConfig {
            association: match self {
                Self::Gnn => AssociationMethod::GlobalNearestNeighbour,
                Self::Jpda => AssociationMethod::jpda(),
            },
            groups: group_tracks.then(GroupConfig::default),
            ..TrackerConfig::default()
        }
    }
}

/// The tracker a replay of `tlog` runs: the one `--associator` and `--group-tracks` ask for;
/// given neither, the one the recording session kept in its `session.json`; else the default.
pub fn replay_tracker(
    tlog: &Path,
    associator: Option<Associator>,
    group_tracks: bool,
) -> anyhow::Result<TrackerConfig> {
    if associator.is_some() || group_tracks {
        return Ok(associator.unwrap_or_default().tracker_config(group_tracks));
    }
    // The error names session.json and what it says.
    Ok(vigil_station::session_tracker(tlog)?.unwrap_or_default())
}
