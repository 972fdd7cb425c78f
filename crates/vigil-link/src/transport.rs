//! The link tasks themselves: one loop per transport, sharing [`LinkCtx`] for everything that
//! happens to received and sent bytes.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use super::{LinkEvent, LinkEventKind, LinkHandle, LinkOptions, LinkState, LinkStats, ReplayPace};
use crate::ingress::Closed;
use crate::{Envelope, Ingress, LINK_SEND_QUEUE_CAPACITY, LinkId, LinkIngress, RxStamp};
use vigil_core::address::LinkAddress;
use vigil_core::time::{MonoClock, TimeUs};
use vigil_protocol::signing::{Rejection, carries_key};
use vigil_protocol::tlog::{TlogReader, TlogRecord};
use vigil_protocol::{Frame, FrameError, FrameParser, Verdict, Verifier};

/// UDP peers a `udpin:` link replies to (the most recent senders).
const MAX_UDP_PEERS: usize = 8;
/// How often coalesced telemetry is retried while the world queue is full.
const FLUSH_PERIOD: Duration = Duration::from_millis(5);
/// On a byte stream, a partial frame with no byte after it for this long is a false start
/// marker in noise, not a frame on its way: it is skipped so that it cannot hold back the valid
/// frame behind it until more bytes come (a 280-byte frame takes 49 ms at 57600 baud).
const STREAM_RESYNC_IDLE: Duration = Duration::from_millis(500);

/// Starts a link. Live links run on `runtime`; replays get a thread of their own.
pub fn spawn_link(
    runtime: &tokio::runtime::Handle,
    id: LinkId,
    address: LinkAddress,
    ingress: &Ingress,
    clock: MonoClock,
    options: LinkOptions,
) -> std::io::Result<LinkHandle> {
    let (outgoing, outgoing_rx) = mpsc::channel(LINK_SEND_QUEUE_CAPACITY);
    let stats = Arc::new(LinkStats::default());
    let verifier = match (&options.keys, address.is_replay()) {
        (Some(keys), false) => Verifier::with_source(keys.clone(), options.unsigned),
        _ => Verifier::new(None, options.unsigned),
    };
    let signing = Arc::new(std::sync::Mutex::new(verifier));
    let ctx = LinkCtx {
        id,
        stats: stats.clone(),
        signing: signing.clone(),
        ingress: ingress.for_link(address.is_replay()),
        parser: FrameParser::new(),
        clock,
        replay_time: address.is_replay().then_some(TimeUs(0)),
    };
    match &address {
        LinkAddress::File { path } => {
            let path = path.clone();
            std::thread::Builder::new()
                .name(format!("vigil-replay-{}", id.0))
                .spawn(move || replay(ctx, &path, options.replay))?;
        }
        live => {
            runtime.spawn(run_live(ctx, live.clone(), outgoing_rx, options));
        }
    }
    Ok(LinkHandle {
        id,
        address,
        stats,
        signing,
        outgoing,
    })
}

/// State shared by all transports: parsing, statistics, recording and delivery.
struct LinkCtx {
    id: LinkId,
    stats: Arc<LinkStats>,
    signing: Arc<std::sync::Mutex<Verifier>>,
    ingress: LinkIngress,
    parser: FrameParser,
    clock: MonoClock,
    /// For a replay, the time of the last record: its events happen on the recording's clock.
    replay_time: Option<TimeUs>,
}

impl LinkCtx {
    fn event(&mut self, kind: LinkEventKind) -> Result<(), Closed> {
        match &kind {
            LinkEventKind::Up(_) => {
                self.stats.set_state(LinkState::Up);
                LinkStats::add(&self.stats.connects, 1);
            }
            LinkEventKind::Retrying(reason) => {
                self.stats.set_state(LinkState::Retrying(reason.clone()))
            }
            LinkEventKind::Failed(reason) => {
                self.stats.set_state(LinkState::Failed(reason.clone()))
            }
            // Not here: frames read before the end may still wait in the world queue. The
            // world thread sets it when it applies this event, behind them in the same queue.
            LinkEventKind::Finished | LinkEventKind::Warning(_) => {}
        }
        let event = LinkEvent {
            link: self.id,
            time: self.replay_time.unwrap_or_else(|| self.clock.now()),
            kind,
        };
        self.ingress.event(event)
    }

    /// Handles bytes read from a live link.
    fn on_bytes(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        LinkStats::add(&self.stats.bytes_rx, bytes.len() as u64);
        let skipped_before = self.parser.counters().skipped_bytes;
        self.parser.push(bytes);
        let mono = Instant::now();
        let time = self.clock.at(mono);
        while let Some(result) = self.parser.next_frame() {
            match result {
                Ok(frame) => self.on_frame(frame, RxStamp { time, mono }, true)?,
                Err(FrameError::BadCrc { .. }) => LinkStats::add(&self.stats.crc_errors, 1),
                Err(_) => LinkStats::add(&self.stats.parse_errors, 1),
            }
        }
        let skipped = self.parser.counters().skipped_bytes - skipped_before;
        LinkStats::add(&self.stats.bytes_skipped, skipped);
        Ok(())
    }

    /// Handles one UDP datagram: whole frames only, so a partial frame left at its end is
    /// garbage and must not swallow the next datagram.
    fn on_datagram(&mut self, datagram: &[u8]) -> Result<(), Closed> {
        self.on_bytes(datagram)?;
        while self.parser.skip_partial() {
            LinkStats::add(&self.stats.bytes_skipped, 1);
            self.on_bytes(&[])?;
        }
        Ok(())
    }

    /// Counts, records and delivers one valid frame.
    fn on_frame(&mut self, frame: Frame, rx: RxStamp, record: bool) -> Result<(), Closed> {
        // A frame carrying a signing key is neither recorded nor shown to anyone.
        if carries_key(&frame) {
            return Ok(());
        }
        // A lock broken by a panic fails closed: the frame is refused and counted.
        let broken = (Verdict::Rejected(Rejection::Unverifiable), Vec::new());
        let (verdict, notices) = match self
            .signing
            .lock()
            .map(|mut v| v.try_check(&frame, rx.time))
        {
            // No lookup was made, so no lookup failed: nothing to tell.
            Ok(Ok(verdict)) => (verdict, Vec::new()),
            // The system's key must be looked up (a file read): done without the lock held,
            // so that `LinkHandle` callers on the world thread never wait for a disk.
            Ok(Err(source)) => {
                let found = source.lookup(frame.sysid());
                match self.signing.lock() {
                    Ok(mut verifier) => {
                        verifier.provide_lookup(frame.sysid(), found, rx.time);
                        (verifier.check(&frame, rx.time), verifier.take_notices())
                    }
                    Err(_) => broken,
                }
            }
            Err(_) => broken,
        };
        self.stats.observe_verdict(verdict);
        for text in notices {
            self.event(LinkEventKind::Warning(text))?;
        }
        if !verdict.accepted() {
            return Ok(());
        }
        self.stats
            .observe_frame((frame.sysid(), frame.compid()), frame.seq(), rx.time);
        if record {
            self.ingress.record(TlogRecord {
                time: rx.time,
                frame: frame.clone(),
            })?;
        }
        match frame.decode() {
            Ok(message) => self.ingress.deliver(Envelope {
                link: self.id,
                rx,
                frame,
                message,
            }),
            Err(_) => {
                LinkStats::add(&self.stats.parse_errors, 1);
                Ok(())
            }
        }
    }

    /// Counts and records a frame written to the link.
    fn on_sent(&mut self, frame: Frame) -> Result<(), Closed> {
        LinkStats::add(&self.stats.frames_tx, 1);
        LinkStats::add(&self.stats.bytes_tx, frame.raw().len() as u64);
        if carries_key(&frame) {
            return Ok(());
        }
        self.ingress.record(TlogRecord {
            time: self.clock.now(),
            frame,
        })
    }
}

/// Why a transport's session ended.
enum Ended {
    /// The pipeline shut down: stop for good.
    Shutdown,
    /// The device or peer went away: retry.
    Lost(String),
}

impl From<Closed> for Ended {
    fn from(_: Closed) -> Self {
        Self::Shutdown
    }
}

async fn run_live(
    mut ctx: LinkCtx,
    address: LinkAddress,
    mut outgoing: mpsc::Receiver<Frame>,
    options: LinkOptions,
) {
    let mut backoff = options.backoff_min;
    loop {
        ctx.stats.set_state(LinkState::Connecting);
        let ended = match &address {
            LinkAddress::Serial { path, baud } => {
                serve_serial(&mut ctx, path, *baud, &mut outgoing).await
            }
            LinkAddress::TcpClient { host, port } => {
                serve_tcp_client(&mut ctx, host, *port, &mut outgoing).await
            }
            LinkAddress::TcpListen { bind } => {
                serve_tcp_listen(&mut ctx, *bind, &mut outgoing).await
            }
            LinkAddress::UdpIn { bind } => serve_udp_in(&mut ctx, *bind, &mut outgoing).await,
            LinkAddress::UdpOut { host, port } => {
                serve_udp_out(&mut ctx, host, *port, &mut outgoing).await
            }
            LinkAddress::File { .. } => return,
        };
        match ended {
            Ended::Shutdown => return,
            Ended::Lost(reason) => {
                let was_up = ctx.stats.state() == LinkState::Up;
                if was_up {
                    backoff = options.backoff_min;
                }
                let text = format!(
                    "{address}: {reason}; retrying in {:.1} s",
                    backoff.as_secs_f64()
                );
                if ctx.event(LinkEventKind::Retrying(text)).is_err() {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(options.backoff_max);
            }
        }
    }
}

/// Pumps bytes both ways over a byte stream until it fails or the pipeline shuts down.
async fn pump<S: AsyncRead + AsyncWrite>(
    ctx: &mut LinkCtx,
    stream: S,
    outgoing: &mut mpsc::Receiver<Frame>,
) -> Ended {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut buf = vec![0u8; 4096];
    let mut flush = tokio::time::interval(FLUSH_PERIOD);
    let mut last_read = tokio::time::Instant::now();
    loop {
        let pending = ctx.ingress.has_pending();
        let partial = ctx.parser.pending() > 0;
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) => return Ended::Lost("closed by the peer".into()),
                Ok(n) => {
                    last_read = tokio::time::Instant::now();
                    if let Err(closed) = ctx.on_bytes(&buf[..n]) { return closed.into() }
                }
                Err(err) => return Ended::Lost(err.to_string()),
            },
            _ = tokio::time::sleep_until(last_read + STREAM_RESYNC_IDLE), if partial => {
                if let Err(closed) = ctx.on_datagram(&[]) { return closed.into() }
                last_read = tokio::time::Instant::now();
            },
            frame = outgoing.recv() => {
                let Some(frame) = frame else { return Ended::Shutdown };
                if let Err(err) = writer.write_all(frame.raw()).await {
                    return Ended::Lost(err.to_string());
                }
                if let Err(closed) = ctx.on_sent(frame) { return closed.into() }
            },
            _ = flush.tick(), if pending => if let Err(closed) = ctx.ingress.flush() { return closed.into() },
        }
    }
}

async fn serve_serial(
    ctx: &mut LinkCtx,
    path: &Path,
    baud: u32,
    outgoing: &mut mpsc::Receiver<Frame>,
) -> Ended {
    use tokio_serial::SerialPortBuilderExt;
    let opened = tokio_serial::new(path.to_string_lossy(), baud)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(tokio_serial::Parity::None)
        .stop_bits(tokio_serial::StopBits::One)
        .flow_control(tokio_serial::FlowControl::None)
        .open_native_async();
    let port = match opened {
        Ok(port) => port,
        Err(err) => return Ended::Lost(format!("cannot open {}: {err}", path.display())),
    };
    if let Err(closed) = ctx.event(LinkEventKind::Up(format!(
        "{} at {baud} baud",
        path.display()
    ))) {
        return closed.into();
    }
    drain_stale(outgoing);
    pump(ctx, port, outgoing).await
}

async fn serve_tcp_client(
    ctx: &mut LinkCtx,
    host: &str,
    port: u16,
    outgoing: &mut mpsc::Receiver<Frame>,
) -> Ended {
    let stream = match TcpStream::connect((host, port)).await {
        Ok(stream) => stream,
        Err(err) => return Ended::Lost(format!("cannot connect to {host}:{port}: {err}")),
    };
    let _ = stream.set_nodelay(true);
    let peer = stream
        .peer_addr()
        .map_or_else(|_| format!("{host}:{port}"), |a| a.to_string());
    if let Err(closed) = ctx.event(LinkEventKind::Up(format!("connected to {peer}"))) {
        return closed.into();
    }
    drain_stale(outgoing);
    pump(ctx, stream, outgoing).await
}

async fn serve_tcp_listen(
    ctx: &mut LinkCtx,
    bind: SocketAddr,
    outgoing: &mut mpsc::Receiver<Frame>,
) -> Ended {
    let listener = match TcpListener::bind(bind).await {
        Ok(listener) => listener,
        Err(err) => return Ended::Lost(format!("cannot listen on {bind}: {err}")),
    };
    ctx.stats.set_local_addr(listener.local_addr().ok());
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => return Ended::Lost(format!("accept on {bind}: {err}")),
        };
        let _ = stream.set_nodelay(true);
        if let Err(closed) = ctx.event(LinkEventKind::Up(format!("{peer} connected to {bind}"))) {
            return closed.into();
        }
        drain_stale(outgoing);
        match pump(ctx, stream, outgoing).await {
            Ended::Shutdown => return Ended::Shutdown,
            Ended::Lost(reason) => {
                let text = format!("{peer}: {reason}; waiting for a connection on {bind}");
                if let Err(closed) = ctx.event(LinkEventKind::Retrying(text)) {
                    return closed.into();
                }
            }
        }
    }
}

async fn serve_udp_in(
    ctx: &mut LinkCtx,
    bind: SocketAddr,
    outgoing: &mut mpsc::Receiver<Frame>,
) -> Ended {
    let socket = match UdpSocket::bind(bind).await {
        Ok(socket) => socket,
        Err(err) => return Ended::Lost(format!("cannot bind {bind}: {err}")),
    };
    ctx.stats.set_local_addr(socket.local_addr().ok());
    let local = socket
        .local_addr()
        .map_or_else(|_| bind.to_string(), |a| a.to_string());
    if let Err(closed) = ctx.event(LinkEventKind::Up(format!("listening on udp {local}"))) {
        return closed.into();
    }
    let mut peers: Vec<SocketAddr> = Vec::new();
    serve_udp(ctx, &socket, &mut peers, true, outgoing).await
}

async fn serve_udp_out(
    ctx: &mut LinkCtx,
    host: &str,
    port: u16,
    outgoing: &mut mpsc::Receiver<Frame>,
) -> Ended {
    let remote = match tokio::net::lookup_host((host, port))
        .await
        .map(|mut a| a.next())
    {
        Ok(Some(remote)) => remote,
        Ok(None) => return Ended::Lost(format!("{host} has no address")),
        Err(err) => return Ended::Lost(format!("cannot resolve {host}: {err}")),
    };
    let any: SocketAddr = if remote.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = match UdpSocket::bind(any).await {
        Ok(socket) => socket,
        Err(err) => return Ended::Lost(format!("cannot open a UDP socket: {err}")),
    };
    if let Err(closed) = ctx.event(LinkEventKind::Up(format!("sending to udp {remote}"))) {
        return closed.into();
    }
    let mut peers = vec![remote];
    serve_udp(ctx, &socket, &mut peers, false, outgoing).await
}

/// Serves a UDP socket: datagrams in from anyone, frames out to `peers`.
async fn serve_udp(
    ctx: &mut LinkCtx,
    socket: &UdpSocket,
    peers: &mut Vec<SocketAddr>,
    learn_peers: bool,
    outgoing: &mut mpsc::Receiver<Frame>,
) -> Ended {
    let mut buf = vec![0u8; 65_536];
    let mut flush = tokio::time::interval(FLUSH_PERIOD);
    loop {
        let pending = ctx.ingress.has_pending();
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    if learn_peers && peers.first() != Some(&from) {
                        peers.retain(|p| *p != from);
                        peers.insert(0, from);
                        peers.truncate(MAX_UDP_PEERS);
                    }
                    if let Err(closed) = ctx.on_datagram(&buf[..n]) { return closed.into() }
                }
                // An ICMP "port unreachable" from an earlier send surfaces here on Linux: the
                // peer is not listening yet, which is not a reason to drop the link.
                Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {}
                Err(err) => return Ended::Lost(err.to_string()),
            },
            frame = outgoing.recv() => {
                let Some(frame) = frame else { return Ended::Shutdown };
                if peers.is_empty() {
                    LinkStats::add(&ctx.stats.tx_dropped, 1);
                    continue;
                }
                for peer in peers.iter() {
                    match socket.send_to(frame.raw(), peer).await {
                        Ok(_) => {}
                        Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {}
                        Err(err) => return Ended::Lost(err.to_string()),
                    }
                }
                if let Err(closed) = ctx.on_sent(frame) { return closed.into() }
            },
            _ = flush.tick(), if pending => if let Err(closed) = ctx.ingress.flush() { return closed.into() },
        }
    }
}

/// Drops frames queued while the link was down: commands are retried by the command engine
/// with fresh state, and stale ones must not fire when a radio comes back minutes later.
fn drain_stale(outgoing: &mut mpsc::Receiver<Frame>) {
    while outgoing.try_recv().is_ok() {}
}

/// A tlog record more than this far after the one before it is set aside (a recording has no
/// gaps longer than its session's pauses; a corrupted stamp has).
pub const MAX_TLOG_JUMP_AHEAD: std::time::Duration = std::time::Duration::from_secs(6 * 3600);
/// A tlog record more than this far before the one before it is set aside (records from
/// several links interleave within a fraction of a second).
pub const MAX_TLOG_STEP_BACK: std::time::Duration = std::time::Duration::from_secs(60);

/// This many set-aside records in a row that agree with each other become the clock (the
/// record before them was the odd one).
const TLOG_REANCHOR_AFTER: u32 = 8;

/// Replays a tlog on the calling thread, paced or as fast as the pipeline takes it.
fn replay(mut ctx: LinkCtx, path: &Path, pace: ReplayPace) {
    let mut reader = match TlogReader::open(path) {
        Ok(reader) => reader,
        Err(err) => {
            let _ = ctx.event(LinkEventKind::Failed(err.to_string()));
            return;
        }
    };
    if ctx
        .event(LinkEventKind::Up(format!("replaying {}", path.display())))
        .is_err()
    {
        return;
    }
    let started = Instant::now();
    let mut first: Option<TimeUs> = None;
    let mut last_time: Option<TimeUs> = None;
    let mut out_of_order = 0u64;
    // Consecutive set-aside records that agree with each other: the latest's time and count.
    let mut streak: Option<(TimeUs, u32)> = None;
    while let Some(item) = reader.next_record() {
        let record = match item {
            Ok(record) => record,
            // The file cannot be read (a folder, a disk error): reading again will not help.
            Err(err @ vigil_protocol::tlog::TlogError::Io { .. }) => {
                let _ = ctx.event(LinkEventKind::Failed(err.to_string()));
                return;
            }
            Err(err) => {
                if ctx.event(LinkEventKind::Warning(err.to_string())).is_err() {
                    return;
                }
                continue;
            }
        };
        // The record's time is the replay's clock: one far from its neighbours (a corrupted
        // stamp, a clock that jumped while recording) would stop or scramble the picture.
        let plausible_after = |last: TimeUs| {
            record.time.0
                <= last
                    .0
                    .saturating_add(MAX_TLOG_JUMP_AHEAD.as_micros() as u64)
                && record
                    .time
                    .0
                    .saturating_add(MAX_TLOG_STEP_BACK.as_micros() as u64)
                    >= last.0
        };
        if let Some(last) = last_time
            && !plausible_after(last)
        {
            // Records that agree with each other but not with the clock so far: the first
            // record's stamp was the odd one. After a few, follow them.
            streak = match streak {
                Some((at, n)) if plausible_after(at) => Some((record.time, n + 1)),
                _ => Some((record.time, 1)),
            };
            if streak.is_some_and(|(_, n)| n >= TLOG_REANCHOR_AFTER) {
                last_time = Some(record.time);
                streak = None;
            }
            out_of_order += 1;
            if out_of_order == 1 {
                let text = format!(
                    "{}: a record stamped {} among records of {}: records whose time jumps are set aside",
                    path.display(),
                    vigil_core::time::utc_string(record.time),
                    vigil_core::time::utc_string(last)
                );
                if ctx.event(LinkEventKind::Warning(text)).is_err() {
                    return;
                }
            }
            continue;
        }
        streak = None;
        last_time = Some(record.time);
        if let ReplayPace::Controlled(control) = &pace
            && !control.wait_for(record.time)
        {
            return;
        }
        if let ReplayPace::Speed(speed) = pace {
            let origin = *first.get_or_insert(record.time);
            let due = record.time.since(origin).div_f64(speed.max(1e-6));
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        LinkStats::add(&ctx.stats.bytes_rx, (8 + record.frame.raw().len()) as u64);
        ctx.replay_time = Some(record.time);
        let rx = RxStamp {
            time: record.time,
            mono: Instant::now(),
        };
        if ctx.on_frame(record.frame, rx, false).is_err() {
            return;
        }
    }
    let _ = ctx.event(LinkEventKind::Finished);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Inbound, PipelineCounters};
    use vigil_protocol::{FrameEncoder, MavMessage, MavVersion, SecretKey, UnsignedPolicy, mav};

    fn ctx(verifier: Verifier) -> (LinkCtx, crossbeam_channel::Receiver<Inbound>) {
        let (tx, rx) = crossbeam_channel::bounded(16);
        let ingress = Ingress::new(tx, None, Arc::new(PipelineCounters::default()));
        let ctx = LinkCtx {
            id: LinkId(0),
            stats: Arc::new(LinkStats::default()),
            signing: Arc::new(std::sync::Mutex::new(verifier)),
            ingress: ingress.for_link(false),
            parser: FrameParser::new(),
            clock: MonoClock::new(),
            replay_time: None,
        };
        (ctx, rx)
    }

    fn heartbeat_bytes() -> Vec<u8> {
        let message = MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA::default());
        let frame = FrameEncoder::new(1, 1)
            .encode(&message, MavVersion::V2)
            .expect("encodes");
        frame.raw().to_vec()
    }

    #[test]
    fn a_broken_signing_lock_refuses_and_counts_rather_than_taking_frames_unchecked() {
        let key = SecretKey::from_bytes([3; 32]).expect("non-zero");
        let (mut ctx, rx) = ctx(Verifier::new(Some(key), UnsignedPolicy::Accept));
        ctx.on_datagram(&heartbeat_bytes()).expect("open");
        assert_eq!(
            ctx.stats
                .frames_rx
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        // A panic while the lock is held poisons it.
        let signing = ctx.signing.clone();
        let _ = std::thread::Builder::new()
            .name("poisoner".into())
            .spawn(move || {
                let _held = signing.lock();
                panic!("poisoning the signing lock");
            })
            .expect("thread")
            .join();
        assert!(ctx.signing.is_poisoned());
        ctx.on_datagram(&heartbeat_bytes()).expect("open");
        let get = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(get(&ctx.stats.frames_rx), 1, "not taken");
        assert_eq!(get(&ctx.stats.unverifiable), 1, "counted");
        let delivered = rx
            .try_iter()
            .filter(|i| matches!(i, Inbound::Frame(_)))
            .count();
        assert!(delivered <= 1, "only the frame before the panic");
    }
}
