//! Replay control for the console: play, pause, speed and seek on a recorded tlog. Seeking
//! forward fast-forwards the running pipeline; seeking backward starts a fresh pipeline from
//! the beginning and fast-forwards it to the target (fusion runs on the frames' own clock, so
//! the tracks at the target are the ones the live run had). The console reads snapshots from
//! [`ReplayController::station`] and drops what it keeps per world when
//! [`ReplayController::generation`] changes. The tlog holds what the drones and sensors said;
//! what the mission decided (alerts acknowledged, reports verified, notes) is in the session's
//! journal beside it, and [`ReplayController::decisions_until`] gives it up to the replay's
//! time.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Folders, GroundStation, Pipeline, PipelineConfig, PipelineError};
use vigil_core::address::LinkAddress;
use vigil_core::time::TimeUs;
use vigil_link::{LinkOptions, ReplayControl, ReplayPace};
use vigil_protocol::tlog::{TlogError, TlogReader};
use vigil_tracking::TrackerConfig;

/// Errors opening a replay.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error(transparent)]
    Tlog(#[from] TlogError),
    #[error("{path}: no records to replay")]
    Empty { path: PathBuf },
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

/// The first and last record times of a tlog (records that cannot be read are skipped).
pub fn tlog_span(path: &Path) -> Result<(TimeUs, TimeUs), ReplayError> {
    let mut span: Option<(TimeUs, TimeUs)> = None;
    for record in TlogReader::open(path)?.flatten() {
        let (first, last) = span.get_or_insert((record.time, record.time));
        *first = (*first).min(record.time);
        *last = (*last).max(record.time);
    }
    span.ok_or_else(|| ReplayError::Empty {
        path: path.to_owned(),
    })
}

/// A controllable replay of one tlog.
pub struct ReplayController {
    tlog: PathBuf,
    /// Where the replay's signing keys are (a signed recording is checked against them).
    folders: Folders,
    /// How fusion's tracker is tuned.
    tracker: TrackerConfig,
    span: (TimeUs, TimeUs),
    control: ReplayControl,
    pipeline: Option<Pipeline>,
    generation: u64,
    /// What the mission decided, from the session's journal beside the tlog, in time order.
    decisions: Arc<Vec<(TimeUs, String)>>,
}

impl ReplayController {
    /// Opens a tlog and starts replaying it at the recorded pace, paused if `paused`, with the
    /// signing keys of `folders` and the tracker its session recorded in `session.json`
    /// (the default for a tlog outside a session folder): the live run's tracks again.
    pub fn open(tlog: &Path, paused: bool, folders: Folders) -> Result<Self, ReplayError> {
        let tracker = crate::session_tracker(tlog)?.unwrap_or_default();
        Self::open_with_tracker(tlog, paused, folders, tracker)
    }

    /// [`ReplayController::open`] with fusion's tracker tuned by `tracker` (`vigil replay
    /// --associator`); every pipeline a seek starts has it too.
    pub fn open_with_tracker(
        tlog: &Path,
        paused: bool,
        folders: Folders,
        tracker: TrackerConfig,
    ) -> Result<Self, ReplayError> {
        let span = tlog_span(tlog)?;
        let control = ReplayControl::new(1.0);
        if paused {
            control.pause();
        }
        let mut controller = Self {
            tlog: tlog.to_owned(),
            folders,
            tracker,
            span,
            control,
            pipeline: None,
            generation: 0,
            decisions: Arc::new(session_decisions(tlog)),
        };
        controller.pipeline = Some(controller.start_pipeline()?);
        Ok(controller)
    }

    fn start_pipeline(&self) -> Result<Pipeline, PipelineError> {
        let config = PipelineConfig {
            links: vec![LinkAddress::File {
                path: self.tlog.clone(),
            }],
            link_options: LinkOptions {
                replay: ReplayPace::Controlled(self.control.clone()),
                ..LinkOptions::default()
            },
            tracker: self.tracker,
            ..PipelineConfig::new(self.folders.clone())
        };
        // The session's own sites and rules: the replay shows the alerts the live run had.
        Pipeline::start(crate::pipeline::with_session_inputs(config, &self.tlog))
    }

    /// The decisions recorded up to `time` (alerts' changes, reports, incidents, dispatches,
    /// notes), from the session's journal, in time order.
    pub fn decisions_until(&self, time: TimeUs) -> &[(TimeUs, String)] {
        let end = self.decisions.partition_point(|(t, _)| *t <= time);
        &self.decisions[..end]
    }

    /// The running ground station (it changes when a seek goes backward).
    pub fn station(&self) -> Option<GroundStation> {
        self.pipeline.as_ref().map(Pipeline::station)
    }

    /// The recording replayed.
    pub fn tlog(&self) -> &Path {
        &self.tlog
    }

    /// Increases each time the pipeline is restarted.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The first and last record times.
    pub fn span(&self) -> (TimeUs, TimeUs) {
        self.span
    }

    /// The time of the last record delivered.
    pub fn position(&self) -> Option<TimeUs> {
        self.control.position()
    }

    pub fn play(&self) {
        self.control.play();
    }

    pub fn pause(&self) {
        self.control.pause();
    }

    pub fn is_paused(&self) -> bool {
        self.control.is_paused()
    }

    pub fn set_speed(&self, speed: f64) {
        self.control.set_speed(speed);
    }

    pub fn speed(&self) -> f64 {
        self.control.speed()
    }

    /// Moves to `target` (clamped to the recording): forward by fast-forwarding, backward by
    /// restarting from the beginning and fast-forwarding. Paused or playing stays as it was.
    pub fn seek(&mut self, target: TimeUs) -> Result<(), ReplayError> {
        let target = target.clamp(self.span.0, self.span.1);
        if self.position().is_none_or(|p| target >= p) && self.pipeline.is_some() {
            self.control.fast_forward_to(target);
            return Ok(());
        }
        let paused = self.control.is_paused();
        let speed = self.control.speed();
        self.control.stop();
        if let Some(pipeline) = self.pipeline.take() {
            pipeline.shutdown();
        }
        self.control = ReplayControl::new(speed);
        if paused {
            self.control.pause();
        }
        self.control.fast_forward_to(target);
        self.pipeline = Some(self.start_pipeline()?);
        self.generation += 1;
        Ok(())
    }

    /// Seconds from the start of the recording, as a console's slider has them.
    pub fn seek_secs(&mut self, secs: f64) -> Result<(), ReplayError> {
        let offset = std::time::Duration::from_secs_f64(secs.max(0.0));
        self.seek(self.span.0.plus(offset))
    }
}

impl Drop for ReplayController {
    fn drop(&mut self) {
        self.control.stop();
        if let Some(pipeline) = self.pipeline.take() {
            pipeline.shutdown();
        }
    }
}

/// The decisions in the journal of the session the tlog belongs to (none when it has none);
/// a journal that cannot be read is said as one line at the start.
pub fn session_decisions(tlog: &Path) -> Vec<(TimeUs, String)> {
    let Some(dir) = tlog.parent() else {
        return Vec::new();
    };
    vigil_record::journal::decisions::timeline(dir).unwrap_or_else(|err| {
        vec![(
            TimeUs(0),
            format!("the session's decisions cannot be shown: {err}"),
        )]
    })
}
