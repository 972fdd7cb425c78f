//! Links: where MAVLink bytes come from and go to. Each live link (serial, UDP, TCP) is a task
//! on the I/O runtime that reopens its device or redials its peer with backoff; a `file:` link
//! replays a tlog on its own thread. Every link parses its bytes into frames, keeps its
//! statistics, records each frame, and hands decoded frames to the station through [`ingress`].

pub mod envelope;
pub mod ingress;
pub mod keys;
pub mod replay_control;
pub mod stats;
mod transport;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

pub use envelope::*;
pub use ingress::{Ingress, LinkIngress, PipelineCounters};
pub use replay_control::ReplayControl;
pub use stats::{LinkState, LinkStats, LinkStatsSnapshot, SenderStats};
pub use transport::spawn_link;

use vigil_core::address::LinkAddress;
use vigil_core::time::TimeUs;
use vigil_protocol::Frame;
use vigil_protocol::signing::{KeyChangeState, SecretKey, SystemSigning, UnsignedPolicy, Verifier};

/// How a `file:` link replays its log.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayPace {
    /// At the recorded pace times `speed` (1.0 = as it happened).
    Speed(f64),
    /// As fast as the pipeline takes it, losing nothing.
    Fast,
    /// Paused, paced and fast-forwarded by a [`ReplayControl`] (the console's replay).
    Controlled(ReplayControl),
}

/// Tunables of a link.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    pub replay: ReplayPace,
    /// First wait before reopening a device or redialling a peer.
    pub backoff_min: Duration,
    /// The wait doubles after each failure up to this.
    pub backoff_max: Duration,
    /// What a link with a signing key does with unsigned frames from systems that never
    /// signed (each link can change it; a system that signs never has its unsigned frames
    /// taken).
    pub unsigned: UnsignedPolicy,
    /// Where a live link finds the key of each system it hears (`None`: no keys, nothing is
    /// checked). Replays never check.
    pub keys: Option<Arc<keys::KeyRing>>,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            replay: ReplayPace::Speed(1.0),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
            unsigned: UnsignedPolicy::default(),
            keys: None,
        }
    }
}

/// Something the operator should know about a link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkEvent {
    pub link: LinkId,
    pub time: TimeUs,
    pub kind: LinkEventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkEventKind {
    /// The link is open (device opened, socket bound, peer connected); says to what.
    Up(String),
    /// The device or peer went away; reopening after a backoff.
    Retrying(String),
    /// The link cannot work and has stopped.
    Failed(String),
    /// A replay reached the end of its file; queued behind its last frame. Whoever applies
    /// it (the world thread) marks the link [`LinkState::Finished`].
    Finished,
    /// Bad input that was skipped (a corrupted tlog record, say), naming the place.
    Warning(String),
}

/// Why a link could not do what was asked of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// A panic while checking a frame broke the lock of the link's signature check. The link
    /// then refuses every frame (fail closed, counted as unverifiable), so changing its keys
    /// or policy would change nothing: it is reported rather than done.
    #[error(
        "{address}: the signature check is broken (a panic while checking); the link refuses every frame until Vigil restarts"
    )]
    SigningBroken { address: LinkAddress },
}

/// The pipeline's handle on a running link: its statistics and its send queue.
#[derive(Debug, Clone)]
pub struct LinkHandle {
    pub id: LinkId,
    pub address: LinkAddress,
    pub stats: Arc<LinkStats>,
    /// The signature check of received frames, shared with the link's task.
    pub signing: Arc<Mutex<Verifier>>,
    outgoing: mpsc::Sender<Frame>,
}

impl LinkHandle {
    /// Queues a frame for sending without waiting; false (and counted) when the queue is full
    /// or the link has stopped.
    pub fn send(&self, frame: Frame) -> bool {
        let sent = self.outgoing.try_send(frame).is_ok();
        if !sent {
            LinkStats::add(&self.stats.tx_dropped, 1);
        }
        sent
    }

    /// The link's signature check. A poisoned lock is not taken over: the link task refuses
    /// every frame once it is (fail closed, see `transport`), so a change made here would
    /// report success for nothing; the error says so instead. (The verifier is plain data and
    /// would survive `into_inner`, but a panic mid-check may have left a stream's timestamp
    /// unraised, and recovering here and not there would be inconsistent.)
    fn verifier(&self) -> Result<std::sync::MutexGuard<'_, Verifier>, LinkError> {
        self.signing.lock().map_err(|_| LinkError::SigningBroken {
            address: self.address.clone(),
        })
    }

    /// Sets or removes the key that frames from system `sysid` are checked against.
    pub fn set_key(&self, sysid: u8, key: Option<SecretKey>) -> Result<(), LinkError> {
        self.verifier()?.set_system_key(sysid, key);
        Ok(())
    }

    /// Starts changing the key of system `sysid` (see [`Verifier::begin_key_change`]).
    pub fn begin_key_change(
        &self,
        sysid: u8,
        new: SecretKey,
        unheard_previous: Option<SecretKey>,
    ) -> Result<(), LinkError> {
        self.verifier()?
            .begin_key_change(sysid, new, unheard_previous);
        Ok(())
    }

    /// Where the key change of `sysid` stands on this link (`None` when the check is broken).
    pub fn key_change(&self, sysid: u8) -> KeyChangeState {
        self.verifier()
            .map_or(KeyChangeState::None, |v| v.key_change(sysid))
    }

    /// Ends the key change of `sysid`: kept (only the new key from now on) or undone.
    pub fn end_key_change(&self, sysid: u8, keep: bool) -> Result<(), LinkError> {
        self.verifier()?.end_key_change(sysid, keep);
        Ok(())
    }

    /// The key frames from `sysid` are checked against on this link, once it was heard here.
    pub fn key_for(&self, sysid: u8) -> Option<SecretKey> {
        self.signing
            .lock()
            .ok()
            .and_then(|v| v.key_for(sysid).cloned())
    }

    /// Each system heard on this link: its key's fingerprint, whether it signs, and what was
    /// refused (empty when the check's lock is broken: the link then refuses everything, and
    /// counts it in `stats.unverifiable`).
    pub fn systems(&self) -> Vec<SystemSigning> {
        self.signing.lock().map(|v| v.systems()).unwrap_or_default()
    }

    /// Sets what the link does with unsigned frames from systems that never signed.
    pub fn set_unsigned_policy(&self, policy: UnsignedPolicy) -> Result<(), LinkError> {
        self.verifier()?.set_policy(policy);
        Ok(())
    }

    /// Whether the link is authenticated, from its keys and what its frames carried. With
    /// several keys (several signed vehicles), `fingerprint` lists them, comma-separated.
    pub fn auth(&self) -> LinkAuth {
        let Ok(verifier) = self.signing.lock() else {
            return LinkAuth::Unsigned;
        };
        let keys = verifier.keys();
        if keys.is_empty() {
            return LinkAuth::Unsigned;
        }
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        let unsigned_accepted = get(&self.stats.unsigned_accepted);
        let fingerprint = keys
            .iter()
            .map(|k| k.fingerprint())
            .collect::<Vec<_>>()
            .join(", ");
        let policy = verifier.policy();
        if unsigned_accepted > 0 {
            LinkAuth::Mixed {
                fingerprint,
                policy,
                unsigned_accepted,
            }
        } else {
            LinkAuth::Signed {
                fingerprint,
                policy,
            }
        }
    }
}

/// Whether what a link carries is authenticated (MAVLink 2 signing), for the console.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LinkAuth {
    /// No key: frames are taken as they come, signed or not, without checking.
    #[default]
    Unsigned,
    /// A key (shown by its fingerprint): every frame taken was signed with it (forged,
    /// replayed and, by policy, unsigned frames are dropped and counted in the stats).
    Signed {
        fingerprint: String,
        policy: UnsignedPolicy,
    },
    /// A key, but unsigned frames were taken too (policy `flag` or `accept`).
    Mixed {
        fingerprint: String,
        policy: UnsignedPolicy,
        unsigned_accepted: u64,
    },
}

impl LinkAuth {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Signed { .. } => "signed",
            Self::Mixed { .. } => "mixed",
        }
    }
}

impl LinkHandle {
    /// A handle on no running link, for tests of code that sends on links: what is sent waits
    /// in the returned queue.
    pub fn detached(
        id: LinkId,
        address: LinkAddress,
        verifier: Verifier,
        capacity: usize,
    ) -> (Self, mpsc::Receiver<Frame>) {
        let (outgoing, queue) = mpsc::channel(capacity);
        let handle = Self {
            id,
            address,
            stats: Arc::new(LinkStats::default()),
            signing: Arc::new(Mutex::new(verifier)),
            outgoing,
        };
        (handle, queue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_signing_check_makes_key_and_policy_changes_fail_rather_than_pass_silently() {
        let address: LinkAddress = "udpin:127.0.0.1:0".parse().expect("address");
        let (handle, _queue) = LinkHandle::detached(
            LinkId(0),
            address,
            Verifier::new(None, UnsignedPolicy::Flag),
            1,
        );
        let key = SecretKey::from_bytes([1; 32]).expect("non-zero");
        handle.set_key(1, Some(key.clone())).expect("works");
        handle
            .set_unsigned_policy(UnsignedPolicy::Reject)
            .expect("works");
        let signing = handle.signing.clone();
        let _ = std::thread::Builder::new()
            .name("poisoner".into())
            .spawn(move || {
                let _held = signing.lock();
                panic!("poisoning the signing lock");
            })
            .expect("thread")
            .join();
        assert!(matches!(
            handle.set_key(1, None),
            Err(LinkError::SigningBroken { .. })
        ));
        let err = handle
            .set_unsigned_policy(UnsignedPolicy::Accept)
            .expect_err("broken");
        assert!(err.to_string().contains("udpin:127.0.0.1:0"), "{err}");
        assert!(handle.begin_key_change(1, key, None).is_err());
    }
}
