//! The running station: starts the I/O runtime and the links, the recorder and the journal,
//! the world thread (`owner.rs`) and the analysis thread (`analysis.rs`), and stops them in
//! order. Clients hold a [`GroundStation`]: they read the latest snapshot without blocking
//! anyone and send requests whose answers come back on channels of their own.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Sender, bounded};

use crate::analysis::{
    ANALYSIS_QUEUE_CAPACITY, Analysis, FROM_ANALYSIS_CAPACITY, PROTECTION_REQUEST_CAPACITY,
};
use crate::owner::{Placement, WorldParts, spawn_world_thread};
use crate::{
    GroundStation, PipelineConfig, PipelineError, REQUEST_QUEUE_CAPACITY, Request, Snapshot,
};
use vigil_core::address::LinkAddress;
use vigil_core::time::{MonoClock, TimeUs};
use vigil_fusion::{Fusion, TracksWriter};
use vigil_link::{
    Ingress, LinkHandle, LinkId, PipelineCounters, RECORDER_QUEUE_CAPACITY, WORLD_QUEUE_CAPACITY,
    spawn_link,
};
use vigil_protection::{Protection, ProtectionRequest};
use vigil_protocol::tlog::TlogRecord;
use vigil_record::journal::{JournalFeed, JournalSender, JournalWriter};
use vigil_record::session::recorder::Recorder;
use vigil_record::session::{self, SessionMeta};
use vigil_tracking::{AssociationMethod, GroupConfig, TrackerConfig};
use vigil_world::{Severity, Source, World};

/// The running pipeline. Dropping it without [`Pipeline::shutdown`] still stops everything.
pub struct Pipeline {
    station: GroundStation,
    runtime: Option<tokio::runtime::Runtime>,
    world_thread: Option<JoinHandle<()>>,
    analysis_thread: Option<JoinHandle<()>>,
    recorder: Option<Recorder>,
    journal: Option<JournalWriter>,
    /// The session folder and the key that seals it when the pipeline stops.
    sealing: Option<(PathBuf, ed25519_dalek::SigningKey)>,
    clock: MonoClock,
}

impl Pipeline {
    pub fn start(config: PipelineConfig) -> Result<Self, PipelineError> {
        // The operator's files first: a bad one must fail before a session is opened (which
        // would unseal a recorded one to append to it); so must a bad tracker configuration.
        let fusion = Fusion::new(config.tracker).map_err(PipelineError::Tracker)?;
        let mut protection = load_protection(&config)?;
        let clock = MonoClock::new();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("vigil-io")
            .enable_all()
            .build()
            .map_err(PipelineError::Runtime)?;
        let recording = open_session(&config, clock)?;
        let (inbound_tx, inbound) = bounded(WORLD_QUEUE_CAPACITY);
        let counters = Arc::new(PipelineCounters::default());
        let ingress = Ingress::new(inbound_tx, recording.tlog, counters.clone());
        let key_ring = crate::signing::key_ring(config.folders.keys_dir.clone(), &config.signing);
        let links = start_links(&config, &runtime, &ingress, clock, &key_ring)?;
        drop(ingress);

        let replay_only =
            !config.links.is_empty() && config.links.iter().all(LinkAddress::is_replay);
        let names = Arc::new(config.names.clone());
        let mut first_world = World::new();
        first_world.names = names.clone();
        if !replay_only {
            // Live: the picture's clock is the wall clock from the first snapshot on.
            first_world.tick(clock.now());
        }
        let snapshot = Arc::new(ArcSwap::from_pointee(Snapshot {
            session_dir: recording.dir.clone(),
            world: first_world,
            ..Snapshot::default()
        }));
        let journal = recording
            .dir
            .as_ref()
            .map(|dir| JournalWriter::start(&dir.join(vigil_record::journal::JOURNAL_FILE)))
            .transpose()?;
        let mut world = World::new();
        world.names = names;
        world.set_camera_range_m(protection.rules().coverage.camera_range_m);
        let sealing = match &recording.dir {
            Some(dir) => match session_key(dir, &config.folders.station_key) {
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
        let links_ended: Arc<[AtomicBool]> = (0..config.links.len())
            .map(|_| AtomicBool::new(false))
            .collect();
        let (to_world, from_analysis) = bounded(FROM_ANALYSIS_CAPACITY);
        let (protection_tx, protection_rx) = bounded(PROTECTION_REQUEST_CAPACITY);
        let analysis = Analysis {
            fusion: centred_on_sites(fusion, &mut protection),
            protection,
            tracks_writer: config
                .tracks_out
                .as_deref()
                .map(TracksWriter::create)
                .transpose()
                .map_err(PipelineError::Tracks)?,
            journal: journal.as_ref().map(|j| JournalFeed::new(j.sender())),
            snapshot: snapshot.clone(),
            to_world,
            waiting: VecDeque::new(),
            links_ended: links_ended.clone(),
            clock,
            replay_only,
            world_time: TimeUs::default(),
            changed: true,
        };
        let (analysis, analysis_thread) =
            place_analysis(analysis, protection_rx, config.analysis_on_world_thread)?;
        let (requests_tx, requests) = bounded(REQUEST_QUEUE_CAPACITY);
        let world_thread = spawn_world_thread(WorldParts {
            world,
            analysis,
            from_analysis,
            links_ended,
            journal_stats: journal.as_ref().map(|j| (j.path.clone(), j.stats())),
            links,
            key_ring,
            inbound,
            requests,
            counters,
            recorder_stats: recording
                .recorder
                .as_ref()
                .map(|r| (r.path.clone(), r.stats.clone())),
            snapshot: snapshot.clone(),
            session_dir: recording.dir,
            clock,
            replay_only,
        })
        .map_err(PipelineError::Thread)?;
        Ok(Self {
            station: GroundStation {
                snapshot,
                requests: requests_tx,
                protection: protection_tx,
            },
            runtime: Some(runtime),
            world_thread: Some(world_thread),
            analysis_thread,
            recorder: recording.recorder,
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
        // The world thread told it to stop after its last step.
        if let Some(thread) = self.analysis_thread.take() {
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
            let _ = vigil_record::provenance::seal_session(&dir, &key, head, self.clock.now());
        }
    }
}

/// Loads (or makes) the station's signing key and writes its public half into the session.
fn session_key(
    dir: &std::path::Path,
    station_key: &std::path::Path,
) -> Result<ed25519_dalek::SigningKey, vigil_record::provenance::ProvenanceError> {
    let key = vigil_record::provenance::keys::load_or_create(station_key)?;
    vigil_record::provenance::seal::write_public_key(dir, &key)?;
    Ok(key)
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The protection state a configuration asks for.
fn load_protection(config: &PipelineConfig) -> Result<Protection, PipelineError> {
    use vigil_protection::{RulesConfig, SiteSet};
    let rules = match &config.rules {
        Some(path) => RulesConfig::load(path)?,
        None => RulesConfig::builtin(),
    };
    let sites = match &config.sites {
        Some(path) => SiteSet::load(path)?,
        None if config.demo_sites => SiteSet::demo(),
        None => SiteSet::default(),
    };
    let ways = match &config.ways {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| {
                vigil_protection::ProtectionError::Io {
                    path: path.display().to_string(),
                    source,
                }
            })?;
            vigil_protection::predict::parse_ways(&text, &path.display().to_string())?
        }
        None if config.demo_sites => vigil_protection::predict::demo_ways(),
        None => Vec::new(),
    };
    Ok(Protection::new(sites, rules).with_ways(ways))
}

/// The session being recorded, if any: its folder, the recorder and the recorder's queue.
struct Recording {
    dir: Option<PathBuf>,
    recorder: Option<Recorder>,
    tlog: Option<Sender<TlogRecord>>,
}

/// Opens the session folder the configuration asks for (appending to a sealed one unseals
/// it) and starts the recorder.
fn open_session(config: &PipelineConfig, clock: MonoClock) -> Result<Recording, PipelineError> {
    let dir = match (&config.session_dir, config.record_default_session) {
        (Some(dir), _) => dir.clone(),
        (None, true) => session::new_session_dir(
            &config.folders.sessions_root,
            &vigil_core::time::utc_string(clock.now()),
        ),
        (None, false) => {
            return Ok(Recording {
                dir: None,
                recorder: None,
                tlog: None,
            });
        }
    };
    let meta = SessionMeta {
        vigil_version: env!("CARGO_PKG_VERSION"),
        started_utc: vigil_core::time::utc_string(clock.now()),
        started_unix_us: clock.now().0,
        links: config.links.iter().map(ToString::to_string).collect(),
        tracker: Some(session::TrackerChoice {
            association: config.tracker.association.name().to_owned(),
            group_tracks: config.tracker.groups.is_some(),
        }),
    };
    let dir = session::create_session_dir(&dir, &meta)?;
    vigil_record::provenance::seal::unseal_for_append(&dir);
    keep_inputs(config, &dir)?;
    let (tx, rx) = bounded(RECORDER_QUEUE_CAPACITY);
    let path = dir.join(session::TLOG_FILE);
    let recorder = match &config.recorder_sink {
        Some(factory) => {
            let sink = (factory.0)(&path).map_err(|source| session::recorder::RecorderError {
                path: path.clone(),
                source,
            })?;
            Recorder::start_with(&path, sink, rx)?
        }
        None => Recorder::start(&path, rx)?,
    };
    Ok(Recording {
        dir: Some(dir),
        recorder: Some(recorder),
        tlog: Some(tx),
    })
}

/// Keeps the sites, rules and ways the session runs with in its folder (the built-in ones
/// written out), so that a replay judges as this run does and the seal covers them.
fn keep_inputs(config: &PipelineConfig, dir: &std::path::Path) -> Result<(), PipelineError> {
    use vigil_protection::{predict::DEMO_AREA, rules::DEFAULT_RULES, sites::DEMO_SITES};
    let inputs: [(&str, Option<&PathBuf>, Option<&str>); 3] = [
        (
            session::SITES_FILE,
            config.sites.as_ref(),
            config.demo_sites.then_some(DEMO_SITES),
        ),
        (
            session::RULES_FILE,
            config.rules.as_ref(),
            Some(DEFAULT_RULES),
        ),
        (
            session::WAYS_FILE,
            config.ways.as_ref(),
            config.demo_sites.then_some(DEMO_AREA),
        ),
    ];
    for (name, file, builtin) in inputs {
        let to = dir.join(name);
        let result = match (file, builtin) {
            // Already the session's own (a session folder given as its own input).
            (Some(from), _) if same_file(from, &to) => Ok(()),
            (Some(from), _) => std::fs::copy(from, &to).map(|_| ()),
            (None, Some(text)) => std::fs::write(&to, text),
            (None, None) => match std::fs::remove_file(&to) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        };
        result.map_err(|source| session::SessionError::Write { path: to, source })?;
    }
    Ok(())
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

/// A replay's configuration with the sites, rules and ways kept in the recorded session's
/// folder (see [`keep_inputs`]), where the configuration names none itself and the tlog is
/// in a session's folder.
pub fn with_session_inputs(mut config: PipelineConfig, tlog: &std::path::Path) -> PipelineConfig {
    // Only a recorded session's folder (it has its `session.json`): a tlog kept elsewhere
    // does not take whatever files lie beside it.
    let Some(dir) = tlog
        .parent()
        .filter(|dir| dir.join(session::META_FILE).is_file())
    else {
        return config;
    };
    let kept = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
    if config.sites.is_none() && !config.demo_sites {
        config.sites = kept(session::SITES_FILE);
    }
    if config.rules.is_none() {
        config.rules = kept(session::RULES_FILE);
    }
    if config.ways.is_none() && !config.demo_sites {
        config.ways = kept(session::WAYS_FILE);
    }
    config
}

/// The tracker the session that recorded `tlog` ran with, from its folder's `session.json`
/// (`None` for a tlog outside a session folder, or a session recorded before the choice was
/// kept): a replay given no `--associator` rebuilds the live run's tracks with it.
pub fn session_tracker(tlog: &std::path::Path) -> Result<Option<TrackerConfig>, PipelineError> {
    let Some(dir) = tlog.parent() else {
        return Ok(None);
    };
    let Some(choice) = session::read_tracker_choice(dir)? else {
        return Ok(None);
    };
    let association = AssociationMethod::from_name(&choice.association).ok_or_else(|| {
        PipelineError::UnknownAssociation {
            path: dir.join(session::META_FILE),
            name: choice.association.clone(),
        }
    })?;
    Ok(Some(TrackerConfig {
        association,
        groups: choice.group_tracks.then(GroupConfig::default),
        ..TrackerConfig::default()
    }))
}

/// Starts one task (or replay thread) per configured link.
fn start_links(
    config: &PipelineConfig,
    runtime: &tokio::runtime::Runtime,
    ingress: &Ingress,
    clock: MonoClock,
    key_ring: &Arc<vigil_link::keys::KeyRing>,
) -> Result<Vec<LinkHandle>, PipelineError> {
    config
        .links
        .iter()
        .enumerate()
        .map(|(index, address)| {
            let id = LinkId(u16::try_from(index).unwrap_or(u16::MAX));
            let options = crate::signing::link_options(
                &config.link_options,
                &config.signing,
                index,
                key_ring,
            );
            spawn_link(
                runtime.handle(),
                id,
                address.clone(),
                ingress,
                clock,
                options,
            )
            .map_err(|source| PipelineError::Link {
                address: address.to_string(),
                source,
            })
        })
        .collect()
}

/// Fusion with its plane centred on the protected sites, when there are any.
fn centred_on_sites(mut fusion: Fusion, protection: &mut Protection) -> Fusion {
    let centres: Vec<_> = protection
        .view()
        .sites
        .iter()
        .map(|site| (site.centre.lat_deg, site.centre.lon_deg))
        .collect();
    if let Some((lat_deg, lon_deg)) = vigil_fusion::origin_of_sites(centres) {
        fusion.set_origin(lat_deg, lon_deg);
    }
    fusion
}

/// Starts the analysis thread, or keeps the analysis for the world thread to run.
fn place_analysis(
    analysis: Analysis,
    requests: Receiver<ProtectionRequest>,
    on_world_thread: bool,
) -> Result<(Placement, Option<JoinHandle<()>>), PipelineError> {
    if on_world_thread {
        return Ok((Placement::Inline(Box::new(analysis), requests), None));
    }
    let (to_analysis, inputs) = bounded(ANALYSIS_QUEUE_CAPACITY);
    let thread = std::thread::Builder::new()
        .name("vigil-analysis".into())
        .spawn(move || analysis.run(inputs, requests))
        .map_err(PipelineError::Thread)?;
    Ok((Placement::Thread(to_analysis), Some(thread)))
}

#[cfg(test)]
mod tests;
