//! The console in a real window (under Xvfb, when there is one): stopped by SIGTERM, as the
//! system does at shutdown, it closes like a click on the close button would and seals the
//! session, so that `vigil verify` says it is whole. Skipped, with a message, where no
//! virtual X server is installed (`apt-get install xvfb`; `.ci/run` installs it).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A virtual X server on a display of this process's own; it stops when dropped.
struct Xvfb(Child, String);

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM, so that it removes its lock and socket.
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

fn xvfb() -> Option<Xvfb> {
    if !Path::new("/usr/bin/Xvfb").exists() {
        return None;
    }
    // Xvfb picks a free display itself and writes its number on the descriptor given (here
    // its standard output) once it accepts connections.
    let mut child = Command::new("/usr/bin/Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            "1280x800x24",
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let stdout = child.stdout.take()?;
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    match (read, line.trim().parse::<u32>()) {
        (Ok(_), Ok(n)) => Some(Xvfb(child, format!(":{n}"))),
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }
}

#[test]
fn sigterm_closes_the_console_and_seals_the_session() {
    let Some(x) = xvfb() else {
        eprintln!("skipped: no Xvfb to open the console's window in (apt-get install xvfb)");
        return;
    };
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let session = tmp.path().join("session");
    let mut console = common::vigil_command()
        .args(["run", "--no-audio"])
        .arg("--session-dir")
        .arg(&session)
        .arg("--settings")
        .arg(tmp.path().join("console.json"))
        .env("DISPLAY", &x.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vigil run starts");
    let stdout = console.stdout.take().expect("its output");
    let mut lines = BufReader::new(stdout).lines();
    loop {
        match lines.next() {
            Some(Ok(line)) if line.starts_with("recording to") => break,
            Some(Ok(_)) => {}
            _ => {
                let mut why = String::new();
                if let Some(mut err) = console.stderr.take() {
                    use std::io::Read;
                    let _ = err.read_to_string(&mut why);
                }
                panic!("vigil run ended before recording: {why}");
            }
        }
    }
    // Until the demo's first frames are recorded.
    let tlog = session.join(vigil_record::session::TLOG_FILE);
    let started = Instant::now();
    while std::fs::metadata(&tlog).map_or(0, |m| m.len()) == 0 {
        assert!(started.elapsed() < common::TIMEOUT, "nothing recorded");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill")
        .args(["-TERM", &console.id().to_string()])
        .status();
    let started = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = console.try_wait() {
            break status;
        }
        if started.elapsed() > common::TIMEOUT {
            let _ = console.kill();
            panic!("the console did not close on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut err) = console.stderr.take() {
        use std::io::Read;
        let _ = err.read_to_string(&mut stderr);
    }
    assert!(
        status.success(),
        "the console ended with {status}: {stderr}"
    );
    let verify = common::vigil_command()
        .arg("verify")
        .arg(&session)
        .output()
        .expect("vigil verify runs");
    assert_eq!(
        verify.status.code(),
        Some(0),
        "the session is not sealed: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn vigil_alone_opens_the_console_on_the_demo() {
    let Some(x) = xvfb() else {
        eprintln!("skipped: no Xvfb to open the console's window in (apt-get install xvfb)");
        return;
    };
    // A home of its own: the other test's console makes the station's key in the shared one.
    let home = tempfile::tempdir().expect("a temporary folder");
    let mut console = common::vigil_command()
        .env("HOME", home.path())
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("DISPLAY", &x.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil starts");
    let stdout = console.stdout.take().expect("its output");
    let mut said = Vec::new();
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        let recording = line.starts_with("recording to");
        said.push(line);
        if recording {
            break;
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &console.id().to_string()])
        .status();
    let started = Instant::now();
    while console.try_wait().ok().flatten().is_none() {
        if started.elapsed() > common::TIMEOUT {
            let _ = console.kill();
            panic!("the console did not close on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        said.iter()
            .any(|l| l.contains("simulating the scenario \"Night approach\" in-process")),
        "{said:?}"
    );
}
