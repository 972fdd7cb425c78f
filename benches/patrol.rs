//! Patrol planner benchmark (issue #18: "a demo-sized mission (2 drones, 13 sites) in under
//! 1 s and a large one (20 drones, 200 sites, 500 sensors) in under 10 s, without holding up
//! the world thread"): the time `vigil_protection::patrol::plan` takes on the demo's
//! deployment (assets/scenarios/demo.toml's drones and sensors, the demo's sites) and on a
//! generated large one, beside the same plan with the first version's cut (one Hilbert curve
//! over every drone, whatever its base), without the balancing step (the first cut's arcs as
//! they are) and with each point passed once a round (`one pass`: no loop comes back to its
//! heaviest points between stretches of the rest), with the worst weighted revisit interval,
//! the sites left unpatrolled and the drones left out of each; and on the demo's plane
//! patrolling alone while an alert is up at the camp (`threat`: its copter sent to the alert).
//! It prints figures and never fails on them.
//!
//! Run with `cargo bench --bench patrol`. Option after `--`: `--seed N` (default 1).
//!
//! The large case (a seeded generator of its own): 200 point sites over 40 km × 40 km (a
//! category drawn per site, buffers of 200-800 m), 500 sensors (60-600 m discs), 20 drones at
//! four bases (copters at 10 m/s with 26 minutes, planes at 18 m/s with 68), swaths of 150 m.

use std::path::Path;
use std::time::Instant;

use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_core::rng::Rng;
use vigil_protection::patrol::{PatrolDrone, PatrolInput, PlanSteps, SensorCover, plan_with};
use vigil_protection::sites::{Site, SiteCategory};
use vigil_protection::{LatLon, SiteSet};

fn demo() -> PatrolInput {
    let scenario = vigil_sim::Scenario::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/demo.toml"),
    )
    .unwrap_or_else(|e| panic!("the demo scenario: {e}"));
    PatrolInput {
        sites: SiteSet::demo().sites,
        sensors: scenario
            .sensors
            .iter()
            .map(|s| SensorCover {
                at: LatLon {
                    lat_deg: s.position.lat_deg,
                    lon_deg: s.position.lon_deg,
                },
                radius_m: s.radius_m,
                sector_rad: s
                    .boresight_deg
                    .filter(|_| s.fov_deg < 360.0)
                    .map(|b| (b.to_radians(), s.fov_deg.to_radians())),
            })
            .collect(),
        drones: scenario
            .drones
            .iter()
            .map(|d| PatrolDrone {
                sysid: d.sysid,
                home: LatLon {
                    lat_deg: d.home.lat_deg,
                    lon_deg: d.home.lon_deg,
                },
                speed_mps: if d.kind == vigil_sim::scenario::DroneKind::FixedWing {
                    18.0
                } else {
                    10.0
                },
                endurance_s: 0.75 * d.endurance_min * 60.0,
                swath_m: 150.0,
            })
            .collect(),
        ways: vigil_protection::predict::demo_ways(),
        alt_rel_m: 120.0,
        night: false,
        threatened: Vec::new(),
    }
}

fn large(seed: u64) -> PatrolInput {
    let mut rng = Rng::new(seed);
    let frame = LocalFrame::new(Geodetic::from_deg(9.0, 31.0, 0.0));
    let at = |rng: &mut Rng| {
        let g = frame.geodetic_from_enu(&nalgebra::Vector3::new(
            rng.range(-20_000.0, 20_000.0),
            rng.range(-20_000.0, 20_000.0),
            0.0,
        ));
        LatLon {
            lat_deg: g.lat_deg(),
            lon_deg: g.lon_deg(),
        }
    };
    let categories = [
        SiteCategory::Village,
        SiteCategory::Camp,
        SiteCategory::School,
        SiteCategory::Clinic,
        SiteCategory::Market,
        SiteCategory::WaterPoint,
    ];
    let sites = (0..200)
        .map(|i| {
            let centre = at(&mut rng);
            Site {
                id: i,
                feature_id: None,
                name: format!("site {i}"),
                category: categories[rng.below(categories.len())],
                population: None,
                buffer_m: rng.range(200.0, 800.0),
                sensitive: rng.chance(0.1),
                outline: vec![vec![centre]],
                centre,
                buffer: Vec::new(),
            }
        })
        .collect();
    let sensors = (0..500)
        .map(|_| SensorCover {
            at: at(&mut rng),
            radius_m: rng.range(60.0, 600.0),
            sector_rad: None,
        })
        .collect();
    let bases: Vec<LatLon> = (0..4).map(|_| at(&mut rng)).collect();
    let drones = (0..20)
        .map(|i| {
            let plane = i % 3 == 0;
            PatrolDrone {
                sysid: i as u8 + 1,
                home: bases[i % 4],
                speed_mps: if plane { 18.0 } else { 10.0 },
                endurance_s: if plane { 68.0 * 60.0 } else { 26.0 * 60.0 },
                swath_m: 150.0,
            }
        })
        .collect();
    PatrolInput {
        sites,
        sensors,
        drones,
        ways: Vec::new(),
        alt_rel_m: 120.0,
        night: false,
        threatened: Vec::new(),
    }
}

fn report(name: &str, input: &PatrolInput) {
    let steps = |follow_bases, balance, move_places, interleave| PlanSteps {
        follow_bases,
        balance,
        move_places,
        interleave,
    };
    for (label, steps) in [
        ("planner", steps(true, true, true, true)),
        ("one pass", steps(true, true, true, false)),
        ("no moves", steps(true, true, false, false)),
        ("one curve", steps(false, true, true, false)),
        ("no balancing", steps(true, false, false, false)),
    ] {
        let started = Instant::now();
        let plan = match plan_with(input, steps) {
            Ok(plan) => plan,
            Err(err) => {
                println!("{name:<8} {label:<13} no plan: {err}");
                continue;
            }
        };
        let took = started.elapsed().as_secs_f64();
        let unpatrolled = plan
            .sites
            .iter()
            .filter(|s| s.revisit_s.is_none() && s.sensor_covered < s.points)
            .count();
        println!(
            "{name:<8} {label:<13} {:>4} drones {:>4} sites {:>9.3} s  worst weighted revisit {:>6.0} min  {:>3} sites unpatrolled  {:>5} points beyond batteries  {} drones left out",
            input.drones.len(),
            input.sites.len(),
            took,
            plan.worst_weighted_s / 60.0,
            unpatrolled,
            plan.unpatrolled_points,
            plan.left_out.len()
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = args
        .iter()
        .position(|a| a == "--seed")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    report("demo", &demo());
    // The demo with its copter sent to an alert at the camp: the plane patrols alone, the
    // camp weighing three times more (`PatrolInput::threatened`).
    let mut alone = demo();
    alone.drones.retain(|d| d.speed_mps > 10.0);
    alone.threatened = alone
        .sites
        .iter()
        .filter(|s| s.name == "Ambaro displacement camp")
        .map(|s| s.id)
        .collect();
    report("threat", &alone);
    report("large", &large(seed));
}
