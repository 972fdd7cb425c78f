//! The reach gate end to end: a coasting track, whose chi-square gate has grown wide, takes
//! no detection its class could not have got to.

use nalgebra::Vector2;

use super::tests::{T0_S, position_detection};
use super::tracker::{Tracker, TrackerConfig};
use super::types::ClassHint;

/// A target of `class` walks east at 1.4 m/s, seen every second for 20 s, then unseen for
/// 25 s; then a detection 100 m south of where it should be (106 m from its last fix: 4.2 m/s
/// on average). Returns which track took that detection, if one did.
fn taker_of_a_far_detection(config: TrackerConfig, class: ClassHint) -> Option<u64> {
    let mut tracker = Tracker::new(config).expect("a valid config");
    let seen = |t: f64| {
        let mut d = position_detection(T0_S + t, Vector2::new(1.4 * t, 0.0), 1);
        d.class_hint = class;
        d
    };
    for t in 0..=20 {
        tracker
            .step(T0_S + f64::from(t), &[seen(f64::from(t))])
            .expect("a step");
    }
    for t in 21..45 {
        tracker
            .step(T0_S + f64::from(t), &[])
            .expect("a coasting step");
    }
    let [walker] = tracker.tracks() else {
        panic!("one track, not {:?}", tracker.tracks().len());
    };
    assert!(walker.confirmed, "the walker's track is confirmed");
    let walker = walker.id;
    let mut far = seen(45.0);
    far.measurement = super::types::Measurement::Position {
        pos_enu_m: Vector2::new(1.4 * 45.0, -100.0),
        noise: super::types::PositionNoise::Isotropic { std_m: 5.0 },
    };
    let report = tracker.step(T0_S + 45.0, &[far]).expect("the last step");
    report
        .updates
        .iter()
        .map(|u| u.track_id)
        .find(|&id| id == walker)
}

#[test]
fn a_coasting_persons_track_takes_no_detection_beyond_a_run() {
    let without = TrackerConfig {
        speed_limits: None,
        ..TrackerConfig::default()
    };
    assert!(
        taker_of_a_far_detection(without, ClassHint::Person).is_some(),
        "without the reach gate the grown chi-square gate takes it (else this test proves nothing)"
    );
    assert_eq!(
        taker_of_a_far_detection(TrackerConfig::default(), ClassHint::Person),
        None,
        "a person would have had to run at over 4 m/s for 25 s"
    );
    assert!(
        taker_of_a_far_detection(TrackerConfig::default(), ClassHint::Vehicle).is_some(),
        "a vehicle could have got there"
    );
    assert!(
        taker_of_a_far_detection(TrackerConfig::default(), ClassHint::Unknown).is_some(),
        "a track of no class is not bounded"
    );
}
