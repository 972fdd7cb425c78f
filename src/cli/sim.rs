//! `vigil sim`: the simulator on a link, and with `--modem` a simulated GSM modem on a
//! pseudo-terminal that delivers the scenario's text messages for `vigil run --sms`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use vigil_core::address::LinkAddress;
use vigil_sim::modem::{IncomingSms, ModemOptions, SimModem};
use vigil_sim::{RunOptions, Scenario, SimRunner, SimWorld, TruthWriter};

/// Run the simulator: drones, sensor nodes and people from a scenario file, speaking
/// MAVLink on a link (udpout:HOST:PORT, udpin:IP:PORT, tcpin:IP:PORT, tcp:HOST:PORT,
/// serial:DEVICE:BAUD, or pty for a new pseudo-terminal whose path is printed).
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    #[arg(long, value_name = "FILE")]
    scenario: PathBuf,
    #[arg(long, value_name = "ADDR")]
    link: String,
    /// Seed of the world's randomness (default: the scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Simulated seconds to run (default: the scenario's duration).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Write the ground truth (CSV) here.
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Frame what fits in MAVLink 1 as MAVLink 1.
    #[arg(long)]
    mavlink1: bool,
    /// Also simulate the mission's GSM modem on a new pseudo-terminal (its path is printed,
    /// for `vigil run --sms PATH`), delivering the scenario's [[sms]] messages at their times.
    #[arg(long)]
    modem: bool,
}

/// The scenario's messages not yet delivered, in time order.
struct Outbox {
    modem: SimModem,
    pending: Vec<(Duration, IncomingSms)>,
    started: Instant,
}

impl Outbox {
    fn new(modem: SimModem, scenario: &Scenario, speed: f64) -> Self {
        let start = scenario.start_time();
        let mut pending: Vec<(Duration, IncomingSms)> = scenario
            .sms
            .iter()
            .map(|sms| {
                let at = Duration::from_secs_f64(sms.at_s);
                let message = IncomingSms {
                    sender: sms.from.clone(),
                    time: start.plus(at),
                    zone_quarter_hours: 0,
                    text: sms.text.clone(),
                };
                (Duration::from_secs_f64(sms.at_s / speed), message)
            })
            .collect();
        pending.sort_by_key(|(at, _)| *at);
        pending.reverse();
        Self {
            modem,
            pending,
            started: Instant::now(),
        }
    }

    /// Delivers what is due; a full SIM is said and the message dropped, as the network
    /// would keep retrying a phone nobody reads.
    fn deliver_due(&mut self) {
        while self
            .pending
            .last()
            .is_some_and(|(at, _)| self.started.elapsed() >= *at)
        {
            let Some((_, sms)) = self.pending.pop() else {
                break;
            };
            if let Err(err) = self.modem.deliver(sms) {
                eprintln!("vigil sim: modem: a message was not stored: {err}");
            }
        }
    }
}

pub fn run(args: &SimArgs) -> Result<ExitCode> {
    let speed = args.speed;
    if !(speed.is_finite() && speed > 0.0) {
        bail!("--speed must be a positive number, not {speed}");
    }
    let scenario = Scenario::load(&args.scenario)?;
    let address: LinkAddress = if args.link == "pty" {
        "serial:pty".parse()?
    } else {
        args.link.parse()?
    };
    let (transport, pty) = vigil_sim::runner::open_transport(&address)
        .with_context(|| format!("--link {address}: cannot open"))?;
    if let Some(pty) = &pty {
        println!("serial device: {}", pty.slave_path.display());
    }
    let mut outbox = if args.modem {
        let modem = SimModem::start(ModemOptions::default())
            .context("--modem: cannot open a pseudo-terminal")?;
        println!("modem: {}", modem.path().display());
        Some(Outbox::new(modem, &scenario, speed))
    } else {
        None
    };
    let seed = args.seed.unwrap_or(scenario.scenario.seed);
    let duration_s = args.duration.or(scenario.scenario.duration_s);
    let truth = args.truth.as_deref().map(TruthWriter::create).transpose()?;
    let options = RunOptions {
        version: if args.mavlink1 {
            vigil_protocol::MavVersion::V1
        } else {
            vigil_protocol::MavVersion::V2
        },
        speed,
        radio: scenario.radios.first().copied(),
        radio_seed: seed ^ 0x5241_4449_4F00,
        duration: duration_s.map(Duration::from_secs_f64),
    };
    let world = SimWorld::from_scenario(&scenario, seed);
    println!(
        "simulating {:?}: {} drones, {} sensor nodes, {} movers on {address}, seed {seed}, speed {speed}x",
        scenario.scenario.name,
        world.drones.len(),
        world.sensors.len(),
        world.movers.len()
    );
    let stop = super::stop_flag()?;
    let runner = SimRunner::start_world(world, transport, options, truth)?;
    while !runner.is_finished() && !stop.load(Ordering::SeqCst) {
        if let Some(outbox) = &mut outbox {
            outbox.deliver_due();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if runner.is_finished() {
        runner.join().context("the simulation stopped")?;
    } else {
        runner.stop();
    }
    if let Some(outbox) = outbox {
        outbox.modem.stop();
    }
    drop(pty);
    Ok(ExitCode::SUCCESS)
}
