//! Signs that a vehicle's reports cannot be trusted — jamming, spoofing, or a misconfigured
//! radio: a GPS jump (a position far from where the last one and its velocity put it), a track
//! of positions that disagrees with the reported velocity, and two senders using one system id
//! (their MAVLink sequence numbers interleave, or their heartbeats disagree on what they are).

use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_core::time::TimeUs;

/// A position this far (metres) beyond where the last fix and its velocity predict is a jump.
pub const GPS_JUMP_M: f64 = 50.0;
/// Over this window, displacement and reported velocity are compared.
const VELOCITY_WINDOW_S: f64 = 5.0;
/// Average speed disagreement (m/s) over the window that counts as a mismatch.
const VELOCITY_MISMATCH_MPS: f64 = 5.0;
/// Sequence numbers going backwards this many times within [`DUPLICATE_WINDOW_S`] mean two
/// senders share the id (one radio reorders rarely; two interleaved streams do it constantly).
const DUPLICATE_BACKWARD_JUMPS: u32 = 5;
const DUPLICATE_WINDOW_S: f64 = 10.0;

/// What the checks found; each set once and kept until the operator sees the vehicle again
/// behave (the times say when, on the clock the check ran on: the vehicle's boot clock for
/// positions that carry it).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IntegrityFlags {
    pub gps_jump: Option<TimeUs>,
    pub velocity_mismatch: Option<TimeUs>,
    pub duplicate_sysid: Option<TimeUs>,
}

/// Something newly suspicious, for a notice.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    GpsJump {
        jump_m: f64,
    },
    VelocityMismatch {
        reported_mps: f64,
        observed_mps: f64,
    },
    DuplicateSysid {
        reason: String,
    },
    /// The vehicle's UNIX clock (SYSTEM_TIME, from GPS) jumped by this much against its own
    /// boot clock.
    ClockJump {
        jump_s: f64,
    },
}

/// A vehicle's UNIX clock that jumps by more than this against its boot clock is told, s.
pub const CLOCK_JUMP_S: f64 = 60.0;

/// A position report in a local plane around the vehicle (east, north metres).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Fix {
    time: TimeUs,
    en_m: [f64; 2],
    vel_en_mps: [f64; 2],
}

/// Per-vehicle state of the checks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Integrity {
    pub flags: IntegrityFlags,
    /// The plane the fixes are compared in: tangent at the first fix.
    frame: Option<LocalFrame>,
    last: Option<Fix>,
    window_start: Option<Fix>,
    /// The reported velocity integrated over the window so far (trapezoids between
    /// consecutive fixes), east and north metres: what the vehicle says it moved.
    reported_en_m: [f64; 2],
    last_seq: Option<u8>,
    backward_jumps: u32,
    backward_since: Option<TimeUs>,
    identity: Option<(u32, u32)>,
    /// The vehicle's boot epoch (UNIX time minus time since boot, µs) and boot clock (ms)
    /// from its last SYSTEM_TIME.
    clock: Option<(i64, u32)>,
}

impl Integrity {
    fn en_m(&mut self, lat_deg: f64, lon_deg: f64) -> [f64; 2] {
        let fix = Geodetic::from_deg(lat_deg, lon_deg, 0.0);
        let enu_m = self
            .frame
            .get_or_insert_with(|| LocalFrame::new(fix))
            .enu_from_geodetic(&fix);
        [enu_m.x, enu_m.y]
    }

    /// Checks the vehicle's UNIX time (SYSTEM_TIME) against its own boot clock: their
    /// difference, when it booted, stays put unless the UNIX clock jumps (GPS time spoofed,
    /// a clock reset). Its offset from the station's clock is not judged: a simulation or a
    /// vehicle without GPS time may run on a clock of its own. A reboot starts afresh.
    pub fn check_clock(&mut self, unix_us: u64, boot_ms: u32) -> Option<Finding> {
        let epoch_us = i64::try_from(unix_us)
            .unwrap_or(i64::MAX)
            .saturating_sub(i64::from(boot_ms) * 1000);
        let finding = match self.clock {
            Some((last_epoch_us, last_boot_ms)) if boot_ms >= last_boot_ms => {
                let jump_s = (epoch_us - last_epoch_us) as f64 / 1e6;
                (jump_s.abs() > CLOCK_JUMP_S).then_some(Finding::ClockJump { jump_s })
            }
            _ => None,
        };
        self.clock = Some((epoch_us, boot_ms));
        finding
    }

    /// When the last fix was taken, on the vehicle's own boot clock (its receive time for a
    /// fix without one): how long something took on the vehicle, which a simulation run
    /// faster than real time runs faster too.
    pub fn last_fix_time(&self) -> Option<TimeUs> {
        self.last.map(|f| f.time)
    }

    /// Checks a position report (GLOBAL_POSITION_INT) against the previous ones.
    pub fn check_position(
        &mut self,
        time: TimeUs,
        lat_deg: f64,
        lon_deg: f64,
        vel_ne_mps: [f64; 2],
    ) -> Option<Finding> {
        let fix = Fix {
            time,
            en_m: self.en_m(lat_deg, lon_deg),
            vel_en_mps: [vel_ne_mps[1], vel_ne_mps[0]],
        };
        // The fixes' clock went back (the vehicle rebooted): start the checks afresh.
        if self.last.is_some_and(|last| time < last.time) {
            self.last = None;
            self.window_start = None;
        }
        let mut finding = None;
        if let Some(last) = self.last {
            let dt_s = time.since(last.time).as_secs_f64();
            // Between two fixes the vehicle moved by about the mean of their velocities; summed
            // fix by fix, this follows an acceleration (a plane's take-off run) that the mean of
            // the window's two ends would miss.
            for axis in 0..2 {
                self.reported_en_m[axis] +=
                    (last.vel_en_mps[axis] + fix.vel_en_mps[axis]) / 2.0 * dt_s;
            }
            let predicted = [
                last.en_m[0] + last.vel_en_mps[0] * dt_s,
                last.en_m[1] + last.vel_en_mps[1] * dt_s,
            ];
            let jump_m = (fix.en_m[0] - predicted[0]).hypot(fix.en_m[1] - predicted[1]);
            // Allow for acceleration within the gap: 5 m/s² over dt.
            if jump_m > GPS_JUMP_M + 2.5 * dt_s * dt_s {
                self.flags.gps_jump = Some(time);
                self.window_start = None; // the old track says nothing about the new one
                finding = Some(Finding::GpsJump { jump_m });
            }
        }
        match self.window_start {
            Some(start) if time.since(start.time).as_secs_f64() >= VELOCITY_WINDOW_S => {
                let dt_s = time.since(start.time).as_secs_f64();
                let observed = [
                    (fix.en_m[0] - start.en_m[0]) / dt_s,
                    (fix.en_m[1] - start.en_m[1]) / dt_s,
                ];
                let reported = [self.reported_en_m[0] / dt_s, self.reported_en_m[1] / dt_s];
                let disagreement = (observed[0] - reported[0]).hypot(observed[1] - reported[1]);
                if disagreement > VELOCITY_MISMATCH_MPS && finding.is_none() {
                    self.flags.velocity_mismatch = Some(time);
                    finding = Some(Finding::VelocityMismatch {
                        reported_mps: reported[0].hypot(reported[1]),
                        observed_mps: observed[0].hypot(observed[1]),
                    });
                }
                self.window_start = Some(fix);
                self.reported_en_m = [0.0; 2];
            }
            None => {
                self.window_start = Some(fix);
                self.reported_en_m = [0.0; 2];
            }
            Some(_) => {}
        }
        self.last = Some(fix);
        finding
    }

    /// Checks the sequence number of each frame from the vehicle's autopilot.
    pub fn check_sequence(&mut self, time: TimeUs, seq: u8) -> Option<Finding> {
        let last = self.last_seq.replace(seq)?;
        let gap = seq.wrapping_sub(last.wrapping_add(1));
        if gap < 128 {
            return None;
        }
        // Backwards (or a duplicate): count within the window.
        let since = *self.backward_since.get_or_insert(time);
        if time.since(since).as_secs_f64() > DUPLICATE_WINDOW_S {
            self.backward_since = Some(time);
            self.backward_jumps = 0;
        }
        self.backward_jumps += 1;
        if self.backward_jumps == DUPLICATE_BACKWARD_JUMPS && self.flags.duplicate_sysid.is_none() {
            self.flags.duplicate_sysid = Some(time);
            return Some(Finding::DuplicateSysid {
                reason: format!(
                    "its sequence numbers went backwards {DUPLICATE_BACKWARD_JUMPS} times in {DUPLICATE_WINDOW_S} s"
                ),
            });
        }
        None
    }

    /// Checks that the heartbeats describe one kind of vehicle.
    pub fn check_identity(
        &mut self,
        time: TimeUs,
        mav_type: u32,
        autopilot: u32,
    ) -> Option<Finding> {
        match self.identity.replace((mav_type, autopilot)) {
            Some(previous)
                if previous != (mav_type, autopilot) && self.flags.duplicate_sysid.is_none() =>
            {
                self.flags.duplicate_sysid = Some(time);
                Some(Finding::DuplicateSysid {
                    reason: format!(
                        "heartbeats say type {}/autopilot {} and type {mav_type}/autopilot {autopilot}",
                        previous.0, previous.1
                    ),
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: f64) -> TimeUs {
        TimeUs::from_secs_f64(1_700_000_000.0 + seconds)
    }

    const NORTH_10_MPS: [f64; 2] = [10.0, 0.0];

    /// Latitude and longitude `ne_m` (north, east metres) from 9°N 31°E.
    fn at_ne_m(ne_m: [f64; 2]) -> (f64, f64) {
        let p = Geodetic::from_deg(9.0, 31.0, 0.0).offset_by_ne_m(ne_m);
        (p.lat_deg(), p.lon_deg())
    }

    fn lat_after(seconds: f64) -> f64 {
        at_ne_m([10.0 * seconds, 0.0]).0
    }

    #[test]
    fn consistent_flight_raises_nothing() {
        let mut integrity = Integrity::default();
        for i in 0..300 {
            let t = f64::from(i) * 0.2;
            assert_eq!(
                integrity.check_position(at(t), lat_after(t), 31.0, NORTH_10_MPS),
                None,
                "at {t} s"
            );
            assert_eq!(integrity.check_sequence(at(t), i as u8), None);
        }
        assert_eq!(integrity.flags, IntegrityFlags::default());
    }

    #[test]
    fn a_gps_jump_is_found_once() {
        let mut integrity = Integrity::default();
        for i in 0..10 {
            let t = f64::from(i) * 0.2;
            integrity.check_position(at(t), lat_after(t), 31.0, NORTH_10_MPS);
        }
        // 300 m east in 0.2 s.
        let jumped = integrity.check_position(
            at(2.0),
            lat_after(2.0),
            at_ne_m([0.0, 300.0]).1,
            NORTH_10_MPS,
        );
        let Some(Finding::GpsJump { jump_m }) = jumped else {
            panic!("{jumped:?}")
        };
        assert!((jump_m - 300.0).abs() < 1.0, "{jump_m}");
        assert_eq!(integrity.flags.gps_jump, Some(at(2.0)));
    }

    #[test]
    fn positions_that_creep_against_the_reported_velocity_are_found() {
        // A spoofer drags the position east at 8 m/s while the vehicle reports hovering.
        let mut integrity = Integrity::default();
        let mut found = None;
        for i in 0..60 {
            let t = f64::from(i) * 0.2;
            let (lat, lon) = at_ne_m([0.0, 8.0 * t]);
            found = found.or(integrity.check_position(at(t), lat, lon, [0.0, 0.0]));
        }
        let Some(Finding::VelocityMismatch {
            reported_mps,
            observed_mps,
        }) = found
        else {
            panic!("{found:?}")
        };
        assert!(reported_mps < 0.1 && (observed_mps - 8.0).abs() < 0.1);
    }

    #[test]
    fn a_take_off_run_that_accelerates_is_not_a_mismatch() {
        // A plane's take-off: from rest to 20 m/s in 1 s, then on at 20 m/s, fixes at 5 Hz.
        // The mean of a window's two ends (0 and 20 m/s) said 10 m/s against 18 observed.
        let mut integrity = Integrity::default();
        let speed = |t: f64| (20.0 * t).min(20.0);
        let north_m = |t: f64| {
            if t <= 1.0 {
                10.0 * t * t
            } else {
                10.0 + 20.0 * (t - 1.0)
            }
        };
        for i in 0..40 {
            let t = f64::from(i) * 0.2;
            let (lat, lon) = at_ne_m([north_m(t), 0.0]);
            let found = integrity.check_position(at(t), lat, lon, [speed(t), 0.0]);
            assert_eq!(found, None, "at {t} s");
        }
        assert_eq!(integrity.flags.velocity_mismatch, None);
    }

    #[test]
    fn two_senders_with_one_system_id_are_found() {
        let mut integrity = Integrity::default();
        let mut found = None;
        // Two streams, one at sequence 10.., the other at 200.., interleaved.
        for i in 0..10u8 {
            found = found.or(integrity.check_sequence(at(f64::from(i)), 10 + i));
            found = found.or(integrity.check_sequence(at(f64::from(i) + 0.5), 200 + i));
        }
        assert!(
            matches!(found, Some(Finding::DuplicateSysid { .. })),
            "{found:?}"
        );
        let mut other = Integrity::default();
        assert_eq!(other.check_identity(at(0.0), 2, 3), None);
        assert!(matches!(
            other.check_identity(at(1.0), 1, 12),
            Some(Finding::DuplicateSysid { .. })
        ));
    }

    #[test]
    fn a_clock_that_jumps_against_the_boot_clock_is_raised_once_a_steady_offset_never() {
        let mut integrity = Integrity::default();
        // Nine months behind the station and running five times as fast (a simulation): its
        // boot epoch stays put, so nothing is raised.
        let epoch_us = 1_750_000_000_000_000u64;
        for boot_s in 0..100u32 {
            let found =
                integrity.check_clock(epoch_us + u64::from(boot_s) * 1_000_000, boot_s * 1000);
            assert_eq!(found, None);
        }
        // Its UNIX time jumps a day ahead (GPS time spoofed).
        let jumped = integrity.check_clock(epoch_us + 86_400_000_000 + 100_000_000, 100_000);
        assert!(
            matches!(jumped, Some(Finding::ClockJump { jump_s }) if (jump_s - 86_400.0).abs() < 1.0)
        );
        assert_eq!(
            integrity.check_clock(epoch_us + 86_400_000_000 + 101_000_000, 101_000),
            None,
            "told once"
        );
        // A reboot starts afresh.
        assert_eq!(integrity.check_clock(epoch_us + 500_000_000, 1_000), None);
    }
}
