//! The console's cost per frame on the UI thread, with a big picture on screen: 50 drones and 500
//! sensor nodes (a simulated world fed through Vigil's world model), 2,000 tracks and 200
//! protected sites, every layer on, at 1920×1080. Each frame is built (all panels and the map)
//! and tessellated into triangles, as eframe does before handing them to the GPU; the figures are
//! p50 and p99 of each, and the ratio to the same console with an empty world measured in the
//! same run (the fixed cost of egui and the panels). Run with `cargo bench --bench console`; it
//! prints figures and never fails on speed.

mod common;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use vigil_console::{ConsoleApp, ConsoleOptions};
use vigil_fusion::TrackView;
use vigil_link::{Envelope, LinkId, RxStamp};
use vigil_protection::{LatLon, ProtectionView, Site, SiteCategory};
use vigil_protocol::{FrameEncoder, MavVersion};
use vigil_sim::{Scenario, SimWorld};
use vigil_station::{GroundStation, Snapshot};
use vigil_world::{ClassHint, World};

const FRAMES: usize = 300;
const WARM_UP: usize = 20;
const DRONES: u32 = 50;
const SENSORS: u32 = 500;
const TRACKS: usize = 2000;
const SITES: usize = 200;

/// A world of `DRONES` drones in the air and `SENSORS` nodes, after 20 simulated seconds.
fn busy_world() -> World {
    let text = common::scenario(DRONES, SENSORS, 50);
    let scenario = Scenario::parse(&text, Path::new("bench.toml")).expect("a valid scenario");
    let mut sim = SimWorld::from_scenario(&scenario, 1);
    for drone in &mut sim.drones {
        drone.vehicle.armed = true;
        drone.vehicle.alt_rel_m = 80.0;
    }
    let mut world = World::new();
    let mut encoders = BTreeMap::new();
    let steps = (20.0 / vigil_sim::world::STEP.as_secs_f64()) as u32;
    for _ in 0..steps {
        for emission in sim.step() {
            let encoder = encoders
                .entry((emission.sysid, emission.compid))
                .or_insert_with(|| FrameEncoder::new(emission.sysid, emission.compid));
            let Ok(frame) = encoder.encode(&emission.message, MavVersion::V2) else {
                continue;
            };
            let Ok(message) = frame.decode() else {
                continue;
            };
            world.apply(&Envelope {
                link: LinkId(0),
                rx: RxStamp {
                    time: sim.now,
                    mono: Instant::now(),
                },
                frame,
                message,
            });
        }
        world.tick(sim.now);
    }
    world
}

/// `TRACKS` tracks spread over the same area, moving, with uncertainty.
fn tracks(world: &World) -> Vec<TrackView> {
    (0..TRACKS)
        .map(|i| {
            let k = (i * 7919) % 9409;
            TrackView {
                id: i as u64,
                updated: world.time,
                lat_deg: 9.0 + (k % 97) as f64 * 5.5e-4,
                lon_deg: 31.0 + (k / 97) as f64 * 5.5e-4,
                vel_en_mps: [((i % 7) as f64 - 3.0) * 0.6, ((i % 5) as f64 - 2.0) * 0.7],
                std_en_m: [5.0 + (i % 11) as f64, 4.0 + (i % 13) as f64],
                class: [ClassHint::Person, ClassHint::Vehicle, ClassHint::Unknown][i % 3],
                count: Some(1 + (i % 4) as u32),
                // One in ten coasting unobserved, drawn apart.
                observable: i % 10 != 0,
            }
        })
        .collect()
}

/// `SITES` protected places (octagons with a buffer ring) spread over the same area.
fn sites() -> ProtectionView {
    let ring = |lat: f64, lon: f64, r_m: f64| -> Vec<LatLon> {
        (0..=8)
            .map(|k| {
                let a = f64::from(k) / 8.0 * std::f64::consts::TAU;
                LatLon {
                    lat_deg: lat + r_m * a.cos() / 111_320.0,
                    lon_deg: lon + r_m * a.sin() / (111_320.0 * lat.to_radians().cos()),
                }
            })
            .collect()
    };
    let sites = (0..SITES)
        .map(|i| {
            let k = (i * 104_729) % 9409;
            let (lat, lon) = (
                9.0 + (k % 97) as f64 * 5.5e-4,
                31.0 + (k / 97) as f64 * 5.5e-4,
            );
            Site {
                id: i as u32,
                feature_id: None,
                name: format!("Site {i}"),
                category: [
                    SiteCategory::Village,
                    SiteCategory::School,
                    SiteCategory::WaterPoint,
                ][i % 3],
                population: Some(100 + i as u32),
                buffer_m: 300.0,
                sensitive: i % 10 == 0,
                outline: vec![ring(lat, lon, 80.0)],
                centre: LatLon {
                    lat_deg: lat,
                    lon_deg: lon,
                },
                buffer: vec![ring(lat, lon, 380.0)],
            }
        })
        .collect();
    ProtectionView {
        revision: 1,
        sites: Arc::new(sites),
        ..ProtectionView::default()
    }
}

struct Figures {
    build: Vec<Duration>,
    tessellate: Vec<Duration>,
    triangles: usize,
}

fn percentile(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn measure(snapshot: Snapshot) -> Figures {
    let ctx = egui::Context::default();
    let station = GroundStation::fixed(snapshot);
    let mut app = ConsoleApp::new(station, ConsoleOptions::default(), &ctx);
    app.show_everything();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1920.0, 1080.0));
    let mut figures = Figures {
        build: Vec::new(),
        tessellate: Vec::new(),
        triangles: 0,
    };
    for frame in 0..FRAMES + WARM_UP {
        let input = egui::RawInput {
            screen_rect: Some(screen),
            time: Some(frame as f64 / 60.0),
            ..Default::default()
        };
        let started = Instant::now();
        let output = ctx.run_ui(input, |ui| app.show(ui));
        let built = started.elapsed();
        let started = Instant::now();
        let meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
        let tessellated = started.elapsed();
        if frame >= WARM_UP {
            figures.build.push(built);
            figures.tessellate.push(tessellated);
            figures.triangles = meshes
                .iter()
                .map(|m| match &m.primitive {
                    egui::epaint::Primitive::Mesh(mesh) => mesh.indices.len() / 3,
                    egui::epaint::Primitive::Callback(_) => 0,
                })
                .sum();
        }
        black_box(meshes);
    }
    figures
}

fn main() {
    let world = busy_world();
    let tracks = tracks(&world);
    let mut busy = Snapshot {
        seq: 1,
        tracks: Arc::new(tracks),
        protection: Arc::new(sites()),
        ..Snapshot::default()
    };
    println!(
        "{} drones, {} sensor nodes, {} tracks, {} protected sites; {FRAMES} frames at 1920x1080",
        world.vehicles.len(),
        world.sensors.len(),
        busy.tracks.len(),
        busy.protection.sites.len()
    );
    // The world thread computes the footprints (at most every FOOTPRINT_PERIOD) and
    // publishes them: the console only draws them. Their cost, on the world thread:
    let started = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        busy.footprints = Arc::new(vigil_fusion::footprints_of(&world));
    }
    println!(
        "camera footprints of {} drones: {:.2} ms on the world thread every {} ms",
        busy.footprints.len(),
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds),
        vigil_world::footprint::FOOTPRINT_PERIOD.as_millis()
    );
    busy.world = world;
    let empty = measure(Snapshot::default());
    let full = measure(busy);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:<22} {:>10} {:>10} {:>14} {:>14} {:>10}",
        "", "build p50", "build p99", "tessellate p50", "tessellate p99", "triangles"
    );
    for (name, f) in [("empty world (peer)", &empty), ("busy world", &full)] {
        println!(
            "{name:<22} {:>8.2}ms {:>8.2}ms {:>12.2}ms {:>12.2}ms {:>10}",
            ms(percentile(&f.build, 0.5)),
            ms(percentile(&f.build, 0.99)),
            ms(percentile(&f.tessellate, 0.5)),
            ms(percentile(&f.tessellate, 0.99)),
            f.triangles
        );
    }
    let total = |f: &Figures, p| ms(percentile(&f.build, p)) + ms(percentile(&f.tessellate, p));
    println!(
        "busy frame: p50 {:.2} ms, p99 {:.2} ms of the 16.7 ms budget at 60 Hz; {:.1}x the empty console's p50",
        total(&full, 0.5),
        total(&full, 0.99),
        total(&full, 0.5) / total(&empty, 0.5)
    );
}
