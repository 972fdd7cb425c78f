//! Whose clock to believe: every time a sender stamps on a detection or a status is checked
//! against that sender's own recent clock and, for a sender with no history yet, against the
//! other senders' clock (or the receive time when there is none), before the tracker sees it.
//!
//! Each source (system id, component id) has a clock model built from its last
//! [`CLOCK_SAMPLES`] accepted readings, each a pair (receive time, stamped time):
//!
//! - its **rate**, stamped seconds per received second: the median of the slopes from each
//!   reading at least [`RATE_BASELINE_S`] older than the newest to the newest, clamped to
//!   [`MIN_RATE`]..=[`MAX_RATE`]. A GPS-timed node runs at 1 (a drifting one at 1 ± 0.05);
//!   Vigil's simulator at `--speed N` runs at N. Until a source has that baseline it borrows
//!   the median rate of the sources that have one, and with none, any rate up to
//!   [`MAX_RATE`] is allowed.
//! - its **prediction** at a receive time: the median over the readings of
//!   `stamp + rate × (now − received)` — a median of rate-corrected offsets, so that one odd
//!   reading moves nothing and a clock that drifts is followed as the readings renew.
//!
//! A reading is **accepted** when it lies within [`BEHIND_S`] before and [`AHEAD_S`] after
//! the prediction, widened by [`GAP_SLACK`] of the time predicted since the source's newest
//! reading (at most [`GAP_SLACK_MAX_S`]) for an uncertain rate over a long silence. Late
//! detections over a slow radio stay well inside five minutes; a clock that drifts by minutes
//! an hour moves its prediction by seconds between readings; a jump of a day or a year, or a
//! return to 1970 (a reading on the boot clock from a source whose clock was UNIX time), never
//! fits. A **new source**'s first reading must lie within [`NEW_SOURCE_WINDOW_S`] of the
//! fusion-wide clock (the median of the other sources' bounds: each source one vote); with no
//! other source yet it must not lie more than [`FIRST_AHEAD_S`] after the receive time. The
//! receive time cannot bound the past: Vigil's simulator stamps a scenario's own date
//! (`start_utc`, often months back) on a link whose receive clock is today's.
//!
//! Rejected readings are kept as candidates. [`REANCHOR_AFTER`] candidates in a row that are
//! consistent with each other (any rate from [`MIN_RATE`] to [`MAX_RATE`]) become the source's
//! clock when they agree with the other sources, or when there is no other source: a node that
//! found (or lost) its GPS time, a simulator started long before the station or at a
//! speed-up, is followed; a single stamp never moves anything, and a sender whose clock
//! disagrees with everyone else's stays set aside however often it repeats itself. (What this
//! cannot tell: a sender that speaks first, alone, and repeats a wrong clock; the others are
//! then checked against it. Signing the links is the answer to such a sender.)
//!
//! The message clock (what protection and the scans' timing run on) is the fusion-wide clock:
//! the median over sources of their predictions at the receive time — never the last reading.

use std::collections::BTreeMap;

use vigil_core::time::TimeUs;

/// Accepted readings kept per source.
pub const CLOCK_SAMPLES: usize = 16;
/// Readings kept are at least this many received seconds apart: a burst of detections (many a
/// second from a simulator at a speed-up) replaces the newest instead of pushing the older
/// ones out, so that the readings kept span enough time to give the rate. Without it a busy
/// source never had a rate and the message clock ran at 1x behind a simulator at 20x.
pub const READING_SPACING_S: f64 = 1.0;
/// Received seconds between two readings for their slope to count toward a rate.
pub const RATE_BASELINE_S: f64 = 10.0;
/// Slowest and fastest clock rates believed (stamped seconds per received second): the
/// simulator runs at up to ~100×; a margin of 10× over that.
pub const MIN_RATE: f64 = 0.5;
pub const MAX_RATE: f64 = 1000.0;
/// How far before the prediction a reading may be (late over the radio, reordered), s.
pub const BEHIND_S: f64 = 300.0;
/// How far after the prediction a reading may be, s.
pub const AHEAD_S: f64 = 300.0;
/// Share of the predicted advance since the newest reading added to both windows.
pub const GAP_SLACK: f64 = 0.1;
/// At most this much widening for a long silence, s.
pub const GAP_SLACK_MAX_S: f64 = 3600.0;
/// A new source's first reading against the other sources' clock, either side, s.
pub const NEW_SOURCE_WINDOW_S: f64 = 600.0;
/// The first source of all: how far after the receive time, s.
pub const FIRST_AHEAD_S: f64 = 3600.0;
/// Consecutive rejected readings, consistent with each other (and the others), before a
/// source's clock is taken as changed.
pub const REANCHOR_AFTER: u32 = 3;

/// A source heard within this many received seconds speaks for the message clock; one
/// silent for longer (a drone's camera that saw nothing for a while, a node gone quiet) only
/// when none has been heard since. A silent source's prediction runs on at its own rate, and
/// a rate learned from a few bursts of readings can be off by a fraction: after minutes of
/// silence its prediction is minutes off, and two of four such sources pulled the clock back
/// (issue #18's patrol test saw it go back 100 s, which restarts the coverage).
pub const FRESH_S: f64 = 30.0;

/// A source: (system id, component id).
pub type SourceId = (u8, u8);

/// What the reading was checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The source's own recent readings.
    OwnClock,
    /// The other sources' clock (a source's first reading).
    OtherSources,
    /// The receive time (the first reading of the first source).
    ReceiveTime,
    /// The source's clock was UNIX time and the reading is on a boot clock (1970).
    ClockReset,
}

/// Why a reading was set aside: how far it was from what was expected (positive: ahead).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rejection {
    pub reference: Reference,
    pub off_s: f64,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let against = match self.reference {
            Reference::OwnClock => "its own clock",
            Reference::OtherSources => "the other sources' clock",
            Reference::ReceiveTime => "the receive time",
            Reference::ClockReset => {
                return write!(f, "its clock went back to boot time (1970)");
            }
        };
        let direction = if self.off_s >= 0.0 {
            "ahead of"
        } else {
            "behind"
        };
        write!(f, "{} {direction} {against}", span(self.off_s.abs()))
    }
}

/// A duration for the operator: "3 d 4 h", "2 h 5 min", "40 s".
fn span(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Reading {
    rx_s: f64,
    stamp_s: f64,
}

#[derive(Debug, Clone, Default)]
struct SourceClock {
    /// Accepted readings, oldest first.
    readings: Vec<Reading>,
    /// Whether the source's stamps are UNIX times (else the boot clock, replaced by rx).
    unix: bool,
    /// The rate from the readings (see [`SourceClock::own_rate`]), kept up to date.
    rate: Option<f64>,
    /// Rejected readings since the last accepted one (at most [`REANCHOR_AFTER`]).
    candidates: Vec<Reading>,
    rejected: u64,
    told: bool,
}

impl SourceClock {
    fn newest(&self) -> Option<&Reading> {
        self.readings.last()
    }

    fn own_rate(&self) -> Option<f64> {
        self.rate
    }

    fn compute_rate(&self) -> Option<f64> {
        let newest = self.newest()?;
        let mut slopes: Vec<f64> = self
            .readings
            .iter()
            .filter(|r| newest.rx_s - r.rx_s >= RATE_BASELINE_S)
            .map(|r| (newest.stamp_s - r.stamp_s) / (newest.rx_s - r.rx_s))
            .collect();
        median(&mut slopes).map(|r| r.clamp(MIN_RATE, MAX_RATE))
    }

    fn predict(&self, rx_s: f64, rate: f64) -> Option<f64> {
        let mut predictions: Vec<f64> = self
            .readings
            .iter()
            .map(|r| r.stamp_s + rate * (rx_s - r.rx_s))
            .collect();
        median(&mut predictions)
    }

    /// The earliest and latest time expected at `rx_s`: the prediction at `rate` widened by
    /// [`GAP_SLACK`] of the advance since the newest reading; without a rate, anything from
    /// [`MIN_RATE`] to [`MAX_RATE`] since the newest.
    fn bounds(&self, rx_s: f64, rate: Option<f64>) -> Option<(f64, f64)> {
        let newest = self.newest()?;
        let gap_s = (rx_s - newest.rx_s).max(0.0);
        match rate {
            Some(rate) => {
                let expected = self.predict(rx_s, rate)?;
                let slack = (GAP_SLACK * rate * gap_s).min(GAP_SLACK_MAX_S);
                Some((expected - slack, expected + slack))
            }
            None => Some((
                newest.stamp_s + MIN_RATE * gap_s,
                newest.stamp_s + (MAX_RATE * gap_s).min(GAP_SLACK_MAX_S),
            )),
        }
    }

    fn push(&mut self, reading: Reading, unix: bool) {
        let crowded = self.readings.len() >= 2
            && self
                .newest()
                .is_some_and(|n| reading.rx_s - n.rx_s < READING_SPACING_S);
        if crowded {
            self.readings.pop();
        } else if self.readings.len() == CLOCK_SAMPLES {
            self.readings.remove(0);
        }
        self.readings.push(reading);
        self.rate = self.compute_rate();
        self.unix = unix;
        self.candidates.clear();
    }
}

/// Lower median (of an even count, the lower middle: a value that was observed).
fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    Some(values[(values.len() - 1) / 2])
}

/// A reading that was set aside, the first of its source: tell the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstRejection {
    pub source: SourceId,
    pub rejection: Rejection,
}

/// Every source's clock; owned by [`super::Fusion`].
#[derive(Debug, Clone, Default)]
pub struct Clocks {
    sources: BTreeMap<SourceId, SourceClock>,
    /// Readings set aside, all sources.
    pub rejected: u64,
}

impl Clocks {
    /// The median rate of the sources that have one, excluding `except`.
    fn shared_rate(&self, except: Option<SourceId>) -> Option<f64> {
        let mut rates: Vec<f64> = self
            .sources
            .iter()
            .filter(|(id, _)| Some(**id) != except)
            .filter_map(|(_, c)| c.own_rate())
            .collect();
        median(&mut rates)
    }

    /// What the other sources than `except` expect at `rx_s`: the medians of their earliest
    /// and latest expected times.
    fn shared_bounds(&self, rx_s: f64, except: SourceId) -> Option<(f64, f64)> {
        let shared = self.shared_rate(Some(except));
        let (mut lows, mut highs): (Vec<f64>, Vec<f64>) = self
            .sources
            .iter()
            .filter(|(id, _)| **id != except)
            .filter_map(|(_, c)| c.bounds(rx_s, c.own_rate().or(shared)))
            .unzip();
        Some((median(&mut lows)?, median(&mut highs)?))
    }

    /// The message clock at `rx` (the world's receive clock): the fusion-wide clock, or `rx`
    /// itself before any reading.
    ///
    /// Only the sources heard within [`FRESH_S`] count (all of them when none has been).
    pub fn message_time(&self, rx: TimeUs) -> TimeUs {
        let rx_s = rx.as_secs_f64();
        let shared = self.shared_rate(None).unwrap_or(1.0);
        // A source without a rate of its own yet (its first RATE_BASELINE_S) speaks from its
        // newest reading only: its older ones, a second apart, would be carried forward at a
        // borrowed rate and lag a simulator at a speed-up by minutes.
        let predict = |c: &SourceClock| match c.own_rate() {
            Some(rate) => c.predict(rx_s, rate),
            None => c.newest().map(|n| n.stamp_s + shared * (rx_s - n.rx_s)),
        };
        let fresh = |c: &&SourceClock| c.newest().is_some_and(|r| rx_s - r.rx_s <= FRESH_S);
        let mut predictions: Vec<f64> = self
            .sources
            .values()
            .filter(fresh)
            .filter_map(predict)
            .collect();
        if predictions.is_empty() {
            predictions = self.sources.values().filter_map(predict).collect();
        }
        median(&mut predictions).map_or(rx, TimeUs::from_secs_f64)
    }

    /// Readings set aside from `source`.
    pub fn rejected_from(&self, source: SourceId) -> u64 {
        self.sources.get(&source).map_or(0, |c| c.rejected)
    }

    /// Checks a reading from `source` stamped `stamp` (already the receive time for a boot
    /// clock, `unix` false) and received at `rx`; an accepted one joins the source's clock.
    /// `Err` carries the rejection, and whether it is the source's first one.
    pub fn check(
        &mut self,
        source: SourceId,
        stamp: TimeUs,
        unix: bool,
        rx: TimeUs,
    ) -> Result<(), (Rejection, bool)> {
        let reading = Reading {
            rx_s: rx.as_secs_f64(),
            stamp_s: stamp.as_secs_f64(),
        };
        let verdict = self.judge(source, reading, unix);
        let clock = self.sources.entry(source).or_default();
        match verdict {
            Ok(()) => {
                clock.push(reading, unix);
                Ok(())
            }
            Err(rejection) => {
                clock.rejected += 1;
                self.rejected += 1;
                let first = !clock.told;
                clock.told = true;
                Err((rejection, first))
            }
        }
    }

    fn judge(&mut self, source: SourceId, reading: Reading, unix: bool) -> Result<(), Rejection> {
        let others = self.shared_bounds(reading.rx_s, source);
        let against_others = match others {
            Some((low, high)) => Self::between(
                Reference::OtherSources,
                reading.stamp_s,
                low - NEW_SOURCE_WINDOW_S,
                high + NEW_SOURCE_WINDOW_S,
            ),
            None => Self::between(
                Reference::ReceiveTime,
                reading.stamp_s,
                f64::MIN,
                reading.rx_s + FIRST_AHEAD_S,
            )
            .map_err(|r| Rejection {
                off_s: reading.stamp_s - reading.rx_s,
                ..r
            }),
        };
        let shared_rate = self.shared_rate(Some(source));
        let clock = self.sources.entry(source).or_default();
        let verdict = if clock.newest().is_none() {
            against_others
        } else if clock.unix && !unix {
            Err(Rejection {
                reference: Reference::ClockReset,
                off_s: 0.0,
            })
        } else {
            match clock.bounds(reading.rx_s, clock.own_rate().or(shared_rate)) {
                Some((low, high)) => Self::between(
                    Reference::OwnClock,
                    reading.stamp_s,
                    low - BEHIND_S,
                    high + AHEAD_S,
                ),
                None => Ok(()),
            }
        };
        if verdict.is_ok() {
            return verdict;
        }
        // A changed clock is adopted once it persists and nobody else disagrees.
        if clock.candidates.len() == REANCHOR_AFTER as usize {
            clock.candidates.remove(0);
        }
        clock.candidates.push(reading);
        let consistent = clock.candidates.windows(2).all(|pair| {
            let gap_s = (pair[1].rx_s - pair[0].rx_s).max(0.0);
            let advance_s = pair[1].stamp_s - pair[0].stamp_s;
            advance_s >= MIN_RATE * gap_s - BEHIND_S
                && advance_s <= (MAX_RATE * gap_s).min(GAP_SLACK_MAX_S) + AHEAD_S
        });
        // With nobody else to ask, a new clock too far ahead of the receive time is adopted
        // only by a source that had none.
        let agreed = against_others.is_ok() || (others.is_none() && clock.readings.is_empty());
        if consistent && agreed && clock.candidates.len() == REANCHOR_AFTER as usize {
            let candidates = std::mem::take(&mut clock.candidates);
            clock.readings.clear();
            // A new clock: its own bad readings will be told again.
            clock.told = false;
            // The newest is pushed by the caller.
            for candidate in &candidates[..candidates.len() - 1] {
                clock.push(*candidate, unix);
            }
            return Ok(());
        }
        verdict
    }

    /// `Ok` when `stamp_s` lies in `low..=high`, else how far it is from the middle.
    fn between(reference: Reference, stamp_s: f64, low: f64, high: f64) -> Result<(), Rejection> {
        if stamp_s.is_finite() && (low..=high).contains(&stamp_s) {
            Ok(())
        } else {
            Err(Rejection {
                reference,
                off_s: stamp_s - (low + high) / 2.0,
            })
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1_750_000_000.0;
    const DAY: f64 = 86_400.0;

    fn t(s: f64) -> TimeUs {
        TimeUs::from_secs_f64(s)
    }

    /// Feeds `source` readings every `every_s` received seconds for `count` readings, with
    /// stamps from `stamp(rx)`; all must be accepted.
    fn feed(
        clocks: &mut Clocks,
        source: SourceId,
        from_s: f64,
        every_s: f64,
        count: usize,
        stamp: impl Fn(f64) -> f64,
    ) -> f64 {
        let mut rx = from_s;
        for i in 0..count {
            rx = from_s + every_s * i as f64;
            let result = clocks.check(source, t(stamp(rx)), true, t(rx));
            assert_eq!(result, Ok(()), "reading {i} at rx {rx}");
        }
        rx
    }

    #[test]
    fn a_busy_source_at_a_speed_up_has_a_rate_and_the_clock_runs_at_it() {
        // Ten detections a second from a simulator at 20x, for 20 s.
        let truth = |rx: f64| T0 + 20.0 * (rx - T0);
        let mut clocks = Clocks::default();
        let rx = feed(&mut clocks, (110, 1), T0, 0.1, 200, truth);
        // Before any rate (the first 10 s), the clock is the newest reading's.
        let mut early = Clocks::default();
        let rx5 = feed(&mut early, (110, 1), T0, 0.1, 50, truth);
        let message = early.message_time(t(rx5 + 0.1)).as_secs_f64();
        assert!(
            (message - truth(rx5 + 0.1)).abs() < 3.0,
            "{} s off",
            message - truth(rx5 + 0.1)
        );
        let rate = clocks.shared_rate(None).expect("a rate");
        assert!((rate - 20.0).abs() < 1e-3, "{rate}");
        // Two seconds without a detection: the clock has gone on at 20x, not at 1x.
        let message = clocks.message_time(t(rx + 2.0)).as_secs_f64();
        assert!(
            (message - truth(rx + 2.0)).abs() < 1.0,
            "{} s off",
            message - truth(rx + 2.0)
        );
    }

    #[test]
    fn sources_gone_quiet_do_not_pull_the_message_clock_back() {
        // A simulator at 20x: two sources heard every second, two heard only for the first
        // 12 s, whose rates came out at 15 (stamps a little late in their bursts).
        let truth = |rx: f64| T0 + 20.0 * (rx - T0);
        let mut clocks = Clocks::default();
        for i in 0..=12 {
            let rx = T0 + f64::from(i);
            for source in [(1, 1), (4, 1)] {
                assert_eq!(clocks.check(source, t(truth(rx)), true, t(rx)), Ok(()));
            }
            for source in [(2, 1), (3, 1)] {
                let stamp = T0 + 15.0 * (rx - T0);
                assert_eq!(clocks.check(source, t(stamp), true, t(rx)), Ok(()));
            }
        }
        let rx = feed(&mut clocks, (1, 1), T0 + 13.0, 1.0, 188, truth);
        feed(&mut clocks, (4, 1), T0 + 13.0, 1.0, 188, truth);
        // The quiet ones would say ~940 s less; the message clock follows those heard.
        let message = clocks.message_time(t(rx)).as_secs_f64();
        assert!(
            (message - truth(rx)).abs() < 5.0,
            "{} s off",
            message - truth(rx)
        );
        // With every source quiet, all of them count again.
        let later = rx + 2.0 * FRESH_S;
        let message = clocks.message_time(t(later)).as_secs_f64();
        assert!(message < truth(later), "{message}");
    }

    #[test]
    fn far_future_and_far_past_stamps_from_a_known_source_are_set_aside() {
        let mut clocks = Clocks::default();
        let rx = feed(&mut clocks, (10, 1), T0, 5.0, 20, |rx| rx - 0.4);
        for (stamp, unix) in [
            (rx + 1.0 + DAY, true),
            (rx + 1.0 + 10.0 * 365.0 * DAY, true),
            (rx + 1.0 - DAY, true),
            // 1970: a boot-clock stamp, which the detection replaces by the receive time.
            (rx + 1.0, false),
        ] {
            let result = clocks.check((10, 1), t(stamp), unix, t(rx + 1.0));
            assert!(result.is_err(), "{stamp} accepted");
        }
        assert_eq!(clocks.rejected_from((10, 1)), 4);
        // Told once: only the first rejection is marked first.
        let again = clocks.check((10, 1), t(rx + 2.0 + DAY), true, t(rx + 2.0));
        assert!(matches!(again, Err((_, false))));
        // The clock is unchanged: the next good reading passes, the message clock holds.
        assert_eq!(
            clocks.check((10, 1), t(rx + 3.0), true, t(rx + 3.5)),
            Ok(())
        );
        let message = clocks.message_time(t(rx + 4.0)).as_secs_f64();
        assert!((message - (rx + 3.6)).abs() < 1.0, "{message}");
    }

    #[test]
    fn a_clock_drifting_three_minutes_an_hour_is_followed() {
        let mut clocks = Clocks::default();
        // One reading a minute for two hours, the clock gaining 180 s an hour.
        let rx = feed(&mut clocks, (20, 1), T0, 60.0, 121, |rx| {
            rx + (rx - T0) * 180.0 / 3600.0
        });
        let expected = rx + (rx - T0) * 180.0 / 3600.0;
        let message = clocks.message_time(t(rx)).as_secs_f64();
        assert!((message - expected).abs() < 1.0, "{message} vs {expected}");
        // And still a day ahead is refused.
        assert!(
            clocks
                .check((20, 1), t(expected + DAY), true, t(rx + 1.0))
                .is_err()
        );
        // Also after a silence of an hour.
        let later = rx + 3600.0;
        let stamp = later + (later - T0) * 0.05;
        assert_eq!(clocks.check((20, 1), t(stamp), true, t(later)), Ok(()));
    }

    #[test]
    fn a_simulated_clock_twenty_or_a_hundred_times_fast_is_accepted() {
        for speed in [20.0, 100.0] {
            let mut clocks = Clocks::default();
            // The simulator's clock starts at the wall clock; its first detection comes
            // after a minute of wall time; then several nodes, each heard every few seconds,
            // one of them silent for two minutes.
            let stamp = |rx: f64| T0 + speed * (rx - T0);
            // The first node of all, an hour and a half ahead at 100×, is believed once it
            // has been consistent (and at 20×, 20 min ahead, at once).
            let mut refused = 0;
            for i in 0..REANCHOR_AFTER {
                let rx = T0 + 55.0 + f64::from(i);
                refused += u32::from(clocks.check((29, 1), t(stamp(rx)), true, t(rx)).is_err());
            }
            assert_eq!(refused, if speed > 50.0 { REANCHOR_AFTER - 1 } else { 0 });
            for node in 0..5u8 {
                feed(
                    &mut clocks,
                    (30 + node, 1),
                    T0 + 60.0 + f64::from(node),
                    3.0 + f64::from(node),
                    30,
                    stamp,
                );
            }
            let rx = T0 + 60.0 + 300.0;
            assert_eq!(clocks.check((30, 1), t(stamp(rx)), true, t(rx)), Ok(()));
            // A new node of the same simulation is accepted against the others.
            assert_eq!(clocks.check((40, 1), t(stamp(rx)), true, t(rx)), Ok(()));
            let message = clocks.message_time(t(rx + 1.0)).as_secs_f64();
            assert!(
                (message - stamp(rx + 1.0)).abs() < 5.0 * speed,
                "{speed}: {message}"
            );
            // A day ahead of the simulation is refused.
            assert!(
                clocks
                    .check((31, 1), t(stamp(rx) + DAY), true, t(rx + 0.5))
                    .is_err()
            );
        }
    }

    #[test]
    fn a_bad_first_reading_of_a_new_source_is_set_aside_when_others_exist() {
        let mut clocks = Clocks::default();
        feed(&mut clocks, (1, 1), T0, 2.0, 10, |rx| rx - 0.2);
        let rx = feed(&mut clocks, (2, 1), T0 + 1.0, 2.0, 10, |rx| rx - 0.3);
        let before = clocks.message_time(t(rx));
        for stamp in [rx + DAY, rx + 3650.0 * DAY, rx - DAY] {
            let result = clocks.check((99, 1), t(stamp), true, t(rx));
            assert!(
                matches!(
                    result,
                    Err((
                        Rejection {
                            reference: Reference::OtherSources,
                            ..
                        },
                        _
                    ))
                ),
                "{result:?}"
            );
        }
        assert_eq!(clocks.message_time(t(rx)), before);
        // The same sender with a good clock is welcome.
        assert_eq!(clocks.check((99, 1), t(rx), true, t(rx)), Ok(()));
    }

    #[test]
    fn the_first_source_of_all_is_checked_against_the_receive_time() {
        let mut clocks = Clocks::default();
        assert!(
            clocks
                .check((1, 1), t(T0 + 3650.0 * DAY), true, t(T0))
                .is_err()
        );
        assert!(clocks.check((2, 1), t(T0 + DAY), true, t(T0)).is_err());
        assert_eq!(clocks.message_time(t(T0)), t(T0));
        // A scenario's date months back is believed (the simulator's own clock).
        assert_eq!(
            clocks.check((3, 1), t(T0 - 200.0 * DAY), true, t(T0)),
            Ok(())
        );
        // And then the one-off stamps of the others are measured against it.
        assert!(
            clocks
                .check((1, 1), t(T0 + 3650.0 * DAY), true, t(T0 + 1.0))
                .is_err()
        );
        assert_eq!(
            clocks.check((1, 1), t(T0 - 200.0 * DAY + 1.0), true, t(T0 + 1.0)),
            Ok(())
        );
    }

    #[test]
    fn a_sender_repeating_a_clock_nobody_shares_stays_set_aside() {
        let mut clocks = Clocks::default();
        feed(&mut clocks, (1, 1), T0, 2.0, 10, |rx| rx);
        feed(&mut clocks, (2, 1), T0, 2.0, 10, |rx| rx);
        for i in 0..20 {
            let rx = T0 + 30.0 + f64::from(i);
            assert!(clocks.check((66, 1), t(rx + DAY), true, t(rx)).is_err());
            assert!(clocks.check((1, 1), t(rx + DAY), true, t(rx)).is_err());
        }
        assert_eq!(clocks.rejected, 40);
        // Alone, a source with history does not adopt a clock a day ahead either.
        let mut alone = Clocks::default();
        let rx = feed(&mut alone, (1, 1), T0, 2.0, 10, |rx| rx);
        for i in 1..10 {
            let rx = rx + f64::from(i);
            assert!(alone.check((1, 1), t(rx + DAY), true, t(rx)).is_err());
        }
    }

    #[test]
    fn a_clock_that_really_changed_is_adopted_after_agreeing_with_the_others() {
        let mut clocks = Clocks::default();
        feed(&mut clocks, (1, 1), T0, 2.0, 10, |rx| rx);
        feed(&mut clocks, (2, 1), T0, 2.0, 10, |rx| rx);
        // Node 3 starts an hour behind (a wrong clock that passed as the first... of its own
        // kind: the others agree it is wrong) — here it was accepted while it was alone.
        let mut lone = Clocks::default();
        let rx = feed(&mut lone, (3, 1), T0, 2.0, 10, |rx| rx - 1800.0);
        lone.sources.extend(clocks.sources.clone());
        let mut outcomes = Vec::new();
        for i in 0..REANCHOR_AFTER {
            let now = rx + 1.0 + f64::from(i);
            outcomes.push(lone.check((3, 1), t(now), true, t(now)).is_ok());
        }
        assert_eq!(outcomes, [false, false, true]);
    }

    #[test]
    fn spans_read_well() {
        assert_eq!(span(40.0), "40 s");
        assert_eq!(span(600.0), "10 min");
        assert_eq!(span(DAY + 600.0), "24 h 10 min");
        assert_eq!(span(3.0 * DAY + 7200.0), "3 d 2 h");
    }
}
