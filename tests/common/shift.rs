//! A shift, driven through the public path as the console drives it, recorded in a session
//! folder: the simulator's armed group raises an alert; an operator acknowledges, assigns and
//! annotates it, sends a drone and resolves it; a villager's report comes in over HTTP and is
//! verified after a call-back, a Kobo survey export is imported, another villager's SMS comes
//! through the GSM modem and is verified, an incident is recorded from the two and verified,
//! and a note is written. Shared by
//! `tests/shift.rs` (the journal, `vigil verify`, the exports) and `tests/summary.rs` (`vigil
//! summary`); each includes it with `#[path]` beside `mod common`.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixtures"
)]

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::time::Instant;

use vigil_protection::{
    Casualties, Confidence, DispatchTarget, DispatchUpdate, LatLon, NewIncident, Verdict,
};
use vigil_sim::modem::{IncomingSms, ModemOptions, SimModem};
use vigil_sim::{RunOptions, Scenario, SimRunner, SimTransport, SimWorld};
use vigil_station::reports_http::ReportServer;
use vigil_station::sms::site_gazetteer;
use vigil_station::{Folders, GroundStation, PipelineConfig, SmsGateway};

/// A copter on its pad 600 m south-west of Keradu, a ground radar at the village's west edge,
/// and an armed group of four walking from the west towards the Keradu west borehole.
const SCENARIO: &str = r#"
[scenario]
name = "shift"
start_utc = "2026-03-14T09:00:00Z"
seed = 5

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 9.0000, lon_deg = 31.0050, alt_msl_m = 420.0 }
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[sensor]]
sysid = 101
kind = "radar"
position = { lat_deg = 9.0051, lon_deg = 31.0080 }
radius_m = 700.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "armed-group"
kind = "person"
count = 4
spacing_m = 3.0
speed_mps = 1.5
armed = true
route = [{ lat_deg = 9.0052, lon_deg = 31.0060 }, { lat_deg = 9.00506, lon_deg = 31.01028 }]
"#;

/// The villager's number: it must not be written anywhere.
pub const REPORTER: &str = "+211912345678";
/// Another villager's, who sends an SMS: nor this one.
pub const SMS_REPORTER: &str = "+211955507777";
pub const OPERATOR: &str = "Sgt Diallo";

fn answer<T>(
    reply: crossbeam_channel::Receiver<Result<T, vigil_protection::ProtectionError>>,
    what: &str,
) -> T {
    reply
        .recv_timeout(crate::common::TIMEOUT)
        .unwrap_or_else(|_| panic!("no answer to {what}"))
        .unwrap_or_else(|err| panic!("{what}: {err}"))
}

/// POSTs a report as a phone's gateway would.
fn post_report(addr: std::net::SocketAddr, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(crate::common::TIMEOUT))
        .expect("a timeout");
    let request = format!(
        "POST /reports HTTP/1.1\r\nHost: station\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
}

/// Works an alert and a report through the station as an operator at the console would;
/// returns the alert's id.
fn work_the_shift(station: &GroundStation, reports: &ReportServer, modem: &SimModem) -> u64 {
    let snapshot = crate::common::wait(station, "an alert about the armed group", |s| {
        s.protection
            .alerts
            .iter()
            .any(|a| a.active && !a.cause.tracks.is_empty())
    });
    let alert = snapshot
        .protection
        .alerts
        .iter()
        .find(|a| a.active && !a.cause.tracks.is_empty())
        .expect("the alert")
        .clone();
    // The operator reads it first: an action is stamped with the rules' last step (the
    // messages' clock), so acting within the step that raised it would take no time at all.
    crate::common::wait(station, "a step of the rules after the alert", |s| {
        s.protection.time > alert.first_seen
    });
    answer(
        station.acknowledge_alert(alert.id, OPERATOR).expect("sent"),
        "acknowledge",
    );
    answer(
        station
            .assign_alert(alert.id, OPERATOR, "Team Bravo")
            .expect("sent"),
        "assign",
    );
    answer(
        station
            .annotate_alert(alert.id, OPERATOR, "four men, rifles, heading east")
            .expect("sent"),
        "annotate",
    );
    let updates = station
        .send_drone(DispatchTarget::Alert(alert.id), OPERATOR)
        .expect("sent");
    let started = Instant::now();
    let done = loop {
        match updates
            .recv_timeout(crate::common::TIMEOUT * 3)
            .expect("an update")
        {
            DispatchUpdate::Done(result) => break result,
            update => println!("{:.1} s: {update:?}", started.elapsed().as_secs_f64()),
        }
    };
    assert_eq!(done, Ok(1));

    let body = format!(
        r#"{{"time_utc":"2026-03-14T09:01:00Z","lat_deg":9.0050,"lon_deg":31.0075,"category":"armed_men","description":"four men with rifles walking to the borehole","reporter":"{REPORTER}","channel":"phone","people":4}}"#
    );
    let reply = post_report(reports.local_addr(), &body);
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    let snapshot = crate::common::wait(station, "the report", |s| !s.protection.reports.is_empty());
    let report = snapshot.protection.reports[0].id;
    // The call-back: the operator asks for the reporter's number (the asking is recorded).
    let number = answer(
        station.reveal_contact(report, OPERATOR).expect("sent"),
        "reveal the contact",
    );
    assert_eq!(number, REPORTER);
    answer(
        station
            .verify_report(
                report,
                OPERATOR,
                Verdict::Verified,
                "called back, confirmed",
            )
            .expect("sent"),
        "verify the report",
    );
    let sms_report = reports_by_sms_and_survey(station, modem);
    let incident = answer(
        station
            .record_incident(
                NewIncident {
                    time: snapshot.protection.reports[0].report.time,
                    position: LatLon {
                        lat_deg: 9.0050,
                        lon_deg: 31.0075,
                    },
                    category: "strategic_developments/other".into(),
                    actors: "unidentified armed men".into(),
                    casualties: Casualties::default(),
                    source: "community report, radar, drone".into(),
                    confidence: Confidence::High,
                    description: "armed group approached Keradu west borehole".into(),
                    related_reports: vec![report, sms_report],
                    related_alerts: vec![alert.id],
                },
                OPERATOR,
            )
            .expect("sent"),
        "record the incident",
    );
    answer(
        station
            .verify_incident(incident, OPERATOR, Verdict::Verified, "seen by drone 1")
            .expect("sent"),
        "verify the incident",
    );
    answer(
        station
            .add_note(
                OPERATOR,
                Some(LatLon {
                    lat_deg: 9.0051,
                    lon_deg: 31.0100,
                }),
                "handover: drone 1 orbiting the borehole, Team Bravo on its way",
            )
            .expect("sent"),
        "note",
    );
    answer(
        station
            .resolve_alert(
                alert.id,
                OPERATOR,
                "group left westwards, watched by drone 1",
            )
            .expect("sent"),
        "resolve",
    );
    alert.id
}

/// A Kobo survey export imported, and a villager's SMS through the modem, verified: the SMS
/// report's id.
fn reports_by_sms_and_survey(station: &GroundStation, modem: &SimModem) -> u64 {
    let kobo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/vigil-protection/tests/data/kobo_reports.csv");
    let imported = answer(
        station.import_reports(&kobo).expect("read"),
        "import the Kobo export",
    );
    assert_eq!(imported.len(), 3, "{imported:?}");
    modem
        .deliver(IncomingSms {
            sender: SMS_REPORTER.into(),
            time: vigil_core::time::parse_utc("2026-03-14T09:02:00Z").expect("a time"),
            zone_quarter_hours: 12,
            text: "armed Keradu west borehole 4 people walking east".into(),
        })
        .expect("stored");
    let snapshot = crate::common::wait(station, "the SMS report", |s| {
        s.protection
            .reports
            .iter()
            .any(|r| r.report.channel == "sms")
    });
    let sms = snapshot
        .protection
        .reports
        .iter()
        .find(|r| r.report.channel == "sms")
        .expect("the SMS")
        .id;
    answer(
        station
            .verify_report(
                sms,
                OPERATOR,
                Verdict::Verified,
                "same group as the radar's",
            )
            .expect("sent"),
        "verify the SMS",
    );
    sms
}

/// A recorded shift: its session folder, the folders of the station that recorded and
/// sealed it, and the alert the operator worked.
pub struct Shift {
    pub session: PathBuf,
    pub folders: Folders,
    pub alert: u64,
}

/// Runs a shift recorded in `dir/session` (rules in `dir/rules.toml`) and stops the station,
/// so that the session is closed and sealed.
pub fn run_shift(dir: &Path) -> Shift {
    let session = dir.join("session");
    let rules = dir.join("rules.toml");
    // A lower orbit than the default rules' so the copter gets there sooner.
    std::fs::write(
        &rules,
        "[dispatch]\nalt_rel_m = 40.0\norbit_radius_m = 80.0\n",
    )
    .expect("written");
    let folders = crate::common::test_folders();
    let pipeline = vigil_station::Pipeline::start(PipelineConfig {
        links: vec![crate::common::link("udpin:127.0.0.1:0")],
        session_dir: Some(session.clone()),
        record_default_session: false,
        demo_sites: true,
        rules: Some(rules),
        ..PipelineConfig::new(folders.clone())
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let reports = ReportServer::start("127.0.0.1:0".parse().expect("an address"), station.clone())
        .expect("the report endpoint starts");
    let modem = SimModem::start(ModemOptions::default()).expect("the modem starts");
    let gateway = SmsGateway::start(
        &modem.path().to_string_lossy(),
        115_200,
        station.clone(),
        site_gazetteer(&station),
    )
    .expect("the SMS gateway starts");
    let scenario = Scenario::parse(SCENARIO, Path::new("shift.toml")).expect("a scenario");
    // Four simulated seconds a second: the station's heartbeat, once a wall-clock second,
    // stays within the simulated copter's 5 s failsafe.
    let sim = SimRunner::start_world(
        SimWorld::from_scenario(&scenario, 5),
        SimTransport::Udp {
            socket: UdpSocket::bind("127.0.0.1:0").expect("a port"),
            peer: Some(crate::common::bound_addr(&station, 0)),
            learn: false,
        },
        RunOptions {
            speed: 4.0,
            ..RunOptions::default()
        },
        None,
    )
    .expect("the simulator starts");
    crate::common::wait(&station, "the copter ready to fly", |s| {
        s.world
            .vehicles
            .get(&1)
            .is_some_and(|v| v.position.is_some() && v.prearm_ok == Some(true))
    });

    let alert = work_the_shift(&station, &reports, &modem);

    gateway.stop();
    modem.stop();
    reports.stop();
    sim.stop();
    pipeline.shutdown();

    Shift {
        session,
        folders,
        alert,
    }
}
