//! Fusion and tracking scored against the simulator's ground truth: the quiet and the crowded
//! scenario run in process (every message framed, decoded and applied as on a link), a drone
//! flown by commands watches the largest village, and the confirmed tracks are compared with
//! the movers that a sensor or camera held, second by second (OSPA with c = 50 m, p = 2).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use nalgebra::Vector2;
use vigil_core::geodesy::Geodetic;
use vigil_fusion::Fusion;
use vigil_protocol::{MavMessage, e7_from_deg, mav};
use vigil_sim::{Scenario, SimWorld};
use vigil_tracking::{GroundTruthPoint, ScoreSummary, TrackingScore};

#[path = "common/feed.rs"]
mod feed;

use feed::{Feed, GCS};
/// Keradu, the largest village of the demo area.
const VILLAGE: (f64, f64) = (9.006329, 31.012732);

fn command_long(command: mav::MavCmd, params: [f32; 7]) -> MavMessage {
    let [param1, param2, param3, param4, param5, param6, param7] = params;
    MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
        param1,
        param2,
        param3,
        param4,
        param5,
        param6,
        param7,
        command,
        target_system: 1,
        target_component: 1,
        confirmation: 0,
    })
}

fn command_int(command: mav::MavCmd, lat_deg: f64, lon_deg: f64, z: f32) -> MavMessage {
    MavMessage::COMMAND_INT(mav::COMMAND_INT_DATA {
        x: e7_from_deg(lat_deg),
        y: e7_from_deg(lon_deg),
        z,
        command,
        target_system: 1,
        target_component: 1,
        frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        ..Default::default()
    })
}

/// Has drone 1 take off to `alt_m` (GUIDED, arm, takeoff), as a ground station would; the
/// drone has finished booting (its pre-arm checks pass), which is not what these tests are
/// about.
fn take_off(sim: &mut SimWorld, alt_m: f32) {
    sim.drones[0].vehicle.config.prearm_delay_s = 0.0;
    for message in [
        command_long(
            mav::MavCmd::MAV_CMD_DO_SET_MODE,
            [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ),
        command_long(
            mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ),
        command_long(
            mav::MavCmd::MAV_CMD_NAV_TAKEOFF,
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, alt_m],
        ),
    ] {
        sim.handle(&message, GCS);
    }
}

/// Vigil's world fed by the simulator as by a link: every message framed, decoded and applied.
/// Runs `scenario` for `seconds` and scores the confirmed tracks against the covered truth;
/// also returns how many (truth, second) pairs were scored.
fn score(name: &str, seed: u64, seconds: u32) -> (ScoreSummary, usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/scenarios")
        .join(name);
    let scenario = Scenario::load(&path).expect("a valid scenario");
    let mut sim = SimWorld::from_scenario(&scenario, seed);
    // Drone 1 takes off; later it flies over the village and points its camera at it.
    take_off(&mut sim, 150.0);
    let mut feed = Feed::default();
    let mut fusion = Fusion::default();
    let mut scoring = TrackingScore::new(50.0, 2.0).expect("valid parameters");
    let mut truth_ids: BTreeMap<String, u64> = BTreeMap::new();
    let mut truth_points = 0;
    for step in 1..=seconds * 10 {
        if step == 700 {
            // Airborne at 150 m: go over the village and look at it.
            sim.handle(
                &command_int(
                    mav::MavCmd::MAV_CMD_DO_REPOSITION,
                    VILLAGE.0 - 0.003,
                    VILLAGE.1,
                    150.0,
                ),
                GCS,
            );
            sim.handle(
                &command_int(
                    mav::MavCmd::MAV_CMD_DO_SET_ROI_LOCATION,
                    VILLAGE.0,
                    VILLAGE.1,
                    0.0,
                ),
                GCS,
            );
        }
        for detection in feed.step(&mut sim) {
            let _ = fusion.add(&detection, Instant::now());
        }
        if step % 10 != 0 {
            continue;
        }
        fusion.tick(sim.now);
        let Some(frame) = fusion.frame().cloned() else {
            continue;
        };
        let enu = |lat_deg: f64, lon_deg: f64| {
            frame
                .enu_from_geodetic(&Geodetic::from_deg(lat_deg, lon_deg, 0.0))
                .xy()
        };
        let time_s = sim.now.as_secs_f64();
        let next_id = truth_ids.len() as u64;
        let truths: Vec<GroundTruthPoint> = sim
            .truth()
            .into_iter()
            .filter(|row| row.covered)
            .map(|row| {
                let id = *truth_ids
                    .entry(row.id.clone())
                    .or_insert(next_id + 1_000_000);
                GroundTruthPoint {
                    id,
                    time_s,
                    pos_enu_m: enu(row.lat_deg, row.lon_deg),
                }
            })
            .collect();
        // Tracks not updated for 10 s are coasting on a guess: the operator sees them greyed.
        let estimates: Vec<(u64, Vector2<f64>)> = fusion
            .confirmed
            .iter()
            .filter(|t| sim.now.since(t.updated).as_secs_f64() <= 10.0)
            .map(|t| (t.id, enu(t.lat_deg, t.lon_deg)))
            .collect();
        if step > 1200 {
            truth_points += truths.len();
            scoring
                .record(&estimates, &truths)
                .expect("finite positions");
        }
    }
    let summary = scoring.summary();
    println!("{name} seed {seed}: {summary:?}, {truth_points} truth points");
    (summary, truth_points)
}

#[test]
fn the_quiet_scenario_is_tracked_closely() {
    // Measured: OSPA 9.7 m, no swaps, 161 of 446 truth points missed (people held only by
    // presence sensors, which do not start tracks), no false tracks.
    let (summary, truth_points) = score("quiet.toml", 3, 900);
    assert!(summary.times > 700);
    assert!(
        summary.mean_ospa_m < 15.0,
        "mean OSPA {} m",
        summary.mean_ospa_m
    );
    assert!(summary.id_swaps <= 2, "{} id swaps", summary.id_swaps);
    let missed = summary.missed_truths as f64 / truth_points as f64;
    assert!(
        missed < 0.45,
        "{:.0}% of truth points missed",
        missed * 100.0
    );
    assert!(
        summary.false_tracks <= 20,
        "{} false track points",
        summary.false_tracks
    );
}

#[test]
fn the_crowded_scenario_is_tracked_within_bounds() {
    // Groups walking in file a few metres apart are one blob to these sensors: the tracker
    // follows the group, so per-person scores are poor (measured: OSPA 28.8 m, 324 id swaps —
    // identities trading places inside groups walking in file —, 2947 of 6395 truth points
    // missed). These bounds keep it from getting worse; group tracking is the fix.
    let (summary, truth_points) = score("crowded.toml", 3, 600);
    assert!(summary.times > 400);
    assert!(
        summary.mean_ospa_m < 35.0,
        "mean OSPA {} m",
        summary.mean_ospa_m
    );
    assert!(summary.id_swaps <= 400, "{} id swaps", summary.id_swaps);
    let missed = summary.missed_truths as f64 / truth_points as f64;
    assert!(
        missed < 0.6,
        "{:.0}% of truth points missed",
        missed * 100.0
    );
}

#[test]
fn vigil_sees_the_camera_footprint_where_the_simulator_has_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/quiet.toml");
    let mut sim = SimWorld::from_scenario(&Scenario::load(&path).expect("quiet.toml"), 1);
    take_off(&mut sim, 120.0);
    let mut feed = Feed::default();
    let mut compared = 0;
    for step in 1..=1200 {
        if step == 600 {
            sim.handle(
                &command_int(
                    mav::MavCmd::MAV_CMD_DO_SET_ROI_LOCATION,
                    VILLAGE.0,
                    VILLAGE.1,
                    0.0,
                ),
                GCS,
            );
        }
        feed.step(&mut sim);
        // Once a second (after the camera's status), with the drone in the air: compare.
        if step % 10 != 0 || step < 500 {
            continue;
        }
        let (Some(ours), Some(truth)) = (
            vigil_world::footprint::camera_footprint(&feed.world.vehicles[&1], 600.0),
            sim.drones[0].footprint_en_m,
        ) else {
            continue;
        };
        for (corner, expected) in ours.corners.iter().zip(truth) {
            let got = sim.frame.to_en_m(corner.lat_deg(), corner.lon_deg());
            let error_m = (got[0] - expected[0]).hypot(got[1] - expected[1]);
            let distance_m = sim.frame.to_en_m(
                feed.world.vehicles[&1].position.expect("position").lat_deg,
                feed.world.vehicles[&1].position.expect("position").lon_deg,
            );
            let range_m = (expected[0] - distance_m[0]).hypot(expected[1] - distance_m[1]);
            // The simulated GPS wanders by a metre or so; beyond that the two must agree.
            assert!(
                error_m < 5.0 + 0.02 * range_m,
                "step {step}: corner {got:?} vs {expected:?} ({error_m} m)"
            );
        }
        compared += 1;
    }
    assert!(compared > 50, "{compared} comparisons");
}
