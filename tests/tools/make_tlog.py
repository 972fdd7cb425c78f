#!/usr/bin/env python3
"""Write a realistic, deterministic MAVLink telemetry log (.tlog) with pymavlink.

Why: the input of Vigil's decode benchmarks (Rust and benches/pymavlink_decode.py) and of
the tlog cross-checks, made by an independent MAVLink implementation, with the traffic of
a real deployment: ArduCopter drones and Vigil ground sensor nodes.

What it holds (all MAVLink 2 frames, each preceded by its 8-byte big-endian UNIX time in
microseconds, as MAVProxy and QGroundControl write them; simulated time starts at --start):

  * --vehicles ArduCopters, sysid 1..N, compid 1, flying circles (radius 80-400 m,
    4-14 m/s, 30-120 m above a home at 100 m AMSL, bobbing +-5 m) around points within
    2 km of 12.34 N 56.78 E, at ArduPilot's usual stream rates: HEARTBEAT 1 Hz, ATTITUDE
    10 Hz, GLOBAL_POSITION_INT 5 Hz, SYS_STATUS 2 Hz, GPS_RAW_INT 5 Hz, VFR_HUD 4 Hz,
    BATTERY_STATUS 1 Hz (a draining 4S battery);
  * --sensors Vigil ground nodes, sysid 101.., compid 1, within 3 km: HEARTBEAT
    (MAV_TYPE_GENERIC, MAV_AUTOPILOT_INVALID) 1 Hz, VIGIL_SENSOR_STATUS every 5 s, and
    VIGIL_DETECTION as a Poisson process of 0.5 Hz. The kinds cycle seismic, PIR, radar,
    acoustic, camera, each with its measurement kind (presence, presence, range+bearing,
    bearing, position); the fields a kind does not measure are NaN / INT32_MAX.

Every stream has its own phase and up to 2 ms of jitter. The same arguments always give the
same bytes (everything random comes from --seed). Prints a JSON summary line on stdout.

Needs the venv of tests/tools/setup-venv.sh (the script re-executes itself with that venv's
python when run by another one).
"""

import argparse
import heapq
import json
import math
import os
import random
import struct
import sys
from pathlib import Path

# The code the Vigil pymavlink tools share, tests/tools/vigil_pymav.py (found beside this
# script); imported without writing a __pycache__ into the source tree.
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from vigil_pymav import add_dialect_dir_argument, fail, load_dialect  # noqa: E402

sys.dont_write_bytecode = _dont_write_bytecode


EARTH_RADIUS_M = 6378137.0
BASE_LAT = 12.34
BASE_LON = 56.78
HOME_AMSL_M = 100.0
GRAVITY = 9.80665
INT32_MAX = 2**31 - 1
UINT16_MAX = 2**16 - 1
NAN = float("nan")

VEHICLE_STREAMS = [  # (message, Hz)
    ("HEARTBEAT", 1.0),
    ("ATTITUDE", 10.0),
    ("GLOBAL_POSITION_INT", 5.0),
    ("SYS_STATUS", 2.0),
    ("GPS_RAW_INT", 5.0),
    ("VFR_HUD", 4.0),
    ("BATTERY_STATUS", 1.0),
]
SENSOR_STREAMS = [("HEARTBEAT", 1.0), ("VIGIL_SENSOR_STATUS", 0.2)]
DETECTION_RATE_HZ = 0.5
JITTER_US = 2000


def offset_to_latlon(north_m, east_m):
    lat = BASE_LAT + math.degrees(north_m / EARTH_RADIUS_M)
    lon = BASE_LON + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(BASE_LAT))))
    return lat, lon


def deg_e7(deg):
    return int(round(deg * 1e7))


class Vehicle:
    """An ArduCopter flying a circle; state is a pure function of time (plus seeded noise)."""

    MODES = [3, 4, 5, 7]  # AUTO, GUIDED, LOITER, CIRCLE

    def __init__(self, vigil, sysid, rng):
        self.v = vigil
        self.sysid = sysid
        self.rng = rng
        self.center_n = rng.uniform(-2000, 2000)
        self.center_e = rng.uniform(-2000, 2000)
        self.radius = rng.uniform(80, 400)
        self.speed = rng.uniform(4, 14)
        self.omega = rng.choice((-1, 1)) * self.speed / self.radius
        self.theta0 = rng.uniform(0, 2 * math.pi)
        self.rel_alt0 = rng.uniform(30, 120)
        self.bob_period = rng.uniform(40, 90)
        self.mode = rng.choice(self.MODES)
        self.sats = rng.randint(10, 18)
        self.capacity_mah = 5000.0
        self.start_pct = rng.uniform(80, 100)
        self.current_a = rng.uniform(14, 24)
        self.load = rng.randint(150, 400)
        self.throttle = rng.randint(40, 60)
        self.boot_offset_ms = rng.randint(60_000, 900_000)  # powered up before the log began

    def state(self, t):
        theta = self.theta0 + self.omega * t
        north = self.center_n + self.radius * math.cos(theta)
        east = self.center_e + self.radius * math.sin(theta)
        vn = -self.radius * self.omega * math.sin(theta)
        ve = self.radius * self.omega * math.cos(theta)
        w = 2 * math.pi / self.bob_period
        rel_alt = self.rel_alt0 + 5.0 * math.sin(w * t)
        climb = 5.0 * w * math.cos(w * t)
        heading = math.atan2(ve, vn)  # radians, -pi..pi
        lat, lon = offset_to_latlon(north, east)
        return lat, lon, rel_alt, vn, ve, climb, heading

    def battery(self, t):
        consumed_mah = self.current_a * 1000.0 * t / 3600.0
        pct = max(0.0, self.start_pct - 100.0 * consumed_mah / self.capacity_mah)
        cell_mv = int(3500 + 700 * pct / 100.0)
        return consumed_mah, pct, cell_mv

    def message(self, mav, name, t, t_us):
        """The message `name` at t seconds into the log (UNIX time t_us)."""
        v = self.v
        rng = self.rng
        boot_ms = self.boot_offset_ms + int(t * 1000)
        lat, lon, rel_alt, vn, ve, climb, heading = self.state(t)
        if name == "HEARTBEAT":
            base_mode = (v.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | v.MAV_MODE_FLAG_STABILIZE_ENABLED
                         | v.MAV_MODE_FLAG_MANUAL_INPUT_ENABLED | v.MAV_MODE_FLAG_SAFETY_ARMED)
            if self.mode in (3, 4, 7):
                base_mode |= v.MAV_MODE_FLAG_GUIDED_ENABLED
            return mav.heartbeat_encode(v.MAV_TYPE_QUADROTOR, v.MAV_AUTOPILOT_ARDUPILOTMEGA,
                                        base_mode, self.mode, v.MAV_STATE_ACTIVE)
        if name == "ATTITUDE":
            roll = math.copysign(math.atan(self.speed ** 2 / (self.radius * GRAVITY)), self.omega)
            return mav.attitude_encode(boot_ms, roll + rng.gauss(0, 0.01),
                                       -0.05 + rng.gauss(0, 0.01), heading,
                                       rng.gauss(0, 0.02), rng.gauss(0, 0.02),
                                       self.omega + rng.gauss(0, 0.005))
        if name == "GLOBAL_POSITION_INT":
            hdg = int(round(math.degrees(heading) * 100)) % 36000
            return mav.global_position_int_encode(
                boot_ms, deg_e7(lat), deg_e7(lon), int(round((HOME_AMSL_M + rel_alt) * 1000)),
                int(round(rel_alt * 1000)), int(round(vn * 100)), int(round(ve * 100)),
                int(round(-climb * 100)), hdg)
        if name == "GPS_RAW_INT":
            noise = 0.5 / EARTH_RADIUS_M
            glat = lat + math.degrees(rng.gauss(0, noise))
            glon = lon + math.degrees(rng.gauss(0, noise))
            alt_mm = int(round((HOME_AMSL_M + rel_alt + rng.gauss(0, 0.8)) * 1000))
            cog = int(round(math.degrees(heading) * 100)) % 36000
            return mav.gps_raw_int_encode(
                t_us, v.GPS_FIX_TYPE_3D_FIX, deg_e7(glat), deg_e7(glon), alt_mm,
                rng.randint(70, 110), rng.randint(100, 160), int(round(self.speed * 100)), cog,
                self.sats, alt_ellipsoid=alt_mm + 21_000, h_acc=rng.randint(600, 1200),
                v_acc=rng.randint(900, 1800), vel_acc=rng.randint(150, 400), hdg_acc=0, yaw=0)
        if name == "VFR_HUD":
            return mav.vfr_hud_encode(self.speed + rng.gauss(0, 0.3), self.speed,
                                      int(round(math.degrees(heading))) % 360,
                                      self.throttle + rng.randint(-3, 3),
                                      HOME_AMSL_M + rel_alt, climb)
        if name == "SYS_STATUS":
            sensors = (v.MAV_SYS_STATUS_SENSOR_3D_GYRO | v.MAV_SYS_STATUS_SENSOR_3D_ACCEL
                       | v.MAV_SYS_STATUS_SENSOR_3D_MAG | v.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
                       | v.MAV_SYS_STATUS_SENSOR_GPS | v.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
                       | v.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
                       | v.MAV_SYS_STATUS_SENSOR_YAW_POSITION
                       | v.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
                       | v.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
                       | v.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS | v.MAV_SYS_STATUS_SENSOR_RC_RECEIVER
                       | v.MAV_SYS_STATUS_SENSOR_BATTERY)
            _, pct, cell_mv = self.battery(t)
            return mav.sys_status_encode(sensors, sensors, sensors, self.load + rng.randint(-20, 20),
                                         4 * cell_mv, int(self.current_a * 100), int(pct),
                                         0, 0, 0, 0, 0, 0)
        if name == "BATTERY_STATUS":
            consumed_mah, pct, cell_mv = self.battery(t)
            voltages = [cell_mv] * 4 + [UINT16_MAX] * 6
            remaining_s = int(self.capacity_mah * pct / 100.0 / (self.current_a * 1000.0) * 3600)
            energy_hj = int(consumed_mah * 3.6 * 4 * cell_mv / 1000.0 / 100.0)
            return mav.battery_status_encode(
                0, v.MAV_BATTERY_FUNCTION_ALL, v.MAV_BATTERY_TYPE_LIPO, 3200 + rng.randint(0, 300),
                voltages, int(self.current_a * 100), int(consumed_mah), energy_hj, int(pct),
                time_remaining=remaining_s, charge_state=v.MAV_BATTERY_CHARGE_STATE_OK)
        raise ValueError(name)


class SensorNode:
    """A Vigil ground sensor node; its detections are of random targets inside its area."""

    # kind -> (measurement kind, sensing radius m, field of view deg or None for omni)
    KINDS = [
        ("SEISMIC", "PRESENCE", 50.0, None),
        ("PIR", "PRESENCE", 30.0, 90.0),
        ("RADAR", "RANGE_BEARING", 1500.0, 120.0),
        ("ACOUSTIC", "BEARING", 800.0, None),
        ("CAMERA", "POSITION", 300.0, 60.0),
    ]

    def __init__(self, vigil, sysid, index, rng):
        v = vigil
        self.v = vigil
        self.sysid = sysid
        self.rng = rng
        kind, measurement, radius, fov = self.KINDS[index % len(self.KINDS)]
        self.kind = getattr(v, "VIGIL_SENSOR_KIND_" + kind)
        self.measurement = getattr(v, "VIGIL_MEASUREMENT_" + measurement)
        self.radius = radius
        self.fov = 360.0 if fov is None else fov
        self.boresight = NAN if fov is None else rng.uniform(0, 360)
        self.north = rng.uniform(-3000, 3000)
        self.east = rng.uniform(-3000, 3000)
        self.lat, self.lon = offset_to_latlon(self.north, self.east)
        self.alt_mm = int(round((HOME_AMSL_M + rng.uniform(-10, 10)) * 1000))
        self.mv0 = rng.randint(3700, 4150)
        self.flags = 0
        if index % 7 == 3:
            self.flags |= v.VIGIL_SENSOR_FLAGS_LOW_BATTERY
            self.mv0 = 3350
        if index % 11 == 5:
            self.flags |= v.VIGIL_SENSOR_FLAGS_FAULT_GPS
        self.next_detection_id = rng.randrange(0, 5000)
        self.detections_total = self.next_detection_id

    def message(self, mav, name, t, t_us):
        """The message `name` at t seconds into the log (UNIX time t_us)."""
        v = self.v
        rng = self.rng
        if name == "HEARTBEAT":
            return mav.heartbeat_encode(v.MAV_TYPE_GENERIC, v.MAV_AUTOPILOT_INVALID, 0, 0,
                                        v.MAV_STATE_ACTIVE)
        if name == "VIGIL_SENSOR_STATUS":
            mv = self.mv0 - int(t / 60)  # about 1 mV a minute
            pct = max(0, min(100, int((mv - 3300) / 9)))
            return mav.vigil_sensor_status_encode(
                t_us, self.kind, deg_e7(self.lat), deg_e7(self.lon), self.alt_mm, self.radius,
                self.boresight, self.fov, mv, pct, self.flags, self.detections_total)
        if name == "VIGIL_DETECTION":
            # A target somewhere in the sensing area (inside the field of view).
            rng_m = self.radius * math.sqrt(rng.random())
            if math.isnan(self.boresight):
                bearing = rng.uniform(0, 360)
            else:
                bearing = (self.boresight + rng.uniform(-self.fov / 2, self.fov / 2)) % 360
            range_m = range_std = bearing_deg = bearing_std = horiz_std = NAN
            lat = lon = INT32_MAX
            zone = 0
            if self.measurement == v.VIGIL_MEASUREMENT_PRESENCE:
                zone = rng.randint(0, 3)
            if self.measurement in (v.VIGIL_MEASUREMENT_BEARING, v.VIGIL_MEASUREMENT_RANGE_BEARING):
                bearing_std = 2.0 if self.measurement == v.VIGIL_MEASUREMENT_RANGE_BEARING else 6.0
                bearing_deg = (bearing + rng.gauss(0, bearing_std)) % 360
            if self.measurement == v.VIGIL_MEASUREMENT_RANGE_BEARING:
                range_std = 5.0 + 0.01 * rng_m
                range_m = max(0.0, rng_m + rng.gauss(0, range_std))
            if self.measurement == v.VIGIL_MEASUREMENT_POSITION:
                horiz_std = 3.0 + 0.02 * rng_m
                tn = self.north + rng_m * math.cos(math.radians(bearing)) + rng.gauss(0, horiz_std)
                te = self.east + rng_m * math.sin(math.radians(bearing)) + rng.gauss(0, horiz_std)
                tlat, tlon = offset_to_latlon(tn, te)
                lat, lon = deg_e7(tlat), deg_e7(tlon)
            cls = rng.choices([v.VIGIL_CLASS_UNKNOWN, v.VIGIL_CLASS_PERSON, v.VIGIL_CLASS_VEHICLE,
                               v.VIGIL_CLASS_ANIMAL], weights=[2, 5, 2, 1])[0]
            count = 0 if cls == v.VIGIL_CLASS_UNKNOWN else rng.randint(1, 4)
            detection_id = self.next_detection_id
            self.next_detection_id = (self.next_detection_id + 1) % 2**32
            self.detections_total += 1
            return mav.vigil_detection_encode(
                t_us, detection_id, self.kind, self.measurement, zone, range_m, range_std,
                bearing_deg, bearing_std, lat, lon, horiz_std, rng.randint(40, 99), cls, count)
        raise ValueError(name)


def write_events(out, queue, nodes, mavs, start_us, end_us, sched, counts):
    """Pop the event queue in time order and write each message as a tlog record."""
    tie = len(queue)  # the initial events used tie-breaks 0..len-1
    ts = struct.Struct(">Q")
    while queue:
        t_rel, _, n, name, k, phase = heapq.heappop(queue)
        if t_rel >= end_us:
            break  # the queue pops in time order: everything left is later
        node, streams = nodes[n]
        t_us = start_us + t_rel
        mav = mavs[n]
        msg = node.message(mav, name, t_rel * 1e-6, t_us)
        out.write(ts.pack(t_us))
        mav.send(msg)  # writes the frame to out
        counts[name] = counts.get(name, 0) + 1
        # Schedule the next occurrence of this stream.
        if name == "VIGIL_DETECTION":
            nxt = t_rel + max(1, int(sched.expovariate(DETECTION_RATE_HZ) * 1e6))
        else:
            period = int(round(1e6 / dict(streams)[name]))
            nxt = phase + (k + 1) * period + sched.randrange(JITTER_US)
        heapq.heappush(queue, (nxt, tie, n, name, k + 1, phase))
        tie += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the .tlog to write (replaced)")
    parser.add_argument("--vehicles", type=int, default=10, help="ArduCopters, sysid 1.. (default 10)")
    parser.add_argument("--sensors", type=int, default=20,
                        help="Vigil ground sensor nodes, sysid 101.. (default 20)")
    parser.add_argument("--seconds", type=float, default=60.0, help="simulated duration (default 60)")
    parser.add_argument("--start", type=int, default=1_700_000_000,
                        help="UNIX time of the first instant, s (default 1700000000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    add_dialect_dir_argument(parser)
    args = parser.parse_args()
    if not 0 <= args.vehicles <= 100:
        fail("--vehicles must be 0..100 (sysids 1..100)")
    if not 0 <= args.sensors <= 100:
        fail("--sensors must be 0..100 (sysids 101..200)")
    if args.seconds <= 0:
        fail("--seconds must be positive")
    if args.start < 0:
        fail("--start must not be negative")

    vigil, _ = load_dialect(args.dialect_dir)
    start_us = args.start * 1_000_000
    end_us = int(args.seconds * 1e6)

    # nodes[i] = (model, its periodic streams); every node has its own random generator, so
    # adding a node does not change the others.
    nodes = []
    for i in range(args.vehicles):
        rng = random.Random(f"{args.seed}/vehicle/{i}")
        nodes.append((Vehicle(vigil, 1 + i, rng), VEHICLE_STREAMS))
    for j in range(args.sensors):
        rng = random.Random(f"{args.seed}/sensor/{j}")
        nodes.append((SensorNode(vigil, 101 + j, j, rng), SENSOR_STREAMS))

    tmp = Path(args.out + ".tmp")
    try:
        out = open(tmp, "wb")
    except OSError as e:
        fail(f"cannot write {tmp}: {e}")

    # Event queue of (time since the start in us, tie-break, node index, message name,
    # occurrence k of a periodic stream, its phase in us).
    sched = random.Random(f"{args.seed}/schedule")
    queue = []
    tie = 0
    for n, (node, streams) in enumerate(nodes):
        for name, hz in streams:
            period = int(round(1e6 / hz))
            phase = sched.randrange(period)
            heapq.heappush(queue, (phase + sched.randrange(JITTER_US), tie, n, name, 0, phase))
            tie += 1
        if isinstance(node, SensorNode):
            t0 = int(sched.expovariate(DETECTION_RATE_HZ) * 1e6)
            heapq.heappush(queue, (t0, tie, n, "VIGIL_DETECTION", 0, 0))
            tie += 1

    mavs = [vigil.MAVLink(out, srcSystem=node.sysid, srcComponent=1) for node, _ in nodes]
    counts = {}
    try:
        write_events(out, queue, nodes, mavs, start_us, end_us, sched, counts)
        out.close()
    except OSError as e:
        out.close()
        tmp.unlink(missing_ok=True)
        fail(f"cannot write {tmp}: {e}")
    total = sum(counts.values())
    size = tmp.stat().st_size
    os.replace(tmp, args.out)
    print(json.dumps({"out": args.out, "messages": total, "bytes": size,
                      "by_name": dict(sorted(counts.items()))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
