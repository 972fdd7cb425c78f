//! The gateway against the simulated modem (`vigil_sim::modem`) on a pseudo-terminal, with a
//! stand-in for the station.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use vigil_core::time::parse_utc;
use vigil_protection::LatLon;
use vigil_protection::reports::NewReport;
use vigil_sim::modem::{IncomingSms, ModemOptions, ModemState, SimModem};

use super::modem::Modem;
use super::{Delivery, ReportSink, SmsError, SmsGateway, SmsStats, Timing};

const WAIT: Duration = Duration::from_secs(20);

/// Takes reports while `available`, numbering them from 1.
#[derive(Clone, Default)]
struct Sink {
    reports: Arc<Mutex<Vec<NewReport>>>,
    unavailable: Arc<AtomicBool>,
}

impl Sink {
    fn reports(&self) -> Vec<NewReport> {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ReportSink for Sink {
    fn add(&self, report: NewReport) -> Delivery {
        if self.unavailable.load(Ordering::SeqCst) {
            return Delivery::Unavailable;
        }
        let mut reports = self.reports.lock().unwrap_or_else(PoisonError::into_inner);
        reports.push(report);
        Delivery::Accepted(reports.len() as u64)
    }
}

fn timing() -> Timing {
    Timing {
        command: Duration::from_secs(5),
        settle: Duration::from_millis(50),
        retry: Duration::from_millis(100),
        ..Timing::default()
    }
}

fn gazetteer(name: &str) -> Option<LatLon> {
    vigil_protection::sms::fold(name)
        .eq("keradu")
        .then_some(LatLon {
            lat_deg: 9.0084,
            lon_deg: 31.0157,
        })
}

fn start(modem: &SimModem, sink: &Sink) -> SmsGateway {
    SmsGateway::start_with(
        &modem.path().to_string_lossy(),
        115_200,
        sink.clone(),
        Box::new(gazetteer),
        timing(),
    )
    .expect("the gateway starts")
}

fn sms(sender: &str, text: &str) -> IncomingSms {
    IncomingSms {
        sender: sender.into(),
        time: parse_utc("2026-03-14T15:30:00Z").expect("a time"),
        zone_quarter_hours: 12,
        text: text.into(),
    }
}

fn wait_modem(modem: &SimModem, what: &str, ready: impl Fn(&ModemState) -> bool) -> ModemState {
    modem
        .wait_for(WAIT, ready)
        .unwrap_or_else(|| panic!("timed out waiting for {what}: {:#?}", modem.state()))
}

fn wait_stats(gateway: &SmsGateway, what: &str, ready: impl Fn(&SmsStats) -> bool) -> SmsStats {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = gateway.stats();
        if ready(&stats) {
            return stats;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {stats:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn reports_are_added_then_deleted_and_acknowledged() {
    let modem = SimModem::start(ModemOptions::default()).expect("the modem starts");
    // Stored before the gateway started: found by the first listing.
    modem
        .deliver(sms("+211911111111", "fire 9.01,31.02 3 people"))
        .expect("stored");
    let sink = Sink::default();
    let gateway = start(&modem, &sink);
    modem.unsolicited("^RSSI: 17");
    modem
        .deliver(sms(
            "+211922222222",
            "Tirs à Keradu 12 personnes maisons brûlées",
        ))
        .expect("stored");
    modem.unsolicited("RING");
    modem
        .deliver(sms("+211933333333", "zzz ??"))
        .expect("stored");
    let state = wait_modem(&modem, "three answers", |s| s.sent.len() == 3);
    assert!(state.stored.is_empty(), "{:?}", state.stored);
    let reports = sink.reports();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0].category, "fire");
    assert_eq!(reports[0].people, Some(3));
    assert_eq!(reports[1].category, "shooting");
    assert_eq!(reports[1].description, "Keradu: maisons brûlées");
    assert_eq!(reports[1].reporter, "+211922222222");
    assert_eq!(
        reports[1].time,
        parse_utc("2026-03-14T15:30:00Z").expect("a time")
    );
    assert_eq!(state.sent[0].to, "+211911111111");
    assert_eq!(
        state.sent[0].text,
        "Vigil: report 1 received (fire). Thank you."
    );
    let help = state
        .sent
        .iter()
        .find(|s| s.to == "+211933333333")
        .expect("the garbled message answered");
    assert_eq!(
        help.text,
        "Vigil: could not read the category 'zzz'. Send: CATEGORY PLACE [N people] [text]"
    );
    // Text mode, UCS2, notifications; the listing's status in hexadecimal once refused.
    let commands = state.commands.join("\n");
    for expected in [
        "AT+CMGF=1",
        "AT+CSCS=\"UCS2\"",
        "AT+CNMI=2,1,0,0,0",
        "AT+CMGL=\"0041004C004C\"",
    ] {
        assert!(commands.contains(expected), "{expected} in {commands}");
    }
    let stats = wait_stats(&gateway, "the counts", |s| s.acks_sent == 3);
    assert_eq!(
        (stats.received, stats.accepted, stats.refused),
        (3, 2, 1),
        "{stats:?}"
    );
    assert!(stats.connected);
    gateway.stop();
}

#[test]
fn a_message_the_station_cannot_take_yet_stays_on_the_modem() {
    let modem = SimModem::start(ModemOptions::default()).expect("the modem starts");
    let sink = Sink::default();
    sink.unavailable.store(true, Ordering::SeqCst);
    let gateway = start(&modem, &sink);
    modem
        .deliver(sms("+211911111111", "looting Keradu"))
        .expect("stored");
    wait_stats(&gateway, "a deferral", |s| s.deferred >= 2);
    let state = modem.state();
    assert_eq!(state.stored.len(), 1, "kept");
    assert!(state.sent.is_empty(), "not answered yet");
    sink.unavailable.store(false, Ordering::SeqCst);
    let state = wait_modem(&modem, "the answer", |s| !s.sent.is_empty());
    assert!(state.stored.is_empty());
    assert_eq!(sink.reports().len(), 1, "added once");
    gateway.stop();
}

#[test]
fn without_ucs2_the_gsm_alphabet_and_hexadecimal_are_read() {
    let modem = SimModem::start(ModemOptions {
        ucs2: false,
        ..ModemOptions::default()
    })
    .expect("the modem starts");
    let sink = Sink::default();
    let gateway = start(&modem, &sink);
    modem
        .deliver(sms("+211911111111", "Enlèvement à Keradu 2 pers"))
        .expect("stored");
    modem
        .deliver(sms("+211922222222", "fête Keradu"))
        .expect("stored");
    let state = wait_modem(&modem, "two answers", |s| s.sent.len() == 2);
    let reports = sink.reports();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].category, "abduction");
    assert_eq!(reports[0].people, Some(2));
    // Sent in UCS2 by the phone, printed in hexadecimal, read whole.
    assert_eq!(
        state.sent[1].text,
        "Vigil: could not read the category 'fete'. Send: CATEGORY PLACE (N people) (text)"
    );
    assert!(state.commands.iter().any(|c| c == "AT+CSCS=\"GSM\""));
    gateway.stop();
}

#[test]
fn only_personal_numbers_are_answered_and_help_is_limited() {
    let modem = SimModem::start(ModemOptions::default()).expect("the modem starts");
    let sink = Sink::default();
    let gateway = start(&modem, &sink);
    modem
        .deliver(sms("Orange", "Your credit is low"))
        .expect("stored");
    for n in 0..5 {
        modem
            .deliver(sms("+211911111111", &format!("hello {n}")))
            .expect("stored");
    }
    modem
        .deliver(sms("+211922222222", "fire Keradu"))
        .expect("stored");
    wait_stats(&gateway, "every message", |s| s.received == 7);
    let state = wait_modem(&modem, "answers", |s| {
        s.stored.is_empty() && s.sent.iter().any(|m| m.to == "+211922222222")
    });
    let to = |number: &str| state.sent.iter().filter(|s| s.to == number).count();
    assert_eq!(to("Orange"), 0);
    assert_eq!(to("+211911111111"), super::MAX_HELP_REPLIES);
    assert_eq!(to("+211922222222"), 1);
    let stats = gateway.stats();
    assert_eq!((stats.accepted, stats.refused), (1, 6));
    gateway.stop();
}

#[test]
fn a_silent_or_missing_modem_is_an_error_naming_the_port() {
    let pty = vigil_sim::pty::open_pty().expect("a pseudo-terminal");
    let path = pty.slave_path.to_string_lossy().into_owned();
    let mut silent = Modem::open(
        &path,
        115_200,
        Timing {
            command: Duration::from_millis(200),
            settle: Duration::from_millis(20),
            sync_attempts: 2,
            ..Timing::default()
        },
    )
    .expect("opens");
    let err = silent.initialise().expect_err("nothing answers");
    assert!(matches!(err, SmsError::Timeout { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!("{path}: no answer to AT within 200 ms")
    );
    let missing = SmsGateway::start_with(
        "/dev/vigil-no-such-modem",
        115_200,
        Sink::default(),
        Box::new(gazetteer),
        timing(),
    )
    .map(|_| ())
    .expect_err("no such device");
    assert!(
        missing
            .to_string()
            .starts_with("/dev/vigil-no-such-modem: cannot open the modem"),
        "{missing}"
    );
}
