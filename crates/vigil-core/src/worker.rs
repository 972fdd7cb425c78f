//! A named thread of its own that runs until it is told to stop: the flag it looks at, and
//! its handle. Dropping it stops it and waits for it, so that no thread outlives what owns it.
//! The station's and the simulator's long-lived threads (the simulator, the live CoT feed,
//! the report endpoint, the SMS gateway, the simulated modem) are these.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// A thread and its stop flag.
#[derive(Debug)]
pub struct Worker<T: Send + 'static = ()> {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<T>>,
}

/// What a worker's body is given: whether it has been told to stop.
#[derive(Debug, Clone)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl<T: Send + 'static> Worker<T> {
    /// Starts `run` on a thread named `name`; it should return soon after its flag is set.
    pub fn spawn(name: &str, run: impl FnOnce(StopFlag) -> T + Send + 'static) -> io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = StopFlag(stop.clone());
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || run(flag))?;
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }

    /// Whether the thread has ended by itself.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Tells the thread to stop and waits for it: what it returned, `None` if it panicked.
    pub fn stop(mut self) -> Option<T> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().and_then(|t| t.join().ok())
    }

    /// Waits for the thread to end by itself: what it returned, `None` if it panicked.
    pub fn join(mut self) -> Option<T> {
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl<T: Send + 'static> Drop for Worker<T> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_worker_runs_until_stopped_and_is_named() {
        let worker = Worker::spawn("test-worker", |stop| {
            let name = std::thread::current().name().map(str::to_owned);
            let mut turns = 0u64;
            while !stop.is_set() {
                turns += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            (name, turns)
        })
        .expect("spawned");
        assert!(!worker.is_finished());
        let (name, _) = worker.stop().expect("it returned");
        assert_eq!(name.as_deref(), Some("test-worker"));
    }

    #[test]
    fn dropping_a_worker_stops_it_and_join_waits_for_its_end() {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        drop(
            Worker::spawn("test-drop", move |stop| {
                while !stop.is_set() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let _ = tx.send(());
            })
            .expect("spawned"),
        );
        assert!(rx.try_recv().is_ok(), "stopped before the drop returned");
        let done = Worker::spawn("test-join", |_| 7).expect("spawned");
        assert_eq!(done.join(), Some(7));
    }
}
