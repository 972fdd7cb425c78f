//! What corroborates a community report: the alerts raised near it around the time it
//! tells of, and the tracks near it when it arrives. Linked once, when the report arrives,
//! so that the operator verifying it sees at once whether sensors or drones saw something
//! there, and the record says so.

use super::reports::NewReport;
use super::{LatLon, Protection, sites};
use vigil_core::geodesy::{Geodetic, distance_m};

/// How far from the report an alert or a track still corroborates it, metres.
pub const NEAR_M: f64 = 1000.0;
/// How far in time from what the report tells of an alert still corroborates it, seconds.
pub const NEAR_S: f64 = 3600.0;

/// The alerts and tracks near a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nearby {
    pub alerts: Vec<u64>,
    pub tracks: Vec<u64>,
}

impl Nearby {
    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty() && self.tracks.is_empty()
    }
}

fn metres(a: LatLon, b: LatLon) -> f64 {
    distance_m(
        &Geodetic::from_deg(a.lat_deg, a.lon_deg, 0.0),
        &Geodetic::from_deg(b.lat_deg, b.lon_deg, 0.0),
    )
}

impl Protection {
    /// The alerts within [`NEAR_M`] whose time span comes within [`NEAR_S`] of the report's
    /// time, and the tracks within [`NEAR_M`] at the last step.
    pub(crate) fn nearby(&self, report: &NewReport) -> Nearby {
        if !report.position.is_valid() {
            return Nearby::default();
        }
        let told_s = report.time.as_secs_f64();
        let alerts = self
            .book
            .alerts()
            .filter(|a| {
                let (from_s, to_s) = (a.first_seen.as_secs_f64(), a.last_seen.as_secs_f64());
                told_s >= from_s - NEAR_S
                    && told_s <= to_s + NEAR_S
                    && metres(a.position, report.position) <= NEAR_M
            })
            .map(|a| a.id)
            .collect();
        let tracks = match &self.frame {
            Some(frame) => {
                let at = sites::enu_of(frame, report.position);
                self.history.near(at, NEAR_M)
            }
            None => Vec::new(),
        };
        Nearby { alerts, tracks }
    }
}
