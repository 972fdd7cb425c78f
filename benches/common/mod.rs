//! What the benchmarks share: the Python venv of the reference tools, and where generated
//! inputs go.

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
