#!/usr/bin/env python3
"""A fake ArduCopter for Vigil's integration tests, written with pymavlink.

Why: Vigil's Rust MAVLink stack should interoperate with an independent implementation,
not only with itself; pymavlink (MAVProxy's library) plays the vehicle here.

It connects with a pymavlink connection string (--connect udpout:127.0.0.1:14550,
tcp:127.0.0.1:5760, udpin:0.0.0.0:14551, ...) as sysid/compid --sysid/--compid and sends,
at --rate Hz: GLOBAL_POSITION_INT, ATTITUDE, SYS_STATUS, GPS_RAW_INT and VFR_HUD, and once a
second HEARTBEAT, STATUSTEXT "Vigil peer ready" (severity INFO) and VIGIL_DETECTION. The
values are fixed, so a test can check them:

  HEARTBEAT            MAV_TYPE_QUADROTOR, MAV_AUTOPILOT_ARDUPILOTMEGA, base_mode
                       CUSTOM_MODE_ENABLED (| SAFETY_ARMED when armed), custom_mode 4 (GUIDED)
                       until changed, system_status ACTIVE, disarmed at start
  GLOBAL_POSITION_INT  lat/lon --lat/--lon (degE7), alt --alt m AMSL and relative_alt
                       --relative-alt m (mm), vx 150, vy -50, vz 0 cm/s, hdg 9000 cdeg
  ATTITUDE             roll 0.1, pitch -0.05, yaw 1.5708 rad, rates 0
  SYS_STATUS           voltage_battery 15800 mV, current_battery 1230 cA, battery_remaining 76,
                       load 250
  GPS_RAW_INT          fix_type 3, satellites_visible 14, same lat/lon/alt, eph 80, epv 120,
                       vel 158 cm/s, cog 34157 cdeg (the direction of vx, vy)
  VFR_HUD              airspeed 1.58, groundspeed 1.58 m/s, heading 90, throttle 45, alt --alt,
                       climb 0
  VIGIL_DETECTION      sensor_kind CAMERA (5), measurement_kind POSITION (3), zone_id 0,
                       lat/lon 0.0001 deg north-east of the vehicle, horiz_std_m 4.5,
                       confidence 80, class_hint PERSON (1), count 2, range/bearing NaN,
                       detection_id 0, 1, 2, ...
                       (not sent with --mavlink1: MAVLink 1 cannot carry ids above 255)

It answers COMMAND_LONG (and COMMAND_INT) addressed to it (target_system 0 or --sysid,
target_component 0 or --compid) with COMMAND_ACK: MAV_CMD_COMPONENT_ARM_DISARM -> ACCEPTED
(param1 1 arms, 0 disarms); MAV_CMD_NAV_TAKEOFF -> ACCEPTED when armed, else DENIED;
MAV_CMD_DO_SET_MODE -> ACCEPTED, custom_mode = param2 (DENIED if param2 is not a mode
number); anything else -> UNSUPPORTED.

stdout carries exactly two JSON lines (whatever pymavlink prints goes to stderr): at the
start, once connected,
  {"sysid": 1, "lat_deg": 12.34, "lon_deg": 56.78, "relative_alt_m": 20.0,
   "battery_pct": 76, "mode": "GUIDED"}
and at the end (after --duration, SIGTERM/SIGINT, or the TCP connection closing)
  {"sent": N, "received": {"COMMAND_LONG": k, ...}, "armed": false, "mode": "GUIDED",
   "end": "duration" | "signal" | "closed"}

--mavlink1 sends MAVLink 1 frames, as ArduPilot does on a MAVLink 1 link: the extension
fields are left out (pymavlink's own MAVLink 1 packing would keep them). Either way it
decodes both versions.

Needs the venv of tests/tools/setup-venv.sh (the script re-executes itself with that venv's
python when run by another one).
"""

import argparse
import json
import math
import os
import signal
import struct
import sys
import time

# The code the Vigil pymavlink tools share, tests/tools/vigil_pymav.py (found beside this
# script); imported without writing a __pycache__ into the source tree.
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from vigil_pymav import add_dialect_dir_argument, fail, load_dialect  # noqa: E402

sys.dont_write_bytecode = _dont_write_bytecode


GUIDED = 4
VX_CMS, VY_CMS, VZ_CMS = 150, -50, 0
HDG_CDEG = 9000
ROLL, PITCH, YAW = 0.1, -0.05, 1.5708
VOLTAGE_MV, CURRENT_CA, BATTERY_PCT = 15800, 1230, 76
GPS_FIX, GPS_SATS = 3, 14
DETECTION_OFFSET_DEG = 0.0001
STATUSTEXT = b"Vigil peer ready"
NETWORK_SCHEMES = ("tcp:", "tcpin:", "udp:", "udpin:", "udpout:", "udpbcast:")

# MAVLink 1 payload lengths (the fields before the extensions; fixed by the standard) of
# what the peer sends.
MAVLINK1_LENGTHS = {
    "HEARTBEAT": 9, "GLOBAL_POSITION_INT": 28, "ATTITUDE": 28, "SYS_STATUS": 31,
    "GPS_RAW_INT": 30, "VFR_HUD": 20, "STATUSTEXT": 51, "COMMAND_ACK": 3,
}


class Peer:
    def __init__(self, args, vigil, mavutil, json_out):
        self.args = args
        self.v = vigil
        self.mavutil = mavutil
        self.json_out = json_out
        self.armed = False
        self.custom_mode = GUIDED
        self.sent = 0
        self.received = {}
        self.detection_id = 0
        self.boot = time.monotonic()
        self.closed = False
        self.stop_reason = None
        self.lat = int(round(args.lat * 1e7))
        self.lon = int(round(args.lon * 1e7))
        self.alt_mm = int(round(args.alt * 1000))
        self.rel_alt_mm = int(round(args.relative_alt * 1000))
        try:
            self.conn = mavutil.mavlink_connection(
                args.connect, source_system=args.sysid, source_component=args.compid,
                dialect="vigil")
        except (OSError, ValueError) as e:
            fail(f"cannot open {args.connect}: {e}")
        # mavutil only prints on a TCP EOF or reset (and tries to reconnect if asked to);
        # the peer stops instead.
        self.conn.handle_eof = self._on_closed
        self.conn.handle_disconnect = self._on_closed

    def _on_closed(self):
        self.closed = True

    def mode_name(self):
        return self.mavutil.mode_mapping_acm.get(self.custom_mode, str(self.custom_mode))

    def emit(self, obj):
        self.json_out.write(json.dumps(obj) + "\n")
        self.json_out.flush()

    # -- sending --------------------------------------------------------------------------
    def send(self, msg):
        if self.args.mavlink1:
            self.conn.write(self.pack_v1(msg))
        else:
            self.conn.mav.send(msg)
        self.sent += 1

    def pack_v1(self, msg):
        """A MAVLink 1 frame of msg without extension fields, as ArduPilot sends it."""
        mav = self.conn.mav
        name = msg.get_type()
        base_len = MAVLINK1_LENGTHS[name]
        full = msg.pack(mav, force_mavlink1=True)  # v1 frame carrying the extensions too
        payload = full[6:-2][:base_len]
        header = struct.pack("<BBBBBB", 0xFE, len(payload), mav.seq, mav.srcSystem,
                             mav.srcComponent, msg.get_msgId())
        crc = self.v.x25crc(header[1:] + payload)
        crc.accumulate(struct.pack("B", msg.crc_extra))
        mav.seq = (mav.seq + 1) % 256
        return header + payload + struct.pack("<H", crc.crc)

    def boot_ms(self):
        return int((time.monotonic() - self.boot) * 1000) & 0xFFFFFFFF

    def send_fast(self):
        v, mav = self.v, self.conn.mav
        ms = self.boot_ms()
        self.send(mav.global_position_int_encode(ms, self.lat, self.lon, self.alt_mm,
                                                 self.rel_alt_mm, VX_CMS, VY_CMS, VZ_CMS,
                                                 HDG_CDEG))
        self.send(mav.attitude_encode(ms, ROLL, PITCH, YAW, 0.0, 0.0, 0.0))
        sensors = (v.MAV_SYS_STATUS_SENSOR_3D_GYRO | v.MAV_SYS_STATUS_SENSOR_3D_ACCEL
                   | v.MAV_SYS_STATUS_SENSOR_3D_MAG | v.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
                   | v.MAV_SYS_STATUS_SENSOR_GPS | v.MAV_SYS_STATUS_SENSOR_BATTERY)
        self.send(mav.sys_status_encode(sensors, sensors, sensors, 250, VOLTAGE_MV, CURRENT_CA,
                                        BATTERY_PCT, 0, 0, 0, 0, 0, 0))
        speed = math.hypot(VX_CMS, VY_CMS)  # cm/s
        cog = int(round(math.degrees(math.atan2(VY_CMS, VX_CMS)) * 100)) % 36000
        self.send(mav.gps_raw_int_encode(int(time.time() * 1e6), GPS_FIX, self.lat, self.lon,
                                         self.alt_mm, 80, 120, int(round(speed)), cog,
                                         GPS_SATS))
        self.send(mav.vfr_hud_encode(speed / 100.0, speed / 100.0, HDG_CDEG // 100, 45,
                                     self.args.alt, -VZ_CMS / 100.0))

    def send_slow(self):
        v, mav = self.v, self.conn.mav
        base_mode = v.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
        if self.armed:
            base_mode |= v.MAV_MODE_FLAG_SAFETY_ARMED
        self.send(mav.heartbeat_encode(v.MAV_TYPE_QUADROTOR, v.MAV_AUTOPILOT_ARDUPILOTMEGA,
                                       base_mode, self.custom_mode, v.MAV_STATE_ACTIVE))
        self.send(mav.statustext_encode(v.MAV_SEVERITY_INFO, STATUSTEXT))
        if not self.args.mavlink1:
            nan = float("nan")
            self.send(mav.vigil_detection_encode(
                int(time.time() * 1e6), self.detection_id, v.VIGIL_SENSOR_KIND_CAMERA,
                v.VIGIL_MEASUREMENT_POSITION, 0, nan, nan, nan, nan,
                self.lat + int(round(DETECTION_OFFSET_DEG * 1e7)),
                self.lon + int(round(DETECTION_OFFSET_DEG * 1e7)),
                4.5, 80, v.VIGIL_CLASS_PERSON, 2))
            self.detection_id = (self.detection_id + 1) % 2**32

    # -- receiving ------------------------------------------------------------------------
    def handle(self, msg):
        name = msg.get_type()
        self.received[name] = self.received.get(name, 0) + 1
        if name not in ("COMMAND_LONG", "COMMAND_INT"):
            return
        if msg.target_system not in (0, self.args.sysid):
            return
        if msg.target_component not in (0, self.args.compid):
            return
        v = self.v
        cmd = msg.command
        if cmd == v.MAV_CMD_COMPONENT_ARM_DISARM:
            self.armed = msg.param1 >= 0.5
            result = v.MAV_RESULT_ACCEPTED
        elif cmd == v.MAV_CMD_NAV_TAKEOFF:
            result = v.MAV_RESULT_ACCEPTED if self.armed else v.MAV_RESULT_DENIED
        elif cmd == v.MAV_CMD_DO_SET_MODE:
            if math.isfinite(msg.param2) and 0 <= msg.param2 < 2**32:
                self.custom_mode = int(msg.param2)
                result = v.MAV_RESULT_ACCEPTED
            else:
                result = v.MAV_RESULT_DENIED
        else:
            result = v.MAV_RESULT_UNSUPPORTED
        print(f"pymav_peer: {name} {cmd} from {msg.get_srcSystem()}/{msg.get_srcComponent()}"
              f" -> result {result}", file=sys.stderr)
        self.send(self.conn.mav.command_ack_encode(
            cmd, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()))

    def drain(self):
        while not self.closed:
            try:
                msg = self.conn.recv_msg()
            except ConnectionError:  # mavtcp re-raises a reset after its handle_disconnect
                self.closed = True
                return
            if msg is None:
                return
            self.handle(msg)

    # -- main loop ------------------------------------------------------------------------
    def run(self):
        args = self.args
        self.emit({"sysid": args.sysid, "lat_deg": args.lat, "lon_deg": args.lon,
                   "relative_alt_m": args.relative_alt, "battery_pct": BATTERY_PCT,
                   "mode": self.mode_name()})
        period = 1.0 / args.rate
        start = time.monotonic()
        end = start + args.duration if args.duration > 0 else math.inf
        next_fast = start
        next_slow = start
        while True:
            if self.stop_reason is not None:
                break
            if self.closed:
                self.stop_reason = "closed"
                break
            now = time.monotonic()
            if now >= end:
                self.stop_reason = "duration"
                break
            if now >= next_slow:
                self.send_slow()
                next_slow += 1.0
                if next_slow <= now:  # fell behind (suspended?): no burst of catch-up sends
                    next_slow = now + 1.0
            if now >= next_fast:
                self.send_fast()
                next_fast += period
                if next_fast <= now:
                    next_fast = now + period
            self.drain()
            wait = min(next_fast, next_slow, end) - time.monotonic()
            if wait > 0 and not self.closed and self.stop_reason is None:
                self.conn.select(wait)
        self.emit({"sent": self.sent, "received": dict(sorted(self.received.items())),
                   "armed": self.armed, "mode": self.mode_name(), "end": self.stop_reason})
        try:
            self.conn.close()
        except OSError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connect", required=True,
                        help="pymavlink connection string, e.g. udpout:127.0.0.1:14550 or "
                             "tcp:127.0.0.1:5760")
    parser.add_argument("--sysid", type=int, default=1, help="system id (default 1)")
    parser.add_argument("--compid", type=int, default=1, help="component id (default 1)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help="seconds to run; 0 = until SIGTERM/SIGINT (default 10)")
    parser.add_argument("--rate", type=float, default=10.0,
                        help="Hz of the position/attitude/status messages (default 10)")
    parser.add_argument("--mavlink1", action="store_true", help="send MAVLink 1 frames")
    parser.add_argument("--lat", type=float, default=12.34, help="latitude, deg (default 12.34)")
    parser.add_argument("--lon", type=float, default=56.78, help="longitude, deg (default 56.78)")
    parser.add_argument("--alt", type=float, default=100.0, help="altitude AMSL, m (default 100)")
    parser.add_argument("--relative-alt", type=float, default=20.0,
                        help="altitude above home, m (default 20)")
    add_dialect_dir_argument(parser)
    args = parser.parse_args()
    if not 1 <= args.sysid <= 255:
        fail("--sysid must be 1..255")
    if not 0 <= args.compid <= 255:
        fail("--compid must be 0..255")
    if args.rate <= 0:
        fail("--rate must be positive")
    if not args.connect.startswith(NETWORK_SCHEMES):
        fail(f"--connect {args.connect!r}: expected one of {', '.join(NETWORK_SCHEMES)} "
             "followed by host:port (serial ports would need pyserial)")
    if args.duration < 0:
        fail("--duration must not be negative")
    if not (-90 <= args.lat <= 90 and -180 <= args.lon <= 180):
        fail("--lat/--lon out of range")

    vigil, mavutil = load_dialect(args.dialect_dir)  # may re-execute: before the fd shuffle

    # stdout is for the two JSON lines only; what pymavlink prints (e.g. on TCP errors) goes
    # to stderr.
    sys.stdout.flush()
    json_out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    peer = Peer(args, vigil, mavutil, json_out)

    def on_signal(signum, _frame):
        peer.stop_reason = "signal"

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    peer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
