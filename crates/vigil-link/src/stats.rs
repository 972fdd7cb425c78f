//! Per-link statistics, written by the link's task and read by anyone: byte and frame
//! counts, CRC and parse errors, and packet loss per sender from MAVLink sequence gaps.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use vigil_core::time::TimeUs;

/// Where a link is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LinkState {
    /// Opening the device, binding or dialling.
    #[default]
    Connecting,
    /// Bytes can flow.
    Up,
    /// The device or peer is gone; retrying after a backoff. Holds the reason.
    Retrying(String),
    /// A replay reached the end of its file and the world thread has applied every frame
    /// read before it (set by the station when it applies [`crate::LinkEventKind::Finished`],
    /// which travels behind those frames in the same queue).
    Finished,
    /// The link cannot work (bad address, permission denied); holds the reason.
    Failed(String),
}

impl LinkState {
    pub fn label(&self) -> &str {
        match self {
            Self::Connecting => "connecting",
            Self::Up => "up",
            Self::Retrying(_) => "retrying",
            Self::Finished => "finished",
            Self::Failed(_) => "failed",
        }
    }
}

/// Sequence numbers remembered behind the newest, to recognise a late frame (reordered) or a
/// repeated one (duplicated) from its sender.
const SEQ_WINDOW: u8 = 64;

/// Sequence tracking for one sender (system and component id) on one link.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderStats {
    pub received: u64,
    /// Frames missing from the sequence numbers (a gap of n means n frames lost; a frame that
    /// arrives late, within 64 of the newest, is taken back off).
    pub lost: u64,
    /// Frames received again (the same sequence number within the window): not loss, not new.
    pub duplicates: u64,
    pub last_seq: u8,
    /// Bit i set: sequence number `last_seq - i` was received.
    seen: u64,
}

impl SenderStats {
    /// Loss as a fraction of what the sender sent.
    pub fn loss_ratio(&self) -> f64 {
        let sent = self.received + self.lost;
        if sent == 0 {
            0.0
        } else {
            self.lost as f64 / sent as f64
        }
    }

    fn observe(&mut self, seq: u8) {
        if self.received + self.duplicates == 0 {
            self.received = 1;
            self.last_seq = seq;
            self.seen = 1;
            return;
        }
        let ahead = seq.wrapping_sub(self.last_seq);
        let behind = self.last_seq.wrapping_sub(seq);
        if ahead != 0 && ahead < 128 {
            // New frames: the ones skipped over are lost until they turn up.
            self.lost += u64::from(ahead - 1);
            self.seen = if ahead >= 64 { 0 } else { self.seen << ahead } | 1;
            self.last_seq = seq;
            self.received += 1;
        } else if behind < SEQ_WINDOW {
            let bit = 1u64 << behind;
            if self.seen & bit != 0 {
                self.duplicates += 1;
            } else {
                // Late: it was counted lost when the frames after it came.
                self.seen |= bit;
                self.lost = self.lost.saturating_sub(1);
                self.received += 1;
            }
        } else {
            // Far behind: a sender that restarted its count. Start afresh from here.
            self.received += 1;
            self.last_seq = seq;
            self.seen = 1;
        }
    }
}

/// Counters shared between a link's task and its readers.
#[derive(Debug, Default)]
pub struct LinkStats {
    pub bytes_rx: AtomicU64,
    pub bytes_tx: AtomicU64,
    pub frames_rx: AtomicU64,
    pub frames_tx: AtomicU64,
    pub crc_errors: AtomicU64,
    /// Frames with an id the dialect does not know, or payloads that do not decode.
    pub parse_errors: AtomicU64,
    /// Outgoing frames dropped because the link's send queue was full.
    pub tx_dropped: AtomicU64,
    /// Times the link was (re)opened.
    pub connects: AtomicU64,
    /// Frames with a valid, fresh MAVLink 2 signature.
    pub signed_ok: AtomicU64,
    /// Signed frames whose signature does not match the link's key (dropped).
    pub forged: AtomicU64,
    /// Signed frames whose timestamp was not newer than their stream's (dropped).
    pub replayed: AtomicU64,
    /// Unsigned frames dropped by the link's policy.
    pub unsigned_rejected: AtomicU64,
    /// Unsigned frames accepted on a link with a key (policy `flag` or `accept`).
    pub unsigned_accepted: AtomicU64,
    /// Frames refused because they could not be checked (an unreadable key file, or the
    /// check's lock broken by a panic): the check fails closed.
    pub unverifiable: AtomicU64,
    /// Received bytes that were part of no valid frame (noise, corrupted frames).
    pub bytes_skipped: AtomicU64,
    last_heard_us: AtomicU64,
    state: Mutex<LinkState>,
    local_addr: Mutex<Option<std::net::SocketAddr>>,
    senders: Mutex<BTreeMap<(u8, u8), SenderStats>>,
}

/// A consistent copy of a link's statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LinkStatsSnapshot {
    pub bytes_rx: u64,
    pub bytes_tx: u64,
    pub frames_rx: u64,
    pub frames_tx: u64,
    pub crc_errors: u64,
    pub parse_errors: u64,
    pub tx_dropped: u64,
    pub connects: u64,
    pub signed_ok: u64,
    pub forged: u64,
    pub replayed: u64,
    pub unsigned_rejected: u64,
    pub unsigned_accepted: u64,
    pub unverifiable: u64,
    pub bytes_skipped: u64,
    pub last_heard: Option<TimeUs>,
    pub state: LinkState,
    /// The address a `udpin:` or `tcpin:` link is bound to (useful with port 0).
    pub local_addr: Option<std::net::SocketAddr>,
    pub senders: BTreeMap<(u8, u8), SenderStats>,
}

impl LinkStatsSnapshot {
    /// Loss over all senders on the link.
    pub fn loss_ratio(&self) -> f64 {
        let (received, lost) = self
            .senders
            .values()
            .fold((0, 0), |(r, l), s| (r + s.received, l + s.lost));
        if received + lost == 0 {
            0.0
        } else {
            lost as f64 / (received + lost) as f64
        }
    }
}

impl LinkStats {
    pub fn add(counter: &AtomicU64, amount: u64) {
        counter.fetch_add(amount, Ordering::Relaxed);
    }

    pub fn set_state(&self, state: LinkState) {
        if let Ok(mut current) = self.state.lock() {
            *current = state;
        }
    }

    pub fn set_local_addr(&self, addr: Option<std::net::SocketAddr>) {
        if let Ok(mut current) = self.local_addr.lock() {
            *current = addr;
        }
    }

    pub fn state(&self) -> LinkState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Records a valid frame from `sender` with sequence number `seq`, heard at `now`.
    pub fn observe_frame(&self, sender: (u8, u8), seq: u8, now: TimeUs) {
        Self::add(&self.frames_rx, 1);
        self.last_heard_us.store(now.0, Ordering::Relaxed);
        if let Ok(mut senders) = self.senders.lock() {
            senders.entry(sender).or_default().observe(seq);
        }
    }

    /// Counts what the signature check decided about a received frame.
    pub fn observe_verdict(&self, verdict: vigil_protocol::Verdict) {
        use vigil_protocol::Verdict;
        use vigil_protocol::signing::Rejection;
        let counter = match verdict {
            Verdict::Unchecked => return,
            Verdict::Signed => &self.signed_ok,
            Verdict::Unsigned { .. } => &self.unsigned_accepted,
            Verdict::Rejected(Rejection::Forged) => &self.forged,
            Verdict::Rejected(Rejection::Replayed) => &self.replayed,
            Verdict::Rejected(Rejection::Unsigned) => &self.unsigned_rejected,
            Verdict::Rejected(Rejection::Unverifiable) => &self.unverifiable,
        };
        Self::add(counter, 1);
    }

    pub fn snapshot(&self) -> LinkStatsSnapshot {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let last_heard = get(&self.last_heard_us);
        LinkStatsSnapshot {
            bytes_rx: get(&self.bytes_rx),
            bytes_tx: get(&self.bytes_tx),
            frames_rx: get(&self.frames_rx),
            frames_tx: get(&self.frames_tx),
            crc_errors: get(&self.crc_errors),
            parse_errors: get(&self.parse_errors),
            tx_dropped: get(&self.tx_dropped),
            connects: get(&self.connects),
            signed_ok: get(&self.signed_ok),
            forged: get(&self.forged),
            replayed: get(&self.replayed),
            unsigned_rejected: get(&self.unsigned_rejected),
            unsigned_accepted: get(&self.unsigned_accepted),
            unverifiable: get(&self.unverifiable),
            bytes_skipped: get(&self.bytes_skipped),
            last_heard: (last_heard > 0).then_some(TimeUs(last_heard)),
            state: self.state(),
            local_addr: self.local_addr.lock().ok().and_then(|a| *a),
            senders: self.senders.lock().map(|s| s.clone()).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_gaps_count_as_loss_across_wraparound() {
        let mut sender = SenderStats::default();
        for seq in [250u8, 251, 253, 254, 255, 0, 3] {
            sender.observe(seq);
        }
        // Missing: 252, 1, 2.
        assert_eq!(sender.lost, 3);
        assert_eq!(sender.received, 7);
        assert!((sender.loss_ratio() - 0.3).abs() < 1e-12);
    }

    #[test]
    fn duplicates_and_reordering_are_not_counted_as_loss() {
        let mut sender = SenderStats::default();
        for seq in [10u8, 11, 11, 13, 12, 13, 14] {
            sender.observe(seq);
        }
        // 11 and 13 repeated; 12 missing when 13 came, then late: nothing lost.
        assert_eq!(sender.lost, 0);
        assert_eq!(sender.duplicates, 2);
        assert_eq!(sender.received, 5);
    }

    #[test]
    fn late_frames_across_wraparound_are_taken_off_the_loss() {
        let mut sender = SenderStats::default();
        for seq in [253u8, 255, 1, 0, 254] {
            sender.observe(seq);
        }
        assert_eq!(sender.lost, 0);
        assert_eq!(sender.received, 5);
        // 2 never comes: lost once 3 does.
        sender.observe(3);
        assert_eq!(sender.lost, 1);
    }
}
