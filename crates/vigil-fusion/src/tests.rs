use super::*;
use nalgebra::Vector2;
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
        observable: false,
    };
    writer.write(TimeUs(T0_US), &[track]).expect("row");
    writer.flush().expect("flushed");
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(
        text,
        format!(
            "{TRACKS_HEADER}\n1750000000.000,7,-9.0000000,31.2500000,-1.00,0.50,2.0,3.0,vehicle,,0\n"
        )
    );
}

/// A radar node (101/1) at the origin reporting every second, with the sensing radius its
/// status declares, seeing targets (given in ENU metres) up to 300 m.
struct Radar {
    fusion: Fusion,
    rng: vigil_core::rng::Rng,
    detection_id: u32,
}

const RADAR_RADIUS_M: f64 = 300.0;

impl Radar {
    fn new() -> Self {
        let mut fusion = Fusion::default();
        assert!(fusion.set_origin(ORIGIN.0, ORIGIN.1));
        Self {
            fusion,
            rng: vigil_core::rng::Rng::new(4),
            detection_id: 0,
        }
    }

    /// One second: a status every ten, a detection of each target inside the range, a tick.
    fn second(&mut self, second: u64, targets: &[Vector2<f64>]) {
        let t_us = T0_US + second * 1_000_000;
        if second.is_multiple_of(10) {
            self.fusion
                .observe_time(101, 1, t_us, TimeUs(t_us + 100_000));
        }
        for target in targets.iter().filter(|p| p.norm() <= RADAR_RADIUS_M) {
            self.detection_id += 1;
            let detection = Detection {
                sysid: 101,
                compid: 1,
                received: TimeUs(t_us + 100_000),
                sensor_time_us: t_us,
                detection_id: self.detection_id,
                sensor_kind: SensorKind::Radar,
                measurement: M::RangeBearing {
                    range_m: target.norm() + 2.0 * self.rng.normal(),
                    range_std_m: 2.0,
                    bearing_rad: target.x.atan2(target.y) + 0.005 * self.rng.normal(),
                    bearing_std_rad: 0.005,
                },
                confidence: 0.9,
                class: ClassHint::Person,
                count: 1,
                sensor_position: Some(GeoPoint {
                    lat_deg: ORIGIN.0,
                    lon_deg: ORIGIN.1,
                    alt_msl_m: 0.0,
                }),
                sensor_radius_m: Some(RADAR_RADIUS_M),
            };
            assert!(self.fusion.add(&detection, Instant::now()).is_ok());
        }
        self.fusion.tick(TimeUs(t_us + 600_000));
    }

    /// The confirmed track nearest `p` (ENU), within 30 m.
    fn track_near(&self, p: Vector2<f64>) -> Option<TrackView> {
        let frame = self.fusion.frame()?;
        self.fusion
            .confirmed
            .iter()
            .map(|t| {
                let enu = frame.enu_from_geodetic(&vigil_core::geodesy::Geodetic::from_deg(
                    t.lat_deg, t.lon_deg, 0.0,
                ));
                (t, (enu.xy() - p).norm())
            })
            .filter(|(_, d)| *d < 30.0)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(t, _)| t.clone())
    }
}

/// Two walkers circling the radar at 200 m, half a turn apart, 6 m/s: in 110 s the radar has
/// seen every bearing, and learnt that it sees all round.
fn circling(second: u64) -> [Vector2<f64>; 2] {
    let angle = second as f64 * 6.0 / 200.0;
    let at = |a: f64| Vector2::new(a.sin(), a.cos()) * 200.0;
    [at(angle), at(angle + std::f64::consts::PI)]
}

#[test]
fn a_radar_learns_where_it_sees_and_a_target_that_walks_out_is_kept_unobserved() {
    let mut radar = Radar::new();
    for second in 0..110 {
        radar.second(second, &circling(second));
    }
    // Walks east at 3 m/s from 150 m east of the radar: out of its range at 283 m, 44 s on.
    let walker = |second: u64| Vector2::new(150.0 + 3.0 * (second - 110) as f64, 100.0);
    let (mut id, mut last_seen, mut unobserved, mut gone) = (None, 0, 0, None);
    for second in 110..260 {
        let mut targets = circling(second).to_vec();
        targets.push(walker(second));
        if walker(second).norm() <= RADAR_RADIUS_M {
            last_seen = second;
        }
        radar.second(second, &targets);
        match (id, radar.track_near(walker(second))) {
            (None, Some(track)) if second > 115 => id = Some(track.id),
            (Some(id), track) => {
                let alive = radar.fusion.confirmed.iter().find(|t| t.id == id);
                match alive {
                    Some(view) if second > last_seen + 2 => {
                        assert!(!view.observable, "second {second}: {view:?}");
                        unobserved += 1;
                    }
                    Some(view) if second < last_seen => {
                        assert!(view.observable, "second {second}: {view:?}");
                        assert!(track.is_some_and(|t| t.id == id), "second {second}");
                    }
                    None if gone.is_none() => gone = Some(second),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let gone = gone.expect("the track ends");
    eprintln!("last detection {last_seen} s, track gone at {gone} s, {unobserved} s unobserved");
    assert!(id.is_some());
    assert!(unobserved > 20, "kept, unobserved");
    assert!(gone - last_seen <= 32, "ended within the unobserved limit");
}

#[test]
fn a_target_inside_a_radars_learnt_coverage_that_is_no_longer_detected_ends_soon() {
    let mut radar = Radar::new();
    for second in 0..110 {
        radar.second(second, &circling(second));
    }
    // Walks north 100 m west of the radar; from 150 s on nothing detects it.
    let walker = |second: u64| Vector2::new(-100.0, -100.0 + 1.5 * (second - 110) as f64);
    let mut id = None;
    let mut gone = None;
    for second in 110..200 {
        let mut targets = circling(second).to_vec();
        if second < 150 {
            targets.push(walker(second));
        }
        radar.second(second, &targets);
        if second == 149 {
            let track = radar.track_near(walker(second)).expect("tracked");
            assert!(track.observable);
            id = Some(track.id);
        }
        if let Some(id) = id
            && gone.is_none()
            && radar.fusion.confirmed.iter().all(|t| t.id != id)
        {
            gone = Some(second);
        }
    }
    let gone = gone.expect("the track ends");
    eprintln!("last detection 149 s, track gone at {gone} s");
    // Five expected detections at 0.7 a second: the eighth silent second, not thirty.
    assert!((150..=160).contains(&gone), "{gone}");
}

#[test]
fn a_detection_stamped_at_a_coasting_scans_time_is_taken() {
    // Tracks coast through a quiet second (the tick runs an empty scan at its time); a
    // detection taken exactly then, arriving after the tick, still goes into the next scan.
    let mut fusion = Fusion::default();
    for step in 0..40 {
        let detection = seen(1, step);
        fusion.tick(detection.received);
        assert!(fusion.add(&detection, Instant::now()).is_ok(), "{step}");
    }
    fusion.flush();
    let late = seen(1, 46);
    let at = fusion.message_time(late.received);
    let mut on_time = late.clone();
    on_time.sensor_time_us = at.0;
    on_time.received = late.received;
    assert!(fusion.tick(late.received).is_some(), "a coasting scan");
    assert_eq!(fusion.add(&on_time, Instant::now()).err(), None);
}

/// Two people walking east side by side, 2 m apart, seen by one camera: with JPDA and group
/// tracks the station shows one track of two, its count the group's.
#[test]
fn a_group_track_shows_its_members_as_its_count() {
    let mut fusion = Fusion::new(TrackerConfig {
        association: tracking::AssociationMethod::jpda(),
        groups: Some(tracking::GroupConfig::default()),
        ..TrackerConfig::default()
    })
    .expect("a valid configuration");
    // Once a second (every other half-second step): one detection of each in each scan.
    for step in (0..120).step_by(2) {
        for (index, north_m) in [0.0, 2.0].into_iter().enumerate() {
            let mut detection = seen(1, step);
            detection.detection_id = (2 * step + index as u64) as u32;
            if let M::Position { lat_deg, .. } = &mut detection.measurement {
                *lat_deg += north_m / 110_000.0;
            }
            fusion.tick(detection.received);
            assert!(fusion.add(&detection, Instant::now()).is_ok(), "{step}");
        }
    }
    fusion.flush();
    let counts: Vec<Option<u32>> = fusion.confirmed.iter().map(|t| t.count).collect();
    assert_eq!(counts, vec![Some(2)]);
}
