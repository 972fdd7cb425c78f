//! A session: the folder where one run of the ground station keeps what it recorded
//! (`telemetry.tlog`, `session.json`), and the recorder thread that writes it.

pub mod recorder;
pub mod tlog;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::time::TimeUs;

/// Name of the telemetry log inside a session folder.
pub const TLOG_FILE: &str = "telemetry.tlog";
/// Name of the session's description inside a session folder.
pub const META_FILE: &str = "session.json";

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
}

/// What `session.json` says about a session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionMeta {
    pub vigil_version: &'static str,
    pub started_utc: String,
    pub started_unix_us: u64,
    pub links: Vec<String>,
}

/// Where the default session folders go: `$XDG_DATA_HOME/vigil/sessions`, else
/// `~/.local/share/vigil/sessions`, else `./vigil-sessions`.
pub fn default_sessions_root() -> PathBuf {
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(data).join("vigil/sessions");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/vigil/sessions");
    }
    PathBuf::from("vigil-sessions")
}

/// Creates the session folder (`dir`, or a new time-stamped folder under the default root)
/// and writes its `session.json` (unless it already has one). Returns the folder.
pub fn create_session_dir(dir: Option<&Path>, meta: &SessionMeta) -> Result<PathBuf, SessionError> {
    let path = match dir {
        Some(dir) => dir.to_owned(),
        None => default_sessions_root().join(meta.started_utc.replace(':', "")),
    };
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

/// Formats a mission time as ISO 8601 UTC (`2026-11-23T00:28:17Z`).
pub fn utc_string(time: TimeUs) -> String {
    let secs = time.0 / 1_000_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_strings_match_known_dates() {
        assert_eq!(utc_string(TimeUs(0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            utc_string(TimeUs(1_700_000_000_000_000)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            utc_string(TimeUs(951_782_400_000_000)),
            "2000-02-29T00:00:00Z"
        );
    }
}
