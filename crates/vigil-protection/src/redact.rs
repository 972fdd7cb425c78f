//! Redaction before anything leaves the mission: pure functions that take the protection
//! types and return copies with names removed and positions coarsened, for exports and shared
//! screens. Levels (also in README.md):
//!
//! - [`RedactionLevel::None`]: everything as recorded.
//! - [`RedactionLevel::Public`]: the names of people are removed — operators (who
//!   acknowledged, assigned, resolved, annotated, recorded, verified, sent a drone), assignees,
//!   reporters and their channels, and incidents' sources — and **sensitive** sites (a camp, a
//!   clinic) are reduced to the centre of their 1 km MGRS square, with no outline or buffer.
//! - [`RedactionLevel::Strict`]: as public, and every position that tells where civilians are
//!   is coarsened to the centre of its 1 km MGRS square: all sites (outline and buffer
//!   dropped), community reports, incidents, and alerts (their cause position, and where
//!   their movers no drone watches were last seen). Free text
//!   (descriptions, annotations) is kept: whoever writes it must keep names out of it.
//!
//! Coarsening snaps to the UTM kilometre grid, which is the MGRS 1 km square (e.g. `36PUP1234`
//! names the same square at any level); a position outside UTM's latitudes becomes 0, 0.

use super::LatLon;
use super::ProtectionView;
use super::alerts::Alert;
use super::dispatch::DispatchRecord;
use super::reports::{CommunityReport, Incident, Verification};
use super::sites::Site;
use std::sync::Arc;
use vigil_core::geodesy::{Geodetic, geodetic_from_utm, utm_from_geodetic};

/// What stands in for a removed name.
pub const REDACTED: &str = "(redacted)";
/// Side of the square positions are coarsened to, metres.
pub const COARSE_CELL_M: f64 = 1000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RedactionLevel {
    None,
    Public,
    Strict,
}

impl std::str::FromStr for RedactionLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "none" => Ok(Self::None),
            "public" => Ok(Self::Public),
            "strict" => Ok(Self::Strict),
            other => Err(format!(
                "redaction level {other:?} is not none, public or strict"
            )),
        }
    }
}

/// The centre of the 1 km MGRS square holding `p`.
pub fn coarsen(p: LatLon) -> LatLon {
    let snapped =
        utm_from_geodetic(&Geodetic::from_deg(p.lat_deg, p.lon_deg, 0.0)).and_then(|mut utm| {
            utm.easting_m =
                (utm.easting_m / COARSE_CELL_M).floor() * COARSE_CELL_M + COARSE_CELL_M / 2.0;
            utm.northing_m =
                (utm.northing_m / COARSE_CELL_M).floor() * COARSE_CELL_M + COARSE_CELL_M / 2.0;
            geodetic_from_utm(&utm)
        });
    match snapped {
        Ok(g) => LatLon {
            lat_deg: g.lat_deg(),
            lon_deg: g.lon_deg(),
        },
        Err(_) => LatLon {
            lat_deg: 0.0,
            lon_deg: 0.0,
        },
    }
}

fn name(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        REDACTED.to_owned()
    }
}

fn verification(v: &Verification) -> Verification {
    match v {
        Verification::Unverified => Verification::Unverified,
        Verification::Verified { at, reason, .. } => Verification::Verified {
            by: REDACTED.into(),
            at: *at,
            reason: reason.clone(),
        },
        Verification::Rejected { at, reason, .. } => Verification::Rejected {
            by: REDACTED.into(),
            at: *at,
            reason: reason.clone(),
        },
    }
}

pub fn site(site: &Site, level: RedactionLevel) -> Site {
    let mut out = site.clone();
    let coarse = match level {
        RedactionLevel::None => false,
        RedactionLevel::Public => site.sensitive,
        RedactionLevel::Strict => true,
    };
    if coarse {
        out.centre = coarsen(site.centre);
        out.outline = vec![vec![out.centre]];
        out.buffer = Vec::new();
    }
    out
}

pub fn alert(alert: &Alert, level: RedactionLevel) -> Alert {
    let mut out = alert.clone();
    if level == RedactionLevel::None {
        return out;
    }
    for step in &mut out.history {
        if step.by != "vigil" {
            step.by = REDACTED.into();
        }
        if step.state == super::alerts::AlertState::Assigned {
            step.detail = step.detail.as_deref().map(name);
        }
    }
    out.assignee = out.assignee.as_deref().map(name);
    for note in &mut out.annotations {
        note.author = REDACTED.into();
    }
    if level == RedactionLevel::Strict {
        out.position = coarsen(alert.position);
    }
    out
}

pub fn incident(incident: &Incident, level: RedactionLevel) -> Incident {
    let mut out = incident.clone();
    if level == RedactionLevel::None {
        return out;
    }
    out.recorded_by = REDACTED.into();
    out.details.source = name(&incident.details.source);
    out.verification = verification(&incident.verification);
    if level == RedactionLevel::Strict {
        out.details.position = coarsen(incident.details.position);
    }
    out
}

pub fn report(report: &CommunityReport, level: RedactionLevel) -> CommunityReport {
    let mut out = report.clone();
    if level == RedactionLevel::None {
        return out;
    }
    out.report.reporter = name(&report.report.reporter);
    // The pseudonym too: it ties a person's reports together.
    out.reporter_ref = name(&report.reporter_ref);
    out.report.channel = name(&report.report.channel);
    out.verification = verification(&report.verification);
    if level == RedactionLevel::Strict {
        out.report.position = coarsen(report.report.position);
    }
    out
}

pub fn dispatch(record: &DispatchRecord, level: RedactionLevel) -> DispatchRecord {
    let mut out = record.clone();
    if level == RedactionLevel::None {
        return out;
    }
    out.by = REDACTED.into();
    if level == RedactionLevel::Strict {
        out.target = coarsen(record.target);
        out.followed_at = record.followed_at.map(coarsen);
    }
    out
}

/// A whole view, redacted. Strict also drops the coverage grid (it outlines where drones look).
pub fn view(view: &ProtectionView, level: RedactionLevel) -> ProtectionView {
    let mut out = view.clone();
    if level == RedactionLevel::None {
        return out;
    }
    out.sites = Arc::new(view.sites.iter().map(|s| site(s, level)).collect());
    out.alerts = Arc::new(view.alerts.iter().map(|a| alert(a, level)).collect());
    out.incidents = Arc::new(view.incidents.iter().map(|i| incident(i, level)).collect());
    out.reports = Arc::new(view.reports.iter().map(|r| report(r, level)).collect());
    out.dispatches = Arc::new(view.dispatches.iter().map(|d| dispatch(d, level)).collect());
    if level == RedactionLevel::Strict {
        out.coverage = Default::default();
        // Where an alert's movers are, coarsened as its position is.
        out.unwatched = Arc::new(
            (view.unwatched.iter())
                .map(|u| super::UnwatchedMovers {
                    position: coarsen(u.position),
                    ..u.clone()
                })
                .collect(),
        );
    }
    out
}
