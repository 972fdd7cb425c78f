//! Protection of civilians scored against the simulator's ground truth: the demo scenario
//! ("Night approach") runs in process, every message framed, decoded and applied to a World as
//! on a link, fusion makes tracks, and the alert rules run once a second on the messages'
//! clock. Of the armed movers that enter a site's buffer, the share in an intrusion alert
//! (an active alert with a cause track within 100 m of the mover: on that site or another
//! whose buffer holds it, as one track raises one alert) and the delay
//! from entry to that alert; and the false alerts per hour (alerts about movers — tracked, or
//! felt by a ground sensor — raised where no real mover was within 150 m). Then "send a drone" through the real pipeline and the simulator
//! over UDP: the drone takes off, orbits the site and looks at it.

mod common;
#[path = "common/feed.rs"]
mod feed;

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::path::Path;
use std::time::{Duration, Instant};

use feed::Feed;

use vigil_core::geodesy::{Geodetic, distance_m};
use vigil_fusion::Fusion;
use vigil_protection::{
    DispatchTarget, DispatchUpdate, LatLon, Protection, ProtectionRequest, RuleKind,
};
use vigil_sim::{RunOptions, Scenario, SimRunner, SimTransport, SimWorld};
use vigil_station::PipelineConfig;

fn metres(a: LatLon, lat_deg: f64, lon_deg: f64) -> f64 {
    distance_m(
        &Geodetic::from_deg(a.lat_deg, a.lon_deg, 0.0),
        &Geodetic::from_deg(lat_deg, lon_deg, 0.0),
    )
}

/// Ray casting in degrees (the buffers are a few hundred metres: flat enough).
fn inside(ring: &[LatLon], lat_deg: f64, lon_deg: f64) -> bool {
    let mut inside = false;
    let mut j = ring.len().saturating_sub(1);
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[j]);
        if (a.lat_deg > lat_deg) != (b.lat_deg > lat_deg) {
            let lon = a.lon_deg
                + (lat_deg - a.lat_deg) / (b.lat_deg - a.lat_deg) * (b.lon_deg - a.lon_deg);
            if lon_deg < lon {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

#[derive(Debug)]
struct Figures {
    entries: usize,
    /// Entries during which a sensor or a camera held the mover at least once.
    observable: usize,
    alerted: usize,
    delays_s: Vec<f64>,
    mover_alerts: usize,
    false_alerts: usize,
    hours: f64,
    by_rule: BTreeMap<&'static str, usize>,
    /// Track alerts with no armed mover within 150 m when raised, by severity.
    not_armed: BTreeMap<&'static str, usize>,
    /// Entries with an alert about the mover raised before it (within 15 min), and how long
    /// before.
    warned_s: Vec<f64>,
}

impl Figures {
    fn share(&self) -> f64 {
        self.alerted as f64 / self.entries.max(1) as f64
    }

    /// Of the entries that a sensor or camera could see.
    fn observable_share(&self) -> f64 {
        self.alerted as f64 / self.observable.max(1) as f64
    }

    fn median_delay_s(&self) -> f64 {
        let mut d = self.delays_s.clone();
        d.sort_by(f64::total_cmp);
        d.get(d.len() / 2).copied().unwrap_or(f64::NAN)
    }

    fn false_per_hour(&self) -> f64 {
        self.false_alerts as f64 / self.hours
    }
}

/// Runs a scenario for `seconds` and scores the alerts.
fn score(name: &str, seed: u64, seconds: u32) -> Figures {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/scenarios")
        .join(name);
    let scenario = Scenario::load(&path).expect("a valid scenario");
    let mut sim = SimWorld::from_scenario(&scenario, seed);
    let mut feed = Feed::default();
    let mut fusion = Fusion::default();
    let mut protection = Protection::demo();
    let sites = protection.view().sites.clone();
    // (mover, site) -> entry time (s) while inside; finished entries with their delay.
    let mut inside_since: BTreeMap<(String, usize), u32> = BTreeMap::new();
    let mut pending: BTreeMap<(String, usize), u32> = BTreeMap::new();
    let mut was_outside: std::collections::BTreeSet<(String, usize)> = Default::default();
    // Entries during which a sensor or camera held the mover (before it was alerted).
    let mut seen: std::collections::BTreeSet<(String, usize)> = Default::default();
    let mut figures = Figures {
        entries: 0,
        observable: 0,
        alerted: 0,
        delays_s: Vec::new(),
        mover_alerts: 0,
        false_alerts: 0,
        hours: f64::from(seconds) / 3600.0,
        by_rule: BTreeMap::new(),
        not_armed: BTreeMap::new(),
        warned_s: Vec::new(),
    };
    // Per armed mover: the seconds at which a track alert near it was raised.
    let mut alerted_near: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut last_dispatch: Option<u32> = None;
    let mut dispatch_replies = Vec::new();
    let started = Instant::now();
    for step in 1..=seconds * 10 {
        for detection in feed.step(&mut sim) {
            let _ = fusion.add(&detection, Instant::now());
        }
        if step % 10 != 0 {
            continue;
        }
        let second = step / 10;
        fusion.tick(sim.now);
        let raised = protection.step(&feed.world, &fusion.confirmed, sim.now);
        // The operator sends a drone to each new tripwire or gathering alert (civilians live
        // in the buffers: an intrusion alone is not worth a drone), at most one every 2
        // minutes (the dispatcher re-tasks the same drone when it is the only one that flies).
        for id in &raised {
            let Some(alert) = protection.book().get(*id) else {
                continue;
            };
            let threat = matches!(alert.rule, RuleKind::Tripwire | RuleKind::Gathering);
            if !threat || last_dispatch.is_some_and(|at| second < at + 120) {
                continue;
            }
            last_dispatch = Some(second);
            let (reply, updates) = crossbeam_channel::bounded(16);
            protection.request(
                ProtectionRequest::SendDrone {
                    target: DispatchTarget::Alert(*id),
                    by: "operator".into(),
                    drone: None,
                    reply,
                },
                &feed.world,
                sim.now,
            );
            dispatch_replies.push(updates);
        }
        for request in protection.pump(&feed.world, sim.now) {
            feed.engine
                .request(request, &feed.world, sim.now, &mut feed.out);
        }
        let truth = sim.truth();
        let view = protection.view();
        for id in &raised {
            let Some(alert) = view.alerts.iter().find(|a| a.id == *id) else {
                continue;
            };
            if alert.recurrences > 0 {
                continue;
            }
            *figures.by_rule.entry(alert.rule.label()).or_default() += 1;
            if !alert.rule.is_about_movers() {
                continue;
            }
            figures.mover_alerts += 1;
            let near_mover = truth
                .iter()
                .any(|row| metres(alert.position, row.lat_deg, row.lon_deg) <= 150.0);
            if !near_mover {
                figures.false_alerts += 1;
                println!("false alert at {second} s: {}", alert.text);
            }
            let armed: Vec<&str> = truth
                .iter()
                .filter(|row| {
                    row.armed && metres(alert.position, row.lat_deg, row.lon_deg) <= 150.0
                })
                .map(|row| row.id.as_str())
                .collect();
            if armed.is_empty() {
                *figures.not_armed.entry(alert.severity.label()).or_default() += 1;
                println!(
                    "not about an armed mover at {second} s ({} {}): {}",
                    alert.severity.label(),
                    alert.rule.label(),
                    alert.text
                );
            }
            for id in armed {
                alerted_near.entry(id.to_owned()).or_default().push(second);
            }
        }
        // Entries of armed movers into buffers, and whether an intrusion alert holds them.
        for row in truth.iter().filter(|r| r.armed) {
            for (index, site) in sites.iter().enumerate() {
                let key = (row.id.clone(), index);
                let is_inside = site
                    .buffer
                    .iter()
                    .any(|ring| inside(ring, row.lat_deg, row.lon_deg));
                if !is_inside {
                    inside_since.remove(&key);
                    was_outside.insert(key);
                    continue;
                }
                if !inside_since.contains_key(&key) {
                    inside_since.insert(key.clone(), second);
                    // Entering: outside a second ago (not a mover that appeared inside).
                    if was_outside.contains(&key) {
                        pending.insert(key.clone(), second);
                        figures.entries += 1;
                        let earliest = alerted_near
                            .get(&row.id)
                            .and_then(|s| s.iter().find(|at| **at + 900 >= second).copied());
                        if let Some(at) = earliest {
                            figures.warned_s.push(f64::from(second - at));
                        }
                    }
                }
                let Some(entered) = pending.get(&key).copied() else {
                    continue;
                };
                if row.covered {
                    seen.insert(key.clone());
                }
                // One alert per event: the intrusion may be on another site whose buffer
                // holds the mover too (the one it is deepest in).
                let held = view.alerts.iter().any(|a| {
                    a.rule == RuleKind::BufferIntrusion
                        && a.active
                        && a.last_seen == sim.now
                        && a.cause.tracks.iter().any(|id| {
                            fusion.confirmed.iter().any(|t| {
                                t.id == *id
                                    && metres(
                                        LatLon {
                                            lat_deg: t.lat_deg,
                                            lon_deg: t.lon_deg,
                                        },
                                        row.lat_deg,
                                        row.lon_deg,
                                    ) <= 100.0
                            })
                        })
                });
                if held {
                    println!(
                        "alerted: {} entering {} at {entered} s after {} s",
                        row.id,
                        sites[index].name,
                        second - entered
                    );
                    pending.remove(&key);
                    figures.alerted += 1;
                    figures.delays_s.push(f64::from(second - entered));
                }
            }
        }
    }
    let dispatches: Vec<DispatchUpdate> = dispatch_replies
        .iter()
        .flat_map(|r| r.try_iter().collect::<Vec<_>>())
        .filter(|u| matches!(u, DispatchUpdate::Done(_)))
        .collect();
    println!("dispatches: {dispatches:?}");
    for record in protection.view().dispatches.iter() {
        println!(
            "dispatch {} at {:.0} s: drone {} to alert {:?} at {:.6},{:.6}: {:?} {:?}",
            record.id,
            record.at.since(scenario.start_time()).as_secs_f64(),
            record.drone,
            record.alert,
            record.target.lat_deg,
            record.target.lon_deg,
            record.state,
            record.failure
        );
    }
    for ((mover, site), entered) in &pending {
        let held = seen.contains(&(mover.clone(), *site));
        println!(
            "not alerted: {mover} entering {} at {entered} s ({})",
            sites[*site].name,
            if held {
                "held by a sensor or camera"
            } else {
                "never held by a sensor or camera"
            }
        );
    }
    figures.observable = figures.entries - pending.keys().filter(|k| !seen.contains(*k)).count();
    println!(
        "{name}: {} of {} entries warned before (by {:?} s); alerts about movers not about an armed mover by severity: {:?}",
        figures.warned_s.len(),
        figures.entries,
        figures.warned_s,
        figures.not_armed
    );
    println!(
        "{name} seed {seed}, {seconds} s simulated in {:.1} s: {} armed entries into buffers, {} observable, {} alerted ({:.0}% of all, {:.0}% of observable), median delay {:.0} s; {} alerts about movers, {} false ({:.1} per hour); alerts by rule {:?}",
        started.elapsed().as_secs_f64(),
        figures.entries,
        figures.observable,
        figures.alerted,
        figures.share() * 100.0,
        figures.observable_share() * 100.0,
        figures.median_delay_s(),
        figures.mover_alerts,
        figures.false_alerts,
        figures.false_per_hour(),
        figures.by_rule
    );
    figures
}

#[test]
fn armed_movers_entering_buffers_are_alerted_in_the_demo() {
    // Measured (seed 7): 40 entries of armed movers into buffers, all while a camera or
    // sensor held the mover, all alerted, median delay 0 s; 36 warned before entry (an alert
    // about the same mover in the 15 minutes before, by 30 s to 11 minutes); 20 track alerts
    // in the hour (6 approaches, 4 intrusions, 4 gatherings, 3 night activity, 2 movement at a
    // sensor, a tripwire), every one about an armed mover. The first version's rules on the
    // same run (an earlier measure): 24 alerted, median
    // delay 199 s, 48 track alerts (buffer intrusions for villagers and camp residents in
    // their own place, one per site in range).
    let seed = std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let figures = score("demo.toml", seed, 3600);
    let mut delays = figures.delays_s.clone();
    delays.sort_by(f64::total_cmp);
    println!("delays (s): {delays:?}");
    assert!(figures.entries >= 30, "{figures:?}");
    assert!(figures.observable_share() >= 0.75, "{figures:?}");
    assert!(figures.share() >= 0.5, "{figures:?}");
    assert!(figures.median_delay_s() <= 30.0, "{figures:?}");
    assert!(figures.warned_s.len() * 2 >= figures.entries, "{figures:?}");
    // Residents going about their lives raise nothing; every track alert is about a threat.
    assert!(
        figures.not_armed.values().sum::<usize>() <= 1,
        "{figures:?}"
    );
    assert!(!figures.not_armed.contains_key("CRITICAL"), "{figures:?}");
    assert!(
        delays.iter().filter(|d| **d <= 30.0).count() >= 10,
        "entries alerted within 30 s: {delays:?}"
    );
    assert!(figures.false_per_hour() <= 2.0, "{figures:?}");
    assert!(
        figures.by_rule.get("tripwire").is_some_and(|n| *n >= 1),
        "{figures:?}"
    );
    assert!(
        figures.by_rule.get("gathering").is_some_and(|n| *n >= 1),
        "{figures:?}"
    );
}

/// The scenarios beside the demo (`assets/scenarios/`), each with its own armed movers and
/// civilians: residents going about their lives raise no critical alert, and every track
/// alert is about an armed mover (at most one per scenario that is not).
///
/// Measured: "Pincer" 30 entries, all alerted, median 6 s, 24 warned before; "Heron only"
/// 40 entries, 12 alerted (no copter to send); "Dark sensor" 24 entries, none alerted: with
/// the east radar failed, nothing but a drone could see the group (its fault is alerted),
/// but the seismic tripwire feels it: movement at a sensor, every entry warned before (by
/// 4-15 minutes), no false alert.
#[test]
fn the_other_scenarios_alert_on_threats_and_not_on_residents() {
    for (name, seed, seconds, min_alerted) in [
        ("pincer.toml", 13, 1800, 20),
        ("heron_only.toml", 7, 3600, 6),
        ("dark_sensor.toml", 21, 1800, 0),
    ] {
        let figures = score(name, seed, seconds);
        assert!(figures.entries >= 4, "{name}: {figures:?}");
        assert!(figures.alerted >= min_alerted, "{name}: {figures:?}");
        assert!(
            !figures.not_armed.contains_key("CRITICAL"),
            "{name}: {figures:?}"
        );
        assert!(
            figures.not_armed.values().sum::<usize>() <= 1,
            "{name}: {figures:?}"
        );
        if name == "dark_sensor.toml" {
            assert!(figures.by_rule.contains_key("sensor"), "{figures:?}");
            assert!(
                figures.by_rule.contains_key("movement at a sensor")
                    && !figures.warned_s.is_empty(),
                "{figures:?}"
            );
        }
    }
}

#[test]
fn the_quiet_morning_raises_no_false_alerts() {
    // Measured: no armed mover, no false track alert in 900 s.
    let figures = score("quiet.toml", 3, 900);
    assert_eq!(figures.entries, 0, "{figures:?}");
    assert!(figures.false_alerts <= 1, "{figures:?}");
    assert!(
        figures.not_armed.values().sum::<usize>() <= 1,
        "{figures:?}"
    );
}

#[test]
fn send_a_drone_takes_off_orbits_the_site_and_looks_at_it() {
    // A lower, tighter orbit than the default rules' (a shorter climb for the test), from a
    // rules file as the command line would give it.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[dispatch]\nalt_rel_m = 50.0\norbit_radius_m = 100.0\n",
    )
    .expect("written");
    let pipeline = vigil_station::Pipeline::start(PipelineConfig {
        links: vec![common::link("udpin:127.0.0.1:0")],
        demo_sites: true,
        rules: Some(rules),
        ..PipelineConfig::new(common::test_folders())
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let vigil_addr = common::bound_addr(&station, 0);
    let scenario = Scenario::demo();
    // Four simulated seconds a second (the ground station's heartbeat, once a wall-clock
    // second, must come within the simulated drone's 5 s failsafe), no radio effects.
    let sim = SimRunner::start_world(
        SimWorld::from_scenario(&scenario, 7),
        SimTransport::Udp {
            socket: UdpSocket::bind("127.0.0.1:0").expect("a port"),
            peer: Some(vigil_addr),
            learn: false,
        },
        RunOptions {
            speed: 4.0,
            ..RunOptions::default()
        },
        None,
    )
    .expect("the simulator starts");
    // As an operator would, wait until both drones are ready to fly (their pre-arm checks
    // pass: the simulated EKF and GPS take a few seconds after boot, as ArduPilot's do).
    let snapshot = common::wait(&station, "both drones ready, with a battery level", |s| {
        [1, 2].iter().all(|id| {
            s.world.vehicles.get(id).is_some_and(|v| {
                v.battery.remaining_pct.is_some()
                    && v.position.is_some()
                    && v.prearm_ok == Some(true)
            })
        })
    });
    let camp = snapshot
        .protection
        .sites
        .iter()
        .find(|s| s.name == "Ambaro displacement camp")
        .expect("the demo sites")
        .clone();
    let updates = station
        .send_drone(DispatchTarget::Site(camp.id), "test operator")
        .expect("sent");
    let mut steps = Vec::new();
    let mut en_route_at_m = None;
    let asked = Instant::now();
    let done = loop {
        let update = updates
            .recv_timeout(common::TIMEOUT * 3)
            .expect("an update");
        println!("{:.1} s: {update:?}", asked.elapsed().as_secs_f64());
        match update {
            DispatchUpdate::Chosen {
                drone, takes_off, ..
            } => {
                // Kite 1, the copter on the helipad; Heron 2 (a plane) needs a runway take-off.
                assert_eq!((drone, takes_off), (1, true));
            }
            DispatchUpdate::Step { action, outcome } => steps.push((action, outcome)),
            DispatchUpdate::EnRoute { distance_m } => en_route_at_m = Some(distance_m),
            DispatchUpdate::Done(result) => break result,
        }
    };
    println!("steps: {steps:?}");
    assert_eq!(done, Ok(1), "{steps:?}");
    // "On station" is said when the drone is there, not when the commands are taken: it set
    // off from the helipad, hundreds of metres away, and is now within its orbit.
    assert!(
        en_route_at_m.is_some_and(|d| d > 300.0),
        "en route from {en_route_at_m:?} m"
    );
    let arrived_m = station
        .snapshot()
        .world
        .vehicles
        .get(&1)
        .and_then(|v| v.position)
        .map(|p| metres(camp.centre, p.lat_deg, p.lon_deg))
        .expect("a position");
    assert!(
        arrived_m < 100.0 + 60.0,
        "on station {arrived_m:.0} m from the camp"
    );
    assert_eq!(
        steps.len(),
        5,
        "mode, arm, take-off, orbit, camera: {steps:?}"
    );
    assert!(
        steps
            .iter()
            .all(|(_, outcome)| *outcome == vigil_world::command::CommandOutcome::Accepted)
    );
    // It flies there and circles at the orbit's radius around the camp.
    let radius_m = 100.0;
    let distance = |s: &vigil_station::Snapshot| {
        s.world
            .vehicles
            .get(&1)
            .and_then(|v| v.position)
            .map(|p| metres(camp.centre, p.lat_deg, p.lon_deg))
    };
    let started = Instant::now();
    let mut on_circle = 0;
    while on_circle < 20 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "drone 1 did not settle on the orbit: {:?} m from the camp",
            distance(&station.snapshot())
        );
        let d = distance(&station.snapshot()).unwrap_or(f64::INFINITY);
        on_circle = if (d - radius_m).abs() < 40.0 {
            on_circle + 1
        } else {
            0
        };
        std::thread::sleep(Duration::from_millis(100));
    }
    // Its camera looks at the camp, and the coverage shows the camp's middle observed (the
    // camp itself; its ways in, 800 m out, are another matter).
    let centre_age_s = |s: &vigil_station::Snapshot| {
        let p = &s.protection;
        let c = &p.coverage;
        (0..c.rows)
            .flat_map(|row| (0..c.cols).map(move |col| (col, row)))
            .find(|&(col, row)| {
                p.cell_corners(col, row).is_some_and(|[sw, ne]| {
                    (sw.lat_deg..ne.lat_deg).contains(&camp.centre.lat_deg)
                        && (sw.lon_deg..ne.lon_deg).contains(&camp.centre.lon_deg)
                })
            })
            .and_then(|(col, row)| c.age_s(col, row, p.time))
    };
    let snapshot = common::wait(&station, "the camera on the camp", |s| {
        s.world.vehicles.get(&1).is_some_and(|v| {
            vigil_world::footprint::camera_footprint(v, 1000.0)
                .is_some_and(|f| f.contains(camp.centre.lat_deg, camp.centre.lon_deg))
        }) && centre_age_s(s).is_some_and(|age| age < 5.0)
    });
    let record = snapshot.protection.dispatches.last().expect("a dispatch");
    assert_eq!(record.drone, 1);
    assert_eq!(record.state, vigil_protection::DispatchState::Orbiting);
    assert_eq!(record.by, "test operator");
    sim.stop();
    pipeline.shutdown();
}

/// Sends one HTTP request and returns the status code and body.
fn http(addr: std::net::SocketAddr, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(common::TIMEOUT))
        .expect("a timeout");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post(addr: std::net::SocketAddr, body: &str) -> (u16, String) {
    http(
        addr,
        &format!(
            "POST /reports HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

#[test]
fn community_reports_arrive_over_local_http_unverified_until_verified() {
    let pipeline = vigil_station::Pipeline::start(PipelineConfig {
        demo_sites: true,
        ..PipelineConfig::new(common::test_folders())
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let server = vigil_station::reports_http::ReportServer::start(
        "127.0.0.1:0".parse().expect("an address"),
        station.clone(),
    )
    .expect("the endpoint starts");
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback());
    let (status, body) = post(
        addr,
        r#"{"time_utc":"2026-03-14T18:30:00Z","lat_deg":9.0084,"lon_deg":31.0157,"category":"armed_men","description":"a dozen men with rifles by the well","reporter":"Amina","channel":"sms","people":12}"#,
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(body, r#"{"id":1}"#);
    let (status, body) = post(
        addr,
        r#"{"time_utc":"2026-03-14T18:30:00Z","lat_deg":91.0,"lon_deg":31.0157,"category":"shooting"}"#,
    );
    assert_eq!(status, 400);
    assert!(body.contains("lat_deg"), "{body}");
    let (status, _) = post(addr, r#"{"time":"now"}"#);
    assert_eq!(status, 400);
    let big = format!(
        r#"{{"description":"{}"}}"#,
        "x".repeat(vigil_station::reports_http::MAX_BODY_BYTES)
    );
    assert_eq!(post(addr, &big).0, 413);
    assert_eq!(http(addr, "GET /reports HTTP/1.1\r\n\r\n").0, 405);
    assert_eq!(http(addr, "POST /other HTTP/1.1\r\n\r\n").0, 404);

    let snapshot = common::wait(&station, "the report in the snapshot", |s| {
        !s.protection.reports.is_empty()
    });
    let report = &snapshot.protection.reports[0];
    assert_eq!(
        report.verification,
        vigil_protection::Verification::Unverified
    );
    assert_eq!(report.report.people, Some(12));
    assert!(report.report.origin.starts_with("http:127.0.0.1:"));
    station
        .verify_report(
            report.id,
            "ops-1",
            vigil_protection::Verdict::Verified,
            "called back",
        )
        .expect("sent")
        .recv_timeout(common::TIMEOUT)
        .expect("an answer")
        .expect("verified");
    let snapshot = common::wait(&station, "the report verified", |s| {
        matches!(
            s.protection.reports[0].verification,
            vigil_protection::Verification::Verified { ref by, .. } if by == "ops-1"
        )
    });
    // The reporter's name is not in the view at all: a pseudonym stands for it.
    let kept = &snapshot.protection.reports[0];
    assert_eq!(kept.report.reporter, "");
    assert!(
        kept.reporter_ref.starts_with("reporter "),
        "{}",
        kept.reporter_ref
    );
    // Redacted for the public, the pseudonym and who verified are gone, the place kept.
    let public = vigil_protection::redact::report(
        &snapshot.protection.reports[0],
        vigil_protection::RedactionLevel::Public,
    );
    assert_eq!(public.reporter_ref, vigil_protection::redact::REDACTED);
    assert_eq!(public.report.position, report.report.position);
    server.stop();
    pipeline.shutdown();
}
