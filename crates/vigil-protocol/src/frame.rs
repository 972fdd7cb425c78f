//! MAVLink v1 and v2 framing: a streaming parser that finds frames in a byte stream, checks
//! their CRC with the dialect's CRC_EXTRA, and keeps each frame's exact bytes; and an encoder
//! for the frames the ground station sends.
//!
//! The parser resynchronises byte by byte after garbage, so a corrupted frame never hides the
//! valid frame behind it. It never panics on input and never holds more than one maximum-size
//! frame of unconsumed bytes beyond what it was given.

use mavlink_core::{MavlinkVersion, Message};

use super::MavMessage;
use super::signing::Signer;
use vigil_core::time::TimeUs;

const STX_V1: u8 = 0xFE;
const STX_V2: u8 = 0xFD;
const V1_HEADER_LEN: usize = 6;
const V2_HEADER_LEN: usize = 10;
const CRC_LEN: usize = 2;
const SIGNATURE_LEN: usize = 13;
const IFLAG_SIGNED: u8 = 0x01;
/// The largest frame on the wire: a signed v2 frame with a full payload.
pub const MAX_FRAME_LEN: usize = V2_HEADER_LEN + 255 + CRC_LEN + SIGNATURE_LEN;

/// Which MAVLink framing a frame uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MavVersion {
    V1,
    V2,
}

impl From<MavVersion> for MavlinkVersion {
    fn from(version: MavVersion) -> Self {
        match version {
            MavVersion::V1 => Self::V1,
            MavVersion::V2 => Self::V2,
        }
    }
}

/// Why bytes were skipped or a frame was not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("bad CRC on message id {msgid} from system {sysid}")]
    BadCrc { msgid: u32, sysid: u8 },
    #[error(
        "unknown message id {msgid} from system {sysid} (not in the dialect, CRC not checkable)"
    )]
    UnknownMessage { msgid: u32, sysid: u8 },
    #[error("unsupported MAVLink 2 incompatibility flags {flags:#04x}")]
    IncompatibleFlags { flags: u8 },
    #[error("message id {msgid} from system {sysid} does not decode: {reason}")]
    Decode {
        msgid: u32,
        sysid: u8,
        reason: String,
    },
}

/// One frame exactly as it came off (or goes onto) the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    raw: Box<[u8]>,
    version: MavVersion,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("version", &self.version)
            .field("sysid", &self.sysid())
            .field("compid", &self.compid())
            .field("seq", &self.seq())
            .field("msgid", &self.msgid())
            .field("len", &self.raw.len())
            .finish()
    }
}

impl Frame {
    /// The frame's bytes from the start marker to the CRC (and signature, if signed).
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    pub fn version(&self) -> MavVersion {
        self.version
    }

    fn payload_len(&self) -> usize {
        usize::from(self.raw[1])
    }

    pub fn seq(&self) -> u8 {
        match self.version {
            MavVersion::V1 => self.raw[2],
            MavVersion::V2 => self.raw[4],
        }
    }

    pub fn sysid(&self) -> u8 {
        match self.version {
            MavVersion::V1 => self.raw[3],
            MavVersion::V2 => self.raw[5],
        }
    }

    pub fn compid(&self) -> u8 {
        match self.version {
            MavVersion::V1 => self.raw[4],
            MavVersion::V2 => self.raw[6],
        }
    }

    pub fn msgid(&self) -> u32 {
        match self.version {
            MavVersion::V1 => u32::from(self.raw[5]),
            MavVersion::V2 => {
                u32::from(self.raw[7]) | u32::from(self.raw[8]) << 8 | u32::from(self.raw[9]) << 16
            }
        }
    }

    pub fn is_signed(&self) -> bool {
        self.version == MavVersion::V2 && self.raw[2] & IFLAG_SIGNED != 0
    }

    pub fn payload(&self) -> &[u8] {
        let start = match self.version {
            MavVersion::V1 => V1_HEADER_LEN,
            MavVersion::V2 => V2_HEADER_LEN,
        };
        &self.raw[start..start + self.payload_len()]
    }

    /// Decodes the payload into a typed message of the dialect.
    pub fn decode(&self) -> Result<MavMessage, FrameError> {
        MavMessage::parse(self.version.into(), self.msgid(), self.payload()).map_err(|err| {
            FrameError::Decode {
                msgid: self.msgid(),
                sysid: self.sysid(),
                reason: err.to_string(),
            }
        })
    }

    /// Builds a frame from bytes that are known to hold exactly one whole frame (the parser's
    /// output, or a record of a tlog that was checked by the parser).
    fn from_checked(raw: &[u8], version: MavVersion) -> Self {
        Self {
            raw: raw.into(),
            version,
        }
    }
}

/// Counts of what the parser skipped, for the link statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseCounters {
    pub frames: u64,
    pub crc_errors: u64,
    pub unknown_messages: u64,
    pub bad_flags: u64,
    /// Bytes that were not part of any valid frame.
    pub skipped_bytes: u64,
}

/// Extracts frames from a byte stream, one chunk at a time.
#[derive(Debug)]
pub struct FrameParser {
    buf: Vec<u8>,
    start: usize,
    counters: ParseCounters,
}

impl Default for FrameParser {
    fn default() -> Self {
        Self::new()
    }
}

/// What the parser found at the head of its buffer.
enum Scan {
    /// Not enough bytes yet.
    NeedMore,
    /// Skip this many bytes (garbage or a rejected frame start).
    Skip(usize, Option<FrameError>),
    /// A valid frame of this length and version.
    Frame(usize, MavVersion),
}

impl FrameParser {
    pub fn new() -> Self {
        Self {
            buf: Vec::with_capacity(4 * MAX_FRAME_LEN),
            start: 0,
            counters: ParseCounters::default(),
        }
    }

    pub fn counters(&self) -> ParseCounters {
        self.counters
    }

    /// Appends bytes received from the link.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received and not yet consumed (the head of a frame, or a false start marker
    /// waiting for the length it claims).
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// For datagram links, where a frame never spans two datagrams: bytes left at the end of a
    /// datagram are a false start marker, not the head of a frame. Skips one byte so that
    /// parsing resumes at the next marker; false when nothing is left to skip.
    pub fn skip_partial(&mut self) -> bool {
        if self.start >= self.buf.len() {
            return false;
        }
        self.start += 1;
        self.counters.skipped_bytes += 1;
        true
    }

    /// The next frame or error, or `None` when more bytes are needed.
    ///
    /// Errors are informative: the parser has already skipped past the bad bytes and the
    /// caller simply goes on calling `next_frame`.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        loop {
            let pending = &self.buf[self.start..];
            match scan(pending) {
                Scan::NeedMore => return None,
                Scan::Skip(count, error) => {
                    self.start += count;
                    self.counters.skipped_bytes += count as u64;
                    if let Some(error) = error {
                        match error {
                            FrameError::BadCrc { .. } => self.counters.crc_errors += 1,
                            FrameError::UnknownMessage { .. } => {
                                self.counters.unknown_messages += 1;
                            }
                            FrameError::IncompatibleFlags { .. } => self.counters.bad_flags += 1,
                            FrameError::Decode { .. } => {}
                        }
                        return Some(Err(error));
                    }
                }
                Scan::Frame(len, version) => {
                    let frame = Frame::from_checked(&pending[..len], version);
                    self.start += len;
                    self.counters.frames += 1;
                    return Some(Ok(frame));
                }
            }
        }
    }
}

/// Looks at the head of `bytes` and says what is there.
fn scan(bytes: &[u8]) -> Scan {
    let Some(&stx) = bytes.first() else {
        return Scan::NeedMore;
    };
    if stx != STX_V1 && stx != STX_V2 {
        let garbage = bytes
            .iter()
            .position(|&b| b == STX_V1 || b == STX_V2)
            .unwrap_or(bytes.len());
        return Scan::Skip(garbage, None);
    }
    let Some(&len_byte) = bytes.get(1) else {
        return Scan::NeedMore;
    };
    let payload_len = usize::from(len_byte);
    let (version, header_len) = if stx == STX_V1 {
        (MavVersion::V1, V1_HEADER_LEN)
    } else {
        (MavVersion::V2, V2_HEADER_LEN)
    };
    if bytes.len() < header_len {
        return Scan::NeedMore;
    }
    let mut frame_len = header_len + payload_len + CRC_LEN;
    let (msgid, sysid) = match version {
        MavVersion::V1 => (u32::from(bytes[5]), bytes[3]),
        MavVersion::V2 => {
            let flags = bytes[2];
            if flags & !IFLAG_SIGNED != 0 {
                return Scan::Skip(1, Some(FrameError::IncompatibleFlags { flags }));
            }
            if flags & IFLAG_SIGNED != 0 {
                frame_len += SIGNATURE_LEN;
            }
            let msgid = u32::from(bytes[7]) | u32::from(bytes[8]) << 8 | u32::from(bytes[9]) << 16;
            (msgid, bytes[5])
        }
    };
    let Some(extra_crc) = extra_crc(msgid) else {
        return Scan::Skip(1, Some(FrameError::UnknownMessage { msgid, sysid }));
    };
    if bytes.len() < frame_len {
        return Scan::NeedMore;
    }
    let crc_at = header_len + payload_len;
    let wire_crc = u16::from_le_bytes([bytes[crc_at], bytes[crc_at + 1]]);
    if crc_x25(&bytes[1..crc_at], extra_crc) != wire_crc {
        return Scan::Skip(1, Some(FrameError::BadCrc { msgid, sysid }));
    }
    Scan::Frame(frame_len, version)
}

/// What [`frame_at`] found at the start of a byte slice.
#[derive(Debug)]
pub enum FrameAt {
    /// A valid frame of this many bytes.
    Frame(Frame, usize),
    /// The bytes end before the frame does.
    Truncated,
    /// No valid frame starts here.
    Invalid(Option<FrameError>),
}

/// Reads the frame that must start at the first byte (as in a tlog record), without
/// resynchronising.
pub fn frame_at(bytes: &[u8]) -> FrameAt {
    match scan(bytes) {
        Scan::NeedMore => FrameAt::Truncated,
        Scan::Skip(_, error) => FrameAt::Invalid(error),
        Scan::Frame(len, version) => {
            FrameAt::Frame(Frame::from_checked(&bytes[..len], version), len)
        }
    }
}

/// CRC_EXTRA of a message of the dialect, or `None` for an id the dialect does not have.
fn extra_crc(msgid: u32) -> Option<u8> {
    // The generated `extra_crc` answers 0 for unknown ids; 0 is also a legal CRC_EXTRA, so the
    // existence of the id is checked separately.
    MavMessage::default_message_from_id(msgid).map(|_| MavMessage::extra_crc(msgid))
}

/// MAVLink's checksum: CRC-16/MCRF4XX (X.25) over the header after the start marker, the
/// payload, and the message's CRC_EXTRA byte.
pub fn crc_x25(bytes: &[u8], extra: u8) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes.iter().chain(std::iter::once(&extra)) {
        let mut tmp = byte ^ (crc & 0xFF) as u8;
        tmp ^= tmp << 4;
        crc = (crc >> 8) ^ (u16::from(tmp) << 8) ^ (u16::from(tmp) << 3) ^ (u16::from(tmp) >> 4);
    }
    crc
}

/// Frames what one sender transmits, keeping its sequence counter.
#[derive(Debug, Clone)]
pub struct FrameEncoder {
    sysid: u8,
    compid: u8,
    seq: u8,
}

/// A message that cannot be put on the wire in the requested framing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message id {msgid} does not fit in a MAVLink 1 frame")]
pub struct EncodeError {
    pub msgid: u32,
}

impl FrameEncoder {
    pub fn new(sysid: u8, compid: u8) -> Self {
        Self {
            sysid,
            compid,
            seq: 0,
        }
    }

    pub fn sysid(&self) -> u8 {
        self.sysid
    }

    pub fn compid(&self) -> u8 {
        self.compid
    }

    /// Frames a message, advancing the sequence number.
    pub fn encode(
        &mut self,
        message: &MavMessage,
        version: MavVersion,
    ) -> Result<Frame, EncodeError> {
        self.encode_with(message, version, None)
    }

    /// Frames a message as a signed MAVLink 2 frame (the only version that can be signed).
    pub fn encode_signed(
        &mut self,
        message: &MavMessage,
        signer: &mut Signer,
        now: TimeUs,
    ) -> Result<Frame, EncodeError> {
        self.encode_with(message, MavVersion::V2, Some((signer, now)))
    }

    fn encode_with(
        &mut self,
        message: &MavMessage,
        version: MavVersion,
        signing: Option<(&mut Signer, TimeUs)>,
    ) -> Result<Frame, EncodeError> {
        let msgid = message.message_id();
        let mut payload = [0u8; 255];
        let mut payload_len = message.ser(version.into(), &mut payload);
        if version == MavVersion::V2 {
            // MAVLink 2 drops trailing zero bytes of the payload (at least one byte stays),
            // as pymavlink and the C library do.
            let used = payload[..payload_len].iter().rposition(|&b| b != 0);
            payload_len = used.map_or(1, |last| last + 1).min(payload_len);
        }
        let seq = self.seq;
        let mut raw = Vec::with_capacity(MAX_FRAME_LEN);
        match version {
            MavVersion::V1 => {
                let id = u8::try_from(msgid).map_err(|_| EncodeError { msgid })?;
                raw.extend_from_slice(&[
                    STX_V1,
                    payload_len as u8,
                    seq,
                    self.sysid,
                    self.compid,
                    id,
                ]);
            }
            MavVersion::V2 => {
                let [id0, id1, id2, _] = msgid.to_le_bytes();
                let incompat = if signing.is_some() { IFLAG_SIGNED } else { 0 };
                raw.extend_from_slice(&[
                    STX_V2,
                    payload_len as u8,
                    incompat,
                    0,
                    seq,
                    self.sysid,
                    self.compid,
                    id0,
                    id1,
                    id2,
                ]);
            }
        }
        raw.extend_from_slice(&payload[..payload_len]);
        let crc = crc_x25(&raw[1..], MavMessage::extra_crc(msgid));
        raw.extend_from_slice(&crc.to_le_bytes());
        if let Some((signer, now)) = signing {
            signer.sign(&mut raw, now);
        }
        self.seq = self.seq.wrapping_add(1);
        Ok(Frame::from_checked(&raw, version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mav;

    fn heartbeat() -> MavMessage {
        MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            custom_mode: 4,
            mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
            autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
            base_mode: mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED,
            system_status: mav::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        })
    }

    #[test]
    fn crc_matches_the_published_check_value() {
        // CRC-16/MCRF4XX of "123456789" is 0x6F91; the extra byte is folded in last, so check
        // the bare algorithm by splitting the last byte off as the "extra".
        assert_eq!(crc_x25(b"12345678", b'9'), 0x6F91);
    }

    #[test]
    fn a_known_heartbeat_frame_matches_pymavlink_bytes() {
        // pymavlink: MAVLink(None, 1, 1).heartbeat_encode(2, 3, 81, 4, 4, 3).pack(mav) with seq 0.
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
            .encode(&message, MavVersion::V1)
            .expect("heartbeat fits v1");
        assert_eq!(
            frame.raw(),
            &[0xFE, 9, 0, 1, 1, 0, 4, 0, 0, 0, 2, 3, 81, 4, 3, 225, 109]
        );
    }

    #[test]
    fn frames_round_trip_in_both_versions() {
        let mut encoder = FrameEncoder::new(7, 1);
        for version in [MavVersion::V1, MavVersion::V2] {
            let frame = encoder.encode(&heartbeat(), version).expect("encodes");
            let mut parser = FrameParser::new();
            parser.push(frame.raw());
            let parsed = parser.next_frame().expect("a frame").expect("valid");
            assert_eq!(parsed.version(), version);
            assert_eq!(parsed.sysid(), 7);
            assert_eq!(parsed.msgid(), 0);
            assert_eq!(parsed.decode().expect("decodes"), heartbeat());
            assert!(parser.next_frame().is_none());
        }
    }

    #[test]
    fn garbage_and_a_corrupted_frame_do_not_hide_the_next_valid_frame() {
        let mut encoder = FrameEncoder::new(3, 1);
        let good = encoder
            .encode(&heartbeat(), MavVersion::V2)
            .expect("encodes");
        let mut corrupted = encoder
            .encode(&heartbeat(), MavVersion::V2)
            .expect("encodes")
            .raw()
            .to_vec();
        corrupted[12] ^= 0xFF;
        let mut stream = vec![0x00, 0x13, 0xFD, 0x37];
        stream.extend_from_slice(&corrupted);
        stream.extend_from_slice(good.raw());

        let mut parser = FrameParser::new();
        let mut frames = Vec::new();
        let mut errors = Vec::new();
        // Feed one byte at a time: the hardest case for a streaming parser.
        for byte in stream {
            parser.push(&[byte]);
            while let Some(result) = parser.next_frame() {
                match result {
                    Ok(frame) => frames.push(frame),
                    Err(error) => errors.push(error),
                }
            }
        }
        assert_eq!(frames, vec![good]);
        assert!(errors.contains(&FrameError::BadCrc { msgid: 0, sysid: 3 }));
        assert_eq!(parser.counters().crc_errors, 1);
        assert_eq!(parser.counters().frames, 1);
    }

    #[test]
    fn a_false_start_marker_at_the_end_of_a_datagram_does_not_hide_the_frame_after_it() {
        let mut encoder = FrameEncoder::new(3, 1);
        let good = encoder
            .encode(&heartbeat(), MavVersion::V2)
            .expect("encodes");
        // 0xFE 0x77: a v1 start claiming 119 payload bytes that never come.
        let mut datagram = vec![0xFE, 0x77, 0x01];
        datagram.extend_from_slice(good.raw());
        let mut parser = FrameParser::new();
        parser.push(&datagram);
        let mut frames = Vec::new();
        loop {
            while let Some(result) = parser.next_frame() {
                frames.extend(result.ok());
            }
            if !parser.skip_partial() {
                break;
            }
        }
        assert_eq!(frames, vec![good]);
    }

    #[test]
    fn vigil_messages_round_trip_as_v2_and_are_refused_as_v1() {
        let detection = MavMessage::VIGIL_DETECTION(mav::VIGIL_DETECTION_DATA {
            time_usec: 1_700_000_000_000_000,
            detection_id: 42,
            sensor_kind: mav::VigilSensorKind::VIGIL_SENSOR_KIND_RADAR,
            measurement_kind: mav::VigilMeasurementKind::VIGIL_MEASUREMENT_RANGE_BEARING,
            range_m: 120.5,
            range_std_m: 3.0,
            bearing_deg: 45.0,
            bearing_std_deg: 2.0,
            lat: i32::MAX,
            lon: i32::MAX,
            horiz_std_m: f32::NAN,
            confidence: 90,
            class_hint: mav::VigilClassHint::VIGIL_CLASS_PERSON,
            count: 3,
            zone_id: 0,
        });
        let mut encoder = FrameEncoder::new(101, 1);
        assert_eq!(
            encoder.encode(&detection, MavVersion::V1),
            Err(EncodeError { msgid: 42100 })
        );
        let frame = encoder.encode(&detection, MavVersion::V2).expect("encodes");
        let mut parser = FrameParser::new();
        parser.push(frame.raw());
        let decoded = parser
            .next_frame()
            .expect("frame")
            .expect("valid")
            .decode()
            .expect("decodes");
        let MavMessage::VIGIL_DETECTION(data) = decoded else {
            panic!("decoded to the wrong message: {decoded:?}");
        };
        assert_eq!(data.range_m, 120.5);
        assert_eq!(data.count, 3);
        assert!(data.horiz_std_m.is_nan());
    }

    #[test]
    fn unknown_message_ids_are_counted_and_skipped() {
        let mut raw = vec![STX_V2, 0, 0, 0, 0, 1, 1, 0x39, 0x30, 0x00, 0, 0];
        raw[7..10].copy_from_slice(&[0x10, 0x27, 0x0F]);
        let mut parser = FrameParser::new();
        parser.push(&raw);
        assert!(matches!(
            parser.next_frame(),
            Some(Err(FrameError::UnknownMessage { .. }))
        ));
        while parser.next_frame().is_some() {}
        assert_eq!(parser.counters().unknown_messages, 1);
    }
}
