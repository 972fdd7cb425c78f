//! A shift, driven through the public path as the console drives it: the simulator's armed
//! group raises an alert; an operator acknowledges, assigns and annotates it, sends a drone
//! and resolves it; a villager's report comes in over HTTP and is verified, an incident is
//! recorded from it and verified, and a note is written. Then the session's journal, `vigil
//! verify` and every export show each of those steps with who and when, and the reporter's
//! phone number is nowhere in the session or its exports.

mod common;
#[path = "common/shift.rs"]
mod shift;

use std::path::Path;

use shift::{OPERATOR, REPORTER, SMS_REPORTER};
use vigil_record::journal::{JOURNAL_FILE, JournalReader, JournalRecord};

/// Every record of `kind` in the session's journal.
fn journal(dir: &Path) -> Vec<JournalRecord> {
    JournalReader::open(&dir.join(JOURNAL_FILE))
        .expect("the journal opens")
        .records(None, None, &[])
        .expect("it reads")
        .into_iter()
        .map(|(_, r)| r)
        .collect()
}

fn check_journal(records: &[JournalRecord]) {
    let alert_events: Vec<(String, String)> = records
        .iter()
        .filter_map(|r| match r {
            JournalRecord::Alert(a) => Some((a.event.clone(), a.who.clone())),
            _ => None,
        })
        .collect();
    for (event, who) in [
        ("raised", "vigil"),
        ("acknowledged", OPERATOR),
        ("assigned", OPERATOR),
        ("annotated", OPERATOR),
        ("resolved", OPERATOR),
    ] {
        assert!(
            alert_events.iter().any(|(e, w)| e == event && w == who),
            "no alert {event} by {who} in {alert_events:?}"
        );
    }
    let resolved = records
        .iter()
        .find_map(|r| match r {
            JournalRecord::Alert(a) if a.event == "resolved" => Some(a),
            _ => None,
        })
        .expect("the resolution");
    assert_eq!(resolved.assignee, "Team Bravo");
    let (raised, acknowledged, resolved_at) = (
        resolved.raised_us.expect("raised"),
        resolved.acknowledged_us.expect("acknowledged"),
        resolved.resolved_us.expect("resolved"),
    );
    assert!(raised <= acknowledged && acknowledged <= resolved_at);
    assert!(records.iter().any(
        |r| matches!(r, JournalRecord::Dispatch(d) if d.state == "orbiting" && d.who == OPERATOR && d.drone == 1)
    ));
    for event in ["recorded", "verified"] {
        assert!(records.iter().any(
            |r| matches!(r, JournalRecord::Report(p) if p.event == event && p.people == Some(4) && p.reporter.starts_with("reporter "))
        ), "report {event}");
        assert!(
            records.iter().any(
                |r| matches!(r, JournalRecord::Incident(i) if i.event == event && i.reports.len() == 2 && i.reports[0] == 1)
            ),
            "incident {event}"
        );
    }
    assert!(records.iter().any(
        |r| matches!(r, JournalRecord::Note(n) if n.author == OPERATOR && n.text.starts_with("handover"))
    ));
    // The SMS through the modem, verified; the Kobo export's three reports, recorded.
    assert!(records.iter().any(|r| matches!(r, JournalRecord::Report(p)
        if p.channel == "sms" && p.event == "verified" && p.people == Some(4)
            && p.reporter.starts_with("reporter "))));
    let kobo = records
        .iter()
        .filter(|r| matches!(r, JournalRecord::Report(p) if p.channel == "kobo" && p.event == "recorded"))
        .count();
    assert_eq!(kobo, 3, "the Kobo export's reports");
    assert!(
        records.iter().any(
            |r| matches!(r, JournalRecord::Note(n) if n.author == OPERATOR
            && n.text == "revealed the contact of report 1 for a call-back")
        ),
        "the reveal of the reporter's number is recorded"
    );
    // The radar's alert about the group corroborates the villager's report.
    assert!(records.iter().any(
        |r| matches!(r, JournalRecord::Report(p) if p.event == "recorded" && !p.alerts.is_empty() && !p.tracks.is_empty())
    ), "the report is linked to the alert and the track near it");
}

/// Whether `needle` is anywhere in the files under `dir`.
fn found_in(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(entry.display().to_string());
        }
    }
    found
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_shift_reaches_the_journal_verify_and_every_export() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let shift::Shift {
        session, folders, ..
    } = shift::run_shift(tmp.path());

    check_journal(&journal(&session));
    let verify = common::vigil_command()
        .args(["verify", &session.to_string_lossy()])
        .env("VIGIL_SIGNING_KEY", &folders.station_key)
        .output()
        .expect("vigil verify runs");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    let exports = tmp.path().join("exports");
    std::fs::create_dir(&exports).expect("a folder for the exports");
    for (format, out) in [
        ("geojson", "shift.geojson"),
        ("gpkg", "shift.gpkg"),
        ("kml", "shift.kml"),
        ("csv", "shift-csv"),
        ("cot", "shift.cot.xml"),
    ] {
        let out = exports.join(out);
        let export = common::vigil_command()
            .args(["export", &session.to_string_lossy(), "--format", format])
            .arg("--out")
            .arg(&out)
            .output()
            .expect("vigil export runs");
        assert!(
            export.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&export.stderr)
        );
        for needle in [
            "acknowledged",
            "Team Bravo",
            "orbiting",
            "strategic_developments/other",
            "handover",
        ] {
            let hits = if out.is_dir() {
                found_in(&out, needle.as_bytes())
            } else {
                found_in(&exports, needle.as_bytes())
                    .into_iter()
                    .filter(|f| f.ends_with(&*out.file_name().expect("a name").to_string_lossy()))
                    .collect()
            };
            assert!(!hits.is_empty(), "{format}: no {needle:?}");
        }
    }
    // A replay of the session shows what was decided, beside the picture it rebuilds.
    let replay = common::vigil_command()
        .args(["replay", "--headless", "--fast"])
        .arg(session.join(vigil_record::session::TLOG_FILE))
        .env("VIGIL_SIGNING_KEY", &folders.station_key)
        .output()
        .expect("vigil replay runs");
    let said = String::from_utf8_lossy(&replay.stdout);
    assert!(replay.status.success(), "{said}");
    for line in [
        "acknowledged by Sgt Diallo",
        "assigned by Sgt Diallo: Team Bravo",
        "resolved by Sgt Diallo: group left westwards",
        "report 1 verified (armed_men, phone) by Sgt Diallo: called back, confirmed",
        "(armed_men, sms) by Sgt Diallo: same group as the radar's",
        "drone 1 sent to alert",
        "note by Sgt Diallo: handover",
    ] {
        assert!(
            said.contains(line),
            "the replay does not say {line:?}:\n{said}"
        );
    }
    for number in [REPORTER, SMS_REPORTER] {
        let number = number.trim_start_matches('+').as_bytes();
        assert_eq!(found_in(&session, number), Vec::<String>::new());
        assert_eq!(found_in(&exports, number), Vec::<String>::new());
    }
}
