//! Protection benchmark: what one step of the alert rules and the coverage grid costs the
//! world thread (it runs once a second there) with the demo's 13 sites and a large watch:
//! 30 drones with cameras looking down, 300 sensor nodes, 200 tracks.
//!
//! Run with `cargo bench --bench protection` (plain `main`; it only prints figures and never
//! fails on speed). Option after `--`: `--steps N` (default 300).
//!
//! # Scenario (deterministic, a seeded generator of its own)
//! The demo area (8 km x 6 km, origin 9° N 31° E). Drones at 120 m over uniform positions,
//! camera pitched 60° down, footprints about 300 m x 250 m; sensors at uniform positions with
//! 60 m to 600 m ranges, one in three directional (90° sectors); tracks at uniform
//! positions walking at 1.2 m/s, about a third of them inside some site's buffer. The
//! drones, sensors and tracks move a little each step so that the grid and the rules do real
//! work each time. Timed: `Protection::step` and then `Protection::view` (the publication);
//! then, apart, one camera footprint (`vigil_world::footprint::camera_footprint`, computed once per drone per
//! step for the coverage grid), the largest share of a step.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use vigil_core::rng::Rng;
use vigil_core::time::TimeUs;
use vigil_fusion::TrackView;
use vigil_link::LinkId;
use vigil_protection::Protection;
use vigil_protocol::MavVersion;
use vigil_protocol::modes::Firmware;
use vigil_world::footprint::YawFrame;
use vigil_world::{
    Airframe, Attitude, Battery, CameraFov, ClassHint, GeoPoint, Gimbal, Gps, Health, Position,
    SensorFlags, SensorKind, SensorNode, Vehicle, World,
};

const START_S: f64 = 1_773_510_300.0;
const M_PER_DEG_LAT: f64 = 110_601.45;
const M_PER_DEG_LON: f64 = 109_957.94;

fn lat_lon(x_m: f64, y_m: f64) -> (f64, f64) {
    (9.0 + y_m / M_PER_DEG_LAT, 31.0 + x_m / M_PER_DEG_LON)
}

fn drone(sysid: u8, x_m: f64, y_m: f64, yaw_rad: f64, time: TimeUs) -> Vehicle {
    let (lat_deg, lon_deg) = lat_lon(x_m, y_m);
    let mut vehicle = Vehicle {
        sysid,
        compid: 1,
        link: LinkId(0),
        mavlink_version: MavVersion::V2,
        firmware: Firmware::ArduCopter,
        airframe: Airframe::Multirotor,
        mav_type: 2,
        armed: true,
        system_status: Cow::Borrowed("ACTIVE"),
        custom_mode: 4,
        mode: Cow::Borrowed("GUIDED"),
        health: Health::Fresh,
        first_heard: time,
        last_heartbeat: time,
        position: Some(Position {
            lat_deg,
            lon_deg,
            alt_msl_m: 520.0,
            alt_rel_home_m: 120.0,
            vel_ned_mps: [0.0; 3],
            heading_rad: Some(yaw_rad),
            time,
        }),
        attitude: Some(Attitude {
            yaw_rad,
            ..Attitude::default()
        }),
        hud: None,
        battery: Battery {
            remaining_pct: Some(80.0),
            ..Battery::default()
        },
        gps: Gps::default(),
        home: Some(GeoPoint {
            lat_deg,
            lon_deg,
            alt_msl_m: 400.0,
        }),
        gimbal: Some(Gimbal {
            roll_rad: 0.0,
            pitch_rad: -60f64.to_radians(),
            yaw_rad,
            yaw_frame: YawFrame::Earth,
        }),
        camera: Some(CameraFov {
            hfov_rad: 62f64.to_radians(),
            vfov_rad: 48f64.to_radians(),
            image_centre: None,
        }),
        unhealthy_sensors: 0,
        mission_current_seq: None,
        mission_last_reached_seq: None,
        detections: 0,
        integrity: Default::default(),
        link_latency: None,
        prearm_ok: None,
        footprint: None,
        footprint_at: None,
    };
    // As the world computes it on each update.
    vehicle.footprint = vigil_world::footprint::camera_footprint(
        &vehicle,
        vigil_world::footprint::DEFAULT_CAMERA_RANGE_M,
    )
    .map(std::sync::Arc::new);
    vehicle.footprint_at = Some(time);
    vehicle
}

fn sensor(sysid: u8, compid: u8, rng: &mut Rng, time: TimeUs) -> SensorNode {
    let (lat_deg, lon_deg) = lat_lon(rng.range(-4000.0, 4000.0), rng.range(-3000.0, 3000.0));
    let directional = rng.uniform() < 1.0 / 3.0;
    SensorNode {
        sysid,
        compid,
        link: LinkId(0),
        kind: if directional {
            SensorKind::Radar
        } else {
            SensorKind::Seismic
        },
        position: Some(GeoPoint {
            lat_deg,
            lon_deg,
            alt_msl_m: 400.0,
        }),
        sensing_radius_m: Some(rng.range(60.0, 600.0)),
        boresight_rad: directional.then(|| rng.range(0.0, std::f64::consts::TAU)),
        fov_rad: directional.then(|| 90f64.to_radians()),
        voltage_v: None,
        battery_pct: Some(80.0),
        flags: SensorFlags::default(),
        health: Health::Fresh,
        first_heard: time,
        last_heard: time,
        detections: 0,
        detections_missed: 0,
        last_detection_id: None,
        last_detection: None,
        recent_detections: Default::default(),
    }
}

fn main() {
    let mut steps = 300usize;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--steps")
        && let Some(n) = args.get(i + 1).and_then(|n| n.parse().ok())
    {
        steps = n;
    }
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let mut world = World::new();
    let start = TimeUs::from_secs_f64(START_S);
    let mut drones: Vec<(f64, f64, f64)> = (0..30)
        .map(|_| {
            (
                rng.range(-4000.0, 4000.0),
                rng.range(-3000.0, 3000.0),
                rng.range(0.0, std::f64::consts::TAU),
            )
        })
        .collect();
    for i in 0..300u16 {
        let (sysid, compid) = (100 + (i / 200) as u8, (i % 200) as u8 + 1);
        world.sensors.insert(
            (sysid, compid),
            Arc::new(sensor(sysid, compid, &mut rng, start)),
        );
    }
    let mut tracks: Vec<(f64, f64, f64)> = (0..200)
        .map(|_| {
            (
                rng.range(-4000.0, 4000.0),
                rng.range(-3000.0, 3000.0),
                rng.range(0.0, std::f64::consts::TAU),
            )
        })
        .collect();
    let mut protection = Protection::demo();
    let mut times_ms = Vec::with_capacity(steps);
    let mut alerts = 0;
    for step in 0..steps {
        let now = TimeUs::from_secs_f64(START_S + step as f64);
        world.time = now;
        for (i, (x, y, yaw)) in drones.iter_mut().enumerate() {
            *yaw += 0.05;
            *x += 5.0 * yaw.sin();
            *y += 5.0 * yaw.cos();
            world
                .vehicles
                .insert(i as u8 + 1, Arc::new(drone(i as u8 + 1, *x, *y, *yaw, now)));
        }
        for sensor in world.sensors.values_mut() {
            Arc::make_mut(sensor).last_heard = now;
        }
        let views: Vec<TrackView> = tracks
            .iter_mut()
            .enumerate()
            .map(|(i, (x, y, heading))| {
                *x += 1.2 * heading.sin();
                *y += 1.2 * heading.cos();
                let (lat_deg, lon_deg) = lat_lon(*x, *y);
                TrackView {
                    id: i as u64 + 1,
                    updated: now,
                    lat_deg,
                    lon_deg,
                    vel_en_mps: [1.2 * heading.sin(), 1.2 * heading.cos()],
                    std_en_m: [5.0, 5.0],
                    class: ClassHint::Person,
                    count: None,
                    observable: true,
                }
            })
            .collect();
        let started = Instant::now();
        alerts += protection.step(&world, &views, now).len();
        let view = protection.view();
        times_ms.push(started.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(view);
    }
    // What part of it is the cameras' footprints (computed once per drone per step).
    let started = Instant::now();
    let mut footprints = 0;
    for _ in 0..10 {
        for vehicle in world.vehicles.values() {
            footprints +=
                usize::from(vigil_world::footprint::camera_footprint(vehicle, 1000.0).is_some());
        }
    }
    let footprint_us = started.elapsed().as_secs_f64() * 1e6 / (10 * world.vehicles.len()) as f64;
    println!("one camera footprint: {footprint_us:.0} µs ({footprints} computed)");
    times_ms.sort_by(f64::total_cmp);
    let at = |q: f64| times_ms[((times_ms.len() - 1) as f64 * q).round() as usize];
    let view = protection.view();
    println!(
        "protection step + view, 13 sites, 30 drones, 300 sensors, 200 tracks, {} x {} cells of {} m: \
         median {:.2} ms, p90 {:.2} ms, max {:.2} ms over {steps} steps; {alerts} alerts raised, {} kept",
        view.coverage.cols,
        view.coverage.rows,
        view.coverage.cell_m,
        at(0.5),
        at(0.9),
        at(1.0),
        view.alerts.len()
    );
}
