//! The one-line status a headless ground station prints each second, and the notice lines.

use std::fmt::Write;

use crate::Snapshot;
use vigil_core::time::utc_string;
use vigil_world::{Health, Notice, Source};

/// Links, vehicles (mode, position, battery, health), sensors and drops, on one line.
pub fn status_line(snapshot: &Snapshot) -> String {
    let mut line = String::with_capacity(256);
    let world = &snapshot.world;
    if world.time == vigil_core::time::TimeUs(0) {
        // A replay before its first record: no time to show yet.
        line.push_str("[no time yet]");
    } else {
        let _ = write!(line, "[{}]", utc_string(world.time));
    }

    let up = snapshot
        .links
        .iter()
        .filter(|l| l.stats.state == vigil_link::LinkState::Up)
        .count();
    let _ = write!(line, " links {up}/{}", snapshot.links.len());
    for link in &snapshot.links {
        link_status(&mut line, link);
    }
    let _ = write!(line, " | vehicles {}", world.vehicles.len());
    for vehicle in world.vehicles.values() {
        vehicle_status(&mut line, vehicle, world.time);
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
    let (clock, errors) = (
        snapshot.pipeline.clock_rejected,
        snapshot.pipeline.tracker_errors,
    );
    if clock > 0 || errors > 0 {
        let _ = write!(
            line,
            " [{clock} bad times set aside, {errors} tracker errors]"
        );
    }
    let open = snapshot.protection.open_alerts();
    if !open.is_empty() || !snapshot.protection.sites.is_empty() {
        let critical = open
            .iter()
            .filter(|a| a.severity == vigil_protection::AlertSeverity::Critical)
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
    // The mission's clock (the messages', on which alerts are stamped) when it is elsewhere:
    // a simulated scenario's date, a replay's.
    let mission = snapshot.protection.time;
    if mission.0 > 0 && (mission.as_secs_f64() - world.time.as_secs_f64()).abs() > 60.0 {
        let _ = write!(line, " | mission time {}", utc_string(mission));
    }
    line
}

/// One link: its address, state, frames, errors and signing.
fn link_status(line: &mut String, link: &crate::LinkView) {
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
        vigil_link::LinkAuth::Unsigned => {}
        vigil_link::LinkAuth::Signed { fingerprint, .. } => {
            let _ = write!(line, " [signed {fingerprint}");
        }
        vigil_link::LinkAuth::Mixed {
            fingerprint,
            unsigned_accepted,
            ..
        } => {
            let _ = write!(line, " [MIXED {fingerprint}, {unsigned_accepted} unsigned");
        }
    }
    if link.auth != vigil_link::LinkAuth::Unsigned {
        // Every refusal, whatever its cause (unverifiable: a key file the station cannot
        // read, or a broken check).
        let refused = link.stats.forged
            + link.stats.replayed
            + link.stats.unsigned_rejected
            + link.stats.unverifiable;
        let _ = write!(line, ", {refused} refused]");
    }
}

/// One vehicle: firmware, mode, position, battery, GPS and health, each value only while
/// fresh at `now`.
fn vehicle_status(
    line: &mut String,
    vehicle: &vigil_world::Vehicle,
    now: vigil_core::time::TimeUs,
) {
    let _ = write!(
        line,
        " #{} {} {}{}",
        vehicle.sysid,
        vehicle.firmware.label(),
        vehicle.mode,
        if vehicle.armed { " ARMED" } else { "" }
    );
    match (vehicle.fresh_position(now), vehicle.position) {
        (Some(p), _) => {
            let _ = write!(
                line,
                " {:.6},{:.6} {:.1}m",
                p.lat_deg, p.lon_deg, p.alt_rel_home_m
            );
        }
        (None, Some(p)) => {
            let _ = write!(
                line,
                " position {:.0} s old",
                now.since(p.time).as_secs_f64()
            );
        }
        (None, None) => line.push_str(" no position"),
    }
    match vehicle.fresh_battery(now).and_then(|b| b.remaining_pct) {
        Some(pct) => {
            let _ = write!(line, " {pct:.0}%");
        }
        None => line.push_str(" battery ?"),
    }
    if let Some(gps) = vehicle.fresh_gps(now) {
        let _ = write!(line, " gps {}", gps_fix_label(gps.fix_type));
        if let Some(satellites) = gps.satellites {
            let _ = write!(line, "/{satellites}");
        }
    } else {
        line.push_str(" gps ?");
    }
    if vehicle.fresh_attitude(now).is_none() {
        line.push_str(" attitude ?");
    }
    let _ = write!(line, " {}", vehicle.health.label());
}

/// GPS_FIX_TYPE in words.
pub fn gps_fix_label(fix_type: u8) -> &'static str {
    match fix_type {
        0 | 1 => "no fix",
        2 => "2D",
        3 => "3D",
        4 => "DGPS",
        5 => "RTK float",
        6 => "RTK fixed",
        _ => "fix ?",
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refused_count_includes_frames_that_could_not_be_checked() {
        let mut snapshot = Snapshot::default();
        snapshot.links.push(crate::LinkView {
            id: vigil_link::LinkId(0),
            address: "udpin:127.0.0.1:0".parse().expect("address"),
            stats: vigil_link::LinkStatsSnapshot {
                forged: 1,
                replayed: 2,
                unsigned_rejected: 3,
                unverifiable: 4,
                ..Default::default()
            },
            auth: vigil_link::LinkAuth::Signed {
                fingerprint: "0123abcd".into(),
                policy: vigil_protocol::UnsignedPolicy::Reject,
            },
            health: Health::Fresh,
            ended: false,
            signing: Vec::new(),
        });
        let line = status_line(&snapshot);
        assert!(line.contains("[signed 0123abcd, 10 refused]"), "{line}");
    }
}
