//! Mission plans for the tests that upload them to a vehicle and read them back.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixtures"
)]

use vigil_mission::{Mission, MissionItem};

/// A mission item that goes on to the next, with no parameters.
pub fn item(frame: u8, command: u16, (x, y): (f64, f64), z: f32) -> MissionItem {
    MissionItem {
        frame,
        command,
        autocontinue: true,
        params: [0.0; 4],
        x,
        y,
        z,
    }
}

/// The mission items, fence and rally points of `back` (read back from `name`) are those of
/// `sent` (home is the
/// vehicle's own and not compared; positions to the 1e-7 degree the wire carries). The frame
/// of an item without a position is not compared: ArduCopter returns RTL in
/// MAV_FRAME_GLOBAL (0) whatever frame it was sent in.
pub fn assert_same_plan(name: &str, sent: &Mission, back: &Mission) {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-7;
    assert_eq!(sent.items.len(), back.items.len(), "{name}: {back:#?}");
    for (i, (s, b)) in sent.items.iter().zip(&back.items).enumerate() {
        assert_eq!(
            (s.command, s.params.map(f32::to_bits), s.z, s.autocontinue),
            (b.command, b.params.map(f32::to_bits), b.z, b.autocontinue),
            "{name}: mission item {}: {s:?} != {b:?}",
            i + 1
        );
        if (s.x, s.y) != (0.0, 0.0) {
            assert_eq!(s.frame, b.frame, "{name}: mission item {}", i + 1);
        }
        assert!(
            close(s.x, b.x) && close(s.y, b.y),
            "{name}: mission item {}: {s:?} != {b:?}",
            i + 1
        );
    }
    let (sf, bf) = (&sent.fence, &back.fence);
    assert_eq!(sf.polygons.len(), bf.polygons.len(), "{name}: {bf:#?}");
    for (s, b) in sf.polygons.iter().zip(&bf.polygons) {
        assert_eq!(s.inclusion, b.inclusion, "{name}: {bf:#?}");
        assert_eq!(s.vertices.len(), b.vertices.len(), "{name}: {bf:#?}");
        for (v, w) in s.vertices.iter().zip(&b.vertices) {
            assert!(
                close(v.0, w.0) && close(v.1, w.1),
                "{name}: vertex {v:?} != {w:?}"
            );
        }
    }
    assert_eq!(sf.circles.len(), bf.circles.len(), "{name}: {bf:#?}");
    for (s, b) in sf.circles.iter().zip(&bf.circles) {
        assert_eq!(
            (s.inclusion, s.radius_m),
            (b.inclusion, b.radius_m),
            "{name}: {bf:#?}"
        );
        assert!(
            close(s.center.0, b.center.0) && close(s.center.1, b.center.1),
            "{name}: circle {s:?} != {b:?}"
        );
    }
    assert_eq!(sf.breach_return, bf.breach_return, "{name}");
    assert_eq!(
        sent.rally.len(),
        back.rally.len(),
        "{name}: {:#?}",
        back.rally
    );
    for (s, b) in sent.rally.iter().zip(&back.rally) {
        assert!(
            close(s.lat_deg, b.lat_deg) && close(s.lon_deg, b.lon_deg) && s.alt_m == b.alt_m,
            "{name}: rally point {s:?} != {b:?}"
        );
    }
}
