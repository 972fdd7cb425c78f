//! A simulated GSM modem for community reports by SMS: on a pseudo-terminal (as [`crate::pty`]
//! gives one), it answers the AT commands of SMS text mode (3GPP TS 27.005) as a USB 3G/4G
//! modem does, stores scripted incoming messages on its "SIM" and announces them with
//! `+CMTI`, and records the messages the station sends back, so that tests can check the
//! station's acknowledgements. One named thread (`vigil-sim-modem`) owns the master end.
//!
//! # What it answers (and refuses, as a real modem would)
//! - Echo is on until `ATE0`; `ATZ` restores the power-on settings (echo, PDU mode, `IRA`,
//!   no notifications); unknown commands answer `ERROR`.
//! - `AT+CMGF=0|1`. The modem starts in PDU mode: there `AT+CMGR`, `AT+CMGL` and `AT+CMGS`
//!   answer `+CMS ERROR: 302`. A real modem would answer with PDUs, which the station does
//!   not read; an error makes a station that forgot text mode fail just as surely, and
//!   plainly.
//! - `AT+CSCS="IRA"|"GSM"|"UCS2"` (`UCS2` only with [`ModemOptions::ucs2`], to try the
//!   station's fallback). In UCS2 mode every string parameter (`AT+CMGL`'s status,
//!   `AT+CPMS`'s memories, `AT+CMGS`'s number) must be hexadecimal UCS2, as several modems
//!   require — a plain `"ALL"` is refused with `+CMS ERROR: 305` —, and senders and texts are
//!   printed in hexadecimal. A message outside the GSM alphabet (the phone sent it in UCS2) is
//!   printed in hexadecimal in any mode, as TS 27.005 says.
//! - `AT+CNMI=<mode>,1,...` turns on `+CMTI: "SM",<index>` for each new message (held while
//!   a message is being typed after `AT+CMGS`); `AT+CPMS` knows the one memory `"SM"`.
//! - `AT+CMGR=<i>`: `+CMS ERROR: 321` for an empty or invalid index; the message becomes
//!   `REC READ`. `AT+CMGL="<stat>"` lists as `+CMGL` lines. `AT+CMGD=<i>[,<flag>]`.
//! - `AT+CMGS="<number>"` prints the `> ` prompt; the text ends with Ctrl-Z (sent: `+CMGS:
//!   <reference>`) or ESC (cancelled); longer than one SMS is `+CMS ERROR: 305`.

mod machine;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};
use vigil_core::time::TimeUs;
use vigil_core::worker::{StopFlag, Worker};

use machine::Machine;

/// How long the modem's thread waits for bytes before it looks at its stop flag and its
/// unsolicited lines.
const POLL_PERIOD: Duration = Duration::from_millis(10);

/// A message from the network, as scripted by a test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IncomingSms {
    pub sender: String,
    /// When the service centre took it (UTC).
    pub time: TimeUs,
    /// The service centre's zone, in quarter hours from UTC (`12` is UTC+3).
    pub zone_quarter_hours: i8,
    pub text: String,
}

/// A message the station sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentSms {
    pub to: String,
    pub text: String,
}

/// What the simulated modem can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModemOptions {
    /// Messages the SIM holds.
    pub capacity: u32,
    /// Whether `AT+CSCS="UCS2"` is accepted.
    pub ucs2: bool,
}

impl Default for ModemOptions {
    fn default() -> Self {
        Self {
            capacity: 30,
            ucs2: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModemError {
    #[error("the SIM's message storage is full ({0} messages)")]
    Full(u32),
}

/// A stored message, for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredView {
    pub index: u32,
    pub sender: String,
    pub text: String,
    pub read: bool,
}

/// The modem as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModemState {
    /// The SIM's messages, by index.
    pub stored: Vec<StoredView>,
    /// Messages sent, oldest first.
    pub sent: Vec<SentSms>,
    /// Command lines received (the last thousand), as typed.
    pub commands: Vec<String>,
    pub echo: bool,
    pub text_mode: bool,
    /// Whether new messages are announced with `+CMTI`.
    pub notify: bool,
}

struct Shared {
    machine: Mutex<Machine>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Machine> {
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running modem; dropping it stops it.
pub struct SimModem {
    shared: Arc<Shared>,
    path: PathBuf,
    /// Stopped (when dropped) before the slave end closes.
    worker: Worker,
    /// Kept open, as a plugged-in device: the station may close and reopen its end.
    _slave: TTYPort,
}

impl SimModem {
    /// Opens a pseudo-terminal and starts answering on it; the station opens [`Self::path`].
    pub fn start(options: ModemOptions) -> io::Result<Self> {
        let pty = crate::pty::open_pty()?;
        let mut master = pty.master;
        master.set_timeout(POLL_PERIOD)?;
        let shared = Arc::new(Shared {
            machine: Mutex::new(Machine::new(options)),
            changed: Condvar::new(),
        });
        let worker = Worker::spawn("vigil-sim-modem", {
            let shared = shared.clone();
            move |stop| serve(&mut master, &shared, &stop)
        })?;
        Ok(Self {
            shared,
            path: pty.slave_path,
            worker,
            _slave: pty.slave,
        })
    }

    /// The device the station opens.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A message arrives from the network: stored in the lowest free index (returned), and
    /// announced with `+CMTI` if the station asked for it.
    pub fn deliver(&self, sms: IncomingSms) -> Result<u32, ModemError> {
        let index = self.shared.lock().deliver(sms);
        self.shared.changed.notify_all();
        index
    }

    /// Prints an unsolicited line (`^RSSI: 17`, `RING`...) between answers, as modems do.
    pub fn unsolicited(&self, line: &str) {
        self.shared.lock().push_unsolicited(line);
    }

    pub fn state(&self) -> ModemState {
        self.shared.lock().view()
    }

    /// Waits until `ready` holds (the state it held in), or `timeout` passes (`None`).
    pub fn wait_for(
        &self,
        timeout: Duration,
        ready: impl Fn(&ModemState) -> bool,
    ) -> Option<ModemState> {
        let deadline = Instant::now() + timeout;
        let mut machine = self.shared.lock();
        loop {
            let state = machine.view();
            if ready(&state) {
                return Some(state);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            machine = self
                .shared
                .changed
                .wait_timeout(machine, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Stops the modem (dropping it does too).
    pub fn stop(self) {
        self.worker.stop();
    }
}

/// Reads what the station types, answers it, and prints unsolicited lines between answers.
fn serve(master: &mut TTYPort, shared: &Shared, stop: &StopFlag) {
    let mut buffer = [0u8; 512];
    while !stop.is_set() {
        let received = match master.read(&mut buffer) {
            Ok(n) => &buffer[..n],
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted
                ) =>
            {
                &[]
            }
            Err(_) => {
                // The station's end is closed for now; the slave is held open, so this
                // passes.
                std::thread::sleep(POLL_PERIOD);
                &[]
            }
        };
        let out = {
            let mut machine = shared.lock();
            let mut out = machine.input(received);
            out.extend(machine.take_unsolicited());
            out
        };
        if !received.is_empty() || !out.is_empty() {
            // Nobody reading: what does not fit is lost, as on a real line.
            let _ = master.write_all(&out);
            shared.changed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// The station's end: writes a command line and reads until `until` has been printed.
    struct Station {
        port: TTYPort,
    }

    impl Station {
        fn open(modem: &SimModem) -> Self {
            let path = modem.path().to_string_lossy().into_owned();
            let port = serialport::new(path, 115_200)
                .timeout(Duration::from_millis(20))
                .open_native()
                .expect("the modem's device opens");
            Self { port }
        }

        fn send(&mut self, bytes: &[u8], until: &str) -> String {
            self.port.write_all(bytes).expect("written");
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut got = Vec::new();
            let mut chunk = [0u8; 256];
            while !String::from_utf8_lossy(&got).contains(until) {
                assert!(
                    Instant::now() < deadline,
                    "no {until:?} in {:?}",
                    String::from_utf8_lossy(&got)
                );
                if let Ok(n) = self.port.read(&mut chunk) {
                    got.extend_from_slice(&chunk[..n]);
                }
            }
            String::from_utf8_lossy(&got).into_owned()
        }

        fn at(&mut self, command: &str, until: &str) -> String {
            self.send(format!("{command}\r").as_bytes(), until)
        }
    }

    fn sms(sender: &str, text: &str) -> IncomingSms {
        IncomingSms {
            sender: sender.into(),
            time: vigil_core::time::parse_utc("2026-03-14T15:30:00Z").expect("a time"),
            zone_quarter_hours: 12,
            text: text.into(),
        }
    }

    #[test]
    fn it_answers_as_a_modem_in_text_mode() {
        let modem = SimModem::start(ModemOptions::default()).expect("starts");
        modem
            .deliver(sms("+211911111111", "fire Keradu"))
            .expect("stored");
        let mut station = Station::open(&modem);
        assert_eq!(station.at("AT", "OK\r\n"), "AT\r\r\nOK\r\n");
        assert_eq!(station.at("ATE0", "OK\r\n"), "ATE0\r\r\nOK\r\n");
        assert_eq!(
            station.at("AT+CMGR=1", "302\r\n"),
            "\r\n+CMS ERROR: 302\r\n"
        );
        assert_eq!(station.at("AT+CMGF=1", "OK\r\n"), "\r\nOK\r\n");
        assert_eq!(
            station.at("AT+CMGR=2", "321\r\n"),
            "\r\n+CMS ERROR: 321\r\n"
        );
        assert_eq!(
            station.at("AT+CMGR=1", "OK\r\n"),
            "\r\n+CMGR: \"REC UNREAD\",\"+211911111111\",,\"26/03/14,18:30:00+12\"\r\nfire Keradu\r\n\r\nOK\r\n"
        );
        assert_eq!(station.at("at+cnmi=2,1,0,0,0", "OK\r\n"), "\r\nOK\r\n");
        let index = modem
            .deliver(sms("+211922222222", "tirs à Lomisa"))
            .expect("stored");
        assert_eq!(index, 2);
        assert_eq!(station.send(b"", ",2\r\n"), "\r\n+CMTI: \"SM\",2\r\n");
        assert_eq!(station.at("AT+CSCS=\"UCS2\"", "OK\r\n"), "\r\nOK\r\n");
        assert_eq!(
            station.at("AT+CMGL=\"ALL\"", "305\r\n"),
            "\r\n+CMS ERROR: 305\r\n"
        );
        let listing = station.at("AT+CMGL=\"0041004C004C\"", "OK\r\n");
        assert!(
            listing.contains("+CMGL: 2,\"REC UNREAD\",\"002B003200310031003900320032003200320032003200320032\",,\"26/03/14,18:30:00+12\"\r\n0074006900720073002000E00020004C006F006D006900730061\r\n"),
            "{listing}"
        );
        assert_eq!(station.at("AT+CMGD=1", "OK\r\n"), "\r\nOK\r\n");
        assert_eq!(
            station.at("AT+CMGD=99", "321\r\n"),
            "\r\n+CMS ERROR: 321\r\n"
        );
        assert_eq!(
            modem
                .state()
                .stored
                .iter()
                .map(|s| s.index)
                .collect::<Vec<_>>(),
            [2]
        );
        assert_eq!(station.at("AT+FOO", "ERROR\r\n"), "\r\nERROR\r\n");
    }

    #[test]
    fn messages_sent_back_are_recorded_after_the_prompt() {
        let modem = SimModem::start(ModemOptions::default()).expect("starts");
        let mut station = Station::open(&modem);
        for command in ["ATE0", "AT+CMGF=1", "AT+CNMI=2,1,0,0,0"] {
            station.at(command, "OK\r\n");
        }
        assert_eq!(station.at("AT+CMGS=\"+211911111111\"", "> "), "\r\n> ");
        // A message arriving while the text is typed is announced after it is sent.
        modem
            .deliver(sms("+211933333333", "fire Keradu"))
            .expect("stored");
        let answer = station.send(b"Vigil: report 1 received\x1a", "\"SM\",1\r\n");
        assert_eq!(answer, "\r\n+CMGS: 1\r\n\r\nOK\r\n\r\n+CMTI: \"SM\",1\r\n");
        station.at("AT+CSCS=\"UCS2\"", "OK\r\n");
        assert_eq!(
            station.at("AT+CMGS=\"+211911111111\"", "305\r\n"),
            "\r\n+CMS ERROR: 305\r\n"
        );
        station.at("AT+CMGS=\"002B0031\"", "> ");
        station.send(b"00E9\x1a", "OK\r\n");
        station.at("AT+CMGS=\"002B0031\"", "> ");
        assert_eq!(station.send(b"0041\x1b", "OK\r\n"), "\r\nOK\r\n");
        let state = modem.state();
        assert_eq!(
            state.sent,
            [
                SentSms {
                    to: "+211911111111".into(),
                    text: "Vigil: report 1 received".into()
                },
                SentSms {
                    to: "+1".into(),
                    text: "é".into()
                }
            ]
        );
        assert!(state.commands.iter().any(|c| c == "AT+CNMI=2,1,0,0,0"));
    }

    #[test]
    fn without_ucs2_gsm_bytes_and_hexadecimal_for_the_rest() {
        let modem = SimModem::start(ModemOptions {
            capacity: 1,
            ucs2: false,
        })
        .expect("starts");
        let mut station = Station::open(&modem);
        for command in ["ATE0", "AT+CMGF=1"] {
            station.at(command, "OK\r\n");
        }
        assert_eq!(station.at("AT+CSCS=\"UCS2\"", "ERROR\r\n"), "\r\nERROR\r\n");
        station.at("AT+CSCS=\"GSM\"", "OK\r\n");
        modem.deliver(sms("+211911111111", "fête")).expect("stored");
        assert_eq!(
            modem.deliver(sms("+211911111111", "full")),
            Err(ModemError::Full(1))
        );
        let answer = station.at("AT+CMGR=1", "OK\r\n");
        assert!(answer.contains("\r\n006600EA00740065\r\n"), "{answer}");
        station.at("AT+CMGD=1", "OK\r\n");
        modem
            .deliver(sms("+211911111111", "feu é@"))
            .expect("stored");
        station.port.write_all(b"AT+CMGR=1\r").expect("written");
        let state = modem
            .wait_for(Duration::from_secs(10), |s| s.stored.iter().all(|m| m.read))
            .expect("read");
        assert_eq!(state.stored.len(), 1);
        let answer = station.send(b"", "OK\r\n");
        assert!(answer.contains("\r\nfeu \x05\x00\r\n"), "{answer:?}");
    }
}
