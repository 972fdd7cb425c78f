//! Patrols kept flying by the station (issue #18): `vigil run --patrol`. A [`PatrolKeeper`]
//! plans loops over the protected sites with the drones and sensors the station sees
//! (`vigil_protection::patrol`), uploads them as the drones' AUTO missions, starts them, and
//! watches: when the plan no longer holds — a drone's battery below the hand-over level, its
//! link lost, a drone sent to an alert, a sensor gone silent or reporting a fault, a mission
//! refused — it plans again without them, and a drone that comes free (or a sensor heard
//! again) is taken back in. An alert about movers up at a place plans again at once, the
//! place weighing more (`vigil_protection::patrol::THREAT_WEIGHT`: its other ways in are
//! watched before any quiet place's); once no such alert is up there, the weights go back.
//! A drone of the old plan with no loop in the new one goes home (RTL) only once every drone
//! of the new plan flies its loop (in AUTO): the hand-over leaves no gap. A drone sent to an
//! alert is never sent home by the keeper. Each plan flown, each hand-over and each refusal
//! is written to the journal as a note by [`AUTHOR`].
//!
//! The keeper runs on its own thread (`vigil-patrol`) and talks to the station as any client
//! does (snapshots, commands, mission transfers): the world thread never waits for it. The
//! console's patrol desk uses the same [`patrol_input`] and [`stale_reasons`] when the
//! operator plans by hand.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, RecvTimeoutError};

use vigil_core::time::TimeUs;
use vigil_protection::dispatch::cruise_speed_mps;
use vigil_protection::patrol::{PatrolDrone, PatrolInput, PatrolPlan, SensorCover, plan};
use vigil_protection::{AlertSeverity, AlertState, LatLon, ProtectionView, SiteId};
use vigil_world::command::{Action, CommandOutcome, MissionOp};
use vigil_world::{Health, SensorNode, Vehicle, World};

use crate::{GroundStation, Snapshot};

mod cue;

/// Who the keeper's notes in the journal are by.
pub const AUTHOR: &str = "vigil patrol";
/// A camera's field of view across track when the drone has not said (the demo copter's).
const DEFAULT_HFOV_RAD: f64 = 62.0 * std::f64::consts::PI / 180.0;
/// The camera's look below the horizon when not known, rad (60°).
const DEFAULT_PITCH_RAD: f64 = 60.0 * std::f64::consts::PI / 180.0;
/// How often the keeper looks at the station.
const TICK: Duration = Duration::from_millis(200);
/// How long the drones and sensors heard must stay the same (mission clock) before the first
/// plan: the station has heard its whole deployment.
const SETTLE_US: u64 = 15_000_000;
/// A drone or sensor that comes back is taken in at most this often (mission clock); losing
/// one re-plans at once.
const REGAIN_EVERY_US: u64 = 60_000_000;
/// A drone that refused its loop is left out this long (mission clock).
const REFUSED_FOR_US: u64 = 300_000_000;
/// Bound on one mission upload or one "fly the mission" (the engine ends each on its own
/// before: retries, steps that time out).
const TRANSACTION_LIMIT: Duration = Duration::from_secs(300);
/// The keeper's log lines kept for readers.
const LOG_LINES: usize = 200;

/// Why a drone cannot patrol now: its link lost, its battery below the hand-over level, or
/// sent to an alert (a dispatch under way).
pub fn unavailable(vehicle: Option<&Vehicle>, protection: &ProtectionView) -> Option<String> {
    let Some(v) = vehicle else {
        return Some("not heard".into());
    };
    if v.health == Health::Lost {
        return Some("its link is lost".into());
    }
    if let Some(pct) = v.battery.remaining_pct
        && pct < protection.dispatch.handover_battery_pct
    {
        return Some(format!("its battery is at {pct:.0} %"));
    }
    dispatched(v.sysid, protection).map(|alert| match alert {
        Some(alert) => format!("it is sent to alert {alert}"),
        None => "it is sent to a place".into(),
    })
}

/// The alert (if any) a drone is sent to, when a "send a drone" is under way with it.
fn dispatched(sysid: u8, protection: &ProtectionView) -> Option<Option<u64>> {
    protection
        .dispatches
        .iter()
        .find(|d| d.drone == sysid && d.state.is_under_way())
        .map(|d| d.alert)
}

/// The sensors a plan can count on: heard, not lost, not reporting a fault (its sensing
/// element failed: it detects nothing), with a position and a range.
pub fn counted_sensors(world: &World) -> Vec<(u8, u8)> {
    world
        .sensors
        .iter()
        .filter(|(_, s)| senses(s) && s.position.is_some() && s.sensing_radius_m.is_some())
        .map(|(key, _)| *key)
        .collect()
}

/// Whether a sensor node can detect now: heard, and not reporting a fault.
fn senses(sensor: &SensorNode) -> bool {
    sensor.health != Health::Lost && !sensor.flags.sensor_fault
}

/// The planner's input from what the station sees: its sites, the sensors heard with a
/// position and a range, and the drones with a home that can patrol (see [`unavailable`];
/// their speed by airframe, their flight time from the battery above the rules' reserve,
/// their camera's swath at the patrol height).
pub fn patrol_input(world: &World, protection: &ProtectionView, alt_rel_m: f64) -> PatrolInput {
    let config = &protection.dispatch;
    let sensors = world
        .sensors
        .values()
        .filter(|s| senses(s))
        .filter_map(|s| {
            let at = s.position?;
            Some(SensorCover {
                at: LatLon {
                    lat_deg: at.lat_deg,
                    lon_deg: at.lon_deg,
                },
                radius_m: s.sensing_radius_m?,
                sector_rad: s
                    .boresight_rad
                    .zip(s.fov_rad)
                    .filter(|(_, fov)| *fov < std::f64::consts::TAU),
            })
        })
        .collect();
    let drones = world
        .vehicles
        .values()
        .filter(|v| unavailable(Some(v), protection).is_none())
        .filter_map(|v| {
            let home = v.home?;
            let speed_mps = cruise_speed_mps(v.airframe);
            let rotor = speed_mps < cruise_speed_mps(vigil_world::Airframe::FixedWing);
            let endurance_min = if rotor {
                config.copter_endurance_min
            } else {
                config.plane_endurance_min
            };
            let battery_pct = v.battery.remaining_pct.unwrap_or(100.0);
            let hfov_rad = v.camera.map_or(DEFAULT_HFOV_RAD, |c| c.hfov_rad);
            let slant_m = alt_rel_m / DEFAULT_PITCH_RAD.sin();
            Some(PatrolDrone {
                sysid: v.sysid,
                home: LatLon {
                    lat_deg: home.lat_deg,
                    lon_deg: home.lon_deg,
                },
                speed_mps,
                endurance_s: (battery_pct - config.reserve_pct).max(0.0) / 100.0
                    * endurance_min
                    * 60.0,
                swath_m: 2.0 * slant_m * (hfov_rad / 2.0).tan(),
            })
        })
        .collect();
    PatrolInput {
        sites: protection.sites.as_ref().clone(),
        sensors,
        drones,
        ways: protection.ways.as_ref().clone(),
        alt_rel_m,
        night: protection.night,
        threatened: threatened(protection),
    }
}

/// The places an alert about movers (a warning or worse, not resolved by the operator) is up
/// at, in order.
pub fn threatened(protection: &ProtectionView) -> Vec<SiteId> {
    let mut sites: Vec<SiteId> = protection
        .alerts
        .iter()
        .filter(|a| {
            a.active
                && a.state != AlertState::Resolved
                && a.rule.is_about_movers()
                && a.severity >= AlertSeverity::Warning
        })
        .filter_map(|a| a.site)
        .collect();
    sites.sort_unstable();
    sites.dedup();
    sites
}

/// Why `plan` no longer holds: each drone of it that can no longer fly its loop, each sensor
/// it counted on (`sensors`) that went silent or reports a fault.
pub fn stale_reasons(plan: &PatrolPlan, sensors: &[(u8, u8)], snapshot: &Snapshot) -> Vec<String> {
    let names = &snapshot.world.names;
    let drones = plan.loops.iter().filter_map(|l| {
        let vehicle = snapshot.world.vehicles.get(&l.sysid).map(Arc::as_ref);
        unavailable(vehicle, &snapshot.protection)
            .map(|why| format!("{}: {why}", names.drone(l.sysid)))
    });
    let sensors = sensors.iter().filter_map(|&(sysid, compid)| {
        let name = names.sensor(sysid, compid);
        match snapshot.world.sensors.get(&(sysid, compid)) {
            Some(s) if senses(s) => None,
            Some(s) if s.health != Health::Lost => Some(format!("{name} reports a fault")),
            _ => Some(format!("{name} is silent")),
        }
    });
    drones.chain(sensors).collect()
}

/// "Kite 1 6.2 km round 10 min; Heron 18.1 km round 17 min; revisits: Keradu 10 min, ...".
pub fn plan_text(plan: &PatrolPlan, world: &World) -> String {
    let minutes = vigil_protection::dispatch::minutes_text;
    let loops: Vec<String> = plan
        .loops
        .iter()
        .map(|l| {
            format!(
                "{} {:.1} km round {}",
                world.names.drone(l.sysid),
                l.length_m / 1000.0,
                minutes(l.period_s)
            )
        })
        .collect();
    let revisits: Vec<String> = plan
        .sites
        .iter()
        .filter_map(|s| Some(format!("{} {}", s.site, minutes(s.revisit_s?))))
        .collect();
    format!("{}; revisits: {}", loops.join("; "), revisits.join(", "))
}

/// The mission clock (the messages' clock the rules run on), which a simulator at a speed-up
/// runs fast: the keeper's waits are in mission time; the receive clock before the first
/// step.
fn mission_time(snapshot: &Snapshot) -> TimeUs {
    if snapshot.protection.time.0 > 0 {
        snapshot.protection.time
    } else {
        snapshot.world.time
    }
}

/// How the keeper flies the patrols.
#[derive(Debug, Clone, PartialEq)]
pub struct KeeperConfig {
    /// Patrol height above home, m.
    pub alt_rel_m: f64,
    /// Cue and follow without waiting for the operator (`vigil run --patrol --cue`): each
    /// new warning about movers takes a drone off its loop to follow them (see
    /// [`Keeper::cue`]), and the drone comes back to the patrols when the warning is over.
    pub cue: bool,
}

impl Default for KeeperConfig {
    fn default() -> Self {
        Self {
            alt_rel_m: 120.0,
            cue: false,
        }
    }
}

/// What the keeper is doing, for the console and the command line.
#[derive(Debug, Clone, Default)]
pub struct PatrolStatus {
    /// The plan flown (or being put on the drones).
    pub plan: Option<PatrolPlan>,
    /// The drones flying its loops.
    pub flying: Vec<u8>,
    /// Plans made so far.
    pub plans: u32,
    /// Whether it cues drones to warnings ([`KeeperConfig::cue`]).
    pub cue: bool,
    /// What it did, oldest first: (sequence number, mission time, text).
    pub log: VecDeque<(u64, TimeUs, String)>,
    next_seq: u64,
}

impl PatrolStatus {
    /// The log lines from sequence number `seq` on.
    pub fn since(&self, seq: u64) -> impl Iterator<Item = &(u64, TimeUs, String)> {
        self.log.iter().filter(move |(s, _, _)| *s >= seq)
    }

    /// The sequence number the next line will have.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn push(&mut self, time: TimeUs, text: String) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back((self.next_seq, time, text));
        self.next_seq += 1;
    }
}

/// The running keeper; dropping it stops its thread (drones keep flying what they have).
pub struct PatrolKeeper {
    stop: Arc<AtomicBool>,
    status: Arc<ArcSwap<PatrolStatus>>,
    thread: Option<JoinHandle<()>>,
}

impl PatrolKeeper {
    /// Starts keeping patrols on `station`'s drones.
    pub fn start(station: GroundStation, config: KeeperConfig) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let status = Arc::new(ArcSwap::from_pointee(PatrolStatus {
            cue: config.cue,
            ..PatrolStatus::default()
        }));
        let keeper = Keeper {
            station,
            config,
            stop: stop.clone(),
            status: status.clone(),
            plan: None,
            flying: BTreeSet::new(),
            relieving: BTreeSet::new(),
            sensors: Vec::new(),
            planned_with: BTreeSet::new(),
            threatened: Vec::new(),
            refused: BTreeMap::new(),
            last_plan_us: 0,
            cued: BTreeSet::new(),
            moving: BTreeMap::new(),
            released: BTreeSet::new(),
            looking: BTreeMap::new(),
            parted: BTreeMap::new(),
        };
        let thread = std::thread::Builder::new()
            .name("vigil-patrol".into())
            .spawn(move || keeper.run())?;
        Ok(Self {
            stop,
            status,
            thread: Some(thread),
        })
    }

    /// What the keeper is doing now (a copy).
    pub fn status(&self) -> Arc<PatrolStatus> {
        self.watch().status()
    }

    /// A handle that reads the keeper's status (for the console), without owning it.
    pub fn watch(&self) -> PatrolWatch {
        PatrolWatch(self.status.clone())
    }
}

/// Reads a running keeper's status; cheap to clone.
#[derive(Debug, Clone)]
pub struct PatrolWatch(Arc<ArcSwap<PatrolStatus>>);

impl PatrolWatch {
    /// What the keeper is doing now: a lock-free load (the console reads it each frame and
    /// never waits on the keeper).
    pub fn status(&self) -> Arc<PatrolStatus> {
        self.0.load_full()
    }
}

impl Drop for PatrolKeeper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The drones that can patrol and the sensors counted on, as heard.
#[derive(Debug, PartialEq)]
struct Deployment {
    drones: BTreeSet<u8>,
    sensors: Vec<(u8, u8)>,
}

/// The keeper stopped (asked to, or the station went away).
struct Stopped;

/// The keeper's thread and what it remembers between plans.
struct Keeper {
    station: GroundStation,
    config: KeeperConfig,
    stop: Arc<AtomicBool>,
    status: Arc<ArcSwap<PatrolStatus>>,
    /// The plan flown last (none when planning failed).
    plan: Option<PatrolPlan>,
    /// The drones sent on its loops.
    flying: BTreeSet<u8>,
    /// Drones of an earlier plan to send home once every drone of the new one flies its loop.
    relieving: BTreeSet<u8>,
    /// The sensors the plan counted on.
    sensors: Vec<(u8, u8)>,
    /// The drones the plan was made with (a drone left out by the planner is not new).
    planned_with: BTreeSet<u8>,
    /// The places the plan weighed as threatened ([`threatened`]).
    threatened: Vec<SiteId>,
    /// Drones that refused their loop, and when.
    refused: BTreeMap<u8, TimeUs>,
    /// The mission time of the last plan.
    last_plan_us: u64,
    /// The alerts a drone was cued to (each once).
    cued: BTreeSet<u64>,
    /// Drones moved on to another alert whose new dispatch has not shown yet: the alert, when
    /// (mission clock), and the dispatch taken back for it.
    moving: BTreeMap<u8, (u64, TimeUs, u64)>,
    /// The dispatches taken back (asked once; the snapshot shows it a step later).
    released: BTreeSet<u64>,
    /// Dispatches whose movers are lost or alert over, looking on station since when.
    looking: BTreeMap<u64, TimeUs>,
    /// Alerts whose movers parted that another drone was cued to, and when (mission clock).
    parted: BTreeMap<u64, TimeUs>,
}

impl Keeper {
    /// Publishes a changed status: only this thread writes it, readers load it lock-free.
    fn change_status(&self, change: impl FnOnce(&mut PatrolStatus)) {
        let mut status = PatrolStatus::clone(&self.status.load());
        change(&mut status);
        self.status.store(Arc::new(status));
    }

    fn run(mut self) {
        let mut reason = "the patrols start".to_owned();
        loop {
            let flown = match self.wait_until_ready(&reason) {
                Ok(snapshot) => self.fly_plan(&snapshot, &reason),
                Err(Stopped) => return,
            };
            let next = match flown {
                Ok(Some(why)) => Ok(why),
                Ok(None) => self.watch(),
                Err(Stopped) => return,
            };
            match next {
                Ok(why) => reason = why,
                Err(Stopped) => return,
            }
        }
    }

    fn say(&self, time: TimeUs, text: String, journal: bool) {
        if journal {
            // The journal's answer is not awaited: a note that cannot be kept is not a
            // reason to stop patrolling.
            let _ = self.station.add_note(AUTHOR, None, &text);
        }
        self.change_status(|status| status.push(time, text));
    }

    /// The next snapshot after one tick, or `Stopped`.
    fn tick(&self) -> Result<Arc<Snapshot>, Stopped> {
        std::thread::sleep(TICK);
        if self.stop.load(Ordering::SeqCst) {
            return Err(Stopped);
        }
        Ok(self.station.snapshot())
    }

    fn available(&self, snapshot: &Snapshot) -> BTreeSet<u8> {
        let refused_until = |id: &u8| {
            self.refused
                .get(id)
                .is_some_and(|t| mission_time(snapshot).0 < t.0 + REFUSED_FOR_US)
        };
        patrol_input(&snapshot.world, &snapshot.protection, self.config.alt_rel_m)
            .drones
            .iter()
            .map(|d| d.sysid)
            .filter(|id| !refused_until(id))
            .collect()
    }

    /// Waits until a drone can patrol and (before the first plan) the drones and sensors
    /// heard have stayed the same for [`SETTLE_US`]. Meanwhile, once patrols have started,
    /// warnings are cued and cued drones moved on or taken back (every drone may be on an
    /// alert).
    fn wait_until_ready(&mut self, reason: &str) -> Result<Arc<Snapshot>, Stopped> {
        let first = self.last_plan_us == 0;
        // The drones and sensors heard, and since when (mission clock) they have not changed.
        let mut seen: Option<(Deployment, u64)> = None;
        let mut said_none = false;
        loop {
            let snapshot = self.tick()?;
            let drones = self.available(&snapshot);
            if drones.is_empty() {
                if !first {
                    self.cue(&snapshot);
                }
                if !said_none && !first {
                    self.say(
                        mission_time(&snapshot),
                        format!("no drone can patrol ({reason})"),
                        true,
                    );
                    said_none = true;
                }
                seen = None;
                continue;
            }
            if !first {
                return Ok(snapshot);
            }
            let heard = Deployment {
                drones,
                sensors: counted_sensors(&snapshot.world),
            };
            let now = mission_time(&snapshot).0;
            match &seen {
                // (A clock that moved back, as when the mission clock takes over from the
                // receive clock, starts the wait again.)
                Some((before, since)) if *before == heard && now >= *since => {
                    if now.saturating_sub(*since) >= SETTLE_US {
                        return Ok(snapshot);
                    }
                }
                _ => seen = Some((heard, now)),
            }
        }
    }

    /// Plans, uploads each loop and starts each drone on it. `Some(reason)` asks for another
    /// plan at once (a drone refused).
    fn fly_plan(&mut self, snapshot: &Snapshot, reason: &str) -> Result<Option<String>, Stopped> {
        let now = mission_time(snapshot);
        self.last_plan_us = now.0.max(1);
        let available = self.available(snapshot);
        let mut input = patrol_input(&snapshot.world, &snapshot.protection, self.config.alt_rel_m);
        input.drones.retain(|d| available.contains(&d.sysid));
        self.planned_with = available;
        self.threatened = input.threatened.clone();
        self.sensors = counted_sensors(&snapshot.world);
        self.plan = None;
        let plan = match plan(&input) {
            Ok(plan) if !plan.loops.is_empty() => plan,
            Ok(plan) => {
                let why: Vec<String> = plan
                    .left_out
                    .iter()
                    .map(|(id, why)| format!("{}: {why}", snapshot.world.names.drone(*id)))
                    .collect();
                self.say(
                    now,
                    format!("no drone can fly a patrol: {}", why.join("; ")),
                    true,
                );
                return Ok(None);
            }
            Err(err) => {
                self.say(now, format!("no patrol plan: {err}"), true);
                return Ok(None);
            }
        };
        self.change_status(|status| {
            status.plan = Some(plan.clone());
            status.plans += 1;
        });
        for l in &plan.loops {
            let Some(home) = snapshot.world.vehicles.get(&l.sysid).and_then(|v| v.home) else {
                continue;
            };
            let mission = l.mission(vigil_mission::GeoPoint {
                lat_deg: home.lat_deg,
                lon_deg: home.lon_deg,
                alt_m: home.alt_msl_m,
            });
            let answer = self
                .station
                .mission(l.sysid, MissionOp::Upload(mission))
                .map_err(|_| Stopped)?;
            if let Err(err) = self
                .wait(&answer)?
                .and_then(|r| r.map_err(|e| e.to_string()))
            {
                return Ok(Some(self.refuse(snapshot, l.sysid, "its loop", &err)));
            }
        }
        for l in &plan.loops {
            // A drone cued while the loops were uploaded stays on its alert: plan again.
            let fresh = self.station.snapshot();
            let vehicle = fresh.world.vehicles.get(&l.sysid).map(Arc::as_ref);
            if let Some(why) = unavailable(vehicle, &fresh.protection) {
                return Ok(Some(format!("{}: {why}", fresh.world.names.drone(l.sysid))));
            }
            let answer = self
                .station
                .command(l.sysid, Action::FlyMission)
                .map_err(|_| Stopped)?;
            match self.wait(&answer)? {
                Ok(CommandOutcome::Accepted) => {}
                Ok(other) => {
                    return Ok(Some(self.refuse(
                        snapshot,
                        l.sysid,
                        "to fly it",
                        &other.to_string(),
                    )));
                }
                Err(err) => return Ok(Some(self.refuse(snapshot, l.sysid, "to fly it", &err))),
            }
        }
        let new: BTreeSet<u8> = plan.loops.iter().map(|l| l.sysid).collect();
        self.relieving.extend(self.flying.difference(&new).copied());
        self.relieving.retain(|id| !new.contains(id));
        self.flying = new;
        let flying = self.flying.iter().copied().collect();
        self.change_status(|status| status.flying = flying);
        let now = mission_time(&self.station.snapshot());
        self.say(
            now,
            format!(
                "patrols flown ({reason}): {}",
                plan_text(&plan, &snapshot.world)
            ),
            true,
        );
        self.plan = Some(plan);
        Ok(None)
    }

    /// Leaves a drone that refused its loop out for a while; the reason to plan again.
    fn refuse(&mut self, snapshot: &Snapshot, sysid: u8, what: &str, err: &str) -> String {
        self.refused.insert(sysid, mission_time(snapshot));
        let text = format!(
            "{} refused {what}: {err}",
            snapshot.world.names.drone(sysid)
        );
        self.say(mission_time(snapshot), text.clone(), true);
        text
    }

    /// Waits for one answer from the station, checking for a stop; warnings are cued
    /// meanwhile (an upload can take minutes over a slow radio: a cue must not wait for it).
    fn wait<T>(&mut self, answer: &Receiver<T>) -> Result<Result<T, String>, Stopped> {
        let deadline = Instant::now() + TRANSACTION_LIMIT;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Err(Stopped);
            }
            match answer.recv_timeout(TICK) {
                Ok(answer) => return Ok(Ok(answer)),
                Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {
                    let snapshot = self.station.snapshot();
                    self.cue(&snapshot);
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Ok(Err(format!(
                        "no answer within {} s",
                        TRANSACTION_LIMIT.as_secs()
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(Stopped),
            }
        }
    }

    /// Watches the plan flown: moves a hand-over on, and returns why to plan again.
    fn watch(&mut self) -> Result<String, Stopped> {
        loop {
            let snapshot = self.tick()?;
            self.cue(&snapshot);
            self.hand_over(&snapshot);
            if let Some(plan) = &self.plan {
                let stale = stale_reasons(plan, &self.sensors, &snapshot);
                if !stale.is_empty() {
                    return Ok(stale.join("; "));
                }
            }
            let sites = &snapshot.protection.sites;
            let site_name = |id: &SiteId| {
                sites
                    .iter()
                    .find(|s| s.id == *id)
                    .map_or_else(|| format!("site {id}"), |s| s.name.clone())
            };
            let threatened_now = threatened(&snapshot.protection);
            if let Some(site) = threatened_now.iter().find(|s| !self.threatened.contains(s)) {
                return Ok(format!(
                    "an alert about movers is up at {}",
                    site_name(site)
                ));
            }
            let now = mission_time(&snapshot).0;
            if now.saturating_sub(self.last_plan_us) < REGAIN_EVERY_US {
                continue;
            }
            if let Some(site) = self.threatened.iter().find(|s| !threatened_now.contains(s)) {
                return Ok(format!(
                    "no alert about movers is up at {} now",
                    site_name(site)
                ));
            }
            let names = &snapshot.world.names;
            let new_drone = self
                .available(&snapshot)
                .into_iter()
                .find(|id| !self.planned_with.contains(id));
            if let Some(id) = new_drone {
                return Ok(format!("{} can patrol", names.drone(id)));
            }
            let new_sensor = counted_sensors(&snapshot.world)
                .into_iter()
                .find(|key| !self.sensors.contains(key));
            if let Some((sysid, compid)) = new_sensor {
                return Ok(format!("{} is heard", names.sensor(sysid, compid)));
            }
        }
    }

    /// Once every drone of the plan flies its loop (in AUTO), the drones it relieves go home;
    /// a drone sent to an alert or out of reach is left as it is.
    fn hand_over(&mut self, snapshot: &Snapshot) {
        if self.relieving.is_empty() {
            return;
        }
        let taken = self.flying.iter().all(|id| {
            snapshot
                .world
                .vehicles
                .get(id)
                .is_some_and(|v| v.mode.starts_with("AUTO"))
        });
        if !taken {
            return;
        }
        let relieved = std::mem::take(&mut self.relieving);
        let names = &snapshot.world.names;
        for id in relieved {
            let vehicle = snapshot.world.vehicles.get(&id);
            let text = if dispatched(id, &snapshot.protection).is_some() {
                format!(
                    "{} stays on its alert, relieved of its loop",
                    names.drone(id)
                )
            } else if vehicle.is_none_or(|v| v.health == Health::Lost) {
                format!("{} is out of reach, relieved of its loop", names.drone(id))
            } else {
                match self.station.command(id, Action::ReturnToLaunch) {
                    Ok(_) => format!("handed over: {} returns home", names.drone(id)),
                    Err(_) => return,
                }
            };
            self.say(mission_time(snapshot), text, true);
        }
    }
}
