//! `vigil patrol` as an operator runs it: the demo's deployment (its two drones and twelve
//! ground sensors) over the demo's sites; every drone gets a loop, the plans it writes are
//! QGroundControl files that read back as valid AUTO missions that repeat, and a scenario that
//! is not there is refused, naming it.

mod common;

use std::path::Path;

#[test]
fn the_demo_deployment_gets_a_patrol_per_drone_as_plan_files() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/demo.toml");
    let output = common::vigil_command()
        .arg("patrol")
        .arg("--scenario")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("vigil patrol runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("Ambaro displacement camp"), "{text}");
    assert!(!text.contains("left out"), "{text}");
    for sysid in [1, 2] {
        let path = dir.path().join(format!("drone-{sysid}.plan"));
        let mission = vigil_mission::load_mission(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        vigil_mission::validate(&mission).expect("a valid mission");
        assert_eq!(mission.items[0].command, 22, "it takes off first");
        let jump = mission.items.last().expect("items");
        assert_eq!(
            (jump.command, jump.params[1]),
            (177, -1.0),
            "and loops for ever"
        );
        assert!(mission.items.len() > 20, "{}", mission.items.len());
    }
    let missing = common::vigil_command()
        .args(["patrol", "--scenario", "no-such-scenario.toml"])
        .output()
        .expect("vigil patrol runs");
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("no-such-scenario.toml"), "{err}");
}

/// The North track into Keradu, which no sensor of the demo watches: its last 600 m before
/// Keradu's buffer are patrolled when the area map is given, and a map that is not there is
/// refused, naming it.
#[test]
fn the_ways_into_the_sites_from_the_area_map_are_patrolled() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let plan = |basemap: Option<&str>| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut command = common::vigil_command();
        command
            .arg("patrol")
            .arg("--scenario")
            .arg(root.join("assets/scenarios/pincer.toml"))
            .arg("--sites")
            .arg(root.join("assets/demo/sites.geojson"))
            .arg("--out")
            .arg(dir.path());
        if let Some(map) = basemap {
            command.arg("--basemap").arg(root.join(map));
        }
        let output = command.output().expect("vigil patrol runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut waypoints = Vec::new();
        for sysid in [1, 2] {
            let path = dir.path().join(format!("drone-{sysid}.plan"));
            if let Ok(mission) = vigil_mission::load_mission(&path) {
                waypoints.extend(mission.items.iter().map(|i| (i.x, i.y)));
            }
        }
        waypoints
    };
    // The North track's stretch from 9.0145 to 9.0195 north (about 600 m beyond Keradu's
    // buffer): between its vertices (9.013562, 31.016825) and (9.019891, 31.015915).
    let on_north_track = |(lat, lon): &(f64, f64)| {
        (9.0145..9.0195).contains(lat) && {
            let f = (lat - 9.013562) / (9.019891 - 9.013562);
            let track_lon = 31.016825 + f * (31.015915 - 31.016825);
            ((lon - track_lon) * 110_000.0).abs() < 30.0
        }
    };
    let with_map = plan(Some("assets/demo/area.geojson"));
    let on_track = with_map.iter().filter(|w| on_north_track(w)).count();
    assert!(on_track >= 3, "{on_track} waypoints on the North track");
    let without = plan(None);
    assert_eq!(without.iter().filter(|w| on_north_track(w)).count(), 0);
    let missing = common::vigil_command()
        .arg("patrol")
        .arg("--scenario")
        .arg(root.join("assets/scenarios/pincer.toml"))
        .args(["--basemap", "no-such-map.geojson"])
        .output()
        .expect("vigil patrol runs");
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(err.contains("no-such-map.geojson"), "{err}");
}
