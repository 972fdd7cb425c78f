use super::*;
use crate::journal::{DispatchRecord, IncidentRecord, ReportRecord};

/// 2026-03-14T09:00:00Z.
const T0: u64 = 1_773_478_800_000_000;
const SEC: u64 = 1_000_000;

/// `secs` after T0.
fn at(secs: u64) -> u64 {
    T0 + secs * SEC
}

/// An alert's life: when each step happened (seconds after T0), and the records the journal
/// holds of it, each carrying the times so far as `decisions.rs` writes them.
#[derive(Clone, Copy, Default)]
struct Life {
    id: &'static str,
    severity: &'static str,
    raised: u64,
    acknowledged: Option<u64>,
    assigned: Option<u64>,
    resolved: Option<u64>,
}

impl Life {
    fn new(id: &'static str, severity: &'static str, raised: u64) -> Self {
        Self {
            id,
            severity,
            raised,
            ..Self::default()
        }
    }

    fn record(&self, event: &str, state: &str, time: u64) -> JournalRecord {
        let upto = |step: Option<u64>| step.filter(|&s| s <= time).map(at);
        JournalRecord::Alert(AlertRecord {
            time_us: at(time),
            alert_id: self.id.into(),
            rule: "approach".into(),
            severity: self.severity.into(),
            site: "Keradu".into(),
            state: state.into(),
            who: if event == "raised" { "vigil" } else { "op1" }.into(),
            event: event.into(),
            active: true,
            raised_us: Some(at(self.raised)),
            acknowledged_us: upto(self.acknowledged),
            assigned_us: upto(self.assigned),
            resolved_us: upto(self.resolved),
            ..AlertRecord::default()
        })
    }

    fn records(&self) -> Vec<JournalRecord> {
        let mut out = vec![self.record("raised", "open", self.raised)];
        for (step, event) in [
            (self.acknowledged, "acknowledged"),
            (self.assigned, "assigned"),
            (self.resolved, "resolved"),
        ] {
            if let Some(time) = step {
                out.push(self.record(event, event, time));
            }
        }
        out
    }
}

fn dispatch(id: &str, alert: Option<&str>, state: &str, sent: u64, time: u64) -> JournalRecord {
    JournalRecord::Dispatch(DispatchRecord {
        time_us: at(time),
        dispatch_id: id.into(),
        drone: 1,
        alert_id: alert.map(str::to_owned),
        state: state.into(),
        who: "op1".into(),
        sent_us: at(sent),
        ..DispatchRecord::default()
    })
}

fn report(id: &str, event: &str, time: u64) -> JournalRecord {
    let state = if event == "recorded" {
        "unverified"
    } else {
        event
    };
    JournalRecord::Report(ReportRecord {
        time_us: at(time),
        report_id: id.into(),
        state: state.into(),
        event: event.into(),
        ..ReportRecord::default()
    })
}

fn incident(id: &str, event: &str, time: u64) -> JournalRecord {
    let state = if event == "recorded" {
        "unverified"
    } else {
        event
    };
    JournalRecord::Incident(IncidentRecord {
        time_us: at(time),
        incident_id: id.into(),
        state: state.into(),
        event: event.into(),
        ..IncidentRecord::default()
    })
}

/// Records in journal order (by time; ties keep their order).
fn journal(mut records: Vec<JournalRecord>) -> Vec<JournalRecord> {
    records.sort_by_key(|r| r.time());
    records
}

fn secs(n: u64) -> Option<u64> {
    Some(n * SEC)
}

#[test]
fn nearest_rank_percentiles_are_values_of_the_data() {
    let data: Vec<u64> = (1..=10).collect();
    assert_eq!(percentile(&data, 50), Some(5));
    assert_eq!(percentile(&data, 90), Some(9));
    assert_eq!(percentile(&data, 91), Some(10));
    assert_eq!(percentile(&data, 100), Some(10));
    assert_eq!(percentile(&data, 0), Some(1));
    assert_eq!(percentile(&[7], 50), Some(7));
    assert_eq!(percentile(&[7], 90), Some(7));
    assert_eq!(percentile(&[1, 2], 50), Some(1));
    assert_eq!(percentile(&[], 50), None);
}

#[test]
fn each_step_of_one_alert_is_measured_from_its_raising() {
    let life = Life {
        acknowledged: Some(105),
        assigned: Some(130),
        resolved: Some(400),
        ..Life::new("1", "CRITICAL", 100)
    };
    let mut records = life.records();
    records.extend([
        dispatch("1", Some("1"), "in progress", 120, 120),
        dispatch("1", Some("1"), "in progress", 120, 121),
        dispatch("1", Some("1"), "orbiting", 120, 190),
        dispatch("1", Some("1"), "orbiting", 120, 250),
        // On another clock (the frames' receive clock, a simulation's date apart): not in
        // the period.
        JournalRecord::Note(crate::journal::NoteRecord {
            time_us: at(86_400 * 200),
            author: "op1".into(),
            lat_deg: None,
            lon_deg: None,
            text: "handover".into(),
        }),
    ]);
    let summary = summarise(&journal(records), Window::default());
    let [alert] = summary.responses.as_slice() else {
        panic!("one alert: {:?}", summary.responses);
    };
    assert_eq!(alert.state, "resolved");
    assert_eq!(alert.dispatched_us, Some(at(120)));
    assert_eq!(alert.on_scene_us, Some(at(190)));
    let delays: Vec<Option<u64>> = Step::ALL.iter().map(|&s| alert.delay_us(s)).collect();
    // Response: the drone (20 s) before the assignment (30 s).
    assert_eq!(delays, [secs(5), secs(20), secs(90), secs(300)]);
    let stats = &summary.alerts;
    assert_eq!((stats.count, stats.open), (1, 0));
    for (step, delay) in Step::ALL.iter().zip(delays) {
        let s = stats.step(*step).expect("every step");
        assert_eq!(
            (s.reached, s.median_us, s.p90_us),
            (1, delay, delay),
            "{step:?}"
        );
    }
    assert_eq!(summary.by_severity.len(), 1);
    assert_eq!(summary.by_severity[0].severity, "CRITICAL");
    assert_eq!(summary.by_severity[0].stats, summary.alerts);
    assert_eq!(
        (summary.start_us, summary.end_us),
        (Some(at(100)), Some(at(400)))
    );
}

#[test]
fn ten_alerts_acknowledged_after_one_to_ten_seconds() {
    let mut records = Vec::new();
    const IDS: [&str; 10] = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
    for (i, id) in (0u64..).zip(IDS) {
        let raised = 60 * i;
        // Acknowledged in a shuffled order of delays, 1..=10 s.
        let delay = (i * 7) % 10 + 1;
        records.extend(
            Life {
                acknowledged: Some(raised + delay),
                ..Life::new(id, "WARNING", raised)
            }
            .records(),
        );
    }
    let summary = summarise(&journal(records), Window::default());
    let ack = summary
        .alerts
        .step(Step::Acknowledged)
        .expect("acknowledged");
    assert_eq!(
        (ack.reached, ack.median_us, ack.p90_us),
        (10, secs(5), secs(9))
    );
    assert_eq!(summary.alerts.open, 10);
    let resolved = summary.alerts.step(Step::Resolved).expect("resolved");
    assert_eq!((resolved.reached, resolved.median_us), (0, None));
}

#[test]
fn alerts_never_acknowledged_count_as_raised_and_open() {
    let records = journal(
        [
            Life {
                acknowledged: Some(10),
                resolved: Some(70),
                ..Life::new("1", "WARNING", 0)
            }
            .records(),
            Life::new("2", "WARNING", 30).records(),
            Life::new("3", "info", 40).records(),
        ]
        .concat(),
    );
    let summary = summarise(&records, Window::default());
    let stats = &summary.alerts;
    assert_eq!((stats.count, stats.open), (3, 2));
    let ack = stats.step(Step::Acknowledged).expect("acknowledged");
    assert_eq!((ack.reached, ack.median_us), (1, secs(10)));
    let warning = &summary.by_severity[0];
    assert_eq!(warning.severity, "WARNING");
    assert_eq!((warning.stats.count, warning.stats.open), (2, 1));
    let info = &summary.by_severity[1];
    assert_eq!((info.severity.as_str(), info.stats.count), ("info", 1));
    assert_eq!(
        info.stats.step(Step::Acknowledged).map(|s| s.median_us),
        Some(None)
    );
    let open: Vec<&str> = summary
        .responses
        .iter()
        .filter(|r| r.is_open())
        .map(|r| r.alert_id.as_str())
        .collect();
    assert_eq!(open, ["2", "3"]);
    let table = summary.table();
    assert!(table.contains("Still open at the end:"), "{table}");
    assert!(
        table.contains("alert 2 WARNING approach at Keradu, open"),
        "{table}"
    );
}

#[test]
fn a_dispatch_counts_for_its_own_alert_only() {
    let mut records = [
        Life::new("1", "CRITICAL", 0).records(),
        Life {
            assigned: Some(50),
            ..Life::new("2", "CRITICAL", 10)
        }
        .records(),
    ]
    .concat();
    records.extend([
        // For alert 2: sent after 15 s, failed; a second drone sent after 25 s got there.
        dispatch("1", Some("2"), "in progress", 25, 25),
        dispatch("1", Some("2"), "failed", 25, 30),
        dispatch("2", Some("2"), "in progress", 35, 35),
        dispatch("2", Some("2"), "orbiting", 35, 100),
        // For a site, and for an alert this journal never raised.
        dispatch("3", None, "orbiting", 40, 60),
        dispatch("4", Some("9"), "orbiting", 40, 60),
    ]);
    let summary = summarise(&journal(records), Window::default());
    let [first, second] = summary.responses.as_slice() else {
        panic!("two alerts: {:?}", summary.responses);
    };
    assert_eq!((first.dispatched_us, first.on_scene_us), (None, None));
    assert_eq!(first.delay_us(Step::Response), None);
    assert_eq!(second.delay_us(Step::Response), secs(15));
    assert_eq!(second.delay_us(Step::OnScene), secs(90));
    let on_scene = summary.alerts.step(Step::OnScene).expect("on scene");
    assert_eq!((on_scene.reached, on_scene.median_us), (1, secs(90)));
}

#[test]
fn a_window_counts_the_alerts_raised_in_it_up_to_its_end() {
    let records = journal(
        [
            // Before the window: left out even though resolved within it.
            Life {
                resolved: Some(150),
                ..Life::new("1", "WARNING", 50)
            }
            .records(),
            // In it, acknowledged in it, resolved after it: open at its end.
            Life {
                acknowledged: Some(130),
                resolved: Some(500),
                ..Life::new("2", "WARNING", 120)
            }
            .records(),
            // After it.
            Life::new("3", "WARNING", 400).records(),
            vec![
                report("1", "recorded", 90),
                report("1", "verified", 110),
                report("2", "recorded", 140),
                report("2", "verified", 160),
                report("3", "recorded", 170),
                report("3", "verified", 350),
                incident("1", "recorded", 150),
                incident("2", "recorded", 320),
            ],
        ]
        .concat(),
    );
    let window = Window {
        from_us: Some(at(100)),
        to_us: Some(at(300)),
    };
    let summary = summarise(&records, window);
    let ids: Vec<&str> = summary
        .responses
        .iter()
        .map(|r| r.alert_id.as_str())
        .collect();
    assert_eq!(ids, ["2"]);
    let alert = &summary.responses[0];
    assert_eq!(alert.delay_us(Step::Acknowledged), secs(10));
    assert_eq!((alert.resolved_us, alert.is_open()), (None, true));
    assert_eq!(
        (summary.start_us, summary.end_us),
        (window.from_us, window.to_us)
    );
    // One alert in 200 s: 18 an hour.
    let rate = summary.alerts.per_hour.expect("a rate");
    assert!((rate - 18.0).abs() < 1e-9, "{rate}");
    let reports = summary.reports;
    assert_eq!((reports.received, reports.verified), (2, 1));
    assert_eq!(reports.to_verified_median_us, secs(20));
    assert_eq!(summary.incidents.recorded, 1);
}

#[test]
fn reports_and_incidents_are_counted_by_their_state_at_the_end() {
    let records = journal(vec![
        report("1", "recorded", 0),
        report("1", "verified", 10),
        report("2", "recorded", 5),
        report("2", "rejected", 60),
        report("3", "recorded", 20),
        report("3", "verified", 50),
        report("4", "recorded", 30),
        report("5", "recorded", 40),
        report("5", "verified", 140),
        incident("1", "recorded", 70),
        incident("1", "verified", 80),
        incident("2", "recorded", 90),
        incident("2", "rejected", 95),
        incident("3", "recorded", 99),
    ]);
    let summary = summarise(&records, Window::default());
    assert_eq!(
        summary.reports,
        ReportStats {
            received: 5,
            verified: 3,
            rejected: 1,
            // 10, 30 and 100 s.
            to_verified_median_us: secs(30),
            to_verified_p90_us: secs(100),
        }
    );
    assert_eq!(
        summary.incidents,
        IncidentStats {
            recorded: 3,
            verified: 1,
            rejected: 1,
        }
    );
}

#[test]
fn an_empty_journal_has_no_figures() {
    let summary = summarise(&[], Window::default());
    assert_eq!((summary.start_us, summary.end_us), (None, None));
    assert_eq!((summary.alerts.count, summary.alerts.per_hour), (0, None));
    assert!(
        summary
            .alerts
            .steps
            .iter()
            .all(|s| s.reached == 0 && s.median_us.is_none() && s.p90_us.is_none())
    );
    assert!(summary.by_severity.is_empty() && summary.per_hour.is_empty());
    assert_eq!(summary.reports, ReportStats::default());
    let table = summary.table();
    assert!(table.contains("From — to — (—)"), "{table}");
    assert!(table.contains("acknowledged"), "{table}");
    assert!(table.contains("Still open at the end: none"), "{table}");
    let json = serde_json::to_value(&summary).expect("serialises");
    assert_eq!(
        json["alerts"]["steps"][0]["median_us"],
        serde_json::Value::Null
    );
}

#[test]
fn an_id_raised_again_after_a_restart_is_another_alert() {
    let records = journal(
        [
            Life {
                acknowledged: Some(20),
                ..Life::new("1", "WARNING", 0)
            }
            .records(),
            // The station restarted: its first alert is "1" again.
            Life {
                acknowledged: Some(150),
                ..Life::new("1", "CRITICAL", 100)
            }
            .records(),
        ]
        .concat(),
    );
    let summary = summarise(&records, Window::default());
    let delays: Vec<(String, Option<u64>)> = summary
        .responses
        .iter()
        .map(|r| (r.severity.clone(), r.delay_us(Step::Acknowledged)))
        .collect();
    assert_eq!(
        delays,
        [("WARNING".into(), secs(20)), ("CRITICAL".into(), secs(50))]
    );
}

#[test]
fn journals_without_the_workflow_times_fall_back_to_the_records() {
    let old = |time: u64, state: &str| {
        JournalRecord::Alert(AlertRecord {
            time_us: at(time),
            alert_id: "4".into(),
            severity: "WARNING".into(),
            state: state.into(),
            ..AlertRecord::default()
        })
    };
    let records = vec![
        old(10, "open"),
        old(12, "acknowledged"),
        old(40, "assigned"),
        old(70, "resolved"),
    ];
    let summary = summarise(&records, Window::default());
    let alert = &summary.responses[0];
    let delays: Vec<Option<u64>> = Step::ALL.iter().map(|&s| alert.delay_us(s)).collect();
    assert_eq!(delays, [secs(2), secs(30), None, secs(60)]);
}

#[test]
fn alerts_per_hour_by_severity() {
    let records = journal(
        [
            Life::new("1", "info", 0).records(),
            Life::new("2", "CRITICAL", 600).records(),
            Life::new("3", "WARNING", 3_599).records(),
            Life::new("4", "CRITICAL", 3_600).records(),
            Life::new("5", "CRITICAL", 7_200).records(),
        ]
        .concat(),
    );
    let summary = summarise(&records, Window::default());
    let order: Vec<&str> = summary
        .by_severity
        .iter()
        .map(|s| s.severity.as_str())
        .collect();
    assert_eq!(order, ["CRITICAL", "WARNING", "info"]);
    // Over two hours.
    assert_eq!(summary.by_severity[0].stats.per_hour, Some(1.5));
    assert_eq!(summary.alerts.per_hour, Some(2.5));
    let hours: Vec<(&str, Vec<(&str, usize)>)> = summary
        .per_hour
        .iter()
        .map(|h| {
            (
                h.hour_utc.as_str(),
                h.by_severity
                    .iter()
                    .map(|(s, n)| (s.as_str(), *n))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        hours,
        [
            (
                "2026-03-14T09:00:00Z",
                vec![("CRITICAL", 1), ("WARNING", 1), ("info", 1)]
            ),
            ("2026-03-14T10:00:00Z", vec![("CRITICAL", 1)]),
            ("2026-03-14T11:00:00Z", vec![("CRITICAL", 1)]),
        ]
    );
    let table = summary.table();
    assert!(table.contains("2026-03-14T10:00:00Z"), "{table}");
}

#[test]
fn durations_read_as_minutes_and_seconds() {
    assert_eq!(duration_text(0), "0.0 s");
    assert_eq!(duration_text(420_000), "0.4 s");
    assert_eq!(duration_text(9_940_000), "9.9 s");
    assert_eq!(duration_text(9_960_000), "10 s");
    assert_eq!(duration_text(42 * SEC), "42 s");
    assert_eq!(duration_text(59_600_000), "1 m 00 s");
    assert_eq!(duration_text(65 * SEC), "1 m 05 s");
    assert_eq!(duration_text(7_385 * SEC), "2 h 03 m 05 s");
}

#[test]
fn a_session_folder_is_read_and_its_absence_said() {
    use crate::journal::store::{append, open_for_writing};
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nothing");
    assert!(matches!(
        summarise_session(&missing, None, None),
        Err(SummaryError::NoSession { .. })
    ));
    let err = summarise_session(dir.path(), None, None).expect_err("no journal");
    assert!(matches!(err, SummaryError::NoJournal { .. }), "{err}");
    assert!(err.to_string().contains("no journal"), "{err}");

    let path = dir.path().join(JOURNAL_FILE);
    let (mut conn, mut head) = open_for_writing(&path).expect("opens");
    let mut records = Life {
        acknowledged: Some(30),
        ..Life::new("1", "WARNING", 10)
    }
    .records();
    records.extend(Life::new("2", "WARNING", 200).records());
    append(&mut conn, &path, &mut head, &records).expect("appends");
    drop(conn);

    let all = summarise_session(dir.path(), None, None).expect("summarises");
    assert_eq!(all.alerts.count, 2);
    assert_eq!((all.start_us, all.end_us), (Some(at(10)), Some(at(200))));
    // Seconds from the start (the first record, without a session.json).
    let early =
        summarise_session(dir.path(), None, Some(TimeSpec::FromStart(100.0))).expect("summarises");
    assert_eq!(early.alerts.count, 1);
    assert_eq!(
        early.alerts.step(Step::Acknowledged).map(|s| s.median_us),
        Some(secs(20))
    );
    let backwards = summarise_session(
        dir.path(),
        Some(TimeSpec::FromStart(100.0)),
        Some(TimeSpec::FromStart(50.0)),
    );
    assert!(matches!(backwards, Err(SummaryError::Invalid(_))));

    std::fs::write(&path, b"not a journal").expect("written");
    assert!(matches!(
        summarise_session(dir.path(), None, None),
        Err(SummaryError::Journal(_))
    ));
}
