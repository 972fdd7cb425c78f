//! A mutation test over the fuzz targets' entry points (`vigil::fuzzing`), on the stable
//! toolchain: each seed of `fuzz/corpus/` is mutated (bits flipped, bytes inserted, deleted
//! and repeated, cut short, spliced with another seed) and fed to the same checks the
//! cargo-fuzz targets run. Deterministic (a fixed seed); `VIGIL_FUZZ_ITERATIONS` raises the
//! number of mutations per seed (default 300) for a longer run. The journal's seeds are made
//! by the ignored test `make_journal_seeds` with the journal's own writer.

use std::path::Path;

use vigil::fuzzing::{
    check_basemap, check_console_settings, check_journal, check_link_bytes, check_mission_file,
    check_report_form, check_report_imports, check_reports, check_rules, check_scenario,
    check_sites, check_sms, check_tlog,
};
use vigil_core::rng::Rng;

fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut data = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(7) {
            0 if at < data.len() => data[at] ^= 1 << rng.below(8),
            1 if at < data.len() => data[at] = rng.next_u64() as u8,
            2 => data.insert(at, rng.next_u64() as u8),
            3 if at < data.len() => {
                let end = (at + 1 + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            4 => data.truncate(at),
            5 if at < data.len() => {
                let end = (at + 1 + rng.below(32)).min(data.len());
                let piece = data[at..end].to_vec();
                data.splice(at..at, piece);
            }
            _ => {
                let from = rng.below(other.len());
                let end = (from + rng.below(64)).min(other.len());
                data.splice(at..at, other[from..end].iter().copied());
            }
        }
    }
    data
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    let seeds: Vec<_> = paths
        .iter()
        .map(|path| std::fs::read(path).expect("a readable seed"))
        .collect();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

fn iterations() -> usize {
    std::env::var("VIGIL_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn run(target: &str, salt: u64, check: fn(&[u8])) {
    let seeds = seeds(target);
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15 ^ salt);
    for seed in &seeds {
        check(seed);
        for _ in 0..iterations() {
            let other = &seeds[rng.below(seeds.len())];
            let input = mutate(&mut rng, seed, other);
            check(&input);
        }
    }
}

#[test]
fn link_bytes_survive_mutation() {
    run("frame_parser", 1, check_link_bytes);
}

#[test]
fn tlogs_survive_mutation() {
    run("tlog_reader", 2, check_tlog);
}

#[test]
fn scenarios_survive_mutation() {
    run("scenario", 3, check_scenario);
}

#[test]
fn mission_and_parameter_files_survive_mutation() {
    run("mission_files", 4, check_mission_file);
}

#[test]
fn protected_sites_survive_mutation() {
    run("protected_sites", 5, check_sites);
}

#[test]
fn alert_rules_survive_mutation() {
    run("alert_rules", 6, check_rules);
}

#[test]
fn community_reports_survive_mutation() {
    run("community_reports", 7, check_reports);
}

#[test]
fn report_imports_survive_mutation() {
    run("report_imports", 11, check_report_imports);
}

#[test]
fn sms_survive_mutation() {
    run("sms_reports", 12, check_sms);
}

#[test]
fn report_forms_and_tokens_survive_mutation() {
    run("report_form", 13, check_report_form);
}

#[test]
fn basemaps_survive_mutation() {
    run("basemap", 8, check_basemap);
}

#[test]
fn console_settings_survive_mutation() {
    run("console_settings", 9, check_console_settings);
}

#[test]
fn journals_survive_mutation() {
    run("journal", 10, check_journal);
}

/// Writes `fuzz/corpus/journal/`: a few records' JSON (first byte 0) and a small journal
/// file (first byte 1) with them, written by the journal's own writer and shrunk to 512-byte
/// pages. `cargo test --test fuzz_props -- --ignored make_journal_seeds`.
#[test]
#[ignore = "writes the seed corpus"]
fn make_journal_seeds() {
    use vigil_record::journal::store::{append, open_for_writing};
    use vigil_record::journal::{
        AlertRecord, DetectionRecord, JournalHead, JournalRecord, LostRecord, NoteRecord,
        VehicleState,
    };
    let records = vec![
        JournalRecord::VehicleState(VehicleState {
            time_us: 1_773_513_000_000_000,
            sysid: 1,
            airframe: "quad".into(),
            lat_deg: 9.0084,
            lon_deg: 31.0157,
            alt_msl_m: Some(512.25),
            alt_rel_home_m: Some(80.0),
            heading_deg: None,
            groundspeed_mps: Some(12.5),
            mode: "AUTO".into(),
            armed: true,
            footprint: Some(vec![[31.01, 9.0], [31.02, 9.0], [31.02, 9.01]]),
            footprint_area_m2: Some(21_000.0),
        }),
        JournalRecord::Detection(DetectionRecord {
            time_us: 1_773_513_000_500_000,
            sensor_time_us: 1_773_513_000_400_000,
            sysid: 40,
            compid: 1,
            detection_id: 7,
            sensor_kind: "seismic".into(),
            measurement: "range_bearing".into(),
            lat_deg: None,
            lon_deg: None,
            range_m: Some(120.0),
            bearing_deg: Some(271.5),
            sensor_lat_deg: Some(9.0),
            sensor_lon_deg: Some(31.0),
            class: "person".into(),
            count: 3,
            confidence: 0.8,
        }),
        JournalRecord::Alert(AlertRecord {
            time_us: 1_773_513_001_000_000,
            alert_id: "A-1".into(),
            rule: "approach".into(),
            severity: "high".into(),
            site: "Kiri clinic".into(),
            cause: "track 4".into(),
            lat_deg: 9.0,
            lon_deg: 31.0,
            state: "raised".into(),
            who: String::new(),
            text: "armed group near the clinic".into(),
            ..Default::default()
        }),
        JournalRecord::Note(NoteRecord {
            time_us: 1_773_513_002_000_000,
            author: "op".into(),
            lat_deg: Some(-9.5),
            lon_deg: None,
            text: "smoke \"north\"\n\u{e9}".into(),
        }),
        JournalRecord::Lost(LostRecord {
            time_us: 1_773_513_003_000_000,
            count: 2,
            reason: "queue full".into(),
        }),
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/journal");
    std::fs::create_dir_all(&dir).expect("a corpus folder");
    for record in &records {
        let mut seed = vec![0u8];
        seed.extend(serde_json::to_vec(record).expect("serialises"));
        std::fs::write(dir.join(format!("record-{}.json", record.kind())), seed).expect("written");
    }
    let work = std::env::temp_dir().join(format!("vigil-journal-seed-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("a folder");
    let path = work.join("journal.sqlite");
    let (mut conn, mut head) = open_for_writing(&path).expect("opens");
    append(&mut conn, &path, &mut head, &records).expect("appends");
    assert_ne!(head, JournalHead::default());
    conn.execute_batch("PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;")
        .expect("shrinks");
    drop(conn);
    let mut seed = vec![1u8];
    seed.extend(std::fs::read(&path).expect("reads"));
    std::fs::write(dir.join("journal.sqlite"), seed).expect("written");
    std::fs::remove_dir_all(&work).expect("cleans up");
}

/// Inputs that once crashed a check, kept so they never do again.
#[test]
fn past_findings_stay_fixed() {
    check_reports(
        b"\x02{\"time_utc\":\"9223372036854775807-03-01T00:00:00Z\",\"lat_deg\":1,\"lon_deg\":1,\"category\":\"x\"}",
    );
    // The sender's number typed against other digits was left in the description.
    check_sms(
        b"\x00+CMGL: 1,\"REC UNREAD\",\"+211912345678\",,\"26/03/14,18:30:00+12\"\nshooting keradu 3 people OK2119123456782119123 end\nOK\n",
    );
    // A home row a hair from 0, 0 was kept, written as zeros and read back as no home.
    check_mission_file(
        b"\x01QGC WPL 110\r\n0\t1\t0\t16\t00000\t016\t00000\t0.000000\t0.000000\t0.00000000002\r1\t1\t\n",
    );
}

/// A tampered journal whose last row has the largest sequence number SQLite allows.
#[test]
fn a_journal_with_the_largest_sequence_number_is_read() {
    let seed = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/journal/journal.sqlite"),
    )
    .expect("the seed");
    let dir = std::env::temp_dir().join(format!("vigil-fuzz-seq-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let path = dir.join("journal.sqlite");
    std::fs::write(&path, &seed[1..]).expect("written");
    let conn = rusqlite::Connection::open(&path).expect("opens");
    conn.execute(
        "UPDATE record SET seq = 9223372036854775807 WHERE seq = 5",
        [],
    )
    .expect("tampers");
    drop(conn);
    let mut input = vec![1u8];
    input.extend(std::fs::read(&path).expect("reads"));
    std::fs::remove_dir_all(&dir).expect("cleans up");
    check_journal(&input);
}
