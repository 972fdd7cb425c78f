use super::*;
use vigil_world::{GeoPoint, Measurement as M, SensorKind};

const T0_US: u64 = 1_750_000_000_000_000;
const DAY_US: u64 = 86_400_000_000;
const ORIGIN: (f64, f64) = (9.0, 31.0);

/// A target walking east at 1 m/s from the origin, seen by a sensor every 0.5 s; the
/// sensor's clock runs 0.3 s behind the receive clock.
fn seen(sysid: u8, step: u64) -> Detection {
    let t_us = T0_US + step * 500_000;
    Detection {
        sysid,
        compid: 1,
        received: TimeUs(t_us + 300_000),
        sensor_time_us: t_us,
        detection_id: step as u32,
        sensor_kind: SensorKind::Camera,
        measurement: M::Position {
            lat_deg: ORIGIN.0,
            lon_deg: ORIGIN.1 + step as f64 * 0.5 / 110_000.0,
            horiz_std_m: 3.0,
        },
        confidence: 0.9,
        class: ClassHint::Person,
        count: 1,
        sensor_position: Some(GeoPoint {
            lat_deg: ORIGIN.0,
            lon_deg: ORIGIN.1,
            alt_msl_m: 0.0,
        }),
        sensor_radius_m: None,
    }
}

/// Runs 60 s of two sensors, with `inject` called after step 40; returns the tracks.
fn run(inject: impl Fn(&mut Fusion, &Detection)) -> (Fusion, Vec<TrackView>) {
    let mut fusion = Fusion::default();
    for step in 0..120 {
        for sysid in [1, 2] {
            let detection = seen(sysid, step);
            fusion.tick(detection.received);
            assert!(fusion.add(&detection, Instant::now()).is_ok(), "{step}");
            if step == 40 && sysid == 2 {
                inject(&mut fusion, &detection);
            }
        }
    }
    fusion.flush();
    let tracks = fusion.confirmed.to_vec();
    (fusion, tracks)
}

#[test]
fn far_future_and_far_past_detections_change_nothing() {
    let (_, clean) = run(|_, _| {});
    assert!(!clean.is_empty());
    let (fusion, injected) = run(|fusion, good| {
        for (sysid, sensor_time_us) in [
            (1, good.sensor_time_us + DAY_US),
            (1, good.sensor_time_us + 3650 * DAY_US),
            (2, good.sensor_time_us - DAY_US),
            // 1970: a boot-clock stamp from a sender whose clock was UNIX time.
            (2, 5_000_000),
            // A new sender's first detection a day ahead of everyone.
            (77, good.sensor_time_us + DAY_US),
        ] {
            let bad = Detection {
                sysid,
                sensor_time_us,
                ..good.clone()
            };
            assert_eq!(
                fusion.add(&bad, Instant::now()),
                Err(Skipped::Clock),
                "{sysid} {sensor_time_us}"
            );
        }
    });
    assert_eq!(injected, clean);
    assert_eq!(fusion.clocks.rejected, 5);
    assert_eq!(fusion.skipped, 0);
}

#[test]
fn each_sender_with_a_bad_clock_is_told_once() {
    let mut fusion = Fusion::default();
    for step in 0..10 {
        fusion.add(&seen(1, step), Instant::now()).ok();
    }
    assert!(fusion.take_notices().is_empty());
    for step in 10..13 {
        let mut bad = seen(1, step);
        bad.sensor_time_us += DAY_US;
        assert_eq!(fusion.add(&bad, Instant::now()), Err(Skipped::Clock));
    }
    let notices = fusion.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].source, Some((1, 1)));
    assert!(
        notices[0].text.contains("ahead of its own clock"),
        "{}",
        notices[0].text
    );
    assert_eq!(fusion.clocks.rejected_from((1, 1)), 3);
    // The message clock stays with the sender's good readings.
    let rx = seen(1, 13).received;
    let message = fusion.message_time(rx);
    assert!(rx.since(message) < Duration::from_secs(1), "{message:?}");
}

#[test]
fn the_pending_scan_is_bounded() {
    let mut fusion = Fusion::default();
    let mut reports = 0;
    for i in 0..MAX_PENDING + 10 {
        let mut detection = seen(1, 0);
        detection.detection_id = i as u32;
        reports += usize::from(matches!(
            fusion.add(&detection, Instant::now()),
            Ok(Some(_))
        ));
        assert!(fusion.pending.len() < MAX_PENDING);
    }
    assert_eq!(reports, 1);
}

#[test]
fn tracker_errors_are_counted_and_told_once_per_kind() {
    let mut fusion = Fusion::default();
    for step in 0..6 {
        let mut detection = seen(1, step);
        detection.confidence = 2.0;
        fusion.add(&detection, Instant::now()).ok();
    }
    fusion.flush();
    assert!(fusion.tracker_errors >= 2, "{}", fusion.tracker_errors);
    let notices = fusion.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].text.contains("confidence"),
        "{}",
        notices[0].text
    );
}

#[test]
fn the_plane_is_the_deployments_and_moves_only_without_tracks() {
    let mut fusion = Fusion::default();
    assert!(fusion.set_origin(9.1, 31.1));
    fusion.add(&seen(1, 0), Instant::now()).ok();
    let origin = fusion.frame().map(|f| f.origin()).expect("a plane");
    assert!((origin.lat_deg() - 9.1).abs() < 1e-9);
    // Tracks live in it: it stays, and a detection 100 km away is told once.
    for step in 1..20 {
        fusion.add(&seen(1, step), Instant::now()).ok();
    }
    assert!(!fusion.tracker.tracks().is_empty());
    assert!(!fusion.set_origin(10.0, 31.0));
    let mut far = seen(1, 20);
    far.measurement = M::Position {
        lat_deg: 10.0,
        lon_deg: 31.0,
        horiz_std_m: 3.0,
    };
    fusion.add(&far, Instant::now()).ok();
    let notices = fusion.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].text.contains("km from the tracking plane"));
    // With no track left, the next far detection re-centres it.
    let mut empty = Fusion::default();
    empty.set_origin(9.1, 31.1);
    empty.add(&far, Instant::now()).ok();
    let origin = empty.frame().map(|f| f.origin()).expect("a plane");
    assert!((origin.lat_deg() - 10.0).abs() < 1e-9);
}

#[test]
fn the_tracks_csv_has_its_header_and_a_row_per_track() {
    assert_eq!(TRACKS_COLUMNS.join(","), TRACKS_HEADER);
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = tmp.path().join("tracks.csv");
    let mut writer = TracksWriter::create(&path).expect("created");
    let track = TrackView {
        id: 7,
        updated: TimeUs(T0_US),
        lat_deg: -9.0,
        lon_deg: 31.25,
        vel_en_mps: [-1.0, 0.5],
        std_en_m: [2.0, 3.0],
        class: ClassHint::Vehicle,
        count: None,
    };
    writer.write(TimeUs(T0_US), &[track]).expect("row");
    writer.flush().expect("flushed");
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(
        text,
        format!(
            "{TRACKS_HEADER}\n1750000000.000,7,-9.0000000,31.2500000,-1.00,0.50,2.0,3.0,vehicle,\n"
        )
    );
}
