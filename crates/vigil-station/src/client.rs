//! A client's handle on the running station: it reads the latest snapshot without blocking
//! anyone and sends requests whose answers come back on channels of their own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, Sender, bounded};

use crate::signing::SigningError;
use crate::{PipelineError, Request, Snapshot};
use vigil_link::LinkId;
use vigil_world::command::{
    self, Action, CommandOutcome, MissionError, MissionOp, MissionOutcome, ParamError, ParamOp,
    ParamOutcome,
};

/// Why a signing setup ([`GroundStation::setup_signing`]) did not end with the vehicle signing
/// with its new key; the texts are what the operator reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningSetupError {
    #[error("no vehicle with system id {sysid}")]
    NoVehicle { sysid: u8 },
    #[error("vehicle {sysid} is on no live link")]
    NoLink { sysid: u8 },
    #[error("a signing setup for vehicle {sysid} is already under way")]
    Busy { sysid: u8 },
    /// Nothing was sent or changed: no key could be made, SETUP_SIGNING could not be framed
    /// or queued, or the link's signature check is broken (`detail` says which).
    #[error("{detail}")]
    NotSent { detail: String },
    /// The new key could not be stored: the setup goes on, for this session only.
    #[error("{detail}")]
    NotStored { detail: String },
    /// The vehicle was heard with its previous key after the last SETUP_SIGNING; the new key
    /// was dropped (and, if `restore_failed` says why, the previous key file not restored).
    #[error(
        "vehicle {sysid} kept signing with its previous key (or unsigned) after {sends} SETUP_SIGNING: it did not take the new key, which was dropped{}",
        restore_failure(.restore_failed)
    )]
    NotTaken {
        sysid: u8,
        sends: u32,
        restore_failed: Option<String>,
    },
    /// Nothing heard from the vehicle: both keys stay accepted until it is.
    #[error(
        "vehicle {sysid}: nothing heard from it within {secs} s of {sends} SETUP_SIGNING; until it is heard, frames signed with either its previous or its new key are taken"
    )]
    Silent { sysid: u8, sends: u32, secs: u64 },
}

fn restore_failure(restore_failed: &Option<String>) -> String {
    restore_failed
        .as_ref()
        .map(|why| format!("; restoring its previous key failed: {why}"))
        .unwrap_or_default()
}

impl From<&SigningError> for SigningSetupError {
    fn from(error: &SigningError) -> Self {
        match error {
            SigningError::NoVehicle(sysid) => Self::NoVehicle { sysid: *sysid },
            SigningError::NoLink(sysid) => Self::NoLink { sysid: *sysid },
            SigningError::Busy(sysid) => Self::Busy { sysid: *sysid },
            SigningError::NotStored { .. } => Self::NotStored {
                detail: error.to_string(),
            },
            SigningError::Generate(_)
            | SigningError::Encode(_)
            | SigningError::QueueFull { .. }
            | SigningError::Link(_)
            | SigningError::Timestamp(_) => Self::NotSent {
                detail: error.to_string(),
            },
        }
    }
}

impl From<SigningError> for SigningSetupError {
    fn from(error: SigningError) -> Self {
        Self::from(&error)
    }
}

/// A client's handle on the running ground station. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GroundStation {
    pub(crate) snapshot: Arc<ArcSwap<Snapshot>>,
    pub(crate) requests: Sender<Request>,
    /// Alerts, "send a drone", incidents and reports go to the analysis thread, which owns
    /// `Protection`.
    pub(crate) protection: Sender<vigil_protection::ProtectionRequest>,
}

impl GroundStation {
    /// A station that always shows `snapshot` and refuses every request: for drawing a fixed
    /// picture in benchmarks and tests of the console, with no pipeline behind it.
    pub fn fixed(snapshot: Snapshot) -> Self {
        let (requests, _) = bounded(1);
        let (protection, _) = bounded(1);
        Self {
            snapshot: Arc::new(ArcSwap::from_pointee(snapshot)),
            requests,
            protection,
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
        self.send(Request::Engine(command::Request::Command {
            target,
            action,
            reply,
        }))?;
        Ok(outcome)
    }

    pub fn mission(
        &self,
        target: u8,
        op: MissionOp,
    ) -> Result<Receiver<Result<MissionOutcome, MissionError>>, PipelineError> {
        let (reply, outcome) = bounded(1);
        self.send(Request::Engine(command::Request::Mission {
            target,
            op,
            reply,
        }))?;
        Ok(outcome)
    }

    pub fn params(
        &self,
        target: u8,
        op: ParamOp,
    ) -> Result<Receiver<Result<ParamOutcome, ParamError>>, PipelineError> {
        let (reply, outcome) = bounded(1);
        self.send(Request::Engine(command::Request::Params {
            target,
            op,
            reply,
        }))?;
        Ok(outcome)
    }

    /// Gives a vehicle a new signing key over its current link (which should be trusted: the
    /// key travels in clear unless the link is already signed). The key is stored in the keys
    /// folder (`Folders::keys_dir`) once SETUP_SIGNING is queued (sent again a few times until
    /// the vehicle signs with it). The answer comes once a frame signed with the new key arrives
    /// (it names the key's fingerprint; what goes to the vehicle is signed from then on), or
    /// says why not after [`crate::signing::SETUP_SENDS`] sends.
    pub fn setup_signing(
        &self,
        target: u8,
    ) -> Result<Receiver<Result<String, SigningSetupError>>, PipelineError> {
        let (reply, outcome) = bounded(1);
        self.send(Request::SetupSigning { target, reply })?;
        Ok(outcome)
    }

    /// Sets what a link with a key does with unsigned frames.
    pub fn set_unsigned_policy(
        &self,
        link: LinkId,
        policy: vigil_protocol::UnsignedPolicy,
    ) -> Result<(), PipelineError> {
        self.send(Request::SetUnsignedPolicy { link, policy })
    }
}
