//! `vigil score` as a user runs it: `vigil sim` flies the demo scenario ("Night approach")
//! at 40× over UDP into `vigil run --headless` with the demo's sites, writing its ground
//! truth, for 30 simulated minutes (the armed group enters Keradu's buffer about 24 minutes
//! in); the session verifies with its new coverage records; then `vigil score --truth` reads
//! the session and the truth as a table and as JSON, and the JSON is checked for consistency
//! (each entry alerted or missed, delays and warnings the right way round, alerts judged,
//! the clocks of truth and journal the same). A damaged truth file is refused, naming the
//! file and the line.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use vigil_record::journal::{JOURNAL_FILE, JournalReader};

/// Simulated seconds: a few minutes past the armed group's first entry into a buffer.
const SIM_SECONDS: &str = "1800";
const SPEED: &str = "40";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn sites() -> PathBuf {
    repo().join("assets/demo/sites.geojson")
}

fn vigil(key: &Path) -> Command {
    let mut command = common::vigil_command();
    command.env("VIGIL_SIGNING_KEY", key);
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn wait_exit(child: &mut Child, what: &str, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Records a session into `dir` while `vigil sim` writes its truth to `truth`.
fn record(dir: &Path, truth: &Path, key: &Path) {
    let port = common::free_udp_port();
    let mut run = vigil(key)
        .args(["run", "--headless", "--link"])
        .arg(format!("udpin:127.0.0.1:{port}"))
        .arg("--sites")
        .arg(sites())
        .arg("--session-dir")
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil run starts");
    // The station says where it records once its pipeline (and link) is up; its status
    // lines are drained meanwhile.
    let stdout = run.stdout.take().expect("piped");
    // Bounded: one message says the station is up; the status lines are only read.
    let (ready, up) = crossbeam_channel::bounded(1);
    std::thread::Builder::new()
        .name("vigil-run-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("recording to") {
                    let _ = ready.try_send(());
                }
            }
        })
        .expect("a thread");
    up.recv_timeout(common::TIMEOUT)
        .expect("vigil run says where it records");
    let started = Instant::now();
    let sim = vigil(key)
        .arg("sim")
        .arg("--scenario")
        .arg(repo().join("assets/scenarios/demo.toml"))
        .arg("--link")
        .arg(format!("udpout:127.0.0.1:{port}"))
        .args(["--speed", SPEED, "--duration", SIM_SECONDS, "--truth"])
        .arg(truth)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut sim = sim.expect("vigil sim starts");
    let status = wait_exit(&mut sim, "vigil sim", Duration::from_secs(150));
    assert!(status.success(), "vigil sim: {status}");
    println!(
        "{SIM_SECONDS} simulated seconds in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    // A signal closes the station and seals the session.
    let _ = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status();
    let status = wait_exit(&mut run, "vigil run", Duration::from_secs(30));
    assert!(status.success(), "vigil run: {status}");
}

fn score(args: &[&std::ffi::OsStr], key: &Path) -> Output {
    vigil(key)
        .arg("score")
        .args(args)
        .output()
        .expect("vigil score runs")
}

/// Checks the JSON's figures against each other.
fn check(json: &Value) {
    let entries = json["entries"].as_array().expect("entries");
    let totals = &json["totals"];
    assert_eq!(totals["entries"].as_u64(), Some(entries.len() as u64));
    assert!(!entries.is_empty(), "the armed group entered no buffer");
    let mut alerted = 0;
    for entry in entries {
        let entered = entry["entered_us"].as_u64().expect("entered");
        let (at, delay, alert) = (
            entry["alerted_us"].as_u64(),
            entry["delay_us"].as_u64(),
            entry["alert_id"].as_str(),
        );
        // Alerted (all three) or missed (none).
        assert_eq!(at.is_some(), delay.is_some(), "{entry}");
        assert_eq!(at.is_some(), alert.is_some(), "{entry}");
        if let (Some(at), Some(delay)) = (at, delay) {
            assert_eq!(at.checked_sub(entered), Some(delay), "{entry}");
            alerted += 1;
        }
        if let Some(before) = entry["warned_before_us"].as_u64() {
            let warned = entry["warned_us"].as_u64().expect("warned_us");
            assert!(before > 0 && warned + before == entered, "{entry}");
            assert!(before <= 900_000_000, "{entry}");
        }
        let start = json["start_us"].as_u64().expect("start");
        let end = json["end_us"].as_u64().expect("end");
        assert!((start..=end).contains(&entered), "{entry}");
    }
    assert_eq!(totals["alerted"].as_u64(), Some(alerted));
    let alerts = json["alerts"].as_array().expect("alerts");
    assert_eq!(totals["alerts"].as_u64(), Some(alerts.len() as u64));
    let verdicts =
        ["about_armed", "equipment", "false_alerts"].map(|k| totals[k].as_u64().expect("a count"));
    assert_eq!(verdicts.iter().sum::<u64>(), alerts.len() as u64);
    for alert in alerts {
        let verdict = alert["verdict"].as_str().expect("verdict");
        assert!(
            ["armed_mover", "equipment", "false"].contains(&verdict),
            "{alert}"
        );
    }
    // Alerts were raised, and on the truth's clock: none was left outside its period.
    assert!(!alerts.is_empty(), "no alert scored");
    let notes = json["notes"].as_array().expect("notes");
    assert!(
        !notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("outside"))),
        "{notes:?}"
    );
    // A site is observed when every way into it is: Lomisa borehole, whose buffer a sensor
    // covers all round, is; Keradu, with sensors on some of its sides only and no drone
    // flying, never is.
    let sites = json["sites"].as_array().expect("sites");
    let site = |name: &str| {
        sites
            .iter()
            .find(|s| s["site"] == name)
            .unwrap_or_else(|| panic!("{name}'s coverage"))
    };
    let borehole = site("Lomisa borehole");
    assert_eq!(borehole["ever_observed"], true, "{borehole}");
    let keradu = site("Keradu");
    assert_eq!(keradu["ever_observed"], false, "{keradu}");
}

#[test]
fn a_simulated_night_is_scored_from_its_recorded_session() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = tmp.path().join("key");
    let dir = tmp.path().join("session");
    let truth = tmp.path().join("truth.csv");
    record(&dir, &truth, &key);

    // The new coverage records are in the journal, and the session still verifies.
    let coverage = JournalReader::open(&dir.join(JOURNAL_FILE))
        .expect("the journal opens")
        .records(None, None, &["coverage"])
        .expect("it reads");
    assert!(!coverage.is_empty(), "no coverage record");
    let verify = vigil(&key).arg("verify").arg(&dir).output().expect("runs");
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));

    let sites = sites();
    let args = [
        "--truth".as_ref(),
        truth.as_os_str(),
        "--sites".as_ref(),
        sites.as_os_str(),
        dir.as_os_str(),
    ];
    let table = score(&args, &key);
    assert!(table.status.success(), "{}", text(&table));
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    println!("{table}");
    for part in [
        "Armed entries into site buffers:",
        "entries alerted",
        "false alerts per hour",
        "Longest unobserved, per site:",
        "Keradu",
    ] {
        assert!(table.contains(part), "{part:?} in\n{table}");
    }
    let mut json_args = args.to_vec();
    json_args.push("--json".as_ref());
    let json = score(&json_args, &key);
    assert!(json.status.success(), "{}", text(&json));
    let json: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    check(&json);

    // A damaged truth file: refused, naming the file and the line.
    let damaged = tmp.path().join("damaged.csv");
    let original = std::fs::read_to_string(&truth).expect("the truth");
    let mut lines: Vec<&str> = original.lines().collect();
    lines[2] = "1773510302.000,armed-group-1,person,not-a-latitude,31.0,0,1";
    std::fs::write(&damaged, lines.join("\n")).expect("write");
    let refused = score(
        &["--truth".as_ref(), damaged.as_os_str(), dir.as_os_str()],
        &key,
    );
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains(&format!("{}: line 3: lat_deg", damaged.display())),
        "{said}"
    );
    // And a folder that is not a session.
    let refused = score(
        &[
            "--truth".as_ref(),
            truth.as_os_str(),
            tmp.path().join("nowhere").as_os_str(),
        ],
        &key,
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no such session folder"),
        "{}",
        text(&refused)
    );
}
