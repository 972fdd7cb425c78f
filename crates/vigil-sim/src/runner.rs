//! Serves a [`SimWorld`] on a transport from a thread of its own (`vigil-sim`): steps the world
//! on the simulated clock, paced against the wall clock by `speed`, sends what every simulated
//! system says (through the radio's bandwidth, loss, latency and corruption when a radio is
//! set), answers what a ground station sends, and writes the ground truth once per simulated
//! second.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::SimVehicle;
use super::scenario::RadioSpec;
use super::signing::SimSigning;
use super::truth::TruthWriter;
use super::world::{Emission, STEP, SimWorld};
use vigil_core::rng::Rng;
use vigil_core::time::MonoClock;
use vigil_core::worker::{StopFlag, Worker};
use vigil_protocol::{FrameEncoder, FrameParser, MavMessage, MavVersion};

/// The longest the loop sleeps while ahead of schedule, so that answers to the ground station
/// go out promptly.
const POLL: Duration = Duration::from_millis(2);
/// Seconds of air time a radio buffers before it drops frames (as a SiK radio's buffer).
const RADIO_BUFFER_S: f64 = 2.0;

/// A byte stream the runner can read and write.
pub trait ByteStream: Read + Write + Send {}
impl<T: Read + Write + Send> ByteStream for T {}

/// Where the simulator talks.
pub enum SimTransport {
    /// A UDP socket sending to `peer`; with `learn`, replies go to whoever wrote last (as a
    /// `udpin:` link), else always to `peer` (as `udpout:`).
    Udp {
        socket: UdpSocket,
        peer: Option<SocketAddr>,
        learn: bool,
    },
    /// A TCP connection, serial device or pseudo-terminal, non-blocking (or with a read
    /// timeout of a few milliseconds at most).
    Stream(Box<dyn ByteStream>),
    /// Accepts ground stations on a TCP port (as a SITL's tcp:5760), one at a time.
    TcpListen {
        listener: TcpListener,
        stream: Option<TcpStream>,
    },
}

impl SimTransport {
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Self::Udp { socket, peer, .. } => match peer {
                Some(peer) => match socket.send_to(bytes, *peer) {
                    Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => Ok(()),
                    other => other.map(|_| ()),
                },
                None => Ok(()),
            },
            Self::Stream(stream) => stream.write_all(bytes),
            Self::TcpListen { stream, .. } => {
                if let Some(connection) = stream
                    && connection.write_all(bytes).is_err()
                {
                    *stream = None; // the ground station left; wait for the next
                }
                Ok(())
            }
        }
    }

    /// Reads what is there without waiting; `Ok(None)` when nothing is, `Ok(Some(0))` when the
    /// peer closed the stream.
    fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        let result = match self {
            Self::Udp {
                socket,
                peer,
                learn,
            } => socket.recv_from(buf).map(|(n, from)| {
                if *learn {
                    *peer = Some(from);
                }
                n
            }),
            Self::Stream(stream) => stream.read(buf),
            Self::TcpListen { listener, stream } => match stream {
                Some(connection) => match connection.read(buf) {
                    Ok(0) => {
                        *stream = None; // the ground station left; wait for the next
                        return Ok(None);
                    }
                    Err(err)
                        if !matches!(
                            err.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                        ) =>
                    {
                        *stream = None; // reset by the ground station: wait for the next
                        return Ok(None);
                    }
                    other => other,
                },
                None => {
                    if let Ok((connection, _)) = listener.accept() {
                        connection.set_nonblocking(true)?;
                        let _ = connection.set_nodelay(true);
                        *stream = Some(connection);
                    }
                    return Ok(None);
                }
            },
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
                Ok(None)
            }
            // A UDP peer that is not listening yet.
            Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => Ok(None),
            Err(err) => Err(err),
        }
    }

    fn prepare(&mut self) -> io::Result<()> {
        match self {
            Self::Udp { socket, .. } => socket.set_nonblocking(true),
            Self::TcpListen { listener, .. } => listener.set_nonblocking(true),
            Self::Stream(_) => Ok(()),
        }
    }
}

/// Opens the simulator's end of a link. A serial device named `pty` is a new pseudo-terminal
/// (returned too, so that its slave end stays open while the simulator runs).
pub fn open_transport(
    address: &vigil_core::address::LinkAddress,
) -> io::Result<(SimTransport, Option<super::pty::Pty>)> {
    use std::net::ToSocketAddrs;
    use vigil_core::address::LinkAddress;
    let transport = match address {
        LinkAddress::UdpOut { host, port } => {
            let peer = (host.as_str(), *port)
                .to_socket_addrs()?
                .next()
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
                })?;
            let any: SocketAddr = if peer.is_ipv4() {
                ([0, 0, 0, 0], 0).into()
            } else {
                (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
            };
            SimTransport::Udp {
                socket: UdpSocket::bind(any)?,
                peer: Some(peer),
                learn: false,
            }
        }
        LinkAddress::UdpIn { bind } => SimTransport::Udp {
            socket: UdpSocket::bind(bind)?,
            peer: None,
            learn: true,
        },
        LinkAddress::TcpListen { bind } => SimTransport::TcpListen {
            listener: TcpListener::bind(bind)?,
            stream: None,
        },
        LinkAddress::TcpClient { host, port } => {
            let stream = TcpStream::connect((host.as_str(), *port))?;
            stream.set_nonblocking(true)?;
            let _ = stream.set_nodelay(true);
            SimTransport::Stream(Box::new(stream))
        }
        LinkAddress::Serial { path, .. } if path.as_os_str() == "pty" => {
            let pty = super::pty::open_pty()?;
            let master = pty.master.try_clone_native().map_err(io::Error::from)?;
            return Ok((SimTransport::Stream(Box::new(master)), Some(pty)));
        }
        LinkAddress::Serial { path, baud } => {
            let port = tokio_serial::new(path.to_string_lossy(), *baud)
                .timeout(POLL)
                .open()
                .map_err(io::Error::other)?;
            SimTransport::Stream(Box::new(port))
        }
        LinkAddress::File { .. } => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the simulator cannot send to a file; use a network or serial link",
            ));
        }
    };
    Ok((transport, None))
}

/// How to run the simulation.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// MAVLink framing for messages that fit MAVLink 1 (Vigil's own need MAVLink 2).
    pub version: MavVersion,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// Radio effects on what the simulator sends and receives.
    pub radio: Option<RadioSpec>,
    /// Seed of the radio's randomness (apart from the world's, so that the ground truth does
    /// not depend on the radio).
    pub radio_seed: u64,
    /// Stop after this much simulated time.
    pub duration: Option<Duration>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            version: MavVersion::V2,
            speed: 1.0,
            radio: None,
            radio_seed: 0,
            duration: None,
        }
    }
}

/// A running simulation.
pub struct SimRunner {
    world: Arc<Mutex<SimWorld>>,
    worker: Worker<io::Result<()>>,
}

impl SimRunner {
    /// Serves one vehicle in real time on the current clock (tests, single-drone SITL).
    pub fn start(
        vehicle: SimVehicle,
        transport: SimTransport,
        version: MavVersion,
    ) -> io::Result<Self> {
        let world = SimWorld::single(vehicle, MonoClock::new().now());
        Self::start_world(
            world,
            transport,
            RunOptions {
                version,
                ..RunOptions::default()
            },
            None,
        )
    }

    /// Serves a whole world.
    pub fn start_world(
        world: SimWorld,
        mut transport: SimTransport,
        options: RunOptions,
        truth: Option<TruthWriter>,
    ) -> io::Result<Self> {
        transport.prepare()?;
        let world = Arc::new(Mutex::new(world));
        let thread_world = world.clone();
        let worker = Worker::spawn("vigil-sim", move |stop| {
            serve(&thread_world, &mut transport, &options, truth, &stop)
        })?;
        Ok(Self { world, worker })
    }

    /// The world, to inspect or change (e.g. to make a vehicle ignore commands).
    pub fn world(&self) -> MutexGuard<'_, SimWorld> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// True once the simulation has run its duration (or its transport failed).
    pub fn is_finished(&self) -> bool {
        self.worker.is_finished()
    }

    /// Waits for the simulation to end by itself and returns how it ended.
    pub fn join(self) -> io::Result<()> {
        self.worker
            .join()
            .unwrap_or_else(|| Err(io::Error::other("the simulator panicked")))
    }

    /// Stops the simulation and closes the transport (dropping it does too).
    pub fn stop(self) {
        self.worker.stop();
    }
}

/// The radio between the simulator and the ground station.
struct Radio {
    spec: RadioSpec,
    rng: Rng,
    /// Frames in the air: when they arrive (wall clock) and their bytes.
    queue: VecDeque<(Instant, Vec<u8>)>,
    /// When the radio has finished sending what it already took.
    busy_until: Instant,
    pub dropped: u64,
}

impl Radio {
    fn new(spec: RadioSpec, seed: u64) -> Self {
        Self {
            spec,
            rng: Rng::new(seed),
            queue: VecDeque::new(),
            busy_until: Instant::now(),
            dropped: 0,
        }
    }

    /// Takes a frame for sending at wall time `now`, simulated time running `speed` times as fast.
    fn push(&mut self, now: Instant, mut bytes: Vec<u8>, speed: f64) {
        if self.rng.chance(self.spec.loss) {
            return;
        }
        if self.rng.chance(self.spec.corruption) && !bytes.is_empty() {
            let index = (self.rng.next_u64() % bytes.len() as u64) as usize;
            bytes[index] ^= 1 << (self.rng.next_u64() % 8);
        }
        let start = self.busy_until.max(now);
        let air_s = self
            .spec
            .bandwidth_bps
            .map_or(0.0, |bps| bytes.len() as f64 * 10.0 / bps)
            / speed;
        if start.saturating_duration_since(now).as_secs_f64() > RADIO_BUFFER_S / speed {
            self.dropped += 1;
            return;
        }
        self.busy_until = start + Duration::from_secs_f64(air_s);
        let arrival =
            self.busy_until + Duration::from_secs_f64(self.spec.latency_ms / 1000.0 / speed);
        self.queue.push_back((arrival, bytes));
    }

    fn due(&mut self, now: Instant) -> impl Iterator<Item = Vec<u8>> + '_ {
        let count = self.queue.iter().take_while(|(at, _)| *at <= now).count();
        self.queue.drain(..count).map(|(_, bytes)| bytes)
    }

    /// True when a frame from the ground station is lost on the way in.
    fn loses_incoming(&mut self) -> bool {
        self.rng.chance(self.spec.loss)
    }
}

// Long: the runner's loop: simulated time, radio effects and the transport, step by step.
fn serve(
    world: &Mutex<SimWorld>,
    transport: &mut SimTransport,
    options: &RunOptions,
    mut truth: Option<TruthWriter>,
    stop: &StopFlag,
) -> io::Result<()> {
    let lock = || world.lock().unwrap_or_else(PoisonError::into_inner);
    let speed = options.speed.max(1e-3);
    let mut encoders: BTreeMap<(u8, u8), FrameEncoder> = BTreeMap::new();
    let mut signing = SimSigning::default();
    let mut radio = options
        .radio
        .map(|spec| Radio::new(spec, options.radio_seed));
    let mut parser = FrameParser::new();
    let mut buf = vec![0u8; 4096];
    let started = Instant::now();
    let mut steps: u64 = 0;
    let step_wall = STEP.div_f64(speed);
    let send = |transport: &mut SimTransport,
                radio: &mut Option<Radio>,
                signing: &mut SimSigning,
                encoders: &mut BTreeMap<(u8, u8), FrameEncoder>,
                emissions: Vec<Emission>,
                sim_now: vigil_core::time::TimeUs|
     -> io::Result<()> {
        let now = Instant::now();
        for emission in emissions {
            let encoder = encoders
                .entry((emission.sysid, emission.compid))
                .or_insert_with(|| FrameEncoder::new(emission.sysid, emission.compid));
            let frame = signing.encode(
                encoder,
                emission.sysid,
                &emission.message,
                options.version,
                sim_now,
            );
            let Ok(frame) = frame else { continue };
            match radio {
                Some(radio) => radio.push(now, frame.raw().to_vec(), speed),
                None => transport.send(frame.raw())?,
            }
        }
        Ok(())
    };
    while !stop.is_set() {
        if let Some(duration) = options.duration
            && STEP * u32::try_from(steps).unwrap_or(u32::MAX) >= duration
        {
            break;
        }
        let due = started + step_wall * u32::try_from(steps + 1).unwrap_or(u32::MAX);
        // Until the next step is due: flush the radio and answer the ground station. Behind
        // schedule (a high --speed), this does one round and steps at once.
        loop {
            if let Some(radio) = &mut radio {
                for bytes in radio.due(Instant::now()).collect::<Vec<_>>() {
                    transport.send(&bytes)?;
                }
            }
            match transport.recv(&mut buf)? {
                Some(0) => return Ok(()), // the peer closed the stream
                Some(n) => {
                    parser.push(&buf[..n]);
                    while let Some(result) = parser.next_frame() {
                        let Ok(frame) = result else { continue };
                        let Ok(message) = frame.decode() else {
                            continue;
                        };
                        if radio.as_mut().is_some_and(Radio::loses_incoming) {
                            continue;
                        }
                        let from = (frame.sysid(), frame.compid());
                        if let MavMessage::SETUP_SIGNING(data) = &message {
                            let sysids: Vec<u8> = lock()
                                .drones
                                .iter()
                                .map(|d| d.vehicle.config.sysid)
                                .collect();
                            signing.setup(&frame, data, &sysids);
                            continue;
                        }
                        let admits = signing.admits(&frame);
                        let (answers, sim_now) = {
                            let mut world = lock();
                            let answers = world.handle_for(&message, from, |sysid| {
                                admits.get(&sysid).copied().unwrap_or(true)
                            });
                            (answers, world.now)
                        };
                        send(
                            transport,
                            &mut radio,
                            &mut signing,
                            &mut encoders,
                            answers,
                            sim_now,
                        )?;
                    }
                    continue; // more may be waiting
                }
                None => {}
            }
            let now = Instant::now();
            if now >= due || stop.is_set() {
                break;
            }
            std::thread::sleep(POLL.min(due - now));
        }
        let (emissions, rows, sim_now) = {
            let mut world = lock();
            let emissions = world.step();
            let rows = (world.now.0 % 1_000_000 == 0 && truth.is_some()).then(|| world.truth());
            (emissions, rows, world.now)
        };
        send(
            transport,
            &mut radio,
            &mut signing,
            &mut encoders,
            emissions,
            sim_now,
        )?;
        if let (Some(writer), Some(rows)) = (&mut truth, rows) {
            writer.write(&rows)?;
        }
        steps += 1;
    }
    if let Some(writer) = &mut truth {
        writer.flush()?;
    }
    Ok(())
}
