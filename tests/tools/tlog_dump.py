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
import importlib.util
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_VENV = Path(os.environ.get("VIGIL_VENV") or REPO / "target" / "xcheck-venv")


def fail(message):
    print(f"{Path(sys.argv[0]).name}: error: {message}", file=sys.stderr)
    sys.exit(1)


# --- shared by the Vigil pymavlink tools (keep the copies in step) -----------------------
def load_dialect(dialect_dir):
    """Return (vigil, mavutil): the generated dialect module and pymavlink's mavutil.

    mavutil only knows dialects by name, as modules of its own package
    (pymavlink.dialects.v20.<name> when MAVLINK20 is set), so the generated module is loaded
    from its file and registered there as "vigil": mavutil.mavlink_connection(...,
    dialect="vigil") then works, and so does mavutil.mavlogfile. Re-executes the script with
    the venv's python when this python has no pymavlink.
    """
    dialect_dir = Path(dialect_dir).resolve()
    if importlib.util.find_spec("pymavlink") is None:
        venv_python = dialect_dir.parent / "bin" / "python"
        if venv_python.exists() and not os.environ.get("VIGIL_XCHECK_REEXEC"):
            os.environ["VIGIL_XCHECK_REEXEC"] = "1"
            os.execv(str(venv_python), [str(venv_python), *sys.argv])
        fail(f"pymavlink is not installed for {sys.executable}: run tests/tools/setup-venv.sh "
             "and use the python it prints")
    module_file = dialect_dir / "vigil.py"
    if not module_file.is_file():
        fail(f"{module_file} not found: run tests/tools/setup-venv.sh (or pass --dialect-dir)")
    os.environ["MAVLINK20"] = "1"  # mavutil picks dialects from pymavlink.dialects.v20
    os.environ["MAVLINK_DIALECT"] = "ardupilotmega"  # the one mavutil loads on import
    from pymavlink import mavutil
    import pymavlink.dialects.v20 as v20

    spec = importlib.util.spec_from_file_location("pymavlink.dialects.v20.vigil", module_file)
    vigil = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = vigil
    spec.loader.exec_module(vigil)
    if getattr(vigil, "DIALECT", None) != "vigil" or not hasattr(vigil, "MAVLINK_MSG_ID_VIGIL_DETECTION"):
        fail(f"{module_file} is not the generated Vigil dialect: rerun tests/tools/setup-venv.sh")
    v20.vigil = vigil
    mavutil.set_dialect("vigil")
    return vigil, mavutil
# ------------------------------------------------------------------------------------------


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
    parser.add_argument("--dialect-dir", default=str(DEFAULT_VENV / "vigil_dialect"),
                        help="folder of the generated vigil.py (default: %(default)s)")
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
