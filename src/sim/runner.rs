//! Serves a [`SimVehicle`] on a transport from a thread of its own (`vigil-sim-<sysid>`):
//! answers what it receives and streams telemetry at ArduPilot's default rates.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::SimVehicle;
use crate::protocol::{FrameEncoder, FrameParser, MavMessage, MavVersion};
use crate::time::MonoClock;

/// Period of the fast telemetry (position, attitude, HUD) and of the kinematics.
const FAST_PERIOD: Duration = Duration::from_millis(100);
/// Period of the slow telemetry (heartbeat, status, GPS, home).
const SLOW_PERIOD: Duration = Duration::from_secs(1);
/// How long one read may wait before the loop checks its timers.
const POLL: Duration = Duration::from_millis(5);

/// A byte stream the runner can read and write.
pub trait ByteStream: Read + Write + Send {}
impl<T: Read + Write + Send> ByteStream for T {}

/// Where a simulated vehicle talks.
pub enum SimTransport {
    /// A bound UDP socket sending to `peer` (as a SITL's `udpout`).
    Udp { socket: UdpSocket, peer: SocketAddr },
    /// A TCP connection, serial device or pseudo-terminal; reads must not block for long
    /// (a read timeout or non-blocking mode).
    Stream(Box<dyn ByteStream>),
}

impl SimTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Self::Udp { socket, peer } => socket.send_to(bytes, *peer).map(|_| ()),
            Self::Stream(stream) => stream.write_all(bytes),
        }
    }

    /// Reads what is there; `Ok(None)` when nothing arrived in time, `Ok(Some(0))` at the end.
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let result = match self {
            Self::Udp { socket, .. } => socket.recv_from(buf).map(|(n, _)| n),
            Self::Stream(stream) => stream.read(buf),
        };
        match result {
            Ok(n) => Ok(Some(n)),
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                std::thread::sleep(POLL);
                Ok(None)
            }
            // A UDP peer that is not listening yet.
            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => Ok(None),
            Err(err) => Err(err),
        }
    }
}

/// A simulated vehicle running on its own thread.
pub struct SimRunner {
    vehicle: Arc<Mutex<SimVehicle>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimRunner {
    /// Starts serving `vehicle` on `transport`, framing in `version`.
    pub fn start(
        vehicle: SimVehicle,
        mut transport: SimTransport,
        version: MavVersion,
    ) -> io::Result<Self> {
        if let SimTransport::Udp { socket, .. } = &transport {
            socket.set_read_timeout(Some(POLL))?;
        }
        let sysid = vehicle.config.sysid;
        let vehicle = Arc::new(Mutex::new(vehicle));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_vehicle, thread_stop) = (vehicle.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name(format!("vigil-sim-{sysid}"))
            .spawn(move || serve(&thread_vehicle, &mut transport, version, &thread_stop))?;
        Ok(Self {
            vehicle,
            stop,
            thread: Some(thread),
        })
    }

    /// The vehicle, to inspect or to change (e.g. to make it ignore commands).
    pub fn vehicle(&self) -> MutexGuard<'_, SimVehicle> {
        self.vehicle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stops the thread and closes the transport.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SimRunner {
    fn drop(&mut self) {
        self.halt();
    }
}

fn serve(
    vehicle: &Mutex<SimVehicle>,
    transport: &mut SimTransport,
    version: MavVersion,
    stop: &AtomicBool,
) {
    let lock = || vehicle.lock().unwrap_or_else(PoisonError::into_inner);
    let (sysid, compid) = {
        let v = lock();
        (v.config.sysid, v.config.compid)
    };
    let clock = MonoClock::new();
    let booted = Instant::now();
    let mut encoder = FrameEncoder::new(sysid, compid);
    let mut parser = FrameParser::new();
    let mut buf = vec![0u8; 4096];
    let mut next_fast = Instant::now();
    let mut next_slow = Instant::now();
    let mut send = |transport: &mut SimTransport, messages: Vec<MavMessage>| -> io::Result<()> {
        for message in messages {
            // Messages above id 255 need MAVLink 2 even on a v1 link.
            let frame = encoder
                .encode(&message, version)
                .or_else(|_| encoder.encode(&message, MavVersion::V2));
            if let Ok(frame) = frame {
                transport.send(frame.raw())?;
            }
        }
        Ok(())
    };
    while !stop.load(Ordering::SeqCst) {
        match transport.recv(&mut buf) {
            Ok(Some(0)) => return, // the peer closed the stream
            Ok(Some(n)) => {
                parser.push(&buf[..n]);
                while let Some(result) = parser.next_frame() {
                    let Ok(message) = result.and_then(|frame| frame.decode()) else {
                        continue;
                    };
                    let replies = lock().handle(&message);
                    if send(transport, replies).is_err() {
                        return;
                    }
                }
            }
            Ok(None) => {}
            Err(_) => return,
        }
        let now = Instant::now();
        if now >= next_fast {
            let time_boot_ms = u32::try_from(booted.elapsed().as_millis()).unwrap_or(u32::MAX);
            let messages = {
                let mut v = lock();
                v.step(FAST_PERIOD);
                v.fast_telemetry(time_boot_ms)
            };
            if send(transport, messages).is_err() {
                return;
            }
            next_fast += FAST_PERIOD;
        }
        if now >= next_slow {
            let messages = lock().slow_telemetry(clock.now());
            if send(transport, messages).is_err() {
                return;
            }
            next_slow += SLOW_PERIOD;
        }
    }
}
