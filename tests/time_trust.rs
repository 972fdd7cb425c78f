//! Time you can trust: the crowded scenario's ground sensors, simulated at 40× and sent over UDP
//! to a real pipeline, are tracked the same whether or not an extra unsigned sender injects a
//! detection stamped a day in the future (from a system id never heard before) and one stamped
//! a day in the past (with a real sensor node's ids): both are set aside, counted and told to
//! the operator, and the confirmed tracks score the same OSPA against the ground truth.

mod common;

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::{Duration, Instant};

use nalgebra::Vector2;
use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_protocol::{FrameEncoder, MavMessage, MavVersion, e7_from_deg, mav};
use vigil_sim::{Scenario, SimWorld};
use vigil_station::Snapshot;
use vigil_tracking::{GroundTruthPoint, ScoreSummary, TrackingScore};
use vigil_world::Source;

const SEED: u64 = 3;
/// Simulated seconds, and how fast they run against the wall clock.
const SECONDS: u32 = 600;
const SPEED: f64 = 40.0;
/// When the injection happens, and when scoring starts (tracks have formed), steps of 0.1 s.
const INJECT_AT_STEP: u32 = 3000;
const SCORE_FROM_STEP: u32 = 1200;
const DAY_US: u64 = 86_400_000_000;
/// The injector's system id, never used by the scenario.
const STRANGER: (u8, u8) = (201, 1);

struct Run {
    summary: ScoreSummary,
    /// The number of confirmed tracks, once a simulated second.
    tracks: Vec<usize>,
    snapshot: std::sync::Arc<Snapshot>,
}

fn detection(time_usec: u64, lat_deg: f64, lon_deg: f64) -> MavMessage {
    MavMessage::VIGIL_DETECTION(mav::VIGIL_DETECTION_DATA {
        time_usec,
        detection_id: 1,
        sensor_kind: mav::VigilSensorKind::VIGIL_SENSOR_KIND_CAMERA,
        measurement_kind: mav::VigilMeasurementKind::VIGIL_MEASUREMENT_POSITION,
        zone_id: 0,
        range_m: f32::NAN,
        range_std_m: f32::NAN,
        bearing_deg: f32::NAN,
        bearing_std_deg: f32::NAN,
        lat: e7_from_deg(lat_deg),
        lon: e7_from_deg(lon_deg),
        horiz_std_m: 5.0,
        confidence: 90,
        class_hint: mav::VigilClassHint::VIGIL_CLASS_PERSON,
        count: 1,
    })
}

fn run(inject: bool) -> Run {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/crowded.toml");
    let scenario = Scenario::load(&path).expect("a valid scenario");
    let mut sim = SimWorld::from_scenario(&scenario, SEED);
    let pipeline = common::start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let vigil: SocketAddr = common::bound_addr(&station, 0);
    let sender = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let injector = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let mut encoders: BTreeMap<(u8, u8), FrameEncoder> = BTreeMap::new();
    let mut send = |socket: &UdpSocket, ids: (u8, u8), message: &MavMessage| {
        let frame = encoders
            .entry(ids)
            .or_insert_with(|| FrameEncoder::new(ids.0, ids.1))
            .encode(message, MavVersion::V2)
            .expect("encodes");
        socket.send_to(frame.raw(), vigil).expect("sent");
    };
    // Scored in a plane of our own (the pipeline's is its business).
    let frame = LocalFrame::new(Geodetic::from_deg(
        scenario.origin().lat_deg,
        scenario.origin().lon_deg,
        0.0,
    ));
    let enu = |lat_deg: f64, lon_deg: f64| {
        frame
            .enu_from_geodetic(&Geodetic::from_deg(lat_deg, lon_deg, 0.0))
            .xy()
    };
    let mut scoring = TrackingScore::new(50.0, 2.0).expect("valid parameters");
    let mut truth_ids: BTreeMap<String, u64> = BTreeMap::new();
    let mut tracks = Vec::new();
    let mut sent = 0u64;
    let mut a_sensor = None;
    let started = Instant::now();
    for step in 1..=SECONDS * 10 {
        for emission in sim.step() {
            if matches!(emission.message, MavMessage::VIGIL_DETECTION(_)) {
                a_sensor.get_or_insert((emission.sysid, emission.compid));
            }
            send(
                &sender,
                (emission.sysid, emission.compid),
                &emission.message,
            );
            sent += 1;
        }
        if inject && step == INJECT_AT_STEP {
            let now = sim.now.0;
            let village = (9.006329, 31.012732);
            // A stranger's first word, a day ahead of everyone.
            send(
                &injector,
                STRANGER,
                &detection(now + DAY_US, village.0, village.1),
            );
            // A real node's ids (spoofed), a day behind that node's own clock.
            let node = a_sensor.expect("a sensor has detected something by now");
            send(
                &injector,
                node,
                &detection(now - DAY_US, village.0, village.1),
            );
            sent += 2;
        }
        let due = started + Duration::from_secs_f64(f64::from(step) * 0.1 / SPEED);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        if step % 10 != 0 {
            continue;
        }
        // Lockstep once a simulated second: everything sent has been applied.
        let snapshot = common::wait(&station, "the frames sent", |s| {
            s.world.frames_applied >= sent
        });
        tracks.push(snapshot.tracks.len());
        if step <= SCORE_FROM_STEP {
            continue;
        }
        let time_s = sim.now.as_secs_f64();
        let next_id = truth_ids.len() as u64;
        let truths: Vec<GroundTruthPoint> = sim
            .truth()
            .into_iter()
            .filter(|row| row.covered)
            .map(|row| GroundTruthPoint {
                id: *truth_ids
                    .entry(row.id.clone())
                    .or_insert(next_id + 1_000_000),
                time_s,
                pos_enu_m: enu(row.lat_deg, row.lon_deg),
            })
            .collect();
        let estimates: Vec<(u64, Vector2<f64>)> = snapshot
            .tracks
            .iter()
            .filter(|t| sim.now.since(t.updated).as_secs_f64() <= 10.0)
            .map(|t| (t.id, enu(t.lat_deg, t.lon_deg)))
            .collect();
        scoring
            .record(&estimates, &truths)
            .expect("finite positions");
    }
    let snapshot = station.snapshot();
    pipeline.shutdown();
    Run {
        summary: scoring.summary(),
        tracks,
        snapshot,
    }
}

#[test]
fn far_future_and_far_past_detections_do_not_disturb_tracking() {
    let clean = run(false);
    let injected = run(true);
    println!("without injection: {:?}", clean.summary);
    println!("with injection:    {:?}", injected.summary);
    assert!(clean.summary.times > 100, "{:?}", clean.summary);
    assert!(
        clean.tracks.iter().any(|&n| n > 0),
        "the scenario forms tracks: {:?}",
        clean.tracks
    );
    // Scans close on the message clock, which follows the receive clock's pace: the figures
    // are compared to a small tolerance rather than bit for bit (measured: identical).
    let (a, b) = (clean.summary.mean_ospa_m, injected.summary.mean_ospa_m);
    assert!((a - b).abs() < 0.5, "mean OSPA {a} m without, {b} m with");
    assert_eq!(clean.summary.times, injected.summary.times);
    // The injection must not add false tracks. Scans close on a live clock, so two runs on a
    // loaded machine differ by a few either way (measured: 73 without, 68 with): a tenth of
    // the clean run's, at least 2, is the margin.
    let margin = (clean.summary.false_tracks / 10).max(2);
    assert!(
        injected.summary.false_tracks <= clean.summary.false_tracks + margin,
        "{:?} vs {:?}",
        clean.summary,
        injected.summary
    );
    // Tracking went on after the injection (a believed far-future stamp would stop it).
    let after = &injected.tracks[(INJECT_AT_STEP / 10) as usize..];
    assert!(after.iter().any(|&n| n > 0), "{after:?}");
    // Both set aside, counted; the operator told, once per sender.
    assert_eq!(clean.snapshot.pipeline.clock_rejected, 0);
    assert_eq!(injected.snapshot.pipeline.clock_rejected, 2);
    let notices: Vec<_> = injected
        .snapshot
        .world
        .notices
        .iter()
        .filter(|n| n.text.contains("set aside"))
        .collect();
    assert_eq!(notices.len(), 2, "{notices:?}");
    assert!(
        notices
            .iter()
            .any(|n| n.source == Source::Sensor(STRANGER.0, STRANGER.1)
                && n.text.contains("ahead of the other sources' clock")),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.text.contains("behind its own clock")),
        "{notices:?}"
    );
    let line = vigil_station::status::status_line(&injected.snapshot);
    assert!(line.contains("2 bad times set aside"), "{line}");
}
