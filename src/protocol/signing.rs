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
const RADIO_STATUS_ID: u32 = 109;
const TIMESTAMP_MAX: u64 = (1 << 48) - 1;

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

/// What to do with a frame that carries no signature on a link that has a key.
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
    /// No signature, and the link's policy rejects unsigned frames.
    Unsigned,
}

/// What the verifier decided about one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No key on this link: nothing was checked.
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

/// Checks received frames against a link's key, with the specification's replay protection:
/// per (system, component, link id) stream the timestamps strictly increase, and a new stream
/// must not start more than [`NEW_STREAM_WINDOW`] behind the newest timestamp we know.
#[derive(Debug, Clone, Default)]
pub struct Verifier {
    key: Option<SecretKey>,
    policy: UnsignedPolicy,
    streams: BTreeMap<(u8, u8, u8), u64>,
    /// The newest timestamp known: our clock's or an accepted frame's.
    timestamp: u64,
}

impl Verifier {
    pub fn new(key: Option<SecretKey>, policy: UnsignedPolicy) -> Self {
        Self {
            key,
            policy,
            ..Self::default()
        }
    }

    pub fn key(&self) -> Option<&SecretKey> {
        self.key.as_ref()
    }

    /// Sets (or removes) the key; the streams start afresh.
    pub fn set_key(&mut self, key: Option<SecretKey>) {
        self.key = key;
        self.streams.clear();
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

    /// Decides about one received frame at `now` (pass `TimeUs(0)` to rely on the
    /// timestamps seen only, as a system without a clock does).
    pub fn check(&mut self, frame: &Frame, now: TimeUs) -> Verdict {
        let Some(key) = &self.key else {
            return Verdict::Unchecked;
        };
        if !frame.is_signed() {
            return match self.policy {
                _ if frame.msgid() == RADIO_STATUS_ID => Verdict::Unsigned { flagged: false },
                UnsignedPolicy::Accept => Verdict::Unsigned { flagged: false },
                UnsignedPolicy::Flag => Verdict::Unsigned { flagged: true },
                UnsignedPolicy::Reject => Verdict::Rejected(Rejection::Unsigned),
            };
        }
        let raw = frame.raw();
        let Some(block_at) = raw.len().checked_sub(SIGNATURE_BLOCK_LEN) else {
            return Verdict::Rejected(Rejection::Forged);
        };
        let (signed_part, wire_sig) = raw.split_at(block_at + 7);
        if signature(key, signed_part) != wire_sig {
            return Verdict::Rejected(Rejection::Forged);
        }
        let link_id = raw[block_at];
        let mut ts_bytes = [0u8; 8];
        ts_bytes[..6].copy_from_slice(&raw[block_at + 1..block_at + 7]);
        let timestamp = u64::from_le_bytes(ts_bytes);
        let stream = (frame.sysid(), frame.compid(), link_id);
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
        Verdict::Signed
    }
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
        assert_eq!(
            verifier.check(&radio, NOW),
            Verdict::Unsigned { flagged: false }
        );
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
