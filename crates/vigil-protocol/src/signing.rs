//! MAVLink 2 message signing (<https://mavlink.io/en/guide/message_signing.html>): the secret
//! key (kept out of logs: its `Debug` shows a fingerprint only), the signature, a [`Signer`]
//! for what we send and a [`Verifier`] for what we receive, with the specification's replay
//! protection and a policy for unsigned frames.
//!
//! A signed frame carries 13 more bytes after its CRC: the link id, a 48-bit timestamp (10 µs
//! units since 2015-01-01 UTC) and the first 6 bytes of
//! `sha256(secret_key + header + payload + crc + link_id + timestamp)`, the header starting at
//! the 0xFD marker. Time is passed in, so the checks are deterministic under test.

// Long: MAVLink 2 signing in one place (signer, verifier, per-stream replay windows, key lookup and the unsigned policy), so that every check on a frame's authenticity can be read together; its tests are in signing/tests.rs.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::frame::{Frame, MavVersion};
use vigil_core::time::TimeUs;

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
mod tests;
