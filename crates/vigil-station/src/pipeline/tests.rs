//! The end of a fast replay, as a client sees it: the first snapshot in which the replay has
//! finished already holds everything (issue 16).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use vigil_link::{LinkOptions, LinkState, ReplayPace};
use vigil_protocol::tlog::TlogRecord;
use vigil_protocol::{FrameEncoder, MavMessage, MavVersion, e7_from_deg, mav};

/// The longest one replay may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Detections in the test tlog, one every half second.
const DETECTIONS: u64 = 120;
const START_US: u64 = 1_773_650_000_000_000;

/// A sensor node reporting one person walking east: a heartbeat a second and a position
/// detection every half second. Returns the records written and the last detection's time.
fn write_tlog(path: &Path) -> (u64, TimeUs) {
    let mut encoder = FrameEncoder::new(150, 158);
    let mut bytes = Vec::new();
    let mut records = 0;
    let mut last = TimeUs(0);
    for i in 0..DETECTIONS {
        let time = TimeUs(START_US + i * 500_000);
        let mut messages = Vec::new();
        if i % 2 == 0 {
            messages.push(MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
                mavtype: mav::MavType::MAV_TYPE_GENERIC,
                autopilot: mav::MavAutopilot::MAV_AUTOPILOT_INVALID,
                ..Default::default()
            }));
        }
        messages.push(MavMessage::VIGIL_DETECTION(mav::VIGIL_DETECTION_DATA {
            time_usec: time.0,
            detection_id: u32::try_from(i).unwrap_or(u32::MAX),
            sensor_kind: mav::VigilSensorKind::VIGIL_SENSOR_KIND_RADAR,
            measurement_kind: mav::VigilMeasurementKind::VIGIL_MEASUREMENT_POSITION,
            lat: e7_from_deg(9.0),
            lon: e7_from_deg(31.0 + 0.000_005 * i as f64),
            horiz_std_m: 3.0,
            confidence: 90,
            class_hint: mav::VigilClassHint::VIGIL_CLASS_PERSON,
            count: 1,
            ..Default::default()
        }));
        for message in messages {
            let frame = encoder.encode(&message, MavVersion::V2).expect("encodes");
            TlogRecord { time, frame }.write_to(&mut bytes);
            records += 1;
        }
        last = time;
    }
    std::fs::write(path, bytes).expect("tlog written");
    (records, last)
}

/// Reads snapshots as fast as they come until the replay has finished: the first such
/// snapshot, not one a little later.
fn first_finished(station: &GroundStation) -> Arc<Snapshot> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let snapshot = station.snapshot();
        if snapshot.replays_finished() {
            return snapshot;
        }
        assert!(Instant::now() < deadline, "the replay did not finish");
        std::hint::spin_loop();
    }
}

#[test]
fn the_snapshot_that_finishes_a_replay_holds_its_last_frame_and_its_tracks_on_disk() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tlog = tmp.path().join("walk.tlog");
    let (records, last_detection) = write_tlog(&tlog);
    // Short replays end while the analysis keeps up: the threads race at the end each time.
    for run in 0..20 {
        let tracks = tmp.path().join(format!("tracks-{run}.csv"));
        let pipeline = Pipeline::start(PipelineConfig {
            links: vec![LinkAddress::File { path: tlog.clone() }],
            link_options: LinkOptions {
                replay: ReplayPace::Fast,
                ..LinkOptions::default()
            },
            tracks_out: Some(tracks.clone()),
            ..PipelineConfig::new(crate::Folders::under(&tmp.path().join("folders")))
        })
        .expect("the replay starts");
        let snapshot = first_finished(&pipeline.station());
        let link = &snapshot.links[0];
        assert_eq!(link.stats.state, LinkState::Finished, "run {run}");
        assert_eq!(link.stats.frames_rx, records, "run {run}");
        assert_eq!(snapshot.world.time, last_detection, "run {run}");
        assert_eq!(snapshot.world.detections.total(), DETECTIONS, "run {run}");
        assert_eq!(snapshot.analysed_to, last_detection, "run {run}");
        // Before the pipeline stops: the last scan is on disk already.
        let written = std::fs::read_to_string(&tracks).expect("tracks file");
        let last_row = written.lines().last().unwrap_or_default();
        assert!(
            last_row.starts_with(&format!("{:.3},", last_detection.as_secs_f64())),
            "run {run}: the tracks file ends with {last_row:?}"
        );
        // A link once ended stays so, whoever publishes next.
        let later = pipeline
            .station()
            .wait_for(Duration::from_millis(300), |s| !s.replays_finished());
        assert!(later.is_none(), "run {run}: the replay unfinished itself");
        pipeline.shutdown();
    }
}

/// The station runs fusion's tracker as configured: a replay with JPDA tracks the walker
/// as GNN does, and a configuration out of range is refused before anything starts.
#[test]
fn the_tracker_configuration_reaches_fusion_and_a_bad_one_starts_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tlog = tmp.path().join("walk.tlog");
    let (_, last_detection) = write_tlog(&tlog);
    let config = |tracks: &Path, tracker| PipelineConfig {
        links: vec![LinkAddress::File { path: tlog.clone() }],
        link_options: LinkOptions {
            replay: ReplayPace::Fast,
            ..LinkOptions::default()
        },
        tracks_out: Some(tracks.to_owned()),
        tracker,
        ..PipelineConfig::new(crate::Folders::under(&tmp.path().join("folders")))
    };
    let jpda = vigil_tracking::TrackerConfig {
        association: vigil_tracking::AssociationMethod::jpda(),
        groups: Some(vigil_tracking::GroupConfig::default()),
        ..vigil_tracking::TrackerConfig::default()
    };
    let tracks = tmp.path().join("tracks-jpda.csv");
    let pipeline = Pipeline::start(config(&tracks, jpda)).expect("the replay starts");
    let snapshot = first_finished(&pipeline.station());
    assert_eq!(snapshot.analysed_to, last_detection);
    pipeline.shutdown();
    let written = std::fs::read_to_string(&tracks).expect("tracks file");
    assert!(
        written.lines().count() > 10,
        "the walker is tracked with JPDA:\n{written}"
    );

    let bad = vigil_tracking::TrackerConfig {
        association: vigil_tracking::AssociationMethod::Jpda(vigil_tracking::JpdaConfig {
            detection_probability: 1.5,
            ..vigil_tracking::JpdaConfig::default()
        }),
        ..vigil_tracking::TrackerConfig::default()
    };
    let refused = tmp.path().join("tracks-bad.csv");
    match Pipeline::start(config(&refused, bad)) {
        Err(PipelineError::Tracker(err)) => {
            assert!(err.to_string().contains("detection probability"), "{err}")
        }
        Err(other) => panic!("refused for another reason: {other}"),
        Ok(pipeline) => {
            pipeline.shutdown();
            panic!("a detection probability of 1.5 was taken");
        }
    }
    assert!(!refused.exists(), "the tracks file was created");
}
