//! How much world one core simulates in real time: worlds of growing size (drones, sensor
//! nodes, movers) stepped on the calling thread with every message framed as the runner does,
//! reported as simulated seconds per wall second (the real-time factor) and as frames per
//! second. Run with `cargo bench --bench sim`; it prints figures and never fails on speed.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

mod common;

use common::scenario;
use vigil_protocol::{FrameEncoder, MavVersion};
use vigil_sim::{Scenario, SimWorld};

/// Simulated time per measurement.
const SIMULATED: Duration = Duration::from_secs(120);

struct Figures {
    realtime_factor: f64,
    frames_per_s: f64,
    frames: u64,
}

fn measure(drones: u32, sensors: u32, movers: u32) -> Figures {
    let text = scenario(drones, sensors, movers);
    let scenario =
        Scenario::parse(&text, Path::new("bench.toml")).expect("the generated scenario is valid");
    let mut world = SimWorld::from_scenario(&scenario, 1);
    // Put the drones in the air so that cameras work.
    for drone in &mut world.drones {
        drone.vehicle.armed = true;
        drone.vehicle.alt_rel_m = 80.0;
    }
    let mut encoders = std::collections::BTreeMap::new();
    let steps = (SIMULATED.as_secs_f64() / vigil_sim::world::STEP.as_secs_f64()) as u32;
    let mut frames = 0u64;
    let started = Instant::now();
    for _ in 0..steps {
        for emission in world.step() {
            let encoder = encoders
                .entry((emission.sysid, emission.compid))
                .or_insert_with(|| FrameEncoder::new(emission.sysid, emission.compid));
            if let Ok(frame) = encoder.encode(&emission.message, MavVersion::V2) {
                black_box(frame);
                frames += 1;
            }
        }
        if world.now.0.is_multiple_of(1_000_000) {
            black_box(world.truth());
        }
    }
    let wall_s = started.elapsed().as_secs_f64();
    Figures {
        realtime_factor: SIMULATED.as_secs_f64() / wall_s,
        frames_per_s: frames as f64 / wall_s,
        frames,
    }
}

fn main() {
    println!(
        "simulated {} s per row, one core, every message framed, ground truth each second",
        SIMULATED.as_secs()
    );
    println!(
        "{:>7} {:>8} {:>7} {:>14} {:>14} {:>10}",
        "drones", "sensors", "movers", "x real time", "frames/s", "frames"
    );
    let mut json = Vec::new();
    for (drones, sensors, movers) in [
        (2, 12, 100),
        (10, 50, 500),
        (20, 200, 1000),
        (50, 500, 5000),
    ] {
        let figures = measure(drones, sensors, movers);
        println!(
            "{drones:>7} {sensors:>8} {movers:>7} {:>14.1} {:>14.0} {:>10}",
            figures.realtime_factor, figures.frames_per_s, figures.frames
        );
        json.push(format!(
            "{{\"drones\":{drones},\"sensors\":{sensors},\"movers\":{movers},\"realtime_factor\":{:.2},\"frames_per_s\":{:.0}}}",
            figures.realtime_factor, figures.frames_per_s
        ));
    }
    println!("{{\"bench\":\"sim\",\"rows\":[{}]}}", json.join(","));
}
