//! Image snapshots of the console's main views, compared with the images committed in
//! `tests/snapshots/`: a layout that jumps, a panel that grows or labels that pile up show as
//! a difference. The console replays a committed recording (`tests/data/demo-start.tlog`: the
//! first 40 simulated seconds of the demo) with the demo's sites, paused at its end, so every
//! run draws the same picture; rendered by wgpu (lavapipe on CI). `UPDATE_SNAPSHOTS=1 cargo
//! test --test console_snapshots` writes new images after an intended change: look at them
//! before committing.

mod common;
#[path = "common/gui.rs"]
mod gui;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotOptions};
use vigil_console::{ConsoleApp, ConsoleOptions};
use vigil_station::replay::ReplayController;

use gui::{has_label, step_until};

/// Pixels allowed to differ (text anti-aliasing between drivers); a moved panel or a pile of
/// labels changes tens of thousands.
const MAX_FAILED_PIXELS: usize = 1500;

/// The console on the committed recording, replayed to its end and paused, with the demo's
/// sites beside it (as a recorded session keeps them).
fn console_on_recording(dir: &std::path::Path) -> Harness<'static, ConsoleApp> {
    let tlog = dir.join("telemetry.tlog");
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/demo-start.tlog"),
        &tlog,
    )
    .expect("the recording");
    // A session's folder: its description, and the sites it ran with.
    std::fs::write(
        dir.join("session.json"),
        r#"{"vigil_version": "0.1.0", "started_utc": "2026-03-14T17:44:41Z", "started_unix_us": 0, "links": []}"#,
    )
    .expect("the session's description");
    std::fs::write(
        dir.join("sites.geojson"),
        vigil_protection::sites::DEMO_SITES,
    )
    .expect("the sites");
    let replay = ReplayController::open(&tlog, false, common::test_folders()).expect("opens");
    replay.set_speed(100.0);
    let station = replay.station().expect("a station");
    let options = ConsoleOptions {
        settings_path: Some(dir.join("console.json")),
        ..ConsoleOptions::default()
    };
    let app = ConsoleApp::new(station, options, &egui::Context::default()).with_replay(replay);
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .wgpu()
        .build_ui_state(|ui, app: &mut ConsoleApp| app.show(ui), app);
    step_until(&mut h, "the whole recording replayed", |h| {
        h.state().snapshot().replays_finished()
    });
    for _ in 0..5 {
        h.step();
    }
    h
}

fn compare(h: &mut Harness<'static, ConsoleApp>, name: &str) {
    h.snapshot_options(
        name,
        &SnapshotOptions::new().max_failed_pixels(MAX_FAILED_PIXELS),
    );
}

#[test]
fn the_main_views_look_as_committed() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut h = console_on_recording(dir.path());
    step_until(&mut h, "both drones listed", |h| {
        has_label(h, "Kite 1 · ") || has_label(h, "Drone 1 · ")
    });
    compare(&mut h, "console_map");

    // A drone selected: its details and actions in the side panel.
    h.get_by_label_contains("Drone 1 · ").click();
    step_until(&mut h, "the drone's details", |h| {
        has_label(h, "Drone 1 — ArduCopter")
    });
    for _ in 0..3 {
        h.step();
    }
    compare(&mut h, "console_drone_details");

    // The planner with a pattern and a waypoint.
    h.get_by_label("Plan").click();
    step_until(&mut h, "the planner", |h| has_label(h, "Add waypoints"));
    {
        let planner = &mut h.state_mut().planner;
        planner.add_waypoint((9.0, 31.01));
        planner.survey_area = vec![
            (9.004, 31.004),
            (9.004, 31.012),
            (8.998, 31.012),
            (8.998, 31.004),
        ];
        planner.generate_survey(true).expect("a pattern");
    }
    for _ in 0..3 {
        h.step();
    }
    compare(&mut h, "console_planner");
}
