//! The report endpoint as `vigil run --reports` starts it, used as the people it is for use
//! it: a villager fills the report page in a real browser (Debian's chromium, without
//! JavaScript, through Selenium), a partner's gateway posts JSON with its token, and
//! strangers without a token, with a wrong one or with an oversized body are refused. The
//! report reaches the session's journal with its channel and a reporter pseudonym; the
//! number typed into the page is nowhere in the session.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use vigil_record::journal::{JOURNAL_FILE, JournalReader, JournalRecord};

const TOKEN: &str = "k7Qm2xPz9aWcRt5u";
const GATEWAY_TOKEN: &str = "sms-gateway-2f8e1c";
const CONTACT: &str = "+211955501234";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv's python with Selenium, or why there is none.
fn python() -> Result<PathBuf, String> {
    for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(tool).exists() {
            return Err(format!(
                "{tool} is missing (apt-get install chromium chromium-driver)"
            ));
        }
    }
    let output = std::process::Command::new(repo().join("tests/tools/setup-venv.sh"))
        .arg("--with-browser")
        .output()
        .map_err(|err| format!("setup-venv.sh: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "setup-venv.sh --with-browser failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(PathBuf::from(
        stdout.lines().last().unwrap_or_default().trim(),
    ))
}

/// Sends a raw HTTP request; the status code and the body.
fn http(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(common::TIMEOUT))
        .expect("a timeout");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post_json(addr: SocketAddr, token: Option<&str>, body: &str) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    http(
        addr,
        &format!(
            "POST /reports HTTP/1.1\r\nHost: station\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    )
}

/// Starts `vigil run` headless on the demo with the report endpoint; the child and the
/// page's address as it printed it.
fn start_station(session: &Path, tokens: &Path) -> (Child, String) {
    let mut child = common::vigil_command()
        .args(["run", "--headless", "--duration", "300", "--no-audio"])
        .arg("--session-dir")
        .arg(session)
        .args(["--reports", "127.0.0.1:0", "--report-tokens"])
        .arg(tokens)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("vigil run starts");
    let stdout = child.stdout.take().expect("its output");
    // Read on to the end, so that `vigil run` never waits on a full pipe.
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::Builder::new()
        .name("test-run-stdout".into())
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("report page for") {
                    let _ = tx.try_send(line);
                }
            }
        })
        .expect("a thread");
    let line = rx
        .recv_timeout(common::TIMEOUT)
        .expect("vigil run prints the report page's link");
    let url = line.split_whitespace().last().expect("a link").to_owned();
    (child, url)
}

/// Stops `vigil run` as systemd or a terminal would (SIGTERM) and waits for it.
fn stop(mut child: Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let started = Instant::now();
    while started.elapsed() < common::TIMEOUT {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "vigil run ended with {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("vigil run did not stop on SIGTERM");
}

#[test]
fn a_villager_reports_from_a_phone_browser_and_strangers_are_refused() {
    let python = match python() {
        Ok(python) => python,
        Err(why) => {
            eprintln!("skipped: no browser to test the report page in: {why}");
            return;
        }
    };
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let tokens = tmp.path().join("tokens.txt");
    std::fs::write(
        &tokens,
        format!(
            "# who may send reports\n{TOKEN} Keradu focal point\n{GATEWAY_TOKEN} SMS gateway\n"
        ),
    )
    .expect("written");
    let session = tmp.path().join("session");
    let (child, url) = start_station(&session, &tokens);
    assert!(url.ends_with(TOKEN), "{url}");
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .and_then(|a| a.parse().ok())
        .expect("the endpoint's address");

    let page = std::process::Command::new(&python)
        .arg(repo().join("tests/tools/report_page.py"))
        .args([&url, CONTACT])
        .output()
        .expect("the browser script runs");
    let said = String::from_utf8_lossy(&page.stdout).to_string();
    assert!(
        page.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&page.stderr)
    );
    assert!(said.contains("Send a report"), "{said}");

    // A gateway with its token; strangers without one or with a wrong one.
    let report = r#"{"time_utc":"2026-03-14T18:30:00Z","lat_deg":9.0084,"lon_deg":31.0157,"category":"shooting","channel":"sms","people":3}"#;
    assert_eq!(post_json(addr, Some(GATEWAY_TOKEN), report).0, 201);
    let (status, body) = post_json(addr, None, report);
    assert_eq!(status, 401, "{body}");
    assert_eq!(post_json(addr, Some("k7Qm2xPz9aWcRt5v"), report).0, 401);
    let wrong_link = format!(
        "GET /r/{} HTTP/1.1\r\nHost: station\r\n\r\n",
        "x".repeat(16)
    );
    assert_eq!(http(addr, &wrong_link).0, 401);
    let big = format!(r#"{{"description":"{}"}}"#, "x".repeat(20_000));
    assert_eq!(post_json(addr, Some(GATEWAY_TOKEN), &big).0, 413);
    let (status, body) = post_json(addr, Some(GATEWAY_TOKEN), r#"{"lat_deg":"north"}"#);
    assert_eq!(status, 400);
    assert!(
        body.contains("lat_deg") || body.contains("time_utc"),
        "{body}"
    );

    stop(child);
    let reports: Vec<_> = JournalReader::open(&session.join(JOURNAL_FILE))
        .expect("the journal")
        .records(None, None, &["report"])
        .expect("it reads")
        .into_iter()
        .filter_map(|(_, r)| match r {
            JournalRecord::Report(r) => Some(r),
            _ => None,
        })
        .collect();
    let from_page = reports
        .iter()
        .find(|r| r.channel == "web (Keradu focal point)")
        .unwrap_or_else(|| panic!("the page's report in {reports:?}"));
    assert_eq!(from_page.category, "armed_men");
    assert_eq!(from_page.people, Some(4));
    assert!(from_page.reporter.starts_with("reporter "));
    assert!(
        reports
            .iter()
            .any(|r| r.channel == "sms (SMS gateway)" && r.category == "shooting")
    );
    let number = CONTACT.trim_start_matches('+');
    for entry in std::fs::read_dir(&session).expect("the session").flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(
            !bytes.windows(number.len()).any(|w| w == number.as_bytes()),
            "the reporter's number is in {}",
            entry.path().display()
        );
    }
}
