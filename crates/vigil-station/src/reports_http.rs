//! A local HTTP endpoint for community reports: a partner's hotline or SMS gateway on the same
//! machine POSTs one report as JSON to `/reports`, and it joins the others as unverified. One
//! named thread (`vigil-reports-http`) serves one connection at a time; bodies are limited to
//! [`MAX_BODY_BYTES`]; the report goes to the world thread through the ground station's
//! bounded request queue (full: 503, the sender retries). Bound to 127.0.0.1 unless told
//! otherwise: there is no authentication, so it must not face a network.
//!
//! `POST /reports` with `Content-Type: application/json` and a body such as
//! `{"time_utc": "2026-03-14T18:30:00Z", "lat_deg": 9.0084, "lon_deg": 31.0157,
//! "category": "armed_men", "description": "...", "reporter": "...", "channel": "sms",
//! "people": 12}` (the CSV columns of [`super::reports`]). Answers: `201` with `{"id": N}`;
//! `400` with `{"error": "..."}` naming the field; `404`, `405`, `411`, `413`, `503`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::GroundStation;

/// The largest body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The largest request line and headers accepted.
const MAX_HEAD_BYTES: usize = 8 * 1024;
/// A client that sends nothing for this long is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the world thread's answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the accept loop looks at the stop flag.
const POLL_PERIOD: Duration = Duration::from_millis(50);

/// The running endpoint; dropping it stops it.
pub struct ReportServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ReportServer {
    /// Listens on `addr` (port 0: any free port) and hands reports to `station`.
    pub fn start(addr: SocketAddr, station: GroundStation) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("vigil-reports-http".into())
            .spawn(move || serve(&listener, &station, &flag))?;
        Ok(Self {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

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

impl Drop for ReportServer {
    fn drop(&mut self) {
        self.halt();
    }
}

fn serve(listener: &TcpListener, station: &GroundStation, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                // A client that misbehaves only loses its own answer.
                let _ = handle(stream, peer, station);
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(POLL_PERIOD),
            Err(_) => std::thread::sleep(POLL_PERIOD),
        }
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

fn error_body(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

fn handle(stream: TcpStream, peer: SocketAddr, station: &GroundStation) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream.take((MAX_HEAD_BYTES + MAX_BODY_BYTES + 1) as u64));
    let mut head_bytes = 0;
    let mut request_line = String::new();
    head_bytes += reader.read_line(&mut request_line)?;
    let mut content_length: Option<usize> = None;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line)?;
        head_bytes += n;
        if head_bytes > MAX_HEAD_BYTES {
            return respond(
                &mut writer,
                "431 Request Header Fields Too Large",
                &error_body("headers too large"),
            );
        }
        if n == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            content_length = value.trim().parse().ok();
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if path != "/reports" {
        return respond(
            &mut writer,
            "404 Not Found",
            &error_body("POST reports to /reports"),
        );
    }
    if method != "POST" {
        return respond(
            &mut writer,
            "405 Method Not Allowed",
            &error_body("only POST"),
        );
    }
    let Some(length) = content_length else {
        return respond(
            &mut writer,
            "411 Length Required",
            &error_body("Content-Length is required"),
        );
    };
    if length > MAX_BODY_BYTES {
        // Read what the limit allows first: closing on unread data would reset the
        // connection before the client reads the answer.
        let _ = io::copy(&mut (&mut reader).take(length as u64), &mut io::sink());
        return respond(
            &mut writer,
            "413 Content Too Large",
            &error_body(&format!("a report is at most {MAX_BODY_BYTES} bytes")),
        );
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let text = String::from_utf8_lossy(&body);
    let report = match vigil_protection::reports::parse_report_json(&text, &format!("http:{peer}"))
    {
        Ok(report) => report,
        Err(err) => {
            return respond(
                &mut writer,
                "400 Bad Request",
                &error_body(&err.to_string()),
            );
        }
    };
    let answer = station
        .add_reports(vec![report])
        .ok()
        .and_then(|reply| reply.recv_timeout(REPLY_TIMEOUT).ok());
    match answer {
        Some(Ok(ids)) => respond(
            &mut writer,
            "201 Created",
            &serde_json::json!({ "id": ids.first() }).to_string(),
        ),
        Some(Err(err)) => respond(
            &mut writer,
            "400 Bad Request",
            &error_body(&err.to_string()),
        ),
        None => respond(
            &mut writer,
            "503 Service Unavailable",
            &error_body("the ground station is busy or shutting down; try again"),
        ),
    }
}
