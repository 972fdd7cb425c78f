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

/// A session keeps the sites, rules and ways it ran with (sealed with it), and its replay
/// judges with them: the alerts the live run raised, raised again.
#[test]
fn a_replay_judges_with_the_sessions_own_sites_and_rules() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let rules = dir.path().join("quick.toml");
    std::fs::write(&rules, "[unobserved]\nmax_unobserved_s = 20.0\n").expect("written");
    let session = dir.path().join("session");
    let live = common::vigil_command()
        .args(["run", "--headless", "--speed", "10", "--duration", "8"])
        .arg("--rules")
        .arg(&rules)
        .arg("--session-dir")
        .arg(&session)
        .output()
        .expect("vigil run runs");
    let said = String::from_utf8_lossy(&live.stdout).into_owned();
    assert!(live.status.success(), "{said}");
    for kept in ["sites.geojson", "rules.toml", "ways.geojson"] {
        assert!(session.join(kept).is_file(), "{kept} not kept");
    }
    assert_eq!(
        std::fs::read_to_string(session.join("rules.toml")).expect("kept rules"),
        "[unobserved]\nmax_unobserved_s = 20.0\n"
    );
    let alerts = |text: &str| {
        text.lines()
            .rev()
            .find_map(|l| l.split(" | alerts ").nth(1).map(str::to_owned))
    };
    let live_alerts = alerts(&said).unwrap_or_else(|| panic!("no alerts live: {said}"));
    let verify = common::vigil_command()
        .arg("verify")
        .arg(&session)
        .output()
        .expect("vigil verify runs");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );

    let replay = common::vigil_command()
        .args(["replay", "--headless", "--fast"])
        .arg(session.join("telemetry.tlog"))
        .output()
        .expect("vigil replay runs");
    let replayed = String::from_utf8_lossy(&replay.stdout).into_owned();
    assert!(replay.status.success(), "{replayed}");
    let replay_alerts =
        alerts(&replayed).unwrap_or_else(|| panic!("no alerts in the replay: {replayed}"));
    let open = |s: &str| s.split(' ').next().unwrap_or_default().to_owned();
    assert_eq!(
        open(&live_alerts),
        open(&replay_alerts),
        "live {live_alerts} | replay {replay_alerts}"
    );

    // The kept rules are sealed: changed, the session no longer verifies.
    std::fs::write(
        session.join("rules.toml"),
        "[unobserved]\nmax_unobserved_s = 1.0\n",
    )
    .expect("written");
    let verify = common::vigil_command()
        .arg("verify")
        .arg(&session)
        .output()
        .expect("vigil verify runs");
    let report = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(verify.status.code(), Some(1), "{report}");
    assert!(report.contains("rules.toml"), "{report}");
}
