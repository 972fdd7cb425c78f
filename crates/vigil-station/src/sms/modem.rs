//! The modem's AT line, command by command: each command written, its answer read up to
//! its final result code within a timeout, the command's echo, `+CMTI` notifications and
//! other unsolicited lines taken out of the answer (notifications kept for the gateway),
//! lines cut at [`MAX_LINE_BYTES`] and answers at [`MAX_ANSWER_LINES`], so that a modem
//! printing garbage cannot grow memory. What the lines mean is
//! `vigil_protection::sms::at`'s business.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort, TTYPort};

use super::{SmsError, Timing};
use vigil_protection::sms::at::{
    self, AtParseError, Charset, Final, NewMessage, ReceivedSms, encode_gsm, encode_ucs2_hex,
};

/// A line longer than this is cut (no line of SMS text mode comes near it: one message is
/// at most 280 hexadecimal digits).
pub const MAX_LINE_BYTES: usize = 1024;
/// An answer (a listing) longer than this is cut; the rest is listed once these are deleted.
pub const MAX_ANSWER_LINES: usize = 2048;
/// Notifications kept while a command runs; more, and the gateway lists everything instead.
const MAX_NOTIFICATIONS: usize = 64;
/// How long one read waits, so that deadlines and the stop flag are looked at.
pub(crate) const READ_SLICE: Duration = Duration::from_millis(50);
const ESC: u8 = 0x1B;
const CTRL_Z: u8 = 0x1A;

/// What `AT+CMGR` found.
#[derive(Debug)]
pub(crate) enum Stored {
    Message(ReceivedSms),
    /// Nothing at that index (read and deleted already).
    Empty,
    Unreadable(AtParseError),
}

/// The modem on its line (`P` is the serial port; anything that reads and writes bytes and
/// gives up reading after a while).
pub(crate) struct Modem<P> {
    port: P,
    /// The device's path, which every error names.
    name: String,
    timing: Timing,
    partial: Vec<u8>,
    lines: VecDeque<Vec<u8>>,
    pub(crate) charset: Charset,
    /// The memory read and deleted from (`AT+CPMS`), when known.
    memory: Option<String>,
    notifications: VecDeque<NewMessage>,
    notifications_lost: bool,
}

impl Modem<TTYPort> {
    /// Opens the serial port (exclusively) and forgets what the modem printed before.
    pub(crate) fn open(path: &str, baud: u32, timing: Timing) -> Result<Self, SmsError> {
        let port = serialport::new(path, baud)
            .timeout(READ_SLICE)
            .open_native()
            .map_err(|err| SmsError::Open {
                port: path.to_owned(),
                reason: err.to_string(),
            })?;
        let _ = port.clear(ClearBuffer::Input);
        Ok(Self::new(port, path, timing))
    }
}

impl<P: Read + Write> Modem<P> {
    pub(crate) fn new(port: P, name: &str, timing: Timing) -> Self {
        Self {
            port,
            name: name.to_owned(),
            timing,
            partial: Vec::new(),
            lines: VecDeque::new(),
            charset: Charset::Gsm,
            memory: None,
            notifications: VecDeque::new(),
            notifications_lost: false,
        }
    }

    /// Text mode, the character set (UCS2, else GSM), the SIM as storage where the modem
    /// allows it, and `+CMTI` for each new message.
    pub(crate) fn initialise(&mut self) -> Result<(), SmsError> {
        // ESC ends a message a crash left half typed; then whatever was printed is dropped.
        self.write(&[ESC])?;
        self.settle()?;
        self.sync()?;
        self.command("ATE0", "ATE0", self.timing.command)?;
        self.optional("AT+CMEE=1")?;
        self.command("AT+CMGF=1", "AT+CMGF=1", self.timing.command)?;
        // Before the character set: in UCS2 the memories' names would be hexadecimal.
        if self.optional(r#"AT+CPMS="SM","SM","SM""#)? {
            self.memory = Some("SM".into());
        }
        self.charset = if self.optional(r#"AT+CSCS="UCS2""#)? {
            Charset::Ucs2
        } else {
            let gsm = r#"AT+CSCS="GSM""#;
            self.command(gsm, gsm, self.timing.command)?;
            Charset::Gsm
        };
        if !self.optional("AT+CNMI=2,1,0,0,0")? {
            self.command("AT+CNMI=1,1,0,0,0", "AT+CNMI", self.timing.command)?;
        }
        Ok(())
    }

    /// `AT` until the modem answers `OK` (a first try may meet a half line).
    fn sync(&mut self) -> Result<(), SmsError> {
        let mut result = Ok(Vec::new());
        for _ in 0..self.timing.sync_attempts.max(1) {
            result = self.command("AT", "AT", self.timing.command);
            if result.is_ok() {
                return Ok(());
            }
        }
        result.map(|_| ())
    }

    /// A command the modem may refuse (`false` then); a timeout or I/O error is still one.
    fn optional(&mut self, command: &str) -> Result<bool, SmsError> {
        match self.command(command, command, self.timing.command) {
            Ok(_) => Ok(true),
            Err(SmsError::Refused { .. }) => Ok(false),
            Err(err) => Err(err),
        }
    }

    /// Every stored message (`AT+CMGL="ALL"`, its status in hexadecimal where UCS2 wants it).
    pub(crate) fn list(&mut self) -> Result<Vec<Result<ReceivedSms, AtParseError>>, SmsError> {
        let timeout = self.timing.list;
        let lines = match self.command(r#"AT+CMGL="ALL""#, "AT+CMGL", timeout) {
            Err(SmsError::Refused { .. }) if self.charset == Charset::Ucs2 => {
                let hex = format!("AT+CMGL=\"{}\"", encode_ucs2_hex("ALL"));
                self.command(&hex, "AT+CMGL", timeout)?
            }
            other => other?,
        };
        Ok(at::parse_cmgl(&lines, self.charset))
    }

    /// `AT+CMGR=<index>`.
    pub(crate) fn read(&mut self, index: u32) -> Result<Stored, SmsError> {
        let command = format!("AT+CMGR={index}");
        match self.command(&command, &command, self.timing.command) {
            Ok(lines) => Ok(match at::parse_cmgr(index, &lines, self.charset) {
                Ok(Some(sms)) => Stored::Message(sms),
                Ok(None) => Stored::Empty,
                Err(err) => Stored::Unreadable(err),
            }),
            Err(SmsError::Refused { ref answer, .. }) if answer.is_invalid_index() => {
                Ok(Stored::Empty)
            }
            Err(err) => Err(err),
        }
    }

    /// `AT+CMGD=<index>`.
    pub(crate) fn delete(&mut self, index: u32) -> Result<(), SmsError> {
        let command = format!("AT+CMGD={index}");
        self.command(&command, &command, self.timing.command)
            .map(|_| ())
    }

    /// Reads and deletes from `memory` (a `+CMTI` may name another than the one chosen).
    pub(crate) fn select_memory(&mut self, memory: &str) -> Result<(), SmsError> {
        if self.memory.as_deref() == Some(memory) {
            return Ok(());
        }
        let plain = format!("AT+CPMS=\"{memory}\"");
        let result = match self.command(&plain, "AT+CPMS", self.timing.command) {
            Err(SmsError::Refused { .. }) if self.charset == Charset::Ucs2 => {
                let hex = format!("AT+CPMS=\"{}\"", encode_ucs2_hex(memory));
                self.command(&hex, "AT+CPMS", self.timing.command)
            }
            other => other,
        };
        result?;
        self.memory = Some(memory.to_owned());
        Ok(())
    }

    /// Sends one SMS: `AT+CMGS="<number>"`, the `> ` prompt, the text, Ctrl-Z, and the
    /// network's answer. Errors name the command, never the number.
    pub(crate) fn send_sms(&mut self, number: &str, text: &str) -> Result<(), SmsError> {
        const LABEL: &str = "AT+CMGS";
        self.drop_pending();
        let number = self.charset.encode_parameter(number);
        self.write(format!("AT+CMGS=\"{number}\"\r").as_bytes())?;
        let deadline = Instant::now() + self.timing.prompt;
        if let Err(err) = self.wait_prompt(LABEL, deadline) {
            if matches!(err, SmsError::Timeout { .. }) {
                self.write(&[ESC])?;
                self.settle()?;
            }
            return Err(err);
        }
        let mut body = match self.charset {
            Charset::Ucs2 => encode_ucs2_hex(text).into_bytes(),
            Charset::Gsm => encode_gsm(text),
        };
        body.push(CTRL_Z);
        self.write(&body)?;
        self.answer("", LABEL, self.timing.send).map(|_| ())
    }

    /// Whether notifications were lost (too many while a command ran): list everything.
    pub(crate) fn take_lost(&mut self) -> bool {
        std::mem::take(&mut self.notifications_lost)
    }

    /// The next `+CMTI`, waiting up to `wait`; other lines between commands are dropped.
    pub(crate) fn next_notification(
        &mut self,
        wait: Duration,
    ) -> Result<Option<NewMessage>, SmsError> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(notification) = self.notifications.pop_front() {
                return Ok(Some(notification));
            }
            match self.lines.pop_front() {
                Some(line) => {
                    if let Some(notification) = at::new_message(&line) {
                        return Ok(Some(notification));
                    }
                }
                None if Instant::now() >= deadline => return Ok(None),
                None => {
                    self.fill()?;
                }
            }
        }
    }

    /// Writes `command` and reads its answer: the lines before `OK`.
    fn command(
        &mut self,
        command: &str,
        label: &str,
        timeout: Duration,
    ) -> Result<Vec<Vec<u8>>, SmsError> {
        self.drop_pending();
        self.write(format!("{command}\r").as_bytes())?;
        self.answer(command, label, timeout)
    }

    /// The lines up to the final result code, without `echo`, notifications and unsolicited
    /// lines. After a timeout the line is left to settle, so that a late answer is not taken
    /// for the next command's.
    fn answer(
        &mut self,
        echo: &str,
        label: &str,
        timeout: Duration,
    ) -> Result<Vec<Vec<u8>>, SmsError> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        loop {
            let Some(line) = self.lines.pop_front() else {
                if Instant::now() >= deadline {
                    self.settle()?;
                    return Err(SmsError::Timeout {
                        port: self.name.clone(),
                        command: label.to_owned(),
                        timeout_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
                    });
                }
                self.fill()?;
                continue;
            };
            if let Some(end) = at::final_result(&line) {
                return match end {
                    Final::Ok => Ok(lines),
                    answer => Err(SmsError::Refused {
                        port: self.name.clone(),
                        command: label.to_owned(),
                        answer,
                    }),
                };
            }
            if let Some(notification) = at::new_message(&line) {
                self.note(notification);
            } else if !(at::is_unsolicited(&line)
                || line.trim_ascii() == echo.as_bytes()
                || lines.len() >= MAX_ANSWER_LINES)
            {
                lines.push(line);
            }
        }
    }

    /// Waits for the `> ` prompt (which ends no line); an error code ends the wait.
    fn wait_prompt(&mut self, label: &str, deadline: Instant) -> Result<(), SmsError> {
        loop {
            while let Some(line) = self.lines.pop_front() {
                if let Some(end) = at::final_result(&line) {
                    return Err(SmsError::Refused {
                        port: self.name.clone(),
                        command: label.to_owned(),
                        answer: end,
                    });
                }
                if let Some(notification) = at::new_message(&line) {
                    self.note(notification);
                }
            }
            if self.partial.trim_ascii() == b">" {
                self.partial.clear();
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(SmsError::Timeout {
                    port: self.name.clone(),
                    command: label.to_owned(),
                    timeout_ms: u64::try_from(self.timing.prompt.as_millis()).unwrap_or(u64::MAX),
                });
            }
            self.fill()?;
        }
    }

    fn note(&mut self, notification: NewMessage) {
        if self.notifications.len() < MAX_NOTIFICATIONS {
            self.notifications.push_back(notification);
        } else {
            self.notifications_lost = true;
        }
    }

    /// Drops lines already read that belong to no command (keeping notifications).
    fn drop_pending(&mut self) {
        while let Some(line) = self.lines.pop_front() {
            if let Some(notification) = at::new_message(&line) {
                self.note(notification);
            }
        }
    }

    /// Reads until the modem has been quiet for a read slice (at most `settle` long), and
    /// drops what it printed (keeping notifications).
    fn settle(&mut self) -> Result<(), SmsError> {
        let deadline = Instant::now() + self.timing.settle;
        while Instant::now() < deadline {
            if !self.fill()? {
                break;
            }
        }
        self.drop_pending();
        self.partial.clear();
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), SmsError> {
        self.port
            .write_all(bytes)
            .and_then(|()| self.port.flush())
            .map_err(|source| SmsError::Io {
                port: self.name.clone(),
                source,
            })
    }

    /// One read (waiting up to the port's timeout) split into lines; whether anything came.
    fn fill(&mut self) -> Result<bool, SmsError> {
        let mut chunk = [0u8; 256];
        let n = match self.port.read(&mut chunk) {
            Ok(0) => {
                return Err(SmsError::Closed {
                    port: self.name.clone(),
                });
            }
            Ok(n) => n,
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted
                ) =>
            {
                return Ok(false);
            }
            Err(source) => {
                return Err(SmsError::Io {
                    port: self.name.clone(),
                    source,
                });
            }
        };
        for &byte in &chunk[..n] {
            match byte {
                b'\r' | b'\n' => {
                    if !self.partial.is_empty() {
                        let line = std::mem::take(&mut self.partial);
                        if self.lines.len() < MAX_ANSWER_LINES {
                            self.lines.push_back(line);
                        }
                    }
                }
                _ if self.partial.len() >= MAX_LINE_BYTES => {}
                _ => self.partial.push(byte),
            }
        }
        Ok(true)
    }
}
