//! The operator's message log: status texts from vehicles, link events, discoveries and health
//! changes, each with a severity. Bounded; the sequence number lets readers ask for what is new.

use std::collections::VecDeque;

use vigil_core::time::TimeUs;
use vigil_link::LinkId;

/// Messages kept; older ones fall off (the tlog keeps everything).
pub const NOTICE_LOG_CAPACITY: usize = 500;

/// RFC 5424 severities, as MAVLink's MAV_SEVERITY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Emergency,
    Alert,
    Critical,
    Error,
    Warning,
    Notice,
    Info,
    Debug,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Emergency => "EMERGENCY",
            Self::Alert => "ALERT",
            Self::Critical => "CRITICAL",
            Self::Error => "ERROR",
            Self::Warning => "WARNING",
            Self::Notice => "NOTICE",
            Self::Info => "INFO",
            Self::Debug => "DEBUG",
        }
    }
}

/// Who a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Vehicle(u8),
    Sensor(u8, u8),
    Link(LinkId),
    GroundStation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub seq: u64,
    pub time: TimeUs,
    pub severity: Severity,
    pub source: Source,
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct NoticeLog {
    entries: VecDeque<Notice>,
    next_seq: u64,
}

impl NoticeLog {
    pub fn push(&mut self, time: TimeUs, severity: Severity, source: Source, text: String) {
        if self.entries.len() == NOTICE_LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(Notice {
            seq: self.next_seq,
            time,
            severity,
            source,
            text,
        });
        self.next_seq += 1;
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Notice> {
        self.entries.iter()
    }

    /// Notices with a sequence number of at least `seq`.
    pub fn since(&self, seq: u64) -> impl Iterator<Item = &Notice> {
        self.entries.iter().filter(move |n| n.seq >= seq)
    }

    /// The sequence number the next notice will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }
}
