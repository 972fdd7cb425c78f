//! What the operator set up, remembered between runs: theme, scale, layers, panels, the map's
//! view and tile source. Saved as JSON in the user's configuration folder when the console
//! closes and every minute (so a crash loses little); a damaged file is reported and replaced
//! by the defaults rather than stopping the console.

use std::path::Path;

use super::ConsoleError;
pub use vigil_console_files::{Layers, PanelsShown, Settings, Theme, TileChoice};

/// Reading and writing the settings file (a trait because [`Settings`] itself lives in
/// `vigil_console_files`, which builds without the console for the fuzz targets).
pub trait SettingsFile: Sized {
    /// Reads the settings; a missing file gives the defaults, a damaged one an error naming it.
    fn load(path: &Path) -> Result<Self, ConsoleError>;
    /// Writes the settings atomically (a temporary file renamed over the old one).
    fn save(&self, path: &Path) -> Result<(), ConsoleError>;
}

impl SettingsFile for Settings {
    fn load(path: &Path) -> Result<Self, ConsoleError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(error) => {
                return Err(ConsoleError::Io {
                    path: path.to_owned(),
                    error,
                });
            }
        };
        Self::from_json(&text).map_err(|e| ConsoleError::Settings {
            path: path.to_owned(),
            line: e.line(),
            message: e.to_string(),
        })
    }

    fn save(&self, path: &Path) -> Result<(), ConsoleError> {
        let io = |error| ConsoleError::Io {
            path: path.to_owned(),
            error,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(|e| ConsoleError::Settings {
            path: path.to_owned(),
            line: 0,
            message: e.to_string(),
        })?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_missing_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/console.json");
        assert_eq!(Settings::load(&path).unwrap(), Settings::default());
        let mut s = Settings {
            theme: Theme::Day,
            ui_scale: 1.5,
            tiles: TileChoice::Folder("/maps/area".into()),
            map_view: Some((12.5, 30.25, 14.0)),
            ..Settings::default()
        };
        s.layers.tracks = false;
        s.panels.plots = true;
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), s);
    }

    #[test]
    fn damaged_settings_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.json");
        std::fs::write(&path, "{\n  \"theme\": \"Dusk\"\n}").unwrap();
        let err = Settings::load(&path).unwrap_err().to_string();
        assert!(
            err.contains("console.json") && err.contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn older_files_with_fewer_fields_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("console.json");
        std::fs::write(&path, r#"{"theme": "Day", "layers": {"tracks": false}}"#).unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.theme, Theme::Day);
        assert!(!s.layers.tracks && s.layers.drones);
    }
}
