//! How much world one core simulates in real time: worlds of growing size (drones, sensor
//! nodes, movers) stepped on the calling thread with every message framed as the runner does,
//! reported as simulated seconds per wall second (the real-time factor) and as frames per
//! second. Run with `cargo bench --bench sim`; it prints figures and never fails on speed.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use vigil::protocol::{FrameEncoder, MavVersion};
use vigil::sim::{Scenario, SimWorld};

/// Simulated time per measurement.
const SIMULATED: Duration = Duration::from_secs(120);

/// A scenario text with `drones` drones, `sensors` radar/seismic nodes and `movers` people
/// walking loops, spread over a 6 km square.
fn scenario(drones: u32, sensors: u32, movers: u32) -> String {
    let mut text =
        String::from("[scenario]\nname = \"bench\"\nstart_utc = \"2026-03-14T12:00:00Z\"\n");
    let at = |i: u32, n: u32, salt: u32| {
        let k = (i * 7919 + salt * 104_729) % (n.max(1) * 97);
        (
            9.0 + f64::from(k % 97) * 5.5e-4,
            31.0 + f64::from(k / 97 % 97) * 5.5e-4,
        )
    };
    for i in 0..drones {
        let (lat, lon) = at(i, drones, 1);
        let _ = write!(
            text,
            "[[drone]]\nsysid = {}\nkind = \"{}\"\nhome = {{ lat_deg = {lat}, lon_deg = {lon}, alt_msl_m = 400.0 }}\ncamera = {{ hfov_deg = 60.0, vfov_deg = 45.0, pitch_deg = -60.0, range_m = 600.0 }}\n",
            i + 1,
            if i % 2 == 0 {
                "multirotor"
            } else {
                "fixed_wing"
            }
        );
    }
    for i in 0..sensors {
        let (lat, lon) = at(i, sensors, 2);
        let kind = ["radar", "seismic", "pir"][i as usize % 3];
        let _ = write!(
            text,
            "[[sensor]]\nsysid = {}\ncompid = {}\nkind = \"{kind}\"\nposition = {{ lat_deg = {lat}, lon_deg = {lon} }}\nradius_m = 300.0\npd = 0.9\nfalse_alarms_per_hour = 1.0\n",
            100 + i % 150,
            1 + i / 150
        );
    }
    for i in 0..movers {
        let (lat, lon) = at(i, movers, 3);
        let _ = write!(
            text,
            "[[mover]]\nid = \"m{i}\"\nkind = \"person\"\nspeed_mps = 1.3\nloop = true\nroute = [{{ lat_deg = {lat}, lon_deg = {lon} }}, {{ lat_deg = {}, lon_deg = {} }}]\n",
            lat + 0.004,
            lon + 0.003
        );
    }
    text
}

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
    let steps = (SIMULATED.as_secs_f64() / vigil::sim::world::STEP.as_secs_f64()) as u32;
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
