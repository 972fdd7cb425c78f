//! Journal and export figures: how many records a second the journal writer commits (through
//! its queue, as the world thread hands them over), and how long each export format takes for
//! a demo session of half an hour (two drones at 1 Hz with footprints, twenty tracks a scan, a
//! detection every 100 ms). Prints figures; asserts nothing.
//!
//! Run: `cargo bench --bench journal`.

use std::time::Instant;

use vigil_record::export::{ExportOptions, Format, RedactLevel, export_session};
use vigil_record::journal::{
    DetectionRecord, JOURNAL_FILE, JournalRecord, JournalWriter, TrackRecord, VehicleState,
};

const T0: u64 = 1_773_563_400_000_000;

fn session(dir: &std::path::Path, seconds: u64) -> (usize, f64) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let writer = JournalWriter::start(&dir.join(JOURNAL_FILE)).expect("journal");
    let mut sender = writer.sender();
    let started = Instant::now();
    let mut sent = 0usize;
    for s in 0..seconds {
        let time_us = T0 + s * 1_000_000;
        for sysid in 1..=2u8 {
            let lat = 8.99 + s as f64 * 1e-5 + f64::from(sysid) * 1e-3;
            let lon = 31.0;
            sent += usize::from(
                sender.send(JournalRecord::VehicleState(VehicleState {
                    time_us,
                    sysid,
                    airframe: "Multirotor".into(),
                    lat_deg: lat,
                    lon_deg: lon,
                    alt_msl_m: Some(430.0),
                    alt_rel_home_m: Some(30.0),
                    heading_deg: Some(90.0),
                    groundspeed_mps: Some(10.0),
                    mode: "AUTO".into(),
                    armed: true,
                    footprint: Some(
                        (0..32)
                            .map(|k| [lon + f64::from(k) * 1e-5, lat + 1e-3])
                            .collect(),
                    ),
                    footprint_area_m2: Some(50_000.0),
                })),
            );
        }
        for track_id in 0..20u64 {
            sent += usize::from(sender.send(JournalRecord::Track(TrackRecord {
                time_us,
                track_id,
                lat_deg: 9.0 + track_id as f64 * 1e-3,
                lon_deg: 31.01 + s as f64 * 1e-6,
                vel_e_mps: 1.0,
                vel_n_mps: 0.2,
                std_e_m: 4.0,
                std_n_m: 4.0,
                class: "person".into(),
                count: Some(1),
            })));
        }
        for k in 0..10u64 {
            sent += usize::from(sender.send(JournalRecord::Detection(DetectionRecord {
                time_us: time_us + k * 100_000,
                sensor_time_us: time_us,
                sysid: 101,
                compid: 158,
                detection_id: (s * 10 + k) as u32,
                sensor_kind: "radar".into(),
                measurement: "range_bearing".into(),
                lat_deg: Some(9.0),
                lon_deg: Some(31.01),
                range_m: Some(200.0),
                bearing_deg: Some(45.0),
                sensor_lat_deg: Some(8.999),
                sensor_lon_deg: Some(31.009),
                class: "person".into(),
                count: 1,
                confidence: 0.9,
            })));
        }
    }
    drop(sender);
    let stats = writer.stats();
    let head = writer.finish();
    let elapsed = started.elapsed().as_secs_f64();
    let lost = vigil_record::journal::JournalStats::get(&stats.lost)
        + vigil_record::journal::JournalStats::get(&stats.states_dropped);
    println!(
        "journal: {} records committed in {elapsed:.2} s = {:.0} records/s (lost or dropped at the full queue: {lost})",
        head.records,
        head.records as f64 / elapsed
    );
    (sent, elapsed)
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("demo");
    // Half an hour: 57,600 records, within the queue's capacity, so none is lost.
    session(&dir, 1800);
    let journal_bytes = std::fs::metadata(dir.join(JOURNAL_FILE)).map_or(0, |m| m.len());
    println!(
        "journal file: {:.1} MB for half an hour",
        journal_bytes as f64 / 1e6
    );
    for format in [
        Format::GeoJson,
        Format::Kml,
        Format::Gpx,
        Format::Csv,
        Format::Gpkg,
        Format::Cot,
    ] {
        let out = tmp.path().join(format!("out-{format:?}"));
        let started = Instant::now();
        let summary = export_session(
            &dir,
            &ExportOptions {
                format,
                out: Some(out),
                from: None,
                to: None,
                layers: vec![],
                redact: RedactLevel::Public,
            },
            &mut |_| {},
        )
        .expect("exported");
        let features: usize = summary.counts.iter().map(|(_, n)| n).sum();
        println!(
            "export {format:?}: {features} features in {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
}
