//! A session: the folder where one run of the ground station keeps what it recorded
//! (`telemetry.tlog`, `session.json`), and the recorder thread that writes it.

pub mod recorder;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Name of the telemetry log inside a session folder.
pub const TLOG_FILE: &str = "telemetry.tlog";
/// Name of the session's description inside a session folder.
pub const META_FILE: &str = "session.json";
/// The protected places the session ran with (GeoJSON), kept in its folder.
pub const SITES_FILE: &str = "sites.geojson";
/// The alert rules it ran with (TOML).
pub const RULES_FILE: &str = "rules.toml";
/// The area's ways approaches were predicted along (GeoJSON).
pub const WAYS_FILE: &str = "ways.geojson";
/// The inputs kept with a session so that a replay judges as the live run did; the seal
/// covers them.
pub const INPUT_FILES: [&str; 3] = [SITES_FILE, RULES_FILE, WAYS_FILE];

/// Errors creating a session folder.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot create session folder {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// What `session.json` says about a session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionMeta {
    pub vigil_version: &'static str,
    pub started_utc: String,
    pub started_unix_us: u64,
    pub links: Vec<String>,
    /// How the live run's tracker associated detections, so that a replay rebuilds its
    /// tracks (absent in sessions recorded before it was kept: GNN, no group tracks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracker: Option<TrackerChoice>,
}

/// The tracker's options a session ran with, as `session.json` keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerChoice {
    /// The association's name: `gnn` or `jpda`.
    pub association: String,
    /// Whether tracks of people walking together were merged into group tracks.
    pub group_tracks: bool,
}

/// The tracker choice the session folder `dir` recorded in its `session.json`: `None` when
/// it has no such file or the file does not say (recorded before it was kept); an error
/// naming the file when it cannot be read or parsed.
pub fn read_tracker_choice(dir: &Path) -> Result<Option<TrackerChoice>, SessionError> {
    #[derive(Deserialize)]
    struct Recorded {
        tracker: Option<TrackerChoice>,
    }
    let path = dir.join(META_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path).map_err(|source| SessionError::Read {
        path: path.clone(),
        source,
    })?;
    let recorded: Recorded =
        serde_json::from_str(&text).map_err(|source| SessionError::Parse { path, source })?;
    Ok(recorded.tracker)
}

/// A new session's folder under `sessions_root`, named from its start time
/// (`2026-11-23T002817Z`: without the colons that some file systems refuse).
pub fn new_session_dir(sessions_root: &Path, started_utc: &str) -> PathBuf {
    sessions_root.join(started_utc.replace(':', ""))
}

/// Creates the session folder `path` and writes its `session.json` (unless it already has
/// one). Returns the folder.
pub fn create_session_dir(path: &Path, meta: &SessionMeta) -> Result<PathBuf, SessionError> {
    let path = path.to_owned();
    std::fs::create_dir_all(&path).map_err(|source| SessionError::Create {
        path: path.clone(),
        source,
    })?;
    let meta_path = path.join(META_FILE);
    if meta_path.exists() {
        // A session recorded into again keeps its description: its start is what export
        // times ("seconds from the start") count from.
        return Ok(path);
    }
    let text = serde_json::to_string_pretty(meta).unwrap_or_default();
    std::fs::write(&meta_path, text).map_err(|source| SessionError::Write {
        path: meta_path,
        source,
    })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_folder_is_made_where_asked_and_keeps_its_first_description() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = new_session_dir(root.path(), "2026-11-23T00:28:17Z");
        assert_eq!(dir, root.path().join("2026-11-23T002817Z"));
        let meta = |started_utc: &str| SessionMeta {
            vigil_version: "test",
            started_utc: started_utc.into(),
            started_unix_us: 0,
            links: vec!["udpin:0.0.0.0:14550".into()],
            tracker: None,
        };
        assert_eq!(create_session_dir(&dir, &meta("first")).expect("made"), dir);
        create_session_dir(&dir, &meta("second")).expect("made again");
        let text = std::fs::read_to_string(dir.join(META_FILE)).expect("session.json");
        assert!(text.contains("first") && !text.contains("second"), "{text}");
    }

    #[test]
    fn the_tracker_choice_is_kept_and_read_back_and_a_damaged_file_is_named() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path().join("s");
        let choice = TrackerChoice {
            association: "jpda".into(),
            group_tracks: true,
        };
        let meta = SessionMeta {
            vigil_version: "test",
            started_utc: "now".into(),
            started_unix_us: 0,
            links: vec![],
            tracker: Some(choice.clone()),
        };
        create_session_dir(&dir, &meta).expect("made");
        assert_eq!(read_tracker_choice(&dir).expect("read"), Some(choice));
        // Recorded before the choice was kept: nothing said.
        std::fs::write(dir.join(META_FILE), r#"{"started_unix_us": 1}"#).expect("write");
        assert_eq!(read_tracker_choice(&dir).expect("read"), None);
        // No session.json at all: nothing said either.
        assert_eq!(read_tracker_choice(root.path()).expect("read"), None);
        std::fs::write(dir.join(META_FILE), "{ damaged").expect("write");
        let error = read_tracker_choice(&dir).expect_err("damaged").to_string();
        assert!(
            error.contains("session.json") && error.contains("line 1"),
            "{error}"
        );
    }
}
