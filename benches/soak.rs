//! Soak: twelve simulated hours (`--hours N` or `VIGIL_SOAK_HOURS`) of twenty drones, two
//! hundred sensor nodes and two hundred people walking, simulated in-process at full speed and
//! fed over a loopback UDP link through the whole pipeline (link task, ingress, world thread
//! with fusion and tracking, the recorder writing to a counting sink instead of a disk).
//! Every simulated hour it prints the resident memory (`/proc/self/statm`) and what went
//! through; at the end, the growth over the last hours, which must level off. Run with
//! `cargo bench --bench soak` (add `-- --hours 2` for a short run); it never fails on figures.

use std::io::Write;
use std::net::UdpSocket;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod common;

use vigil_core::address::LinkAddress;
use vigil_record::session::recorder::{LogSink, SinkFactory};
use vigil_sim::{RunOptions, Scenario, SimRunner, SimTransport, SimWorld};
use vigil_station::{Folders, Pipeline, PipelineConfig, Snapshot};

const DRONES: u32 = 20;
const SENSORS: u32 = 200;
const MOVERS: u32 = 200;
const DEFAULT_HOURS: u64 = 12;

/// A disk that takes everything and keeps only the count.
#[derive(Clone, Default)]
struct CountingSink(Arc<AtomicU64>);

impl Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogSink for CountingSink {
    fn sync(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn resident_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn hours() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2)
        .find(|w| w[0] == "--hours")
        .and_then(|w| w[1].parse().ok())
        .or_else(|| {
            std::env::var("VIGIL_SOAK_HOURS")
                .ok()
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(DEFAULT_HOURS)
        .max(1)
}

struct Row {
    hour: u64,
    wall_s: f64,
    rss_mib: f64,
    frames: u64,
    lost: u64,
    coalesced: u64,
    recorded: u64,
    tracks: usize,
    notices: usize,
}

fn row(hour: u64, wall_s: f64, snapshot: &Snapshot) -> Row {
    let link = snapshot.links.first();
    Row {
        hour,
        wall_s,
        rss_mib: resident_mib(),
        frames: link.map_or(0, |l| l.stats.frames_rx),
        lost: link.map_or(0, |l| l.stats.senders.values().map(|s| s.lost).sum()),
        coalesced: snapshot.pipeline.coalesced + snapshot.pipeline.dropped,
        recorded: snapshot.recorder.as_ref().map_or(0, |r| r.records),
        tracks: snapshot.tracks.len(),
        notices: snapshot.world.notices.iter().count(),
    }
}

fn main() {
    let hours = hours();
    // The world of the soak: drones in the air over a 6 km square, sensors and walkers.
    let text = common::scenario_with("soak", DRONES, SENSORS, MOVERS, &["multirotor"]);
    let scenario = Scenario::parse(&text, Path::new("soak.toml")).expect("a valid scenario");
    let mut world = SimWorld::from_scenario(&scenario, 7);
    for drone in &mut world.drones {
        drone.vehicle.armed = true;
        drone.vehicle.alt_rel_m = 80.0;
    }
    let start = world.now;

    let written = CountingSink::default();
    let sink = written.clone();
    let session = std::env::temp_dir().join(format!("vigil-soak-{}", std::process::id()));
    let folders = std::env::temp_dir().join(format!("vigil-soak-folders-{}", std::process::id()));
    let pipeline = Pipeline::start(PipelineConfig {
        links: vec![LinkAddress::UdpIn {
            bind: ([127, 0, 0, 1], 0).into(),
        }],
        session_dir: Some(session.clone()),
        recorder_sink: Some(SinkFactory(Arc::new(move |_| {
            Ok(Box::new(sink.clone()) as Box<dyn LogSink>)
        }))),
        // The session's sealing key too stays out of the user's folders.
        ..PipelineConfig::new(Folders::under(&folders))
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let vigil = station
        .wait_for(Duration::from_secs(10), |s| {
            s.links
                .first()
                .is_some_and(|l| l.stats.local_addr.is_some())
        })
        .and_then(|s| s.links[0].stats.local_addr)
        .expect("the link binds");

    let socket = UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
    let runner = SimRunner::start_world(
        world,
        SimTransport::Udp {
            socket,
            peer: Some(vigil),
            learn: false,
        },
        RunOptions {
            speed: 1e9, // as fast as one core simulates
            duration: Some(Duration::from_secs(hours * 3600)),
            ..RunOptions::default()
        },
        None,
    )
    .expect("the simulator starts");

    println!(
        "soak: {hours} simulated hours, {DRONES} drones, {SENSORS} sensors, {MOVERS} people, full speed over UDP through the pipeline"
    );
    println!(
        "{:>5} {:>8} {:>9} {:>11} {:>8} {:>10} {:>11} {:>7} {:>8}",
        "hour", "wall_s", "rss_MiB", "frames", "lost", "coalesced", "recorded", "tracks", "notices"
    );
    let started = Instant::now();
    let mut rows = vec![row(0, 0.0, &station.snapshot())];
    let mut next_hour = 1;
    loop {
        let finished = runner.is_finished();
        let simulated_s = runner.world().now.since(start).as_secs();
        while next_hour <= hours && (simulated_s >= next_hour * 3600 || finished) {
            // Let the pipeline drain what was sent up to now before the figures are read.
            std::thread::sleep(Duration::from_millis(200));
            let r = row(
                next_hour,
                started.elapsed().as_secs_f64(),
                &station.snapshot(),
            );
            println!(
                "{:>5} {:>8.1} {:>9.1} {:>11} {:>8} {:>10} {:>11} {:>7} {:>8}",
                r.hour,
                r.wall_s,
                r.rss_mib,
                r.frames,
                r.lost,
                r.coalesced,
                r.recorded,
                r.tracks,
                r.notices
            );
            rows.push(r);
            next_hour += 1;
        }
        if finished || next_hour > hours {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(runner);
    pipeline.shutdown();
    let _ = std::fs::remove_dir_all(&session);
    let _ = std::fs::remove_dir_all(&folders);

    let last = rows.last().map_or(0.0, |r| r.rss_mib);
    let half = rows.get(rows.len() / 2).map_or(0.0, |r| r.rss_mib);
    let first_hour = rows.get(1).map_or(0.0, |r| r.rss_mib);
    let tail = (rows.len() - 1).min(4);
    let tail_start = rows.get(rows.len() - 1 - tail).map_or(0.0, |r| r.rss_mib);
    println!(
        "resident memory: {:.1} MiB after hour 1, {half:.1} MiB at mid-run, {last:.1} MiB at the end; over the last {tail} hours {:+.1} MiB ({:+.2} MiB/h); tlog bytes written {}",
        first_hour,
        last - tail_start,
        (last - tail_start) / tail.max(1) as f64,
        written.0.load(Ordering::Relaxed)
    );
    println!(
        "{{\"bench\":\"soak\",\"hours\":{hours},\"rss_mib\":[{}],\"wall_s\":{:.0}}}",
        rows.iter()
            .map(|r| format!("{:.1}", r.rss_mib))
            .collect::<Vec<_>>()
            .join(","),
        started.elapsed().as_secs_f64()
    );
}
