//! The analysis thread (`vigil-analysis`): fusion and tracking, protection, the `--tracks-out`
//! file and the journal's feed, fed by the world's events. It runs beside the world thread
//! so that a tracking scan or a protection step never holds up a heartbeat, a COMMAND_ACK or
//! a snapshot of the drones: the world thread hands it each step's events and goes on.
//!
//! What it publishes (tracks, protection, its own figures) goes into the same snapshot as the
//! world thread's, each thread replacing only its own parts (`ArcSwap::rcu`). What it asks of
//! the world thread (a drone sent by "send a drone", a notice for the operator) goes back on a
//! bounded queue of its own; when that queue is full it keeps them, in order, and tries again
//! on its next turn, so that neither thread ever waits for the other's queue.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::{PipelineView, Snapshot};
use vigil_core::time::{MonoClock, TimeUs};
use vigil_fusion::{Fusion, TracksWriter};
use vigil_link::LinkId;
use vigil_protection::{Protection, ProtectionRequest};
use vigil_record::journal::JournalFeed;
use vigil_world::command;
use vigil_world::{Detection, Severity, Source, WorldEvent};

/// Steps of the world waiting for the analysis thread. A replay waits when it is full
/// (lossless); a live world thread never waits: the step is dropped and counted
/// ([`PipelineView::analysis_dropped`]) — at 65,536 steps that is many seconds of the
/// busiest traffic, so only a stalled analysis thread gets there.
pub const ANALYSIS_QUEUE_CAPACITY: usize = 65_536;
/// Requests and notices from the analysis thread waiting for the world thread; when full
/// they wait, in order, in the analysis thread for the next turn.
pub const FROM_ANALYSIS_CAPACITY: usize = 1024;
/// Protection requests from clients waiting for the analysis thread.
pub const PROTECTION_REQUEST_CAPACITY: usize = 256;
/// How often the analysis thread steps protection when nothing arrives.
const ANALYSIS_TICK: Duration = Duration::from_millis(100);

/// What the world thread hands the analysis thread.
#[derive(Debug)]
pub(crate) enum AnalysisInput {
    /// The events of one step of the world, in order: a frame applied (`frame` says when it
    /// arrived and whether a peer sent it), a tick, a link event.
    Step {
        events: Vec<WorldEvent>,
        time: TimeUs,
        frame: Option<FrameArrival>,
        /// With the first detection: where the local plane's origin goes if the deployment
        /// gave none (the first vehicle's home, else a sensor's position), as the world was
        /// at that very frame, so that a replay puts it at the same place.
        origin: Option<(f64, f64)>,
    },
    /// A link's end (a replay finished, or the link failed) after all its frames' steps.
    LinkEnded { link: LinkId, finished: bool },
    /// Stop once everything before has been handled.
    Stop,
}

/// When a frame arrived, for fusion's scans (on the frames' own clock) and latency figures.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameArrival {
    pub mono: Instant,
    /// Not one of the station's own frames (which the tlog also holds).
    pub from_peer: bool,
}

/// What the analysis thread asks of the world thread.
#[derive(Debug)]
pub(crate) enum FromAnalysis {
    /// A command for the engine ("send a drone").
    Engine(command::Request),
    /// A notice for the operator.
    Notice(Severity, Source, String),
}

/// The analysis thread's state.
pub(crate) struct Analysis {
    pub fusion: Fusion,
    pub protection: Protection,
    pub tracks_writer: Option<TracksWriter>,
    pub journal: Option<JournalFeed>,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub to_world: Sender<FromAnalysis>,
    /// What did not fit into `to_world` yet.
    pub waiting: VecDeque<FromAnalysis>,
    /// Per link: its end has been analysed (published in `LinkView::ended`).
    pub links_ended: Arc<[AtomicBool]>,
    pub clock: MonoClock,
    pub replay_only: bool,
    /// The latest time of the world's steps (the messages' clock in a replay).
    pub world_time: TimeUs,
    pub changed: bool,
}

impl Analysis {
    /// Runs until told to stop (or the world thread is gone), then flushes what it writes.
    pub fn run(mut self, inputs: Receiver<AnalysisInput>, requests: Receiver<ProtectionRequest>) {
        let mut next_tick = Instant::now();
        loop {
            let timeout = next_tick.saturating_duration_since(Instant::now());
            crossbeam_channel::select! {
                recv(inputs) -> input => match input {
                    Ok(AnalysisInput::Stop) | Err(_) => break,
                    Ok(input) => self.handle(input),
                },
                recv(requests) -> request => {
                    if let Ok(request) = request {
                        let now = self.now();
                        let world = self.snapshot.load();
                        self.protection.request(request, &world.world, now);
                        self.record_decisions();
                        self.changed = true;
                    }
                }
                default(timeout) => {}
            }
            if Instant::now() >= next_tick {
                self.protect();
                next_tick = Instant::now() + ANALYSIS_TICK;
            }
            self.flush_to_world();
            if self.changed {
                self.publish();
            }
        }
        // Everything the world thread handed over before stopping.
        while let Ok(input) = inputs.try_recv() {
            if !matches!(input, AnalysisInput::Stop) {
                self.handle(input);
            }
        }
        self.flush_tracks();
        self.flush_to_world();
        self.publish();
    }

    /// Writes out what the tracks file buffers; a failure is told to the operator once and
    /// ends the writing, as a failed write does.
    fn flush_tracks(&mut self) {
        if let Some(writer) = &mut self.tracks_writer
            && let Err(err) = writer.flush()
        {
            self.tracks_writer = None;
            self.waiting.push_back(FromAnalysis::Notice(
                Severity::Error,
                Source::GroundStation,
                format!("tracks are no longer written: {err}"),
            ));
        }
    }

    fn now(&self) -> TimeUs {
        if self.replay_only {
            self.world_time
        } else {
            self.clock.now()
        }
    }

    pub fn handle(&mut self, input: AnalysisInput) {
        match input {
            AnalysisInput::Step {
                events,
                time,
                frame,
                origin,
            } => {
                if let Some((lat_deg, lon_deg)) = origin
                    && self.fusion.frame().is_none()
                {
                    self.fusion.set_origin(lat_deg, lon_deg);
                }
                self.step(&events, time, frame);
            }
            AnalysisInput::LinkEnded { link, finished } => {
                if finished && self.fusion.flush().is_some() {
                    self.write_tracks();
                }
                // The tracks file holds the last scan before the link counts as ended: a
                // client that stops at `Snapshot::replays_finished` finds it complete on disk.
                self.flush_tracks();
                if let Some(flag) = self.links_ended.get(usize::from(link.0)) {
                    flag.store(true, Ordering::Release);
                }
                self.changed = true;
            }
            AnalysisInput::Stop => {}
        }
    }

    fn step(&mut self, events: &[WorldEvent], time: TimeUs, frame: Option<FrameArrival>) {
        self.world_time = self.world_time.max(time);
        // Fusion runs on the received frames' clock only (not on wall-clock ticks, not on our
        // own frames that the tlog also holds), so that replaying the tlog rebuilds the same
        // tracks.
        if let Some(frame) = frame
            && frame.from_peer
            && self.fusion.tick(time).is_some()
        {
            self.write_tracks();
        }
        for event in events {
            match event {
                WorldEvent::SensorStatus {
                    sysid,
                    compid,
                    sensor_time_us,
                } => self
                    .fusion
                    .observe_time(*sysid, *compid, *sensor_time_us, time),
                // A drone's camera footprint is coverage for the tracks' life.
                WorldEvent::VehicleUpdated(vehicle) => self.fusion.observe_vehicle(vehicle),
                WorldEvent::Detection(detection) => {
                    let mut detection = Detection::clone(detection);
                    detection.received = time;
                    let arrived = frame.map_or_else(Instant::now, |f| f.mono);
                    if let Ok(Some(_)) = self.fusion.add(&detection, arrived) {
                        self.write_tracks();
                    }
                }
                _ => {}
            }
        }
        for notice in self.fusion.take_notices() {
            let source = notice
                .source
                .map_or(Source::GroundStation, |(sysid, compid)| {
                    Source::Sensor(sysid, compid)
                });
            self.waiting
                .push_back(FromAnalysis::Notice(Severity::Warning, source, notice.text));
        }
        if let Some(feed) = &mut self.journal {
            feed.on_events(events, time);
        }
        // A replay runs faster than the 100 ms timer that steps protection live: it steps on
        // the recording's own clock instead (once a second of it), so that a fast replay
        // judges every second the live run judged.
        if self.replay_only {
            self.protect();
        }
    }

    /// Writes the confirmed tracks of the scan just run into the journal and, if asked to,
    /// the tracks file; a write error is told to the operator once and ends the writing.
    fn write_tracks(&mut self) {
        self.changed = true;
        if let (Some(feed), Some(time)) = (&mut self.journal, self.fusion.last_scan()) {
            feed.tracks(time, &self.fusion.confirmed);
        }
        let (Some(writer), Some(time)) = (&mut self.tracks_writer, self.fusion.last_scan()) else {
            return;
        };
        if let Err(err) = writer.write(time, &self.fusion.confirmed) {
            self.tracks_writer = None;
            self.waiting.push_back(FromAnalysis::Notice(
                Severity::Error,
                Source::GroundStation,
                format!("tracks are no longer written: {err}"),
            ));
        }
    }

    /// Runs the alert rules and coverage (once a second on the messages' clock), tells the
    /// operator of new alerts, and moves "send a drone" tasks on.
    pub fn protect(&mut self) {
        let now = self.now();
        let message_now = self.fusion.message_time(now);
        let snapshot = self.snapshot.load();
        let world = &snapshot.world;
        let raised = self
            .protection
            .tick(world, &self.fusion.confirmed, message_now);
        if !raised.is_empty() {
            self.changed = true;
            let view = self.protection.view();
            for alert in view.alerts.iter().filter(|a| raised.contains(&a.id)) {
                let severity = match alert.severity {
                    vigil_protection::AlertSeverity::Critical => Severity::Critical,
                    vigil_protection::AlertSeverity::Warning => Severity::Warning,
                    vigil_protection::AlertSeverity::Info => Severity::Notice,
                };
                let text = vigil_protection::alert_line(alert, &view.sites);
                self.waiting
                    .push_back(FromAnalysis::Notice(severity, Source::GroundStation, text));
            }
        }
        for request in self.protection.pump(world, now) {
            self.waiting.push_back(FromAnalysis::Engine(request));
        }
        self.record_decisions();
        // The view is shared until something in it changes (coverage, a dispatch's state...).
        if !Arc::ptr_eq(&self.protection.view(), &snapshot.protection) {
            self.changed = true;
        }
    }

    /// Writes what changed in the protection state (alerts, the operators' decisions,
    /// dispatches, incidents, reports, notes) into the journal, when recording.
    fn record_decisions(&mut self) {
        let events = self.protection.take_events();
        if let Some(feed) = &mut self.journal {
            feed.on_protection(&events);
        }
    }

    /// Hands the world thread what waits for it, as far as its queue takes it.
    fn flush_to_world(&mut self) {
        while let Some(item) = self.waiting.pop_front() {
            match self.to_world.try_send(item) {
                Ok(()) => {}
                Err(TrySendError::Full(item)) => {
                    self.waiting.push_front(item);
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.waiting.clear();
                    return;
                }
            }
        }
    }

    /// Replaces the analysis' parts of the latest snapshot.
    pub fn publish(&mut self) {
        self.changed = false;
        let tracks = self.fusion.confirmed.clone();
        let world_time = self.world_time;
        let protection = self.protection.view();
        let fusion = &self.fusion;
        let ended: Vec<bool> = self
            .links_ended
            .iter()
            .map(|flag| flag.load(Ordering::Acquire))
            .collect();
        self.snapshot.rcu(|old| {
            let mut next = Snapshot::clone(old);
            next.seq = old.seq + 1;
            next.tracks = tracks.clone();
            next.analysed_to = next.analysed_to.max(world_time);
            next.protection = protection.clone();
            next.pipeline = PipelineView {
                track_latency_p50: fusion.latency.quantile(0.5),
                track_latency_p99: fusion.latency.quantile(0.99),
                clock_rejected: fusion.clocks.rejected,
                tracker_errors: fusion.tracker_errors,
                ..old.pipeline
            };
            for (view, &ended) in next.links.iter_mut().zip(&ended) {
                view.ended = ended;
            }
            next
        });
    }
}

/// Hands a step to the analysis thread: a replay waits for room (lossless), a live world
/// thread never waits (a step that does not fit is dropped and counted).
pub(crate) fn hand_over(
    to_analysis: &Sender<AnalysisInput>,
    input: AnalysisInput,
    wait: bool,
    dropped: &mut u64,
) {
    if wait {
        let _ = to_analysis.send(input);
        return;
    }
    match to_analysis.try_send(input) {
        Ok(()) | Err(TrySendError::Disconnected(_)) => {}
        Err(TrySendError::Full(_)) => *dropped += 1,
    }
}
