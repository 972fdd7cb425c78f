#!/usr/bin/env python3
"""Measure how fast pymavlink parses and decodes a MAVLink telemetry log (.tlog).

Why: the reference figure for Vigil's Rust decoder benchmark, on the same input (made by
tests/tools/make_tlog.py): pymavlink is what MAVProxy and most Python ground tools use.

How: the whole file is read into memory first; only the decode loop is timed. The default
method, "frames", is the fastest honest one: the loop walks the tlog records (skips each
8-byte timestamp, reads the frame's length from byte 1 of its header) and hands each frame
to pymavlink's parser, MAVLink.parse_char of the generated Vigil dialect, which checks the
frame (magic, length, CRC with CRC_EXTRA) and decodes every field into a message object.
Timing includes that walk, so it is parse+decode as a tlog reader does it. Others:

  * "stream": parse_buffer over the frames with the timestamps removed beforehand (outside
    the timing): pymavlink finds the frame boundaries itself;
  * "mavutil": mavutil.mavlogfile, pymavlink's own tlog reader (what MAVProxy's tools use),
    reading from an in-memory file; it also does mavutil's per-message bookkeeping.

The CRC runs in fastcrc's compiled code when fastcrc is installed (pymavlink 2.4.50
requires it) and in pure Python otherwise; "crc" in the output says which. Garbage
collection stays on (the realistic setting). Prints one JSON line:

  {"tool": "pymavlink", "version": "2.4.50", "messages": N, "seconds": S,
   "messages_per_s": R, "method": "frames", "crc": "fastcrc", "repeat": K, ...}

where seconds is the fastest of --repeat runs and messages counts one run (BAD_DATA
included; "bad_data" says how many).

Needs the venv of tests/tools/setup-venv.sh (the script re-executes itself with that venv's
python when run by another one).
"""

import argparse
import importlib.util
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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


def frame_length(data, pos):
    """Length of the MAVLink frame at data[pos], or None if it is not a frame start."""
    if pos + 3 > len(data):
        return None
    magic = data[pos]
    if magic == 0xFD:
        return data[pos + 1] + 12 + (13 if data[pos + 2] & 0x01 else 0)
    if magic == 0xFE:
        return data[pos + 1] + 8
    return None


def resync(data, pos, last_t_us):
    """Index of the next tlog record after garbage at data[pos]: a timestamp within a day
    of the last good one, followed by a frame's magic byte (what mavlogfile does, too)."""
    day_us = 86_400_000_000
    for p in range(pos + 1, len(data) - 8):
        if data[p + 8] in (0xFD, 0xFE):
            t_us = int.from_bytes(data[p:p + 8], "big")
            if last_t_us is None or abs(t_us - last_t_us) <= day_us:
                return p
    return len(data)


def run_frames(vigil, data):
    """Timed: walk the tlog records, parse_char each frame. Returns (messages, bad)."""
    mav = vigil.MAVLink(None)
    mav.robust_parsing = True
    parse = mav.parse_char
    n = bad = 0
    pos = 0
    rec = None  # start of the last record that held a frame
    end = len(data)
    view = memoryview(data)
    while pos + 8 < end:
        magic = data[pos + 8]
        if magic == 0xFD:
            flen = data[pos + 9] + (25 if data[pos + 10] & 0x01 else 12)
        elif magic == 0xFE:
            flen = data[pos + 9] + 8
        else:
            # Garbage where a record should start (rare): count it as one BAD_DATA.
            n += 1
            bad += 1
            last = None if rec is None else int.from_bytes(data[rec:rec + 8], "big")
            pos = resync(data, pos, last)
            continue
        rec = pos
        msg = parse(view[pos + 8:pos + 8 + flen])
        pos += 8 + flen
        if msg is not None:
            n += 1
            if msg._type == "BAD_DATA":
                bad += 1
    return n, bad


def strip_timestamps(data):
    """The frames of a tlog, without their timestamps (not timed); garbage is kept."""
    out = bytearray()
    pos = 0
    rec = None
    while pos + 8 < len(data):
        flen = frame_length(data, pos + 8)
        if flen is None:
            last = None if rec is None else int.from_bytes(data[rec:rec + 8], "big")
            nxt = resync(data, pos, last)
            out += data[pos + 8:nxt]
            pos = nxt
            continue
        rec = pos
        out += data[pos + 8:pos + 8 + flen]
        pos += 8 + flen
    return bytes(out)


def run_stream(vigil, raw):
    """Timed: parse_buffer over the whole frame stream."""
    mav = vigil.MAVLink(None)
    mav.robust_parsing = True
    msgs = mav.parse_buffer(raw) or []
    bad = sum(1 for m in msgs if m._type == "BAD_DATA")
    return len(msgs), bad


def run_mavutil(mavutil, data, path):
    """Timed: mavutil.mavlogfile reading the tlog from memory."""
    log = mavutil.mavlogfile(path, robust_parsing=True)  # opens the file; swapped below
    log.f.close()
    log.f = io.BytesIO(data)
    n = bad = 0
    while True:
        msg = log.recv_msg()
        if msg is None:
            break
        n += 1
        bad += msg.get_type() == "BAD_DATA"
    return n, bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the .tlog (e.g. from tests/tools/make_tlog.py)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed runs; the fastest is reported (default 5)")
    parser.add_argument("--method", choices=("frames", "stream", "mavutil"), default="frames",
                        help="decode loop to time (default frames; see the docstring)")
    parser.add_argument("--dialect-dir", default=str(DEFAULT_VENV / "vigil_dialect"),
                        help="folder of the generated vigil.py (default: %(default)s)")
    args = parser.parse_args()
    if args.repeat < 1:
        fail("--repeat must be at least 1")
    try:
        with open(args.file, "rb") as f:
            data = f.read()
    except OSError as e:
        fail(f"cannot read {args.file}: {e}")
    if not data:
        fail(f"{args.file} is empty")

    vigil, mavutil = load_dialect(args.dialect_dir)
    from importlib import metadata

    if args.method == "frames":
        run = lambda: run_frames(vigil, data)  # noqa: E731
    elif args.method == "stream":
        raw = strip_timestamps(data)
        run = lambda: run_stream(vigil, raw)  # noqa: E731
    else:
        run = lambda: run_mavutil(mavutil, data, args.file)  # noqa: E731

    times = []
    counts = set()
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        n, bad = run()
        times.append(time.perf_counter() - t0)
        counts.add((n, bad))
    if len(counts) != 1:
        fail(f"runs decoded different numbers of messages: {sorted(counts)}")
    n, bad = counts.pop()
    if n == 0:
        fail(f"no MAVLink message decoded from {args.file}")
    best = min(times)
    print(json.dumps({
        "tool": "pymavlink",
        "version": metadata.version("pymavlink"),
        "messages": n,
        "seconds": round(best, 6),
        "messages_per_s": round(n / best, 1),
        "method": args.method,
        "crc": "fastcrc" if getattr(vigil, "mcrf4xx", None) is not None else "pure-python",
        "repeat": args.repeat,
        "seconds_median": round(statistics.median(times), 6),
        "bad_data": bad,
        "bytes": len(data),
        "python": platform.python_version(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
