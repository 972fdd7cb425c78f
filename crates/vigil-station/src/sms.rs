//! Community reports by SMS through a GSM modem (a USB 3G/4G stick speaking AT commands): one
//! named thread (`vigil-sms`) owns the serial port, sets the modem up for SMS text mode and
//! new-message notifications, reads each message as it arrives (and those stored before it
//! started), reads it as a report (`vigil_protection::sms`: `CATEGORY PLACE [N people]
//! [text]`), hands it to the station, and answers the sender.
//!
//! # Nothing is lost, nothing is answered twice
//! A message is deleted from the modem only once the station has accepted its report (or it
//! could not be read: then the sender is told how to write one). When the station does not
//! answer (busy, shutting down) the message stays on the modem and is read again at the next
//! listing ([`Timing::retry`]); all messages are listed at start, after a reconnection and
//! every [`Timing::sweep`], which also catches a notification the modem never printed. A
//! message whose report was accepted but whose deletion failed is remembered (by a hash) so
//! that it is not added again.
//!
//! # Answers
//! An accepted report is acknowledged with its number, a message that could not be read with
//! what was wrong and the grammar. Only personal numbers get answers (not operators' names or
//! short codes, which may answer back), and a number gets at most [`MAX_HELP_REPLIES`] help
//! texts an hour, so that two machines cannot keep each other writing.
//!
//! # The sender's number
//! It goes into the report's `reporter` only; errors, [`SmsStats::last_error`] and the thread
//! keep no copy of it beyond the message being handled (the limit on help texts keeps hashes).
//!
//! # Serial errors
//! Every command has a timeout ([`Timing`]); errors name the port. When the port fails (the
//! stick was pulled out) the thread reopens it with a backoff up to [`MAX_BACKOFF`].

mod modem;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::GroundStation;
use modem::{Modem, Stored};
use vigil_core::time::MonoClock;
use vigil_protection::LatLon;
use vigil_protection::reports::NewReport;
use vigil_protection::sms::at::{Final, ReceivedSms};
use vigil_protection::sms::{PhoneNumber, SmsReportError, parse_report};

pub use modem::{MAX_ANSWER_LINES, MAX_LINE_BYTES};
pub use vigil_protection::sms::Gazetteer;

/// Help texts a number gets in an hour at most.
pub const MAX_HELP_REPLIES: usize = 3;
const HELP_WINDOW: Duration = Duration::from_secs(3600);
/// Numbers whose help texts are counted (their hashes), oldest forgotten first.
const MAX_COUNTED_REPLIES: usize = 1024;
/// Accepted messages whose deletion failed, remembered so that they are not added again.
const MAX_UNDELETED: usize = 64;
/// The longest wait before reopening a port that failed.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How long the thread waits for a notification before looking at its stop flag.
const POLL_PERIOD: Duration = Duration::from_millis(100);
/// How long to wait for the station to take a report.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// The modem's timeouts and the gateway's periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// A command's answer.
    pub command: Duration,
    /// `AT+CMGL`'s answer (a full SIM takes a while).
    pub list: Duration,
    /// The `> ` prompt after `AT+CMGS`.
    pub prompt: Duration,
    /// The network's answer to a message sent (up to a minute on a poor network).
    pub send: Duration,
    /// How long the line may stay busy after a timeout before the next command.
    pub settle: Duration,
    /// `AT` tries before the modem is declared silent.
    pub sync_attempts: u32,
    /// Every stored message is listed this often.
    pub sweep: Duration,
    /// A message the station did not take is read again after this.
    pub retry: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            command: Duration::from_secs(5),
            list: Duration::from_secs(20),
            prompt: Duration::from_secs(5),
            send: Duration::from_secs(60),
            settle: Duration::from_millis(500),
            sync_attempts: 3,
            sweep: Duration::from_secs(60),
            retry: Duration::from_secs(10),
        }
    }
}

/// What went wrong with the modem; each names the port, none the sender's number.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("{port}: cannot open the modem: {reason}")]
    Open { port: String, reason: String },
    #[error("{port}: {source}")]
    Io { port: String, source: io::Error },
    #[error("{port}: the modem's line closed")]
    Closed { port: String },
    #[error("{port}: no answer to {command} within {timeout_ms} ms")]
    Timeout {
        port: String,
        command: String,
        timeout_ms: u64,
    },
    #[error("{port}: {command} was refused: {answer}")]
    Refused {
        port: String,
        command: String,
        answer: Final,
    },
    #[error("{port}: {reason}")]
    Unreadable { port: String, reason: String },
    #[error("cannot start the SMS thread: {0}")]
    Thread(io::Error),
}

impl SmsError {
    /// The port itself failed: reopen it.
    fn is_disconnection(&self) -> bool {
        matches!(
            self,
            Self::Io { .. } | Self::Closed { .. } | Self::Open { .. }
        )
    }
}

/// What the gateway has done since it started.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SmsStats {
    /// Messages read from the modem (one the station did not take yet counts again when it
    /// is read again).
    pub received: u64,
    /// Reports the station accepted.
    pub accepted: u64,
    /// Messages that could not be read (answered with the help text) or that the station
    /// refused.
    pub refused: u64,
    /// Messages left on the modem because the station did not answer.
    pub deferred: u64,
    pub acks_sent: u64,
    pub acks_failed: u64,
    /// Times the port was reopened.
    pub reconnects: u64,
    /// Whether the modem is open and set up.
    pub connected: bool,
    /// The last error (it names the port, never a number).
    pub last_error: Option<String>,
}

#[derive(Default)]
struct Counters {
    received: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    deferred: AtomicU64,
    acks_sent: AtomicU64,
    acks_failed: AtomicU64,
    reconnects: AtomicU64,
    connected: AtomicBool,
    last_error: Mutex<Option<String>>,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn error(&self, error: &dyn std::fmt::Display) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(error.to_string());
    }

    fn stats(&self) -> SmsStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        SmsStats {
            received: get(&self.received),
            accepted: get(&self.accepted),
            refused: get(&self.refused),
            deferred: get(&self.deferred),
            acks_sent: get(&self.acks_sent),
            acks_failed: get(&self.acks_failed),
            reconnects: get(&self.reconnects),
            connected: self.connected.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        }
    }
}

/// What became of a report handed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Delivery {
    Accepted(u64),
    Refused(String),
    /// No answer: keep the message and try again.
    Unavailable,
}

/// Where reports go: the station (or a test's stand-in).
pub(crate) trait ReportSink: Send + 'static {
    fn add(&self, report: NewReport) -> Delivery;
}

impl ReportSink for GroundStation {
    fn add(&self, report: NewReport) -> Delivery {
        let Ok(reply) = self.add_reports(vec![report]) else {
            return Delivery::Unavailable;
        };
        match reply.recv_timeout(REPLY_TIMEOUT) {
            Ok(Ok(ids)) => ids.first().map_or_else(
                || Delivery::Refused("no report id".into()),
                |id| Delivery::Accepted(*id),
            ),
            Ok(Err(err)) => Delivery::Refused(err.to_string()),
            Err(_) => Delivery::Unavailable,
        }
    }
}

type Lookup = Box<dyn Fn(&str) -> Option<LatLon> + Send>;

/// Place names resolved against the station's protected sites as they are when the message
/// arrives (sites loaded later count).
pub fn site_gazetteer(station: &GroundStation) -> impl Fn(&str) -> Option<LatLon> + Send + 'static {
    let station = station.clone();
    move |name| Gazetteer::from_sites(&station.snapshot().protection.sites).lookup(name)
}

/// The running gateway; dropping it stops it.
pub struct SmsGateway {
    port: String,
    counters: Arc<Counters>,
    worker: vigil_core::worker::Worker,
}

impl SmsGateway {
    /// Opens the modem on `port_path` at `baud`, sets it up (an error here names the port and
    /// the command), and starts handing reports to `station`; place names are resolved with
    /// `gazetteer` (see [`site_gazetteer`]).
    pub fn start(
        port_path: &str,
        baud: u32,
        station: GroundStation,
        gazetteer: impl Fn(&str) -> Option<LatLon> + Send + 'static,
    ) -> Result<Self, SmsError> {
        Self::start_with(
            port_path,
            baud,
            station,
            Box::new(gazetteer),
            Timing::default(),
        )
    }

    /// As [`Self::start`], with other timeouts and periods.
    pub fn start_with_timing(
        port_path: &str,
        baud: u32,
        station: GroundStation,
        gazetteer: impl Fn(&str) -> Option<LatLon> + Send + 'static,
        timing: Timing,
    ) -> Result<Self, SmsError> {
        Self::start_with(port_path, baud, station, Box::new(gazetteer), timing)
    }

    pub(crate) fn start_with(
        port_path: &str,
        baud: u32,
        sink: impl ReportSink,
        gazetteer: Lookup,
        timing: Timing,
    ) -> Result<Self, SmsError> {
        let mut modem = Modem::open(port_path, baud, timing)?;
        modem.initialise()?;
        let counters = Arc::new(Counters::default());
        counters.connected.store(true, Ordering::Relaxed);
        let (port, thread_counters) = (port_path.to_owned(), counters.clone());
        let worker = vigil_core::worker::Worker::spawn("vigil-sms", move |stop| {
            let mut gateway = Gateway {
                port,
                baud,
                timing,
                sink,
                gazetteer,
                counters: thread_counters,
                stop,
                clock: MonoClock::new(),
                next_sweep: Instant::now(),
                undeleted: VecDeque::new(),
                help_replies: VecDeque::new(),
            };
            gateway.run(modem);
        })
        .map_err(SmsError::Thread)?;
        Ok(Self {
            port: port_path.to_owned(),
            counters,
            worker,
        })
    }

    /// The port it was started on.
    pub fn port(&self) -> &str {
        &self.port
    }

    pub fn stats(&self) -> SmsStats {
        self.counters.stats()
    }

    /// Stops the thread (within a poll period and the command under way); dropping the
    /// gateway does too.
    pub fn stop(self) {
        self.worker.stop();
    }
}

/// The thread's state.
struct Gateway<S> {
    port: String,
    baud: u32,
    timing: Timing,
    sink: S,
    gazetteer: Lookup,
    counters: Arc<Counters>,
    stop: vigil_core::worker::StopFlag,
    clock: MonoClock,
    next_sweep: Instant,
    undeleted: VecDeque<u64>,
    /// Hashes of numbers sent a help text, and when.
    help_replies: VecDeque<(u64, Instant)>,
}

impl<S: ReportSink> Gateway<S> {
    fn run(&mut self, modem: Modem<serialport::TTYPort>) {
        let mut modem = Some(modem);
        let mut backoff = Duration::from_secs(1);
        while !self.stop.is_set() {
            let Some(open) = modem.as_mut() else {
                self.pause(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                match Modem::open(&self.port, self.baud, self.timing).and_then(|mut m| {
                    m.initialise()?;
                    Ok(m)
                }) {
                    Ok(reopened) => {
                        modem = Some(reopened);
                        backoff = Duration::from_secs(1);
                        self.next_sweep = Instant::now();
                        Counters::bump(&self.counters.reconnects);
                        self.counters.connected.store(true, Ordering::Relaxed);
                    }
                    Err(err) => self.counters.error(&err),
                }
                continue;
            };
            if let Err(err) = self.step(open) {
                self.counters.error(&err);
                if err.is_disconnection() {
                    modem = None;
                    self.counters.connected.store(false, Ordering::Relaxed);
                }
            }
        }
    }

    /// Waits `duration`, or less when told to stop.
    fn pause(&self, duration: Duration) {
        let end = Instant::now() + duration;
        while !self.stop.is_set() && Instant::now() < end {
            std::thread::sleep(POLL_PERIOD.min(end.saturating_duration_since(Instant::now())));
        }
    }

    /// Lists everything when due, then handles the next notification.
    fn step<P: io::Read + io::Write>(&mut self, modem: &mut Modem<P>) -> Result<(), SmsError> {
        if Instant::now() >= self.next_sweep || modem.take_lost() {
            self.next_sweep = Instant::now() + self.timing.sweep;
            for entry in modem.list()? {
                match entry {
                    Ok(sms) => self.handle(modem, sms)?,
                    Err(err) => {
                        let index = err.index();
                        self.unreadable(modem, index, &err)?;
                    }
                }
            }
        }
        let Some(notification) = modem.next_notification(POLL_PERIOD)? else {
            return Ok(());
        };
        if let Err(err) = modem.select_memory(&notification.memory) {
            self.counters.error(&err);
        }
        match modem.read(notification.index)? {
            Stored::Message(sms) => self.handle(modem, sms),
            Stored::Empty => Ok(()),
            Stored::Unreadable(err) => self.unreadable(modem, Some(notification.index), &err),
        }
    }

    /// A stored message the modem printed so that it cannot be read: counted, deleted (it
    /// would come back at each listing), told in the last error.
    fn unreadable<P: io::Read + io::Write>(
        &mut self,
        modem: &mut Modem<P>,
        index: Option<u32>,
        err: &dyn std::fmt::Display,
    ) -> Result<(), SmsError> {
        Counters::bump(&self.counters.received);
        Counters::bump(&self.counters.refused);
        self.counters.error(&SmsError::Unreadable {
            port: self.port.clone(),
            reason: err.to_string(),
        });
        match index {
            Some(index) => self.delete(modem, index, None),
            None => Ok(()),
        }
    }

    /// One stored message: read as a report, handed to the station, deleted, answered.
    fn handle<P: io::Read + io::Write>(
        &mut self,
        modem: &mut Modem<P>,
        sms: ReceivedSms,
    ) -> Result<(), SmsError> {
        if !sms.is_incoming() {
            return Ok(());
        }
        let key = message_key(&sms);
        if let Some(at) = self.undeleted.iter().position(|k| *k == key) {
            // Accepted before; only its deletion is left.
            self.undeleted.remove(at);
            return self.delete(modem, sms.index, Some(key));
        }
        Counters::bump(&self.counters.received);
        let report = match parse_report(&sms, self.clock.now(), &*self.gazetteer) {
            Ok(report) => report,
            Err(err) => {
                Counters::bump(&self.counters.refused);
                self.delete(modem, sms.index, None)?;
                return self.help(modem, &sms.sender, &err);
            }
        };
        let category = report.category.clone();
        match self.sink.add(report) {
            Delivery::Accepted(id) => {
                Counters::bump(&self.counters.accepted);
                self.delete(modem, sms.index, Some(key))?;
                let text = format!("Vigil: report {id} received ({category}). Thank you.");
                self.answer(modem, &sms.sender, &text)
            }
            Delivery::Refused(reason) => {
                Counters::bump(&self.counters.refused);
                self.counters.error(&format!(
                    "{}: the station refused report sms:{}: {reason}",
                    self.port, sms.index
                ));
                self.delete(modem, sms.index, None)?;
                let text =
                    "Vigil: your report could not be recorded. Please report it another way.";
                self.answer(modem, &sms.sender, text)
            }
            Delivery::Unavailable => {
                Counters::bump(&self.counters.deferred);
                let retry = Instant::now() + self.timing.retry;
                self.next_sweep = self.next_sweep.min(retry);
                Ok(())
            }
        }
    }

    /// Deletes a handled message; when that fails for an accepted one (`key`), remembers it
    /// so that the next listing deletes it without adding it again. Only a failed port is an
    /// error here.
    fn delete<P: io::Read + io::Write>(
        &mut self,
        modem: &mut Modem<P>,
        index: u32,
        key: Option<u64>,
    ) -> Result<(), SmsError> {
        match modem.delete(index) {
            Ok(()) => Ok(()),
            Err(err) if err.is_disconnection() => {
                self.remember_undeleted(key);
                Err(err)
            }
            Err(err) => {
                self.remember_undeleted(key);
                self.counters.error(&err);
                Ok(())
            }
        }
    }

    fn remember_undeleted(&mut self, key: Option<u64>) {
        if let Some(key) = key {
            if self.undeleted.len() == MAX_UNDELETED {
                self.undeleted.pop_front();
            }
            self.undeleted.push_back(key);
        }
    }

    /// The help text for a message that could not be read, within the hourly limit.
    fn help<P: io::Read + io::Write>(
        &mut self,
        modem: &mut Modem<P>,
        to: &PhoneNumber,
        err: &SmsReportError,
    ) -> Result<(), SmsError> {
        if !to.is_personal() {
            return Ok(());
        }
        let now = Instant::now();
        let number = hash_of(to.as_str());
        self.help_replies
            .retain(|(_, at)| now.saturating_duration_since(*at) < HELP_WINDOW);
        if self
            .help_replies
            .iter()
            .filter(|(n, _)| *n == number)
            .count()
            >= MAX_HELP_REPLIES
        {
            return Ok(());
        }
        if self.help_replies.len() == MAX_COUNTED_REPLIES {
            self.help_replies.pop_front();
        }
        self.help_replies.push_back((number, now));
        self.answer(modem, to, &err.reply())
    }

    /// Sends `text` to a personal number; a failure is counted (only a failed port is an
    /// error).
    fn answer<P: io::Read + io::Write>(
        &mut self,
        modem: &mut Modem<P>,
        to: &PhoneNumber,
        text: &str,
    ) -> Result<(), SmsError> {
        if !to.is_personal() {
            return Ok(());
        }
        match modem.send_sms(to.as_str(), text) {
            Ok(()) => {
                Counters::bump(&self.counters.acks_sent);
                Ok(())
            }
            Err(err) => {
                Counters::bump(&self.counters.acks_failed);
                self.counters.error(&err);
                if err.is_disconnection() {
                    Err(err)
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// Tells one stored message from another (index, sender, time and text).
fn message_key(sms: &ReceivedSms) -> u64 {
    let mut hasher = DefaultHasher::new();
    sms.index.hash(&mut hasher);
    sms.sender.as_str().hash(&mut hasher);
    sms.time.hash(&mut hasher);
    sms.text.hash(&mut hasher);
    hasher.finish()
}

fn hash_of(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}
