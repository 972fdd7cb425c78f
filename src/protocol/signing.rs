//! MAVLink 2 message signing (<https://mavlink.io/en/guide/message_signing.html>): the secret
//! key (kept out of logs: its `Debug` shows a fingerprint only), the signature, a [`Signer`]
//! for what we send and a [`Verifier`] for what we receive, with the specification's replay
//! protection and a policy for unsigned frames.
//!
//! A signed frame carries 13 more bytes after its CRC: the link id, a 48-bit timestamp (10 µs
//! units since 2015-01-01 UTC) and the first 6 bytes of
//! `sha256(secret_key + header + payload + crc + link_id + timestamp)`, the header starting at
//! the 0xFD marker. Time is passed in, so the checks are deterministic under test.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::frame::{Frame, MavVersion};
use crate::time::TimeUs;

/// Bytes of a secret key.
pub const KEY_LEN: usize = 32;
/// The signature block after the CRC: link id (1), timestamp (6), signature (6).
pub const SIGNATURE_BLOCK_LEN: usize = 13;
/// 2015-01-01T00:00:00Z, MAVLink's signing epoch, in microseconds since the UNIX epoch.
pub const SIGNING_EPOCH_UNIX_US: u64 = 1_420_070_400_000_000;
/// A stream not heard before is accepted only if its timestamp is at most this far behind
/// ours (one minute in 10 µs units, as pymavlink and the C library do).
pub const NEW_STREAM_WINDOW: u64 = 6_000_000;
/// Streams (system, component, link id) whose last timestamp is remembered; beyond this the
/// stalest is forgotten. Only senders holding the key create streams.
pub const MAX_STREAMS: usize = 256;
/// RADIO_STATUS: telemetry radios insert it unsigned, and the specification allows it.
pub const RADIO_STATUS_ID: u32 = 109;
const TIMESTAMP_MAX: u64 = (1 << 48) - 1;
/// A key lookup that failed (an unreadable key file) is tried again after this long: the
/// operator may fix the file's mode without restarting.
pub const LOOKUP_RETRY: std::time::Duration = std::time::Duration::from_secs(10);

/// A 32-byte signing key. Never printed: `Debug` shows its fingerprint; zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; KEY_LEN]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretKey(redacted, fingerprint {})", self.fingerprint())
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        for byte in &mut self.0 {
            // SAFETY: `byte` is a valid, aligned, exclusive reference into our own array.
            unsafe { std::ptr::write_volatile(byte, 0) };
        }
    }
}

/// A key that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("a signing key is 64 hexadecimal digits (32 bytes); found {0} characters")]
    Length(usize),
    #[error("a signing key is hexadecimal; found a character that is not")]
    NotHex,
    #[error("an all-zero key disables signing; it cannot sign")]
    Zero,
    /// The key of a system could not be looked up (its file is unreadable, exposed or not a
    /// key); `reason` names the file, never the key.
    #[error("the key of system {sysid} cannot be read: {reason}")]
    Unavailable { sysid: u8, reason: String },
}

impl SecretKey {
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Result<Self, KeyError> {
        if bytes.iter().all(|&b| b == 0) {
            return Err(KeyError::Zero);
        }
        Ok(Self(bytes))
    }

    /// A fresh random key from the operating system.
    pub fn generate() -> std::io::Result<Self> {
        use std::io::Read;
        let mut bytes = [0u8; KEY_LEN];
        std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
        Self::from_bytes(bytes).map_err(std::io::Error::other)
    }

    /// The key as MAVProxy derives it from a passphrase (`signing setup PASSPHRASE`):
    /// sha256 of the passphrase.
    pub fn from_passphrase(passphrase: &str) -> Self {
        Self(Sha256::digest(passphrase.as_bytes()).into())
    }

    /// Reads 64 hexadecimal digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.len() != 2 * KEY_LEN {
            return Err(KeyError::Length(text.len()));
        }
        let mut bytes = [0u8; KEY_LEN];
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            let digits = std::str::from_utf8(pair).map_err(|_| KeyError::NotHex)?;
            *byte = u8::from_str_radix(digits, 16).map_err(|_| KeyError::NotHex)?;
        }
        Self::from_bytes(bytes)
    }

    /// The key as 64 hexadecimal digits, for the key file only.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The raw key, for SETUP_SIGNING only.
    pub fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Eight hexadecimal digits of sha256(key): enough for an operator to tell keys apart,
    /// nothing about the key itself.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0);
        digest[..4].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The signing timestamp at a mission time: 10 µs units since 2015-01-01 (0 before it).
pub fn timestamp_at(time: TimeUs) -> u64 {
    (time.0.saturating_sub(SIGNING_EPOCH_UNIX_US) / 10).min(TIMESTAMP_MAX)
}

/// The 6-byte signature of `signed_part`: a frame from its 0xFD marker through the link id and
/// timestamp.
pub fn signature(key: &SecretKey, signed_part: &[u8]) -> [u8; 6] {
    let mut hash = Sha256::new();
    hash.update(key.0);
    hash.update(signed_part);
    let digest = hash.finalize();
    let mut out = [0u8; 6];
    out.copy_from_slice(&digest[..6]);
    out
}

/// Signs what one sender transmits on one link: the key, the link id, and a timestamp that
/// strictly increases from frame to frame.
#[derive(Debug, Clone)]
pub struct Signer {
    key: SecretKey,
    link_id: u8,
    /// The least timestamp the next frame may carry.
    next_timestamp: u64,
}

impl Signer {
    pub fn new(key: SecretKey, link_id: u8) -> Self {
        Self {
            key,
            link_id,
            next_timestamp: 0,
        }
    }

    /// Starts the timestamps at no less than `timestamp` (SETUP_SIGNING's initial timestamp,
    /// or one restored from disk).
    pub fn with_initial_timestamp(mut self, timestamp: u64) -> Self {
        self.next_timestamp = self.next_timestamp.max(timestamp.min(TIMESTAMP_MAX));
        self
    }

    /// Raises the least timestamp the next frame may carry (never lowers it).
    pub fn raise_timestamp(&mut self, timestamp: u64) {
        self.next_timestamp = self.next_timestamp.max(timestamp.min(TIMESTAMP_MAX));
    }

    /// The least timestamp the next frame may carry, whatever the clock says.
    pub fn next_timestamp(&self) -> u64 {
        self.next_timestamp
    }

    pub fn key(&self) -> &SecretKey {
        &self.key
    }

    pub fn link_id(&self) -> u8 {
        self.link_id
    }

    /// The timestamp the next frame will carry at `now` (no less than the clock's, and more
    /// than the last one).
    pub fn timestamp(&self, now: TimeUs) -> u64 {
        timestamp_at(now).max(self.next_timestamp)
    }

    /// Appends the signature block to `raw`, a MAVLink 2 frame whose incompatibility flags
    /// already say "signed" and whose CRC covers that.
    pub fn sign(&mut self, raw: &mut Vec<u8>, now: TimeUs) {
        let timestamp = self.timestamp(now);
        self.next_timestamp = timestamp + 1;
        raw.push(self.link_id);
        raw.extend_from_slice(&timestamp.to_le_bytes()[..6]);
        let sig = signature(&self.key, raw);
        raw.extend_from_slice(&sig);
    }
}

/// What to do with a frame that carries no signature, on a link that has a key, from a system
/// that has never signed. A system that has signed (on any link) never has its unsigned
/// frames taken, whatever the policy: MAVLink 1 cannot be signed, and taking it would let
/// anyone downgrade a signed vehicle (CVE-2020-10283).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnsignedPolicy {
    /// Take it as if it were signed.
    Accept,
    /// Take it, but count it and show the link as mixed.
    #[default]
    Flag,
    /// Drop it and count it (RADIO_STATUS, which radios insert, is still taken).
    Reject,
}

impl std::str::FromStr for UnsignedPolicy {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "accept" => Ok(Self::Accept),
            "flag" => Ok(Self::Flag),
            "reject" => Ok(Self::Reject),
            other => Err(format!(
                "unsigned policy is accept, flag or reject, not {other:?}"
            )),
        }
    }
}

impl UnsignedPolicy {
    pub fn label(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Flag => "flag",
            Self::Reject => "reject",
        }
    }
}

/// Why a frame was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The signature does not match the key (forged, or signed with another key).
    Forged,
    /// The timestamp is not newer than the last one of its stream, or a new stream starts too
    /// far in the past: a replay.
    Replayed,
    /// No signature (MAVLink 1, or MAVLink 2 unsigned), from a system that signs or by the
    /// link's policy.
    Unsigned,
    /// The frame could not be checked (the system's key file is unreadable, or the check's
    /// state is broken): refused rather than taken unchecked.
    Unverifiable,
}

/// What the verifier decided about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No key for this frame: nothing was checked.
    Unchecked,
    /// A valid, fresh signature.
    Signed,
    /// Unsigned but accepted; `flagged` when the policy asks to count it.
    Unsigned {
        flagged: bool,
    },
    Rejected(Rejection),
}

impl Verdict {
    pub fn accepted(self) -> bool {
        !matches!(self, Self::Rejected(_))
    }
}

/// Where a [`Verifier`] finds the key of a system it hears for the first time, and what all
/// the verifiers of a station know together. Implemented by `link::keys::KeyRing`.
pub trait KeySource: Send + Sync + std::fmt::Debug {
    /// The key of system `sysid` (`Ok(None)`: it has none); looked up anew on each call (it
    /// may read a file: call it without holding a verifier's lock, see
    /// [`Verifier::try_check`]). The error names the file, never the key.
    fn lookup(&self, sysid: u8) -> Result<Option<SecretKey>, KeyError>;
    /// Records that `sysid` sent a validly signed frame (on any link).
    fn mark_signing(&self, _sysid: u8) {}
    /// Whether `sysid` has sent a validly signed frame on any link.
    fn is_signing(&self, _sysid: u8) -> bool {
        false
    }
}

/// What the key lookup of a system found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup {
    Key(SecretKey),
    /// No key: its frames are not checked (unsigned ones follow the link's policy when the
    /// link has keys for others).
    NoKey,
    /// The key could not be read (the error names the file): its frames are refused, and the
    /// lookup is tried again from `retry_at` (after [`LOOKUP_RETRY`]).
    Failed {
        error: KeyError,
        retry_at: TimeUs,
    },
}

/// Frames of one system on one link, by what the verifier decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemCounts {
    pub signed: u64,
    pub forged: u64,
    pub replayed: u64,
    /// Unsigned frames refused (the system signs, or the policy rejects them).
    pub unsigned_refused: u64,
    /// Unsigned frames taken on a link with a key (policy `flag` or `accept`).
    pub unsigned_accepted: u64,
    /// Refused because its key could not be read.
    pub unverifiable: u64,
    /// Taken without a check (no key for it).
    pub unchecked: u64,
}

impl SystemCounts {
    /// Frames refused, for whatever reason.
    pub fn refused(&self) -> u64 {
        self.forged + self.replayed + self.unsigned_refused + self.unverifiable
    }

    fn count(&mut self, verdict: Verdict) {
        let counter = match verdict {
            Verdict::Unchecked => &mut self.unchecked,
            Verdict::Signed => &mut self.signed,
            Verdict::Unsigned { .. } => &mut self.unsigned_accepted,
            Verdict::Rejected(Rejection::Forged) => &mut self.forged,
            Verdict::Rejected(Rejection::Replayed) => &mut self.replayed,
            Verdict::Rejected(Rejection::Unsigned) => &mut self.unsigned_refused,
            Verdict::Rejected(Rejection::Unverifiable) => &mut self.unverifiable,
        };
        *counter += 1;
    }
}

/// The signing of one system as heard on one link, for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemSigning {
    pub sysid: u8,
    /// Fingerprint of the key its frames are checked against (`None`: no key, unchecked).
    pub fingerprint: Option<String>,
    /// Its key could not be read (names the file); its frames are refused.
    pub key_error: Option<String>,
    /// It has sent a validly signed frame here: its unsigned frames here are refused.
    pub signing: bool,
    pub counts: SystemCounts,
}

impl SystemSigning {
    /// "signed", "unsigned" (no key), "mixed" (key, unsigned taken), "refused" (key
    /// unreadable) or "expected" (a key, but nothing signed yet).
    pub fn label(&self) -> &'static str {
        match (&self.fingerprint, &self.key_error) {
            (_, Some(_)) => "refused",
            (None, None) => "unsigned",
            (Some(_), None) if self.counts.unsigned_accepted > 0 => "mixed",
            (Some(_), None) if self.signing => "signed",
            (Some(_), None) => "expected",
        }
    }
}

#[derive(Debug, Clone)]
struct SystemState {
    key: KeyLookup,
    /// A validly signed frame from it was heard on this link.
    signed_here: bool,
    counts: SystemCounts,
    /// A key change under way (SETUP_SIGNING sent, not yet confirmed by a frame signed with the
    /// new key, which is `key`).
    change: Option<KeyChange>,
}

impl SystemState {
    fn new(key: KeyLookup) -> Self {
        Self {
            key,
            signed_here: false,
            counts: SystemCounts::default(),
            change: None,
        }
    }
}

/// A system's key being changed on a link: until a frame signed with the new key comes, frames
/// signed with the previous key (or, if it had none, frames judged as they were before) are
/// still taken, so that a lost SETUP_SIGNING does not lock the station and the vehicle out of
/// each other.
#[derive(Debug, Clone)]
struct KeyChange {
    /// What the system's frames were checked against before.
    previous: KeyLookup,
    /// The system had been heard on this link before the change (else, undoing the change
    /// forgets it, and its key is looked up afresh).
    heard_before: bool,
    /// Frames taken on the strength of `previous` since the change began.
    heard_previous: u64,
    /// A frame signed with the new key came: `previous` is no longer taken.
    confirmed: bool,
}

/// Where a system's key change stands on one link (see [`Verifier::begin_key_change`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChangeState {
    /// No change under way.
    None,
    /// Waiting for a frame signed with the new key; `heard_previous` frames were taken on the
    /// strength of the previous key (or unsigned, if it had none) meanwhile.
    Pending { heard_previous: u64 },
    /// A frame signed with the new key came; the previous key is no longer taken.
    Confirmed,
}

/// Checks received frames with the specification's replay protection: per (system,
/// component, link id) stream the timestamps strictly increase, and a new stream must not
/// start more than [`NEW_STREAM_WINDOW`] behind the newest timestamp we know.
///
/// Each system is checked against its own key: looked up from the [`KeySource`] the first
/// time the system is heard (so that several signed vehicles share a link, and a vehicle
/// heard on a second link is checked there too), else the verifier's default key. Once a
/// system has signed (here or, through the source, on any link), its unsigned frames are
/// refused whatever the policy; RADIO_STATUS (message 109), which radios insert unsigned, is
/// the one exception.
#[derive(Clone, Default)]
pub struct Verifier {
    /// The key of every system without a key of its own (the simulator's drone: its key).
    default_key: Option<SecretKey>,
    source: Option<std::sync::Arc<dyn KeySource>>,
    policy: UnsignedPolicy,
    systems: BTreeMap<u8, SystemState>,
    streams: BTreeMap<(u8, u8, u8), u64>,
    /// The newest timestamp known: our clock's or an accepted frame's.
    timestamp: u64,
    /// Key lookups that failed since the last [`Verifier::take_notices`].
    notices: Vec<String>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("default_key", &self.default_key)
            .field("source", &self.source)
            .field("policy", &self.policy)
            .field("systems", &self.systems)
            .field("streams", &self.streams.len())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with one key for every system (`None`: no key, nothing is checked).
    pub fn new(key: Option<SecretKey>, policy: UnsignedPolicy) -> Self {
        Self {
            default_key: key,
            policy,
            ..Self::default()
        }
    }

    /// A verifier that looks each system's key up in `source`.
    pub fn with_source(source: std::sync::Arc<dyn KeySource>, policy: UnsignedPolicy) -> Self {
        Self {
            source: Some(source),
            policy,
            ..Self::default()
        }
    }

    /// The key of every system without one of its own.
    pub fn key(&self) -> Option<&SecretKey> {
        self.default_key.as_ref()
    }

    /// Sets (or removes) the key of every system without one of its own; the streams start
    /// afresh.
    pub fn set_key(&mut self, key: Option<SecretKey>) {
        self.default_key = key;
        self.streams.clear();
        self.systems
            .retain(|_, s| !matches!(s.key, KeyLookup::NoKey));
    }

    /// Sets (or removes) the key of one system; its streams start afresh. Any key change under
    /// way for it ends.
    pub fn set_system_key(&mut self, sysid: u8, key: Option<SecretKey>) {
        self.streams.retain(|(s, _, _), _| *s != sysid);
        let lookup = match key {
            Some(key) => KeyLookup::Key(key),
            None => KeyLookup::NoKey,
        };
        let state = self
            .systems
            .entry(sysid)
            .or_insert_with(|| SystemState::new(KeyLookup::NoKey));
        if lookup == KeyLookup::NoKey {
            state.signed_here = false;
        }
        state.key = lookup;
        state.change = None;
    }

    /// Starts changing the key of system `sysid` to `new` (SETUP_SIGNING was sent): from now on
    /// its frames verify with `new`, and, until one does, also with the key they were checked
    /// against before (or, if none, as they were judged before). `unheard_previous` is that
    /// key on a link the system was not heard on yet (what the key source gives for it).
    /// Replay protection carries on across the change: the streams are kept.
    pub fn begin_key_change(
        &mut self,
        sysid: u8,
        new: SecretKey,
        unheard_previous: Option<SecretKey>,
    ) {
        let heard_before = self.systems.contains_key(&sysid);
        let state = self.systems.entry(sysid).or_insert_with(|| {
            SystemState::new(match unheard_previous {
                Some(key) => KeyLookup::Key(key),
                None => KeyLookup::NoKey,
            })
        });
        // A change replacing one not yet confirmed keeps what was taken before either.
        let previous = match state.change.take() {
            Some(change) if !change.confirmed => change.previous,
            _ => std::mem::replace(&mut state.key, KeyLookup::NoKey),
        };
        state.key = KeyLookup::Key(new);
        state.change = Some(KeyChange {
            previous,
            heard_before,
            heard_previous: 0,
            confirmed: false,
        });
    }

    /// Where the key change of `sysid` stands here.
    pub fn key_change(&self, sysid: u8) -> KeyChangeState {
        match self.systems.get(&sysid).and_then(|s| s.change.as_ref()) {
            None => KeyChangeState::None,
            Some(change) if change.confirmed => KeyChangeState::Confirmed,
            Some(change) => KeyChangeState::Pending {
                heard_previous: change.heard_previous,
            },
        }
    }

    /// Ends the key change of `sysid`: with `keep`, only the new key is taken from now on;
    /// without, the change is undone (the previous key, or none, as before it began).
    pub fn end_key_change(&mut self, sysid: u8, keep: bool) {
        let Some(state) = self.systems.get_mut(&sysid) else {
            return;
        };
        let Some(change) = state.change.take() else {
            return;
        };
        if keep {
            return;
        }
        if change.heard_before {
            state.key = change.previous;
        } else {
            self.systems.remove(&sysid);
        }
    }

    /// The key system `sysid`'s frames are checked against, if it was heard (or given one).
    pub fn key_for(&self, sysid: u8) -> Option<&SecretKey> {
        match self.systems.get(&sysid).map(|s| &s.key) {
            Some(KeyLookup::Key(key)) => Some(key),
            Some(KeyLookup::Failed { .. }) => None,
            Some(KeyLookup::NoKey) | None => self.default_key.as_ref(),
        }
    }

    /// Whether any frame here is checked: a default key, or a system with a key.
    pub fn has_keys(&self) -> bool {
        self.default_key.is_some()
            || self
                .systems
                .values()
                .any(|s| matches!(s.key, KeyLookup::Key(_)))
    }

    /// The distinct keys of the systems heard here (and the default key), for signing what
    /// goes to all of them.
    pub fn keys(&self) -> Vec<&SecretKey> {
        let mut keys: Vec<&SecretKey> = Vec::new();
        let own = self.systems.values().filter_map(|s| match &s.key {
            KeyLookup::Key(key) => Some(key),
            _ => None,
        });
        for key in self.default_key.iter().chain(own) {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// Each system heard here: its key's fingerprint, whether it signs, what was refused.
    pub fn systems(&self) -> Vec<SystemSigning> {
        self.systems
            .iter()
            .map(|(&sysid, state)| SystemSigning {
                sysid,
                fingerprint: match &state.key {
                    KeyLookup::Key(key) => Some(key.fingerprint()),
                    KeyLookup::Failed { .. } => None,
                    KeyLookup::NoKey => self.default_key.as_ref().map(SecretKey::fingerprint),
                },
                key_error: match &state.key {
                    KeyLookup::Failed { error, .. } => Some(error.to_string()),
                    _ => None,
                },
                signing: state.signed_here,
                counts: state.counts,
            })
            .collect()
    }

    /// Key lookups that failed since the last call (each names the file).
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    pub fn policy(&self) -> UnsignedPolicy {
        self.policy
    }

    pub fn set_policy(&mut self, policy: UnsignedPolicy) {
        self.policy = policy;
    }

    /// Raises the newest known timestamp (SETUP_SIGNING's initial timestamp, say).
    pub fn raise_timestamp(&mut self, timestamp: u64) {
        self.timestamp = self.timestamp.max(timestamp);
    }

    /// Whether the key of `sysid` has to be looked up before its frame can be checked at
    /// `now`: it was never heard, or its last lookup failed [`LOOKUP_RETRY`] ago.
    fn lookup_due(&self, sysid: u8, now: TimeUs) -> bool {
        self.source.is_some()
            && match self.systems.get(&sysid).map(|s| &s.key) {
                None => true,
                Some(KeyLookup::Failed { retry_at, .. }) => now >= *retry_at,
                Some(_) => false,
            }
    }

    /// Takes the result of looking up the key of `sysid` at `now` (if it is still due): the
    /// key, none, or a failure (told once, tried again after [`LOOKUP_RETRY`]).
    pub fn provide_lookup(
        &mut self,
        sysid: u8,
        result: Result<Option<SecretKey>, KeyError>,
        now: TimeUs,
    ) {
        if !self.lookup_due(sysid, now) {
            return;
        }
        let key = match result {
            Ok(Some(key)) => KeyLookup::Key(key),
            Ok(None) => KeyLookup::NoKey,
            Err(error) => {
                let told = matches!(
                    self.systems.get(&sysid).map(|s| &s.key),
                    Some(KeyLookup::Failed { error: before, .. }) if *before == error
                );
                if !told {
                    self.notices
                        .push(format!("frames from system {sysid} are refused: {error}"));
                }
                KeyLookup::Failed {
                    error,
                    retry_at: now.plus(LOOKUP_RETRY),
                }
            }
        };
        self.systems
            .entry(sysid)
            .or_insert_with(|| SystemState::new(KeyLookup::NoKey))
            .key = key;
    }

    /// Decides about one received frame, unless the key of its system has to be looked up
    /// first: then returns the source to ask (without holding this verifier's lock, as a key
    /// lookup may read a file), to give the answer to [`Verifier::provide_lookup`] and then
    /// call [`Verifier::check`].
    pub fn try_check(
        &mut self,
        frame: &Frame,
        now: TimeUs,
    ) -> Result<Verdict, std::sync::Arc<dyn KeySource>> {
        if self.lookup_due(frame.sysid(), now)
            && let Some(source) = &self.source
        {
            return Err(source.clone());
        }
        Ok(self.check(frame, now))
    }

    /// Decides about one received frame at `now` (pass `TimeUs(0)` to rely on the
    /// timestamps seen only, as a system without a clock does). Looks the key of its system
    /// up first if due (see [`Verifier::try_check`] to do that without a lock held).
    pub fn check(&mut self, frame: &Frame, now: TimeUs) -> Verdict {
        let sysid = frame.sysid();
        // A system that is never heard by anyone with a key needs no state.
        if self.source.is_none() && self.default_key.is_none() && self.systems.is_empty() {
            return Verdict::Unchecked;
        }
        if self.lookup_due(sysid, now)
            && let Some(source) = self.source.clone()
        {
            self.provide_lookup(sysid, source.lookup(sysid), now);
        }
        let verdict = self.decide(frame, now);
        let state = self
            .systems
            .entry(sysid)
            .or_insert_with(|| SystemState::new(KeyLookup::NoKey));
        state.counts.count(verdict);
        if verdict == Verdict::Signed {
            state.signed_here = true;
            if let Some(source) = &self.source {
                source.mark_signing(sysid);
            }
        }
        verdict
    }

    /// A frame that cannot be checked against a key of its system (unsigned, or signed with a
    /// key we do not have) on a link that checks others: refused if the system signs,
    /// otherwise the link's policy decides. `keyed`: the link checks some frames.
    fn as_unsigned(&self, signs: bool, keyed: bool) -> Verdict {
        if signs {
            return Verdict::Rejected(Rejection::Unsigned);
        }
        if !keyed {
            return Verdict::Unchecked;
        }
        match self.policy {
            UnsignedPolicy::Accept => Verdict::Unsigned { flagged: false },
            UnsignedPolicy::Flag => Verdict::Unsigned { flagged: true },
            UnsignedPolicy::Reject => Verdict::Rejected(Rejection::Unsigned),
        }
    }

    fn decide(&mut self, frame: &Frame, now: TimeUs) -> Verdict {
        let sysid = frame.sysid();
        let signs_elsewhere = self.source.as_ref().is_some_and(|s| s.is_signing(sysid));
        // Whether the link checks frames of systems other than this one.
        let others_keyed = self.default_key.is_some()
            || self
                .systems
                .iter()
                .any(|(&id, s)| id != sysid && matches!(s.key, KeyLookup::Key(_)));
        let default_key = self.default_key.clone();
        let (key, previous, signs) = match self.systems.get(&sysid) {
            Some(state) => {
                let key = match &state.key {
                    KeyLookup::Key(key) => Some(key.clone()),
                    KeyLookup::NoKey => default_key.clone(),
                    KeyLookup::Failed { .. } => {
                        return Verdict::Rejected(Rejection::Unverifiable);
                    }
                };
                // During a key change: what was taken before, until the new key is heard.
                let previous = match &state.change {
                    Some(change) if !change.confirmed => Some(match &change.previous {
                        KeyLookup::Key(key) => Previous::Key(key.clone()),
                        KeyLookup::NoKey => {
                            default_key.clone().map_or(Previous::NoKey, Previous::Key)
                        }
                        KeyLookup::Failed { .. } => Previous::Refused,
                    }),
                    _ => None,
                };
                (key, previous, state.signed_here || signs_elsewhere)
            }
            // Never heard, and no key source: only the default key applies.
            None => (default_key, None, signs_elsewhere),
        };
        if !frame.is_signed() && frame.msgid() == RADIO_STATUS_ID {
            // Radios insert it unsigned; the specification allows it. Not counted as an
            // unsigned frame taken: the link is not "mixed" for it.
            return Verdict::Unchecked;
        }
        let Some(key) = key else {
            // Unsigned, or signed with a key we do not have: on a link that checks others, 13
            // bytes of anything must not get a frame past the policy.
            return self.as_unsigned(signs, others_keyed);
        };
        let from_no_key = matches!(previous, Some(Previous::NoKey));
        let verdict = if frame.is_signed() {
            let previous_key = match previous {
                Some(Previous::Key(old)) => Some(old),
                _ => None,
            };
            self.decide_signed(frame, now, key, previous_key)
        } else if from_no_key {
            Verdict::Rejected(Rejection::Unsigned)
        } else {
            // Unsigned from a system with a key: the link is keyed.
            self.as_unsigned(signs, true)
        };
        if from_no_key
            && matches!(
                verdict,
                Verdict::Rejected(Rejection::Forged | Rejection::Unsigned)
            )
        {
            // Before the change the system had no key: what the new key does not verify is
            // judged as it was then.
            let verdict = self.as_unsigned(signs, others_keyed);
            self.note_previous(sysid, verdict);
            return verdict;
        }
        verdict
    }

    /// Counts a frame taken on the strength of a system's previous key during a key change.
    fn note_previous(&mut self, sysid: u8, verdict: Verdict) {
        if verdict.accepted()
            && let Some(change) = self.systems.get_mut(&sysid).and_then(|s| s.change.as_mut())
        {
            change.heard_previous += 1;
        }
    }

    /// Checks a signed frame against `key` (then `previous`, during a key change) and its
    /// stream's timestamps.
    fn decide_signed(
        &mut self,
        frame: &Frame,
        now: TimeUs,
        key: SecretKey,
        previous: Option<SecretKey>,
    ) -> Verdict {
        let sysid = frame.sysid();
        let raw = frame.raw();
        let Some(block_at) = raw.len().checked_sub(SIGNATURE_BLOCK_LEN) else {
            return Verdict::Rejected(Rejection::Forged);
        };
        let (signed_part, wire_sig) = raw.split_at(block_at + 7);
        let with_new = signature(&key, signed_part) == wire_sig;
        let with_previous =
            !with_new && previous.is_some_and(|old| signature(&old, signed_part) == wire_sig);
        if !with_new && !with_previous {
            return Verdict::Rejected(Rejection::Forged);
        }
        let link_id = raw[block_at];
        let mut ts_bytes = [0u8; 8];
        ts_bytes[..6].copy_from_slice(&raw[block_at + 1..block_at + 7]);
        let timestamp = u64::from_le_bytes(ts_bytes);
        let stream = (sysid, frame.compid(), link_id);
        self.timestamp = self.timestamp.max(timestamp_at(now));
        match self.streams.get(&stream) {
            Some(&last) if timestamp <= last => return Verdict::Rejected(Rejection::Replayed),
            Some(_) => {}
            None => {
                if timestamp + NEW_STREAM_WINDOW < self.timestamp {
                    return Verdict::Rejected(Rejection::Replayed);
                }
                if self.streams.len() >= MAX_STREAMS
                    && let Some(stalest) = self
                        .streams
                        .iter()
                        .min_by_key(|(_, ts)| **ts)
                        .map(|(k, _)| *k)
                {
                    self.streams.remove(&stalest);
                }
            }
        }
        self.streams.insert(stream, timestamp);
        self.timestamp = self.timestamp.max(timestamp);
        if let Some(change) = self.systems.get_mut(&sysid).and_then(|s| s.change.as_mut()) {
            if with_new {
                change.confirmed = true;
            } else {
                change.heard_previous += 1;
            }
        }
        Verdict::Signed
    }
}

/// What a system's frames were checked against before a key change.
enum Previous {
    Key(SecretKey),
    /// No key: its frames were judged as unsigned ones.
    NoKey,
    /// Its key could not be read: only the new key is taken.
    Refused,
}

/// True for frames that must never be recorded or shown: SETUP_SIGNING carries a key.
pub fn carries_key(frame: &Frame) -> bool {
    frame.version() == MavVersion::V2 && frame.msgid() == SETUP_SIGNING_ID
}

/// SETUP_SIGNING's message id.
pub const SETUP_SIGNING_ID: u32 = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{FrameEncoder, FrameParser, MavMessage, mav};

    const NOW: TimeUs = TimeUs(1_763_856_000_000_000); // 2025-11-23

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_bytes([byte; KEY_LEN]).expect("non-zero")
    }

    fn heartbeat() -> MavMessage {
        MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA::default())
    }

    fn parse(raw: &[u8]) -> Frame {
        let mut parser = FrameParser::new();
        parser.push(raw);
        parser.next_frame().expect("a frame").expect("valid")
    }

    fn signed(encoder: &mut FrameEncoder, signer: &mut Signer, now: TimeUs) -> Frame {
        let frame = encoder
            .encode_signed(&heartbeat(), signer, now)
            .expect("encodes");
        parse(frame.raw())
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = key(0xAB);
        let text = format!(
            "{:?} {:?} {:?}",
            key,
            Signer::new(key.clone(), 1),
            Verifier::new(Some(key.clone()), UnsignedPolicy::Reject)
        );
        assert!(!text.to_lowercase().contains("abab"), "{text}");
        assert!(text.contains(&key.fingerprint()));
    }

    #[test]
    fn timestamps_count_10_us_since_2015() {
        assert_eq!(
            timestamp_at(TimeUs(SIGNING_EPOCH_UNIX_US + 1_000_000)),
            100_000
        );
        assert_eq!(timestamp_at(TimeUs(0)), 0);
    }

    #[test]
    fn hex_round_trips_and_bad_keys_are_named() {
        let key = key(0x5A);
        assert_eq!(SecretKey::from_hex(&key.to_hex()), Ok(key));
        assert_eq!(SecretKey::from_hex("abc"), Err(KeyError::Length(3)));
        assert_eq!(SecretKey::from_hex(&"zz".repeat(32)), Err(KeyError::NotHex));
        assert_eq!(SecretKey::from_hex(&"00".repeat(32)), Err(KeyError::Zero));
    }

    #[test]
    fn a_signed_frame_verifies_once_and_its_replay_is_refused() {
        let mut encoder = FrameEncoder::new(1, 1);
        let mut signer = Signer::new(key(7), 3);
        let frame = signed(&mut encoder, &mut signer, NOW);
        assert!(frame.is_signed());
        let mut verifier = Verifier::new(Some(key(7)), UnsignedPolicy::Reject);
        assert_eq!(verifier.check(&frame, NOW), Verdict::Signed);
        assert_eq!(
            verifier.check(&frame, NOW),
            Verdict::Rejected(Rejection::Replayed)
        );
        // The next frame, even at the same clock reading, carries a later timestamp.
        let next = signed(&mut encoder, &mut signer, NOW);
        assert_eq!(verifier.check(&next, NOW), Verdict::Signed);
    }

    #[test]
    fn another_key_or_a_changed_byte_is_a_forgery() {
        let mut encoder = FrameEncoder::new(1, 1);
        let mut signer = Signer::new(key(7), 0);
        let frame = signed(&mut encoder, &mut signer, NOW);
        let mut other = Verifier::new(Some(key(8)), UnsignedPolicy::Reject);
        assert_eq!(
            other.check(&frame, NOW),
            Verdict::Rejected(Rejection::Forged)
        );
        // A changed timestamp (to get past replay protection) breaks the signature.
        let mut raw = frame.raw().to_vec();
        let at = raw.len() - 12;
        raw[at] = raw[at].wrapping_add(1);
        let tampered = parse(&raw);
        let mut verifier = Verifier::new(Some(key(7)), UnsignedPolicy::Reject);
        assert_eq!(
            verifier.check(&tampered, NOW),
            Verdict::Rejected(Rejection::Forged)
        );
    }

    #[test]
    fn a_new_stream_far_in_the_past_is_a_replay() {
        let mut encoder = FrameEncoder::new(1, 1);
        let mut signer = Signer::new(key(7), 0);
        let old = signed(&mut encoder, &mut signer, NOW);
        let mut verifier = Verifier::new(Some(key(7)), UnsignedPolicy::Reject);
        let later = NOW.plus(std::time::Duration::from_secs(61));
        assert_eq!(
            verifier.check(&old, later),
            Verdict::Rejected(Rejection::Replayed)
        );
        let mut fresh = FrameEncoder::new(1, 1);
        let mut signer = Signer::new(key(7), 0);
        let recent = signed(
            &mut fresh,
            &mut signer,
            NOW.plus(std::time::Duration::from_secs(2)),
        );
        assert_eq!(verifier.check(&recent, later), Verdict::Signed);
    }

    #[test]
    fn streams_are_kept_apart_by_link_id() {
        let mut verifier = Verifier::new(Some(key(7)), UnsignedPolicy::Reject);
        let mut encoder = FrameEncoder::new(1, 1);
        let mut late_link = Signer::new(key(7), 1).with_initial_timestamp(timestamp_at(NOW) + 50);
        let mut early_link = Signer::new(key(7), 2);
        let a = signed(&mut encoder, &mut late_link, NOW);
        let b = signed(&mut encoder, &mut early_link, NOW);
        assert_eq!(verifier.check(&a, NOW), Verdict::Signed);
        // Older than link 1's last, but another stream: accepted.
        assert_eq!(verifier.check(&b, NOW), Verdict::Signed);
    }

    #[test]
    fn unsigned_frames_follow_the_policy_and_radio_status_passes() {
        let mut encoder = FrameEncoder::new(1, 1);
        let plain = parse(
            encoder
                .encode(&heartbeat(), MavVersion::V2)
                .expect("encodes")
                .raw(),
        );
        let radio = parse(
            encoder
                .encode(
                    &MavMessage::RADIO_STATUS(mav::RADIO_STATUS_DATA::default()),
                    MavVersion::V1,
                )
                .expect("encodes")
                .raw(),
        );
        let mut none = Verifier::default();
        assert_eq!(none.check(&plain, NOW), Verdict::Unchecked);
        let mut verifier = Verifier::new(Some(key(1)), UnsignedPolicy::Accept);
        assert_eq!(
            verifier.check(&plain, NOW),
            Verdict::Unsigned { flagged: false }
        );
        verifier.set_policy(UnsignedPolicy::Flag);
        assert_eq!(
            verifier.check(&plain, NOW),
            Verdict::Unsigned { flagged: true }
        );
        verifier.set_policy(UnsignedPolicy::Reject);
        assert_eq!(
            verifier.check(&plain, NOW),
            Verdict::Rejected(Rejection::Unsigned)
        );
        assert_eq!(verifier.check(&radio, NOW), Verdict::Unchecked);
    }

    /// Keys by system, counting lookups, sharing who signs.
    #[derive(Debug, Default)]
    struct Book {
        keys: std::sync::Mutex<BTreeMap<u8, Result<SecretKey, KeyError>>>,
        lookups: std::sync::Mutex<Vec<u8>>,
        signing: std::sync::Mutex<std::collections::BTreeSet<u8>>,
    }

    impl KeySource for Book {
        fn lookup(&self, sysid: u8) -> Result<Option<SecretKey>, KeyError> {
            self.lookups.lock().expect("lock").push(sysid);
            self.keys
                .lock()
                .expect("lock")
                .get(&sysid)
                .cloned()
                .transpose()
        }
        fn mark_signing(&self, sysid: u8) {
            self.signing.lock().expect("lock").insert(sysid);
        }
        fn is_signing(&self, sysid: u8) -> bool {
            self.signing.lock().expect("lock").contains(&sysid)
        }
    }

    fn book(keys: &[(u8, Result<SecretKey, KeyError>)]) -> std::sync::Arc<Book> {
        std::sync::Arc::new(Book {
            keys: std::sync::Mutex::new(keys.iter().cloned().collect()),
            ..Book::default()
        })
    }

    fn unreadable(sysid: u8) -> KeyError {
        KeyError::Unavailable {
            sysid,
            reason: format!("signing key /k/system-{sysid}.key can be read by others"),
        }
    }

    fn signed_by(sysid: u8, key: SecretKey, at: TimeUs) -> Frame {
        let mut encoder = FrameEncoder::new(sysid, 1);
        let mut signer = Signer::new(key, 0).with_initial_timestamp(timestamp_at(at));
        signed(&mut encoder, &mut signer, at)
    }

    fn plain(sysid: u8, version: MavVersion) -> Frame {
        let mut encoder = FrameEncoder::new(sysid, 1);
        parse(
            encoder
                .encode(&heartbeat(), version)
                .expect("encodes")
                .raw(),
        )
    }

    #[test]
    fn two_systems_on_one_link_are_each_checked_with_their_own_key() {
        let source = book(&[(1, Ok(key(1))), (2, Ok(key(2)))]);
        let mut verifier = Verifier::with_source(source.clone(), UnsignedPolicy::Reject);
        assert_eq!(
            verifier.check(&signed_by(1, key(1), NOW), NOW),
            Verdict::Signed
        );
        assert_eq!(
            verifier.check(&signed_by(2, key(2), NOW), NOW),
            Verdict::Signed
        );
        // System 1's identity with system 2's key: forged.
        let later = NOW.plus(std::time::Duration::from_millis(5));
        assert_eq!(
            verifier.check(&signed_by(1, key(2), later), later),
            Verdict::Rejected(Rejection::Forged)
        );
        assert_eq!(*source.lookups.lock().expect("lock"), vec![1, 2]);
        let systems = verifier.systems();
        assert_eq!(systems.len(), 2);
        assert_eq!(systems[0].fingerprint, Some(key(1).fingerprint()));
        assert_eq!(systems[0].counts.signed, 1);
        assert_eq!(systems[0].counts.forged, 1);
        assert_eq!(systems[0].counts.refused(), 1);
        assert_eq!(systems[1].fingerprint, Some(key(2).fingerprint()));
        assert!(systems[1].signing);
        assert_eq!(systems[1].label(), "signed");
        assert_eq!(verifier.keys().len(), 2);
    }

    #[test]
    fn a_system_heard_on_a_second_link_is_looked_up_and_checked_there() {
        let source = book(&[(1, Ok(key(1)))]);
        let mut first = Verifier::with_source(source.clone(), UnsignedPolicy::Flag);
        assert_eq!(
            first.check(&signed_by(1, key(1), NOW), NOW),
            Verdict::Signed
        );
        let mut second = Verifier::with_source(source.clone(), UnsignedPolicy::Flag);
        assert_eq!(
            second.check(&signed_by(1, key(9), NOW), NOW),
            Verdict::Rejected(Rejection::Forged)
        );
        // It signs on the first link: its unsigned frames are refused on the second too,
        // although that link's policy would flag them.
        assert_eq!(
            second.check(&plain(1, MavVersion::V2), NOW),
            Verdict::Rejected(Rejection::Unsigned)
        );
        assert_eq!(*source.lookups.lock().expect("lock"), vec![1, 1]);
    }

    #[test]
    fn once_a_system_signs_its_unsigned_and_mavlink_1_frames_are_refused_whatever_the_policy() {
        for policy in [
            UnsignedPolicy::Accept,
            UnsignedPolicy::Flag,
            UnsignedPolicy::Reject,
        ] {
            let source = book(&[(1, Ok(key(1)))]);
            let mut verifier = Verifier::with_source(source, policy);
            // Before it signs, the policy decides.
            let before = verifier.check(&plain(1, MavVersion::V1), NOW);
            assert_eq!(
                before.accepted(),
                policy != UnsignedPolicy::Reject,
                "{policy:?}"
            );
            assert_eq!(
                verifier.check(&signed_by(1, key(1), NOW), NOW),
                Verdict::Signed
            );
            for version in [MavVersion::V1, MavVersion::V2] {
                assert_eq!(
                    verifier.check(&plain(1, version), NOW),
                    Verdict::Rejected(Rejection::Unsigned),
                    "{policy:?} {version:?}"
                );
            }
            // The radio's RADIO_STATUS still passes, v1 and unsigned, from the radio's ids.
            let mut radio = FrameEncoder::new(51, 68);
            let status = radio
                .encode(
                    &MavMessage::RADIO_STATUS(mav::RADIO_STATUS_DATA::default()),
                    MavVersion::V1,
                )
                .expect("encodes");
            assert!(verifier.check(&parse(status.raw()), NOW).accepted());
            // A system without a key and that never signed follows the policy.
            let other = verifier.check(&plain(7, MavVersion::V2), NOW);
            assert_eq!(other.accepted(), policy != UnsignedPolicy::Reject);
            let systems = verifier.systems();
            let one = systems.iter().find(|s| s.sysid == 1).expect("system 1");
            let before = u64::from(policy == UnsignedPolicy::Reject);
            assert_eq!(one.counts.unsigned_refused, 2 + before);
        }
    }

    #[test]
    fn an_unreadable_key_refuses_its_system_and_says_so() {
        let source = book(&[(3, Err(unreadable(3)))]);
        let mut verifier = Verifier::with_source(source, UnsignedPolicy::Accept);
        assert_eq!(
            verifier.check(&plain(3, MavVersion::V2), NOW),
            Verdict::Rejected(Rejection::Unverifiable)
        );
        assert_eq!(
            verifier.check(&signed_by(3, key(3), NOW), NOW),
            Verdict::Rejected(Rejection::Unverifiable)
        );
        let notices = verifier.take_notices();
        assert_eq!(notices.len(), 1, "told once: {notices:?}");
        assert!(notices[0].contains("system-3.key"));
        assert_eq!(verifier.systems()[0].label(), "refused");
        // No key at all for others: nothing to check.
        assert_eq!(
            verifier.check(&plain(4, MavVersion::V2), NOW),
            Verdict::Unchecked
        );
    }

    #[test]
    fn a_key_set_for_one_system_leaves_the_others_alone() {
        let mut verifier = Verifier::new(None, UnsignedPolicy::Flag);
        assert_eq!(
            verifier.check(&plain(1, MavVersion::V2), NOW),
            Verdict::Unchecked
        );
        verifier.set_system_key(2, Some(key(2)));
        assert_eq!(verifier.key_for(2), Some(&key(2)));
        assert_eq!(verifier.key_for(1), None);
        assert_eq!(
            verifier.check(&signed_by(2, key(2), NOW), NOW),
            Verdict::Signed
        );
        // Now that the link has a key, system 1's unsigned frames are flagged.
        assert_eq!(
            verifier.check(&plain(1, MavVersion::V2), NOW),
            Verdict::Unsigned { flagged: true }
        );
        verifier.set_system_key(2, None);
        assert!(!verifier.has_keys());
    }

    /// A frame with 13 bytes of garbage for a signature.
    fn garbage_signed(sysid: u8) -> Frame {
        let mut raw = signed_by(sysid, key(0x77), NOW).raw().to_vec();
        let at = raw.len() - 6;
        for byte in &mut raw[at..] {
            *byte ^= 0x5A;
        }
        parse(&raw)
    }

    #[test]
    fn a_signed_frame_from_a_system_without_a_key_is_judged_as_an_unsigned_one() {
        for (policy, expected) in [
            (
                UnsignedPolicy::Reject,
                Verdict::Rejected(Rejection::Unsigned),
            ),
            (UnsignedPolicy::Flag, Verdict::Unsigned { flagged: true }),
            (UnsignedPolicy::Accept, Verdict::Unsigned { flagged: false }),
        ] {
            // The link has a key for system 1; system 9 has none.
            let source = book(&[(1, Ok(key(1)))]);
            let mut verifier = Verifier::with_source(source, policy);
            assert_eq!(
                verifier.check(&signed_by(1, key(1), NOW), NOW),
                Verdict::Signed
            );
            assert_eq!(
                verifier.check(&garbage_signed(9), NOW),
                expected,
                "{policy:?}"
            );
            let systems = verifier.systems();
            let nine = systems.iter().find(|s| s.sysid == 9).expect("system 9");
            assert_eq!(
                nine.counts.refused(),
                u64::from(policy == UnsignedPolicy::Reject),
                "counted"
            );
        }
        // With a default key for every system, a signed frame is checked against it.
        let mut verifier = Verifier::new(Some(key(1)), UnsignedPolicy::Reject);
        assert_eq!(
            verifier.check(&garbage_signed(9), NOW),
            Verdict::Rejected(Rejection::Forged)
        );
        // A link with no key at all checks nothing.
        let mut verifier = Verifier::with_source(book(&[]), UnsignedPolicy::Reject);
        assert_eq!(verifier.check(&garbage_signed(9), NOW), Verdict::Unchecked);
    }

    #[test]
    fn during_a_key_change_the_previous_key_is_taken_until_the_new_one_is_heard() {
        let source = book(&[(1, Ok(key(1)))]);
        let mut verifier = Verifier::with_source(source, UnsignedPolicy::Reject);
        let mut at = NOW;
        let mut tick = || {
            at = at.plus(std::time::Duration::from_millis(10));
            at
        };
        let t = tick();
        assert_eq!(verifier.check(&signed_by(1, key(1), t), t), Verdict::Signed);
        verifier.begin_key_change(1, key(2), None);
        assert_eq!(
            verifier.key_change(1),
            KeyChangeState::Pending { heard_previous: 0 }
        );
        // The vehicle did not get SETUP_SIGNING yet: its old key still works.
        let t = tick();
        assert_eq!(verifier.check(&signed_by(1, key(1), t), t), Verdict::Signed);
        assert_eq!(
            verifier.key_change(1),
            KeyChangeState::Pending { heard_previous: 1 }
        );
        // Neither key: forged. Unsigned: refused (it signs).
        let t = tick();
        assert_eq!(
            verifier.check(&signed_by(1, key(3), t), t),
            Verdict::Rejected(Rejection::Forged)
        );
        assert_eq!(
            verifier.check(&plain(1, MavVersion::V2), t),
            Verdict::Rejected(Rejection::Unsigned)
        );
        // The new key: confirmed, and the old one is no longer taken.
        let t = tick();
        assert_eq!(verifier.check(&signed_by(1, key(2), t), t), Verdict::Signed);
        assert_eq!(verifier.key_change(1), KeyChangeState::Confirmed);
        let t = tick();
        assert_eq!(
            verifier.check(&signed_by(1, key(1), t), t),
            Verdict::Rejected(Rejection::Forged)
        );
        verifier.end_key_change(1, true);
        assert_eq!(verifier.key_change(1), KeyChangeState::None);
        assert_eq!(verifier.key_for(1), Some(&key(2)));
        // Undone: the previous key again.
        verifier.begin_key_change(1, key(4), None);
        verifier.end_key_change(1, false);
        assert_eq!(verifier.key_for(1), Some(&key(2)));
    }

    #[test]
    fn a_key_change_from_no_key_takes_frames_as_before_until_the_new_key_is_heard() {
        // Another system's key makes the link keyed; policy Flag takes unsigned frames.
        let source = book(&[(2, Ok(key(2)))]);
        let mut verifier = Verifier::with_source(source, UnsignedPolicy::Flag);
        assert_eq!(
            verifier.check(&signed_by(2, key(2), NOW), NOW),
            Verdict::Signed
        );
        assert_eq!(
            verifier.check(&plain(1, MavVersion::V2), NOW),
            Verdict::Unsigned { flagged: true }
        );
        verifier.begin_key_change(1, key(1), None);
        assert_eq!(
            verifier.check(&plain(1, MavVersion::V2), NOW),
            Verdict::Unsigned { flagged: true }
        );
        assert_eq!(
            verifier.key_change(1),
            KeyChangeState::Pending { heard_previous: 1 }
        );
        assert_eq!(
            verifier.check(&signed_by(1, key(1), NOW), NOW),
            Verdict::Signed
        );
        assert_eq!(verifier.key_change(1), KeyChangeState::Confirmed);
        // Now it signs: unsigned frames are refused.
        assert_eq!(
            verifier.check(&plain(1, MavVersion::V2), NOW),
            Verdict::Rejected(Rejection::Unsigned)
        );
        // A system unheard here before the change is forgotten when it is undone.
        verifier.begin_key_change(5, key(5), Some(key(6)));
        assert_eq!(verifier.key_for(5), Some(&key(5)));
        verifier.end_key_change(5, false);
        assert!(verifier.systems().iter().all(|s| s.sysid != 5));
    }

    #[test]
    fn a_failed_key_lookup_is_tried_again_after_a_while_and_off_the_lock() {
        let source = book(&[(3, Err(unreadable(3)))]);
        let mut verifier = Verifier::with_source(source.clone(), UnsignedPolicy::Reject);
        let frame = signed_by(3, key(3), NOW);
        // The lookup is left to the caller, to do without the verifier's lock held.
        let Err(asked) = verifier.try_check(&frame, NOW) else {
            panic!("a lookup is due");
        };
        verifier.provide_lookup(3, asked.lookup(3), NOW);
        assert_eq!(
            verifier.try_check(&frame, NOW).ok(),
            Some(Verdict::Rejected(Rejection::Unverifiable))
        );
        assert_eq!(verifier.take_notices().len(), 1);
        // Not again before LOOKUP_RETRY; still failing after it: not told twice.
        let soon = NOW.plus(std::time::Duration::from_secs(1));
        assert!(verifier.try_check(&frame, soon).is_ok());
        let later = NOW.plus(LOOKUP_RETRY);
        assert_eq!(
            verifier.check(&frame, later),
            Verdict::Rejected(Rejection::Unverifiable)
        );
        assert!(verifier.take_notices().is_empty());
        assert_eq!(*source.lookups.lock().expect("lock"), vec![3, 3]);
        // The file is fixed: the next retry finds the key.
        source.keys.lock().expect("lock").insert(3, Ok(key(3)));
        let fixed = later.plus(LOOKUP_RETRY);
        let frame = signed_by(3, key(3), fixed);
        assert_eq!(verifier.check(&frame, fixed), Verdict::Signed);
        assert_eq!(verifier.systems()[0].counts.unverifiable, 3);
    }

    #[test]
    fn the_signature_matches_a_pymavlink_vector() {
        // pymavlink 2.4.50: MAVLink(None, 1, 1) with setup_signing(bytes(range(32)), True,
        // None, 1000, 2); heartbeat_encode(2, 3, 81, 4, 4, 3).pack(mav), seq 0: the first frame
        // carries the initial timestamp.
        let key = SecretKey::from_bytes(std::array::from_fn(|i| i as u8)).expect("non-zero");
        let mut signer = Signer::new(key, 2).with_initial_timestamp(1000);
        let mut encoder = FrameEncoder::new(1, 1);
        let message = MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            custom_mode: 4,
            mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
            autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
            base_mode: mav::MavModeFlag::from_bits_truncate(81),
            system_status: mav::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        });
        let frame = encoder
            .encode_signed(&message, &mut signer, TimeUs(0))
            .expect("encodes");
        let expected = include_str!("testdata/pymavlink_signed_heartbeat.hex").trim();
        let hex: String = frame.raw().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }
}
