//! Community reports by SMS, end to end: the simulated GSM modem (`vigil_sim::modem`) on a
//! pseudo-terminal, the station's SMS gateway on its path, the reports in the station's
//! snapshot and the answers back on the modem.

mod common;

use vigil_protection::LatLon;
use vigil_protection::sms::HELP;
use vigil_sim::modem::{IncomingSms, ModemOptions, SimModem};
use vigil_station::sms::site_gazetteer;
use vigil_station::{Pipeline, PipelineConfig, SmsGateway};

const COORDINATES: &str = "+211911111111";
const SITE_NAME: &str = "+211922222222";
const GARBLED: &str = "+211933333333";

fn sms(sender: &str, text: &str) -> IncomingSms {
    IncomingSms {
        sender: sender.into(),
        time: vigil_core::time::parse_utc("2026-03-14T15:30:00Z").expect("a time"),
        // The service centre's clock is UTC+3.
        zone_quarter_hours: 12,
        text: text.into(),
    }
}

#[test]
fn sms_reports_reach_the_station_and_every_sender_is_answered() {
    let pipeline = Pipeline::start(PipelineConfig {
        demo_sites: true,
        ..PipelineConfig::new(common::test_folders())
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let snapshot = common::wait(&station, "the demo sites", |s| {
        !s.protection.sites.is_empty()
    });
    let market = snapshot
        .protection
        .sites
        .iter()
        .find(|s| s.name == "Keradu market")
        .expect("the demo's Keradu market")
        .centre;

    let modem = SimModem::start(ModemOptions::default()).expect("the modem starts");
    // Stored before the gateway starts: the first listing finds it.
    modem
        .deliver(sms(
            COORDINATES,
            "SHOOTING 9.0084,31.0157 12 people near the well",
        ))
        .expect("stored");
    let path = modem.path().to_string_lossy().into_owned();
    let gateway = SmsGateway::start(&path, 115_200, station.clone(), site_gazetteer(&station))
        .expect("the gateway starts");
    // Announced with +CMTI; the accents arrive in UCS2.
    modem
        .deliver(sms(
            SITE_NAME,
            "Pillage à Keradu market 30 personnes boutiques vidées",
        ))
        .expect("stored");
    modem.deliver(sms(GARBLED, "asdf;; 3 ??")).expect("stored");

    let snapshot = common::wait(&station, "the reports", |s| s.protection.reports.len() >= 2);
    let reports = &snapshot.protection.reports;
    let by_coordinates = &reports[0].report;
    assert_eq!(by_coordinates.category, "shooting");
    assert_eq!(
        by_coordinates.position,
        LatLon {
            lat_deg: 9.0084,
            lon_deg: 31.0157
        }
    );
    assert_eq!(by_coordinates.people, Some(12));
    assert_eq!(by_coordinates.description, "near the well");
    assert_eq!(
        by_coordinates.time,
        vigil_core::time::parse_utc("2026-03-14T15:30:00Z").expect("a time")
    );
    assert_eq!(by_coordinates.channel, "sms");
    // The number is kept apart for a call-back: the report has a pseudonym, and the number
    // comes only on a (recorded) request.
    assert_eq!(by_coordinates.reporter, "");
    assert!(reports[0].reporter_ref.starts_with("reporter "));
    let number = station
        .reveal_contact(reports[0].id, "ops-1")
        .expect("sent")
        .recv_timeout(common::TIMEOUT)
        .expect("answered")
        .expect("a contact");
    assert_eq!(number, COORDINATES);
    let by_name = &reports[1].report;
    assert_eq!(by_name.category, "looting");
    assert_eq!(by_name.position, market);
    assert_eq!(by_name.people, Some(30));
    assert_eq!(by_name.description, "Keradu market: boutiques vidées");

    let state = modem
        .wait_for(common::TIMEOUT, |s| {
            s.sent.len() == 3 && s.stored.is_empty()
        })
        .unwrap_or_else(|| panic!("three answers and an empty SIM: {:#?}", modem.state()));
    let answers = |to: &str| -> Vec<&str> {
        state
            .sent
            .iter()
            .filter(|s| s.to == to)
            .map(|s| s.text.as_str())
            .collect()
    };
    assert_eq!(
        answers(COORDINATES),
        [format!(
            "Vigil: report {} received (shooting). Thank you.",
            reports[0].id
        )]
    );
    assert_eq!(
        answers(SITE_NAME),
        [format!(
            "Vigil: report {} received (looting). Thank you.",
            reports[1].id
        )]
    );
    assert_eq!(
        answers(GARBLED),
        [format!(
            "Vigil: could not read the category 'asdf;;'. {HELP}"
        )]
    );

    let stats = gateway.stats();
    assert_eq!(
        (
            stats.received,
            stats.accepted,
            stats.refused,
            stats.acks_sent
        ),
        (3, 2, 1, 3),
        "{stats:?}"
    );
    let snapshot = station.snapshot();
    assert_eq!(
        snapshot.protection.reports.len(),
        2,
        "nothing else was added"
    );
    for report in snapshot.protection.reports.iter() {
        let report = &report.report;
        for number in [COORDINATES, SITE_NAME, GARBLED] {
            let digits = number.trim_start_matches('+');
            assert!(
                !report.description.contains(&digits[3..]) && !report.origin.contains(&digits[3..]),
                "a phone number in {report:?}"
            );
        }
        assert!(report.origin.starts_with("sms:"), "{}", report.origin);
    }
    assert!(stats.last_error.is_none(), "{stats:?}");
    gateway.stop();
    modem.stop();
    pipeline.shutdown();
}

/// `vigil sim --modem` delivers a scenario's messages on its simulated modem; `vigil run
/// --sms` takes them as reports into the session's journal, under a pseudonym.
#[test]
fn the_command_line_runs_the_modem_and_the_gateway() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use vigil_record::journal::{JOURNAL_FILE, JournalReader, JournalRecord};

    let tmp = tempfile::tempdir().expect("a temporary folder");
    let scenario = tmp.path().join("sms.toml");
    let port = common::free_udp_port();
    std::fs::write(
        &scenario,
        format!(
            r#"
[scenario]
name = "sms"
start_utc = "2026-03-14T09:00:00Z"
seed = 3

[[sensor]]
sysid = 101
kind = "pir"
position = {{ lat_deg = 9.0051, lon_deg = 31.0100 }}
radius_m = 30.0
pd = 0.9

[[sms]]
at_s = 1.0
from = "{COORDINATES}"
text = "shooting 9.0084,31.0157 12 people"

[[sms]]
at_s = 2.0
from = "{SITE_NAME}"
text = "armed Keradu market 6 people"
"#
        ),
    )
    .expect("written");
    let mut sim = common::vigil_command()
        .args(["sim", "--modem", "--scenario"])
        .arg(&scenario)
        .args(["--link", &format!("udpout:127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("vigil sim starts");
    let stdout = sim.stdout.take().expect("its output");
    let mut lines = BufReader::new(stdout).lines();
    let modem = loop {
        let line = lines
            .next()
            .expect("vigil sim prints the modem's path")
            .expect("text");
        if let Some(path) = line.strip_prefix("modem: ") {
            break path.to_owned();
        }
    };
    let session = tmp.path().join("session");
    let sites = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/sites.geojson");
    let run = common::vigil_command()
        .args(["run", "--headless", "--duration", "12", "--no-audio"])
        .args([
            "--link",
            &format!("udpin:127.0.0.1:{port}"),
            "--sms",
            &modem,
        ])
        .arg("--sites")
        .arg(&sites)
        .arg("--session-dir")
        .arg(&session)
        .output()
        .expect("vigil run runs");
    let _ = sim.kill();
    let _ = sim.wait();
    assert!(
        run.status.success(),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let reports: Vec<_> = JournalReader::open(&session.join(JOURNAL_FILE))
        .expect("the journal")
        .records(None, None, &["report"])
        .expect("it reads")
        .into_iter()
        .filter_map(|(_, r)| match r {
            JournalRecord::Report(r) => Some(r),
            _ => None,
        })
        .collect();
    assert_eq!(reports.len(), 2, "{reports:?}");
    assert!(
        reports
            .iter()
            .all(|r| r.channel == "sms" && r.reporter.starts_with("reporter "))
    );
    assert!(reports.iter().any(|r| r.people == Some(6)));
    for record in &reports {
        let text = format!("{record:?}");
        assert!(!text.contains("21191") && !text.contains("21192"), "{text}");
    }
}
