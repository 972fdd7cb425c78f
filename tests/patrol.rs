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
