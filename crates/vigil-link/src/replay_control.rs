//! Play, pause, speed and fast-forward of a tlog replay, shared between whoever controls it
//! (the console, through `replay::ReplayController`) and the replay thread, which asks
//! [`ReplayControl::wait_for`] before delivering each record.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use vigil_core::time::TimeUs;

/// The replay thread looks at the controls at least this often while it waits.
const POLL: Duration = Duration::from_millis(100);

#[derive(Debug)]
struct State {
    paused: bool,
    speed: f64,
    /// Records before this time go through at full speed.
    fast_until: Option<TimeUs>,
    /// The time of the last record let through.
    position: Option<TimeUs>,
    /// Wall instant and record time that pacing counts from; reset by any change.
    anchor: Option<(Instant, TimeUs)>,
    stopped: bool,
}

/// The shared controls of one replay. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ReplayControl {
    inner: Arc<(Mutex<State>, Condvar)>,
}

impl PartialEq for ReplayControl {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl ReplayControl {
    /// Playing at `speed` times the recorded pace.
    pub fn new(speed: f64) -> Self {
        Self {
            inner: Arc::new((
                Mutex::new(State {
                    paused: false,
                    speed: sane_speed(speed),
                    fast_until: None,
                    position: None,
                    anchor: None,
                    stopped: false,
                }),
                Condvar::new(),
            )),
        }
    }

    fn change(&self, edit: impl FnOnce(&mut State)) {
        let (lock, changed) = &*self.inner;
        if let Ok(mut state) = lock.lock() {
            edit(&mut state);
            state.anchor = None;
        }
        changed.notify_all();
    }

    fn read<T>(&self, get: impl FnOnce(&State) -> T) -> Option<T> {
        self.inner.0.lock().ok().map(|state| get(&state))
    }

    pub fn pause(&self) {
        self.change(|s| s.paused = true);
    }

    pub fn play(&self) {
        self.change(|s| s.paused = false);
    }

    pub fn is_paused(&self) -> bool {
        self.read(|s| s.paused).unwrap_or(false)
    }

    pub fn set_speed(&self, speed: f64) {
        self.change(|s| s.speed = sane_speed(speed));
    }

    pub fn speed(&self) -> f64 {
        self.read(|s| s.speed).unwrap_or(1.0)
    }

    /// Lets records before `time` through at full speed (even while paused).
    pub fn fast_forward_to(&self, time: TimeUs) {
        self.change(|s| s.fast_until = Some(time));
    }

    /// The time of the last record delivered.
    pub fn position(&self) -> Option<TimeUs> {
        self.read(|s| s.position).flatten()
    }

    /// Ends the replay: the thread stops at its next record.
    pub fn stop(&self) {
        self.change(|s| s.stopped = true);
    }

    /// Called by the replay thread before it delivers a record of `time`: waits while paused
    /// and until the record is due at the current speed. False when the replay must stop.
    pub fn wait_for(&self, time: TimeUs) -> bool {
        let (lock, changed) = &*self.inner;
        let Ok(mut state) = lock.lock() else {
            return false;
        };
        loop {
            if state.stopped {
                return false;
            }
            if state.fast_until.is_some_and(|until| time < until) {
                state.position = Some(time);
                return true;
            }
            if state.paused {
                state.anchor = None;
                match changed.wait_timeout(state, POLL) {
                    Ok((next, _)) => state = next,
                    Err(_) => return false,
                }
                continue;
            }
            let speed = state.speed;
            let (wall0, time0) = *state.anchor.get_or_insert((Instant::now(), time));
            let due = wall0 + time.since(time0).div_f64(speed);
            let now = Instant::now();
            if now >= due {
                state.position = Some(time);
                return true;
            }
            match changed.wait_timeout(state, (due - now).min(POLL)) {
                Ok((next, _)) => state = next,
                Err(_) => return false,
            }
        }
    }
}

fn sane_speed(speed: f64) -> f64 {
    if speed.is_finite() && speed > 0.0 {
        speed.clamp(1e-3, 1e6)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_forward_lets_records_through_and_pause_holds_them() {
        let control = ReplayControl::new(1.0);
        control.pause();
        control.fast_forward_to(TimeUs(10_000_000));
        assert!(control.wait_for(TimeUs(5_000_000)));
        assert_eq!(control.position(), Some(TimeUs(5_000_000)));
        let waiter = control.clone();
        let thread = std::thread::Builder::new()
            .name("vigil-test-replay".into())
            .spawn(move || waiter.wait_for(TimeUs(20_000_000)))
            .expect("spawned");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            control.position(),
            Some(TimeUs(5_000_000)),
            "held while paused"
        );
        control.stop();
        assert!(!thread.join().expect("joined"));
    }

    #[test]
    fn records_are_paced_by_the_speed() {
        let control = ReplayControl::new(10.0);
        let started = Instant::now();
        assert!(control.wait_for(TimeUs(0)));
        assert!(control.wait_for(TimeUs(2_000_000)));
        // 2 s of recording at 10x take 0.2 s.
        assert!(started.elapsed() >= Duration::from_millis(190));
    }
}
