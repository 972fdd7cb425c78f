//! The report endpoint: community reports from phones on the station's network and from
//! partners' gateways, on an address the operator chooses (`vigil run --reports ADDR`).
//!
//! - `GET /r/TOKEN` serves the report page ([`page`]): plain HTML for a phone, without
//!   JavaScript or internet; `POST /r/TOKEN` takes its form and answers with the report's
//!   number, or the form again with what to fix.
//! - `POST /reports` takes one report as JSON (`Authorization: Bearer TOKEN`), e.g.
//!   `{"time_utc": "2026-03-14T18:30:00Z", "lat_deg": 9.0084, "lon_deg": 31.0157,
//!   "category": "armed_men", "description": "...", "reporter": "...", "people": 12}` (the
//!   CSV columns of `vigil_protection::reports`). Answers `201` with `{"id": N}`; `400` with
//!   `{"error": "..."}` naming the field; `401`, `404`, `405`, `411`, `413`, `429`, `503`.
//!
//! Each token belongs to a reporting channel or a community focal point ([`tokens`]); its
//! holder becomes the report's channel. Without a tokens file the endpoint is open, which
//! it may only be on a loopback address (a gateway on the same machine): anywhere else it
//! refuses to start. Requests are limited per client address and reports per token
//! ([`limits`]); heads to [`MAX_HEAD_BYTES`], bodies to [`MAX_BODY_BYTES`]; a client that
//! sends nothing for [`READ_TIMEOUT`] is dropped. One named thread (`vigil-reports-http`)
//! serves one connection at a time; a report goes to the analysis thread through the
//! ground station's bounded request queue (full: 503, the sender retries).

pub mod limits;
pub mod page;
pub mod tokens;

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};
use vigil_core::worker::{StopFlag, Worker};

use crate::GroundStation;
use limits::{Limiter, RateLimits};
use page::{FormError, Place};
use tokens::ReportTokens;
use vigil_core::time::TimeUs;
use vigil_protection::NewReport;

/// The largest body accepted.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The largest request line and headers accepted.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// A client that sends nothing for this long is dropped.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for the station's answer.
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the accept loop looks at the stop flag.
const POLL_PERIOD: Duration = Duration::from_millis(50);
/// Headers parsed at most.
const MAX_HEADERS: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum ReportServerError {
    #[error("cannot listen for reports on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    #[error(
        "the report endpoint on {addr} would face a network with no token: give a tokens file (--report-tokens), or listen on 127.0.0.1"
    )]
    Open { addr: SocketAddr },
    #[error("cannot start the report endpoint's thread: {0}")]
    Thread(io::Error),
}

/// Where and how the endpoint listens.
#[derive(Debug, Clone)]
pub struct ReportServerConfig {
    pub addr: SocketAddr,
    /// `None`: open, for a loopback address only.
    pub tokens: Option<ReportTokens>,
    pub limits: RateLimits,
}

/// What the endpoint has done, for the status line and the tests.
#[derive(Debug, Default)]
pub struct ReportServerStats {
    pub accepted: AtomicU64,
    /// Malformed requests and reports.
    pub refused: AtomicU64,
    /// No token, or an unknown one.
    pub unauthorised: AtomicU64,
    /// Over a rate limit.
    pub limited: AtomicU64,
}

/// The running endpoint; dropping it stops it.
pub struct ReportServer {
    addr: SocketAddr,
    stats: Arc<ReportServerStats>,
    worker: Worker,
}

impl ReportServer {
    /// An open endpoint on a loopback `addr` (port 0: any free port), for a gateway on the
    /// same machine.
    pub fn start(addr: SocketAddr, station: GroundStation) -> Result<Self, ReportServerError> {
        Self::start_with(
            ReportServerConfig {
                addr,
                tokens: None,
                limits: RateLimits::default(),
            },
            station,
        )
    }

    pub fn start_with(
        config: ReportServerConfig,
        station: GroundStation,
    ) -> Result<Self, ReportServerError> {
        if config.tokens.is_none() && !config.addr.ip().is_loopback() {
            return Err(ReportServerError::Open { addr: config.addr });
        }
        let bind = |source| ReportServerError::Bind {
            addr: config.addr,
            source,
        };
        let listener = TcpListener::bind(config.addr).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let stats = Arc::new(ReportServerStats::default());
        let mut server = Server {
            station,
            requests: Limiter::new(config.limits.requests_burst, config.limits.requests_per_min),
            reports: Limiter::new(config.limits.reports_burst, config.limits.reports_per_min),
            tokens: config.tokens,
            stats: stats.clone(),
        };
        let worker = Worker::spawn("vigil-reports-http", move |stop| {
            server.serve(&listener, &stop);
        })
        .map_err(ReportServerError::Thread)?;
        Ok(Self {
            addr,
            stats,
            worker,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> &ReportServerStats {
        &self.stats
    }

    /// Stops the endpoint (dropping it does too).
    pub fn stop(self) {
        self.worker.stop();
    }
}

/// A request as read: its method, path, the headers we use, and the body.
struct Request {
    method: String,
    path: String,
    bearer: Option<String>,
    content_length: Option<usize>,
}

/// An answer.
struct Response {
    status: &'static str,
    content_type: &'static str,
    body: String,
    retry_after_s: Option<u64>,
}

impl Response {
    fn json(status: &'static str, body: String) -> Self {
        Self {
            status,
            content_type: "application/json",
            body,
            retry_after_s: None,
        }
    }

    fn error(status: &'static str, message: &str) -> Self {
        Self::json(status, serde_json::json!({ "error": message }).to_string())
    }

    fn html(status: &'static str, body: String) -> Self {
        Self {
            status,
            content_type: "text/html; charset=utf-8",
            body,
            retry_after_s: None,
        }
    }
}

/// The endpoint's thread state.
struct Server {
    station: GroundStation,
    tokens: Option<ReportTokens>,
    requests: Limiter<IpAddr>,
    reports: Limiter<String>,
    stats: Arc<ReportServerStats>,
}

impl Server {
    fn serve(&mut self, listener: &TcpListener, stop: &StopFlag) {
        while !stop.is_set() {
            match listener.accept() {
                // A client that misbehaves only loses its own answer.
                Ok((stream, peer)) => {
                    let _ = self.handle(stream, peer);
                }
                Err(_) => std::thread::sleep(POLL_PERIOD),
            }
        }
    }

    fn handle(&mut self, stream: TcpStream, peer: SocketAddr) -> io::Result<()> {
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(READ_TIMEOUT))?;
        let mut writer = stream.try_clone()?;
        let mut reader = stream.take((MAX_HEAD_BYTES + MAX_BODY_BYTES + 1) as u64);
        let response = match read_head(&mut reader) {
            Ok((request, rest)) => self.route(&request, rest, &mut reader, peer),
            Err(response) => response,
        };
        if response.status.starts_with('4') {
            let counter = match response.status {
                "401 Unauthorized" => &self.stats.unauthorised,
                "429 Too Many Requests" => &self.stats.limited,
                _ => &self.stats.refused,
            };
            counter.fetch_add(1, Ordering::Relaxed);
        }
        write_response(&mut writer, &response)
    }

    fn route(
        &mut self,
        request: &Request,
        rest: Vec<u8>,
        reader: &mut impl Read,
        peer: SocketAddr,
    ) -> Response {
        if let Err(wait) = self.requests.take(&peer.ip(), Instant::now()) {
            return limited(wait, "too many requests from this address");
        }
        let page_token = request.path.strip_prefix("/r/");
        match (request.method.as_str(), request.path.as_str(), page_token) {
            ("POST", "/reports", _) => {
                let holder = match self.authorise(request.bearer.as_deref()) {
                    Ok(holder) => holder,
                    Err(response) => return response,
                };
                match read_body(request, rest, reader) {
                    Ok(body) => self.json_report(&body, holder, peer),
                    Err(response) => response,
                }
            }
            (_, "/reports", _) => Response::error("405 Method Not Allowed", "only POST"),
            ("GET", "/", None) if self.tokens.is_none() => {
                Response::html("200 OK", self.form("/", None, &[], None))
            }
            ("POST", "/", None) if self.tokens.is_none() => {
                match read_body(request, rest, reader) {
                    Ok(body) => self.form_report(&body, "/", None, peer),
                    Err(response) => response,
                }
            }
            (method, _, Some(token)) if method == "GET" || method == "POST" => {
                let Ok(holder) = self.authorise(Some(token)) else {
                    return Response::html(
                        "401 Unauthorized",
                        page::message_page(
                            "Link not valid",
                            "This report link is not valid. Ask your focal point for the link to the report page.",
                        ),
                    );
                };
                let action = request.path.clone();
                if method == "GET" {
                    return Response::html("200 OK", self.form(&action, holder, &[], None));
                }
                match read_body(request, rest, reader) {
                    Ok(body) => self.form_report(&body, &action, holder, peer),
                    Err(response) => response,
                }
            }
            _ => Response::error(
                "404 Not Found",
                "POST reports to /reports; the report page is at the link your focal point gave you",
            ),
        }
    }

    /// The holder of the token given, when tokens are required (`None` when the endpoint is
    /// open); a 401 answer otherwise.
    fn authorise(&self, token: Option<&str>) -> Result<Option<String>, Response> {
        let Some(tokens) = &self.tokens else {
            return Ok(None);
        };
        token
            .and_then(|t| tokens.holder(t))
            .map(|holder| Some(holder.to_owned()))
            .ok_or_else(|| {
                Response::error(
                    "401 Unauthorized",
                    "a valid token is required (Authorization: Bearer TOKEN)",
                )
            })
    }

    /// The protected places, for the form's list and typed names.
    fn places(&self) -> Vec<Place> {
        self.station
            .snapshot()
            .protection
            .sites
            .iter()
            .map(|s| Place {
                name: s.name.clone(),
                at: s.centre,
            })
            .collect()
    }

    fn form(
        &self,
        action: &str,
        holder: Option<String>,
        previous: &[(String, String)],
        error: Option<&FormError>,
    ) -> String {
        page::form_page(action, holder.as_deref(), &self.places(), previous, error)
    }

    fn json_report(&mut self, body: &[u8], holder: Option<String>, peer: SocketAddr) -> Response {
        let text = String::from_utf8_lossy(body);
        let mut report =
            match vigil_protection::reports::parse_report_json(&text, &format!("http:{peer}")) {
                Ok(report) => report,
                Err(err) => return Response::error("400 Bad Request", &err.to_string()),
            };
        if let Some(holder) = &holder {
            report.channel = if report.channel.is_empty() {
                holder.clone()
            } else {
                format!("{} ({holder})", report.channel)
            };
        }
        match self.submit(report, holder) {
            Ok(id) => Response::json("201 Created", serde_json::json!({ "id": id }).to_string()),
            Err(response) => response,
        }
    }

    fn form_report(
        &mut self,
        body: &[u8],
        action: &str,
        holder: Option<String>,
        peer: SocketAddr,
    ) -> Response {
        let channel = holder
            .as_ref()
            .map_or_else(|| "web".to_owned(), |h| format!("web ({h})"));
        let places = self.places();
        let (fields, report) =
            page::read_form(body, &places, wall_clock(), channel, format!("http:{peer}"));
        let report = match report {
            Ok(report) => report,
            Err(error) => {
                return Response::html(
                    "400 Bad Request",
                    self.form(action, holder, &fields, Some(&error)),
                );
            }
        };
        match self.submit(report, holder) {
            Ok(id) => Response::html("200 OK", page::thanks_page(id, action)),
            Err(response) => Response::html(
                response.status,
                page::message_page(
                    "Not sent",
                    "The report could not be taken just now. Please wait a minute and send it again.",
                ),
            ),
        }
    }

    /// Hands a report to the station, within the token's rate; its number.
    fn submit(&mut self, report: NewReport, holder: Option<String>) -> Result<u64, Response> {
        let key = holder.unwrap_or_default();
        if let Err(wait) = self.reports.take(&key, Instant::now()) {
            return Err(limited(
                wait,
                "too many reports on this token; try again later",
            ));
        }
        let answer = self
            .station
            .add_reports(vec![report])
            .ok()
            .and_then(|reply| reply.recv_timeout(REPLY_TIMEOUT).ok());
        match answer {
            Some(Ok(ids)) => {
                self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Ok(ids.first().copied().unwrap_or_default())
            }
            Some(Err(err)) => Err(Response::error("400 Bad Request", &err.to_string())),
            None => Err(Response {
                retry_after_s: Some(5),
                ..Response::error(
                    "503 Service Unavailable",
                    "the ground station is busy or shutting down; try again",
                )
            }),
        }
    }
}

fn limited(wait: Duration, message: &str) -> Response {
    Response {
        retry_after_s: Some(wait.as_secs().max(1)),
        ..Response::error("429 Too Many Requests", message)
    }
}

/// The station's clock now.
fn wall_clock() -> TimeUs {
    let since_epoch = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    TimeUs(u64::try_from(since_epoch.as_micros()).unwrap_or(u64::MAX))
}

/// Reads the request line and headers (at most [`MAX_HEAD_BYTES`]); the request and what
/// was read past the head (the body's start).
fn read_head(reader: &mut impl Read) -> Result<(Request, Vec<u8>), Response> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(Response::error(
                "431 Request Header Fields Too Large",
                "headers too large",
            ));
        }
        let n = reader
            .read(&mut chunk)
            .map_err(|_| Response::error("408 Request Timeout", "the request did not come"))?;
        if n == 0 {
            return Err(Response::error(
                "400 Bad Request",
                "the request ended early",
            ));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&buffer[..end]) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(Response::error(
                "400 Bad Request",
                "not an HTTP/1.1 request",
            ));
        }
    }
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .and_then(|h| std::str::from_utf8(h.value).ok())
            .map(str::trim)
    };
    if header("transfer-encoding").is_some() {
        return Err(Response::error(
            "411 Length Required",
            "send the body with a Content-Length, not chunked",
        ));
    }
    let content_length =
        match header("content-length") {
            None => None,
            Some(text) => Some(text.parse().map_err(|_| {
                Response::error("400 Bad Request", "Content-Length is not a number")
            })?),
        };
    let request = Request {
        method: parsed.method.unwrap_or_default().to_owned(),
        path: parsed
            .path
            .unwrap_or_default()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned(),
        bearer: header("authorization")
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned()),
        content_length,
    };
    Ok((request, buffer[end..].to_vec()))
}

/// Reads the body the head announced (with what came with the head).
fn read_body(
    request: &Request,
    mut body: Vec<u8>,
    reader: &mut impl Read,
) -> Result<Vec<u8>, Response> {
    let Some(length) = request.content_length else {
        return Err(Response::error(
            "411 Length Required",
            "Content-Length is required",
        ));
    };
    if length > MAX_BODY_BYTES {
        // Read what the limit allows first: closing on unread data would reset the
        // connection before the client reads the answer.
        let _ = io::copy(&mut reader.take(length as u64), &mut io::sink());
        return Err(Response::error(
            "413 Content Too Large",
            &format!("a report is at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    body.truncate(length);
    let missing = length - body.len();
    let mut more = vec![0; missing];
    reader.read_exact(&mut more).map_err(|_| {
        Response::error(
            "400 Bad Request",
            "the body is shorter than its Content-Length",
        )
    })?;
    body.extend_from_slice(&more);
    Ok(body)
}

fn write_response(stream: &mut TcpStream, response: &Response) -> io::Result<()> {
    let retry = response
        .retry_after_s
        .map(|s| format!("Retry-After: {s}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; form-action 'self'\r\n{retry}Connection: close\r\n\r\n{}",
        response.status,
        response.content_type,
        response.body.len(),
        response.body
    )?;
    stream.flush()
}
