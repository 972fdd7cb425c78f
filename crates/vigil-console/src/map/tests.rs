use super::movers::{TrackStyle, icon};
use super::*;
use eframe::egui::pos2;

#[test]
fn fixed_projection_round_trips() {
    let proj = FixedProjection {
        centre_deg: (9.5, 30.2),
        px_per_m: 0.5,
        rect: egui::Rect::from_min_size(Pos2::ZERO, vec2(800.0, 600.0)),
    };
    let s = proj.to_screen(9.51, 30.19);
    let (lat, lon) = proj.to_geo(s);
    assert!((lat - 9.51).abs() < 1e-9 && (lon - 30.19).abs() < 1e-9);
    // 0.01° north at 9.5°N is 1106 m on the ellipsoid: 553 px up.
    assert!((proj.to_screen(9.51, 30.2).y - (300.0 - 553.0)).abs() < 1.0);
}

#[test]
fn distance_and_bearing_east_and_north() {
    let (d, b) = distance_and_bearing((0.0, 0.0), (0.0, 0.01));
    assert!((d - 1113.19).abs() < 0.1, "{d}");
    assert!((b - 90.0).abs() < 1e-6);
    let (_, b) = distance_and_bearing((0.0, 0.0), (-0.01, 0.0));
    assert!((b - 180.0).abs() < 1e-6);
    assert_eq!(format_distance(1234.0), "1.23 km");
    assert_eq!(format_distance(87.4), "87 m");
}

#[test]
fn position_text_has_hemispheres_and_mgrs() {
    let t = position_text(-33.9, 18.4);
    assert!(
        t.contains("33.900000°S") && t.contains("18.400000°E"),
        "{t}"
    );
    assert!(t.contains("MGRS 34H"), "{t}");
}

#[test]
fn icons_point_along_the_heading() {
    let c = pos2(100.0, 100.0);
    let north = icon(Airframe::Multirotor, c, 0.0, 10.0);
    assert!((north[0] - pos2(100.0, 90.0)).length() < 1e-4);
    let east = icon(Airframe::FixedWing, c, std::f32::consts::FRAC_PI_2, 10.0);
    assert!((east[0] - pos2(110.0, 100.0)).length() < 1e-4);
}

#[test]
fn an_unobserved_track_is_drawn_apart_as_a_prediction() {
    let track = |observable| TrackView {
        id: 1,
        updated: TimeUs(0),
        lat_deg: 9.0,
        lon_deg: 31.0,
        vel_en_mps: [1.0, 0.0],
        std_en_m: [40.0, 40.0],
        class: vigil_world::ClassHint::Person,
        count: None,
        observable,
    };
    let seen = TrackStyle::of(&track(true), false);
    assert!(seen.filled && !seen.ellipse && seen.fade == 1.0);
    assert!(TrackStyle::of(&track(true), true).ellipse);
    // Hollow, faded, its uncertainty drawn whether or not the layer is on.
    let predicted = TrackStyle::of(&track(false), false);
    assert!(!predicted.filled && predicted.ellipse && predicted.fade < 1.0);
}
