#!/usr/bin/env python3
"""Flies one ArduPilot copter through a mission with MAVProxy, a ground station nobody here wrote.

Why: the simulator (`vigil sim`) should be accepted by MAVProxy as it comes from PyPI, speaking
only the standard MAVLink protocols. pymav_gcs.py does the same flight with pymavlink calls of
our own; here every message is MAVProxy's.

MAVProxy (installed by `tests/tools/setup-venv.sh --with-mavproxy`) runs as a child process,
driven through its command line on stdin, the way a user types; its output is read line by
line and each command waits for what MAVProxy prints back, re-sending it when nothing comes:

  1. `mavproxy.py --master=CONNECT` (MAVProxy's default modules, --no-state unless
     --state-dir); waits for "Detected vehicle", then "Received N parameters";
  2. `watch PARAM_VALUE MISSION_ITEM_REACHED MISSION_REQUEST*` (MAVProxy prints no line of
     its own for MISSION_ITEM_REACHED; `watch` prints each such message as "< MSG {...}");
  3. `param set FS_GCS_ENABLE 0` until the PARAM_VALUE echo shows 0;
  4. `status HOME_POSITION` (or GLOBAL_POSITION_INT) for home; writes a QGC WPL 110 file: 0
     home, 1 NAV_TAKEOFF 20 m, 2-4 NAV_WAYPOINTs 120, 130 and 140 m from home at bearings 30,
     150 and 270 degrees (20 m, relative altitude), 5 NAV_RETURN_TO_LAUNCH;
  5. `mode guided` -> "Got COMMAND_ACK: DO_SET_MODE: ACCEPTED" and "Mode GUIDED";
     `arm throttle` -> COMPONENT_ARM_DISARM ACCEPTED and "ARMED"; `takeoff 20` -> NAV_TAKEOFF
     ACCEPTED; `status GLOBAL_POSITION_INT` each second until relative_alt >= 18 m;
  6. `wp load FILE` -> "Sent all 6 waypoints" and "Got MISSION_ACK: TYPE_MISSION: ACCEPTED"
     (MAVProxy answers MISSION_REQUEST(_INT) only when it is addressed to its own
     --source-system/--source-component: a request addressed elsewhere is named in "error");
  7. `mode auto` -> DO_SET_MODE ACCEPTED and "Mode AUTO"; collects "< MISSION_ITEM_REACHED
     {seq : N}" and MAVProxy's "waypoint N" (MISSION_CURRENT); waits for "DISARMED", then
     `status GLOBAL_POSITION_INT` for the landing: relative_alt < 1 m.

stdout carries exactly one JSON line, at the end, whatever happened (MAVProxy's output goes
to stderr, prefixed "mavproxy| ", with a progress log):
  {"ok": true, "error": null, "reached": [1, 2, 3, 4, 5], "landed": true,
   "mission_current": [0, 1, 2, 3, 4, 5], "acks": {"DO_SET_MODE": "ACCEPTED", ...},
   "mission_ack": "ACCEPTED", "modes": ["STABILIZE", "GUIDED", "AUTO", "RTL"],
   "params": {"FS_GCS_ENABLE": 0.0}, "home": [lat, lon], "final": [lat, lon],
   "final_distance_m": 0.4, "mavproxy": "1.8.75", "source_component": 230, "seconds": 52.1}
Exit status 0 only when "ok": every step succeeded, "reached" holds 1, 2, 3, 4, 5 in order,
the vehicle landed (disarmed, relative_alt < 1 m) within 5 m of home. Otherwise 1, with the
JSON line; 2 for usage errors.

--timeout (wall seconds, default 180) bounds the whole flight, MAVProxy's start included:
at `vigil sim --speed 5` the whole run takes about 42 s, 12 s of it MAVProxy's start (its
MAVFTP parameter download times out before it falls back to PARAM_REQUEST_LIST). SIGTERM or
SIGINT ends it early ("ok": false, the JSON line still comes). MAVProxy is stopped by closing
its stdin (then SIGTERM, then SIGKILL) in every case.

Standard library only: it needs MAVProxy, not pymavlink, in the python that runs it.
"""

import argparse
import json
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# The code the Vigil ground-station scripts share, tests/tools/vigil_pymav.py (found beside
# this script, standard library only); imported without writing a __pycache__.
sys.path.insert(0, str(Path(__file__).resolve().parent))
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from vigil_pymav import DEFAULT_VENV, StepFailed, contains_in_order, distance_m, offset  # noqa: E402

sys.dont_write_bytecode = _dont_write_bytecode

TAKEOFF_ALT_M = 20.0
TAKEOFF_REACHED_M = 18.0
# The mission's triangle: (distance from home m, bearing deg).
TRIANGLE = ((120.0, 30.0), (130.0, 150.0), (140.0, 270.0))
EXPECTED_REACHED = [1, 2, 3, 4, 5]
LANDED_ALT_M = 1.0
HOME_TOLERANCE_M = 5.0
RETRY_S = 3.0       # re-send a command when MAVProxy shows no answer within this long
RETRIES = 4
UPLOAD_WAIT_S = 8.0
PARAM = "FS_GCS_ENABLE"
TAIL_LINES = 40

ACK_RE = re.compile(r"Got COMMAND_ACK: (\w+): (\w+)")
MODE_RE = re.compile(r"(?:^|> )Mode (\w+)")
REACHED_RE = re.compile(r"< MISSION_ITEM_REACHED \{seq : (\d+)")
CURRENT_RE = re.compile(r"(?:^|> )waypoint (\d+)\s*$")
MISSION_ACK_RE = re.compile(r"Got MISSION_ACK: TYPE_MISSION: (\w+)")
REQUEST_RE = re.compile(r"< (MISSION_REQUEST(?:_INT)?) \{target_system : (\d+), "
                        r"target_component : (\d+), seq : (\d+)")
FIELD_RE = re.compile(r"(\w+) : (-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")


def log(text):
    print(f"mavproxy_fly: {text}", file=sys.stderr, flush=True)


def fields(line):
    """The numeric fields of a MAVProxy message line "... NAME {a : 1, b : 2.5, ...}"."""
    return {k: float(v) for k, v in FIELD_RE.findall(line)}


def mission_file(path, home):
    lat, lon, alt_msl = home
    rows = ["QGC WPL 110",
            f"0\t1\t0\t16\t0\t0\t0\t0\t{lat:.7f}\t{lon:.7f}\t{alt_msl:.2f}\t1",
            f"1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t{TAKEOFF_ALT_M:g}\t1"]
    for i, (dist, bearing) in enumerate(TRIANGLE):
        wlat, wlon = offset(lat, lon, dist, bearing)
        rows.append(f"{i + 2}\t0\t3\t16\t0\t0\t0\t0\t{wlat:.7f}\t{wlon:.7f}\t{TAKEOFF_ALT_M:g}\t1")
    rows.append(f"{len(TRIANGLE) + 2}\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1")
    Path(path).write_text("\n".join(rows) + "\n")
    return len(rows) - 1


class Flight:
    def __init__(self, args):
        self.args = args
        self.start = time.monotonic()
        self.deadline = self.start + args.timeout
        self.proc = None
        self.lines = queue.Queue()
        self.tail = []
        self.stopped = None
        self.eof = False
        # The report.
        self.acks = {}
        self.params = {}
        self.mission_ack = None
        self.reached = []
        self.mission_current = []
        self.modes = []
        self.requests_elsewhere = []
        self.armed = None
        self.home = None
        self.final = None
        self.final_rel_alt_m = None
        self.landed = False
        self.version = None

    # -- MAVProxy ---------------------------------------------------------------------------
    def launch(self, state_dir):
        a = self.args
        cmd = [a.mavproxy, f"--master={a.connect}"]
        if a.source_component is not None:
            cmd.append(f"--source-component={a.source_component}")
        cmd += ["--state-basedir", state_dir] if a.state_dir else ["--no-state"]
        env = dict(os.environ, PYTHONUNBUFFERED="1")   # lines as they come, not at exit
        log("starting " + " ".join(cmd))
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, env=env, text=True,
                                         errors="replace", bufsize=1, cwd=state_dir, start_new_session=True)
        except OSError as e:
            raise StepFailed(f"cannot start {a.mavproxy}: {e} (run tests/tools/setup-venv.sh "
                             "--with-mavproxy, or pass --mavproxy)") from e
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()      # MAVProxy ends on EOF of its input
        except OSError:
            pass
        for sig, wait in ((None, 5.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
            if sig is not None:
                try:
                    os.killpg(self.proc.pid, sig)
                except OSError:
                    pass
            try:
                self.proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.drain(0.2)

    def send(self, command):
        log(f"> {command}")
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except OSError as e:
            raise StepFailed(f"MAVProxy's input closed ({e}) sending {command!r}") from e

    def observe(self, line):
        print(f"mavproxy| {line}", file=sys.stderr, flush=True)
        self.tail = (self.tail + [line])[-TAIL_LINES:]
        if m := ACK_RE.search(line):
            self.acks[m.group(1)] = m.group(2)
        if m := MODE_RE.search(line):
            if not self.modes or self.modes[-1] != m.group(1):
                self.modes.append(m.group(1))
        if m := REACHED_RE.search(line):
            self.reached.append(int(m.group(1)))
        if m := CURRENT_RE.search(line):
            seq = int(m.group(1))
            if not self.mission_current or self.mission_current[-1] != seq:
                self.mission_current.append(seq)
        if m := MISSION_ACK_RE.search(line):
            self.mission_ack = m.group(1)
        if m := REQUEST_RE.search(line):
            to = (int(m.group(2)), int(m.group(3)))
            if to != self.me:
                self.requests_elsewhere.append(f"{m.group(1)} seq {m.group(4)} to {to[0]}/{to[1]}")
        if re.search(r"(?:^|> )ARMED\s*$", line):
            self.armed = True
        elif re.search(r"(?:^|> )DISARMED\s*$", line):
            self.armed = False
        if self.version is None and (m := re.search(r"MAVProxy Version: (\S+)", line)):
            self.version = m.group(1)

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                line = self.lines.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                return
            if line is None:
                self.eof = True
                return
            self.observe(line)

    def expect(self, what, pattern, timeout, required=True):
        """Reads MAVProxy's lines until one matches `pattern` (a regex, or a callable that
        returns something not None for a line, or for None every 0.2 s); returns the match.
        None after `timeout` seconds when not required; raises StepFailed when required, at
        the overall deadline, when MAVProxy ended, or on a signal."""
        check = pattern if callable(pattern) else re.compile(pattern).search
        end = min(self.deadline, time.monotonic() + timeout)
        while True:
            if self.stopped:
                raise StepFailed(f"stopped by {self.stopped} while waiting for {what}")
            if self.eof:
                try:
                    status = self.proc.wait(timeout=5.0)
                except subprocess.TimeoutExpired:
                    status = None
                said = next((f": {line.strip()}" for line in reversed(self.tail)
                             if re.search(r"Failed|[Ee]rror", line)), "")
                raise StepFailed(f"MAVProxy exited (status {status}) while waiting for {what}"
                                 f"{said}")
            now = time.monotonic()
            if now >= end:
                if required or now >= self.deadline:
                    raise StepFailed(f"timed out waiting for {what}")
                return None
            try:
                line = self.lines.get(timeout=min(0.2, end - now))
            except queue.Empty:
                line = ""
            if line is None:
                self.eof = True
                continue
            if line:
                self.observe(line)
            result = check(line) if line else (check(None) if callable(pattern) else None)
            if result:
                return result

    def command(self, what, command, pattern, timeout=RETRY_S):
        """Sends `command` until MAVProxy prints a line matching `pattern`."""
        for _ in range(RETRIES):
            self.send(command)
            m = self.expect(what, pattern, timeout, required=False)
            if m:
                return m
        raise StepFailed(f"no {what} after {RETRIES} tries of {command!r}")

    def status(self, message, timeout=RETRY_S):
        """`status MESSAGE`: the fields of the last MESSAGE MAVProxy has, or None."""
        self.send(f"status {message}")
        m = self.expect(f"status {message}", rf"\d+: {message} \{{.*\}}", timeout, required=False)
        return fields(m.group(0)) if m else None

    def acked(self, label, command, what=None, then=None):
        """A command answered by COMMAND_ACK: re-sent until an ACK comes; then, when given,
        waits until then() is true (MAVProxy showed the new mode, ARMED)."""
        self.acks.pop(label, None)
        self.command(f"COMMAND_ACK of {label}",
                     command, lambda _l: True if label in self.acks else None)
        if self.acks[label] != "ACCEPTED":
            raise StepFailed(f"{command!r}: COMMAND_ACK {label} {self.acks[label]}")
        if then:
            self.expect(f"{what} after {command!r}", lambda _l: True if then() else None,
                        RETRY_S * 2)

    def in_mode(self, mode):
        return bool(self.modes) and self.modes[-1] == mode

    # -- the flight -------------------------------------------------------------------------
    def fly(self, workdir):
        a = self.args
        self.launch(workdir)
        m = self.expect("a vehicle (\"Detected vehicle\")", r"Detected vehicle (\d+):(\d+)", 60)
        log(f"vehicle {m.group(1)}:{m.group(2)}")
        self.expect("the parameters (\"Received N parameters\")", r"Received \d+ parameters", 90)
        self.send("watch PARAM_VALUE MISSION_ITEM_REACHED MISSION_REQUEST*")
        self.expect("\"Watching\"", r"Watching \[", RETRY_S)

        param_echo = re.compile(rf"< PARAM_VALUE \{{param_id : {PARAM}, param_value : (-?[\d.]+)")

        def echoed_zero(line):
            echo = param_echo.search(line or "")
            return echo if echo and float(echo.group(1)) == 0.0 else None

        m = self.command(f"PARAM_VALUE {PARAM} 0", f"param set {PARAM} 0", echoed_zero)
        self.params[PARAM] = float(m.group(1))

        # The vehicle sends its position once MAVProxy has asked for its streams, which may
        # come after the parameters on a loaded machine: wait for it a while.
        deadline = time.monotonic() + 30.0
        while True:
            home = self.status("HOME_POSITION")
            gpi = self.status("GLOBAL_POSITION_INT")
            if home and "latitude" in home:
                self.home = (home["latitude"] / 1e7, home["longitude"] / 1e7,
                             home["altitude"] / 1e3)
                break
            if gpi and "lat" in gpi:
                self.home = (gpi["lat"] / 1e7, gpi["lon"] / 1e7, gpi["alt"] / 1e3)
                break
            if time.monotonic() > deadline:
                raise StepFailed("MAVProxy has neither HOME_POSITION nor GLOBAL_POSITION_INT")
            self.expect("a position", lambda _l: None, 1.0, required=False)
        log(f"home {self.home}")
        wp_path = os.path.join(workdir, "mission.txt")
        count = mission_file(wp_path, self.home)

        self.acked("DO_SET_MODE", "mode guided", "\"Mode GUIDED\"",
                   lambda: self.in_mode("GUIDED"))
        self.acked("COMPONENT_ARM_DISARM", "arm throttle", "\"ARMED\"",
                   lambda: self.armed is True)
        self.acked("NAV_TAKEOFF", f"takeoff {TAKEOFF_ALT_M:g}")
        while True:
            gpi = self.status("GLOBAL_POSITION_INT")
            rel = gpi.get("relative_alt", 0.0) / 1e3 if gpi else 0.0
            if rel >= TAKEOFF_REACHED_M:
                log(f"at {rel:.1f} m")
                break
            self.expect(f"relative_alt >= {TAKEOFF_REACHED_M} m", lambda _l: None, 1.0,
                        required=False)

        for _ in range(3):
            self.mission_ack = None
            self.requests_elsewhere.clear()
            self.send(f"wp load {wp_path}")
            done = self.expect("the mission upload", lambda _l: self.mission_ack,
                               UPLOAD_WAIT_S, required=False)
            if done or self.requests_elsewhere:   # misaddressed: another try would be too
                break
        if self.mission_ack is None:
            why = (f": the vehicle sent {', '.join(self.requests_elsewhere[:3])}, but MAVProxy is "
                   f"{self.me[0]}/{self.me[1]} and answers only requests addressed to it"
                   if self.requests_elsewhere else ": no MISSION_REQUEST(_INT) came")
            raise StepFailed(f"wp load: no MISSION_ACK{why}")
        if self.mission_ack != "ACCEPTED":
            raise StepFailed(f"wp load: MISSION_ACK {self.mission_ack}")
        log(f"mission of {count} items uploaded")

        self.reached.clear()
        self.mission_current.clear()
        self.acked("DO_SET_MODE", "mode auto", "\"Mode AUTO\"", lambda: self.in_mode("AUTO"))
        self.armed = True
        self.expect("the vehicle disarmed (\"DISARMED\")",
                    lambda _l: True if self.armed is False else None, self.args.timeout)
        for _ in range(5):
            gpi = self.status("GLOBAL_POSITION_INT")
            if gpi and "relative_alt" in gpi:
                self.final = (gpi["lat"] / 1e7, gpi["lon"] / 1e7)
                self.final_rel_alt_m = gpi["relative_alt"] / 1e3
                if self.final_rel_alt_m < LANDED_ALT_M:
                    self.landed = True
                    break
            self.expect("the landing", lambda _l: None, 1.0, required=False)
        log(f"landed={self.landed} at {self.final}, relative_alt {self.final_rel_alt_m} m")
        self.drain(0.5)     # late MISSION_ITEM_REACHED

    @property
    def me(self):
        return (255, 230 if self.args.source_component is None else self.args.source_component)

    def report(self, error):
        home = [round(self.home[0], 7), round(self.home[1], 7)] if self.home else None
        final = [round(self.final[0], 7), round(self.final[1], 7)] if self.final else None
        final_distance = distance_m(home, final) if home and final else None
        if error is None:
            if not contains_in_order(self.reached, EXPECTED_REACHED):
                error = f"MISSION_ITEM_REACHED {self.reached}, expected {EXPECTED_REACHED} in order"
            elif not self.landed:
                error = f"not landed: relative_alt {self.final_rel_alt_m} m after DISARMED"
            elif final_distance is None or final_distance > HOME_TOLERANCE_M:
                error = f"landed {final_distance} m from home (at most {HOME_TOLERANCE_M} m)"
        return {
            "ok": error is None, "error": error, "reached": self.reached, "landed": self.landed,
            "mission_current": self.mission_current, "acks": self.acks,
            "mission_ack": self.mission_ack, "modes": self.modes, "params": self.params,
            "home": home, "final": final,
            "final_distance_m": None if final_distance is None else round(final_distance, 2),
            "mavproxy": self.version, "source_component": self.me[1],
            "seconds": round(time.monotonic() - self.start, 2),
        }


def mavproxy_version(path):
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"MAVProxy Version: (\S+)", out.stdout + out.stderr)
    return m.group(1) if m else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connect", default="tcp:127.0.0.1:5760",
                        help="MAVProxy's --master, e.g. tcp:127.0.0.1:5760 or udpin:0.0.0.0:14550 "
                             "(default %(default)s)")
    parser.add_argument("--mavproxy", default=str(DEFAULT_VENV / "bin" / "mavproxy.py"),
                        help="the mavproxy.py to run (default: %(default)s)")
    parser.add_argument("--source-component", type=int, default=None,
                        help="MAVProxy's --source-component (default: MAVProxy's own, 230)")
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="wall seconds for the whole flight (default 180)")
    parser.add_argument("--state-dir", default=None,
                        help="keep MAVProxy's state (mav.tlog, mav.parm) and the mission file "
                             "in this folder (default: none kept, MAVProxy runs --no-state)")
    args = parser.parse_args()
    if not args.timeout > 0:
        parser.error("--timeout must be positive")
    if args.source_component is not None and not 0 <= args.source_component <= 255:
        parser.error("--source-component must be 0..255")

    flight = Flight(args)

    def on_signal(signum, _frame):
        flight.stopped = signal.Signals(signum).name

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    error = None
    with tempfile.TemporaryDirectory(prefix="mavproxy_fly.") as tmp:
        workdir = tmp
        if args.state_dir:
            workdir = os.path.abspath(args.state_dir)
            os.makedirs(workdir, exist_ok=True)
        try:
            flight.version = mavproxy_version(args.mavproxy)
            flight.fly(workdir)
        except StepFailed as e:
            error = str(e)
            if flight.tail:
                log("MAVProxy's last lines:\n  " + "\n  ".join(flight.tail[-15:]))
            log(f"failed: {error}")
        finally:
            flight.stop()
    result = flight.report(error)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
