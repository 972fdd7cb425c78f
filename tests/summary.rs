//! `vigil summary` on a real shift: the shift of `tests/shift.rs` is recorded through the
//! public path (the simulator raises an alert; an operator acknowledges, assigns, sends a drone
//! and resolves it; a report and an incident are verified), then the binary summarises the
//! session as a table and as JSON, and its figures are checked against the journal: the worked
//! alert reached every step, its delays are positive and in order and are the journal's own
//! times; a window that starts after it was raised leaves it out; a folder without a journal
//! is refused.

mod common;
#[path = "common/shift.rs"]
mod shift;

use std::path::Path;

use serde_json::Value;
use vigil_record::journal::{JOURNAL_FILE, JournalReader, JournalRecord};

/// Runs `vigil summary ARGS`, asserting that it succeeded; its standard output.
fn summary(args: &[&str]) -> String {
    let output = common::vigil_command()
        .arg("summary")
        .args(args)
        .output()
        .expect("vigil summary runs");
    assert!(
        output.status.success(),
        "vigil summary {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn summary_json(args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let text = summary(&args);
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{err}: {text}"))
}

/// The journal's own times for an alert: its last record's, the first dispatch for it
/// (`sent_us`) and the first record of a drone sent for it reporting orbiting.
struct JournalTimes {
    raised: u64,
    acknowledged: u64,
    assigned: u64,
    dispatched: u64,
    on_scene: u64,
    resolved: u64,
}

fn journal_times(session: &Path, alert: &str) -> JournalTimes {
    let records = JournalReader::open(&session.join(JOURNAL_FILE))
        .expect("the journal opens")
        .records(None, None, &["alert", "dispatch"])
        .expect("it reads");
    let last = records
        .iter()
        .rev()
        .find_map(|(_, r)| match r {
            JournalRecord::Alert(a) if a.alert_id == alert => Some(a),
            _ => None,
        })
        .expect("the alert's records");
    let dispatches = || {
        records.iter().filter_map(|(_, r)| match r {
            JournalRecord::Dispatch(d) if d.alert_id.as_deref() == Some(alert) => Some(d),
            _ => None,
        })
    };
    JournalTimes {
        raised: last.raised_us.expect("raised"),
        acknowledged: last.acknowledged_us.expect("acknowledged"),
        assigned: last.assigned_us.expect("assigned"),
        dispatched: dispatches().map(|d| d.sent_us).min().expect("a dispatch"),
        on_scene: dispatches()
            .filter(|d| d.state == "orbiting")
            .map(|d| d.time_us)
            .min()
            .expect("orbiting"),
        resolved: last.resolved_us.expect("resolved"),
    }
}

/// A step's figures in the JSON's `alerts.steps`: `(reached, median_us, p90_us)`.
fn step(json: &Value, name: &str) -> (u64, Option<u64>, Option<u64>) {
    let step = json["alerts"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name}"));
    (
        step["reached"].as_u64().expect("reached"),
        step["median_us"].as_u64(),
        step["p90_us"].as_u64(),
    )
}

fn check_json(json: &Value, times: &JournalTimes, alert: &str) {
    let responses = json["responses"].as_array().expect("responses");
    let worked = responses
        .iter()
        .find(|r| r["alert_id"] == alert)
        .unwrap_or_else(|| panic!("alert {alert} in {responses:?}"));
    for (field, expected) in [
        ("raised_us", times.raised),
        ("acknowledged_us", times.acknowledged),
        ("assigned_us", times.assigned),
        ("dispatched_us", times.dispatched),
        ("on_scene_us", times.on_scene),
        ("resolved_us", times.resolved),
    ] {
        assert_eq!(worked[field].as_u64(), Some(expected), "{field}");
    }
    let response = times.assigned.min(times.dispatched);
    let delays = [
        times.acknowledged - times.raised,
        response - times.raised,
        times.on_scene - times.raised,
        times.resolved - times.raised,
    ];
    assert!(delays[0] > 0, "{delays:?}");
    assert!(delays.is_sorted(), "{delays:?}");
    println!("raised to acknowledged, response, on scene, resolved (µs): {delays:?}");
    // Only this alert was worked: each step's figures are its own.
    let count = json["alerts"]["count"].as_u64().expect("count");
    assert!(count >= 1);
    for (name, delay) in ["acknowledged", "response", "on_scene", "resolved"]
        .into_iter()
        .zip(delays)
    {
        assert_eq!(step(json, name), (1, Some(delay), Some(delay)), "{name}");
    }
    let open = responses
        .iter()
        .filter(|r| r["resolved_us"].is_null())
        .count() as u64;
    assert_eq!(json["alerts"]["open"].as_u64(), Some(open));
    assert_eq!(open, count - 1);
    let reports = &json["reports"];
    // The phone report and the SMS, verified; the Kobo export's three, received.
    assert_eq!(
        (reports["received"].as_u64(), reports["verified"].as_u64()),
        (Some(5), Some(2))
    );
    // Verified in the rules' step it came in, or later: zero or more.
    assert!(reports["to_verified_median_us"].as_u64().is_some());
    let incidents = &json["incidents"];
    assert_eq!(
        (
            incidents["recorded"].as_u64(),
            incidents["verified"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

fn check_table(table: &str, count: u64) {
    for (label, steps) in [
        ("acknowledged", 1),
        ("assigned or drone sent", 1),
        ("drone on scene", 1),
        ("resolved", 1),
    ] {
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label} line in\n{table}"));
        assert!(line.contains(&format!("{steps}/{count}")), "{line}");
        assert!(line.ends_with(" s"), "a duration: {line}");
    }
    assert!(
        table.contains(&format!("Alerts: {count} raised")),
        "{table}"
    );
    assert!(
        table.contains("Community reports: 5 received, 2 verified, 0 rejected"),
        "{table}"
    );
    assert!(
        table.contains("Incidents: 1 recorded, 1 verified, 0 rejected"),
        "{table}"
    );
}

#[test]
fn a_recorded_shift_is_summarised_from_its_journal() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let shift = shift::run_shift(tmp.path());
    let session = shift.session.to_string_lossy().into_owned();
    let alert = shift.alert.to_string();
    let times = journal_times(&shift.session, &alert);

    let json = summary_json(&[&session]);
    check_json(&json, &times, &alert);
    let count = json["alerts"]["count"].as_u64().expect("count");
    let table = summary(&[&session]);
    println!("{table}");
    check_table(&table, count);

    // From just after the alert was raised: it is left out; the report and the incident,
    // later, stay.
    let from = vigil_core::time::utc_millis_string(vigil_core::time::TimeUs(times.raised + 1_000));
    let later = summary_json(&[&session, "--from", &from]);
    assert!(
        later["responses"]
            .as_array()
            .expect("responses")
            .iter()
            .all(|r| r["alert_id"] != alert.as_str()),
        "{later}"
    );
    assert_eq!(step(&later, "acknowledged").0, 0);
    // The reports all came in after it: the phone's, the Kobo export's three, the SMS.
    assert_eq!(later["reports"]["received"].as_u64(), Some(5));

    let empty = tmp.path().join("not-a-session");
    std::fs::create_dir(&empty).expect("a folder");
    let refused = common::vigil_command()
        .arg("summary")
        .arg(&empty)
        .output()
        .expect("vigil summary runs");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no journal"), "{stderr}");
}
