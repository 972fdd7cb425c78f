//! `vigil patrol --scenario FILE --out DIR`: patrols that close the ground sensors' gaps
//! (`vigil_protection::patrol`), planned from a deployment described as a simulator scenario
//! (its drones with their airframe, battery, endurance and camera; its ground sensors with
//! their ranges) over the protected sites (`--sites`, or the demo's) and the ways into them
//! (`--basemap`'s roads, tracks and paths, or the demo's). Prints each drone's loop
//! and each site's expected revisit interval, and writes one QGroundControl `.plan` per drone
//! (`DIR/drone-N.plan`), which `vigil cmd upload` puts on the vehicle as its AUTO mission.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use vigil_protection::patrol::{PatrolDrone, PatrolInput, SensorCover, plan};
use vigil_protection::rules::RulesConfig;
use vigil_protection::{LatLon, SiteSet};
use vigil_sim::Scenario;
use vigil_sim::scenario::DroneKind;

#[derive(Debug, clap::Args)]
pub struct PatrolArgs {
    /// The deployment: a simulator scenario's drones and sensors (assets/scenarios/FORMAT.md).
    #[arg(long, value_name = "FILE")]
    scenario: PathBuf,
    /// Protected places (GeoJSON); default: the demo's.
    #[arg(long, value_name = "FILE")]
    sites: Option<PathBuf>,
    /// The area map (GeoJSON) whose roads, tracks and paths lead into the sites: their last
    /// stretches are patrolled too; default: the demo's, with the demo's sites.
    #[arg(long, value_name = "FILE")]
    basemap: Option<PathBuf>,
    /// Patrol height above home, m.
    #[arg(long, value_name = "M", default_value_t = 120.0)]
    alt_rel_m: f64,
    /// Weigh places as at night (villages and camps more).
    #[arg(long)]
    night: bool,
    /// Write each drone's mission here as drone-N.plan.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

/// A drone's cruise speed for the plan, m/s (copters 10, planes 18: as "send a drone").
fn speed_mps(kind: DroneKind) -> f64 {
    vigil_protection::dispatch::cruise_speed_mps(match kind {
        DroneKind::Multirotor => vigil_world::Airframe::Multirotor,
        DroneKind::FixedWing => vigil_world::Airframe::FixedWing,
    })
}

/// The width of ground a camera sees straight across at `alt_rel_m`, pitched down, m: the
/// horizontal field of view at the slant range to the centre of the view.
fn swath_m(hfov_deg: f64, pitch_deg: f64, alt_rel_m: f64) -> f64 {
    let down = pitch_deg.abs().clamp(10.0, 90.0).to_radians();
    let slant_m = alt_rel_m / down.sin();
    2.0 * slant_m * (hfov_deg.to_radians() / 2.0).tan()
}

pub fn run(args: &PatrolArgs) -> Result<()> {
    let scenario = Scenario::load(&args.scenario).map_err(|e| anyhow::anyhow!("--scenario {e}"))?;
    let sites = match &args.sites {
        Some(path) => SiteSet::load(path).map_err(|e| anyhow::anyhow!("--sites {e}"))?,
        None => SiteSet::demo(),
    };
    let ways = match (&args.basemap, &args.sites) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--basemap {}", path.display()))?;
            vigil_protection::predict::parse_ways(&text, &path.display().to_string())
                .map_err(|e| anyhow::anyhow!("--basemap {e}"))?
        }
        (None, None) => vigil_protection::predict::demo_ways(),
        (None, Some(_)) => Vec::new(),
    };
    if !(args.alt_rel_m.is_finite() && args.alt_rel_m > 0.0) {
        bail!(
            "--alt-rel-m {}: must be a height above zero",
            args.alt_rel_m
        );
    }
    let reserve_pct = RulesConfig::builtin().dispatch.reserve_pct;
    let drones: Vec<PatrolDrone> = scenario
        .drones
        .iter()
        .filter_map(|d| {
            let camera = d.camera?;
            Some(PatrolDrone {
                sysid: d.sysid,
                home: LatLon {
                    lat_deg: d.home.lat_deg,
                    lon_deg: d.home.lon_deg,
                },
                speed_mps: speed_mps(d.kind),
                endurance_s: (d.battery_pct - reserve_pct).max(0.0) / 100.0
                    * d.endurance_min
                    * 60.0,
                swath_m: swath_m(camera.hfov_deg, camera.pitch_deg, args.alt_rel_m),
            })
        })
        .collect();
    let sensors = scenario
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
        .collect();
    let input = PatrolInput {
        sites: sites.sites,
        sensors,
        drones,
        ways,
        alt_rel_m: args.alt_rel_m,
        night: args.night,
        threatened: Vec::new(),
    };
    let started = std::time::Instant::now();
    let plan = plan(&input).with_context(|| format!("{}", args.scenario.display()))?;
    let took = started.elapsed();
    print!("{}", table(&plan));
    println!("planned in {:.0} ms", took.as_secs_f64() * 1e3);
    if let Some(dir) = &args.out {
        write_plans(dir, &plan, &scenario)?;
    }
    if plan.loops.is_empty() {
        bail!("no drone can fly a patrol");
    }
    Ok(())
}

fn table(plan: &vigil_protection::patrol::PatrolPlan) -> String {
    let mut out = String::new();
    for l in &plan.loops {
        out.push_str(&format!(
            "drone {}: loop {:.1} km, {:.0} min round, {} waypoints, highest weight {:.1}\n",
            l.sysid,
            l.length_m / 1000.0,
            l.period_s / 60.0,
            l.waypoints.len(),
            l.weight
        ));
    }
    for (sysid, why) in &plan.left_out {
        out.push_str(&format!("drone {sysid}: left out: {why}\n"));
    }
    out.push_str(
        "site                                   weight  revisit  approaches (sensor-covered)\n",
    );
    for s in &plan.sites {
        let revisit = match s.revisit_s {
            Some(r) => format!("{:.0} min", r / 60.0),
            None if s.points == s.sensor_covered => "sensors".to_owned(),
            None => "none".to_owned(),
        };
        out.push_str(&format!(
            "{:<38} {:>6.1} {:>8}  {} ({})\n",
            s.site, s.weight, revisit, s.points, s.sensor_covered
        ));
    }
    if plan.unpatrolled_points > 0 {
        out.push_str(&format!(
            "{} approach points beyond the drones' batteries (the least weighted)\n",
            plan.unpatrolled_points
        ));
    }
    out.push_str(&format!(
        "worst weighted revisit: {:.0} min\n",
        plan.worst_weighted_s / 60.0
    ));
    out
}

fn write_plans(
    dir: &Path,
    plan: &vigil_protection::patrol::PatrolPlan,
    scenario: &Scenario,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("--out {}", dir.display()))?;
    for l in &plan.loops {
        let Some(drone) = scenario.drones.iter().find(|d| d.sysid == l.sysid) else {
            continue;
        };
        let home = vigil_mission::GeoPoint {
            lat_deg: drone.home.lat_deg,
            lon_deg: drone.home.lon_deg,
            alt_m: drone.home.alt_msl_m,
        };
        let mission = l.mission(home);
        if let Err(problems) = vigil_mission::validate(&mission) {
            bail!(
                "drone {}: the planned mission is not valid: {}",
                l.sysid,
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
        let path = dir.join(format!("drone-{}.plan", l.sysid));
        vigil_mission::save_mission(&path, &mission)
            .with_context(|| format!("{}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_camera_pitched_down_sees_a_swath_that_grows_with_height() {
        // 62° across, straight down from 100 m: 2 × 100 × tan 31° = 120 m.
        assert!((swath_m(62.0, -90.0, 100.0) - 120.2).abs() < 0.5);
        assert!(swath_m(62.0, -60.0, 100.0) > swath_m(62.0, -90.0, 100.0));
        assert!(swath_m(62.0, -90.0, 200.0) > swath_m(62.0, -90.0, 100.0));
    }
}
