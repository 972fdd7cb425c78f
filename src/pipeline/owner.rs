//! The pipeline's owner: starts the I/O runtime, the links, the recorder and the world thread
//! (`vigil-world`), which alone updates the world model and the command engine and publishes
//! an immutable [`Snapshot`] after each batch. Clients hold a [`GroundStation`]: they read the
//! latest snapshot without blocking anyone and send requests whose answers come back on
//! channels of their own.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Sender, bounded, select};

use super::latency::LatencyHistogram;
use super::signing::LinkSigning;
use super::{
    Inbound, Ingress, LinkId, PipelineCounters, RECORDER_QUEUE_CAPACITY, REQUEST_QUEUE_CAPACITY,
    WORLD_QUEUE_CAPACITY,
};
use crate::command::{
    Action, CommandEngine, CommandOutcome, MissionOp, MissionOutcome, Outgoing, ParamOp,
    ParamOutcome, Request,
};
use crate::fusion::{Fusion, TrackView, TracksWriter};
use crate::journal::{JournalFeed, JournalSender, JournalStats, JournalWriter};
use crate::link::keys::default_keys_dir;
use crate::link::{LinkAddress, LinkHandle, LinkOptions, LinkStatsSnapshot, spawn_link};
use crate::protection::Protection;
use crate::protocol::{FrameEncoder, GCS_COMPONENT_ID, GCS_SYSTEM_ID, MavMessage, MavVersion, mav};
use crate::session::recorder::Recorder;
use crate::session::{self, SessionMeta};
use crate::time::{MonoClock, TimeUs};
use crate::world::{Severity, Source, World};

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

/// Errors starting or using the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot start the I/O runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Session(#[from] session::SessionError),
    #[error(transparent)]
    Recorder(#[from] session::recorder::RecorderError),
    #[error("cannot start link {address}: {source}")]
    Link {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot start the world thread: {0}")]
    Thread(std::io::Error),
    #[error("the ground station has shut down")]
    Closed,
    #[error("cannot write the tracks: {0}")]
    Tracks(std::io::Error),
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    Protection(#[from] crate::protection::ProtectionError),
}

/// How often the published camera footprints are recomputed (about 0.15 ms a drone).
pub const FOOTPRINT_PERIOD: Duration = Duration::from_millis(250);

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct PipelineConfig {
    pub links: Vec<LinkAddress>,
    /// Record into this session folder (created if needed). `None`: do not record.
    pub session_dir: Option<PathBuf>,
    /// Record into a new folder under the default sessions root (ignored if `session_dir`).
    pub record_default_session: bool,
    pub link_options: LinkOptions,
    /// Write the confirmed tracks after each scan to this CSV file.
    pub tracks_out: Option<PathBuf>,
    /// Protected places (GeoJSON, see `protection::sites`); none if not given.
    pub sites: Option<PathBuf>,
    /// Alert rules (TOML, see `assets/rules/README.md`); the built-in rules if not given.
    pub rules: Option<PathBuf>,
    /// Use the built-in demo area's sites when `sites` is not given.
    pub demo_sites: bool,
    /// Where signing keys are kept (`None`: the user's data folder, `link::keys`).
    pub keys_dir: Option<PathBuf>,
    /// Per-link unsigned policies and command-line keys (`--signing`, `--key`).
    pub signing: super::signing::SigningConfig,
    /// Writes the tlog through this instead of the file (tests: a disk that fills up).
    pub recorder_sink: Option<session::recorder::SinkFactory>,
}

/// A link as the snapshot shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    pub id: LinkId,
    pub address: LinkAddress,
    pub stats: LinkStatsSnapshot,
    /// Whether the link is authenticated (MAVLink 2 signing); counters are in `stats`.
    pub auth: crate::link::LinkAuth,
    /// How recently anything valid was heard on the link (stale at 3 s, lost at 10 s).
    pub health: crate::world::Health,
    /// The link has ended (a replay reached its end, or a link failed for good) and the world
    /// thread has applied everything it delivered before.
    pub ended: bool,
    /// Each system heard on the link: whether it signs, with which key (fingerprint), and how
    /// many of its frames were refused (see `pipeline::signing::vehicle_signing`).
    pub signing: Vec<crate::protocol::signing::SystemSigning>,
}

/// What the pipeline had to do to keep up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PipelineView {
    pub coalesced: u64,
    pub dropped: u64,
    pub world_waits: u64,
    pub recorder_waits: u64,
    pub queued: usize,
    pub latency_p50: Option<Duration>,
    pub latency_p99: Option<Duration>,
    pub latency_samples: u64,
    /// From a detection's arrival to the update of its track (scans are 1 s long).
    pub track_latency_p50: Option<Duration>,
    pub track_latency_p99: Option<Duration>,
    /// Detection and status times set aside by fusion (far from their sender's clock).
    pub clock_rejected: u64,
    /// Scans and detections the tracker refused.
    pub tracker_errors: u64,
}

/// What the journal has written and lost (see `journal`'s full-queue policy).
#[derive(Debug, Clone, PartialEq)]
pub struct JournalView {
    pub path: PathBuf,
    pub written: u64,
    pub lost: u64,
    pub states_dropped: u64,
    pub write_errors: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecorderView {
    pub path: PathBuf,
    pub records: u64,
    pub bytes: u64,
    pub write_errors: u64,
    pub dropped: u64,
}

/// An immutable picture of everything, published by the world thread.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases with each publication.
    pub seq: u64,
    pub world: World,
    pub links: Vec<LinkView>,
    pub pipeline: PipelineView,
    pub recorder: Option<RecorderView>,
    pub session_dir: Option<PathBuf>,
    /// Confirmed tracks from fusion.
    pub tracks: Arc<Vec<TrackView>>,
    /// The drones' camera footprints, recomputed at most every [`FOOTPRINT_PERIOD`].
    pub footprints: Arc<Vec<crate::fusion::FootprintView>>,
    /// The session's journal, when recording.
    pub journal: Option<JournalView>,
    /// Protected places, alerts, coverage, incidents and reports (shared until they change).
    pub protection: Arc<crate::protection::ProtectionView>,
}

impl Snapshot {
    /// True when every link is a replay that has reached its end and every frame it read has
    /// been applied (the end-of-file event travels behind the last frame, and a link counts
    /// as ended only once the world thread has applied that event).
    pub fn replays_finished(&self) -> bool {
        !self.links.is_empty() && self.links.iter().all(|l| l.address.is_replay() && l.ended)
    }
}

/// A client's handle on the running ground station. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GroundStation {
    snapshot: Arc<ArcSwap<Snapshot>>,
    requests: Sender<Request>,
}

impl GroundStation {
    /// A station that always shows `snapshot` and refuses every request: for drawing a fixed
    /// picture in benchmarks and tests of the console, with no pipeline behind it.
    pub fn fixed(snapshot: Snapshot) -> Self {
        let (requests, _) = bounded(1);
        Self {
            snapshot: Arc::new(ArcSwap::from_pointee(snapshot)),
            requests,
        }
    }

    /// The latest snapshot; never blocks.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Polls snapshots until `ready` holds or `timeout` passes (for command-line tools and
    /// tests; the console reads one snapshot per frame instead).
    pub fn wait_for(
        &self,
        timeout: Duration,
        ready: impl Fn(&Snapshot) -> bool,
    ) -> Option<Arc<Snapshot>> {
        let deadline = Instant::now() + timeout;
        loop {
            let snapshot = self.snapshot();
            if ready(&snapshot) {
                return Some(snapshot);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub(crate) fn send(&self, request: Request) -> Result<(), PipelineError> {
        self.requests
            .try_send(request)
            .map_err(|_| PipelineError::Closed)
    }

    /// Sends a command; the outcome arrives on the returned channel.
    pub fn command(
        &self,
        target: u8,
        action: Action,
    ) -> Result<Receiver<CommandOutcome>, PipelineError> {
        let (reply, outcome) = bounded(1);
        self.send(Request::Command {
            target,
            action,
            reply,
        })?;
        Ok(outcome)
    }

    pub fn mission(
        &self,
        target: u8,
        op: MissionOp,
    ) -> Result<Receiver<Result<MissionOutcome, String>>, PipelineError> {
        let (reply, outcome) = bounded(1);
        self.send(Request::Mission { target, op, reply })?;
        Ok(outcome)
    }

    pub fn params(
        &self,
        target: u8,
        op: ParamOp,
    ) -> Result<Receiver<Result<ParamOutcome, String>>, PipelineError> {
        let (reply, outcome) = bounded(1);
        self.send(Request::Params { target, op, reply })?;
        Ok(outcome)
    }

    /// Gives a vehicle a new signing key over its current link (which should be trusted: the
    /// key travels in clear unless the link is already signed). The key is stored under the
    /// user's data folder once SETUP_SIGNING is queued (sent again a few times until the
    /// vehicle signs with it). The answer comes once a frame signed with the new key arrives
    /// (it names the key's fingerprint; what goes to the vehicle is signed from then on), or
    /// says why not after [`super::signing::SETUP_SENDS`] sends.
    pub fn setup_signing(
        &self,
        target: u8,
    ) -> Result<Receiver<Result<String, String>>, PipelineError> {
        let (reply, outcome) = bounded(1);
        self.send(Request::SetupSigning { target, reply })?;
        Ok(outcome)
    }

    /// Sets what a link with a key does with unsigned frames.
    pub fn set_unsigned_policy(
        &self,
        link: LinkId,
        policy: crate::protocol::UnsignedPolicy,
    ) -> Result<(), PipelineError> {
        self.send(Request::SetUnsignedPolicy { link, policy })
    }
}

/// The running pipeline. Dropping it without [`Pipeline::shutdown`] still stops everything.
pub struct Pipeline {
    station: GroundStation,
    runtime: Option<tokio::runtime::Runtime>,
    world_thread: Option<JoinHandle<()>>,
    recorder: Option<Recorder>,
    journal: Option<JournalWriter>,
    /// The session folder and the key that seals it when the pipeline stops.
    sealing: Option<(PathBuf, ed25519_dalek::SigningKey)>,
    clock: MonoClock,
}

impl Pipeline {
    pub fn start(config: PipelineConfig) -> Result<Self, PipelineError> {
        // The operator's files first: a bad one must fail before a session is opened (which
        // would unseal a recorded one to append to it).
        let mut protection = load_protection(&config)?;
        let clock = MonoClock::new();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vigil-io")
            .enable_all()
            .build()
            .map_err(PipelineError::Runtime)?;

        let session_dir = match (&config.session_dir, config.record_default_session) {
            (Some(dir), _) => Some(dir.clone()),
            (None, true) => Some(
                session::default_sessions_root()
                    .join(session::utc_string(clock.now()).replace(':', "")),
            ),
            (None, false) => None,
        };
        let (recorder, recorder_tx) = match &session_dir {
            Some(dir) => {
                let meta = SessionMeta {
                    vigil_version: env!("CARGO_PKG_VERSION"),
                    started_utc: session::utc_string(clock.now()),
                    started_unix_us: clock.now().0,
                    links: config.links.iter().map(ToString::to_string).collect(),
                };
                let dir = session::create_session_dir(Some(dir), &meta)?;
                crate::provenance::seal::unseal_for_append(&dir);
                let (tx, rx) = bounded(RECORDER_QUEUE_CAPACITY);
                let path = dir.join(session::TLOG_FILE);
                let recorder = match &config.recorder_sink {
                    Some(factory) => {
                        let sink = (factory.0)(&path).map_err(|source| {
                            session::recorder::RecorderError {
                                path: path.clone(),
                                source,
                            }
                        })?;
                        Recorder::start_with(&path, sink, rx)?
                    }
                    None => Recorder::start(&path, rx)?,
                };
                (Some(recorder), Some(tx))
            }
            None => (None, None),
        };

        let (inbound_tx, inbound_rx) = bounded(WORLD_QUEUE_CAPACITY);
        let counters = Arc::new(PipelineCounters::default());
        let ingress = Ingress::new(inbound_tx, recorder_tx, counters.clone());
        let key_ring = super::signing::key_ring(
            config.keys_dir.clone().unwrap_or_else(default_keys_dir),
            &config.signing,
        );
        let mut links = Vec::with_capacity(config.links.len());
        for (index, address) in config.links.iter().enumerate() {
            let id = LinkId(u16::try_from(index).unwrap_or(u16::MAX));
            let handle = spawn_link(
                runtime.handle(),
                id,
                address.clone(),
                &ingress,
                clock,
                super::signing::link_options(
                    &config.link_options,
                    &config.signing,
                    index,
                    &key_ring,
                ),
            )
            .map_err(|source| PipelineError::Link {
                address: address.to_string(),
                source,
            })?;
            links.push(handle);
        }
        drop(ingress);

        let mut first_world = World::new();
        if !config.links.iter().all(LinkAddress::is_replay) || config.links.is_empty() {
            // Live: the picture's clock is the wall clock from the first snapshot on.
            first_world.tick(clock.now());
        }
        let snapshot = Arc::new(ArcSwap::from_pointee(Snapshot {
            session_dir: session_dir.clone(),
            world: first_world,
            ..Snapshot::default()
        }));
        let (requests_tx, requests_rx) = bounded(REQUEST_QUEUE_CAPACITY);
        let replay_only =
            !config.links.is_empty() && config.links.iter().all(LinkAddress::is_replay);
        let tracks_writer = config
            .tracks_out
            .as_deref()
            .map(TracksWriter::create)
            .transpose()
            .map_err(PipelineError::Tracks)?;
        let journal = session_dir
            .as_ref()
            .map(|dir| JournalWriter::start(&dir.join(crate::journal::JOURNAL_FILE)))
            .transpose()?;
        let mut fusion = Fusion::default();
        let centres = protection
            .view()
            .sites
            .iter()
            .map(|site| (site.centre.lat_deg, site.centre.lon_deg))
            .collect::<Vec<_>>();
        if let Some((lat_deg, lon_deg)) = crate::fusion::origin_of_sites(centres) {
            fusion.set_origin(lat_deg, lon_deg);
        }
        let mut world = World::new();
        let sealing = match &session_dir {
            Some(dir) => match session_key(dir) {
                Ok(key) => Some((dir.clone(), key)),
                Err(err) => {
                    world.notify_now(
                        Severity::Warning,
                        Source::GroundStation,
                        format!("the session will not be sealed: {err}"),
                    );
                    None
                }
            },
            None => None,
        };
        let owner = Owner {
            journal: journal.as_ref().map(|j| JournalFeed::new(j.sender())),
            journal_stats: journal.as_ref().map(|j| (j.path.clone(), j.stats())),
            world,
            protection,
            fusion,
            footprints: Arc::default(),
            footprints_at: None,
            tracks_writer,
            engine: CommandEngine::with_links(
                config
                    .links
                    .iter()
                    .map(|address| {
                        if address.is_radio() {
                            crate::command::streams::LinkClass::Radio
                        } else {
                            crate::command::streams::LinkClass::Fast
                        }
                    })
                    .collect(),
                !replay_only,
            ),
            encoders: links
                .iter()
                .map(|_| FrameEncoder::new(GCS_SYSTEM_ID, GCS_COMPONENT_ID))
                .collect(),
            link_versions: vec![MavVersion::V2; links.len()],
            signing: LinkSigning::new(key_ring, !replay_only),
            recorder_failing: false,
            refusals: super::signing::RefusalWatch::default(),
            links,
            inbound: inbound_rx,
            requests: requests_rx,
            counters,
            recorder_stats: recorder.as_ref().map(|r| (r.path.clone(), r.stats.clone())),
            snapshot: snapshot.clone(),
            session_dir,
            clock,
            replay_only,
            latency: LatencyHistogram::default(),
            unpublished: Vec::with_capacity(MAX_BATCH),
            seq: 0,
            heartbeats: 0,
            link_views: Vec::new(),
            link_views_at: None,
            links_ended: vec![false; config.links.len()],
        };
        let world_thread = std::thread::Builder::new()
            .name("vigil-world".into())
            .spawn(move || owner.run())
            .map_err(PipelineError::Thread)?;
        Ok(Self {
            station: GroundStation {
                snapshot,
                requests: requests_tx,
            },
            runtime: Some(runtime),
            world_thread: Some(world_thread),
            recorder,
            journal,
            sealing,
            clock,
        })
    }

    /// A handle for writing alerts, incidents, reports and notes into the session's journal
    /// (`None` when not recording).
    pub fn journal(&self) -> Option<JournalSender> {
        self.journal.as_ref().map(JournalWriter::sender)
    }

    pub fn station(&self) -> GroundStation {
        self.station.clone()
    }

    /// Stops the links and the world thread, then lets the recorder write what it holds.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self
            .station
            .requests
            .send_timeout(Request::Shutdown, Duration::from_secs(1));
        if let Some(thread) = self.world_thread.take() {
            let _ = thread.join();
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(2));
        }
        if let Some(recorder) = self.recorder.take() {
            recorder.join();
        }
        let head = self.journal.take().map(JournalWriter::finish);
        if let Some((dir, key)) = self.sealing.take() {
            // Nothing is left to tell the operator through: the seal's absence is what
            // `vigil verify` reports.
            let _ = crate::provenance::seal_session(&dir, &key, head, self.clock.now());
        }
    }
}

/// Loads (or makes) the user's signing key and writes its public half into the session.
fn session_key(
    dir: &std::path::Path,
) -> Result<ed25519_dalek::SigningKey, crate::provenance::ProvenanceError> {
    let key =
        crate::provenance::keys::load_or_create(&crate::provenance::keys::default_key_path())?;
    crate::provenance::seal::write_public_key(dir, &key)?;
    Ok(key)
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The protection state a configuration asks for.
fn load_protection(config: &PipelineConfig) -> Result<Protection, PipelineError> {
    use crate::protection::{RulesConfig, SiteSet};
    let rules = match &config.rules {
        Some(path) => RulesConfig::load(path)?,
        None => RulesConfig::builtin(),
    };
    let sites = match &config.sites {
        Some(path) => SiteSet::load(path)?,
        None if config.demo_sites => SiteSet::demo(),
        None => SiteSet::default(),
    };
    Ok(Protection::new(sites, rules))
}

/// The world thread's state.
struct Owner {
    protection: Protection,
    world: World,
    fusion: Fusion,
    /// Published camera footprints and when they were computed.
    footprints: Arc<Vec<crate::fusion::FootprintView>>,
    footprints_at: Option<Instant>,
    tracks_writer: Option<TracksWriter>,
    journal: Option<JournalFeed>,
    journal_stats: Option<(PathBuf, Arc<JournalStats>)>,
    engine: CommandEngine,
    links: Vec<LinkHandle>,
    encoders: Vec<FrameEncoder>,
    /// The MAVLink version last heard on each link, used for the GCS heartbeat.
    link_versions: Vec<MavVersion>,
    signing: LinkSigning,
    /// The recorder could not write at the last look (the operator was told).
    recorder_failing: bool,
    refusals: super::signing::RefusalWatch,
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
    seq: u64,
    heartbeats: u64,
    link_views: Vec<LinkView>,
    link_views_at: Option<Instant>,
    /// Per link: its end (finished or failed) has been applied.
    links_ended: Vec<bool>,
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
            self.world.tick(now);
        }
        loop {
            let timeout = next_tick.saturating_duration_since(Instant::now());
            select! {
                recv(self.inbound) -> item => match item {
                    Ok(item) => { self.handle(item, &mut out); dirty = true; }
                    Err(_) => if self.replay_only { break } else { std::thread::sleep(TICK_PERIOD) },
                },
                recv(self.requests) -> request => match request {
                    Ok(Request::Shutdown) | Err(_) => break,
                    Ok(Request::Protection(request)) => { let now = self.now(); self.protection.request(request, &self.world, now); dirty = true; }
                    Ok(request @ (Request::SetupSigning { .. } | Request::SetUnsignedPolicy { .. })) => {
                        self.signing_request(request);
                        dirty = true;
                    }
                    Ok(request) => { let now = self.now(); self.engine.request(request, &self.world, now, &mut out); }
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
                self.world.tick(now);
                self.watch_recorder();
                if let Some(feed) = &mut self.journal {
                    feed.notices(&self.world);
                }
                self.engine.tick(&self.world, now, &mut out);
                for text in self.engine.take_notices() {
                    self.world_notice(Severity::Notice, text);
                }
                for (severity, text) in self.signing.poll(&self.links, &mut self.encoders, now) {
                    self.world_notice(severity, text);
                }
                self.protect(now, &mut out);
                next_tick = wall + TICK_PERIOD;
                dirty = true;
            }
            if !self.replay_only && wall >= next_heartbeat {
                self.queue_heartbeats(&mut out);
                next_heartbeat = wall + GCS_HEARTBEAT_PERIOD;
            }
            self.send_all(&mut out);
            if dirty {
                // Dozens of ray casts a drone: done a few times a second here, once for every
                // client, rather than for each snapshot by each.
                if self
                    .footprints_at
                    .is_none_or(|at| wall.duration_since(at) >= FOOTPRINT_PERIOD)
                {
                    self.footprints = Arc::new(crate::fusion::footprints_of(&self.world));
                    self.footprints_at = Some(wall);
                }
                self.publish();
                dirty = false;
            }
        }
        if let Some(writer) = &mut self.tracks_writer {
            let _ = writer.flush();
        }
        if let Err(err) = self.signing.save() {
            self.world_notice(
                Severity::Error,
                format!("{err}; after a restart, vehicles may take signed frames as replays"),
            );
        }
        self.publish();
    }

    fn handle(&mut self, item: Inbound, out: &mut Vec<Outgoing>) {
        match item {
            Inbound::Frame(envelope) => {
                // Fusion runs on the received frames' clock only (not on wall-clock ticks, not
                // on our own frames that the tlog also holds), so that replaying the tlog
                // rebuilds the same tracks.
                let from_us = envelope.frame.sysid() == GCS_SYSTEM_ID
                    && envelope.frame.compid() == GCS_COMPONENT_ID;
                if !from_us && self.fusion.tick(envelope.rx.time).is_some() {
                    self.write_tracks();
                }
                let detections_before = self.world.detections.total();
                self.world.apply(&envelope);
                if let MavMessage::VIGIL_SENSOR_STATUS(status) = &envelope.message {
                    let (sysid, compid) = (envelope.frame.sysid(), envelope.frame.compid());
                    let rx = envelope.rx.time;
                    self.fusion
                        .observe_time(sysid, compid, status.time_usec, rx);
                }
                if self.world.detections.total() > detections_before {
                    self.fusion.origin_from(&self.world);
                    let detection = self.world.detections.iter().next_back().cloned();
                    if let Some(Ok(Some(_))) = detection.map(|mut d| {
                        d.received = envelope.rx.time;
                        self.fusion.add(&d, envelope.rx.mono)
                    }) {
                        self.write_tracks();
                    }
                }
                self.fusion.notify(&mut self.world);
                if let Some(feed) = &mut self.journal {
                    feed.after_frame(&self.world, envelope.frame.sysid(), envelope.rx.time);
                }
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
                self.world.on_link_event(&event, &address);
                self.link_views_at = None;
                if let Some(ended) = self.links_ended.get_mut(usize::from(event.link.0)) {
                    *ended = matches!(
                        event.kind,
                        crate::link::LinkEventKind::Finished
                            | crate::link::LinkEventKind::Failed(_)
                    );
                }
                if event.kind == crate::link::LinkEventKind::Finished
                    && self.fusion.flush().is_some()
                {
                    self.write_tracks();
                }
            }
        }
    }

    /// Writes the confirmed tracks of the scan just run, if asked to; a write error is told
    /// to the operator once and ends the writing.
    fn write_tracks(&mut self) {
        if let (Some(feed), Some(time)) = (&mut self.journal, self.fusion.last_scan()) {
            feed.tracks(time, &self.fusion.confirmed);
        }
        let (Some(writer), Some(time)) = (&mut self.tracks_writer, self.fusion.last_scan()) else {
            return;
        };
        if let Err(err) = writer.write(time, &self.fusion.confirmed) {
            self.tracks_writer = None;
            self.world_notice(
                Severity::Error,
                format!("tracks are no longer written: {err}"),
            );
        }
    }

    /// Runs the alert rules and coverage (once a second on the messages' clock), tells the
    /// operator of new alerts, and moves "send a drone" tasks on.
    fn protect(&mut self, now: TimeUs, out: &mut Vec<Outgoing>) {
        let message_now = self.fusion.message_time(now);
        let raised = self
            .protection
            .tick(&self.world, &self.fusion.confirmed, message_now);
        if !raised.is_empty() {
            let view = self.protection.view();
            for alert in view.alerts.iter().filter(|a| raised.contains(&a.id)) {
                let severity = match alert.severity {
                    crate::protection::AlertSeverity::Critical => Severity::Critical,
                    crate::protection::AlertSeverity::Warning => Severity::Warning,
                    crate::protection::AlertSeverity::Info => Severity::Notice,
                };
                let text = crate::protection::alert_line(alert, &view.sites);
                self.world_notice(severity, text);
            }
        }
        for request in self.protection.pump(&self.world, now) {
            self.engine.request(request, &self.world, now, out);
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
                    None => Err(super::signing::SigningError::NoVehicle(target)),
                };
                match started {
                    Ok(text) => self.world_notice(Severity::Notice, text),
                    Err(err) => {
                        self.world_notice(
                            Severity::Error,
                            format!("signing setup for vehicle {target} failed: {err}"),
                        );
                        let _ = reply.try_send(Err(err.to_string()));
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
            out.push(crate::command::Route::to(vehicle).send(request));
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
                .zip(&self.links_ended)
                .map(|(l, &ended)| {
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
        self.seq += 1;
        let snapshot = Snapshot {
            seq: self.seq,
            world: self.world.clone(),
            links: self.link_views.clone(),
            pipeline: PipelineView {
                coalesced: get(&self.counters.coalesced),
                dropped: get(&self.counters.dropped),
                world_waits: get(&self.counters.world_waits),
                recorder_waits: get(&self.counters.recorder_waits),
                queued: self.inbound.len(),
                latency_p50: self.latency.quantile(0.5),
                latency_p99: self.latency.quantile(0.99),
                latency_samples: self.latency.count(),
                track_latency_p50: self.fusion.latency.quantile(0.5),
                track_latency_p99: self.fusion.latency.quantile(0.99),
                clock_rejected: self.fusion.clocks.rejected,
                tracker_errors: self.fusion.tracker_errors,
            },
            recorder: self
                .recorder_stats
                .as_ref()
                .map(|(path, stats)| RecorderView {
                    path: path.clone(),
                    records: get(&stats.records),
                    bytes: get(&stats.bytes),
                    write_errors: get(&stats.write_errors),
                    dropped: get(&stats.dropped),
                }),
            session_dir: self.session_dir.clone(),
            tracks: self.fusion.confirmed.clone(),
            footprints: self.footprints.clone(),
            journal: self
                .journal_stats
                .as_ref()
                .map(|(path, stats)| JournalView {
                    path: path.clone(),
                    written: get(&stats.written),
                    lost: get(&stats.lost),
                    states_dropped: get(&stats.states_dropped),
                    write_errors: get(&stats.write_errors),
                }),
            protection: self.protection.view(),
        };
        self.snapshot.store(Arc::new(snapshot));
    }
}

/// A link's health from when it last heard a valid frame, with the vehicles' thresholds.
fn link_health(now: TimeUs, last_heard: Option<TimeUs>) -> crate::world::Health {
    use crate::world::{Health, LOST_AFTER, STALE_AFTER};
    match last_heard.map(|last| now.since(last)) {
        None => Health::Lost,
        Some(silent) if silent >= LOST_AFTER => Health::Lost,
        Some(silent) if silent >= STALE_AFTER => Health::Stale,
        Some(_) => Health::Fresh,
    }
}
