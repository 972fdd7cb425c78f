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

#[test]
fn a_track_keeps_the_reach_of_the_fastest_class_with_a_fair_share_of_its_votes() {
    use super::gate::SpeedLimits;
    use super::types::{GaussianState, Track};
    use nalgebra::{DMatrix, DVector};
    let state =
        GaussianState::new(DVector::zeros(4), DMatrix::identity(4, 4), T0_S).expect("a state");
    let mut track = Track::new(1, state);
    let limits = SpeedLimits::default();
    assert_eq!(limits.of_track(&track), None, "no votes: no bound");
    // A vehicle a radar took for a walker while it crawled through a market: three
    // "person" votes of 0.7 and one "vehicle" of 0.9 (a quarter or more): a vehicle's reach.
    track.class_votes.insert(ClassHint::Person, 2.1);
    track.class_votes.insert(ClassHint::Vehicle, 0.9);
    assert_eq!(limits.of_track(&track), Some(40.0));
    // One stray "vehicle" among many "person" votes: a person's.
    track.class_votes.insert(ClassHint::Person, 9.0);
    assert_eq!(limits.of_track(&track), Some(3.0));
}
