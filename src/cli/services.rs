//! What `vigil run` starts beside the pipeline when asked: the live Cursor-on-Target feed,
//! the report endpoint for phones and gateways, and report files imported at the start.
//! Each is checked before the pipeline starts (a bad address or file fails the command at
//! once) and stops when [`Services`] is dropped.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};

use vigil_station::GroundStation;
use vigil_station::reports_http::tokens::ReportTokens;
use vigil_station::reports_http::{ReportServer, ReportServerConfig};

/// How long the import of a report file may wait for the station.
const IMPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

#[derive(Debug, clap::Args)]
pub struct ServiceArgs {
    /// Send drones and tracks as Cursor-on-Target to TAK: udp:HOST:PORT (`udp:` alone:
    /// the multicast group 239.2.3.1:6969), TTL 1, once a second.
    #[arg(long, value_name = "ADDR")]
    cot: Option<String>,
    /// Take community reports over HTTP on this address (e.g. 0.0.0.0:8080 for the station's
    /// Wi-Fi): a report page for phones at /r/TOKEN and a JSON API at /reports. Anywhere but
    /// 127.0.0.1 it needs --report-tokens.
    #[arg(long, value_name = "ADDR")]
    reports: Option<SocketAddr>,
    /// Who may send reports: a file of `TOKEN HOLDER` lines, one per reporting channel or
    /// community focal point (`vigil reports token` makes a token).
    #[arg(long, value_name = "FILE", requires = "reports")]
    report_tokens: Option<PathBuf>,
    /// Import community reports from a file when the station starts: Vigil's CSV or
    /// GeoJSON, or a KoboToolbox, ODK Central or Ushahidi export (found from its columns);
    /// repeatable.
    #[arg(long = "import-reports", value_name = "FILE")]
    import_reports: Vec<PathBuf>,
    /// Take community reports by SMS through a GSM modem (a USB 3G/4G stick's AT port, e.g.
    /// /dev/ttyUSB2, or `vigil sim --modem`'s): DEVICE or DEVICE:BAUD (default 115200).
    /// Each message is answered with its report number or with how to write one.
    #[arg(long, value_name = "DEVICE[:BAUD]")]
    sms: Option<String>,
    /// Keep the drones on patrols that close the ground sensors' gaps around the protected
    /// places, without an operator: plan once the deployment is heard, upload each loop as
    /// the drone's AUTO mission, fly it, and plan again when a drone's battery runs low, its
    /// link is lost, it is sent to an alert or a sensor goes silent (another drone takes the
    /// loop before the first goes home). Each plan goes to the journal.
    #[arg(long)]
    patrol: bool,
    /// The patrols' height above home, m.
    #[arg(long, value_name = "M", default_value_t = 120.0, requires = "patrol")]
    patrol_alt_m: f64,
    /// Cue and follow without waiting for the operator: each new warning about movers takes
    /// the drone that gets there first off its loop to follow them (at most half the drones
    /// at a time), and gives it back to the patrols when the warning is over.
    #[arg(long, requires = "patrol")]
    cue: bool,
}

/// The modem's speed when none is given: what USB modems' AT ports use.
const DEFAULT_SMS_BAUD: u32 = 115_200;

/// `DEVICE` or `DEVICE:BAUD`.
fn sms_port(text: &str) -> Result<(String, u32)> {
    match text.rsplit_once(':') {
        Some((device, baud)) if !device.is_empty() && baud.chars().all(|c| c.is_ascii_digit()) => {
            let baud: u32 = baud
                .parse()
                .ok()
                .filter(|b| *b > 0)
                .ok_or_else(|| anyhow::anyhow!("--sms {text}: {baud:?} is not a baud rate"))?;
            Ok((device.to_owned(), baud))
        }
        _ if text.trim().is_empty() => anyhow::bail!("--sms: no device given"),
        _ => Ok((text.to_owned(), DEFAULT_SMS_BAUD)),
    }
}

/// The services, checked and ready to start.
#[derive(Debug)]
pub struct ServicePlan {
    cot: Option<SocketAddr>,
    reports: Option<ReportServerConfig>,
    imports: Vec<PathBuf>,
    sms: Option<(String, u32)>,
    patrol: Option<vigil_station::patrol::KeeperConfig>,
    /// A replay's decisions from the session's journal, to print as their times pass.
    decisions: Vec<(vigil_core::time::TimeUs, String)>,
}

impl ServiceArgs {
    /// Reads and checks what the services need (addresses, the tokens file).
    pub fn plan(&self) -> Result<ServicePlan> {
        let cot = self
            .cot
            .as_deref()
            .map(vigil_station::cot_live::parse_cot_addr)
            .transpose()
            .context("--cot")?;
        let tokens = self
            .report_tokens
            .as_deref()
            .map(ReportTokens::load)
            .transpose()
            .context("--report-tokens")?;
        let reports = self.reports.map(|addr| ReportServerConfig {
            addr,
            tokens,
            limits: Default::default(),
        });
        if let Some(config) = &reports
            && config.tokens.is_none()
            && !config.addr.ip().is_loopback()
        {
            anyhow::bail!(
                "--reports {}: a report endpoint facing a network needs --report-tokens (or listen on 127.0.0.1)",
                config.addr
            );
        }
        for file in &self.import_reports {
            if !file.is_file() {
                anyhow::bail!("--import-reports {}: no such file", file.display());
            }
        }
        if self.patrol && !(self.patrol_alt_m.is_finite() && self.patrol_alt_m > 0.0) {
            anyhow::bail!(
                "--patrol-alt-m {}: must be a height above zero",
                self.patrol_alt_m
            );
        }
        Ok(ServicePlan {
            cot,
            reports,
            imports: self.import_reports.clone(),
            sms: self.sms.as_deref().map(sms_port).transpose()?,
            patrol: self.patrol.then_some(vigil_station::patrol::KeeperConfig {
                alt_rel_m: self.patrol_alt_m,
                cue: self.cue,
            }),
            decisions: Vec::new(),
        })
    }
}

/// The running services; dropping it stops them.
pub struct Services {
    decisions: std::collections::VecDeque<(vigil_core::time::TimeUs, String)>,
    _cot: Option<vigil_station::cot_live::CotFeed>,
    _reports: Option<ReportServer>,
    _sms: Option<vigil_station::SmsGateway>,
    patrol: Option<vigil_station::patrol::PatrolKeeper>,
    /// The next patrol line to print.
    patrol_seq: u64,
}

impl ServicePlan {
    /// No service: for replays.
    pub fn none() -> Self {
        Self {
            cot: None,
            reports: None,
            imports: Vec::new(),
            sms: None,
            patrol: None,
            decisions: Vec::new(),
        }
    }

    /// For a replay of `tlog`: the session's decisions, printed as the replay passes them.
    pub fn replay(tlog: &std::path::Path) -> Self {
        Self {
            decisions: vigil_station::replay::session_decisions(tlog),
            ..Self::none()
        }
    }

    /// Starts the services on a running station and imports the report files.
    pub fn start(self, station: &GroundStation) -> Result<Services> {
        let cot = match self.cot {
            Some(addr) => {
                println!("sending Cursor-on-Target to {addr}");
                Some(vigil_station::cot_live::CotFeed::start(
                    station.clone(),
                    addr,
                )?)
            }
            None => None,
        };
        let reports = match self.reports {
            Some(config) => {
                let links: Vec<(String, String)> = config
                    .tokens
                    .as_ref()
                    .map(|t| {
                        t.entries()
                            .into_iter()
                            .map(|(token, holder)| (token.to_owned(), holder.to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
                let server = ReportServer::start_with(config, station.clone())?;
                let addr = server.local_addr();
                println!("taking community reports on http://{addr}/reports");
                if links.is_empty() {
                    println!("report page: http://{addr}/");
                }
                for (token, holder) in links {
                    println!("report page for {holder}: http://{addr}/r/{token}");
                }
                Some(server)
            }
            None => None,
        };
        for file in &self.imports {
            let ids = import(station, file)?;
            println!("imported {} reports from {}", ids.len(), file.display());
        }
        let sms = match self.sms {
            Some((device, baud)) => {
                let gateway = vigil_station::SmsGateway::start(
                    &device,
                    baud,
                    station.clone(),
                    vigil_station::sms::site_gazetteer(station),
                )
                .with_context(|| format!("--sms {device}"))?;
                println!("taking community reports by SMS on {device}");
                Some(gateway)
            }
            None => None,
        };
        let patrol = match self.patrol {
            Some(config) => {
                println!(
                    "keeping patrols at {:.0} m over the protected places",
                    config.alt_rel_m
                );
                Some(
                    vigil_station::patrol::PatrolKeeper::start(station.clone(), config)
                        .context("--patrol: cannot start the patrol keeper")?,
                )
            }
            None => None,
        };
        Ok(Services {
            decisions: self.decisions.into(),
            _cot: cot,
            _reports: reports,
            _sms: sms,
            patrol,
            patrol_seq: 0,
        })
    }
}

impl Services {
    /// The replay's decisions up to `time`, each once.
    pub fn decisions_until(&mut self, time: vigil_core::time::TimeUs) -> Vec<String> {
        let mut due = Vec::new();
        while self.decisions.front().is_some_and(|(t, _)| *t <= time) {
            if let Some((t, line)) = self.decisions.pop_front() {
                due.push(format!(
                    "{} decision: {line}",
                    vigil_core::time::utc_string(t)
                ));
            }
        }
        due
    }
}

impl Services {
    /// A handle on the patrol keeper's status, when `--patrol` runs one.
    #[cfg_attr(
        not(feature = "console"),
        allow(dead_code, reason = "only the console shows the keeper")
    )]
    pub fn patrol_watch(&self) -> Option<vigil_station::patrol::PatrolWatch> {
        self.patrol.as_ref().map(|k| k.watch())
    }

    /// What the patrol keeper did since the last call, each line once.
    pub fn patrol_lines(&mut self) -> Vec<String> {
        let Some(keeper) = &self.patrol else {
            return Vec::new();
        };
        let status = keeper.status();
        let lines = status
            .since(self.patrol_seq)
            .map(|(_, time, text)| {
                format!("{} patrol: {text}", vigil_core::time::utc_string(*time))
            })
            .collect();
        self.patrol_seq = status.next_seq();
        lines
    }
}

fn import(station: &GroundStation, file: &std::path::Path) -> Result<Vec<u64>> {
    let reports = vigil_protection::imports::import_reports(file, None)
        .with_context(|| format!("--import-reports {}", file.display()))?;
    station
        .add_reports(reports)
        .map_err(|_| anyhow::anyhow!("the station stopped"))?
        .recv_timeout(IMPORT_TIMEOUT)
        .context("the station did not answer")?
        .with_context(|| format!("--import-reports {}", file.display()))
}
