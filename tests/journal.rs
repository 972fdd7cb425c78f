//! The journal, its exports and its integrity, end to end: `vigil run` records a session
//! while `vigil sim` flies the crowded scenario over UDP; `vigil verify` finds it intact and
//! finds a changed byte, a removed record and an appended one; a replay of its tlog rebuilds
//! the tracks the journal recorded live; GDAL's `ogrinfo` opens every GIS export; the CoT
//! output and the live CoT feed parse as XML with CoT's attributes; a session killed with
//! `kill -9` mid-flight is readable and verifiable up to the kill.

#[path = "journal/acled.rs"]
mod acled;
mod common;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use vigil_record::export::{ExportOptions, Format, Layer, RedactLevel, export_session};
use vigil_record::journal::{
    AlertRecord, DispatchRecord, IncidentRecord, JOURNAL_FILE, JournalReader, JournalRecord,
    JournalWriter, NoteRecord, ReportRecord, TrackRecord, VehicleState,
};
use vigil_record::session::TLOG_FILE;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn vigil(args: &[&str], key: &Path) -> Command {
    let mut command = vigil_command();
    command.args(args).env("VIGIL_SIGNING_KEY", key);
    command
}

fn run_to_end(mut command: Command) -> Output {
    command.output().expect("vigil runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Starts `vigil run` recording into `dir` on a UDP port, and `vigil sim` sending to it.
/// Records a live run of `duration_s` with `extra` options into `dir`, fed by the
/// simulator's crowded scenario at 10x.
fn record(dir: &Path, key: &Path, duration_s: &str, extra: &[&str]) -> (Child, Child) {
    let port = free_udp_port();
    let link = format!("udpin:127.0.0.1:{port}");
    let dir_arg = dir.to_string_lossy();
    let mut args = vec![
        "run",
        "--headless",
        "--link",
        &link,
        "--session-dir",
        &dir_arg,
        "--duration",
        duration_s,
    ];
    args.extend_from_slice(extra);
    let run = vigil(&args, key)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil run starts");
    std::thread::sleep(Duration::from_millis(500));
    let sim = vigil(
        &[
            "sim",
            "--scenario",
            &repo()
                .join("assets/scenarios/crowded.toml")
                .to_string_lossy(),
            "--link",
            &format!("udpout:127.0.0.1:{port}"),
            "--speed",
            "10",
        ],
        key,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("vigil sim starts");
    (run, sim)
}

fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
    }
}

fn verify(dir: &Path, key: &Path) -> (i32, String) {
    let output = run_to_end(vigil(&["verify", &dir.to_string_lossy()], key));
    (output.status.code().unwrap_or(-1), text(&output))
}

fn journal_tracks(dir: &Path) -> Vec<TrackRecord> {
    JournalReader::open(&dir.join(JOURNAL_FILE))
        .expect("journal opens")
        .records(None, None, &["track"])
        .expect("reads")
        .into_iter()
        .filter_map(|(_, r)| match r {
            JournalRecord::Track(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// `ogrinfo -al` of a dataset: (layer name, feature count) pairs and the full text.
fn ogrinfo(path: &Path) -> (Vec<(String, usize)>, String) {
    let output = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
        .expect("ogrinfo runs (apt-get install gdal-bin)");
    let summary = text(&output);
    assert!(
        output.status.success(),
        "ogrinfo failed on {}:\n{summary}",
        path.display()
    );
    let mut layers = Vec::new();
    let mut name = None;
    for line in summary.lines() {
        if let Some(rest) = line.strip_prefix("Layer name: ") {
            name = Some(rest.trim().to_owned());
        }
        if let (Some(count), Some(layer)) = (line.strip_prefix("Feature Count: "), &name) {
            layers.push((layer.clone(), count.trim().parse().expect("a count")));
        }
    }
    let full = Command::new("ogrinfo")
        .args(["-ro", "-al"])
        .arg(path)
        .output()
        .expect("ogrinfo runs");
    (layers, text(&full))
}

#[test]
fn a_recorded_session_verifies_replays_to_the_same_tracks_and_catches_tampering() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = tmp.path().join("key");
    let dir = tmp.path().join("session");
    // With JPDA and group tracks, which session.json keeps: the replay below, given no
    // tracker options, must take them from there to rebuild the live run's tracks.
    let (mut run, mut sim) = record(
        &dir,
        &key,
        "14",
        &["--associator", "jpda", "--group-tracks"],
    );
    let status = wait_exit(&mut run, Duration::from_secs(40));
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(status.success(), "vigil run: {status}");

    // Intact and sealed.
    let (code, report) = verify(&dir, &key);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("INTACT"), "{report}");

    // The journal holds what was observed.
    let reader = JournalReader::open(&dir.join(JOURNAL_FILE)).expect("journal");
    let records = reader.records(None, None, &[]).expect("records");
    let count = |kind: &str| records.iter().filter(|(_, r)| r.kind() == kind).count();
    assert!(
        count("detection") > 10,
        "detections: {}",
        count("detection")
    );
    assert!(
        count("vehicle_state") > 3,
        "states: {}",
        count("vehicle_state")
    );
    let live = journal_tracks(&dir);
    assert!(!live.is_empty(), "the live run confirmed no track");

    let meta = std::fs::read_to_string(dir.join("session.json")).expect("session.json");
    assert!(
        meta.contains("\"association\": \"jpda\"") && meta.contains("\"group_tracks\": true"),
        "session.json keeps the tracker's options: {meta}"
    );

    // Replay (no tracker options: the session's) rebuilds the same tracks, scan for scan.
    let replay = |name: &str, extra: &[&str]| -> Vec<String> {
        let tracks_csv = tmp.path().join(name);
        let tlog = dir.join(TLOG_FILE);
        let (tlog, csv) = (tlog.to_string_lossy(), tracks_csv.to_string_lossy());
        let mut args = vec![
            "replay",
            &tlog,
            "--headless",
            "--fast",
            "--tracks-out",
            &csv,
        ];
        args.extend_from_slice(extra);
        let output = run_to_end(vigil(&args, &key));
        assert!(output.status.success(), "{}", text(&output));
        std::fs::read_to_string(&tracks_csv)
            .expect("tracks csv")
            .lines()
            .skip(1)
            .map(|line| line.split(',').take(4).collect::<Vec<_>>().join(","))
            .collect()
    };
    let replayed = replay("replayed.csv", &[]);
    let live_rows: Vec<String> = live
        .iter()
        .map(|t| {
            format!(
                "{:.3},{},{:.7},{:.7}",
                t.time_us as f64 * 1e-6,
                t.track_id,
                t.lat_deg,
                t.lon_deg
            )
        })
        .collect();
    assert!(
        replayed.len() >= live_rows.len(),
        "replay {} rows, live {}",
        replayed.len(),
        live_rows.len()
    );
    assert_eq!(
        replayed[..live_rows.len()],
        live_rows[..],
        "the replay's tracks differ from the live run's"
    );
    // And the options matter: GNN's tracks of the same log are not these.
    let gnn = replay("gnn.csv", &["--associator", "gnn"]);
    assert_ne!(
        gnn[..gnn.len().min(live_rows.len())],
        live_rows[..gnn.len().min(live_rows.len())],
        "GNN rebuilt JPDA's tracks: the replay's tracker options would not show"
    );

    // An export of the real session opens in GDAL with every feature.
    let geojson = tmp.path().join("session.geojson");
    let summary = export_session(
        &dir,
        &ExportOptions {
            format: Format::GeoJson,
            out: Some(geojson.clone()),
            from: None,
            to: None,
            layers: vec![],
            redact: RedactLevel::None,
        },
        &mut |_| {},
    )
    .expect("exported");
    let total: usize = summary.counts.iter().map(|(_, n)| n).sum();
    let (layers, _) = ogrinfo(&geojson);
    assert_eq!(layers.iter().map(|(_, n)| n).sum::<usize>(), total);
    assert!(summary.provenance.sealed);

    // Tampering, each on its own copy.
    let tlog_changed = tmp.path().join("tlog-changed");
    copy_dir(&dir, &tlog_changed);
    let tlog = tlog_changed.join(TLOG_FILE);
    let mut bytes = std::fs::read(&tlog).expect("tlog");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&tlog, &bytes).expect("written");
    let (code, report) = verify(&tlog_changed, &key);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("telemetry.tlog: bytes"), "{report}");
    assert!(report.contains("changed"), "{report}");

    let journal_byte = tmp.path().join("journal-byte");
    copy_dir(&dir, &journal_byte);
    let path = journal_byte.join(JOURNAL_FILE);
    let mut bytes = std::fs::read(&path).expect("journal");
    let at = bytes
        .windows(8)
        .position(|w| w == b"\"class\":")
        .expect("a record body in the file");
    bytes[at + 9] ^= 0x20; // a letter of the class changes case
    std::fs::write(&path, &bytes).expect("written");
    let (code, report) = verify(&journal_byte, &key);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("journal.sqlite"), "{report}");

    let removed = tmp.path().join("removed");
    copy_dir(&dir, &removed);
    rusqlite::Connection::open(removed.join(JOURNAL_FILE))
        .expect("opens")
        .execute("DELETE FROM record WHERE seq = 7", [])
        .expect("deleted");
    let (code, report) = verify(&removed, &key);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("journal.sqlite: record 7: removed"),
        "{report}"
    );

    let appended = tmp.path().join("appended");
    copy_dir(&dir, &appended);
    {
        let conn = rusqlite::Connection::open(appended.join(JOURNAL_FILE)).expect("opens");
        let (seq, hash): (i64, Vec<u8>) = conn
            .query_row(
                "SELECT seq, hash FROM record ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("last row");
        let body = r#"{"kind":"note","time_us":1,"author":"x","lat_deg":null,"lon_deg":null,"text":"added"}"#;
        let previous: [u8; 32] = hash.try_into().expect("32 bytes");
        let link =
            vigil_record::journal::store::row_hash(&previous, seq as u64 + 1, 1, "note", body);
        conn.execute(
            "INSERT INTO record VALUES (?1, 1, 'note', ?2, ?3)",
            rusqlite::params![seq + 1, body, &link[..]],
        )
        .expect("appended");
    }
    let (code, report) = verify(&appended, &key);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("appended after the seal"), "{report}");

    let tlog_appended = tmp.path().join("tlog-appended");
    copy_dir(&dir, &tlog_appended);
    let mut bytes = std::fs::read(tlog_appended.join(TLOG_FILE)).expect("tlog");
    let copy = bytes[..64].to_vec();
    bytes.extend_from_slice(&copy);
    std::fs::write(tlog_appended.join(TLOG_FILE), &bytes).expect("written");
    let (code, report) = verify(&tlog_appended, &key);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("appended after the seal"), "{report}");

    // The replay controller: seek to the end, then back to the middle and again to the end,
    // and the tracks are the same; meanwhile the live CoT feed sends them.
    let tlog = dir.join(TLOG_FILE);
    let mut controller =
        vigil_station::replay::ReplayController::open(&tlog, true, common::test_folders())
            .expect("opens");
    let (start, end) = controller.span();
    controller.seek(end).expect("seeks");
    let station = controller.station().expect("running");
    let at_end = wait(&station, "the replay at its end", |s| {
        s.analysed_to >= vigil_core::time::TimeUs(end.0 - 500_000)
    });
    let receiver = UdpSocket::bind("127.0.0.1:0").expect("bind");
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let feed = vigil_station::cot_live::CotFeed::start(
        station.clone(),
        receiver.local_addr().expect("addr"),
    )
    .expect("feed starts");
    let mut buf = vec![0u8; 65_536];
    let mut kinds = Vec::new();
    for _ in 0..40 {
        let Ok(n) = receiver.recv(&mut buf) else {
            break;
        };
        let xml = std::str::from_utf8(&buf[..n]).expect("utf-8");
        let doc = roxmltree::Document::parse(xml).expect("CoT parses as XML");
        let event = doc.root_element();
        assert_eq!(event.tag_name().name(), "event");
        for attribute in ["version", "uid", "type", "time", "start", "stale", "how"] {
            assert!(event.attribute(attribute).is_some(), "{attribute} in {xml}");
        }
        let point = event
            .children()
            .find(|n| n.has_tag_name("point"))
            .expect("a point");
        for attribute in ["lat", "lon", "hae", "ce", "le"] {
            let value: f64 = point
                .attribute(attribute)
                .expect("attribute")
                .parse()
                .expect("a number");
            assert!(value.is_finite());
        }
        kinds.push(event.attribute("type").unwrap_or_default().to_owned());
    }
    feed.stop();
    assert!(kinds.iter().any(|k| k.starts_with("a-f-A")), "{kinds:?}");
    if !at_end.tracks.is_empty() {
        assert!(kinds.iter().any(|k| k.starts_with("a-u-G")), "{kinds:?}");
    }
    let tracks_at_end: Vec<u64> = at_end.tracks.iter().map(|t| t.id).collect();
    let middle = vigil_core::time::TimeUs((start.0 + end.0) / 2);
    controller.seek(middle).expect("seeks back");
    assert_eq!(controller.generation(), 1);
    controller.seek(end).expect("seeks forward");
    let station = controller.station().expect("running");
    let again = wait(&station, "the replay at its end again", |s| {
        s.analysed_to >= vigil_core::time::TimeUs(end.0 - 500_000)
    });
    let tracks_again: Vec<u64> = again.tracks.iter().map(|t| t.id).collect();
    assert_eq!(tracks_again, tracks_at_end);
}

#[test]
fn a_session_killed_mid_flight_is_readable_and_verifiable_up_to_the_kill() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let key = tmp.path().join("key");
    let dir = tmp.path().join("session");
    let (mut run, mut sim) = record(&dir, &key, "60", &[]);
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let rows = JournalReader::open(&dir.join(JOURNAL_FILE))
            .and_then(|r| r.count())
            .unwrap_or(0);
        if rows > 50 {
            break;
        }
        assert!(Instant::now() < deadline, "the journal stayed empty");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(1500));
    run.kill().expect("kill -9"); // SIGKILL on Unix
    let _ = run.wait();
    let _ = sim.kill();
    let _ = sim.wait();

    let (code, report) = verify(&dir, &key);
    assert_eq!(code, 2, "{report}");
    let summary = report.lines().last().unwrap_or_default();
    let numbers: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|s| s.parse().ok())
        .collect();
    assert!(
        summary.starts_with("intact up to record") && summary.ends_with("not sealed"),
        "{report}"
    );
    let (records, bytes) = (numbers[0], numbers[1]);
    assert!(records > 50 && bytes > 1000, "{report}");
    // Everything up to the kill reads back.
    let journal = JournalReader::open(&dir.join(JOURNAL_FILE)).expect("opens");
    assert_eq!(journal.count().expect("counts"), records);
    let tlog_records = vigil_protocol::tlog::TlogReader::open(&dir.join(TLOG_FILE))
        .expect("opens")
        .filter(Result::is_ok)
        .count();
    assert!(tlog_records > 100, "{tlog_records}");
    // pymavlink reads the same records.
    let output = Command::new(python())
        .arg(repo().join("tests/tools/tlog_dump.py"))
        .arg("--summary")
        .arg(dir.join(TLOG_FILE))
        .output()
        .expect("tlog_dump.py runs");
    assert!(output.status.success(), "{}", text(&output));
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("a JSON summary");
    let bad = summary["by_name"]["BAD_DATA"].as_u64().unwrap_or(0);
    assert_eq!(
        summary["total"].as_u64().map(|t| t - bad),
        Some(tlog_records as u64),
        "{summary}"
    );
}

/// The venv's python, set up by `tests/tools/setup-venv.sh` (quick when already there).
fn python() -> PathBuf {
    let output = Command::new(repo().join("tests/tools/setup-venv.sh"))
        .output()
        .expect("run setup-venv.sh");
    assert!(
        output.status.success(),
        "setup-venv.sh failed (it needs python3 and PyPI):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    PathBuf::from(stdout.lines().last().expect("the python path").trim())
}

/// A session with one of every record kind, written through the journal writer.
fn synthetic_session(dir: &Path) -> usize {
    std::fs::create_dir_all(dir).expect("mkdir");
    let writer = JournalWriter::start(&dir.join(JOURNAL_FILE)).expect("journal");
    let mut sender = writer.sender();
    let t0 = 1_773_563_400_000_000u64; // 2026-03-15T08:30:00Z
    let mut sent = 0;
    let mut send = |record| {
        assert!(sender.send(record));
        sent += 1;
    };
    for i in 0..10u64 {
        let lat = 8.9942 + i as f64 * 1e-4;
        let lon = 31.0031;
        send(JournalRecord::VehicleState(VehicleState {
            time_us: t0 + i * 1_000_000,
            sysid: 1,
            airframe: "Multirotor".into(),
            lat_deg: lat,
            lon_deg: lon,
            alt_msl_m: Some(420.0),
            alt_rel_home_m: Some(22.0),
            heading_deg: Some(0.0),
            groundspeed_mps: Some(11.0),
            mode: "AUTO".into(),
            armed: true,
            footprint: Some(vec![
                [lon - 1e-3, lat + 1e-3],
                [lon + 1e-3, lat + 1e-3],
                [lon + 2e-3, lat + 3e-3],
                [lon - 2e-3, lat + 3e-3],
            ]),
            footprint_area_m2: Some(40_000.0),
        }));
        send(JournalRecord::Track(TrackRecord {
            time_us: t0 + i * 1_000_000,
            track_id: 4,
            lat_deg: 9.0080 + i as f64 * 1e-5,
            lon_deg: 31.0160,
            vel_e_mps: 0.0,
            vel_n_mps: 1.1,
            std_e_m: 3.0,
            std_n_m: 3.5,
            class: "person".into(),
            count: Some(2),
        }));
    }
    send(JournalRecord::Alert(AlertRecord {
        time_us: t0 + 5_000_000,
        alert_id: "A-1".into(),
        rule: "approach".into(),
        severity: "high".into(),
        site: "Keradu clinic".into(),
        cause: "track 4".into(),
        lat_deg: 9.00812,
        lon_deg: 31.01601,
        state: "raised".into(),
        who: "Officer Dalia".into(),
        text: "two people near the clinic at night".into(),
        ..Default::default()
    }));
    send(JournalRecord::Incident(IncidentRecord {
        time_us: t0 + 6_000_000,
        incident_id: "I-1".into(),
        category: "violence_against_civilians/attack".into(),
        severity: "critical".into(),
        state: "verified".into(),
        lat_deg: 9.008_54,
        lon_deg: 31.014_86,
        who: "Officer Dalia".into(),
        text: "shots fired at people drawing water at the well".into(),
        event: "verified".into(),
        // The evening before, 2026-03-14T19:00:00Z.
        occurred_us: Some(t0 - 48_600_000_000),
        actors: "unidentified armed men".into(),
        killed: Some(1),
        injured: Some(2),
        source: "patrol 2".into(),
        confidence: "high".into(),
        reports: vec![1],
        alerts: vec![1],
        ..Default::default()
    }));
    send(JournalRecord::Report(ReportRecord {
        time_us: t0 + 7_000_000,
        report_id: "R-1".into(),
        channel: "phone".into(),
        reporter: "Amina K.".into(),
        state: "new".into(),
        lat_deg: Some(9.0091),
        lon_deg: Some(31.0121),
        text: "men with guns on the cattle track, <about 5>".into(),
        ..Default::default()
    }));
    send(JournalRecord::Dispatch(DispatchRecord {
        time_us: t0 + 7_500_000,
        dispatch_id: "1".into(),
        drone: 2,
        alert_id: Some("A-1".into()),
        lat_deg: 9.00812,
        lon_deg: 31.01601,
        state: "orbiting".into(),
        who: "Officer Dalia".into(),
        sent_us: t0 + 5_500_000,
        ..Default::default()
    }));
    send(JournalRecord::Note(NoteRecord {
        time_us: t0 + 8_000_000,
        author: "Officer Dalia".into(),
        lat_deg: Some(9.0079),
        lon_deg: Some(31.0160),
        text: "watched Keradu east edge 08:30-08:40, nothing seen".into(),
    }));
    drop(sender);
    let head = writer.finish();
    assert_eq!(head.records as usize, sent);
    sent
}

fn export(dir: &Path, format: Format, out: &Path, redact: RedactLevel) -> Vec<(Layer, usize)> {
    let mut fractions = Vec::new();
    let summary = export_session(
        dir,
        &ExportOptions {
            format,
            out: Some(out.to_owned()),
            from: None,
            to: None,
            layers: vec![],
            redact,
        },
        &mut |p| fractions.push(p.fraction()),
    )
    .expect("exported");
    assert_eq!(fractions.last().copied(), Some(1.0));
    summary.counts
}

fn expected_layers() -> Vec<(String, usize)> {
    [
        ("paths", 1),
        ("footprints", 10),
        ("detections", 0),
        ("tracks", 10),
        ("alerts", 1),
        ("incidents", 1),
        ("reports", 1),
        ("dispatches", 1),
        ("notes", 1),
    ]
    .into_iter()
    .map(|(n, c)| (n.to_owned(), c))
    .collect()
}

#[test]
fn every_gis_export_opens_in_gdal_with_its_layers_counts_and_coordinates() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("session");
    synthetic_session(&dir);

    // GeoPackage: a table per layer.
    let gpkg = tmp.path().join("out.gpkg");
    export(&dir, Format::Gpkg, &gpkg, RedactLevel::None);
    let (layers, full) = ogrinfo(&gpkg);
    let mut sorted = layers.clone();
    sorted.sort();
    let mut expected = expected_layers();
    expected.sort();
    assert_eq!(sorted, expected, "{full}");
    assert!(full.contains("POINT (31.01601 9.00812)"), "{full}");
    assert!(full.contains("Officer Dalia"), "{full}");
    let provenance: String = rusqlite::Connection::open(&gpkg)
        .expect("opens")
        .query_row("SELECT metadata FROM gpkg_metadata", [], |r| r.get(0))
        .expect("metadata");
    assert!(provenance.contains("journal_head_sha256"), "{provenance}");

    // KML: a folder per layer (empty folders may be left out by the driver).
    let kml = tmp.path().join("out.kml");
    export(&dir, Format::Kml, &kml, RedactLevel::None);
    let (layers, full) = ogrinfo(&kml);
    for (name, count) in expected_layers().into_iter().filter(|(_, c)| *c > 0) {
        assert!(
            layers.contains(&(name.clone(), count)),
            "{name}: {layers:?}\n{full}"
        );
    }
    assert!(full.contains("POINT (31.01601 9.00812"), "{full}");

    // GPX: one track for the drone, ten points.
    let gpx = tmp.path().join("out.gpx");
    export(&dir, Format::Gpx, &gpx, RedactLevel::None);
    let (layers, full) = ogrinfo(&gpx);
    assert!(layers.contains(&("tracks".to_owned(), 1)), "{layers:?}");
    assert!(
        layers.contains(&("track_points".to_owned(), 10)),
        "{layers:?}"
    );
    assert!(full.contains("POINT (31.0031 8.9942"), "{full}");
    assert!(
        std::fs::read_to_string(&gpx)
            .expect("gpx")
            .contains("journal_head_sha256")
    );

    // CSV: a file per layer and the provenance.
    let csv = tmp.path().join("csv");
    export(&dir, Format::Csv, &csv, RedactLevel::None);
    let (layers, full) = ogrinfo(&csv);
    for (name, count) in expected_layers() {
        assert!(
            layers.contains(&(name.clone(), count)),
            "{name}: {layers:?}"
        );
    }
    assert!(layers.iter().any(|(n, _)| n == "provenance"));
    assert!(full.contains("POINT (31.0121 9.0091)"), "{full}");

    // GeoJSON, redacted strictly: names gone, the report on the 1 km grid.
    let geojson = tmp.path().join("out.geojson");
    let counts = export(&dir, Format::GeoJson, &geojson, RedactLevel::Strict);
    let total: usize = counts.iter().map(|(_, n)| n).sum();
    let (layers, full) = ogrinfo(&geojson);
    assert_eq!(
        layers.iter().map(|(_, n)| n).sum::<usize>(),
        total,
        "{full}"
    );
    assert!(
        !full.contains("Officer Dalia") && !full.contains("Amina"),
        "{full}"
    );
    assert!(!full.contains("POINT (31.0121 9.0091)"), "{full}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&geojson).expect("geojson")).expect("json");
    assert_eq!(json["vigil_source"]["redaction"], "strict");
    assert_eq!(json["vigil_source"]["journal_records"], "25");
}

#[test]
fn the_cot_export_parses_with_cots_attributes_and_types() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("session");
    synthetic_session(&dir);
    let out: PathBuf = tmp.path().join("out.cot.xml");
    export(&dir, Format::Cot, &out, RedactLevel::Public);
    let xml = std::fs::read_to_string(&out).expect("cot");
    let doc = roxmltree::Document::parse(&xml).expect("parses as XML");
    let events: Vec<_> = doc
        .root_element()
        .children()
        .filter(|n| n.has_tag_name("event"))
        .collect();
    assert_eq!(
        events.len(),
        26,
        "paths, footprints, tracks, an alert, an incident, a report, a dispatch and a note"
    );
    let mut types = Vec::new();
    for event in &events {
        for attribute in ["version", "uid", "type", "time", "start", "stale", "how"] {
            assert!(event.attribute(attribute).is_some(), "{attribute}");
        }
        let point = event
            .children()
            .find(|n| n.has_tag_name("point"))
            .expect("point");
        let lat: f64 = point
            .attribute("lat")
            .expect("lat")
            .parse()
            .expect("number");
        assert!((8.0..10.0).contains(&lat));
        let detail = event
            .children()
            .find(|n| n.has_tag_name("detail"))
            .expect("detail");
        let source = detail
            .children()
            .find(|n| n.has_tag_name("vigil_source"))
            .expect("provenance in the detail");
        assert_eq!(source.attribute("journal_records"), Some("25"));
        types.push(event.attribute("type").unwrap_or_default().to_owned());
    }
    assert!(types.contains(&"a-u-G".to_owned()), "{types:?}");
    assert!(types.contains(&"b-a-g".to_owned()), "{types:?}");
    assert!(types.contains(&"u-d-f".to_owned()), "{types:?}");
    assert!(
        !xml.contains("Officer Dalia"),
        "public redaction keeps names out"
    );
}
