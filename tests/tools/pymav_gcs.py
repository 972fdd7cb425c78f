#!/usr/bin/env python3
"""A ground station written with pymavlink that flies one ArduPilot copter through a mission.

Why: Vigil's simulator should be accepted by a ground station nobody here wrote, speaking
only the standard MAVLink protocols (heartbeat, parameter, command, mission), as MAVProxy or
QGroundControl would. A Rust integration test starts `vigil sim` and runs this against it.

It connects with a pymavlink connection string (--connect tcp:127.0.0.1:5760,
udpin:0.0.0.0:14550, ...) as system --gcs-sysid (255) component --gcs-compid (190,
MAV_COMP_ID_MISSIONPLANNER), sends a GCS HEARTBEAT once a second all along (between waits,
from the one thread that reads), and flies the vehicle --sysid:

  1. waits for the vehicle's HEARTBEAT (autopilot ARDUPILOTMEGA) and asks for its data
     streams (REQUEST_DATA_STREAM ALL at 4 Hz, as MAVProxy does);
  2. reads FS_GCS_ENABLE (PARAM_REQUEST_READ, for its type), sets it to 0 (PARAM_SET) and
     waits for the PARAM_VALUE echo with the new value;
  3. COMMAND_LONG MAV_CMD_DO_SET_MODE GUIDED (custom mode 4), waits for COMMAND_ACK ACCEPTED
     and a HEARTBEAT in GUIDED; MAV_CMD_COMPONENT_ARM_DISARM -> ACCEPTED; MAV_CMD_NAV_TAKEOFF
     to 20 m -> ACCEPTED; waits for GLOBAL_POSITION_INT.relative_alt >= 18 m;
  4. uploads a mission with the mission protocol (MISSION_COUNT, each MISSION_REQUEST_INT or
     MISSION_REQUEST answered with MISSION_ITEM_INT, MISSION_ACK ACCEPTED): 0 home (the
     vehicle's HOME_POSITION, frame GLOBAL), 1 NAV_TAKEOFF 20 m, 2-4 NAV_WAYPOINTs 120, 130
     and 140 m from home at bearings 30, 150 and 270 degrees (a triangle, 20 m, frame
     GLOBAL_RELATIVE_ALT_INT), 5 NAV_RETURN_TO_LAUNCH;
  5. MAV_CMD_DO_SET_MODE AUTO (custom mode 3) -> ACCEPTED and a HEARTBEAT in AUTO; collects
     MISSION_ITEM_REACHED and MISSION_CURRENT; waits for the vehicle on the ground: a
     HEARTBEAT without MAV_MODE_FLAG_SAFETY_ARMED and relative_alt < 1 m.

Commands are re-sent (confirmation 1, 2, ...) when no COMMAND_ACK comes within 1.5 s, the
parameter and mission messages likewise; a COMMAND_ACK IN_PROGRESS waits for the final one.
HOME_POSITION is taken when the vehicle sends it and asked for (MAV_CMD_REQUEST_MESSAGE,
then MAV_CMD_GET_HOME_POSITION) when it has not by the time the mission is built.

stdout carries exactly one JSON line, at the end, whatever happened (pymavlink's own prints
go to stderr, and so does a progress log):
  {"ok": true, "error": null,
   "acks": {"DO_SET_MODE:GUIDED": "ACCEPTED", "COMPONENT_ARM_DISARM": "ACCEPTED",
            "NAV_TAKEOFF": "ACCEPTED", "DO_SET_MODE:AUTO": "ACCEPTED"},
   "params": {"FS_GCS_ENABLE": 0.0}, "mission_ack": "ACCEPTED",
   "reached": [1, 2, 3, 4, 5], "mission_current": [1, 2, 3, 4, 5],
   "modes": ["STABILIZE", "GUIDED", "AUTO", ...], "max_rel_alt_m": 20.0, "landed": true,
   "home": [lat, lon], "final": [lat, lon], "final_distance_m": 0.4,
   "texts": ["Arming motors", ...], "seconds": 41.2}
"acks" values are MAV_RESULT names without the prefix, or "TIMEOUT" (no COMMAND_ACK);
"mission_ack" a MAV_MISSION_RESULT name without the prefix, "TIMEOUT" or null (not tried);
"modes" the custom modes the vehicle's heartbeats showed, in order, repeats dropped;
"mission_current" likewise; "home"/"final" are null when unknown; "error" says which step
failed. Exit status 0 only when "ok": every step succeeded, "reached" holds 1, 2, 3, 4, 5 in
order, the vehicle landed, and "final" is within 5 m of "home". Otherwise 1, with the JSON
line; 1 without it for a bad option value (a message on stderr), 2 for argparse's usage errors.

--timeout (wall seconds, default 120) bounds the whole flight, connecting included; SIGTERM
or SIGINT ends it early (the JSON line still comes, "ok": false).

Needs the venv of tests/tools/setup-venv.sh (the script re-executes itself with that venv's
python when run by another one).
"""

import argparse
import json
import os
import signal
import sys
import time

# The code the Vigil pymavlink tools share, tests/tools/vigil_pymav.py (found beside this
# script); imported without writing a __pycache__ into the source tree.
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from vigil_pymav import (  # noqa: E402
    StepFailed, add_dialect_dir_argument, contains_in_order, distance_m, fail, load_dialect, offset,
)

sys.dont_write_bytecode = _dont_write_bytecode


GUIDED, AUTO = 4, 3
TAKEOFF_ALT_M = 20.0
TAKEOFF_REACHED_M = 18.0
# The mission's triangle: (distance from home m, bearing deg).
TRIANGLE = ((120.0, 30.0), (130.0, 150.0), (140.0, 270.0))
LANDED_ALT_M = 1.0
HOME_TOLERANCE_M = 5.0
EXPECTED_REACHED = [1, 2, 3, 4, 5]
RETRY_S = 1.5           # re-send a command, parameter or mission message after this long
RETRIES = 5
MODE_CONFIRM_S = 5.0    # a heartbeat shows a new mode within this long
HEARTBEAT_PERIOD_S = 1.0
PARAM = "FS_GCS_ENABLE"
MAX_TEXTS = 50


def log(text):
    print(f"pymav_gcs: {text}", file=sys.stderr, flush=True)


def enum_name(v, enum, value, prefix):
    entry = v.enums.get(enum, {}).get(value)
    name = entry.name if entry is not None else str(value)
    return name[len(prefix):] if name.startswith(prefix) else name


class Gcs:
    def __init__(self, args, vigil, mavutil):
        self.args = args
        self.v = vigil
        self.mavutil = mavutil
        self.start = time.monotonic()
        self.deadline = self.start + args.timeout
        self.conn = None
        self.closed = False
        self.stopped = None             # the signal's name once one came
        self.next_heartbeat = 0.0
        self.vehicle_compid = None
        # What the vehicle said.
        self.armed = None
        self.custom_mode = None
        self.heartbeats = 0
        self.rel_alt_m = None
        self.position = None            # (lat, lon) from GLOBAL_POSITION_INT
        self.home = None                # (lat, lon, alt_msl_m) from HOME_POSITION
        # The report.
        self.acks = {}
        self.params = {}
        self.mission_ack = None
        self.reached = []
        self.mission_current = []
        self.modes = []
        self.texts = []
        self.max_rel_alt_m = 0.0
        self.landed = False
        self.home_used = None

    # -- link -----------------------------------------------------------------------------
    def remaining(self):
        return self.deadline - time.monotonic()

    def connect(self):
        args = self.args
        while True:
            try:
                self.conn = self.mavutil.mavlink_connection(
                    args.connect, source_system=args.gcs_sysid, source_component=args.gcs_compid,
                    dialect="vigil", autoreconnect=False, retries=0)  # one try: we retry
                break
            except (OSError, ValueError) as e:
                if isinstance(e, ValueError) or self.remaining() <= 1.0 or self.stopped:
                    raise StepFailed(f"cannot open {args.connect}: {e}") from e
                time.sleep(0.5)
        # mavutil prints on a TCP EOF or reset and tries to reconnect; stop instead.
        self.conn.handle_eof = self._on_closed
        self.conn.handle_disconnect = self._on_closed

    def _on_closed(self):
        self.closed = True

    def tick(self):
        """Sends the GCS heartbeat when it is due."""
        now = time.monotonic()
        if now >= self.next_heartbeat:
            v = self.v
            self.conn.mav.heartbeat_send(v.MAV_TYPE_GCS, v.MAV_AUTOPILOT_INVALID, 0, 0,
                                         v.MAV_STATE_ACTIVE)
            self.next_heartbeat += HEARTBEAT_PERIOD_S
            if self.next_heartbeat <= now:  # fell behind (or the first): no catch-up burst
                self.next_heartbeat = now + HEARTBEAT_PERIOD_S

    def wait(self, what, check, timeout=None, required=True):
        """Reads messages (sending heartbeats) until check(msg) returns something not None;
        check(None) is also asked every 50 ms. Returns that, or None after `timeout`
        seconds when not required; raises StepFailed when required, at the overall deadline,
        on a closed link or a signal."""
        end = self.deadline if timeout is None else min(self.deadline, time.monotonic() + timeout)
        while True:
            if self.stopped:
                raise StepFailed(f"stopped by {self.stopped} while waiting for {what}")
            if self.closed:
                raise StepFailed(f"the link closed while waiting for {what}")
            self.tick()
            now = time.monotonic()
            if now >= end:
                if required or now >= self.deadline:
                    raise StepFailed(f"timed out waiting for {what}")
                return None
            try:
                msg = self.conn.recv_match(blocking=True, timeout=min(0.05, end - now))
            except ConnectionError:
                self.closed = True
                continue
            if msg is not None:
                if msg.get_type() == "BAD_DATA":
                    continue
                self.observe(msg)
            result = check(msg)
            if result is not None:
                return result

    def from_vehicle(self, msg):
        return (msg.get_srcSystem() == self.args.sysid
                and (self.vehicle_compid is None or msg.get_srcComponent() == self.vehicle_compid))

    def to_me(self, msg):
        return getattr(msg, "target_system", 0) in (0, self.args.gcs_sysid) and \
            getattr(msg, "target_component", 0) in (0, self.args.gcs_compid)

    def mode_name(self, custom_mode):
        return self.mavutil.mode_mapping_acm.get(custom_mode, str(custom_mode))

    def observe(self, msg):
        """Keeps what every message says about the vehicle."""
        v = self.v
        kind = msg.get_type()
        if kind == "HEARTBEAT":
            if (msg.get_srcSystem() == self.args.sysid and msg.type != v.MAV_TYPE_GCS
                    and msg.autopilot == v.MAV_AUTOPILOT_ARDUPILOTMEGA):
                if self.vehicle_compid is None:
                    self.vehicle_compid = msg.get_srcComponent()
                if msg.get_srcComponent() != self.vehicle_compid:
                    return
                self.heartbeats += 1
                self.armed = bool(msg.base_mode & v.MAV_MODE_FLAG_SAFETY_ARMED)
                self.custom_mode = msg.custom_mode
                name = self.mode_name(msg.custom_mode)
                if not self.modes or self.modes[-1] != name:
                    self.modes.append(name)
                    log(f"vehicle mode {name}, {'armed' if self.armed else 'disarmed'}")
            return
        if not self.from_vehicle(msg):
            return
        if kind == "GLOBAL_POSITION_INT":
            self.rel_alt_m = msg.relative_alt / 1000.0
            self.max_rel_alt_m = max(self.max_rel_alt_m, self.rel_alt_m)
            self.position = (msg.lat / 1e7, msg.lon / 1e7)
        elif kind == "HOME_POSITION":
            self.home = (msg.latitude / 1e7, msg.longitude / 1e7, msg.altitude / 1000.0)
        elif kind == "MISSION_ITEM_REACHED":
            self.reached.append(msg.seq)
            log(f"MISSION_ITEM_REACHED {msg.seq}")
        elif kind == "MISSION_CURRENT":
            if not self.mission_current or self.mission_current[-1] != msg.seq:
                self.mission_current.append(msg.seq)
        elif kind == "STATUSTEXT":
            text = msg.text.rstrip("\x00") if isinstance(msg.text, str) else str(msg.text)
            log(f"STATUSTEXT {text!r}")
            if len(self.texts) < MAX_TEXTS:
                self.texts.append(text)

    # -- protocols ------------------------------------------------------------------------
    def command(self, label, command, params, required=True):
        """COMMAND_LONG until a final COMMAND_ACK; records and returns the result's name."""
        v = self.v
        params = list(params) + [0.0] * (7 - len(params))

        def ack(msg):
            if (msg is not None and msg.get_type() == "COMMAND_ACK" and self.from_vehicle(msg)
                    and msg.command == command and self.to_me(msg)):
                return msg
            return None

        result = None
        confirmation = 0
        while confirmation < RETRIES and result is None:
            self.conn.mav.command_long_send(self.args.sysid, self.vehicle_compid, command,
                                            confirmation, *params)
            msg = self.wait(f"COMMAND_ACK of {label}", ack, timeout=RETRY_S, required=False)
            confirmation += 1
            while msg is not None and msg.result == v.MAV_RESULT_IN_PROGRESS:
                msg = self.wait(f"the final COMMAND_ACK of {label}", ack)
            if msg is not None:
                result = enum_name(v, "MAV_RESULT", msg.result, "MAV_RESULT_")
        result = result or "TIMEOUT"
        self.acks[label] = result
        log(f"{label} -> {result}")
        if required and result != "ACCEPTED":
            raise StepFailed(f"{label}: {result}")
        return result

    def set_mode(self, label, custom_mode):
        v = self.v
        self.command(label, v.MAV_CMD_DO_SET_MODE,
                     [v.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, custom_mode])
        self.wait(f"a HEARTBEAT in {self.mode_name(custom_mode)}",
                  lambda _msg: True if self.custom_mode == custom_mode else None,
                  timeout=MODE_CONFIRM_S)

    def set_param(self, name, value):
        v = self.v
        pid = name.encode()

        def param_value(msg):
            if (msg is not None and msg.get_type() == "PARAM_VALUE" and self.from_vehicle(msg)
                    and msg.param_id.rstrip("\x00") == name):
                return msg
            return None

        ptype = None
        for _ in range(RETRIES):
            self.conn.mav.param_request_read_send(self.args.sysid, self.vehicle_compid, pid, -1)
            msg = self.wait(f"PARAM_VALUE {name}", param_value, timeout=RETRY_S, required=False)
            if msg is not None:
                ptype = msg.param_type
                log(f"{name} is {msg.param_value} (type {ptype})")
                break
        if ptype is None:
            raise StepFailed(f"no PARAM_VALUE for PARAM_REQUEST_READ {name}")
        for _ in range(RETRIES):
            self.conn.mav.param_set_send(self.args.sysid, self.vehicle_compid, pid, value, ptype)
            msg = self.wait(f"the PARAM_VALUE echo of {name}",
                            lambda m: m if param_value(m) is not None and m.param_value == value
                            else None, timeout=RETRY_S, required=False)
            if msg is not None:
                self.params[name] = msg.param_value
                log(f"{name} set to {msg.param_value}")
                return
        raise StepFailed(f"no PARAM_VALUE echo of PARAM_SET {name}={value}")

    def get_home(self):
        if self.home is None:
            self.wait("HOME_POSITION", lambda _m: self.home, timeout=3.0, required=False)
        v = self.v
        for label, cmd, params in (
                ("REQUEST_MESSAGE:HOME_POSITION", v.MAV_CMD_REQUEST_MESSAGE,
                 [v.MAVLINK_MSG_ID_HOME_POSITION]),
                ("GET_HOME_POSITION", v.MAV_CMD_GET_HOME_POSITION, [])):
            if self.home is not None:
                break
            self.command(label, cmd, params, required=False)
            self.wait("HOME_POSITION", lambda _m: self.home, timeout=3.0, required=False)
        if self.home is None:
            raise StepFailed("the vehicle sent no HOME_POSITION")
        return self.home

    def mission_items(self, home):
        v = self.v
        rel = v.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
        lat, lon, alt_msl = home
        items = [
            (v.MAV_FRAME_GLOBAL, v.MAV_CMD_NAV_WAYPOINT, lat, lon, alt_msl),
            (rel, v.MAV_CMD_NAV_TAKEOFF, 0.0, 0.0, TAKEOFF_ALT_M),
        ]
        for dist, bearing in TRIANGLE:
            wlat, wlon = offset(lat, lon, dist, bearing)
            items.append((rel, v.MAV_CMD_NAV_WAYPOINT, wlat, wlon, TAKEOFF_ALT_M))
        items.append((rel, v.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0.0, 0.0, 0.0))
        return items

    def send_item(self, items, seq):
        frame, command, lat, lon, alt = items[seq]
        self.conn.mav.mission_item_int_send(
            self.args.sysid, self.vehicle_compid, seq, frame, command, 0, 1,
            0.0, 0.0, 0.0, 0.0, int(round(lat * 1e7)), int(round(lon * 1e7)), alt,
            self.v.MAV_MISSION_TYPE_MISSION)

    def upload(self, items):
        v = self.v

        misaddressed = []   # mission messages from the vehicle meant for someone else

        def mission_msg(msg):
            if (msg is not None and self.from_vehicle(msg)
                    and msg.get_type() in ("MISSION_REQUEST_INT", "MISSION_REQUEST",
                                           "MISSION_ACK")
                    and getattr(msg, "mission_type", 0) == v.MAV_MISSION_TYPE_MISSION):
                if self.to_me(msg):
                    return msg
                misaddressed.append(f"{msg.get_type()} to {msg.target_system}/"
                                    f"{msg.target_component}")
            return None

        sent = set()
        last_sent = None
        silences = 0
        self.conn.mav.mission_count_send(self.args.sysid, self.vehicle_compid, len(items),
                                         v.MAV_MISSION_TYPE_MISSION)
        while True:
            msg = self.wait("the mission protocol", mission_msg, timeout=RETRY_S, required=False)
            if msg is None:
                silences += 1
                if silences > RETRIES:
                    self.mission_ack = "TIMEOUT"
                    elsewhere = f" (it sent {misaddressed[-1]}, not to us)" if misaddressed else ""
                    raise StepFailed(f"mission upload: no answer from the vehicle{elsewhere}")
                if last_sent is None:
                    self.conn.mav.mission_count_send(self.args.sysid, self.vehicle_compid,
                                                     len(items), v.MAV_MISSION_TYPE_MISSION)
                else:
                    self.send_item(items, last_sent)
                continue
            silences = 0
            if msg.get_type() == "MISSION_ACK":
                self.mission_ack = enum_name(v, "MAV_MISSION_RESULT", msg.type, "MAV_MISSION_")
                log(f"MISSION_ACK {self.mission_ack} after items {sorted(sent)}")
                if self.mission_ack != "ACCEPTED":
                    raise StepFailed(f"mission upload: MISSION_ACK {self.mission_ack}")
                if sent != set(range(len(items))):
                    raise StepFailed(f"mission upload: ACCEPTED after only items {sorted(sent)}")
                return
            if msg.seq >= len(items):
                raise StepFailed(f"mission upload: {msg.get_type()} for item {msg.seq} "
                                 f"of {len(items)}")
            self.send_item(items, msg.seq)
            sent.add(msg.seq)
            last_sent = msg.seq

    # -- the flight -----------------------------------------------------------------------
    def fly(self):
        v = self.v
        self.connect()
        log(f"connected to {self.args.connect}")
        self.wait(f"a HEARTBEAT from an ArduPilot vehicle, system {self.args.sysid}",
                  lambda _m: True if self.heartbeats else None)
        log(f"vehicle {self.args.sysid}/{self.vehicle_compid}, mode "
            f"{self.mode_name(self.custom_mode)}")
        self.conn.mav.request_data_stream_send(self.args.sysid, self.vehicle_compid,
                                               v.MAV_DATA_STREAM_ALL, 4, 1)

        self.set_param(PARAM, 0.0)

        self.set_mode("DO_SET_MODE:GUIDED", GUIDED)
        self.command("COMPONENT_ARM_DISARM", v.MAV_CMD_COMPONENT_ARM_DISARM, [1])
        self.command("NAV_TAKEOFF", v.MAV_CMD_NAV_TAKEOFF, [0, 0, 0, 0, 0, 0, TAKEOFF_ALT_M])
        self.wait(f"relative_alt >= {TAKEOFF_REACHED_M} m",
                  lambda _m: True if (self.rel_alt_m or 0.0) >= TAKEOFF_REACHED_M else None)
        log(f"at {self.rel_alt_m:.1f} m")

        home = self.get_home()
        self.home_used = home
        self.upload(self.mission_items(home))

        self.reached.clear()
        self.mission_current.clear()
        self.set_mode("DO_SET_MODE:AUTO", AUTO)
        # Only heartbeats from now on count as landed.
        self.armed = None

        def on_ground(_msg):
            if self.armed is False and self.rel_alt_m is not None and self.rel_alt_m < LANDED_ALT_M:
                return True
            return None

        self.wait("the vehicle disarmed on the ground", on_ground)
        self.landed = True
        log(f"landed at {self.position}")
        # Late mission messages (in the same burst as the heartbeat).
        self.wait("late messages", lambda _m: None, timeout=0.3, required=False)

    def report(self, error):
        home = [round(self.home_used[0], 7), round(self.home_used[1], 7)] if self.home_used else \
            ([round(self.home[0], 7), round(self.home[1], 7)] if self.home else None)
        final = [round(self.position[0], 7), round(self.position[1], 7)] if self.position else None
        final_distance = distance_m(home, final) if home and final else None
        if error is None:
            if not contains_in_order(self.reached, EXPECTED_REACHED):
                error = f"MISSION_ITEM_REACHED {self.reached}, expected {EXPECTED_REACHED} in order"
            elif final_distance is None or final_distance > HOME_TOLERANCE_M:
                error = f"landed {final_distance} m from home (at most {HOME_TOLERANCE_M} m)"
        ok = error is None and self.landed and all(r == "ACCEPTED" for k, r in self.acks.items()
                                                   if k.startswith(("DO_SET_MODE", "COMPONENT",
                                                                    "NAV_")))
        return {
            "ok": ok, "error": error, "acks": self.acks, "params": self.params,
            "mission_ack": self.mission_ack, "reached": self.reached,
            "mission_current": self.mission_current, "modes": self.modes,
            "max_rel_alt_m": round(self.max_rel_alt_m, 3), "landed": self.landed,
            "home": home, "final": final,
            "final_distance_m": None if final_distance is None else round(final_distance, 2),
            "texts": self.texts, "seconds": round(time.monotonic() - self.start, 2),
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connect", required=True,
                        help="pymavlink connection string, e.g. tcp:127.0.0.1:5760 or "
                             "udpin:0.0.0.0:14550")
    parser.add_argument("--sysid", type=int, default=1, help="the vehicle's system id (default 1)")
    parser.add_argument("--gcs-sysid", type=int, default=255,
                        help="this ground station's system id (default 255)")
    parser.add_argument("--gcs-compid", type=int, default=190,
                        help="this ground station's component id (default 190)")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="wall seconds for the whole flight (default 120)")
    add_dialect_dir_argument(parser)
    args = parser.parse_args()
    if not 1 <= args.sysid <= 255:
        fail("--sysid must be 1..255")
    if not 1 <= args.gcs_sysid <= 255:
        fail("--gcs-sysid must be 1..255")
    if not 0 <= args.gcs_compid <= 255:
        fail("--gcs-compid must be 0..255")
    if not args.timeout > 0:
        fail("--timeout must be positive")

    vigil, mavutil = load_dialect(args.dialect_dir)  # may re-execute: before the fd shuffle

    # stdout is for the JSON line only; what pymavlink prints goes to stderr.
    sys.stdout.flush()
    json_out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    gcs = Gcs(args, vigil, mavutil)

    def on_signal(signum, _frame):
        gcs.stopped = signal.Signals(signum).name

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    error = None
    try:
        gcs.fly()
    except StepFailed as e:
        error = str(e)
        log(f"failed: {error}")
    result = gcs.report(error)
    json_out.write(json.dumps(result) + "\n")
    json_out.flush()
    if gcs.conn is not None:
        try:
            gcs.conn.close()
        except OSError:
            pass
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
