//! What the benchmarks share: the Python venv of the reference tools, where generated inputs
//! go, and generated scenarios of any size.

#![allow(dead_code, reason = "each bench uses a different part")]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Sets up (or checks) the venv with `tests/tools/setup-venv.sh EXTRA...` and returns its
/// python (the last line the script prints). `needed` says what the venv is for, in errors.
pub fn venv_python(repo: &Path, extra: &[&str], needed: &str) -> Result<PathBuf> {
    let script = repo.join("tests/tools/setup-venv.sh");
    let unavailable =
        format!("{needed} (CI installs it; on Debian: apt-get install python3 python3-venv)");
    let output = Command::new("bash")
        .arg(&script)
        .args(extra)
        .output()
        .with_context(|| format!("cannot run {}: {unavailable}", script.display()))?;
    if !output.status.success() {
        bail!(
            "{} {} failed ({}): {unavailable}\n{}",
            script.display(),
            extra.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let python = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| PathBuf::from(l.trim()));
    match python {
        Some(python) if python.exists() => Ok(python),
        _ => bail!("{} printed no python: {unavailable}", script.display()),
    }
}

/// Where generated inputs go: `target/bench/` (or under `CARGO_TARGET_DIR`).
pub fn bench_dir(repo: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_relative() {
                repo.join(dir)
            } else {
                dir
            }
        })
        .unwrap_or_else(|| repo.join("target"))
        .join("bench")
}

/// A scenario text with `drones` drones (alternately multirotor and fixed-wing), `sensors`
/// radar/seismic/PIR nodes and `movers` people walking loops, spread over a 6 km square.
pub fn scenario(drones: u32, sensors: u32, movers: u32) -> String {
    scenario_with(
        "bench",
        drones,
        sensors,
        movers,
        &["multirotor", "fixed_wing"],
    )
}

/// [`scenario`] with a name and the drones' kinds, taken in turn.
pub fn scenario_with(name: &str, drones: u32, sensors: u32, movers: u32, kinds: &[&str]) -> String {
    let mut text = format!("[scenario]\nname = \"{name}\"\nstart_utc = \"2026-03-14T12:00:00Z\"\n");
    let at = |i: u32, n: u32, salt: u32| {
        let k = (i * 7919 + salt * 104_729) % (n.max(1) * 97);
        (
            9.0 + f64::from(k % 97) * 5.5e-4,
            31.0 + f64::from(k / 97 % 97) * 5.5e-4,
        )
    };
    for i in 0..drones {
        let (lat, lon) = at(i, drones, 1);
        let _ = write!(
            text,
            "[[drone]]\nsysid = {}\nkind = \"{}\"\nhome = {{ lat_deg = {lat}, lon_deg = {lon}, alt_msl_m = 400.0 }}\ncamera = {{ hfov_deg = 60.0, vfov_deg = 45.0, pitch_deg = -60.0, range_m = 600.0 }}\n",
            i + 1,
            kinds
                .get(i as usize % kinds.len().max(1))
                .unwrap_or(&"multirotor")
        );
    }
    for i in 0..sensors {
        let (lat, lon) = at(i, sensors, 2);
        let kind = ["radar", "seismic", "pir"][i as usize % 3];
        let _ = write!(
            text,
            "[[sensor]]\nsysid = {}\ncompid = {}\nkind = \"{kind}\"\nposition = {{ lat_deg = {lat}, lon_deg = {lon} }}\nradius_m = 300.0\npd = 0.9\nfalse_alarms_per_hour = 1.0\n",
            100 + i % 150,
            1 + i / 150
        );
    }
    for i in 0..movers {
        let (lat, lon) = at(i, movers, 3);
        let _ = write!(
            text,
            "[[mover]]\nid = \"m{i}\"\nkind = \"person\"\nspeed_mps = 1.3\nloop = true\nroute = [{{ lat_deg = {lat}, lon_deg = {lon} }}, {{ lat_deg = {}, lon_deg = {} }}]\n",
            lat + 0.004,
            lon + 0.003
        );
    }
    text
}
