//! `vigil run` without a link simulates in-process: the built-in demo or a scenario file, at
//! the speed asked for, so that an operator trying Vigil sees the armed group in minutes.

mod common;

#[test]
fn the_demo_runs_at_the_speed_asked_for() {
    let output = common::vigil_command()
        .args([
            "run",
            "--headless",
            "--no-record",
            "--speed",
            "20",
            "--duration",
            "3",
        ])
        .output()
        .expect("vigil run runs");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("simulating the scenario \"Night approach\" in-process at 20x"),
        "{said}"
    );
}

#[test]
fn a_scenario_file_is_simulated_and_refused_beside_a_link() {
    let scenario =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/quiet.toml");
    let output = common::vigil_command()
        .args([
            "run",
            "--headless",
            "--no-record",
            "--duration",
            "2",
            "--scenario",
        ])
        .arg(&scenario)
        .output()
        .expect("vigil run runs");
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("simulating the scenario"), "{said}");
    let refused = common::vigil_command()
        .args([
            "run",
            "--headless",
            "--link",
            "udpin:127.0.0.1:0",
            "--speed",
            "5",
        ])
        .output()
        .expect("vigil run runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("without --link"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
