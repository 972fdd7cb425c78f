//! The world thread (`vigil-world`): it alone updates the world model, the command engine and
//! signing, sends the station's heartbeats, hands each step's events to the analysis and
//! publishes its parts of the [`Snapshot`] after each batch.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Sender, select};

use crate::analysis::{self, Analysis, AnalysisInput, FrameArrival, FromAnalysis};
use crate::signing::LinkSigning;
use crate::{JournalView, LinkView, PipelineView, RecorderView, Request, Snapshot};
use vigil_core::latency::LatencyHistogram;
use vigil_core::time::{MonoClock, TimeUs};
use vigil_link::{Inbound, LinkHandle, PipelineCounters};
use vigil_protection::ProtectionRequest;
use vigil_protocol::{FrameEncoder, GCS_COMPONENT_ID, GCS_SYSTEM_ID, MavMessage, MavVersion, mav};
use vigil_record::journal::JournalStats;
use vigil_record::session;
use vigil_world::command::{CommandEngine, Outgoing};
use vigil_world::footprint::FOOTPRINT_PERIOD;
use vigil_world::{Severity, Source, World, WorldEvent};

/// How often the world thread ages health and retries commands.
pub const TICK_PERIOD: Duration = Duration::from_millis(100);
/// How often the ground station's own HEARTBEAT goes out on live links.
pub const GCS_HEARTBEAT_PERIOD: Duration = Duration::from_secs(1);
/// A TIMESYNC goes to each vehicle with every this many heartbeats.
const TIMESYNC_EVERY_HEARTBEATS: u64 = 5;
/// Inbound items handled before a snapshot is published, at most.
const MAX_BATCH: usize = 1024;
/// Link statistics are copied into snapshots at most this often.
const LINK_STATS_PERIOD: Duration = Duration::from_millis(200);

/// Where fusion, tracking and protection run.
pub(crate) enum Placement {
    /// On their own thread (`vigil-analysis`), handed each step of the world.
    Thread(Sender<AnalysisInput>),
    /// On the world thread, as the first version ran them (the latency benchmark's
    /// comparison); protection's requests are then read by the world thread.
    Inline(Box<Analysis>, Receiver<ProtectionRequest>),
}

/// The world thread's state: the world model, the command engine, signing, the station's
/// heartbeats; it hands each step's events to the analysis and publishes at once.
struct Owner {
    world: World,
    analysis: Placement,
    from_analysis: Receiver<FromAnalysis>,
    /// Steps the analysis thread's full queue could not take (live only).
    analysis_dropped: u64,
    /// The first detection has gone to the analysis, with the origin of fusion's plane.
    origin_handed: bool,
    /// Per link: its end has been analysed (set by the analysis).
    links_ended: Arc<[AtomicBool]>,
    /// Published camera footprints (the world's, in degrees) and when they were converted.
    footprints: Arc<Vec<vigil_fusion::FootprintView>>,
    footprints_at: Option<Instant>,
    journal_stats: Option<(PathBuf, Arc<JournalStats>)>,
    engine: CommandEngine,
    links: Vec<LinkHandle>,
    encoders: Vec<FrameEncoder>,
    /// The MAVLink version last heard on each link, used for the GCS heartbeat.
    link_versions: Vec<MavVersion>,
    signing: LinkSigning,
    /// The recorder could not write at the last look (the operator was told).
    recorder_failing: bool,
    refusals: crate::signing::RefusalWatch,
    inbound: Receiver<Inbound>,
    requests: Receiver<Request>,
    counters: Arc<PipelineCounters>,
    recorder_stats: Option<(PathBuf, Arc<session::recorder::RecorderStats>)>,
    snapshot: Arc<ArcSwap<Snapshot>>,
    session_dir: Option<PathBuf>,
    clock: MonoClock,
    /// Only replays: time is the messages' own clock, and nothing is sent.
    replay_only: bool,
    latency: LatencyHistogram,
    /// Receive instants of frames applied since the last publication.
    unpublished: Vec<Instant>,
    heartbeats: u64,
    link_views: Vec<LinkView>,
    link_views_at: Option<Instant>,
}

/// What the world thread is given to start with.
pub(crate) struct WorldParts {
    pub world: World,
    pub analysis: Placement,
    pub from_analysis: Receiver<FromAnalysis>,
    pub links_ended: Arc<[AtomicBool]>,
    pub journal_stats: Option<(PathBuf, Arc<JournalStats>)>,
    pub links: Vec<LinkHandle>,
    pub key_ring: Arc<vigil_link::keys::KeyRing>,
    pub inbound: Receiver<Inbound>,
    pub requests: Receiver<Request>,
    pub counters: Arc<PipelineCounters>,
    pub recorder_stats: Option<(PathBuf, Arc<session::recorder::RecorderStats>)>,
    pub snapshot: Arc<ArcSwap<Snapshot>>,
    pub session_dir: Option<PathBuf>,
    pub clock: MonoClock,
    pub replay_only: bool,
}

/// Starts the world thread (`vigil-world`).
pub(crate) fn spawn_world_thread(parts: WorldParts) -> std::io::Result<JoinHandle<()>> {
    let classes = parts
        .links
        .iter()
        .map(|link| {
            if link.address.is_radio() {
                vigil_world::command::streams::LinkClass::Radio
            } else {
                vigil_world::command::streams::LinkClass::Fast
            }
        })
        .collect();
    let owner = Owner {
        journal_stats: parts.journal_stats,
        world: parts.world,
        analysis: parts.analysis,
        from_analysis: parts.from_analysis,
        analysis_dropped: 0,
        origin_handed: false,
        links_ended: parts.links_ended,
        footprints: Arc::default(),
        footprints_at: None,
        engine: CommandEngine::with_links(classes, !parts.replay_only),
        encoders: parts
            .links
            .iter()
            .map(|_| FrameEncoder::new(GCS_SYSTEM_ID, GCS_COMPONENT_ID))
            .collect(),
        link_versions: vec![MavVersion::V2; parts.links.len()],
        signing: LinkSigning::new(parts.key_ring, !parts.replay_only),
        recorder_failing: false,
        refusals: crate::signing::RefusalWatch::default(),
        links: parts.links,
        inbound: parts.inbound,
        requests: parts.requests,
        counters: parts.counters,
        recorder_stats: parts.recorder_stats,
        snapshot: parts.snapshot,
        session_dir: parts.session_dir,
        clock: parts.clock,
        replay_only: parts.replay_only,
        latency: LatencyHistogram::default(),
        unpublished: Vec::with_capacity(MAX_BATCH),
        heartbeats: 0,
        link_views: Vec::new(),
        link_views_at: None,
    };
    std::thread::Builder::new()
        .name("vigil-world".into())
        .spawn(move || owner.run())
}

impl Owner {
    fn now(&self) -> TimeUs {
        if self.replay_only {
            self.world.time
        } else {
            self.clock.now()
        }
    }

    fn run(mut self) {
        let mut out = Vec::new();
        let mut next_tick = Instant::now();
        let mut next_heartbeat = Instant::now();
        let mut dirty = true;
        if !self.replay_only {
            // Live: the model's clock is the wall clock from the start, so that the first
            // status says when it is rather than 1970.
            let now = self.now();
            let events = self.world.tick(now);
            self.analyse_step(events, now, None);
        }
        let never_protection = crossbeam_channel::never();
        loop {
            let protection_requests = match &self.analysis {
                Placement::Inline(_, requests) => requests.clone(),
                Placement::Thread(_) => never_protection.clone(),
            };
            let timeout = next_tick.saturating_duration_since(Instant::now());
            select! {
                recv(self.inbound) -> item => match item {
                    Ok(item) => { self.handle(item, &mut out); dirty = true; }
                    Err(_) => if self.replay_only { break } else { std::thread::sleep(TICK_PERIOD) },
                },
                recv(self.requests) -> request => match request {
                    Ok(Request::Shutdown) | Err(_) => {
                        // `select!` picks among ready queues at random: what the links queued
                        // before the shutdown is applied first, so that no replay loses its tail.
                        self.apply_queued(&mut out);
                        break;
                    }
                    Ok(request @ (Request::SetupSigning { .. } | Request::SetUnsignedPolicy { .. })) => {
                        self.signing_request(request);
                        dirty = true;
                    }
                    Ok(Request::Engine(request)) => { let now = self.now(); self.engine.request(request, &self.world, now, &mut out); }
                },
                recv(self.from_analysis) -> item => if let Ok(item) = item {
                    self.on_analysis_item(item, &mut out);
                    dirty = true;
                },
                recv(protection_requests) -> request => if let (Ok(request), Placement::Inline(analysis, _)) = (request, &mut self.analysis) {
                    let now = if self.replay_only { self.world.time } else { self.clock.now() };
                    analysis.protection.request(request, &self.world, now);
                    analysis.publish();
                },
                default(timeout) => {}
            }
            for _ in 0..MAX_BATCH {
                let Ok(item) = self.inbound.try_recv() else {
                    break;
                };
                self.handle(item, &mut out);
                dirty = true;
            }
            let wall = Instant::now();
            if wall >= next_tick {
                let now = self.now();
                let events = self.world.tick(now);
                self.analyse_step(events, now, None);
                self.watch_recorder();
                self.engine.tick(&self.world, now, &mut out);
                for text in self.engine.take_notices() {
                    self.world_notice(Severity::Notice, text);
                }
                for (severity, text) in self.signing.poll(&self.links, &mut self.encoders, now) {
                    self.world_notice(severity, text);
                }
                if let Placement::Inline(analysis, _) = &mut self.analysis {
                    analysis.protect();
                }
                next_tick = wall + TICK_PERIOD;
                dirty = true;
            }
            if !self.replay_only && wall >= next_heartbeat {
                self.queue_heartbeats(&mut out);
                next_heartbeat = wall + GCS_HEARTBEAT_PERIOD;
            }
            self.drain_inline_analysis(&mut out);
            self.send_all(&mut out);
            if dirty {
                // Dozens of ray casts a drone: done a few times a second here, once for every
                // client, rather than for each snapshot by each.
                if self
                    .footprints_at
                    .is_none_or(|at| wall.duration_since(at) >= FOOTPRINT_PERIOD)
                {
                    self.footprints = Arc::new(vigil_fusion::footprints_of(&self.world));
                    self.footprints_at = Some(wall);
                }
                self.publish();
                dirty = false;
            }
        }
        if let Err(err) = self.signing.save() {
            self.world_notice(
                Severity::Error,
                format!("{err}; after a restart, vehicles may take signed frames as replays"),
            );
        }
        let events = self.world.take_events();
        let now = self.world.time;
        self.analyse_step(events, now, None);
        self.publish();
        match &mut self.analysis {
            Placement::Thread(to_analysis) => {
                let _ = to_analysis.send(AnalysisInput::Stop);
            }
            Placement::Inline(analysis, _) => analysis.publish(),
        }
    }

    fn handle(&mut self, item: Inbound, out: &mut Vec<Outgoing>) {
        match item {
            Inbound::Frame(envelope) => {
                let from_peer = !(envelope.frame.sysid() == GCS_SYSTEM_ID
                    && envelope.frame.compid() == GCS_COMPONENT_ID);
                let events = self.world.apply(&envelope);
                let arrival = FrameArrival {
                    mono: envelope.rx.mono,
                    from_peer,
                };
                self.analyse_step(events, envelope.rx.time, Some(arrival));
                if let Some(version) = self.link_versions.get_mut(usize::from(envelope.link.0)) {
                    *version = envelope.frame.version();
                }
                let now = self.now();
                self.engine.on_message(&envelope, now, out);
                for text in self.engine.take_notices() {
                    self.world
                        .notify_now(Severity::Warning, Source::Link(envelope.link), text);
                }
                let unkeyed = envelope.frame.is_signed()
                    && !self.signing.signs_to(envelope.link, envelope.frame.sysid());
                self.engine.note_signing(envelope.frame.sysid(), unkeyed);
                if let Some(text) =
                    self.signing
                        .on_frame(&self.links, envelope.link, envelope.frame.sysid())
                {
                    self.world
                        .notify_now(Severity::Notice, Source::Link(envelope.link), text);
                }
                self.unpublished.push(envelope.rx.mono);
            }
            Inbound::Link(event) => {
                let address = self
                    .links
                    .get(usize::from(event.link.0))
                    .map(|l| l.address.to_string())
                    .unwrap_or_default();
                let events = self.world.on_link_event(&event, &address);
                self.analyse_step(events, event.time, None);
                self.link_views_at = None;
                let ended = match &event.kind {
                    vigil_link::LinkEventKind::Finished => Some(true),
                    vigil_link::LinkEventKind::Failed(_) => Some(false),
                    _ => None,
                };
                if let Some(finished) = ended {
                    if finished && let Some(link) = self.links.get(usize::from(event.link.0)) {
                        // Every frame read before the end has been applied: behind them in
                        // the same queue.
                        link.stats.set_state(vigil_link::LinkState::Finished);
                    }
                    // The world after the link's last frame, with the link's final counts, is
                    // published before the analysis can mark the link ended: the snapshot in
                    // which it ends is complete (the last status line of a replay counts
                    // every frame).
                    self.publish();
                    self.analyse(AnalysisInput::LinkEnded {
                        link: event.link,
                        finished,
                    });
                }
            }
        }
    }

    /// Applies what waits in the world queue now (not what links add meanwhile: a replay
    /// waiting for room would keep the loop going), before stopping.
    fn apply_queued(&mut self, out: &mut Vec<Outgoing>) {
        for _ in 0..self.inbound.len() {
            let Ok(item) = self.inbound.try_recv() else {
                break;
            };
            self.handle(item, out);
        }
    }

    /// Hands a step of the world to the analysis; with the first detection, where fusion's
    /// plane goes (from the world as it is now: deterministic in a replay).
    fn analyse_step(&mut self, events: Vec<WorldEvent>, time: TimeUs, frame: Option<FrameArrival>) {
        let origin = if !self.origin_handed
            && events.iter().any(|e| matches!(e, WorldEvent::Detection(_)))
        {
            self.origin_handed = true;
            vigil_fusion::origin_of_world(&self.world)
        } else {
            None
        };
        self.analyse(AnalysisInput::Step {
            events,
            time,
            frame,
            origin,
        });
    }

    fn analyse(&mut self, input: AnalysisInput) {
        match &mut self.analysis {
            Placement::Thread(to_analysis) => analysis::hand_over(
                to_analysis,
                input,
                self.replay_only,
                &mut self.analysis_dropped,
            ),
            Placement::Inline(analysis, _) => analysis.handle(input),
        }
    }

    /// What the analysis asks of the world thread.
    fn on_analysis_item(&mut self, item: FromAnalysis, out: &mut Vec<Outgoing>) {
        match item {
            FromAnalysis::Engine(request) => {
                let now = self.now();
                self.engine.request(request, &self.world, now, out);
            }
            FromAnalysis::Notice(severity, source, text) => {
                self.world.notify_now(severity, source, text);
            }
        }
    }

    /// On the world thread (the first version's design): publishes the analysis' parts and
    /// takes what it asks for at once.
    fn drain_inline_analysis(&mut self, out: &mut Vec<Outgoing>) {
        let Placement::Inline(analysis, _) = &mut self.analysis else {
            return;
        };
        let items: Vec<_> = analysis.waiting.drain(..).collect();
        if analysis.changed {
            analysis.publish();
        }
        for item in items {
            self.on_analysis_item(item, out);
        }
    }

    /// Handles the signing requests (the command engine knows nothing of keys).
    fn signing_request(&mut self, request: Request) {
        let now = self.now();
        match request {
            Request::SetupSigning { target, reply } => {
                let link = self
                    .world
                    .vehicles
                    .get(&target)
                    .map(|v| usize::from(v.link.0));
                // The answer comes from `LinkSigning::poll` once the vehicle signs with the
                // new key (or the setup failed); only a setup that cannot start answers here.
                let started = match link.and_then(|index| self.encoders.get_mut(index)) {
                    Some(encoder) => self.signing.setup(
                        &self.world,
                        &self.links,
                        encoder,
                        target,
                        now,
                        reply.clone(),
                    ),
                    None => Err(crate::signing::SigningError::NoVehicle(target)),
                };
                match started {
                    Ok(text) => self.world_notice(Severity::Notice, text),
                    Err(err) => {
                        self.world_notice(
                            Severity::Error,
                            format!("signing setup for vehicle {target} failed: {err}"),
                        );
                        let _ = reply.try_send(Err(err.into()));
                    }
                }
            }
            Request::SetUnsignedPolicy { link, policy } => {
                if let Some(handle) = self.links.get(usize::from(link.0)) {
                    if let Err(err) = handle.set_unsigned_policy(policy) {
                        self.world_notice(Severity::Error, err.to_string());
                    }
                    self.link_views_at = None;
                }
            }
            _ => {}
        }
    }

    /// Tells the operator when the recorder starts failing to write (a full disk) and when it
    /// writes again.
    fn watch_recorder(&mut self) {
        let Some((path, stats)) = &self.recorder_stats else {
            return;
        };
        let failing = stats.failing.load(Ordering::Relaxed);
        if failing == self.recorder_failing {
            return;
        }
        self.recorder_failing = failing;
        let text = if failing {
            format!(
                "RECORDING FAILED: {}: {}; frames are held in memory and written when the disk takes them again",
                path.display(),
                stats.last_error()
            )
        } else {
            format!("recording resumed: {}", path.display())
        };
        let severity = if failing {
            Severity::Critical
        } else {
            Severity::Notice
        };
        self.world_notice(severity, text);
    }

    fn world_notice(&mut self, severity: Severity, text: String) {
        self.world.notify_now(severity, Source::GroundStation, text);
    }

    fn queue_heartbeats(&mut self, out: &mut Vec<Outgoing>) {
        self.heartbeats += 1;
        let heartbeat = MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: mav::MavType::MAV_TYPE_GCS,
            autopilot: mav::MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: mav::MavModeFlag::empty(),
            system_status: mav::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        });
        for (link, version) in self.links.iter().zip(&self.link_versions) {
            if !link.address.is_replay() {
                out.push(Outgoing {
                    link: link.id,
                    version: *version,
                    message: heartbeat.clone(),
                });
            }
        }
        // TIMESYNC to each vehicle every few heartbeats: its answer measures the link's round
        // trip (26 bytes a vehicle: little, but not nothing on a 57600-baud radio).
        if !self.heartbeats.is_multiple_of(TIMESYNC_EVERY_HEARTBEATS) {
            return;
        }
        let now_ns = i64::try_from(self.now().0)
            .unwrap_or(i64::MAX)
            .saturating_mul(1000);
        for vehicle in self.world.vehicles.values() {
            let request = MavMessage::TIMESYNC(mav::TIMESYNC_DATA {
                tc1: 0,
                ts1: now_ns,
                target_system: vehicle.sysid,
                target_component: vehicle.compid,
            });
            out.push(vigil_world::command::Route::to(vehicle).send(request));
        }
    }

    fn send_all(&mut self, out: &mut Vec<Outgoing>) {
        for outgoing in out.drain(..) {
            let index = usize::from(outgoing.link.0);
            let (Some(link), Some(encoder)) = (self.links.get(index), self.encoders.get_mut(index))
            else {
                continue;
            };
            // Encoding only fails for a v2-only message on a v1 route, which Route avoids.
            let now = if self.replay_only {
                self.world.time
            } else {
                self.clock.now()
            };
            match self.signing.encode(encoder, &outgoing, now) {
                Ok(frames) => {
                    for frame in frames {
                        link.send(frame);
                    }
                }
                Err(err) => {
                    // Nothing goes out: say so rather than let the command time out unexplained.
                    let text = format!(
                        "{}: cannot send {}: {err}",
                        link.address,
                        mavlink_core::Message::message_name(&outgoing.message)
                    );
                    self.world
                        .notify_now(Severity::Warning, Source::Link(outgoing.link), text);
                }
            }
        }
    }

    fn publish(&mut self) {
        let published = Instant::now();
        for rx in self.unpublished.drain(..) {
            self.latency.record(published.saturating_duration_since(rx));
        }
        if self
            .link_views_at
            .is_none_or(|at| published.duration_since(at) >= LINK_STATS_PERIOD)
        {
            self.link_views = self
                .links
                .iter()
                .zip(self.links_ended.iter())
                .map(|(l, ended)| {
                    let ended = ended.load(Ordering::Acquire);
                    let stats = l.stats.snapshot();
                    LinkView {
                        id: l.id,
                        address: l.address.clone(),
                        auth: l.auth(),
                        signing: l.systems(),
                        health: link_health(self.world.time, stats.last_heard),
                        ended,
                        stats,
                    }
                })
                .collect();
            self.link_views_at = Some(published);
            let now = self.world.time;
            for (link, text) in self.refusals.check(&self.link_views, now) {
                self.world
                    .notify_now(Severity::Warning, Source::Link(link), text);
            }
        }
        let get = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        let analysis_queued = match &self.analysis {
            Placement::Thread(to_analysis) => to_analysis.len(),
            Placement::Inline(..) => 0,
        };
        let pipeline = PipelineView {
            coalesced: get(&self.counters.coalesced),
            dropped: get(&self.counters.dropped),
            world_waits: get(&self.counters.world_waits),
            recorder_waits: get(&self.counters.recorder_waits),
            queued: self.inbound.len(),
            latency_p50: self.latency.quantile(0.5),
            latency_p99: self.latency.quantile(0.99),
            latency_samples: self.latency.count(),
            analysis_queued,
            analysis_dropped: self.analysis_dropped,
            ..PipelineView::default()
        };
        let recorder = self
            .recorder_stats
            .as_ref()
            .map(|(path, stats)| RecorderView {
                path: path.clone(),
                records: get(&stats.records),
                bytes: get(&stats.bytes),
                write_errors: get(&stats.write_errors),
                dropped: get(&stats.dropped),
            });
        let journal = self
            .journal_stats
            .as_ref()
            .map(|(path, stats)| JournalView {
                path: path.clone(),
                written: get(&stats.written),
                lost: get(&stats.lost),
                states_dropped: get(&stats.states_dropped),
                write_errors: get(&stats.write_errors),
            });
        let mut world = Some(self.world.clone());
        let current = &self.world;
        // The analysis' parts (tracks, protection, its figures) stay as it last published them.
        self.snapshot.rcu(|old| Snapshot {
            seq: old.seq + 1,
            world: world.take().unwrap_or_else(|| current.clone()),
            // Whether each link has ended is read at each attempt: the analysis thread may
            // have marked one since the views were made, and must not be overwritten.
            links: with_ended(&self.link_views, &self.links_ended),
            pipeline: PipelineView {
                track_latency_p50: old.pipeline.track_latency_p50,
                track_latency_p99: old.pipeline.track_latency_p99,
                clock_rejected: old.pipeline.clock_rejected,
                tracker_errors: old.pipeline.tracker_errors,
                ..pipeline
            },
            recorder: recorder.clone(),
            session_dir: self.session_dir.clone(),
            tracks: old.tracks.clone(),
            footprints: self.footprints.clone(),
            journal: journal.clone(),
            protection: old.protection.clone(),
            analysed_to: old.analysed_to,
            mission_transfers: self.engine.mission_progress(),
        });
    }
}

/// `views` with whether each link has ended as the analysis says now.
fn with_ended(views: &[LinkView], ended: &[AtomicBool]) -> Vec<LinkView> {
    views
        .iter()
        .enumerate()
        .map(|(index, view)| LinkView {
            ended: ended
                .get(index)
                .is_some_and(|flag| flag.load(Ordering::Acquire)),
            ..view.clone()
        })
        .collect()
}

/// A link's health from when it last heard a valid frame, with the vehicles' thresholds.
fn link_health(now: TimeUs, last_heard: Option<TimeUs>) -> vigil_world::Health {
    use vigil_world::{Health, LOST_AFTER, STALE_AFTER};
    match last_heard.map(|last| now.since(last)) {
        None => Health::Lost,
        Some(silent) if silent >= LOST_AFTER => Health::Lost,
        Some(silent) if silent >= STALE_AFTER => Health::Stale,
        Some(_) => Health::Fresh,
    }
}
