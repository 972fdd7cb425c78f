//! A plan with a mission, a geofence (an inclusion polygon and an exclusion circle) and two
//! rally points goes up with `vigil cmd upload FILE.plan` and comes back identical with
//! `vigil cmd download OUT.plan`: against a real ArduCopter (ArduPilot SITL from
//! `../shared/ardupilot/`, skipped with a message where it is absent) and against Vigil's own
//! simulator (`vigil sim`).
//!
//! Positions are compared to the 1e-7 degree MISSION_ITEM_INT carries; altitudes, radii and
//! params exactly. The rally altitudes are whole metres because ArduPilot stores them so.

#[path = "common/plans.rs"]
mod plans;
#[path = "common/sitl.rs"]
#[allow(dead_code, reason = "only part of the fixture is used here")]
mod sitl;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use plans::{assert_same_plan, item};
use vigil_core::geodesy::Geodetic;
use vigil_mission::{self as mission, Fence, FenceCircle, FencePolygon, GeoPoint, Mission};

/// Runs `vigil ARGS` with HOME and the XDG folders of this test process's own, so that it
/// reads and writes none of the user's keys, sessions or settings.
fn vigil(args: &[&str]) -> Output {
    let home = std::env::temp_dir().join(format!("vigil-test-home-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("VIGIL_SIGNING_KEY")
        .output()
        .expect("vigil runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `vigil cmd` on `link`: `upload FILE`, `download FILE` or `clear`.
fn cmd(link: &str, args: &[&str]) -> Output {
    let mut all = vec!["cmd", "--link", link, "--target", "1", "--wait", "30"];
    all.extend_from_slice(args);
    vigil(&all)
}

/// A patrol around `(lat, lon)`: takeoff, two waypoints, return; a 400 m square inclusion
/// fence, a 25.5 m exclusion circle over a spot 60 m north, and two rally points.
fn patrol(lat: f64, lon: f64, home_alt_m: f64) -> Mission {
    let at = |north_m: f64, east_m: f64| {
        let p = Geodetic::from_deg(lat, lon, 0.0).offset_by_ne_m([north_m, east_m]);
        (p.lat_deg(), p.lon_deg())
    };
    let (a, b) = (at(80.1234567, 20.7654321), at(-40.5, 90.25));
    Mission {
        home: Some(GeoPoint {
            lat_deg: lat,
            lon_deg: lon,
            alt_m: home_alt_m,
        }),
        items: vec![
            item(3, 22, (0.0, 0.0), 20.0),
            item(3, 16, a, 30.0),
            item(3, 16, b, 35.5),
            item(2, 20, (0.0, 0.0), 0.0),
        ],
        fence: Fence {
            polygons: vec![FencePolygon {
                inclusion: true,
                vertices: vec![
                    at(200.0, -200.0),
                    at(200.0, 200.0),
                    at(-200.0, 200.0),
                    at(-200.0, -200.0),
                ],
            }],
            circles: vec![FenceCircle {
                inclusion: false,
                center: at(150.0, -120.0),
                radius_m: 25.5,
            }],
            breach_return: None,
        },
        rally: [(at(120.0, 60.0), 30.0), (at(-90.0, -75.0), 45.0)]
            .into_iter()
            .map(|((lat_deg, lon_deg), alt_m)| GeoPoint {
                lat_deg,
                lon_deg,
                alt_m,
            })
            .collect(),
    }
}

/// Uploads `plan` from a `.plan` file through `link`, retrying while the vehicle is still
/// booting (ArduPilot answers MAV_MISSION_NO_SPACE until its mission storage is ready),
/// downloads it into another `.plan` and compares; then clears and checks all three are gone.
fn round_trip(link: &str, dir: &Path, plan: &Mission) {
    let file = dir.join("patrol.plan");
    mission::save_mission(&file, plan).expect("write the plan");
    let file_text = file.to_str().expect("utf-8");
    let deadline = Instant::now() + Duration::from_secs(60);
    let upload = loop {
        let upload = cmd(link, &["upload", file_text]);
        if upload.status.success() || Instant::now() > deadline {
            break upload;
        }
        eprintln!("upload not yet accepted, retrying: {}", text(&upload));
        std::thread::sleep(Duration::from_secs(2));
    };
    assert!(upload.status.success(), "{}", text(&upload));
    assert!(
        text(&upload).contains(&format!(
            "vehicle 1: uploaded 4 mission items, a fence of 1 polygon (4 vertices) and 1 \
             circle and 2 rally points from {file_text}"
        )),
        "{}",
        text(&upload)
    );

    let out = dir.join("back.plan");
    let download = cmd(link, &["download", out.to_str().expect("utf-8")]);
    assert!(download.status.success(), "{}", text(&download));
    assert!(
        text(&download).contains(
            "vehicle 1: downloaded 4 mission items, a fence of 1 polygon (4 vertices) and 1 \
             circle and 2 rally points into"
        ),
        "{}",
        text(&download)
    );
    let back = mission::load_mission(&out).expect("the downloaded plan reads back");
    assert_same_plan(link, plan, &back);

    // A .waypoints file cannot hold the fence: the download says so and writes nothing.
    let wpl = dir.join("back.waypoints");
    let refused = cmd(link, &["download", wpl.to_str().expect("utf-8")]);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("a .waypoints file holds mission items only"),
        "{}",
        text(&refused)
    );
    assert!(!wpl.exists());

    // A plan without fence or rally points clears the vehicle's (as QGroundControl does).
    let bare = Mission {
        fence: Fence::default(),
        rally: Vec::new(),
        ..plan.clone()
    };
    let bare_file = dir.join("bare.plan");
    mission::save_mission(&bare_file, &bare).expect("write the plan");
    let upload = cmd(link, &["upload", bare_file.to_str().expect("utf-8")]);
    assert!(
        text(&upload).contains("(the vehicle's fence and rally points were cleared)"),
        "{}",
        text(&upload)
    );
    let download = cmd(link, &["download", out.to_str().expect("utf-8")]);
    assert!(download.status.success(), "{}", text(&download));
    let back = mission::load_mission(&out).expect("the downloaded plan reads back");
    assert!(back.fence.is_empty() && back.rally.is_empty(), "{back:#?}");
    assert_eq!(back.items.len(), 4);

    let clear = cmd(link, &["clear"]);
    assert!(clear.status.success(), "{}", text(&clear));
    let download = cmd(link, &["download", out.to_str().expect("utf-8")]);
    assert!(download.status.success(), "{}", text(&download));
    let back = mission::load_mission(&out).expect("the downloaded plan reads back");
    assert!(back.items.is_empty() && back.fence.is_empty() && back.rally.is_empty());
}

#[test]
fn a_plan_with_fence_and_rally_points_round_trips_through_ardupilot_sitl() {
    let Some(sitl) = sitl::Sitl::start(1) else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = patrol(sitl::HOME_LAT, sitl::HOME_LON, sitl::HOME_ALT_MSL);
    let link = sitl.link();
    let result = std::panic::catch_unwind(|| round_trip(&link, dir.path(), &plan));
    if let Err(panic) = result {
        eprintln!("{}", sitl.log_tail());
        std::panic::resume_unwind(panic);
    }
}

/// `vigil sim` on a TCP port of its own, killed on drop.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_plan_with_fence_and_rally_points_round_trips_through_vigils_simulator() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/quiet.toml");
    let _sim = Sim(Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["sim", "--scenario"])
        .arg(&scenario)
        .args(["--link", &format!("tcpin:127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil sim starts"));
    let dir = tempfile::tempdir().expect("tempdir");
    // The quiet scenario's drone starts at the COB Acacia helipad.
    let plan = patrol(8.994213, 31.003092, 398.0);
    round_trip(&format!("tcp:127.0.0.1:{port}"), dir.path(), &plan);
}
