//! What the operator set up, remembered between runs: theme, scale, layers, panels, the map's
//! view and tile source. Saved as JSON in the user's configuration folder when the console
//! closes and every minute (so a crash loses little); a damaged file is reported and replaced
//! by the defaults rather than stopping the console.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ConsoleError;

/// Night (dark, low glare) or day (light, for sunlight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Theme {
    #[default]
    Night,
    Day,
}

/// Each map layer can be switched on and off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layers {
    pub basemap: bool,
    pub tiles: bool,
    pub drones: bool,
    pub trails: bool,
    pub footprints: bool,
    pub missions: bool,
    pub geofence: bool,
    pub sensors: bool,
    pub sensor_ranges: bool,
    pub tracks: bool,
    pub track_uncertainty: bool,
    pub sites: bool,
    pub site_buffers: bool,
    pub alerts: bool,
    pub coverage: bool,
    pub incidents: bool,
    pub grid_labels: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            basemap: true,
            tiles: true,
            drones: true,
            trails: true,
            footprints: true,
            missions: true,
            geofence: true,
            sensors: true,
            sensor_ranges: true,
            tracks: true,
            track_uncertainty: true,
            sites: true,
            site_buffers: true,
            alerts: true,
            coverage: false,
            incidents: true,
            grid_labels: false,
        }
    }
}

impl Layers {
    /// Every layer with its label, for the layer menu (and the GUI tests, which click by label).
    pub fn entries(&mut self) -> [(&'static str, &mut bool); 17] {
        [
            ("Basemap", &mut self.basemap),
            ("Map tiles", &mut self.tiles),
            ("Drones", &mut self.drones),
            ("Trails", &mut self.trails),
            ("Camera footprints", &mut self.footprints),
            ("Missions", &mut self.missions),
            ("Geofence", &mut self.geofence),
            ("Sensor nodes", &mut self.sensors),
            ("Sensor ranges", &mut self.sensor_ranges),
            ("Tracks", &mut self.tracks),
            ("Track uncertainty", &mut self.track_uncertainty),
            ("Protected sites", &mut self.sites),
            ("Site buffers", &mut self.site_buffers),
            ("Alerts", &mut self.alerts),
            ("Coverage", &mut self.coverage),
            ("Incidents & reports", &mut self.incidents),
            ("MGRS grid", &mut self.grid_labels),
        ]
    }
}

/// Which side panels are open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelsShown {
    pub vehicles: bool,
    pub details: bool,
    pub messages: bool,
    pub links: bool,
    pub plots: bool,
    pub planner: bool,
}

impl Default for PanelsShown {
    fn default() -> Self {
        Self {
            vehicles: true,
            details: true,
            messages: true,
            links: false,
            plots: false,
            planner: false,
        }
    }
}

/// Where map tiles come from, besides the vector basemap that is always there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum TileChoice {
    /// The vector basemap only: works offline with nothing installed.
    #[default]
    None,
    /// A folder of `z/x/y.png` (or .jpg) tiles, as exported by QGIS, MOBAC or gdal2tiles.
    Folder(PathBuf),
    /// An XYZ tile server URL with `{z}`, `{x}`, `{y}`; tiles are cached on disk.
    Server(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub theme: Theme,
    /// Interface scale (egui zoom factor).
    pub ui_scale: f32,
    pub layers: Layers,
    pub panels: PanelsShown,
    pub tiles: TileChoice,
    /// Last map view: latitude, longitude (degrees) and zoom.
    pub map_view: Option<(f64, f64, f64)>,
    pub audio: bool,
    /// Trail length kept per drone, seconds.
    pub trail_s: f64,
    /// Operator name, written beside what they acknowledge or annotate.
    pub operator: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: Theme::Night,
            ui_scale: 1.0,
            layers: Layers::default(),
            panels: PanelsShown::default(),
            tiles: TileChoice::None,
            map_view: None,
            audio: true,
            trail_s: 300.0,
            operator: std::env::var("USER").unwrap_or_else(|_| "operator".to_owned()),
        }
    }
}

impl Settings {
    /// The default place: `$XDG_CONFIG_HOME/vigil/console.json` or `~/.config/vigil/console.json`.
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(base.join("vigil").join("console.json"))
    }

    /// Reads the settings; a missing file gives the defaults, a damaged one an error naming it.
    pub fn load(path: &Path) -> Result<Self, ConsoleError> {
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
        let mut settings: Self =
            serde_json::from_str(&text).map_err(|e| ConsoleError::Settings {
                path: path.to_owned(),
                line: e.line(),
                message: e.to_string(),
            })?;
        settings.ui_scale = settings.ui_scale.clamp(0.5, 3.0);
        settings.trail_s = settings.trail_s.clamp(0.0, 3600.0);
        Ok(settings)
    }

    /// Writes the settings atomically (a temporary file renamed over the old one).
    pub fn save(&self, path: &Path) -> Result<(), ConsoleError> {
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
