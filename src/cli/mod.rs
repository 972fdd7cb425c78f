//! The command line: `vigil run`, `vigil cmd`, `vigil replay`. Arguments become a validated
//! configuration here; the work is done by the pipeline.

// Long: every subcommand's arguments (clap's derive) and the few lines that start each; the
// only place that resolves the user's folders. Splitting it per subcommand is the next step.

mod associator;
pub mod names;
mod patrol;
mod services;
mod sim;
mod upload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};

use associator::{Associator, replay_tracker};
use services::{ServiceArgs, ServicePlan};
use vigil_core::address::LinkAddress;
use vigil_link::{LinkOptions, ReplayPace};
use vigil_mission as mission;
use vigil_station::status::{notice_line, status_line};
use vigil_station::{Folders, GroundStation, Pipeline, PipelineConfig, Snapshot};
use vigil_world::command::{
    Action, CommandOutcome, MissionOp, MissionOutcome, ParamOp, ParamOutcome,
};

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Ground station for peacekeeping observation drones and ground motion sensors"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per process; boxing `Run` would only add noise to every match"
)]
enum Command {
    /// Run the ground station on one or more links, recording the session; without a link,
    /// on the built-in demo scenario, simulated in-process.
    Run {
        /// Run without a window, printing a status line each second.
        #[arg(long)]
        headless: bool,
        /// A link: serial:/dev/ttyUSB0:57600, /dev/ttyUSB0:57600, udpin:0.0.0.0:14550,
        /// udpout:HOST:PORT, tcp:HOST:PORT, tcpin:0.0.0.0:5760 or file:LOG.tlog.
        #[arg(long = "link", value_name = "ADDR")]
        links: Vec<LinkAddress>,
        /// Session folder for telemetry.tlog (default: a new folder under
        /// ~/.local/share/vigil/sessions).
        #[arg(long, value_name = "DIR")]
        session_dir: Option<PathBuf>,
        /// Do not record a session.
        #[arg(long, conflicts_with = "session_dir")]
        no_record: bool,
        /// Stop after this many seconds.
        #[arg(long, value_name = "SECS")]
        duration: Option<f64>,
        /// Protected places (GeoJSON); the demo uses the demo area's.
        #[arg(long, value_name = "FILE")]
        sites: Option<PathBuf>,
        /// Alert rules (TOML, see assets/rules/README.md); default: the built-in rules.
        #[arg(long, value_name = "FILE")]
        rules: Option<PathBuf>,
        /// The fleet's names: drones' callsigns and sensors' names (TOML: [[drone]] sysid,
        /// callsign; [[sensor]] sysid, compid, name). The simulation names its own.
        #[arg(long, value_name = "FILE")]
        names: Option<PathBuf>,
        /// Without --link: simulate this scenario in-process instead of the built-in demo
        /// (assets/scenarios/FORMAT.md).
        #[arg(long, value_name = "FILE")]
        scenario: Option<PathBuf>,
        /// Without --link: simulated seconds per real second (the demo's armed group leaves
        /// the forest ten minutes in; --speed 10 brings it in one).
        #[arg(long, value_name = "X", default_value_t = 1.0)]
        speed: f64,
        /// How the tracker associates detections with tracks: gnn (global nearest neighbour,
        /// the default) or jpda (joint probabilistic data association: keeps crossing
        /// targets apart; with --group-tracks, for crowds walking in groups).
        #[arg(long, value_enum, value_name = "NAME", default_value_t = Associator::Gnn)]
        associator: Associator,
        /// Merge the tracks of people walking together into one group track that counts
        /// them (shown as a group of N).
        #[arg(long)]
        group_tracks: bool,
        #[command(flatten)]
        console: ConsoleArgs,
        #[command(flatten)]
        services: ServiceArgs,
        #[command(flatten)]
        signing: SigningArgs,
    },
    /// Export a session (its journal) for GIS tools, Google Earth, a spreadsheet or TAK.
    Export {
        /// The session folder.
        session: PathBuf,
        /// geojson, kml, gpx, csv (a folder of LAYER.csv), gpkg, cot, or acled (the incidents
        /// as one CSV in ACLED's columns with an HXL hashtag row, for conflict analysts).
        #[arg(long)]
        format: vigil_record::export::Format,
        /// The output file (a folder for csv); default: export.* in the session folder.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// From this time: RFC 3339 UTC (2026-03-14T09:30:00Z) or seconds from the start.
        #[arg(long, value_name = "TIME")]
        from: Option<vigil_record::export::TimeSpec>,
        /// Up to this time (same forms as --from).
        #[arg(long, value_name = "TIME")]
        to: Option<vigil_record::export::TimeSpec>,
        /// Layers: paths,footprints,detections,tracks,alerts,incidents,reports,dispatches,notes (default all).
        #[arg(long, value_name = "LIST")]
        layers: Option<String>,
        /// none, public (names of operators and reporters removed; the default, as in the
        /// console's export window) or strict (also places of civilians, incidents and
        /// reports moved to a 1 km grid).
        #[arg(long, value_name = "LEVEL", default_value = "public")]
        redact: vigil_record::export::RedactLevel,
    },
    /// How fast the mission responded, from a session's journal: each alert raised to
    /// acknowledged, to assigned or a drone sent, to a drone on scene, to resolved (median and
    /// 90th percentile, over all alerts and by severity), alerts still open at the end, alerts
    /// per hour, community reports received and verified, incidents recorded.
    Summary {
        /// The session folder.
        session: PathBuf,
        /// The alerts raised from this time: RFC 3339 UTC or seconds from the start.
        #[arg(long, value_name = "TIME")]
        from: Option<vigil_record::export::TimeSpec>,
        /// Up to this time (same forms as --from); later steps are not counted.
        #[arg(long, value_name = "TIME")]
        to: Option<vigil_record::export::TimeSpec>,
        /// Print JSON (times in µs since the epoch, delays in µs) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Plan drone patrols that close the ground sensors' gaps around the protected sites, from
    /// a deployment described as a simulator scenario; write one QGroundControl .plan per drone.
    Patrol(patrol::PatrolArgs),
    /// Score a session's alerts against the simulator's ground truth (`vigil sim --truth`):
    /// each armed entry into a site's buffer alerted or missed and how fast, warned before or
    /// not, alerts about an armed mover or false (per hour), each site's longest unobserved
    /// interval.
    Score {
        /// The session folder.
        session: PathBuf,
        /// The ground truth CSV that `vigil sim --truth FILE` wrote for this session.
        #[arg(long, value_name = "FILE")]
        truth: PathBuf,
        /// The protected sites (GeoJSON) the station ran with (default: the demo's).
        #[arg(long, value_name = "FILE")]
        sites: Option<PathBuf>,
        /// Print JSON (times in µs since the epoch, delays in µs) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check that a session's tlog and journal are as Vigil wrote and sealed them; exit 0 only
    /// when intact and sealed (1: something changed, removed or added; 2: intact but not
    /// sealed, as after a crash).
    Verify {
        /// The session folder.
        session: PathBuf,
    },
    /// Perform one action on a vehicle and exit 0 only if it was accepted.
    Cmd {
        #[arg(long = "link", value_name = "ADDR", required = true)]
        links: Vec<LinkAddress>,
        /// System id of the vehicle (default: the first vehicle heard).
        #[arg(long, value_name = "SYSID")]
        target: Option<u8>,
        /// Seconds to wait for the vehicle's heartbeat.
        #[arg(long, value_name = "SECS", default_value_t = 10.0)]
        wait: f64,
        /// Record the exchange in this session folder.
        #[arg(long, value_name = "DIR")]
        session_dir: Option<PathBuf>,
        #[command(flatten)]
        signing: SigningArgs,
        #[command(subcommand)]
        action: CmdAction,
    },
    /// Run the simulator: drones, sensor nodes and people from a scenario file, speaking
    /// MAVLink on a link (udpout:HOST:PORT, udpin:IP:PORT, tcpin:IP:PORT, tcp:HOST:PORT,
    /// serial:DEVICE:BAUD, or pty for a new pseudo-terminal whose path is printed).
    Sim(sim::SimArgs),
    /// Feed a recorded tlog through the pipeline.
    Replay {
        file: PathBuf,
        #[arg(long)]
        headless: bool,
        /// Replay at this multiple of the recorded pace.
        #[arg(long, value_name = "X", conflicts_with = "fast", default_value_t = 1.0)]
        speed: f64,
        /// Replay as fast as possible, losing nothing.
        #[arg(long)]
        fast: bool,
        /// Write the confirmed tracks (CSV: time_s, track_id, lat_deg, lon_deg, velocity,
        /// uncertainty, class, count) after each scan.
        #[arg(long, value_name = "FILE")]
        tracks_out: Option<PathBuf>,
        /// How the tracker associates detections with tracks: gnn or jpda. Given neither
        /// this nor --group-tracks, a replay of a session folder's tlog takes what the live
        /// run recorded in its `session.json` (so it rebuilds the live run's tracks), else gnn.
        #[arg(long, value_enum, value_name = "NAME")]
        associator: Option<Associator>,
        /// Merge the tracks of people walking together into group tracks (as `vigil run
        /// --group-tracks`).
        #[arg(long)]
        group_tracks: bool,
        #[command(flatten)]
        console: ConsoleArgs,
    },
    /// Community reports: tokens for the report endpoint.
    Reports {
        #[command(subcommand)]
        action: ReportsAction,
    },
}

#[derive(Debug, Subcommand)]
enum ReportsAction {
    /// Print a new random token with its holder, as a line for the --report-tokens file
    /// (`vigil reports token "Keradu focal point" >> tokens.txt`).
    Token {
        /// Who the token is for: a focal point, a gateway, a partner.
        holder: String,
    },
}

/// How the console window starts.
#[derive(Debug, clap::Args)]
struct ConsoleArgs {
    /// Map tiles: a z/x/y tile folder, or an XYZ server URL with {z}, {x} and {y} (cached on
    /// disk for offline use). Without it, the vector basemap (and the remembered choice).
    #[arg(long, value_name = "DIR|URL")]
    tiles: Option<String>,
    /// A GeoJSON basemap to draw instead of the demo area; its roads, tracks and paths are
    /// where the alert rules predict approaches (headless too).
    #[arg(long, value_name = "FILE")]
    basemap: Option<PathBuf>,
    /// No audible cues.
    #[arg(long)]
    no_audio: bool,
    /// Keep the console's settings in this file instead of ~/.config/vigil/console.json.
    #[arg(long, value_name = "FILE")]
    settings: Option<PathBuf>,
}

#[cfg(feature = "console")]
impl ConsoleArgs {
    fn options(&self, title: String) -> vigil_console::ConsoleOptions {
        use vigil_console::settings::TileChoice;
        let tiles = self.tiles.as_ref().map(|t| {
            if t.contains("://") {
                TileChoice::Server(t.clone())
            } else {
                TileChoice::Folder(PathBuf::from(t))
            }
        });
        vigil_console::ConsoleOptions {
            settings_path: self.settings.clone().or_else(default_settings_path),
            tile_cache_dir: project_dirs().map(|dirs| dirs.cache_dir().join("tiles")),
            basemap: self.basemap.clone(),
            tiles,
            audio: !self.no_audio,
            title,
            // SIGTERM and Ctrl-C close the window as a click would (without asking), so that
            // the session is sealed.
            quit: stop_flag().ok(),
            patrol_keeper: None,
        }
    }
}

/// MAVLink 2 signing on `run` and `cmd`.
#[derive(Debug, clap::Args)]
struct SigningArgs {
    /// What a link with a signing key does with unsigned frames from systems that never
    /// signed: reject, flag (the default: take and count them) or accept. `--signing POLICY`
    /// sets every link, `--signing N=POLICY` the N-th --link (from 1), `--signing
    /// ADDR=POLICY` the --link ADDR; repeatable, later ones win. Whatever the policy, once a
    /// system has signed, its unsigned and MAVLink 1 frames are refused (RADIO_STATUS from
    /// the radio excepted).
    #[arg(long = "signing", value_name = "[LINK=]POLICY")]
    policies: Vec<String>,
    /// A signing key file (64 hexadecimal digits, mode 0600, as `vigil cmd signing-setup`
    /// writes it): `--key FILE` for every system without a key of its own, `--key
    /// SYSID=FILE` for one system (before its file in the keys folder); repeatable.
    #[arg(long = "key", value_name = "[SYSID=]FILE")]
    keys: Vec<String>,
    /// The keys folder: system-SYSID.key files and the signing timestamp (default: keys in
    /// Vigil's data folder, on Linux $XDG_DATA_HOME/vigil/keys or ~/.local/share/vigil/keys).
    #[arg(long, value_name = "DIR")]
    keys_dir: Option<PathBuf>,
}

impl SigningArgs {
    fn apply(&self, config: &mut PipelineConfig) -> Result<()> {
        for arg in &self.policies {
            config
                .signing
                .apply_policy_arg(arg, &config.links, &mut config.link_options.unsigned)
                .map_err(|e| anyhow!(e))?;
        }
        for arg in &self.keys {
            config.signing.apply_key_arg(arg).map_err(|e| anyhow!(e))?;
        }
        if let Some(dir) = &self.keys_dir {
            config.folders.keys_dir.clone_from(dir);
        }
        Ok(())
    }
}

#[derive(Debug, Subcommand)]
enum CmdAction {
    Arm,
    Disarm {
        /// Disarm even in flight (ArduPilot's forced disarm).
        #[arg(long)]
        force: bool,
    },
    /// Change flight mode by name (GUIDED, AUTO, LOITER, RTL, LAND; PX4: Hold, Mission, Return...).
    Mode {
        name: String,
    },
    /// Take off in one step to an altitude above home: the mode the firmware needs
    /// (ArduCopter GUIDED, ArduPlane TAKEOFF), arm, take off, and wait until it leaves the
    /// ground; a refusal names the step and the vehicle's reason.
    Launch {
        alt_m: f64,
    },
    /// The take-off command alone (the vehicle armed in GUIDED; ArduPlane: TAKEOFF mode).
    Takeoff {
        alt_m: f64,
    },
    Land,
    Rtl,
    /// Start the uploaded mission (from the ground: armed in GUIDED, as ArduCopter needs).
    StartMission,
    /// Fly the uploaded mission from the ground in one step: ArduCopter GUIDED, arm,
    /// MISSION_START (seen in AUTO); ArduPlane AUTO, arm; PX4 arm, MISSION_START.
    FlyMission,
    /// Fly to a position (altitude above home) and hold.
    Goto {
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        #[arg(allow_hyphen_values = true)]
        lon: f64,
        alt_m: f64,
    },
    /// Observe a position: circle it with the camera on it, as the firmware can (ArduCopter:
    /// CIRCLE mode; ArduPlane: a GUIDED loiter; PX4: DO_ORBIT).
    Orbit {
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        #[arg(allow_hyphen_values = true)]
        lon: f64,
        alt_m: f64,
        radius_m: f64,
        #[arg(default_value_t = 5.0, allow_hyphen_values = true)]
        speed_mps: f64,
    },
    /// Point the camera at a position (altitude above mean sea level).
    Roi {
        #[arg(allow_hyphen_values = true)]
        lat: f64,
        #[arg(allow_hyphen_values = true)]
        lon: f64,
        alt_msl_m: f64,
    },
    /// Upload a mission (.plan or .waypoints). Every item is checked first: a bad one is
    /// named and nothing is sent.
    Upload {
        file: PathBuf,
        /// Upload even a plan without mission items, which clears the vehicle's mission.
        #[arg(long)]
        force: bool,
    },
    /// Download the mission into a file (.plan or .waypoints, by extension).
    Download {
        file: PathBuf,
    },
    /// Clear the vehicle's mission.
    Clear,
    /// Fetch all parameters into a NAME VALUE file.
    Params {
        file: PathBuf,
    },
    /// Set every parameter of a NAME VALUE file (MAVProxy, Mission Planner or QGC format).
    ParamsLoad {
        file: PathBuf,
    },
    /// Read one parameter, or set it when a value is given.
    Param {
        name: String,
        value: Option<f64>,
    },
    /// Give the vehicle a new MAVLink 2 signing key (SETUP_SIGNING, over this link: use a
    /// trusted one, such as USB) and wait for its first signed frame. The key is stored in
    /// ~/.local/share/vigil/keys/system-SYSID.key (0600; or under --keys-dir); links sign with
    /// it from then on.
    SigningSetup,
}

/// Runs the command line; errors are printed with their causes.
pub fn main() -> ExitCode {
    // `vigil` alone opens the console on the built-in demo, as a desktop program does.
    let cli = if std::env::args_os().len() <= 1 {
        Cli::parse_from(["vigil", "run"])
    } else {
        Cli::parse()
    };
    if !matches!(cli.command, Command::Run { .. }) {
        quiet_on_closed_pipe();
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("vigil: {}", error_text(&err));
            ExitCode::from(1)
        }
    }
}

/// A report piped into a reader that stops early (`vigil score ... | head`) ends there, as
/// any Unix tool does, instead of panicking on its next line: SIGPIPE back to its default,
/// which Rust's runtime sets to "ignore". Not for `vigil run`, which must keep recording
/// whoever stops reading its status lines (its sockets never raise SIGPIPE: the standard
/// library sends with MSG_NOSIGNAL).
fn quiet_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: signal(2) with a valid signal number and SIG_DFL, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// An error and its causes on one line, each cause once: an error whose message already
/// ends with its cause's ("x.toml: No such file or directory") does not repeat it.
fn error_text(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let cause = cause.to_string();
        if !text.ends_with(&format!(": {cause}")) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

// Long: one arm per subcommand, each turning its arguments into a configuration.
fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Run {
            headless,
            links,
            session_dir,
            no_record,
            duration,
            console,
            services,
            sites,
            rules,
            names,
            signing,
            scenario,
            speed,
            associator,
            group_tracks,
        } => {
            let services = services.plan()?;
            let demo = if links.is_empty() {
                Some(DemoSim::load(scenario.as_deref(), speed)?)
            } else if scenario.is_some() || speed != 1.0 {
                bail!(
                    "--scenario and --speed are for the in-process simulation, without --link; to simulate beside a link, run `vigil sim` on its own"
                );
            } else {
                None
            };
            let mut config = PipelineConfig {
                links,
                record_default_session: !no_record,
                session_dir,
                link_options: LinkOptions::default(),
                tracks_out: None,
                sites,
                rules,
                ways: console.basemap.clone(),
                names: match (&names, &demo) {
                    (Some(path), _) => {
                        self::names::load(path).map_err(|e| anyhow!("--names {e}"))?
                    }
                    (None, Some(demo)) => self::names::of_scenario(&demo.scenario),
                    (None, None) => vigil_world::Names::default(),
                },
                tracker: associator.tracker_config(group_tracks),
                ..PipelineConfig::new(user_folders())
            };
            signing.apply(&mut config)?;
            check_run_inputs(&config, &console)?;
            if !headless {
                let title = if let Some(demo) = &demo {
                    format!("simulated: {}", demo.scenario.scenario.name)
                } else {
                    config
                        .links
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return run_console(config, demo, services, &console, title);
            }
            if let Some(demo) = demo {
                run_demo(
                    config,
                    demo,
                    duration.map(Duration::from_secs_f64),
                    services,
                )
            } else {
                run_headless(config, duration.map(Duration::from_secs_f64), services)
                    .map(|(code, _)| code)
            }
        }
        Command::Cmd {
            links,
            target,
            wait,
            session_dir,
            signing,
            action,
        } => {
            let mut config = PipelineConfig {
                links,
                session_dir,
                ..PipelineConfig::new(user_folders())
            };
            signing.apply(&mut config)?;
            if let Some(dir) = &config.session_dir {
                check_session_dir(dir)?;
            }
            check_cmd_files(&action)?;
            run_cmd(
                config,
                target,
                Duration::from_secs_f64(wait.max(0.0)),
                action,
            )
        }
        Command::Sim(args) => sim::run(&args),
        Command::Reports {
            action: ReportsAction::Token { holder },
        } => {
            let holder = holder.trim();
            if holder.is_empty() || holder.contains('\n') {
                bail!("the holder is one line of text: who the token is for");
            }
            let token = vigil_station::reports_http::tokens::new_token()
                .map_err(|err| anyhow!("no randomness for a token: {err}"))?;
            println!("{token} {holder}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Export {
            session,
            format,
            out,
            from,
            to,
            layers,
            redact,
        } => {
            let options = vigil_record::export::ExportOptions {
                format,
                out,
                from,
                to,
                layers: layers
                    .as_deref()
                    .map(vigil_record::export::Layer::parse_list)
                    .transpose()
                    .map_err(|e| anyhow!("--layers {e}"))?
                    .unwrap_or_default(),
                redact,
            };
            run_export(&session, &options)
        }
        Command::Summary {
            session,
            from,
            to,
            json,
        } => run_summary(&session, from, to, json),
        Command::Patrol(args) => patrol::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Score {
            session,
            truth,
            sites,
            json,
        } => run_score(&session, &truth, sites.as_deref(), json),
        Command::Verify { session } => run_verify(&session),
        Command::Replay {
            file,
            headless,
            speed,
            fast,
            tracks_out,
            associator,
            group_tracks,
            console,
        } => {
            if !(speed.is_finite() && speed > 0.0) {
                bail!("--speed must be a positive number, not {speed}");
            }
            check_tlog(&file)?;
            console.check()?;
            let pace = if fast {
                ReplayPace::Fast
            } else {
                ReplayPace::Speed(speed)
            };
            let config = PipelineConfig {
                links: vec![LinkAddress::File { path: file.clone() }],
                link_options: LinkOptions {
                    replay: pace,
                    ..LinkOptions::default()
                },
                tracks_out,
                tracker: replay_tracker(&file, associator, group_tracks)?,
                ..PipelineConfig::new(user_folders())
            };
            // The session's own sites, rules and ways, as the live run judged with.
            let config = vigil_station::with_session_inputs(config, &file);
            if !headless {
                return run_replay_console(&file, speed, &console, config.tracker);
            }
            run_headless(config, None, ServicePlan::replay(&file)).map(|(code, _)| code)
        }
    }
}

/// The demo's link: a loopback UDP port the in-process simulator sends to.
fn demo_link() -> Result<LinkAddress> {
    Ok("udpin:127.0.0.1:0".parse()?)
}

/// The in-process simulation without a link: the built-in demo or a scenario file, at a
/// speed.
pub struct DemoSim {
    pub scenario: vigil_sim::Scenario,
    pub speed: f64,
}

impl DemoSim {
    /// `file`'s scenario, or the built-in demo.
    pub fn load(file: Option<&Path>, speed: f64) -> Result<Self> {
        if !(speed.is_finite() && speed > 0.0) {
            bail!("--speed must be a positive number, not {speed}");
        }
        let scenario = match file {
            Some(path) => vigil_sim::Scenario::load(path)?,
            None => vigil_sim::Scenario::demo(),
        };
        Ok(Self { scenario, speed })
    }

    /// Starts the simulation, sending to the station's first (demo) link.
    pub fn start(&self, station: &GroundStation) -> Result<vigil_sim::SimRunner> {
        use vigil_sim::{RunOptions, SimRunner, SimTransport, SimWorld};
        let scenario = &self.scenario;
        println!(
            "no link given: simulating the scenario {:?} in-process at {}x",
            scenario.scenario.name, self.speed
        );
        let seed = scenario.scenario.seed;
        let world = SimWorld::from_scenario(scenario, seed);
        let options = RunOptions {
            radio: scenario.radios.first().copied(),
            radio_seed: seed,
            speed: self.speed,
            ..RunOptions::default()
        };
        let vigil = station
            .wait_for(Duration::from_secs(5), |s| {
                s.links
                    .first()
                    .is_some_and(|l| l.stats.local_addr.is_some())
            })
            .and_then(|s| s.links.first().and_then(|l| l.stats.local_addr))
            .ok_or_else(|| anyhow!("the demo link did not open"))?;
        let socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
        Ok(SimRunner::start_world(
            world,
            SimTransport::Udp {
                socket,
                peer: Some(vigil),
                learn: false,
            },
            options,
            None,
        )?)
    }
}

/// Runs the ground station on the built-in demo: the simulator on a loopback UDP link.
fn run_demo(
    mut config: PipelineConfig,
    demo: DemoSim,
    duration: Option<Duration>,
    services: ServicePlan,
) -> Result<ExitCode> {
    config.links = vec![demo_link()?];
    config.demo_sites = config.sites.is_none();
    let mut sim = None;
    let started = run_headless_with(config, duration, services, |station| {
        sim = Some(demo.start(station)?);
        Ok(())
    });
    if let Some(sim) = sim {
        sim.stop();
    }
    started.map(|(code, _)| code)
}

/// Opens a recording in the console with the replay bar (play, pause, speed, seek).
#[cfg(feature = "console")]
fn run_replay_console(
    file: &Path,
    speed: f64,
    args: &ConsoleArgs,
    tracker: vigil_tracking::TrackerConfig,
) -> Result<ExitCode> {
    let replay = vigil_station::replay::ReplayController::open_with_tracker(
        file,
        false,
        user_folders(),
        tracker,
    )?;
    replay.set_speed(speed);
    vigil_console::run_replay(
        replay,
        args.options(format!("replay of {}", file.display())),
    )?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "console"))]
fn run_replay_console(
    _file: &Path,
    _speed: f64,
    _args: &ConsoleArgs,
    _tracker: vigil_tracking::TrackerConfig,
) -> Result<ExitCode> {
    bail!("this build has no console (the `console` feature is off): replay with --headless")
}

/// A build without the console can only say so.
#[cfg(not(feature = "console"))]
fn run_console(
    _config: PipelineConfig,
    _demo: Option<DemoSim>,
    _services: ServicePlan,
    _args: &ConsoleArgs,
    _title: String,
) -> Result<ExitCode> {
    bail!("this build has no console (the `console` feature is off): run with --headless")
}

/// Runs the console window on the pipeline (and the demo's simulator when `demo`).
#[cfg(feature = "console")]
fn run_console(
    mut config: PipelineConfig,
    demo: Option<DemoSim>,
    services: ServicePlan,
    args: &ConsoleArgs,
    title: String,
) -> Result<ExitCode> {
    let mut options = args.options(title);
    if demo.is_some() {
        config.links = vec![demo_link()?];
        config.demo_sites = config.sites.is_none();
    }
    let pipeline = Pipeline::start(config)?;
    let station = pipeline.station();
    let sim = if let Some(demo) = &demo {
        Some(demo.start(&station)?)
    } else {
        None
    };
    let services = services.start(&station);
    if let Some(dir) = &station.snapshot().session_dir {
        println!("recording to {}", dir.display());
    }
    let result = services.and_then(|services| {
        options.patrol_keeper = services.patrol_watch();
        Ok(vigil_console::run(station, options)?)
    });
    if let Some(sim) = sim {
        sim.stop();
    }
    pipeline.shutdown();
    result?;
    Ok(ExitCode::SUCCESS)
}

/// Installs the Ctrl-C / SIGTERM handler; the flag turns true on either.
pub(crate) fn stop_flag() -> Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("cannot install the signal handler")?;
    Ok(stop)
}

fn run_headless(
    config: PipelineConfig,
    duration: Option<Duration>,
    services: ServicePlan,
) -> Result<(ExitCode, ())> {
    run_headless_with(config, duration, services, |_| Ok(()))
}

/// Runs the headless ground station; `started` runs once the pipeline is up.
fn run_headless_with(
    config: PipelineConfig,
    duration: Option<Duration>,
    services: ServicePlan,
    started: impl FnOnce(&GroundStation) -> Result<()>,
) -> Result<(ExitCode, ())> {
    let stop = stop_flag()?;
    let pipeline = Pipeline::start(config)?;
    let station = pipeline.station();
    started(&station)?;
    let mut services = services.start(&station)?;
    if let Some(dir) = &station.snapshot().session_dir {
        println!("recording to {}", dir.display());
    }
    let started = Instant::now();
    let mut next_status = started;
    let mut next_notice = 0;
    loop {
        let snapshot = station.snapshot();
        for notice in snapshot.world.notices.since(next_notice) {
            println!("{}", notice_line(notice));
        }
        next_notice = snapshot.world.notices.next_seq();
        let finished = snapshot.replays_finished();
        // At the end of a replay, the decisions taken after its last frame too.
        let until = if finished {
            vigil_core::time::TimeUs(u64::MAX)
        } else {
            snapshot.analysed_to
        };
        for line in services.decisions_until(until) {
            println!("{line}");
        }
        for line in services.patrol_lines() {
            println!("{line}");
        }
        if Instant::now() >= next_status || finished {
            println!("{}", status_line(&snapshot));
            next_status += Duration::from_secs(1);
        }
        if finished
            || stop.load(Ordering::SeqCst)
            || duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // No more reports in while the pipeline stops.
    drop(services);
    pipeline.shutdown();
    // A replay that could not be read or held no frame, or a link that never came up, did
    // not do what was asked: say which and fail.
    let failed: Vec<String> = station
        .snapshot()
        .links
        .iter()
        .filter_map(link_failure)
        .collect();
    if !failed.is_empty() {
        for failure in &failed {
            eprintln!("vigil: {failure}");
        }
        return Ok((ExitCode::from(1), ()));
    }
    Ok((ExitCode::SUCCESS, ()))
}

/// Waits for the target vehicle (or the first one heard) and returns its system id.
fn find_target(station: &GroundStation, target: Option<u8>, wait: Duration) -> Result<u8> {
    let found = station.wait_for(wait, |s: &Snapshot| match target {
        Some(sysid) => s.world.vehicles.contains_key(&sysid),
        None => !s.world.vehicles.is_empty(),
    });
    let Some(snapshot) = found else {
        let what = target.map_or_else(|| "any vehicle".to_owned(), |t| format!("vehicle {t}"));
        let links: Vec<String> = station
            .snapshot()
            .links
            .iter()
            .map(|l| format!("{} ({})", l.address, link_condition(l)))
            .collect();
        bail!(
            "no heartbeat from {what} within {:.1} s on {}",
            wait.as_secs_f64(),
            links.join(", ")
        );
    };
    target
        .or_else(|| snapshot.world.vehicles.keys().next().copied())
        .ok_or_else(|| anyhow!("no vehicle"))
}

/// Generous upper bound for one transaction. The engine ends every transaction on its own
/// before: a command after its retries, an action of several steps (observing a place a few
/// kilometres away flies there first: minutes) when a step times out.
const TRANSACTION_LIMIT: Duration = Duration::from_secs(30 * 60);

fn run_cmd(
    config: PipelineConfig,
    target: Option<u8>,
    wait: Duration,
    action: CmdAction,
) -> Result<ExitCode> {
    let pipeline = Pipeline::start(config)?;
    let station = pipeline.station();
    let result =
        find_target(&station, target, wait).and_then(|sysid| perform(&station, sysid, action));
    pipeline.shutdown();
    match result {
        Ok(message) => {
            println!("{message}");
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => {
            eprintln!("vigil: {}", error_text(&err));
            Ok(ExitCode::from(1))
        }
    }
}

fn command(station: &GroundStation, sysid: u8, action: Action) -> Result<String> {
    let description = action.to_string();
    let outcome = station
        .command(sysid, action)?
        .recv_timeout(TRANSACTION_LIMIT)
        .map_err(|_| anyhow!("no outcome for {description}"))?;
    match outcome {
        CommandOutcome::Accepted => Ok(format!("vehicle {sysid}: {description}: accepted")),
        other => Err(anyhow!("vehicle {sysid}: {description}: {other}")),
    }
}

fn mission_op(station: &GroundStation, sysid: u8, op: MissionOp) -> Result<MissionOutcome> {
    station
        .mission(sysid, op)?
        .recv_timeout(TRANSACTION_LIMIT)
        .map_err(|_| anyhow!("no outcome for the mission transfer"))?
        .map_err(anyhow::Error::from)
}

/// A plan's three lists in words: "4 mission items, a fence of 2 polygons (9 vertices) and
/// 2 rally points" (home is not a mission item).
fn plan_contents(mission_items: usize, fence: &mission::Fence, rally_points: usize) -> String {
    let items = if mission_items == 1 { "item" } else { "items" };
    let rally = match rally_points {
        0 => "no rally points".to_string(),
        1 => "1 rally point".to_string(),
        n => format!("{n} rally points"),
    };
    format!(
        "{mission_items} mission {items}, {} and {rally}",
        fence.describe()
    )
}

fn param_op(station: &GroundStation, sysid: u8, op: ParamOp) -> Result<ParamOutcome> {
    station
        .params(sysid, op)?
        .recv_timeout(TRANSACTION_LIMIT)
        .map_err(|_| anyhow!("no outcome for the parameter transfer"))?
        .map_err(anyhow::Error::from)
}

/// Sets up signing with a vehicle and waits until a frame it signed with the new key arrives.
fn signing_setup(station: &GroundStation, sysid: u8) -> Result<String> {
    let text = station
        .setup_signing(sysid)?
        .recv_timeout(TRANSACTION_LIMIT)
        .map_err(|_| anyhow!("no answer to the signing setup"))?
        .map_err(anyhow::Error::from)?;
    let link = station
        .snapshot()
        .world
        .vehicles
        .get(&sysid)
        .map(|v| v.link)
        .ok_or_else(|| anyhow!("vehicle {sysid} vanished"))?;
    let signed = |s: &vigil_station::Snapshot| {
        s.links
            .iter()
            .any(|l| l.id == link && l.stats.signed_ok > 0)
    };
    station
        .wait_for(Duration::from_secs(5), signed)
        .ok_or_else(|| anyhow!("{text}; but no signed frame came back within 5 s"))?;
    Ok(format!("{text}; the vehicle signs its frames"))
}

fn perform(station: &GroundStation, sysid: u8, action: CmdAction) -> Result<String> {
    match action {
        CmdAction::SigningSetup => signing_setup(station, sysid),
        CmdAction::Arm => command(station, sysid, Action::Arm),
        CmdAction::Disarm { force } => command(station, sysid, Action::Disarm { force }),
        CmdAction::Mode { name } => command(station, sysid, Action::SetMode(name)),
        CmdAction::Launch { alt_m } => command(station, sysid, Action::Launch { alt_rel_m: alt_m }),
        CmdAction::Takeoff { alt_m } => {
            command(station, sysid, Action::Takeoff { alt_rel_m: alt_m })
        }
        CmdAction::Land => command(station, sysid, Action::Land),
        CmdAction::Rtl => command(station, sysid, Action::ReturnToLaunch),
        CmdAction::StartMission => command(station, sysid, Action::StartMission),
        CmdAction::FlyMission => command(station, sysid, Action::FlyMission),
        CmdAction::Goto { lat, lon, alt_m } => command(
            station,
            sysid,
            Action::Goto {
                lat_deg: lat,
                lon_deg: lon,
                alt_rel_m: alt_m,
            },
        ),
        CmdAction::Orbit {
            lat,
            lon,
            alt_m,
            radius_m,
            speed_mps,
        } => command(
            station,
            sysid,
            Action::Orbit {
                lat_deg: lat,
                lon_deg: lon,
                alt_rel_m: alt_m,
                radius_m,
                speed_mps,
            },
        ),
        CmdAction::Roi {
            lat,
            lon,
            alt_msl_m,
        } => command(
            station,
            sysid,
            Action::PointGimbal {
                lat_deg: lat,
                lon_deg: lon,
                alt_msl_m,
            },
        ),
        CmdAction::Upload { file, force } => upload::upload(station, sysid, &file, force),
        CmdAction::Download { file } => match mission_op(station, sysid, MissionOp::Download)? {
            MissionOutcome::Downloaded(plan) => {
                mission::save_mission(&file, &plan)?;
                Ok(format!(
                    "vehicle {sysid}: downloaded {} into {}",
                    plan_contents(plan.items.len(), &plan.fence, plan.rally.len()),
                    file.display()
                ))
            }
            other => Err(anyhow!("unexpected outcome {other:?}")),
        },
        CmdAction::Clear => mission_op(station, sysid, MissionOp::Clear)
            .map(|_| format!("vehicle {sysid}: mission, fence and rally points cleared")),
        CmdAction::Params { file } => match param_op(station, sysid, ParamOp::FetchAll)? {
            ParamOutcome::All(params) => {
                let pairs: Vec<(String, f32)> = params
                    .iter()
                    .map(|p| (p.name.clone(), p.value as f32))
                    .collect();
                mission::save_params(&file, &pairs)?;
                Ok(format!(
                    "vehicle {sysid}: {} parameters saved to {}",
                    pairs.len(),
                    file.display()
                ))
            }
            ParamOutcome::One(_) => Err(anyhow!("unexpected single parameter")),
        },
        CmdAction::ParamsLoad { file } => load_params(station, sysid, &file),
        CmdAction::Param { name, value } => {
            let op = match value {
                Some(value) => ParamOp::Set(name, value),
                None => ParamOp::Read(name),
            };
            match param_op(station, sysid, op)? {
                ParamOutcome::One(param) => Ok(format!("{} {}", param.name, param.value)),
                ParamOutcome::All(_) => Err(anyhow!("unexpected parameter list")),
            }
        }
    }
}

fn load_params(station: &GroundStation, sysid: u8, file: &Path) -> Result<String> {
    let params = mission::load_params(file)?;
    let mut failures = Vec::new();
    for (name, value) in &params {
        if let Err(err) = param_op(
            station,
            sysid,
            ParamOp::Set(name.clone(), f64::from(*value)),
        ) {
            eprintln!("vigil: {name}: {err:#}");
            failures.push(name.clone());
        }
    }
    if failures.is_empty() {
        Ok(format!(
            "vehicle {sysid}: {} parameters set from {}",
            params.len(),
            file.display()
        ))
    } else {
        Err(anyhow!(
            "{} of {} parameters were not set: {}",
            failures.len(),
            params.len(),
            failures.join(", ")
        ))
    }
}

fn run_export(session: &Path, options: &vigil_record::export::ExportOptions) -> Result<ExitCode> {
    let started = Instant::now();
    let summary = vigil_record::export::export_session_with(session, options, false, &mut |_| {})
        .with_context(|| format!("cannot export {}", session.display()))?;
    for (layer, count) in &summary.counts {
        println!("{:>11}: {count}", layer.name());
    }
    println!(
        "wrote {} in {:.2} s (journal head {}, tlog sha256 {}{})",
        summary.out.display(),
        started.elapsed().as_secs_f64(),
        summary.provenance.journal_head_sha256,
        summary.provenance.tlog_sha256,
        if summary.provenance.sealed {
            ", sealed"
        } else {
            ", NOT sealed"
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn run_summary(
    session: &Path,
    from: Option<vigil_record::export::TimeSpec>,
    to: Option<vigil_record::export::TimeSpec>,
    json: bool,
) -> Result<ExitCode> {
    let summary = vigil_record::summary::summarise_session(session, from, to)
        .with_context(|| format!("cannot summarise {}", session.display()))?;
    if json {
        let text = serde_json::to_string_pretty(&summary).context("cannot write the JSON")?;
        println!("{text}");
    } else {
        print!("{}", summary.table());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_score(session: &Path, truth: &Path, sites: Option<&Path>, json: bool) -> Result<ExitCode> {
    let set = match sites {
        Some(path) => vigil_protection::SiteSet::load(path).map_err(|e| anyhow!("--sites {e}"))?,
        None => vigil_protection::SiteSet::demo(),
    };
    let sites = vigil_record::score::buffered_sites(set);
    let score = vigil_record::score::score_session(session, truth, &sites)
        .with_context(|| format!("cannot score {}", session.display()))?;
    if json {
        let text = serde_json::to_string_pretty(&score).context("cannot write the JSON")?;
        println!("{text}");
    } else {
        print!("{}", score.table());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_verify(session: &Path) -> Result<ExitCode> {
    use vigil_record::provenance::Verdict;
    if !session.exists() {
        bail!("{}: no such session folder", session.display());
    }
    if !session.is_dir() {
        bail!("{}: not a session folder (a file)", session.display());
    }
    let recorded = [
        vigil_record::session::TLOG_FILE,
        vigil_record::journal::JOURNAL_FILE,
        vigil_record::session::META_FILE,
    ];
    if !recorded.iter().any(|name| session.join(name).exists()) {
        bail!(
            "{}: not a session folder (no {})",
            session.display(),
            recorded.join(", ")
        );
    }
    let report = vigil_record::provenance::verify_session(session);
    for note in &report.notes {
        println!("{note}");
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    println!("{}", report.summary());
    Ok(match report.verdict {
        Verdict::Intact => ExitCode::SUCCESS,
        Verdict::Changed => ExitCode::from(1),
        Verdict::IntactUnsealed => ExitCode::from(2),
    })
}

/// Checks what `vigil run` was given before anything starts (a session folder opened, a link
/// dialled): each file must be there and make sense, so a typo neither records an empty
/// session nor touches one already recorded.
fn check_run_inputs(config: &PipelineConfig, console: &ConsoleArgs) -> Result<()> {
    if let Some(path) = &config.sites {
        vigil_protection::SiteSet::load(path).map_err(|e| anyhow!("--sites {e}"))?;
    }
    if let Some(path) = &config.rules {
        vigil_protection::RulesConfig::load(path).map_err(|e| anyhow!("--rules {e}"))?;
    }
    for link in &config.links {
        if let LinkAddress::File { path } = link {
            check_tlog(path).with_context(|| format!("--link {link}"))?;
        }
    }
    if let Some(dir) = &config.session_dir {
        check_session_dir(dir)?;
    }
    console.check()
}

/// A session folder must be a folder; one that already holds a recording is appended to
/// (its tlog, journal and session.json are kept; it is sealed anew when this run closes).
fn check_session_dir(dir: &Path) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        bail!(
            "--session-dir {}: is a file, not a folder; nothing was recorded",
            dir.display()
        );
    }
    let tlog = dir.join(vigil_record::session::TLOG_FILE);
    if let Ok(meta) = std::fs::metadata(&tlog) {
        println!(
            "appending to the session in {} (its {} bytes of telemetry are kept)",
            dir.display(),
            meta.len()
        );
    }
    Ok(())
}

/// A telemetry log to replay must be a readable file (a folder would be read forever).
fn check_tlog(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        bail!(
            "{}: is a folder, not a telemetry log (.tlog); a session's log is {}/{}",
            path.display(),
            path.display(),
            vigil_record::session::TLOG_FILE
        );
    }
    std::fs::File::open(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(())
}

/// Checks the files of a `vigil cmd` before waiting for the vehicle: a mission or parameter
/// file to send must read, and the file to save into must be writable where it is named.
fn check_cmd_files(action: &CmdAction) -> Result<()> {
    match action {
        CmdAction::Upload { file, force } => {
            upload::check(file, *force)?;
        }
        CmdAction::ParamsLoad { file } => {
            mission::load_params(file)?;
        }
        CmdAction::Download { file } => {
            check_output_file(file)?;
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if !matches!(ext.as_deref(), Some("plan" | "waypoints" | "txt")) {
                bail!(
                    "{}: cannot tell the mission format to write; name the file .plan or .waypoints",
                    file.display()
                );
            }
        }
        CmdAction::Params { file } => check_output_file(file)?,
        _ => {}
    }
    Ok(())
}

/// A file Vigil will write: not a folder, and in a folder that exists.
fn check_output_file(path: &Path) -> Result<()> {
    if path.is_dir() {
        bail!("{}: is a folder; name a file", path.display());
    }
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !parent.is_dir() {
        bail!(
            "{}: the folder {} does not exist",
            path.display(),
            parent.display()
        );
    }
    Ok(())
}

impl ConsoleArgs {
    /// Checks the console's files before the window opens (and on a headless run, which was
    /// given them all the same): the basemap reads, the tile folder has zoom levels, a tile
    /// URL has its placeholders, and an existing settings file is readable JSON (a damaged
    /// one is left as it is, not replaced by the defaults).
    fn check(&self) -> Result<()> {
        if let Some(path) = &self.basemap {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--basemap {}", path.display()))?;
            vigil_console_files::VectorBasemap::parse(&text, &path.display().to_string())
                .map_err(|e| anyhow!("--basemap {e}"))?;
            vigil_protection::predict::parse_ways(&text, &path.display().to_string())
                .map_err(|e| anyhow!("--basemap {e}"))?;
        }
        if let Some(tiles) = &self.tiles {
            if tiles.contains("://") {
                if let Some(missing) = ["{z}", "{x}", "{y}"]
                    .into_iter()
                    .find(|part| !tiles.contains(part))
                {
                    bail!(
                        "--tiles {tiles}: a tile server URL needs {{z}}, {{x}} and {{y}}; {missing} is missing"
                    );
                }
            } else {
                let zoom_levels = std::fs::read_dir(tiles)
                    .with_context(|| format!("--tiles {tiles}"))?
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .filter(|e| {
                        e.file_name()
                            .to_str()
                            .is_some_and(|n| n.parse::<u8>().is_ok())
                    })
                    .count();
                if zoom_levels == 0 {
                    bail!("--tiles {tiles}: no zoom-level folders (0, 1, ...): expected z/x/y.png");
                }
            }
        }
        if let Some(path) = &self.settings {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    vigil_console_files::Settings::from_json(&text).map_err(|e| {
                        anyhow!(
                            "--settings {}: line {}: {e}; the file is left as it is",
                            path.display(),
                            e.line()
                        )
                    })?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => bail!("--settings {}: {e}", path.display()),
            }
        }
        Ok(())
    }
}

/// Why a link of a finished headless run failed it, if it did: it failed, it never came up,
/// or it was a replay that held no frame.
fn link_failure(link: &vigil_station::LinkView) -> Option<String> {
    use vigil_link::LinkState;
    let address = &link.address;
    match &link.stats.state {
        LinkState::Failed(reason) => Some(format!("{address}: {reason}")),
        LinkState::Finished if address.is_replay() && link.stats.frames_rx == 0 => {
            let size = match address {
                LinkAddress::File { path } => std::fs::metadata(path).map_or(0, |m| m.len()),
                _ => 0,
            };
            Some(format!(
                "{address}: no MAVLink frame in its {size} bytes: empty, or not a telemetry log"
            ))
        }
        _ if !address.is_replay() && link.stats.connects == 0 => {
            Some(format!("{address}: {}", link_condition(link)))
        }
        _ => None,
    }
}

/// A link's condition in words, for a message saying why nothing came.
fn link_condition(link: &vigil_station::LinkView) -> String {
    use vigil_link::LinkState;
    match &link.stats.state {
        LinkState::Failed(reason) => format!("failed: {reason}"),
        LinkState::Retrying(reason) if link.stats.connects == 0 => {
            // "ADDR: cannot open DEVICE: ...; retrying in 2.0 s": the address is said already.
            let prefix = format!("{}: ", link.address);
            let reason = reason.strip_prefix(&prefix).unwrap_or(reason);
            let reason = reason.split("; retrying").next().unwrap_or(reason);
            format!("never came up: {reason}")
        }
        _ if link.stats.connects == 0 => match &link.address {
            LinkAddress::TcpListen { .. } => "never came up: no peer connected".to_owned(),
            _ => "never came up".to_owned(),
        },
        state => format!(
            "{}, {} frames received",
            state.label(),
            link.stats.frames_rx
        ),
    }
}

/// Vigil's folders by the platform's conventions, resolved here and only here: the library
/// is given them. On Linux (XDG): data in `$XDG_DATA_HOME/vigil` or `~/.local/share/vigil`,
/// settings in `$XDG_CONFIG_HOME/vigil` or `~/.config/vigil`, the tile cache in
/// `$XDG_CACHE_HOME/vigil` or `~/.cache/vigil` (relative XDG paths are ignored, as the
/// specification asks). `None` when the user has no home folder at all.
fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "vigil")
}

/// The environment variable naming the station's session signing key file (a key on
/// removable media), instead of the one in the keys folder.
const SIGNING_KEY_ENV: &str = "VIGIL_SIGNING_KEY";

/// Where the station keeps keys and sessions: the user's data folder (`sessions/`, `keys/`,
/// `keys/session-signing.key`), the station key where `VIGIL_SIGNING_KEY` says if set; without
/// a home folder, `./vigil-sessions` and `./vigil-keys`.
fn user_folders() -> Folders {
    let mut folders = match project_dirs() {
        Some(dirs) => Folders::under(dirs.data_dir()),
        None => {
            let keys_dir = PathBuf::from("vigil-keys");
            Folders {
                sessions_root: PathBuf::from("vigil-sessions"),
                station_key: keys_dir.join(vigil_record::provenance::keys::KEY_FILE),
                keys_dir,
            }
        }
    };
    if let Some(path) = std::env::var_os(SIGNING_KEY_ENV).filter(|v| !v.is_empty()) {
        folders.station_key = PathBuf::from(path);
    }
    folders
}

/// The console's settings file: `console.json` in Vigil's settings folder
/// (`~/.config/vigil/console.json` on Linux).
#[cfg(feature = "console")]
fn default_settings_path() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.config_dir().join("console.json"))
}
