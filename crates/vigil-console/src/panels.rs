//! What the console's parts share to say things the same way: the status strip, the protection
//! layer's marks for the map, and the words for classes, categories, alerts and approaches.
//! The panels themselves are parts of their own (`vehicles.rs`, `details.rs`, `worklist.rs`,
//! `inbox.rs`, `messages.rs`, `plots.rs`, `links.rs`, `planner/panel.rs`, `patrol.rs`).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use eframe::egui::{self, Color32, RichText};

use super::Pos;
use super::map::{AlertMark, CoverageCell, IncidentMark, Palette, SiteShape};
use vigil_core::time::utc_string;
use vigil_protection::{Alert, AlertSeverity, AlertState, LatLon, Verification};
use vigil_station::Snapshot;
use vigil_world::{Health, Severity};

/// The UI thread's own time per frame, for the status strip.
#[derive(Debug, Default)]
pub struct FrameTimes {
    recent: VecDeque<Duration>,
}

impl FrameTimes {
    pub fn push(&mut self, d: Duration) {
        self.recent.push_back(d);
        if self.recent.len() > 240 {
            self.recent.pop_front();
        }
    }

    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let mut v: Vec<Duration> = self.recent.iter().copied().collect();
        v.sort();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied()
    }
}

/// The strip in the top bar: clock, links, drones, sensors, tracks, recording, frame time.
pub fn status_strip(ui: &mut egui::Ui, s: &Snapshot, palette: &Palette, frame_times: &FrameTimes) {
    // One clock for the mission: the messages' clock, which the alerts, reports, tracks and
    // the journal's decisions are stamped on (a simulated scenario's own date when simulated);
    // the station's clock beside it when the two differ.
    let mission = if s.protection.time.0 > 0 {
        s.protection.time
    } else {
        s.world.time
    };
    ui.label(RichText::new(utc_string(mission)).monospace())
        .on_hover_text(
            "mission time: the messages' clock, on which alerts and reports are stamped",
        );
    let apart_s = (mission.as_secs_f64() - s.world.time.as_secs_f64()).abs();
    if apart_s > 60.0 {
        let station = utc_string(s.world.time);
        ui.label(
            RichText::new(format!(
                "station {}",
                station.get(11..).unwrap_or(&station)
            ))
            .weak(),
        )
        .on_hover_text("the station's own clock: the messages' clock is elsewhere (a simulation, a replay, a sender's clock)");
    }
    let up = s
        .links
        .iter()
        .filter(|l| l.stats.state == vigil_link::LinkState::Up)
        .count();
    let link_colour = if s.links.is_empty() || up == s.links.len() {
        palette.ok
    } else if up == 0 {
        palette.lost
    } else {
        palette.stale
    };
    ui.label(RichText::new(format!("links {up}/{}", s.links.len())).color(link_colour));
    let lost = s
        .world
        .vehicles
        .values()
        .filter(|v| v.health != Health::Fresh)
        .count();
    let drones = format!("drones {}", s.world.vehicles.len());
    if lost > 0 {
        ui.label(RichText::new(format!("{drones} ({lost} silent)")).color(palette.lost));
    } else {
        ui.label(drones);
    }
    ui.label(format!("sensors {}", s.world.sensors.len()));
    ui.label(format!("tracks {}", s.tracks.len()));
    match &s.recorder {
        Some(r) if r.write_errors > 0 => {
            ui.label(
                RichText::new(format!("rec: {} write errors", r.write_errors)).color(palette.lost),
            );
        }
        Some(r) => {
            ui.label(format!("rec {} frames", r.records))
                .on_hover_text(r.path.display().to_string());
        }
        None => {
            ui.label("not recording");
        }
    }
    if s.pipeline.dropped > 0 {
        ui.label(RichText::new(format!("dropped {}", s.pipeline.dropped)).color(palette.stale))
            .on_hover_text("telemetry frames dropped by the full-queue policy (see Links)");
    }
    if let Some(p50) = frame_times.percentile(0.5) {
        ui.label(RichText::new(format!("ui {:.1} ms", p50.as_secs_f64() * 1000.0)).weak())
            .on_hover_text("the UI thread's work per frame (median)");
    }
}

pub fn severity_colour(palette: &Palette, s: Severity) -> Color32 {
    match s {
        Severity::Emergency | Severity::Alert | Severity::Critical | Severity::Error => {
            palette.lost
        }
        Severity::Warning => palette.stale,
        _ => palette.label,
    }
}

/// The protection layer as the map draws it, rebuilt when the protection view changes.
#[derive(Debug, Default, Clone)]
pub struct Marks {
    pub sites: Vec<SiteShape>,
    pub alerts: Vec<AlertMark>,
    pub coverage: Vec<CoverageCell>,
    pub incidents: Vec<IncidentMark>,
}

fn ring(points: Option<&Vec<LatLon>>) -> Vec<Pos> {
    points
        .map(|r| r.iter().map(|p| (p.lat_deg, p.lon_deg)).collect())
        .unwrap_or_default()
}

/// The protection layer's sites, alerts, coverage (when `with_coverage`) and incidents for
/// the map.
pub fn protection_marks(snapshot: &Snapshot, with_coverage: bool) -> Marks {
    let view = &snapshot.protection;
    let unobserved: BTreeMap<u32, f64> = view
        .unobserved
        .iter()
        .map(|u| (u.site, u.unobserved_s))
        .collect();
    let sites = view
        .sites
        .iter()
        .map(|s| SiteShape {
            name: s.name.clone(),
            category: category_text(s.category),
            outline: ring(s.outline.first()),
            buffer: ring(s.buffer.first()),
            centre_deg: (s.centre.lat_deg, s.centre.lon_deg),
            sensitive: s.sensitive,
            unobserved_s: unobserved.get(&s.id).copied(),
        })
        .collect();
    let alerts = view
        .alerts
        .iter()
        .filter(|a| a.state != AlertState::Resolved)
        .map(|a| AlertMark {
            id: a.id,
            lat_deg: a.position.lat_deg,
            lon_deg: a.position.lon_deg,
            critical: a.severity == AlertSeverity::Critical,
            open: a.state == AlertState::Open,
            label: format!("{} {}", a.id, a.rule.label()),
        })
        .collect();
    let c = &view.coverage;
    let rows = if with_coverage { c.rows } else { 0 };
    let mut coverage = Vec::with_capacity(c.cols * rows);
    for row in 0..rows {
        for col in 0..c.cols {
            let Some([sw, ne]) = view.cell_corners(col, row) else {
                continue;
            };
            coverage.push(CoverageCell {
                south_west_deg: (sw.lat_deg, sw.lon_deg),
                north_east_deg: (ne.lat_deg, ne.lon_deg),
                unobserved_s: c.age_s(col, row, view.time),
            });
        }
    }
    let incidents = view
        .incidents
        .iter()
        .map(|i| IncidentMark {
            lat_deg: i.details.position.lat_deg,
            lon_deg: i.details.position.lon_deg,
            label: format!("incident {}: {}", i.id, i.details.category),
            verified: matches!(i.verification, Verification::Verified { .. }),
        })
        .chain(view.reports.iter().map(|r| IncidentMark {
            lat_deg: r.report.position.lat_deg,
            lon_deg: r.report.position.lon_deg,
            label: format!(
                "report {}: {} ({})",
                r.id,
                r.report.category,
                r.verification.label()
            ),
            verified: matches!(r.verification, Verification::Verified { .. }),
        }))
        .collect();
    Marks {
        sites,
        alerts,
        coverage,
        incidents,
    }
}

/// The centre of protected site number `i` (in the view's order).
/// Where a place is against the nearest protected site: "at Keradu", "1.20 km NE of
/// Lomisa" (none farther than 20 km from every site).
pub fn place_text(snapshot: &Snapshot, at: Pos) -> Option<String> {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let (distance_m, bearing_deg, name) = snapshot
        .protection
        .sites
        .iter()
        .map(|s| {
            let (d, b) = super::map::distance_and_bearing((s.centre.lat_deg, s.centre.lon_deg), at);
            (d, b, &s.name)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    match distance_m {
        d if d < 150.0 => Some(format!("at {name}")),
        d if d <= 20_000.0 => {
            let point = POINTS[((bearing_deg + 22.5).rem_euclid(360.0) / 45.0) as usize % 8];
            Some(format!(
                "{} {point} of {name}",
                super::map::format_distance(d)
            ))
        }
        _ => None,
    }
}

pub fn site_centre(snapshot: &Snapshot, i: usize) -> Option<Pos> {
    snapshot
        .protection
        .sites
        .get(i)
        .map(|s| (s.centre.lat_deg, s.centre.lon_deg))
}

/// What a track is thought to be, in words.
pub fn class_text(class: vigil_world::ClassHint) -> &'static str {
    use vigil_world::ClassHint;
    match class {
        ClassHint::Person => "person",
        ClassHint::Vehicle => "vehicle",
        ClassHint::Animal => "animal",
        ClassHint::Unknown => "unknown",
    }
}

/// A protected site's category in words ("water point", not `WaterPoint`).
pub fn category_text(category: vigil_protection::SiteCategory) -> String {
    category.label().replace('_', " ")
}

/// One line for an alert in lists.
pub fn alert_line(a: &Alert) -> String {
    format!(
        "{} {} {} [{}] {}",
        a.id,
        a.severity.label(),
        a.rule.label(),
        a.state.label(),
        a.text
    )
}

/// Where a track from outside is heading: "Keradu along the Eastern track, at its buffer in
/// 4 min (3-6 min)".
pub fn approach_text(protection: &vigil_protection::ProtectionView, track: u64) -> Option<String> {
    let approach = protection.approaches.iter().find(|a| a.track == track)?;
    let site = protection.sites.iter().find(|s| s.id == approach.site)?;
    let along = approach
        .way
        .as_ref()
        .map(|w| format!(" along the {w}"))
        .unwrap_or_default();
    Some(format!(
        "{}{along}, at its buffer {}",
        site.name,
        vigil_protection::engine::arrival_text(
            approach.arrival_s,
            approach.earliest_s,
            approach.latest_s
        )
    ))
}
