#!/usr/bin/env python3
"""Dump a MAVLink telemetry log (.tlog) as JSON lines, decoded by pymavlink.

Why: Vigil reads and writes .tlog files in Rust; this is the reference reading of the same
file by pymavlink (what MAVProxy uses), so tests can compare the two message by message.

A .tlog is what MAVProxy and QGroundControl write: each MAVLink frame is preceded by an
8-byte big-endian UNIX timestamp in microseconds. The file is read by pymavlink's own tlog
reader (mavutil.mavlogfile) with the generated Vigil dialect, so VIGIL_* messages decode by
name. One JSON line per message:

    {"t_us": 1700000000123456, "sysid": 1, "compid": 1, "seq": 17, "msgid": 0,
     "name": "HEARTBEAT", "mavlink2": true}

Bytes pymavlink cannot decode (bad CRC, garbage) come out as name "BAD_DATA", with sysid,
compid, seq and msgid null, plus "reason" and "len" (bytes). A valid frame of an id the
dialect does not know comes out as "UNKNOWN_<msgid>". With --summary, only one JSON object:
{"total": N, "by_name": {"HEARTBEAT": n, ...}}.

Needs the venv of tests/tools/setup-venv.sh (the script re-executes itself with that venv's
python when run by another one).
"""

import argparse
import json
import os
import sys

# The code the Vigil pymavlink tools share, tests/tools/vigil_pymav.py (found beside this
# script); imported without writing a __pycache__ into the source tree.
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from vigil_pymav import add_dialect_dir_argument, fail, load_dialect  # noqa: E402

sys.dont_write_bytecode = _dont_write_bytecode


def describe(msg):
    """The JSON record of one message returned by mavlogfile."""
    record = {"t_us": int(round(msg._timestamp * 1e6))}
    name = msg.get_type()
    buf = msg.get_msgbuf()
    if name == "BAD_DATA":
        record.update(sysid=None, compid=None, seq=None, msgid=None, name=name,
                      mavlink2=bool(buf) and buf[0] == 0xFD,
                      reason=str(msg.reason), len=len(buf))
        return record
    header = msg.get_header()
    record.update(sysid=header.srcSystem, compid=header.srcComponent, seq=header.seq,
                  msgid=header.msgId, name=name, mavlink2=buf[0] == 0xFD)
    return record


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the .tlog file")
    parser.add_argument("--summary", action="store_true",
                        help='print only {"total": N, "by_name": {...}}')
    add_dialect_dir_argument(parser)
    args = parser.parse_args()

    if not os.path.isfile(args.file):
        fail(f"no such file: {args.file}")
    vigil, mavutil = load_dialect(args.dialect_dir)

    # mavlogfile, not mavlink_connection: mavlink_connection picks the reader by the file's
    # extension (.log and .bin are dataflash logs); a tlog is a tlog whatever its name.
    try:
        log = mavutil.mavlogfile(args.file, robust_parsing=True)
    except OSError as e:
        fail(f"cannot open {args.file}: {e}")

    counts = {}
    total = 0
    out = sys.stdout
    try:
        while True:
            msg = log.recv_msg()
            if msg is None:
                break
            total += 1
            name = msg.get_type()
            counts[name] = counts.get(name, 0) + 1
            if not args.summary:
                out.write(json.dumps(describe(msg)) + "\n")
        if args.summary:
            out.write(json.dumps({"total": total, "by_name": dict(sorted(counts.items()))}) + "\n")
        out.flush()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: not an error of this tool.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    finally:
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
