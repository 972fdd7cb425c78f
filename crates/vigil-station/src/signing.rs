//! The world thread's side of MAVLink signing: which key signs what goes out to each vehicle,
//! keys learnt from the links' verifiers when a vehicle is heard on a link, SETUP_SIGNING to
//! give a vehicle a new key over a trusted link, and the station's signing timestamp, kept on
//! disk so that it never goes back across a restart. The link tasks check received frames
//! (`LinkHandle::signing`, each system against its own key from the [`KeyRing`]); this part
//! signs and installs keys.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::SigningSetupError;
use vigil_core::address::LinkAddress;
use vigil_core::time::TimeUs;
use vigil_link::LinkId;
use vigil_link::keys::{Installed, KeyRing, KeyStore, KeyStoreError, TimestampFile};
use vigil_link::{LinkError, LinkHandle, LinkOptions};
use vigil_protocol::frame::EncodeError;
use vigil_protocol::signing::{KeyChangeState, KeySource, SystemSigning, timestamp_at};
use vigil_protocol::{
    Frame, FrameEncoder, MavMessage, MavVersion, SecretKey, Signer, UnsignedPolicy, mav,
};
use vigil_world::command::{Outgoing, Route};
use vigil_world::{Severity, World};

/// Refused frames on a link are told to the operator at most this often.
pub const REFUSAL_NOTICE_PERIOD: std::time::Duration = std::time::Duration::from_secs(10);

/// The signing timestamp on disk is a reservation this far (10 s, in 10 µs units) ahead of
/// the last one used: it is rewritten when the timestamps reach it (so at most every 10 s
/// while signing), and a restart, even after `kill -9`, starts beyond it.
pub const TIMESTAMP_RESERVE: u64 = 1_000_000;

/// After a failed write of the signing timestamp, the next try is this much later (not on
/// every signed frame: the write syncs the disk, on the world thread).
pub const TIMESTAMP_RETRY: std::time::Duration = std::time::Duration::from_secs(10);

/// SETUP_SIGNING is sent this many times at most, [`SETUP_RESEND_PERIOD`] apart, until a frame
/// signed with the new key comes back (one frame lost on a radio must not lock both sides out).
pub const SETUP_SENDS: u32 = 3;
/// The wait between two sends of SETUP_SIGNING, and after the last one before giving up.
pub const SETUP_RESEND_PERIOD: std::time::Duration = std::time::Duration::from_secs(2);

/// Why signing could not be set up or kept.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("no vehicle with system id {0}")]
    NoVehicle(u8),
    #[error("vehicle {0} is on no live link")]
    NoLink(u8),
    #[error("a signing setup for vehicle {0} is already under way")]
    Busy(u8),
    #[error("cannot make a key: {0}")]
    Generate(#[source] std::io::Error),
    #[error("cannot frame SETUP_SIGNING: {0}")]
    Encode(#[from] EncodeError),
    #[error("{address}: send queue full; nothing was changed")]
    QueueFull { address: LinkAddress },
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(
        "{source}; the new key is used for this session only (the vehicle may have it already): set up signing again once the keys folder is writable"
    )]
    NotStored { source: KeyStoreError },
    #[error("{0}")]
    Timestamp(#[from] KeyStoreError),
}

/// Signing as the command line sets it (`--signing`, `--key`); see [`LinkOptions::unsigned`]
/// for the policy of every link.
#[derive(Debug, Clone, Default)]
pub struct SigningConfig {
    /// Per link, by its index in `PipelineConfig::links`: the unsigned policy instead of
    /// `link_options.unsigned`.
    pub policies: BTreeMap<usize, UnsignedPolicy>,
    /// `--key FILE`: the key of every system that has none of its own.
    pub default_key: Option<SecretKey>,
    /// `--key SYSID=FILE`: the key of one system, before its key file.
    pub keys: BTreeMap<u8, SecretKey>,
}

/// The key ring of a pipeline: its keys folder and the keys of the command line.
pub fn key_ring(keys_dir: std::path::PathBuf, config: &SigningConfig) -> Arc<KeyRing> {
    Arc::new(KeyRing::new(
        KeyStore::new(keys_dir),
        config.default_key.clone(),
        config.keys.clone(),
    ))
}

/// The options of link `index`: the pipeline's, with the link's own policy and the key ring.
pub fn link_options(
    base: &LinkOptions,
    config: &SigningConfig,
    index: usize,
    ring: &Arc<KeyRing>,
) -> LinkOptions {
    LinkOptions {
        unsigned: config
            .policies
            .get(&index)
            .copied()
            .unwrap_or(base.unsigned),
        keys: Some(ring.clone()),
        ..base.clone()
    }
}

/// How vehicle `sysid` signs on each link it was heard on: (link, what its verifier knows),
/// from `LinkView::signing` (which the console's Links tab shows for every system; the vehicle
/// details do not show signing). For tools and tests that look at one vehicle.
pub fn vehicle_signing(
    snapshot: &crate::Snapshot,
    sysid: u8,
) -> Vec<(LinkId, vigil_core::address::LinkAddress, SystemSigning)> {
    snapshot
        .links
        .iter()
        .filter_map(|link| {
            link.signing
                .iter()
                .find(|s| s.sysid == sysid)
                .map(|s| (link.id, link.address.clone(), s.clone()))
        })
        .collect()
}

/// Watches the links' refusal counters (forged, replayed, unsigned refused) and says when they
/// grow, at most once per [`REFUSAL_NOTICE_PERIOD`] a link.
#[derive(Debug, Default)]
pub struct RefusalWatch {
    /// Per link: the counts last told, and when.
    told: BTreeMap<LinkId, ([u64; 4], TimeUs)>,
}

impl RefusalWatch {
    /// Notices for links whose refusals grew since they were last told.
    pub fn check(&mut self, views: &[crate::LinkView], now: TimeUs) -> Vec<(LinkId, String)> {
        let mut notices = Vec::new();
        for view in views {
            let counts = [
                view.stats.forged,
                view.stats.replayed,
                view.stats.unsigned_rejected,
                view.stats.unverifiable,
            ];
            let (told, at) = self.told.get(&view.id).copied().unwrap_or_default();
            if counts == told || (at != TimeUs(0) && now.since(at) < REFUSAL_NOTICE_PERIOD) {
                continue;
            }
            let [forged, replayed, unsigned, unverifiable] =
                [0, 1, 2, 3].map(|i| counts[i].saturating_sub(told[i]));
            let causes: Vec<String> = [
                (forged, "forged"),
                (replayed, "replayed"),
                (unsigned, "unsigned"),
                (unverifiable, "that could not be checked"),
            ]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
            self.told.insert(view.id, (counts, now));
            if causes.is_empty() {
                continue;
            }
            let mut text = format!("{}: REFUSED frames: {}", view.address, causes.join(", "));
            let who: Vec<String> = view
                .signing
                .iter()
                .filter(|s| s.counts.refused() > 0)
                .map(|s| format!("{} ({})", s.sysid, s.counts.refused()))
                .collect();
            if !who.is_empty() {
                text.push_str(&format!("; refused in all, by system: {}", who.join(", ")));
            }
            // Said by cause: frames that fail their check come from someone without the key;
            // frames that cannot be checked are the station's own doing.
            if forged + replayed + unsigned > 0 {
                text.push_str(" (someone without the key is sending?)");
            }
            if unverifiable > 0 {
                text.push_str(
                    " (the station cannot read a vehicle's key file, or its signature check broke: see the notice naming it)",
                );
            }
            notices.push((view.id, text));
        }
        notices
    }
}

/// What happened that the operator should know.
pub type SigningNotice = String;

/// Keys and signers of the pipeline's links, and the station's signing timestamp.
#[derive(Debug)]
pub struct LinkSigning {
    ring: Arc<KeyRing>,
    /// Per (link, system): the key that signs what goes to the system on that link (the one
    /// its frames there are checked against).
    keys: BTreeMap<(LinkId, u8), SecretKey>,
    /// (link, system) pairs already asked for their key.
    seen: BTreeSet<(LinkId, u8)>,
    /// (link, key fingerprint) pairs already told to the operator.
    announced: BTreeSet<(LinkId, String)>,
    /// The least timestamp the next signed frame may carry, whatever the link or key.
    next: u64,
    /// Every timestamp used is below this, which is on disk (when `timestamps` is set).
    reserved: u64,
    /// Where the timestamp is kept (`None`: replays, which send nothing).
    timestamps: Option<TimestampFile>,
    /// After a failed write, no new try before this.
    write_retry_at: TimeUs,
    /// Something was signed since the timestamp was last saved.
    signed_any: bool,
    /// Notices waiting to be told (a timestamp file that cannot be read or written).
    notices: Vec<SigningNotice>,
    /// A failed timestamp write was told (told once).
    write_failure_told: bool,
    /// Key changes under way, by vehicle.
    setups: BTreeMap<u8, Setup>,
}

/// A key change under way: SETUP_SIGNING sent, waiting for a frame signed with the new key.
#[derive(Debug)]
struct Setup {
    link: LinkId,
    compid: u8,
    key: SecretKey,
    /// What was stored and replaced (`None`: the key could not be stored).
    installed: Option<Installed>,
    /// SETUP_SIGNING sent so far, and when the next may go (or, after the last, the wait
    /// ends).
    sends: u32,
    next_at: TimeUs,
    /// Frames taken with the previous key (or unsigned), summed over the links, at the last
    /// send: more at the end means that the vehicle is alive and did not take the key.
    heard_previous_at_send: u64,
    /// Who waits for the outcome (answered once).
    reply: Option<Sender<Result<String, SigningSetupError>>>,
}

/// What a signing setup ended with, to tell the operator.
pub type SetupOutcome = (Severity, String);

impl LinkSigning {
    /// The signing of a pipeline. With `persist`, the signing timestamp is read from beside the
    /// keys and kept there.
    pub fn new(ring: Arc<KeyRing>, persist: bool) -> Self {
        let mut notices = Vec::new();
        let timestamps = persist.then(|| ring.store().timestamp_file());
        let stored = match timestamps.as_ref().map(TimestampFile::load) {
            Some(Ok(stored)) => stored.unwrap_or(0),
            Some(Err(err)) => {
                notices.push(format!(
                    "{err}; signing starts from the clock, and a vehicle may take the first frames as replays"
                ));
                0
            }
            None => 0,
        };
        Self {
            ring,
            keys: BTreeMap::new(),
            seen: BTreeSet::new(),
            announced: BTreeSet::new(),
            next: stored,
            reserved: stored,
            timestamps,
            write_retry_at: TimeUs(0),
            signed_any: false,
            notices,
            write_failure_told: false,
            setups: BTreeMap::new(),
        }
    }

    /// The key ring shared with the links.
    pub fn ring(&self) -> &Arc<KeyRing> {
        &self.ring
    }

    /// The signing link id of a link: its index (the "channel" of the C library).
    fn link_id(link: LinkId) -> u8 {
        u8::try_from(link.0).unwrap_or(u8::MAX)
    }

    /// Whether some frames to `link` go out signed (the station has a key for a system there).
    pub fn signs(&self, link: LinkId) -> bool {
        self.keys.keys().any(|(l, _)| *l == link)
    }

    /// Whether frames to system `sysid` on `link` go out signed.
    pub fn signs_to(&self, link: LinkId, sysid: u8) -> bool {
        self.keys.contains_key(&(link, sysid))
    }

    /// The timestamp the next signed frame carries at `now`, reserved on disk first. A failed
    /// write is told once and tried again [`TIMESTAMP_RETRY`] later, not on every frame.
    pub fn next_timestamp(&mut self, now: TimeUs) -> u64 {
        let timestamp = timestamp_at(now).max(self.next);
        if timestamp >= self.reserved
            && now >= self.write_retry_at
            && let Some(file) = &self.timestamps
        {
            let reserve = timestamp + TIMESTAMP_RESERVE;
            match file.store(reserve) {
                Ok(()) => self.reserved = reserve,
                Err(err) => {
                    self.write_retry_at = now.plus(TIMESTAMP_RETRY);
                    if !self.write_failure_told {
                        self.write_failure_told = true;
                        self.notices.push(format!(
                            "{err}; after a restart, vehicles may take signed frames as replays"
                        ));
                    }
                }
            }
        }
        timestamp
    }

    /// On a frame from `sysid` on `link`: the first time the system is heard on that link,
    /// takes the key its frames are checked against there (looked up by the link's verifier)
    /// to sign what goes to it. Also returns waiting notices.
    pub fn on_frame(
        &mut self,
        links: &[LinkHandle],
        link: LinkId,
        sysid: u8,
    ) -> Option<SigningNotice> {
        if let Some(notice) = self.notices.pop() {
            return Some(notice);
        }
        let handle = links.get(usize::from(link.0))?;
        // During a key change, what goes to the vehicle stays signed as before; the key is
        // taken once the change is confirmed.
        if handle.address.is_replay()
            || self.setups.contains_key(&sysid)
            || !self.seen.insert((link, sysid))
        {
            return None;
        }
        let key = handle.key_for(sysid)?;
        let fingerprint = key.fingerprint();
        self.keys.insert((link, sysid), key);
        self.announced.insert((link, fingerprint.clone())).then(|| {
            format!(
                "{}: signing with the key of system {sysid} (fingerprint {fingerprint})",
                handle.address
            )
        })
    }

    /// Frames an outgoing message: signed with the key of the system it is addressed to, if
    /// the station has one on that link; a message to everyone (a heartbeat) once per key of
    /// the link's systems, so that each signed vehicle takes one (unsigned when there is none).
    pub fn encode(
        &mut self,
        encoder: &mut FrameEncoder,
        outgoing: &Outgoing,
        now: TimeUs,
    ) -> Result<Vec<Frame>, EncodeError> {
        let target = mavlink_core::Message::target_system_id(&outgoing.message).filter(|&t| t != 0);
        let keys: Vec<SecretKey> = match target {
            Some(sysid) => self
                .keys
                .get(&(outgoing.link, sysid))
                .cloned()
                .into_iter()
                .collect(),
            None => {
                let mut keys: Vec<SecretKey> = Vec::new();
                for ((link, _), key) in &self.keys {
                    if *link == outgoing.link && !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
                keys
            }
        };
        if keys.is_empty() {
            return Ok(vec![encoder.encode(&outgoing.message, outgoing.version)?]);
        }
        let mut frames = Vec::with_capacity(keys.len());
        for key in keys {
            frames.push(self.encode_with(encoder, &outgoing.message, &key, outgoing.link, now)?);
        }
        Ok(frames)
    }

    /// Frames `message` signed with `key` for `link`, on the station's one timeline.
    fn encode_with(
        &mut self,
        encoder: &mut FrameEncoder,
        message: &MavMessage,
        key: &SecretKey,
        link: LinkId,
        now: TimeUs,
    ) -> Result<Frame, EncodeError> {
        let timestamp = self.next_timestamp(now);
        let mut signer =
            Signer::new(key.clone(), Self::link_id(link)).with_initial_timestamp(timestamp);
        let frame = encoder.encode_signed(message, &mut signer, now)?;
        self.next = self.next.max(signer.next_timestamp());
        self.signed_any = true;
        Ok(frame)
    }

    /// SETUP_SIGNING giving `key` to `target`, signed with the key what goes to it is signed
    /// with now (none: unsigned, as a vehicle without a key takes it).
    fn setup_frame(
        &mut self,
        encoder: &mut FrameEncoder,
        link: LinkId,
        target: u8,
        compid: u8,
        key: &SecretKey,
        now: TimeUs,
    ) -> Result<Frame, EncodeError> {
        // Timestamps never go back, even across a key change.
        let initial_timestamp = self.next_timestamp(now);
        let message = MavMessage::SETUP_SIGNING(mav::SETUP_SIGNING_DATA {
            initial_timestamp,
            target_system: target,
            target_component: compid,
            secret_key: *key.bytes(),
        });
        match self.keys.get(&(link, target)).cloned() {
            Some(old) => self.encode_with(encoder, &message, &old, link, now),
            None => encoder.encode(&message, MavVersion::V2),
        }
    }

    /// Starts giving vehicle `target` a new key: sends SETUP_SIGNING on the vehicle's link
    /// (signed with its old key, if any) and, only once it is queued, stores the key and
    /// checks the vehicle's frames on every link with the new key, still taking those that
    /// verify with the previous one (or, if it had none, unsigned ones as before) until a
    /// frame signed with the new key comes. [`LinkSigning::poll`] resends SETUP_SIGNING until
    /// then and answers `reply`: the new key's fingerprint once that frame came (what goes to
    /// the vehicle is then signed with the new key), or why not. Returns what to tell the
    /// operator now.
    pub fn setup(
        &mut self,
        world: &World,
        links: &[LinkHandle],
        encoder: &mut FrameEncoder,
        target: u8,
        now: TimeUs,
        reply: Sender<Result<String, SigningSetupError>>,
    ) -> Result<String, SigningError> {
        if self.setups.contains_key(&target) {
            return Err(SigningError::Busy(target));
        }
        let vehicle = world
            .vehicles
            .get(&target)
            .ok_or(SigningError::NoVehicle(target))?;
        let route = Route::to(vehicle);
        let handle = links
            .get(usize::from(route.link.0))
            .filter(|l| !l.address.is_replay())
            .ok_or(SigningError::NoLink(target))?;
        let key = SecretKey::generate().map_err(SigningError::Generate)?;
        // What the vehicle's frames are checked against on links it was not heard on yet.
        let unheard_previous = self.ring.lookup(target).ok().flatten();
        // Every link checks the new key alongside the previous one before the vehicle can
        // have it; a link whose check is broken refuses everything anyway.
        handle.begin_key_change(target, key.clone(), unheard_previous.clone())?;
        for link in links
            .iter()
            .filter(|l| !l.address.is_replay() && l.id != route.link)
        {
            let _ = link.begin_key_change(target, key.clone(), unheard_previous.clone());
        }
        let undo = |links: &[LinkHandle]| {
            for link in links.iter().filter(|l| !l.address.is_replay()) {
                let _ = link.end_key_change(target, false);
            }
        };
        let frame = match self.setup_frame(encoder, route.link, target, route.compid, &key, now) {
            Ok(frame) => frame,
            Err(err) => {
                undo(links);
                return Err(err.into());
            }
        };
        if !handle.send(frame) {
            undo(links);
            return Err(SigningError::QueueFull {
                address: handle.address.clone(),
            });
        }
        let (installed, stored) = match self.ring.install(target, &key) {
            Ok(installed) => {
                let text = format!("stored in {}", installed.path.display());
                (Some(installed), Ok(text))
            }
            Err(source) => (None, Err(SigningError::NotStored { source })),
        };
        let mut setup = Setup {
            link: route.link,
            compid: route.compid,
            key,
            installed,
            sends: 1,
            next_at: now.plus(SETUP_RESEND_PERIOD),
            heard_previous_at_send: heard_previous(links, target),
            reply: Some(reply),
        };
        let fingerprint = setup.key.fingerprint();
        let text = match stored {
            Ok(stored) => format!(
                "vehicle {target}: SETUP_SIGNING sent on {} (key fingerprint {fingerprint}, {stored}); waiting for a frame signed with it",
                handle.address
            ),
            Err(err) => {
                // Told now; the change goes on, as the vehicle may have the key.
                if let Some(reply) = setup.reply.take() {
                    let _ = reply.try_send(Err(SigningSetupError::from(&err)));
                }
                format!("vehicle {target}: {err}")
            }
        };
        self.setups.insert(target, setup);
        Ok(text)
    }

    /// Moves the key changes under way on: confirmed when a link heard a frame signed with the
    /// new key (then only the new key is taken, and signs what goes to the vehicle), else
    /// SETUP_SIGNING is sent again, and after the last send and a wait, undone if the vehicle
    /// was heard still using its previous key, or left open (both keys taken) if it was not
    /// heard at all. Answers the setup's `reply` and returns what to tell the operator; also
    /// the waiting notices.
    pub fn poll(
        &mut self,
        links: &[LinkHandle],
        encoders: &mut [FrameEncoder],
        now: TimeUs,
    ) -> Vec<SetupOutcome> {
        let mut told: Vec<SetupOutcome> = self
            .notices
            .drain(..)
            .map(|text| (Severity::Warning, text))
            .collect();
        let targets: Vec<u8> = self.setups.keys().copied().collect();
        for target in targets {
            let confirmed = links
                .iter()
                .any(|l| l.key_change(target) == KeyChangeState::Confirmed);
            if confirmed {
                told.push(self.confirm(links, target));
                continue;
            }
            let Some(setup) = self.setups.get(&target) else {
                continue;
            };
            if setup.sends > SETUP_SENDS {
                // Given up while the vehicle was silent: heard again with its previous key, the
                // change is undone.
                if heard_previous(links, target) > setup.heard_previous_at_send {
                    told.push(self.give_up(links, target));
                }
                continue;
            }
            if now < setup.next_at {
                continue;
            }
            let (link, compid, key) = (setup.link, setup.compid, setup.key.clone());
            if setup.sends < SETUP_SENDS {
                let frame = encoders
                    .get_mut(usize::from(link.0))
                    .and_then(|e| self.setup_frame(e, link, target, compid, &key, now).ok());
                if let (Some(frame), Some(handle)) = (frame, links.get(usize::from(link.0))) {
                    // A full queue: the next send may pass.
                    handle.send(frame);
                }
                let heard = heard_previous(links, target);
                if let Some(setup) = self.setups.get_mut(&target) {
                    setup.sends += 1;
                    setup.next_at = now.plus(SETUP_RESEND_PERIOD);
                    setup.heard_previous_at_send = heard;
                }
                continue;
            }
            told.push(self.give_up(links, target));
        }
        told
    }

    /// A frame signed with the new key came: only it is taken and signs from now on.
    fn confirm(&mut self, links: &[LinkHandle], target: u8) -> SetupOutcome {
        let Some(mut setup) = self.setups.remove(&target) else {
            return (Severity::Notice, String::new());
        };
        for link in links.iter().filter(|l| !l.address.is_replay()) {
            let _ = link.end_key_change(target, true);
            // Where the vehicle was not heard yet, its first frame takes the key from there.
            if link.id == setup.link || self.seen.contains(&(link.id, target)) {
                self.keys.insert((link.id, target), setup.key.clone());
                self.seen.insert((link.id, target));
            }
        }
        let fingerprint = setup.key.fingerprint();
        self.announced.insert((setup.link, fingerprint.clone()));
        let address = links
            .get(usize::from(setup.link.0))
            .map(|l| l.address.to_string())
            .unwrap_or_default();
        let stored = match &setup.installed {
            Some(installed) => format!("stored in {}", installed.path.display()),
            None => "not stored: used for this session only".to_owned(),
        };
        let text = format!(
            "vehicle {target}: signing set up on {address} (key fingerprint {fingerprint}, {stored}); it signs with the new key"
        );
        if let Some(reply) = setup.reply.take() {
            let _ = reply.try_send(Ok(text.clone()));
        }
        (Severity::Notice, text)
    }

    /// No frame signed with the new key after the last SETUP_SIGNING and a wait.
    fn give_up(&mut self, links: &[LinkHandle], target: u8) -> SetupOutcome {
        let Some(setup) = self.setups.get_mut(&target) else {
            return (Severity::Notice, String::new());
        };
        let sends = SETUP_SENDS;
        let heard_after = heard_previous(links, target) > setup.heard_previous_at_send;
        let reply = setup.reply.take();
        let error = if heard_after {
            // Heard since the last send, still with the previous key: it did not take the new
            // one. Undone everywhere, on disk too, so that a restart checks the right key.
            let setup = self.setups.remove(&target);
            for link in links.iter().filter(|l| !l.address.is_replay()) {
                let _ = link.end_key_change(target, false);
            }
            let restored = match setup.as_ref().and_then(|s| s.installed.as_ref()) {
                Some(installed) => self.ring.restore(installed).map_err(SigningError::from),
                None => Ok(()),
            };
            SigningSetupError::NotTaken {
                sysid: target,
                sends,
                restore_failed: restored.err().map(|err| err.to_string()),
            }
        } else {
            // Not heard at all: it may have the key. Both stay taken (and the first frame
            // signed with the new key still confirms it); no more sends.
            setup.sends = SETUP_SENDS + 1;
            SigningSetupError::Silent {
                sysid: target,
                sends,
                secs: (SETUP_RESEND_PERIOD * SETUP_SENDS).as_secs(),
            }
        };
        if let Some(reply) = reply {
            let _ = reply.try_send(Err(error.clone()));
        }
        (Severity::Error, format!("signing setup failed: {error}"))
    }

    /// Writes the signing timestamp as it stands (done when the pipeline stops; the error
    /// names the file).
    pub fn save(&mut self) -> Result<(), SigningError> {
        if let (true, Some(file)) = (self.signed_any, &self.timestamps) {
            file.store(self.next)?;
            self.signed_any = false;
        }
        Ok(())
    }
}

/// Frames taken on the strength of `sysid`'s previous key during its key change, summed over
/// the links.
fn heard_previous(links: &[LinkHandle], sysid: u8) -> u64 {
    links
        .iter()
        .map(|l| match l.key_change(sysid) {
            KeyChangeState::Pending { heard_previous } => heard_previous,
            _ => 0,
        })
        .sum()
}

impl Drop for LinkSigning {
    fn drop(&mut self) {
        // The pipeline saves (and tells a failure) when it stops; this is for the other ways
        // out (a panic), where there is no one left to tell.
        let _ = self.save();
    }
}

impl SigningConfig {
    /// Takes one `--signing` argument: `POLICY` for every link (into `all`), `N=POLICY` for the
    /// N-th of `links` (counting from 1), or `ADDR=POLICY` for the link with that address.
    pub fn apply_policy_arg(
        &mut self,
        arg: &str,
        links: &[vigil_core::address::LinkAddress],
        all: &mut UnsignedPolicy,
    ) -> Result<(), String> {
        let Some((which, policy)) = arg.rsplit_once('=') else {
            *all = arg.parse()?;
            return Ok(());
        };
        let policy: UnsignedPolicy = policy.parse()?;
        let index = if let Ok(n) = which.parse::<usize>() {
            n.checked_sub(1)
                .filter(|&i| i < links.len())
                .ok_or_else(|| {
                    format!(
                        "--signing {arg}: there is no link {n} (links count from 1; {} given)",
                        links.len()
                    )
                })?
        } else {
            let address: vigil_core::address::LinkAddress = which
                .parse()
                .map_err(|err| format!("--signing {arg}: {which:?} is not a link: {err}"))?;
            links
                .iter()
                .position(|l| *l == address)
                .ok_or_else(|| format!("--signing {arg}: no --link {which}"))?
        };
        self.policies.insert(index, policy);
        Ok(())
    }

    /// Takes one `--key` argument: `FILE` (every system without a key of its own) or
    /// `SYSID=FILE` (one system), reading the key file (which must be private, 0600).
    pub fn apply_key_arg(&mut self, arg: &str) -> Result<(), String> {
        let (sysid, path) = match arg.split_once('=') {
            Some((sysid, path)) if sysid.parse::<u8>().is_ok() => (sysid.parse::<u8>().ok(), path),
            _ => (None, arg),
        };
        let key = vigil_link::keys::read_key_file(std::path::Path::new(path))
            .map_err(|err| format!("--key {arg}: {err}"))?;
        match sysid {
            Some(sysid) => {
                self.keys.insert(sysid, key);
            }
            None if self.default_key.is_some() => {
                return Err(format!(
                    "--key {arg}: only one key can be given for every system; give the others as SYSID=FILE"
                ));
            }
            None => self.default_key = Some(key),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
