//! Redaction of exports: `none` keeps everything; `public` removes the names of operators and
//! of those who reported (who, author, reporter); `strict` also blanks site names and moves
//! the positions of alerts (which sit on civilians' places), incidents, community reports and
//! notes to the centre of their 1 km UTM grid square (the MGRS 1 km square). Drone paths,
//! footprints, detections and tracks are what the mission observed and are kept.
//! Self-contained so that it can be unified with the protection module's own levels.

use crate::journal::JournalRecord;
use vigil_core::geodesy::{Geodetic, Utm, geodetic_from_utm, utm_from_geodetic};

/// The size of the grid that `strict` snaps positions to, metres.
pub const STRICT_GRID_M: f64 = 1000.0;

/// How much an export hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RedactLevel {
    #[default]
    None,
    Public,
    Strict,
}

impl std::str::FromStr for RedactLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "public" => Ok(Self::Public),
            "strict" => Ok(Self::Strict),
            other => Err(format!(
                "unknown redaction level {other:?} (none, public, strict)"
            )),
        }
    }
}

impl RedactLevel {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Public => "public",
            Self::Strict => "strict",
        }
    }
}

/// The centre of the 1 km UTM square holding a point (the point itself outside UTM's range
/// or for non-finite input).
pub fn coarsen(lat_deg: f64, lon_deg: f64) -> (f64, f64) {
    let Ok(utm) = utm_from_geodetic(&Geodetic::from_deg(lat_deg, lon_deg, 0.0)) else {
        return (lat_deg, lon_deg);
    };
    let snap = |v: f64| (v / STRICT_GRID_M).floor() * STRICT_GRID_M + STRICT_GRID_M / 2.0;
    let centre = Utm {
        easting_m: snap(utm.easting_m),
        northing_m: snap(utm.northing_m),
        ..utm
    };
    geodetic_from_utm(&centre).map_or((lat_deg, lon_deg), |g| (g.lat_deg(), g.lon_deg()))
}

fn coarsen_opt(lat: &mut Option<f64>, lon: &mut Option<f64>) {
    if let (Some(a), Some(o)) = (lat.as_mut(), lon.as_mut()) {
        (*a, *o) = coarsen(*a, *o);
    }
}

/// Redacts one record in place.
pub fn redact(record: &mut JournalRecord, level: RedactLevel) {
    if level == RedactLevel::None {
        return;
    }
    let strict = level == RedactLevel::Strict;
    match record {
        JournalRecord::Alert(a) => {
            a.who.clear();
            if strict {
                a.site.clear();
                (a.lat_deg, a.lon_deg) = coarsen(a.lat_deg, a.lon_deg);
            }
        }
        JournalRecord::Incident(i) => {
            i.who.clear();
            if strict {
                (i.lat_deg, i.lon_deg) = coarsen(i.lat_deg, i.lon_deg);
            }
        }
        JournalRecord::Report(r) => {
            r.reporter.clear();
            if strict {
                coarsen_opt(&mut r.lat_deg, &mut r.lon_deg);
            }
        }
        JournalRecord::Dispatch(d) => {
            d.who.clear();
            if strict {
                d.site.clear();
                (d.lat_deg, d.lon_deg) = coarsen(d.lat_deg, d.lon_deg);
            }
        }
        JournalRecord::Note(n) => {
            n.author.clear();
            if strict {
                coarsen_opt(&mut n.lat_deg, &mut n.lon_deg);
            }
        }
        JournalRecord::Coverage(c) => {
            if strict {
                c.site.clear();
            }
        }
        JournalRecord::VehicleState(_)
        | JournalRecord::Detection(_)
        | JournalRecord::Track(_)
        | JournalRecord::Notice(_)
        | JournalRecord::Lost(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::ReportRecord;

    fn report() -> JournalRecord {
        JournalRecord::Report(ReportRecord {
            time_us: 1,
            report_id: "R1".into(),
            channel: "phone".into(),
            reporter: "Amina".into(),
            state: "new".into(),
            lat_deg: Some(8.99421),
            lon_deg: Some(31.00309),
            text: "shots heard".into(),
            ..Default::default()
        })
    }

    #[test]
    fn public_removes_names_and_strict_moves_places_to_the_grid() {
        let mut public = report();
        redact(&mut public, RedactLevel::Public);
        let JournalRecord::Report(r) = &public else {
            unreachable!()
        };
        assert_eq!(r.reporter, "");
        assert_eq!(r.lat_deg, Some(8.99421));

        let mut strict = report();
        redact(&mut strict, RedactLevel::Strict);
        let JournalRecord::Report(r) = &strict else {
            unreachable!()
        };
        let (lat, lon) = (r.lat_deg.expect("lat"), r.lon_deg.expect("lon"));
        // Moved by less than a half-diagonal of the square, and onto the square's centre.
        let moved_m = vigil_core::geodesy::distance_m(
            &Geodetic::from_deg(8.99421, 31.00309, 0.0),
            &Geodetic::from_deg(lat, lon, 0.0),
        );
        assert!(moved_m > 1.0 && moved_m < 710.0, "{moved_m}");
        let utm = utm_from_geodetic(&Geodetic::from_deg(lat, lon, 0.0)).expect("utm");
        assert!((utm.easting_m.rem_euclid(1000.0) - 500.0).abs() < 0.01);
        assert!((utm.northing_m.rem_euclid(1000.0) - 500.0).abs() < 0.01);
        // Nearby points share the square.
        assert_eq!(coarsen(8.99421, 31.00309), coarsen(8.99425, 31.00312));
    }

    #[test]
    fn levels_parse() {
        assert_eq!("STRICT".parse(), Ok(RedactLevel::Strict));
        assert!("secret".parse::<RedactLevel>().is_err());
    }
}
