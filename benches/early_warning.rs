//! Early-warning benchmark (issue #18): how well the alert rules protect civilians on each
//! scenario with armed movers, measured the way anyone can: `vigil sim --scenario S --truth
//! T.csv` over UDP into `vigil run --headless` (the demo's sites and area map), then `vigil
//! score --truth T.csv --json` on the recorded session. Each scenario runs four times: with
//! the patrol planner flying the scenario's drones and cueing them to warnings about movers
//! (`vigil run --patrol --cue`), with the patrols alone and no other operator action
//! (`vigil run --patrol`), with today's rules and the drones left on the ground, and with the
//! first
//! version's rules (every track treated as from outside, the old severities:
//! `FIRST_VERSION_RULES`); the figures are printed side by side with the targets,
//! with how many sites had every way in watched at some time and, over those, the median of
//! the longest time any way in went unwatched. It prints figures and never fails on them.
//!
//! Run with `cargo bench --bench early_warning`. Options after `--`: `--speed X` (simulated
//! seconds per real second, default 60), `--scenario FILE` (repeatable; default every
//! scenario in `assets/scenarios/` with an armed mover), `--seconds S` (default each
//! scenario's duration), `--runs N` (each row N times, default 1: runs vary, the drones'
//! paths with the timing of the station's answers), `--only LABEL` (one of the four runs,
//! e.g. `--only "patrols + cue"`).
//!
//! Without `--patrol` no drone flies: entries where no ground sensor sees the movers are
//! missed; those rows say how much the ground sensors and the rules alone achieve.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The first version's behaviour, as rules: every track from outside (residents raise
/// alerts), approaches as information, gatherings and night activity whatever the speed.
const FIRST_VERSION_RULES: &str = "\
[residents]
enabled = false
[approach]
severity = \"info\"
[gathering]
near_severity = \"warning\"
max_speed_mps = 1000.0
[night_activity]
max_speed_mps = 1000.0
[buffer_intrusion]
group_severity = \"warning\"
";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Options {
    speed: f64,
    scenarios: Vec<PathBuf>,
    seconds: Option<f64>,
    runs: usize,
    only: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        speed: 60.0,
        scenarios: Vec::new(),
        seconds: None,
        runs: 1,
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--speed" => options.speed = value.parse().unwrap_or(options.speed),
            "--scenario" => options.scenarios.push(PathBuf::from(value)),
            "--seconds" => options.seconds = value.parse().ok(),
            "--runs" => options.runs = value.parse().unwrap_or(1).max(1),
            "--only" => options.only = Some(value),
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    if options.scenarios.is_empty() {
        let mut found: Vec<PathBuf> = std::fs::read_dir(repo().join("assets/scenarios"))
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        found.retain(|p| {
            p.extension().is_some_and(|e| e == "toml")
                && std::fs::read_to_string(p).is_ok_and(|t| t.contains("armed = true"))
        });
        found.sort();
        options.scenarios = found;
    }
    options
}

fn vigil(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
    command
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("VIGIL_SIGNING_KEY");
    command
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .unwrap_or(14_650)
}

/// Records one run of a scenario with a rules file and scores it; the score's JSON.
fn run(
    scenario: &Path,
    rules: &Path,
    patrol: &[&str],
    options: &Options,
    dir: &Path,
) -> Result<Value, String> {
    let (session, truth) = (dir.join("session"), dir.join("truth.csv"));
    let port = free_port();
    let sites = repo().join("assets/demo/sites.geojson");
    let area = repo().join("assets/demo/area.geojson");
    let mut station = vigil(dir)
        .args(["run", "--headless", "--link"])
        .arg(format!("udpin:127.0.0.1:{port}"))
        .arg("--sites")
        .arg(&sites)
        .arg("--basemap")
        .arg(&area)
        .arg("--rules")
        .arg(rules)
        .arg("--session-dir")
        .arg(&session)
        .args(patrol)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("vigil run: {e}"))?;
    let stdout = station.stdout.take().ok_or("no stdout")?;
    // Bounded: one message says the station records; the status lines are only drained.
    let (ready, up) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("bench-run-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("recording to") {
                    let _ = ready.try_send(());
                }
            }
        })
        .map_err(|e| e.to_string())?;
    up.recv_timeout(Duration::from_secs(30))
        .map_err(|_| "vigil run did not start recording".to_owned())?;
    let mut sim = vigil(dir);
    sim.arg("sim")
        .arg("--scenario")
        .arg(scenario)
        .arg("--link")
        .arg(format!("udpout:127.0.0.1:{port}"))
        .args(["--speed", &options.speed.to_string(), "--truth"])
        .arg(&truth)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(seconds) = options.seconds {
        sim.args(["--duration", &seconds.to_string()]);
    }
    let mut sim = sim.spawn().map_err(|e| format!("vigil sim: {e}"))?;
    let status = wait_exit(&mut sim, Duration::from_secs(3600)).ok_or("vigil sim hung")?;
    if !status.success() {
        return Err(format!("vigil sim: {status}"));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &station.id().to_string()])
        .status();
    wait_exit(&mut station, Duration::from_secs(60)).ok_or("vigil run did not stop")?;
    let scored = vigil(dir)
        .arg("score")
        .arg(&session)
        .arg("--truth")
        .arg(&truth)
        .arg("--sites")
        .arg(&sites)
        .arg("--json")
        .output()
        .map_err(|e| format!("vigil score: {e}"))?;
    serde_json::from_slice(&scored.stdout).map_err(|e| {
        format!(
            "vigil score: {e}: {}",
            String::from_utf8_lossy(&scored.stderr)
        )
    })
}

fn row(name: &str, rules: &str, score: &Value) -> String {
    let t = &score["totals"];
    let f = |key: &str| t[key].as_f64().unwrap_or(f64::NAN);
    let u = |key: &str| t[key].as_u64().unwrap_or(0);
    let per_hour: Vec<String> = score["per_hour"]
        .as_array()
        .map(|rates| {
            rates
                .iter()
                .map(|r| {
                    format!(
                        "{} {:.1}",
                        r["severity"].as_str().unwrap_or("?"),
                        r["per_hour"].as_f64().unwrap_or(f64::NAN)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    // How many sites had every way in watched at some time, and the median over those of the
    // longest any way in went unwatched.
    let sites = score["sites"].as_array().cloned().unwrap_or_default();
    let mut watched: Vec<f64> = sites
        .iter()
        .filter(|s| s["ever_observed"].as_bool() == Some(true))
        .filter_map(|s| s["longest_unobserved_us"].as_f64())
        .collect();
    watched.sort_by(f64::total_cmp);
    let median_min = watched
        .get(watched.len().saturating_sub(1) / 2)
        .map_or(f64::NAN, |us| us / 60e6);
    let watched_text = format!("{}/{} {:>3.0} min", watched.len(), sites.len(), median_min);
    format!(
        "{name:<16} {rules:<16} {:>4} {:>6.0}% {:>7.0} s {:>6.0}% {:>7.1} {:>5} {:>4}/{:<4} {:>13}  {}",
        u("entries"),
        100.0 * f("alerted_share"),
        f("median_delay_us") / 1e6,
        100.0 * f("warned_share"),
        f("false_per_hour"),
        u("critical_false"),
        u("about_armed"),
        u("alerts"),
        watched_text,
        per_hour.join(", ")
    )
}

fn main() {
    let options = options();
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("no temporary folder");
        return;
    };
    let today = dir.path().join("today.toml");
    let first = dir.path().join("first.toml");
    if std::fs::write(&today, "").is_err() || std::fs::write(&first, FIRST_VERSION_RULES).is_err() {
        eprintln!("cannot write the rules files");
        return;
    }
    println!(
        "early warning, {} scenario(s) at {}x; targets: >= 95% alerted, median <= 30 s, >= 50% warned, <= 1 false/h, 0 critical false",
        options.scenarios.len(),
        options.speed
    );
    println!(
        "{:<16} {:<16} {:>4} {:>7} {:>9} {:>7} {:>7} {:>5} {:>9} {:>13}  alerts per hour",
        "scenario",
        "run",
        "ent",
        "alerted",
        "median",
        "warned",
        "false/h",
        "crit",
        "armed/all",
        "watched, med."
    );
    for (index, scenario) in options.scenarios.iter().enumerate() {
        let name = scenario
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for (label, rules, patrol) in [
            ("patrols + cue", &today, &["--patrol", "--cue"][..]),
            ("patrols flown", &today, &["--patrol"][..]),
            ("today, no drone", &today, &[][..]),
            ("first version", &first, &[][..]),
        ] {
            if options.only.as_ref().is_some_and(|only| only != label) {
                continue;
            }
            for repeat in 0..options.runs {
                let run_dir = dir.path().join(format!(
                    "{index}-{}-{repeat}",
                    label.replace([' ', ','], "-")
                ));
                let started = Instant::now();
                match run(scenario, rules, patrol, &options, &run_dir) {
                    Ok(score) => println!(
                        "{}  ({:.0} s)",
                        row(&name, label, &score),
                        started.elapsed().as_secs_f64()
                    ),
                    Err(err) => println!("{name:<16} {label:<16} failed: {err}"),
                }
            }
        }
    }
}
