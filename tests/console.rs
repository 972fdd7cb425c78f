//! GUI tests of the console, driven through egui_kittest by the labels an operator reads: the
//! console runs on a real pipeline with a simulated drone over UDP, and every check is on what
//! the drone did or what the console shows.

mod common;
#[path = "common/gui.rs"]
mod gui;

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use vigil_console::{ConsoleApp, ConsoleOptions};
use vigil_protocol::MavVersion;
use vigil_sim::SimRunner;
use vigil_station::{GroundStation, Pipeline};

use gui::{
    click_at, click_in_dialog, console, console_app, harness, has_label, quick_harness, step_until,
    step_until_for,
};
use vigil_world::command::MissionOp;

struct Rig {
    pipeline: Pipeline,
    _sim: SimRunner,
}

fn rig() -> (Rig, GroundStation) {
    let pipeline = common::start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let sim = common::sim_udp(
        common::vehicle_config(1),
        common::bound_addr(&station, 0),
        MavVersion::V2,
    );
    common::wait(&station, "drone 1 with a position", |s| {
        s.world
            .vehicles
            .get(&1)
            .is_some_and(|v| v.position.is_some())
    });
    (
        Rig {
            pipeline,
            _sim: sim,
        },
        station,
    )
}

/// Clicks a button and confirms in the dialog, then waits for the drone's acknowledgement.
fn confirm_action(h: &mut Harness<'static, ConsoleApp>, button: &str, ack: &str) {
    h.get_by_label(button).click();
    click_in_dialog(h, "Confirm");
    step_until(h, ack, |h| has_label(h, ack));
}

fn select_drone_1(h: &mut Harness<'static, ConsoleApp>) {
    step_until(h, "drone 1 in the list", |h| has_label(h, "Drone 1 ·"));
    h.get_by_label_contains("Drone 1 ·").click();
    step_until(h, "drone 1 selected", |h| {
        h.state().selected_vehicles().contains(&1)
    });
}

#[test]
fn select_a_drone_and_take_off_with_confirmation() {
    let (rig, station) = rig();
    let mut h = console(&station);
    select_drone_1(&mut h);
    // The instruments of the selected drone.
    step_until(&mut h, "the drone's details", |h| {
        has_label(h, "Drone 1 — ArduCopter")
    });

    // Cancel sends nothing.
    h.get_by_label("Land").click();
    step_until(&mut h, "the dialog", |h| has_label(h, "Cancel"));
    h.get_by_label("Cancel").click();
    h.step();
    assert!(
        h.state().actions.log.is_empty(),
        "a cancelled action was sent"
    );

    // Take off in one step from the ground: the confirmation says what will be done, and
    // the answer comes once the drone has left the ground.
    assert_eq!(h.state().snapshot().world.vehicles[&1].mode, "STABILIZE");
    h.get_by_label("Take off").click();
    step_until(&mut h, "the confirmation dialog", |h| {
        has_label(h, "Drone 1: GUIDED, arm, then take off to 30 m")
    });
    click_in_dialog(&mut h, "Confirm");
    step_until(&mut h, "the take-off's answer", |h| {
        has_label(h, "Take off to 30 m, drone 1: accepted")
    });
    assert_eq!(h.state().snapshot().world.vehicles[&1].mode, "GUIDED");

    // The altitude climbs, in the world and in the drone list.
    step_until(&mut h, "the climb past 20 m", |h| {
        h.state().snapshot().world.vehicles[&1]
            .position
            .is_some_and(|p| p.alt_rel_home_m > 20.0)
    });
    let alt = h.state().snapshot().world.vehicles[&1]
        .position
        .map(|p| p.alt_rel_home_m)
        .unwrap_or_default();
    assert!(alt > 20.0);
    step_until(&mut h, "the list to show ARMED", |h| has_label(h, "ARMED"));

    // Another mode from the mode box.
    h.get_by_label("mode").click();
    step_until(&mut h, "the mode list", |h| has_label(h, "LOITER"));
    h.get_by_label("LOITER").click();
    h.step();
    confirm_action(&mut h, "Set mode", "Mode LOITER, drone 1: accepted");
    rig.pipeline.shutdown();
}

/// A plane takes off in one step too (TAKEOFF mode, armed), and a drone that is not ready
/// says why, in its own words, naming the step.
#[test]
fn a_plane_takes_off_in_one_step_and_a_refusal_gives_the_vehicles_reason() {
    let pipeline = common::start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let plane = vigil_sim::SimVehicleConfig {
        kind: vigil_sim::scenario::DroneKind::FixedWing,
        ..common::vehicle_config(2)
    };
    let not_ready = vigil_sim::SimVehicleConfig {
        prearm_delay_s: 3600.0,
        ..common::vehicle_config(3)
    };
    let _sims: Vec<SimRunner> = [plane, not_ready]
        .into_iter()
        .map(|config| common::sim_udp(config, common::bound_addr(&station, 0), MavVersion::V2))
        .collect();
    common::wait(&station, "both drones with a position", |s| {
        [2, 3].iter().all(|id| {
            s.world
                .vehicles
                .get(id)
                .is_some_and(|v| v.position.is_some())
        })
    });
    let mut h = console(&station);
    for (drone, steps, answer) in [
        (
            2,
            "Drone 2: TAKEOFF mode with TKOFF_ALT 30 m, then arm: it launches straight ahead, climbs and circles",
            "Take off to 30 m, drone 2: accepted",
        ),
        (
            3,
            "Drone 3: GUIDED, arm, then take off to 30 m",
            "Take off to 30 m, drone 3: refused (failed): arm: Arm: ",
        ),
    ] {
        let row = format!("Drone {drone} ·");
        step_until(&mut h, "the drone in the list", |h| has_label(h, &row));
        h.get_by_label_contains(&row).click();
        step_until(&mut h, "the drone selected", |h| {
            *h.state().selected_vehicles() == std::collections::BTreeSet::from([drone])
        });
        h.get_by_label("Take off").click();
        step_until(&mut h, "the confirmation", |h| has_label(h, steps));
        click_in_dialog(&mut h, "Confirm");
        step_until(&mut h, answer, |h| has_label(h, answer));
    }
    let plane = &h.state().snapshot().world.vehicles[&2];
    assert_eq!(plane.mode, "TAKEOFF");
    assert!(plane.armed);
    assert!(!h.state().snapshot().world.vehicles[&3].armed);
    pipeline.shutdown();
}

#[test]
fn plan_by_clicking_and_upload_a_mission() {
    let (rig, station) = rig();
    let mut h = console(&station);
    select_drone_1(&mut h);
    h.get_by_label("Plan").click();
    step_until(&mut h, "the planner", |h| has_label(h, "Add waypoints"));
    h.get_by_label("Add waypoints").click();
    h.step();
    // Three clicks on the map: three waypoints.
    for pos in [
        egui::pos2(520.0, 260.0),
        egui::pos2(620.0, 300.0),
        egui::pos2(560.0, 380.0),
    ] {
        click_at(&mut h, pos);
    }
    assert_eq!(h.state().planner.items.len(), 3);
    h.get_by_label("Stop").click();
    h.step();
    // Each leg, the whole flight and the battery it takes.
    step_until(&mut h, "the flight's figures", |h| {
        has_label(h, "Total ") && has_label(h, "Drone 1: about ")
    });
    // The upload says what replaces what, on which drone, and waits for the operator.
    h.get_by_label("Upload").click();
    step_until(&mut h, "the upload's confirmation", |h| {
        has_label(h, "Upload 5 mission items")
            && has_label(
                h,
                "Drone 1 (multirotor STABILIZE): holds a mission not downloaded here",
            )
    });
    assert!(
        h.state().actions.log.is_empty(),
        "nothing sent before the confirmation"
    );
    click_in_dialog(&mut h, "Upload to drone 1");
    step_until(&mut h, "the upload's acknowledgement", |h| {
        has_label(h, "items uploaded")
    });
    step_until(&mut h, "what the drone holds", |h| {
        has_label(h, "On drone 1: 5 mission items")
    });
    // What the drone holds is what was planned.
    let planned = h.state().planner.to_mission(None);
    let downloaded = station
        .mission(1, MissionOp::Download)
        .unwrap()
        .recv_timeout(common::TIMEOUT)
        .unwrap()
        .unwrap();
    let vigil_world::command::MissionOutcome::Downloaded(mission) = downloaded else {
        panic!("not a download: {downloaded:?}");
    };
    // Takeoff + 3 waypoints + return to launch.
    assert_eq!(mission.items.len(), 5);
    for (a, b) in mission.items.iter().zip(&planned.items) {
        assert_eq!(a.command, b.command);
        assert!((a.x - b.x).abs() < 1e-6 && (a.y - b.y).abs() < 1e-6);
    }

    // A pattern over an area drawn on the map, added after the waypoints when asked: one
    // item in the list.
    h.get_by_label("Draw survey area").click();
    h.step();
    for pos in [
        egui::pos2(500.0, 250.0),
        egui::pos2(640.0, 250.0),
        egui::pos2(640.0, 390.0),
        egui::pos2(500.0, 390.0),
    ] {
        click_at(&mut h, pos);
    }
    h.get_by_label("Observation pattern (lawnmower)").click();
    step_until(&mut h, "the pattern tool", |h| {
        has_label(h, "Generate pattern")
    });
    h.get_by_label("Generate pattern").click();
    click_in_dialog(&mut h, "Add after");
    step_until(&mut h, "the pattern in the list", |h| {
        has_label(h, "Pattern, ")
    });
    assert_eq!(h.state().planner.items.len(), 4);

    // Saved with the drone's home as the planned home, not 0°, 0°.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("patrol.plan");
    h.state_mut().planner.file = path.display().to_string();
    // The side panel scrolled to its end with the wheel, as an operator would.
    h.event(egui::Event::PointerMoved(egui::pos2(1100.0, 400.0)));
    h.step();
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, -30.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    for _ in 0..5 {
        h.step();
    }
    h.get_by_label("Save").click();
    step_until(&mut h, "the save", |h| {
        h.state()
            .planner
            .status
            .contains("planned home: drone 1's home")
    });
    let saved = vigil_mission::load_mission(&path).expect("saved plan");
    let home = saved.home.expect("a planned home");
    let drone_home = station.snapshot().world.vehicles[&1].home.expect("home");
    assert!((home.lat_deg - drone_home.lat_deg).abs() < 1e-7);
    assert!((home.lon_deg - drone_home.lon_deg).abs() < 1e-7);
    rig.pipeline.shutdown();
}

#[test]
fn layers_switch_off_and_on_from_the_menu() {
    let (rig, station) = rig();
    let mut h = console(&station);
    h.step();
    assert!(h.state().settings().layers.tracks);
    h.get_by_label("Layers").click();
    step_until(&mut h, "the layer menu", |h| {
        has_label(h, "Track uncertainty")
    });
    h.get_by_label("Tracks").click();
    h.step();
    assert!(!h.state().settings().layers.tracks);
    h.get_by_label("Camera footprints").click();
    h.step();
    assert!(!h.state().settings().layers.footprints);
    h.get_by_label("Tracks").click();
    h.step();
    assert!(h.state().settings().layers.tracks);
    // The coverage layer comes with its legend.
    assert!(!has_label(&h, "Coverage: time since observed"));
    h.get_by_label("Coverage").click();
    step_until(&mut h, "the coverage legend", |h| {
        has_label(h, "Coverage: time since observed") && has_label(h, "never observed")
    });
    rig.pipeline.shutdown();
}

#[test]
fn the_night_and_day_themes_switch_with_a_key() {
    let (rig, station) = rig();
    let mut h = console(&station);
    h.step();
    assert_eq!(
        h.state().settings().theme,
        vigil_console::settings::Theme::Night
    );
    assert!(h.ctx.global_style().visuals.dark_mode);
    h.key_press(egui::Key::N);
    h.step();
    h.step();
    assert_eq!(
        h.state().settings().theme,
        vigil_console::settings::Theme::Day
    );
    assert!(!h.ctx.global_style().visuals.dark_mode);
    rig.pipeline.shutdown();
}

#[test]
fn escape_closes_the_window_on_top_then_the_tool() {
    let (rig, station) = rig();
    let mut h = console(&station);
    // With the measuring tool on, each Esc closes the window on top and leaves the tool; the
    // Esc after them leaves the tool.
    h.key_press(egui::Key::M);
    step_until(&mut h, "the measuring tool", |h| h.state().measuring());
    h.key_press(egui::Key::F1);
    step_until(&mut h, "the shortcuts window", |h| {
        has_label(h, "Keyboard shortcuts")
    });
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the shortcuts window closed", |h| {
        !has_label(h, "Keyboard shortcuts")
    });
    assert!(h.state().measuring(), "Esc on the shortcuts left the tool");
    h.get_by_label("Session").click();
    step_until(&mut h, "the session menu", |h| has_label(h, "Export..."));
    h.get_by_label("Export...").click();
    step_until(&mut h, "the export window", |h| {
        has_label(h, "Export the session")
    });
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the export window closed", |h| {
        !has_label(h, "Export the session")
    });
    assert!(
        h.state().measuring(),
        "Esc on the export window left the tool"
    );
    h.key_press(egui::Key::Escape);
    step_until(&mut h, "the tool left", |h| !h.state().measuring());
    rig.pipeline.shutdown();
}

/// Nothing moves under the pointer: the bottom panel keeps its height whatever its tab
/// shows, the plot has room under its legend, and the export window leaves the drone list
/// uncovered.
#[test]
fn the_layout_holds_still_across_tabs_and_windows() {
    let (rig, station) = rig();
    let mut h = console(&station);
    select_drone_1(&mut h);
    let tab_top =
        |h: &Harness<'static, ConsoleApp>| h.get_by_label_contains("Reports (").rect().top();
    let first = tab_top(&h);
    for tab in [
        "Links",
        "Plots",
        "Messages",
        "Alerts (0)",
        "Reports (0 new)",
    ] {
        // The bottom panel's tab: the lowest of the labels that read so.
        let lowest = h
            .query_all_by_label(tab)
            .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
            .expect("the tab");
        lowest.click();
        h.step();
        h.step();
        assert_eq!(tab_top(&h), first, "the bottom panel moved on {tab}");
    }
    h.query_all_by_label("Plots")
        .max_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .expect("the tab")
        .click();
    step_until(&mut h, "the plot", |h| h.state().plot_rect().is_some());
    h.step();
    let plot = h.state().plot_rect().expect("drawn");
    assert!(
        plot.height() >= 100.0,
        "the plot is {} px tall",
        plot.height()
    );
    let list = h.get_by_label_contains("Drone 1 ·").rect();
    h.get_by_label("Session").click();
    step_until(&mut h, "the session menu", |h| has_label(h, "Export..."));
    h.get_by_label("Export...").click();
    step_until(&mut h, "the export window", |h| {
        has_label(h, "Export the session")
    });
    h.step();
    let window = h.get_by_label("Export the session").rect();
    assert!(
        window.left() > list.right(),
        "the export window ({window:?}) covers the drone list ({list:?})"
    );
    rig.pipeline.shutdown();
}

/// Drones by their callsign and sensors by name and place, from a fleet file
/// (`vigil run --names`); the demo's sensors and sites.
#[test]
fn drones_and_sensors_go_by_their_names() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fleet = dir.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        "[[drone]]\nsysid = 1\ncallsign = \"Kite 1\"\n\n[[sensor]]\nsysid = 105\nname = \"Keradu east radar\"\n",
    )
    .expect("written");
    let (pipeline, _sim, station) = demo_rig_on(vigil_station::PipelineConfig {
        names: vigil::cli::names::load(&fleet).expect("the fleet file"),
        ..vigil_station::PipelineConfig::new(common::test_folders())
    });
    let mut h = console(&station);
    step_until(&mut h, "the named drone and sensor", |h| {
        has_label(h, "Kite 1 · ") && has_label(h, "Keradu east radar · radar ")
    });
    // Unnamed ones by number, each with its place against the nearest site.
    step_until(&mut h, "an unnamed drone and sensor with a place", |h| {
        has_label(h, "Drone 2 · ") && has_label(h, "101/158 seismic ")
    });
    let sensor_row = h
        .query_all_by_label_contains("Keradu east radar · radar ")
        .next()
        .and_then(|n| n.accesskit_node().label())
        .expect("the row");
    assert!(
        sensor_row.contains(" of Keradu") || sensor_row.contains("at Keradu"),
        "{sensor_row}"
    );
    h.get_by_label_contains("Kite 1 · ").click();
    step_until(&mut h, "the drone's details", |h| {
        has_label(h, "Kite 1 (drone 1) — ArduCopter")
    });
    pipeline.shutdown();
}

/// The demo world at four times real time, with a rule that raises "unobserved" alerts after
/// 20 simulated seconds, so that the workflow has alerts to work on within seconds.
fn demo_rig() -> (Pipeline, SimRunner, GroundStation, tempfile::TempDir) {
    demo_rig_with("[unobserved]\nmax_unobserved_s = 20.0\n")
}

/// The demo scenario at four times the pace, with alert rules `rules` and a lower orbit.
fn demo_rig_with(rules_text: &str) -> (Pipeline, SimRunner, GroundStation, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        format!("{rules_text}[dispatch]\nalt_rel_m = 50.0\norbit_radius_m = 100.0\n"),
    )
    .expect("written");
    let (pipeline, sim, station) = demo_rig_on(vigil_station::PipelineConfig {
        rules: Some(rules),
        ..vigil_station::PipelineConfig::new(common::test_folders())
    });
    (pipeline, sim, station, dir)
}

/// The demo scenario at four times the pace over UDP, into a pipeline with `config` (its
/// link and the demo's sites set here).
fn demo_rig_on(config: vigil_station::PipelineConfig) -> (Pipeline, SimRunner, GroundStation) {
    use vigil_sim::{RunOptions, Scenario, SimTransport, SimWorld};
    let pipeline = Pipeline::start(vigil_station::PipelineConfig {
        links: vec![common::link("udpin:127.0.0.1:0")],
        demo_sites: true,
        ..config
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let sim = SimRunner::start_world(
        SimWorld::from_scenario(&Scenario::demo(), 7),
        SimTransport::Udp {
            socket: std::net::UdpSocket::bind("127.0.0.1:0").expect("a port"),
            peer: Some(common::bound_addr(&station, 0)),
            learn: false,
        },
        RunOptions {
            speed: 4.0,
            ..RunOptions::default()
        },
        None,
    )
    .expect("the simulator starts");
    (pipeline, sim, station)
}

/// Patrols from the console (issue #18): planned over the demo's sites with the drones and
/// sensors the station sees, each site's revisit beside how long it has gone unseen, uploaded
/// (confirmed) and flown (confirmed): the drones take off on their AUTO missions.
#[test]
fn patrols_are_planned_uploaded_and_flown_from_the_console() {
    let (pipeline, sim, station, _dir) = demo_rig_with("");
    common::wait(&station, "both drones with a home and ready to arm", |s| {
        [1, 2].iter().all(|id| {
            s.world
                .vehicles
                .get(id)
                .is_some_and(|v| v.home.is_some() && v.prearm_ok == Some(true))
        })
    });
    let mut h = console(&station);
    open_the_patrol_tool(&mut h);
    step_until(&mut h, "the patrol tool", |h| has_label(h, "Plan patrols"));
    h.get_by_label("Plan patrols").click();
    step_until(&mut h, "the plan", |h| {
        h.state().patrol.status.contains("loops planned")
    });
    let plan = h.state().patrol.plan.clone().expect("a plan");
    assert_eq!(plan.loops.len(), 2, "a loop each: {:?}", plan.left_out);
    assert!(has_label(&h, "seen every") && has_label(&h, "unseen now"));
    assert!(has_label(&h, "Drone 1: loop ") && has_label(&h, "Drone 2: loop "));
    upload_and_fly_the_patrols(&mut h, &[1, 2]);

    // Drone 1's battery falls below the hand-over level: the plan no longer holds; the re-plan
    // gives everything to drone 2, which takes it in the air, and only then drone 1 goes home.
    sim.world().drones[0].vehicle.battery_pct = 30.0;
    step_until_for(&mut h, "the plan declared stale", common::TIMEOUT, |h| {
        has_label(
            h,
            "The plan no longer holds: Drone 1: its battery is at 30 %",
        )
    });
    h.get_by_label("Re-plan").click();
    step_until(&mut h, "the new plan", |h| {
        h.state()
            .patrol
            .plan
            .as_ref()
            .is_some_and(|p| p.loops.iter().all(|l| l.sysid != 1))
    });
    let plan = h.state().patrol.plan.clone().expect("a plan");
    let flying: Vec<u8> = plan.loops.iter().map(|l| l.sysid).collect();
    assert_eq!(flying, vec![2], "{:?}", plan.left_out);
    upload_and_fly_the_patrols(&mut h, &flying);
    step_until_for(&mut h, "drone 1 relieved", common::TIMEOUT * 2, |h| {
        h.state().snapshot().world.vehicles[&1].mode == "RTL"
    });
    assert!(
        h.state()
            .actions
            .latest_accepted(2, &vigil_world::command::Action::FlyMission),
        "drone 1 went home before drone 2 took its loop"
    );
    assert_eq!(h.state().snapshot().world.vehicles[&2].mode, "AUTO");
    pipeline.shutdown();
}

#[test]
fn the_plan_tab_shows_the_patrols_the_station_keeps() {
    let (pipeline, _sim, station, _dir) = demo_rig_with("");
    // `vigil run --patrol`: the station's keeper flies the patrols; the console shows them.
    let keeper = vigil_station::patrol::PatrolKeeper::start(
        station.clone(),
        vigil_station::patrol::KeeperConfig::default(),
    )
    .expect("the keeper starts");
    let app = ConsoleApp::new(
        station.clone(),
        ConsoleOptions {
            patrol_keeper: Some(keeper.watch()),
            ..ConsoleOptions::default()
        },
        &egui::Context::default(),
    );
    let mut h = gui::harness(app);
    open_the_patrol_tool(&mut h);
    step_until(&mut h, "the keeper's section", |h| {
        has_label(h, "The station flies the patrols on its own")
    });
    step_until_for(&mut h, "the patrols flown", common::TIMEOUT * 4, |h| {
        has_label(h, "patrols flown (the patrols start)")
    });
    assert!(has_label(&h, "Drone 1: loop ") && has_label(&h, "Drone 2: loop "));
    assert!(has_label(&h, "seen every") && has_label(&h, "unseen now"));
    assert!(
        !has_label(&h, "Plan patrols") && !has_label(&h, "Upload the patrols"),
        "no hand planning beside the keeper"
    );
    assert_eq!(
        h.state().patrol.outlines().len(),
        2,
        "both loops on the map"
    );
    drop(h);
    drop(keeper);
    pipeline.shutdown();
}

/// The operator lets the station keep the patrols from the Plan tab (as `vigil run --patrol
/// --cue` would), with a drone cued to each warning, sees them flown, and takes them back.
#[test]
fn the_operator_lets_the_station_keep_the_patrols_and_stops_it() {
    let (pipeline, _sim, station, _dir) = demo_rig_with("");
    let mut h = console(&station);
    open_the_patrol_tool(&mut h);
    step_until(&mut h, "the patrol tool", |h| {
        has_label(h, "Let the station keep them")
    });
    // Cueing is offered on; the operator turns it off and on again.
    assert!(h.state().patrol.cue);
    h.get_by_label("and cue a drone to each warning").click();
    h.step();
    assert!(!h.state().patrol.cue);
    h.get_by_label("and cue a drone to each warning").click();
    h.step();
    assert!(h.state().patrol.cue);
    h.get_by_label("Let the station keep them").click();
    click_in_dialog(&mut h, "Keep them flying");
    step_until(&mut h, "the keeper's section", |h| {
        has_label(h, "The station flies the patrols on its own")
    });
    assert!(has_label(
        &h,
        "It sends a drone to each warning about movers (--cue), which follows them."
    ));
    step_until_for(&mut h, "the patrols flown", common::TIMEOUT * 4, |h| {
        has_label(h, "patrols flown (the patrols start)")
    });
    assert!(has_label(&h, "Drone 1: loop ") && has_label(&h, "Drone 2: loop "));
    assert!(!has_label(&h, "Plan patrols"), "no hand planning beside it");
    step_until_for(&mut h, "the drones on patrol", common::TIMEOUT * 3, |h| {
        [1, 2].iter().all(|id| {
            h.state()
                .snapshot()
                .world
                .vehicles
                .get(id)
                .is_some_and(|v| v.mode == "AUTO")
        })
    });

    // Taken back: the hand desk again, the drones on the loops they have.
    h.get_by_label("Stop keeping them").click();
    step_until(&mut h, "the hand desk", |h| has_label(h, "Plan patrols"));
    assert!(
        h.state()
            .patrol
            .status
            .contains("no longer keeps the patrols")
    );
    drop(h);
    pipeline.shutdown();
}

/// Opens the Plan tab's patrol tool.
fn open_the_patrol_tool(h: &mut Harness<'static, ConsoleApp>) {
    h.get_by_label("Plan").click();
    step_until(h, "the planner", |h| has_label(h, "Add waypoints"));
    h.get_by_label("Patrols that close the sensors' gaps")
        .click();
}

/// Uploads the plan's loops and flies them, each confirmed; waits until `drones` are in AUTO
/// and in the air.
fn upload_and_fly_the_patrols(h: &mut Harness<'static, ConsoleApp>, drones: &[u8]) {
    let uploads_before: usize = h.state().actions.log.iter().filter(|t| t.mission).count();
    h.get_by_label("Upload the patrols").click();
    click_in_dialog(h, "Upload the loops");
    step_until_for(h, "every loop on its drone", common::TIMEOUT * 2, |h| {
        let log = &h.state().actions.log;
        log.iter().filter(|t| t.mission).count() >= uploads_before + drones.len()
            && log
                .iter()
                .filter(|t| t.mission)
                .take(drones.len())
                .all(|t| {
                    t.outcome.as_ref().is_some_and(|o| {
                        o.as_ref().is_ok_and(|text| text.contains("items uploaded"))
                    })
                })
    });
    h.get_by_label("Fly the patrols").click();
    click_in_dialog(h, "Take off on the loops");
    step_until_for(h, "the drones on patrol", common::TIMEOUT * 3, |h| {
        drones.iter().all(|id| {
            h.state()
                .actions
                .latest_accepted(*id, &vigil_world::command::Action::FlyMission)
                && h.state()
                    .snapshot()
                    .world
                    .vehicles
                    .get(id)
                    .is_some_and(|v| {
                        v.mode == "AUTO" && v.position.is_some_and(|p| p.alt_rel_home_m > 5.0)
                    })
        })
    });
}

/// Opens the first open alert from the alerts tab; returns its id.
fn open_first_alert(h: &mut Harness<'static, ConsoleApp>) -> u64 {
    // The rule needs 20 simulated seconds (5 s here); generous for a loaded machine.
    step_until_for(h, "an open alert", common::TIMEOUT * 3, |h| {
        !h.state().snapshot().protection.open_alerts().is_empty()
    });
    let alert = h.state().snapshot().protection.open_alerts()[0].clone();
    h.get_by_label_contains("Alerts (").click();
    h.step();
    let line = vigil_console::panels::alert_line(&alert);
    step_until(h, "the alert in the list", |h| has_label(h, &line));
    h.get_by_label(&line).click();
    step_until(h, "the alert's details", |h| {
        has_label(h, &format!("Alert {} -", alert.id))
    });
    alert.id
}

fn alert_history(h: &Harness<'static, ConsoleApp>, id: u64) -> Vec<vigil_protection::Transition> {
    h.state()
        .snapshot()
        .protection
        .alerts
        .iter()
        .find(|a| a.id == id)
        .expect("the alert is kept")
        .history
        .clone()
}

fn alert_state(h: &Harness<'static, ConsoleApp>, id: u64) -> vigil_protection::AlertState {
    h.state()
        .snapshot()
        .protection
        .alerts
        .iter()
        .find(|a| a.id == id)
        .expect("the alert is kept")
        .state
}

#[test]
fn acknowledge_and_resolve_an_alert() {
    use vigil_protection::AlertState;
    let (pipeline, _sim, station, _dir) = demo_rig();
    let mut h = console(&station);
    let id = open_first_alert(&mut h);
    h.get_by_label("Acknowledge").click();
    step_until(&mut h, "the acknowledgement", |h| {
        alert_state(h, id) == AlertState::Acknowledged
    });
    let by = h.state().settings().operator.clone();
    let acked = alert_history(&h, id);
    assert!(
        acked
            .iter()
            .any(|t| t.state == AlertState::Acknowledged && t.by == by),
        "who acknowledged is recorded: {acked:?}"
    );
    h.get_by_label("Resolution").focus();
    h.step();
    h.get_by_label("Resolution").type_text("checked by patrol");
    h.step();
    h.get_by_label("Resolve").click();
    step_until(&mut h, "the resolution", |h| {
        alert_state(h, id) == AlertState::Resolved
    });
    let history = alert_history(&h, id);
    assert!(
        history
            .iter()
            .any(|t| t.state == AlertState::Resolved
                && t.detail.as_deref() == Some("checked by patrol")),
        "the resolution is recorded: {history:?}"
    );
    pipeline.shutdown();
}

#[test]
fn task_a_drone_from_an_alert() {
    let (pipeline, _sim, station, _dir) = demo_rig();
    let mut h = console(&station);
    step_until(&mut h, "both drones with a battery level", |h| {
        [1, 2].iter().all(|id| {
            h.state()
                .snapshot()
                .world
                .vehicles
                .get(id)
                .is_some_and(|v| v.battery.remaining_pct.is_some() && v.position.is_some())
        })
    });
    let id = open_first_alert(&mut h);
    h.get_by_label("Send a drone").click();
    // Nothing moves before the operator confirms the drone proposed, with its task, its
    // distance and time to get there, and why the plane on the ground was passed over.
    step_until(&mut h, "the proposal", |h| {
        has_label(h, &format!("to alert {id}?"))
    });
    assert!(has_label(&h, "Drone 1 is idle, on the ground."));
    assert!(has_label(&h, "to get there, taking off first."));
    assert!(has_label(
        &h,
        "drone 2: on the ground: a plane needs a runway take-off"
    ));
    assert!(h.state().actions.log.is_empty(), "a proposal sends nothing");
    h.get_by_label("Send drone 1").click();
    let label = format!("Send a drone to alert {id}");
    step_until(&mut h, "a drone chosen", |h| has_label(h, "drone 1 chosen"));
    // The tasked drone takes off and flies: it leaves the ground.
    let drone = h
        .state()
        .actions
        .log
        .iter()
        .find(|t| t.label == label)
        .map(|t| t.target)
        .expect("the dispatch is in the log");
    step_until_for(
        &mut h,
        "the tasked drone in the air",
        common::TIMEOUT * 3,
        |h| {
            h.state().snapshot().world.vehicles[&drone]
                .position
                .is_some_and(|p| p.alt_rel_home_m > 10.0)
        },
    );
    pipeline.shutdown();
}

#[test]
fn replay_a_recorded_session_and_export_it_with_progress() {
    // Record a few seconds of a drone over UDP.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let session = dir.path().join("session");
    {
        let pipeline = common::start(&["udpin:127.0.0.1:0"], Some(&session));
        let station = pipeline.station();
        let _sim = common::sim_udp(
            common::vehicle_config(1),
            common::bound_addr(&station, 0),
            MavVersion::V2,
        );
        common::wait(&station, "a few hundred recorded frames", |s| {
            s.recorder.as_ref().is_some_and(|r| r.records > 300)
        });
        pipeline.shutdown();
    }
    let tlog = session.join("telemetry.tlog");
    let replay =
        vigil_station::replay::ReplayController::open(&tlog, false, common::test_folders())
            .expect("the replay opens");
    let station = replay.station().expect("a station");
    let app = ConsoleApp::new(
        station,
        ConsoleOptions::default(),
        &egui::Context::default(),
    )
    .with_replay(replay);
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut ConsoleApp| app.show(ui), app);
    step_until(&mut h, "the replayed drone", |h| {
        h.state().snapshot().world.vehicles.contains_key(&1)
    });
    // Nothing in a replay can be commanded.
    step_until(&mut h, "no actions in a replay", |h| {
        has_label(h, "Actions (none in a replay)")
    });
    h.get_by_label("Pause").click();
    step_until(&mut h, "the replay paused", |h| {
        h.state().replay().is_some_and(|r| r.is_paused())
    });
    h.get_by_label("speed").click();
    step_until(&mut h, "the speeds", |h| has_label(h, "10x"));
    h.get_by_label("10x").click();
    step_until(&mut h, "ten times the pace", |h| {
        h.state().replay().is_some_and(|r| r.speed() == 10.0)
    });
    h.get_by_label("Play").click();
    step_until(&mut h, "the replay playing", |h| {
        h.state().replay().is_some_and(|r| !r.is_paused())
    });

    // Seek back to the start: the replay's pipeline restarts on the `vigil-seek` thread while
    // the console goes on drawing frames (the UI thread never waits for the restart).
    step_until(&mut h, "some of the replay played", |h| {
        h.state()
            .replay()
            .and_then(|r| r.position())
            .is_some_and(|p| {
                let (start, _) = h.state().replay().map(|r| r.span()).unwrap_or_default();
                p.since(start) >= Duration::from_secs(1)
            })
    });
    let generation = h
        .state()
        .replay()
        .map(|r| r.generation())
        .expect("a replay");
    h.state_mut().seek_replay_secs(0.0);
    assert!(h.state().is_seeking());
    let started = Instant::now();
    let mut frames = 0;
    let mut slowest = Duration::ZERO;
    while h.state().is_seeking() {
        let frame = Instant::now();
        h.step();
        slowest = slowest.max(frame.elapsed());
        frames += 1;
        assert!(
            started.elapsed() < common::TIMEOUT,
            "the seek did not finish"
        );
    }
    assert!(frames >= 1, "no frame was drawn during the seek");
    assert!(
        slowest < Duration::from_millis(500),
        "a frame took {slowest:?} during the seek"
    );
    assert_eq!(
        h.state().replay().map(|r| r.generation()),
        Some(generation + 1)
    );
    assert_eq!(h.state().replay_error(), None);
    step_until(&mut h, "the replayed drone again", |h| {
        h.state().snapshot().world.vehicles.contains_key(&1)
    });

    // Export the recorded session from the console (its journal), with the progress shown.
    let out = dir.path().join("out.geojson");
    h.state_mut().exporter.out = out.display().to_string();
    h.get_by_label("Session").click();
    step_until(&mut h, "the session menu", |h| has_label(h, "Export..."));
    h.get_by_label("Export...").click();
    step_until(&mut h, "the export window", |h| {
        has_label(h, "Export the session")
    });
    h.get_by_label("Export").click();
    step_until(&mut h, "the export", |h| {
        h.state().exporter.status.starts_with("export") && !h.state().exporter.is_running()
    });
    let status = h.state().exporter.status.clone();
    assert!(status.starts_with("exported to"), "{status}");
    let text = std::fs::read_to_string(&out).expect("the export is written");
    assert!(
        text.contains("\"FeatureCollection\""),
        "{}",
        &text[..text.len().min(200)]
    );
}

/// A vehicle that sends heartbeats and nothing else (as ArduPilot does before anyone asks for
/// its streams), from sysid 9 over UDP, until the returned flag is cleared.
fn heartbeat_only_peer(
    vigil: std::net::SocketAddr,
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use vigil_protocol::{FrameEncoder, MavMessage, mav};
    let running = std::sync::Arc::new(AtomicBool::new(true));
    let flag = running.clone();
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a port");
    socket.connect(vigil).expect("connect");
    let thread = std::thread::Builder::new()
        .name("heartbeat-peer".into())
        .spawn(move || {
            let mut encoder = FrameEncoder::new(9, 1);
            while flag.load(Ordering::Relaxed) {
                let heartbeat = MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
                    custom_mode: 0,
                    mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
                    autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
                    base_mode: mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
                    system_status: mav::MavState::MAV_STATE_STANDBY,
                    mavlink_version: 3,
                });
                let frame = encoder.encode(&heartbeat, MavVersion::V2).expect("encodes");
                let _ = socket.send(frame.raw());
                std::thread::sleep(Duration::from_millis(250));
            }
        })
        .expect("the peer thread starts");
    (running, thread)
}

#[test]
fn a_vehicle_without_telemetry_shows_no_data_never_a_reading() {
    let pipeline = common::start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let (running, peer) = heartbeat_only_peer(common::bound_addr(&station, 0));
    common::wait(&station, "drone 9 heard", |s| {
        s.world.vehicles.contains_key(&9)
    });
    let mut h = console(&station);
    // Listed, with no position (so not on the map) and no battery level.
    step_until(&mut h, "drone 9 in the list", |h| has_label(h, "Drone 9 ·"));
    let line = h
        .query_all_by_label_contains("Drone 9 ·")
        .next()
        .and_then(|n| n.accesskit_node().label())
        .unwrap_or_default();
    assert!(line.contains("no position"), "{line}");
    assert!(line.contains("battery: no data"), "{line}");
    assert!(!line.contains('%'), "{line}");
    h.get_by_label_contains("Drone 9 ·").click();
    step_until(&mut h, "drone 9's details", |h| {
        has_label(h, "Drone 9 — ArduCopter")
    });
    // The instruments say they have nothing rather than a level horizon and 000°.
    assert!(has_label(&h, "attitude: no data"));
    assert!(has_label(&h, "heading: no data"));
    assert!(!has_label(&h, "attitude: roll"));
    assert!(!has_label(&h, "heading 0"));
    // Altitude, position, speed, battery and GPS: each "no data", none a value.
    let missing = h.query_all_by_label("no data").count();
    assert!(missing >= 5, "{missing} values say \"no data\"");
    assert!(!has_label(&h, "HDOP"), "a GPS reading is shown");
    assert!(!has_label(&h, "%"), "a battery level is shown");
    assert!(has_label(&h, "pre-arm: not reported"));
    // Nothing to draw on the map: no position was ever received.
    assert!(h.state().snapshot().world.vehicles[&9].position.is_none());
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    peer.join().expect("the peer stops");
    pipeline.shutdown();
}

/// Great-circle-free closeness in degrees: enough to tell Australia from Africa.
fn near(a: (f64, f64), b: (f64, f64), tolerance_deg: f64) -> bool {
    (a.0 - b.0).abs() < tolerance_deg && (a.1 - b.1).abs() < tolerance_deg
}

#[test]
fn the_map_goes_to_far_away_drones_and_centres_on_a_double_clicked_one() {
    // Two drones near Sydney, 30 km apart, while the console opens on the demo area in Africa.
    let pipeline = common::start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let vigil = common::bound_addr(&station, 0);
    let homes = [(1u8, -33.86, 151.20), (2u8, -34.05, 151.45)];
    let _sims: Vec<SimRunner> = homes
        .iter()
        .map(|&(sysid, lat, lon)| {
            common::sim_udp(
                vigil_sim::SimVehicleConfig {
                    home_lat_deg: lat,
                    home_lon_deg: lon,
                    ..common::vehicle_config(sysid)
                },
                vigil,
                MavVersion::V2,
            )
        })
        .collect();
    common::wait(&station, "both drones with a position", |s| {
        [1, 2].iter().all(|id| {
            s.world
                .vehicles
                .get(id)
                .is_some_and(|v| v.position.is_some())
        })
    });
    let app = console_app(&station);
    let (start, _) = app.map_view();
    assert!(
        !near(start, (-33.9, 151.3), 5.0),
        "the console opens on the demo area: {start:?}"
    );
    let mut h = quick_harness(app);
    // The map moves to show them, both in one view.
    step_until(&mut h, "the map over the drones", |h| {
        near(h.state().map_view().0, (-33.955, 151.325), 0.05)
    });
    let (_, zoom) = h.state().map_view();
    assert!((8.0..=13.0).contains(&zoom), "zoom {zoom}");

    // A double click on drone 2 in the list selects it and centres the map on it.
    step_until(&mut h, "drone 2 in the list", |h| has_label(h, "Drone 2 ·"));
    let node = h.get_by_label_contains("Drone 2 ·");
    node.click();
    node.click();
    h.step();
    h.step();
    let at = h.state().snapshot().world.vehicles[&2]
        .position
        .map(|p| (p.lat_deg, p.lon_deg))
        .expect("a position");
    assert!(
        near(h.state().map_view().0, at, 1e-3),
        "centre {:?}, drone 2 at {at:?}",
        h.state().map_view().0
    );
    assert!(h.state().selected_vehicles().contains(&2));
    assert!(!h.state().selected_vehicles().contains(&1));
    // Once the operator has moved the map, the console leaves it where it is.
    h.step();
    assert!(near(h.state().map_view().0, at, 1e-3));
    pipeline.shutdown();
}

#[test]
fn a_hidden_console_still_sounds_a_lost_link() {
    let (rig, station) = rig();
    let mut app = console_app(&station);
    let ctx = egui::Context::default();
    // Drawn once, then minimised: eframe no longer draws, it only runs the logic step on
    // each repaint request (which the logic step itself keeps asking for).
    let mut h = harness(app);
    h.step();
    app = h.into_state();
    app.logic(&ctx);
    assert!(app.snapshot().world.vehicles.contains_key(&1));
    let Rig {
        pipeline,
        _sim: sim,
    } = rig;
    sim.stop();
    let started = Instant::now();
    while !app.cues().1.contains(&vigil_console::audio::Cue::LinkLost) {
        assert!(
            started.elapsed() < common::TIMEOUT,
            "no link-lost cue while hidden: {:?}",
            app.cues()
        );
        std::thread::sleep(Duration::from_millis(100));
        app.logic(&ctx);
    }
    pipeline.shutdown();
}

/// A report as the report page or the SMS gateway hands it to the station.
fn report(minutes: u64, category: &str, people: u32) -> vigil_protection::NewReport {
    vigil_protection::NewReport {
        time: vigil_core::time::TimeUs::from_secs_f64(1.8e9 + minutes as f64 * 60.0),
        position: vigil_protection::LatLon {
            lat_deg: 9.0051,
            lon_deg: 31.0100,
        },
        category: category.into(),
        description: format!("{people} people seen by the borehole"),
        reporter: "+211955501234".into(),
        channel: "sms".into(),
        people: Some(people),
        origin: "sms:1".into(),
    }
}

#[test]
fn verify_reports_in_the_inbox_and_merge_them_into_an_incident() {
    use vigil_protection::Verification;
    let pipeline = Pipeline::start(vigil_station::PipelineConfig {
        demo_sites: true,
        ..vigil_station::PipelineConfig::new(common::test_folders())
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    station
        .add_reports(vec![report(0, "armed_men", 4), report(5, "shooting", 2)])
        .expect("sent")
        .recv_timeout(common::TIMEOUT)
        .expect("answered")
        .expect("taken");
    let mut h = quick_harness(console_app(&station));
    step_until(&mut h, "two new reports", |h| {
        has_label(h, "Reports (2 new)")
    });
    h.get_by_label("Reports (2 new)").click();
    h.step();
    let first = h.state().snapshot().protection.reports[0].clone();
    let line = vigil_console::inbox::report_line(&first);
    step_until(&mut h, "the first report in the list", |h| {
        has_label(h, &line)
    });
    h.get_by_label(&line).click();
    step_until(&mut h, "the report's details", |h| {
        has_label(h, "Report 1 - armed_men")
    });
    assert!(
        !has_label(&h, "+211955501234"),
        "the reporter's number is never shown"
    );
    h.get_by_label("Reason").focus();
    h.step();
    h.get_by_label("Reason").type_text("called back, confirmed");
    h.step();
    h.get_by_label("Verify").click();
    step_until(&mut h, "the report verified", |h| {
        matches!(
            &h.state().snapshot().protection.reports[0].verification,
            Verification::Verified { reason, .. } if reason == "called back, confirmed"
        )
    });
    // What is typed belongs to the report selected: the second one starts empty.
    h.get_by_label("All (2)").click();
    h.step();
    let second = h.state().snapshot().protection.reports[1].clone();
    h.get_by_label(&vigil_console::inbox::report_line(&second))
        .click();
    step_until(&mut h, "the second report", |h| {
        has_label(h, "Report 2 - shooting")
    });
    assert_eq!(h.state().inbox.reason, "");

    for id in ["#1", "#2"] {
        h.get_by_label(id).click();
        h.step();
    }
    h.get_by_label("Event type").click();
    step_until(&mut h, "the event types", |h| {
        has_label(h, "Violence against civilians")
    });
    h.get_by_label("Violence against civilians").click();
    h.step();
    h.get_by_label("Sub-event").click();
    step_until(&mut h, "the sub-event types", |h| has_label(h, "Attack"));
    h.get_by_label("Attack").click();
    h.step();
    h.get_by_label("Record incident").click();
    step_until(&mut h, "the incident", |h| {
        h.state()
            .snapshot()
            .protection
            .incidents
            .first()
            .is_some_and(|i| {
                i.details.related_reports == [1, 2]
                    && i.details.category == "violence_against_civilians/attack"
            })
    });
    h.get_by_label("Note for the log").focus();
    h.step();
    h.get_by_label("Note for the log")
        .type_text("Keradu focal point called twice");
    h.step();
    h.get_by_label("Add note").click();
    // The contact is shown only when asked for, and the asking is recorded.
    h.get_by_label("Reveal contact for a call-back").click();
    step_until(&mut h, "the contact", |h| {
        has_label(h, "call-back: +211955501234")
    });
    step_until(&mut h, "the note taken", |h| {
        h.state()
            .actions
            .log
            .iter()
            .any(|t| t.label == "Note" && t.outcome == Some(Ok("done".into())))
    });
    pipeline.shutdown();
}

/// The operator clicks the window's close button.
fn click_close(h: &mut Harness<'static, ConsoleApp>) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
}

#[test]
fn closing_with_a_drone_in_the_air_asks_first() {
    use vigil_world::command::Action;
    let (rig, station) = rig();
    common::wait(&station, "drone 1 ready to arm", |s| {
        s.world.vehicles[&1].prearm_ok == Some(true)
    });
    common::accept(&station, 1, Action::SetMode("GUIDED".into()));
    common::accept(&station, 1, Action::Arm);
    common::accept(&station, 1, Action::Takeoff { alt_rel_m: 20.0 });
    common::wait(&station, "drone 1 in the air", |s| {
        s.world.vehicles[&1]
            .position
            .is_some_and(|p| p.alt_rel_home_m > 5.0)
    });
    let mut h = console(&station);
    h.step();
    click_close(&mut h);
    step_until(&mut h, "the question", |h| has_label(h, "Drone 1: GUIDED"));
    assert!(!h.state().quit.confirmed, "the window must stay");
    h.get_by_label("Keep the console open").click();
    h.step();
    assert!(!h.state().quit.is_asking() && !h.state().quit.confirmed);
    click_close(&mut h);
    step_until(&mut h, "the question again", |h| {
        has_label(h, "Quit anyway")
    });
    h.get_by_label("Quit anyway").click();
    h.step();
    assert!(h.state().quit.confirmed);
    rig.pipeline.shutdown();
}

#[test]
fn closing_with_every_drone_on_the_ground_asks_nothing() {
    let (rig, station) = rig();
    let mut h = console(&station);
    h.step();
    click_close(&mut h);
    assert!(h.state().quit.confirmed && !h.state().quit.is_asking());
    rig.pipeline.shutdown();
}

#[test]
fn an_alerts_panel_shows_only_that_alerts_typing_and_answers() {
    let (pipeline, _sim, station, _dir) = demo_rig();
    let mut h = console(&station);
    step_until_for(&mut h, "two open alerts", common::TIMEOUT * 3, |h| {
        h.state().snapshot().protection.open_alerts().len() >= 2
    });
    let first = open_first_alert(&mut h);
    h.get_by_label("Acknowledge").click();
    let acknowledged = format!("Acknowledge alert {first}: done");
    step_until(&mut h, "the acknowledgement", |h| {
        has_label(h, &acknowledged)
    });
    h.get_by_label("Assign to").focus();
    h.step();
    h.get_by_label("Assign to").type_text("Sgt Diallo");
    h.step();
    // Another alert, from the list: a blank form, and none of the first one's answers.
    let second = h
        .state()
        .snapshot()
        .protection
        .open_alerts()
        .into_iter()
        .find(|a| a.id != first)
        .expect("a second alert")
        .clone();
    h.get_by_label(&vigil_console::panels::alert_line(&second))
        .click();
    step_until(&mut h, "the second alert", |h| {
        has_label(h, &format!("Alert {} -", second.id))
    });
    assert!(
        !has_label(&h, &acknowledged),
        "the first alert's answer is shown"
    );
    assert_eq!(h.state().details.alert_form.assignee, "");
    assert_eq!(h.state().details.alert_form.for_alert, Some(second.id));
    pipeline.shutdown();
}

#[test]
fn the_wheel_zooms_the_map_about_the_pointer() {
    let (rig, station) = rig();
    let mut h = console(&station);
    h.step();
    let (centre, zoom) = h.state().map_view();
    // Over the map, left of its centre.
    let at = egui::pos2(450.0, 330.0);
    h.event(egui::Event::PointerMoved(at));
    h.step();
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, 3.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    for _ in 0..5 {
        h.step();
    }
    let (moved, zoomed) = h.state().map_view();
    assert!(zoomed > zoom + 0.1, "zoom {zoom} -> {zoomed}");
    // About the pointer: the centre moved towards where the pointer was (west of it).
    assert!(moved.1 < centre.1, "centre {centre:?} -> {moved:?}");
    rig.pipeline.shutdown();
}

#[test]
fn a_critical_alert_shows_a_banner_that_opens_it() {
    let (pipeline, _sim, station, _dir) =
        demo_rig_with("[unobserved]\nseverity = \"critical\"\nmax_unobserved_s = 20.0\n");
    let mut h = console(&station);
    step_until_for(&mut h, "the critical banner", common::TIMEOUT * 3, |h| {
        has_label(h, "Open the alert")
    });
    let id = h
        .state()
        .snapshot()
        .protection
        .open_alerts()
        .into_iter()
        .find(|a| a.severity == vigil_protection::AlertSeverity::Critical)
        .expect("a critical alert")
        .id;
    h.get_by_label("Open the alert").click();
    step_until(&mut h, "the alert opened", |h| {
        has_label(h, &format!("Alert {id} -"))
    });
    // Acknowledged, it no longer calls for attention.
    h.get_by_label("Acknowledge").click();
    step_until(&mut h, "the banner gone", |h| {
        h.state()
            .snapshot()
            .protection
            .open_alerts()
            .iter()
            .filter(|a| {
                a.severity == vigil_protection::AlertSeverity::Critical
                    && a.state == vigil_protection::AlertState::Open
            })
            .count()
            == 0
            || !has_label(h, &format!("alert {id} CRITICAL "))
    });
    pipeline.shutdown();
}

#[test]
fn the_context_menu_keeps_its_width_at_each_edge_of_the_map() {
    let (rig, station) = rig();
    let mut h = console(&station);
    h.step();
    let map = h.state().map_rect();
    // Just inside each edge of the map: right (beside the side panel), bottom (above the
    // bottom panel), left (beside the drone list) and top (under the menu bar).
    for (edge, at) in [
        ("right", egui::pos2(map.right() - 5.0, map.center().y)),
        ("bottom", egui::pos2(map.center().x, map.bottom() - 5.0)),
        ("left", egui::pos2(map.left() + 5.0, map.center().y)),
        ("top", egui::pos2(map.center().x, map.top() + 5.0)),
    ] {
        h.event(egui::Event::PointerMoved(at));
        h.step();
        for pressed in [true, false] {
            h.event(egui::Event::PointerButton {
                pos: at,
                button: egui::PointerButton::Secondary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
            h.step();
        }
        step_until(&mut h, "the context menu", |h| {
            has_label(h, "Add waypoint here")
        });
        h.step();
        let button = h.get_by_label("Add waypoint here").rect();
        assert!(button.width() >= 200.0, "{edge}: {button:?}");
        let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1280.0, 800.0));
        assert!(
            window.contains_rect(button),
            "{edge}: outside the window: {button:?}"
        );
        h.key_press(egui::Key::Escape);
        step_until(&mut h, "the menu closed", |h| {
            !has_label(h, "Add waypoint here")
        });
    }
    rig.pipeline.shutdown();
}

#[test]
fn the_alerts_worklist_filters_by_severity_and_state() {
    let (pipeline, _sim, station, _dir) = demo_rig();
    let mut h = console(&station);
    step_until_for(&mut h, "two open alerts", common::TIMEOUT * 3, |h| {
        h.state().snapshot().protection.open_alerts().len() >= 2
    });
    h.get_by_label_contains("Alerts (").click();
    h.step();
    let info = h
        .state()
        .snapshot()
        .protection
        .open_alerts()
        .into_iter()
        .find(|a| a.severity == vigil_protection::AlertSeverity::Info)
        .expect("an info alert")
        .clone();
    let line = vigil_console::panels::alert_line(&info);
    step_until(&mut h, "the info alert in the list", |h| {
        has_label(h, &line)
    });
    // At least WARNING: the information goes.
    h.get_by_label("at least").click();
    step_until(&mut h, "the severities", |h| has_label(h, "WARNING"));
    h.get_by_label("WARNING").click();
    step_until(&mut h, "the info alert filtered out", |h| {
        !has_label(h, &line)
    });
    assert_eq!(
        h.state().worklist.min_severity,
        vigil_protection::AlertSeverity::Warning
    );
    // Resolved only: none yet.
    h.get_by_label("state").click();
    step_until(&mut h, "the states", |h| has_label(h, "resolved"));
    h.get_by_label("resolved").click();
    step_until(&mut h, "an empty list", |h| {
        has_label(h, "No alert matches.")
    });
    pipeline.shutdown();
}

#[test]
fn go_here_says_how_far_and_how_long_and_marks_the_place() {
    let (rig, station) = rig();
    let mut h = console(&station);
    select_drone_1(&mut h);
    let at = egui::pos2(600.0, 300.0);
    h.event(egui::Event::PointerMoved(at));
    h.step();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Secondary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    step_until(&mut h, "the context menu", |h| has_label(h, "Go here (1)"));
    h.get_by_label("Go here (1)").click();
    step_until(&mut h, "the confirmation with distance and time", |h| {
        has_label(h, "Confirm") && has_label(h, "Drone 1: ") && has_label(h, ", about ")
    });
    h.get_by_label("Confirm").click();
    step_until(&mut h, "the goal marked", |h| {
        h.state()
            .actions
            .goals
            .iter()
            .any(|g| g.drone == 1 && g.what == "go here")
    });
    rig.pipeline.shutdown();
}
