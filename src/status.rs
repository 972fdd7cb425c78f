//! The one-line status a headless ground station prints each second, and the notice lines.

use std::fmt::Write;

use crate::pipeline::Snapshot;
use crate::session::utc_string;
use crate::world::{Health, Notice, Source};

/// Links, vehicles (mode, position, battery, health), sensors and drops, on one line.
pub fn status_line(snapshot: &Snapshot) -> String {
    let mut line = String::with_capacity(256);
    let world = &snapshot.world;
    let _ = write!(line, "[{}]", utc_string(world.time));
    let up = snapshot
        .links
        .iter()
        .filter(|l| l.stats.state == crate::link::LinkState::Up)
        .count();
    let _ = write!(line, " links {up}/{}", snapshot.links.len());
    for link in &snapshot.links {
        let _ = write!(
            line,
            " ({} {} {} frames {} crc loss {:.1}%)",
            link.address,
            link.stats.state.label(),
            link.stats.frames_rx,
            link.stats.crc_errors,
            link.stats.loss_ratio() * 100.0
        );
        match &link.auth {
            crate::link::LinkAuth::Unsigned => {}
            crate::link::LinkAuth::Signed { fingerprint, .. } => {
                let _ = write!(line, " [signed {fingerprint}");
            }
            crate::link::LinkAuth::Mixed {
                fingerprint,
                unsigned_accepted,
                ..
            } => {
                let _ = write!(line, " [MIXED {fingerprint}, {unsigned_accepted} unsigned");
            }
        }
        if link.auth != crate::link::LinkAuth::Unsigned {
            let refused = link.stats.forged + link.stats.replayed + link.stats.unsigned_rejected;
            let _ = write!(line, ", {refused} refused]");
        }
    }
    let _ = write!(line, " | vehicles {}", world.vehicles.len());
    for vehicle in world.vehicles.values() {
        let _ = write!(
            line,
            " #{} {:?} {}{}",
            vehicle.sysid,
            vehicle.firmware,
            vehicle.mode,
            if vehicle.armed { " ARMED" } else { "" }
        );
        if let Some(p) = vehicle.position {
            let _ = write!(
                line,
                " {:.6},{:.6} {:.1}m",
                p.lat_deg, p.lon_deg, p.alt_rel_home_m
            );
        }
        if let Some(pct) = vehicle.battery.remaining_pct {
            let _ = write!(line, " {pct:.0}%");
        }
        let _ = write!(line, " {}", vehicle.health.label());
    }
    let stale = world
        .sensors
        .values()
        .filter(|s| s.health != Health::Fresh)
        .count();
    let _ = write!(line, " | sensors {} ({stale} silent)", world.sensors.len());
    let _ = write!(
        line,
        " | detections {} tracks {}",
        world.detections.total(),
        snapshot.tracks.len()
    );
    if let Some(p99) = snapshot.pipeline.track_latency_p99 {
        let _ = write!(line, " (update p99 {:.2} s)", p99.as_secs_f64());
    }
    let open = snapshot.protection.open_alerts();
    if !open.is_empty() || !snapshot.protection.sites.is_empty() {
        let critical = open
            .iter()
            .filter(|a| a.severity == crate::protection::AlertSeverity::Critical)
            .count();
        let _ = write!(line, " | alerts {} open ({critical} critical)", open.len());
    }
    let p = &snapshot.pipeline;
    let _ = write!(line, " | coalesced {} dropped {}", p.coalesced, p.dropped);
    if let Some(recorder) = &snapshot.recorder {
        let _ = write!(line, " | recorded {}", recorder.records);
        if recorder.write_errors > 0 {
            let _ = write!(line, " WRITE ERRORS {}", recorder.write_errors);
        }
    }
    line
}

/// A notice as a log line.
pub fn notice_line(notice: &Notice) -> String {
    let source = match notice.source {
        Source::Vehicle(sysid) => format!("vehicle {sysid}"),
        Source::Sensor(sysid, compid) => format!("sensor {sysid}/{compid}"),
        Source::Link(link) => link.to_string(),
        Source::GroundStation => "vigil".to_owned(),
    };
    // Most texts already name their source ("vehicle 1: ..."): say it once.
    let text = notice
        .text
        .strip_prefix(&format!("{source}: "))
        .unwrap_or(&notice.text);
    format!(
        "[{}] {:<9} {source}: {text}",
        utc_string(notice.time),
        notice.severity.label()
    )
}
