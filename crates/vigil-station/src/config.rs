//! What the station is asked to run, and why it could not.

use std::path::{Path, PathBuf};

use vigil_core::address::LinkAddress;
use vigil_link::LinkOptions;
use vigil_record::session;

/// Errors starting or using the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot start the I/O runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Session(#[from] session::SessionError),
    #[error(transparent)]
    Recorder(#[from] session::recorder::RecorderError),
    #[error("cannot start link {address}: {source}")]
    Link {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot start the world thread: {0}")]
    Thread(std::io::Error),
    #[error("the ground station has shut down")]
    Closed,
    #[error("cannot write the tracks: {0}")]
    Tracks(std::io::Error),
    #[error(transparent)]
    Journal(#[from] vigil_record::journal::JournalError),
    #[error(transparent)]
    Protection(#[from] vigil_protection::ProtectionError),
    #[error("tracker configuration: {0}")]
    Tracker(vigil_tracking::TrackingError),
    #[error(
        "{path}: tracker association \"{name}\" is not one this Vigil knows (gnn, jpda); \
         give --associator"
    )]
    UnknownAssociation { path: PathBuf, name: String },
}

/// Where the station keeps what outlives a run. The caller names them: the `vigil` binary
/// from the platform's conventions (the user's data folder), tests and benchmarks temporary
/// folders; the library never looks at `HOME` or the XDG variables. Nothing is created
/// before it is needed (a key on first use, a session folder when recording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    /// New session folders go under this one ([`PipelineConfig::record_default_session`]).
    pub sessions_root: PathBuf,
    /// The vehicles' signing keys and the signing timestamp (`vigil_link::keys`).
    pub keys_dir: PathBuf,
    /// The station's ed25519 key that seals the sessions it records (made on first use).
    pub station_key: PathBuf,
}

impl Folders {
    /// The layout of Vigil's data folder under `root`: `sessions/`, `keys/` and
    /// `keys/session-signing.key` (for the user, `root` is `~/.local/share/vigil` on Linux).
    pub fn under(root: &Path) -> Self {
        let keys_dir = root.join("keys");
        Self {
            sessions_root: root.join("sessions"),
            station_key: keys_dir.join(vigil_record::provenance::keys::KEY_FILE),
            keys_dir,
        }
    }
}

/// What to run. There is no `Default`: the folders must be given ([`PipelineConfig::new`]).
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    pub links: Vec<LinkAddress>,
    /// Where keys and new sessions are kept.
    pub folders: Folders,
    /// Record into this session folder (created if needed). `None`: do not record.
    pub session_dir: Option<PathBuf>,
    /// Record into a new folder under `folders.sessions_root` (ignored if `session_dir`).
    pub record_default_session: bool,
    pub link_options: LinkOptions,
    /// Write the confirmed tracks after each scan to this CSV file.
    pub tracks_out: Option<PathBuf>,
    /// Protected places (GeoJSON, see `protection::sites`); none if not given.
    pub sites: Option<PathBuf>,
    /// Alert rules (TOML, see `assets/rules/README.md`); the built-in rules if not given.
    pub rules: Option<PathBuf>,
    /// Use the built-in demo area's sites (and its ways) when `sites` (`ways`) is not given.
    pub demo_sites: bool,
    /// The area's roads, tracks and paths (the `LineString`s of an area GeoJSON, as the
    /// console's `--basemap` reads): approaches are predicted along them.
    pub ways: Option<PathBuf>,
    /// Per-link unsigned policies and command-line keys (`--signing`, `--key`).
    pub signing: crate::signing::SigningConfig,
    /// Runs fusion, tracking and protection on the world thread, as the first version did,
    /// instead of on their own thread: only for the latency benchmark's comparison.
    pub analysis_on_world_thread: bool,
    /// Writes the tlog through this instead of the file (tests: a disk that fills up).
    pub recorder_sink: Option<session::recorder::SinkFactory>,
    /// Drones' callsigns and sensors' names (`vigil run --names`, or the simulated scenario's).
    pub names: vigil_world::Names,
    /// How fusion's tracker is tuned: its association (`vigil run --associator`, GNN by
    /// default, JPDA where targets cross) and group tracks (`--group-tracks`).
    pub tracker: vigil_tracking::TrackerConfig,
}

impl PipelineConfig {
    /// No link, no recording, the built-in rules; keys and sessions in `folders`.
    pub fn new(folders: Folders) -> Self {
        Self {
            links: Vec::new(),
            folders,
            session_dir: None,
            record_default_session: false,
            link_options: LinkOptions::default(),
            tracks_out: None,
            sites: None,
            rules: None,
            demo_sites: false,
            ways: None,
            signing: crate::signing::SigningConfig::default(),
            analysis_on_world_thread: false,
            recorder_sink: None,
            names: vigil_world::Names::default(),
            tracker: vigil_tracking::TrackerConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_layout_is_the_one_users_already_have() {
        let folders = Folders::under(Path::new("/home/op/.local/share/vigil"));
        assert_eq!(
            folders,
            Folders {
                sessions_root: "/home/op/.local/share/vigil/sessions".into(),
                keys_dir: "/home/op/.local/share/vigil/keys".into(),
                station_key: "/home/op/.local/share/vigil/keys/session-signing.key".into(),
            }
        );
    }
}
