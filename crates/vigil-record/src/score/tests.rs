use super::*;
use crate::journal::TrackRecord;

/// 2026-03-14T17:45:00Z.
const T0: u64 = 1_773_510_300_000_000;
const SEC: u64 = 1_000_000;

fn at(secs: u64) -> u64 {
    T0 + secs * SEC
}

/// One site, a well at 9° N 31° E with a 200 m buffer, as the station computes it.
fn sites() -> Vec<Site> {
    let geojson = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"Well","category":"water_point","buffer_m":200},"geometry":{"type":"Point","coordinates":[31.0,9.0]}}]}"#;
    buffered_sites(SiteSet::parse(geojson, "test.geojson").expect("valid sites"))
}

/// `north_m` north of the well.
fn north(north_m: f64) -> (f64, f64) {
    let frame = LocalFrame::new(Geodetic::from_deg(9.0, 31.0, 0.0));
    let g = frame.surface_at_en_m([0.0, north_m]);
    (g.lat_deg(), g.lon_deg())
}

/// A mover walking south towards the well at 10 m/s from `from_m` north of it, for
/// `seconds`, one row a second from T0.
fn walk(id: &str, armed: bool, from_m: f64, seconds: u64) -> Vec<TruthRow> {
    (0..=seconds)
        .map(|s| {
            let (lat_deg, lon_deg) = north(from_m - 10.0 * s as f64);
            TruthRow {
                time_us: at(s),
                id: id.into(),
                kind: "person".into(),
                lat_deg,
                lon_deg,
                covered: true,
                armed,
            }
        })
        .collect()
}

fn alert(id: &str, rule: &str, severity: &str, event: &str, secs: u64) -> AlertRecord {
    AlertRecord {
        time_us: at(secs),
        alert_id: id.into(),
        rule: rule.into(),
        severity: severity.into(),
        event: event.into(),
        active: event != "cleared",
        state: "open".into(),
        who: "vigil".into(),
        raised_us: Some(at(secs)),
        ..AlertRecord::default()
    }
}

fn placed(mut record: AlertRecord, (lat_deg, lon_deg): (f64, f64)) -> JournalRecord {
    record.lat_deg = lat_deg;
    record.lon_deg = lon_deg;
    JournalRecord::Alert(record)
}

fn track(id: u64, secs: u64, (lat_deg, lon_deg): (f64, f64)) -> JournalRecord {
    JournalRecord::Track(TrackRecord {
        time_us: at(secs),
        track_id: id,
        lat_deg,
        lon_deg,
        vel_e_mps: 0.0,
        vel_n_mps: -10.0,
        std_e_m: 5.0,
        std_n_m: 5.0,
        class: "person".into(),
        count: Some(1),
    })
}

fn coverage(secs: u64, observed: bool, last: Option<u64>) -> JournalRecord {
    JournalRecord::Coverage(CoverageRecord {
        time_us: at(secs),
        site: "Well".into(),
        observed,
        last_observed_us: last.map(at),
    })
}

/// An armed mover from 505 m north enters the 200 m buffer at 31 s (at 10 m/s: 205 m out
/// at 30 s, 195 m in at 31 s); another armed mover enters 60 s later and
/// nothing alerts it; a resident walks in too.
fn truth() -> Truth {
    let mut rows = walk("armed-1", true, 505.0, 60);
    rows.extend(walk("resident-1", false, 505.0, 60));
    rows.extend(walk("armed-2", true, 505.0, 60).into_iter().map(|mut r| {
        r.time_us += 60 * SEC;
        r.covered = false;
        r
    }));
    Truth::from_rows(rows).expect("rows")
}

/// The journal: an approach alert at 20 s about armed-1 (a warning 11 s before entry), the
/// intrusion at 33 s whose track follows armed-1, a gathering far from anyone (false and
/// critical), a sensor alert (equipment), and the well in view from 3 s to 18 s and from
/// 40 s on.
fn records() -> Vec<JournalRecord> {
    let truth = truth();
    let mover = |s: u64| {
        let row = truth.at("armed-1", at(s)).expect("a row");
        (row.lat_deg, row.lon_deg)
    };
    let mut records = vec![coverage(3, true, Some(3))];
    let mut approach = alert("1", "approach", "WARNING", "raised", 20);
    approach.site = "Well".into();
    approach.cause = "track 7".into();
    records.push(placed(approach, mover(20)));
    let mut intrusion = alert("2", INTRUSION_RULE, "CRITICAL", "raised", 33);
    intrusion.cause = "track 7; sensor 101/1".into();
    for s in 0..=60 {
        records.push(track(7, s, mover(s)));
    }
    records.push(placed(intrusion.clone(), mover(33)));
    records.push(coverage(20, false, Some(18)));
    let mut far = alert("3", "gathering", "CRITICAL", "raised", 35);
    far.cause = "tracks 8, 9".into();
    records.push(placed(far, north(5000.0)));
    records.push(placed(
        alert("4", "sensor", "WARNING", "raised", 36),
        north(-3000.0),
    ));
    records.push(coverage(40, true, Some(40)));
    let mut cleared = alert("2", INTRUSION_RULE, "CRITICAL", "cleared", 70);
    cleared.raised_us = intrusion.raised_us;
    records.push(placed(cleared, mover(60)));
    records
}

#[test]
fn entries_are_alerted_or_missed_and_warned_before() {
    let score = score(&truth(), &sites(), &records());
    let entries: Vec<(&str, u64, Option<u64>, Option<u64>)> = score
        .entries
        .iter()
        .map(|e| {
            (
                e.mover.as_str(),
                e.entered_us,
                e.delay_us.map(|d| d / SEC),
                e.warned_before_us.map(|w| w / SEC),
            )
        })
        .collect();
    // The resident is not counted; armed-2 was never alerted (the intrusion's track
    // follows armed-1) nor warned.
    assert_eq!(
        entries,
        [
            ("armed-1", at(31), Some(2), Some(11)),
            ("armed-2", at(91), None, None)
        ]
    );
    let first = &score.entries[0];
    assert_eq!(first.site, "Well");
    assert_eq!(first.alert_id.as_deref(), Some("2"));
    assert_eq!(first.warning.as_deref(), Some("alert 1 approach"));
    assert!(first.covered && !score.entries[1].covered);
    let t = &score.totals;
    assert_eq!((t.entries, t.alerted, t.warned), (2, 1, 1));
    assert_eq!(t.alerted_share, Some(0.5));
    assert_eq!(t.median_delay_us, Some(2 * SEC));
    assert_eq!((t.covered, t.covered_alerted), (1, 1));
}

#[test]
fn alerts_are_about_an_armed_mover_equipment_or_false() {
    let score = score(&truth(), &sites(), &records());
    let verdicts: Vec<(&str, Verdict)> = score
        .alerts
        .iter()
        .map(|a| (a.alert_id.as_str(), a.verdict))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("1", Verdict::ArmedMover),
            ("2", Verdict::ArmedMover),
            ("3", Verdict::False),
            ("4", Verdict::Equipment)
        ]
    );
    let t = &score.totals;
    assert_eq!(
        (t.alerts, t.about_armed, t.equipment, t.false_alerts),
        (4, 2, 1, 1)
    );
    assert_eq!(t.critical_false, 1);
    // 120 s of truth: one false alert is 30 an hour.
    assert_eq!(score.hours, 120.0 / 3600.0);
    assert!((t.false_per_hour.expect("a rate") - 30.0).abs() < 1e-9);
    let rates: Vec<(&str, usize)> = score
        .per_hour
        .iter()
        .map(|r| (r.severity.as_str(), r.count))
        .collect();
    assert_eq!(rates, [("CRITICAL", 2), ("WARNING", 2)]);
    let table = score.table();
    assert!(table.contains("alert 3 CRITICAL gathering"), "{table}");
    assert!(table.contains("MISSED"), "{table}");
}

#[test]
fn a_site_unobserved_longest_between_its_coverage_records() {
    let score = score(&truth(), &sites(), &records());
    // Out of view from 18 s (last observed) to 40 s; the start (0..3 s) is shorter.
    assert_eq!(
        score.sites,
        [SiteCoverage {
            site: "Well".into(),
            longest_unobserved_us: 22 * SEC,
            from_us: at(18),
            to_us: at(40),
            ever_observed: true,
        }]
    );
    // Without coverage records, unobserved throughout, and a note says why.
    let records: Vec<JournalRecord> = records()
        .into_iter()
        .filter(|r| r.kind() != "coverage")
        .collect();
    let score = super::score(&truth(), &sites(), &records);
    assert_eq!(score.sites[0].longest_unobserved_us, 120 * SEC);
    assert!(!score.sites[0].ever_observed);
    assert!(
        score
            .notes
            .iter()
            .any(|n| n.contains("no coverage records"))
    );
}

#[test]
fn an_unfinished_unobserved_interval_runs_to_the_end() {
    let coverage = [
        CoverageRecord {
            time_us: at(10),
            site: "A".into(),
            observed: true,
            last_observed_us: Some(at(10)),
        },
        CoverageRecord {
            time_us: at(20),
            site: "A".into(),
            observed: false,
            last_observed_us: Some(at(15)),
        },
    ];
    let refs: Vec<&CoverageRecord> = coverage.iter().collect();
    let sites = site_coverage(&["A".into()], &refs, at(0), at(100));
    assert_eq!(
        (sites[0].longest_unobserved_us, sites[0].from_us),
        (85 * SEC, at(15))
    );
}

#[test]
fn a_patrolled_site_is_unwatched_from_its_side_seen_longest_ago() {
    // Never in sight all round at once: each record says the side seen longest ago moved on.
    let record = |t: u64, last: u64| CoverageRecord {
        time_us: at(t),
        site: "A".into(),
        observed: false,
        last_observed_us: Some(at(last)),
    };
    let coverage = [record(10, 5), record(40, 30), record(60, 50)];
    let refs: Vec<&CoverageRecord> = coverage.iter().collect();
    let sites = site_coverage(&["A".into()], &refs, at(0), at(100));
    // 0-10, 5-40 (35 s), 30-60 (30 s), 50-100 (50 s): the longest is the last.
    assert_eq!(
        (
            sites[0].longest_unobserved_us,
            sites[0].from_us,
            sites[0].to_us
        ),
        (50 * SEC, at(50), at(100))
    );
    assert!(sites[0].ever_observed, "every side seen by 10 s");
    // With the last record at 90 instead: 5-40 is then the longest.
    let coverage = [record(10, 5), record(40, 30), record(90, 80)];
    let refs: Vec<&CoverageRecord> = coverage.iter().collect();
    let sites = site_coverage(&["A".into()], &refs, at(0), at(100));
    assert_eq!(
        (sites[0].longest_unobserved_us, sites[0].from_us),
        (60 * SEC, at(30))
    );
}

#[test]
fn a_mover_that_appears_inside_does_not_enter() {
    let truth = Truth::from_rows(walk("armed-1", true, 100.0, 5)).expect("rows");
    assert!(score(&truth, &sites(), &[]).entries.is_empty());
}

#[test]
fn causes_name_their_tracks() {
    let ids: Vec<u64> = lives::cause_tracks("tracks 12, 14; sensor 101/1; drone 2").collect();
    assert_eq!(ids, [12, 14]);
    assert_eq!(lives::cause_tracks("track 3").collect::<Vec<_>>(), [3]);
    assert_eq!(lives::cause_tracks("sensor 1/2").count(), 0);
}

fn read(text: &str) -> Result<Truth, ScoreError> {
    Truth::from_reader(text.as_bytes(), Path::new("truth.csv"))
}

#[test]
fn the_truth_reads_as_the_simulator_writes_it() {
    let truth = read(
        "time_s,id,kind,lat_deg,lon_deg,covered,armed\n\
         1773510301.000,armed-1,person,9.0000000,31.0000000,0,1\n\
         1773510302.000,armed-1,person,9.0000100,31.0000000,1,1\n\
         1773510301.000,cow-1,animal,9.1000000,31.0000000,0,0\n",
    )
    .expect("reads");
    assert_eq!((truth.start_us, truth.end_us), (at(1), at(2)));
    assert_eq!(truth.movers["armed-1"].len(), 2);
    let row = truth.at("armed-1", at(2) + 400_000).expect("nearest");
    assert!(row.covered && row.armed);
    assert!(truth.at("armed-1", at(5)).is_none());
}

#[test]
fn a_bad_truth_file_names_its_line_and_column() {
    let err = read(
        "time_s,id,kind,lat_deg,lon_deg,covered,armed\n\
         1773510301.000,armed-1,person,9.0,31.0,0,1\n\
         1773510302.000,armed-1,person,north,31.0,0,1\n",
    )
    .expect_err("a bad latitude");
    assert_eq!(
        err.to_string(),
        "truth.csv: line 3: lat_deg: \"north\" is not a number"
    );
    let err = read("time_s,id,kind,lat_deg,lon_deg,covered\n1,a,person,9,31,0\n")
        .expect_err("no armed column");
    assert!(
        err.to_string()
            .starts_with("truth.csv: line 1: armed: no such column"),
        "{err}"
    );
    let err = read("time_s,id,kind,lat_deg,lon_deg,covered,armed\n1,a,person,9,31,0,yes\n")
        .expect_err("a bad flag");
    assert!(err.to_string().contains("line 2: armed"), "{err}");
    let err = read("time_s,id,kind,lat_deg,lon_deg,covered,armed\n1,a,person,9,31,0\n")
        .expect_err("a short row");
    assert!(err.to_string().starts_with("truth.csv: line 2"), "{err}");
    let err = read("time_s,id,kind,lat_deg,lon_deg,covered,armed\n").expect_err("empty");
    assert!(matches!(err, ScoreError::EmptyTruth { .. }), "{err}");
}
