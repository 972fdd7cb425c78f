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
included; "bad_data" says how many). Frames whose message id the dialect does not know are
not in messages (nor in messages_per_s): pymavlink returns them as UNKNOWN_<id> without
checking their CRC (it needs the id's CRC_EXTRA), so they are not decoded messages;
"unknown_id" says how many there were.

Needs the venv of tests/tools/setup-venv.sh (the script re-executes itself with that venv's
python when run by another one).
"""

import argparse
import io
import json
import platform
import statistics
import sys
import time
from pathlib import Path

# The code the Vigil pymavlink tools share, tests/tools/vigil_pymav.py; imported without
# writing a __pycache__ into the source tree.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "tools"))
_dont_write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True
from vigil_pymav import add_dialect_dir_argument, fail, load_dialect  # noqa: E402

sys.dont_write_bytecode = _dont_write_bytecode


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
    """Timed: walk the tlog records, parse_char each frame.

    Returns (messages, bad, unknown), messages counting all three kinds, as the other
    run_* do."""
    mav = vigil.MAVLink(None)
    mav.robust_parsing = True
    parse = mav.parse_char
    unknown_cls = vigil.MAVLink_unknown
    n = bad = unknown = 0
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
            elif msg.__class__ is unknown_cls:
                unknown += 1
    return n, bad, unknown


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
    unknown = sum(1 for m in msgs if isinstance(m, vigil.MAVLink_unknown))
    return len(msgs), bad, unknown


def run_mavutil(mavutil, data, path):
    """Timed: mavutil.mavlogfile reading the tlog from memory."""
    log = mavutil.mavlogfile(path, robust_parsing=True)  # opens the file; swapped below
    log.f.close()
    log.f = io.BytesIO(data)
    unknown_cls = mavutil.mavlink.MAVLink_unknown  # the Vigil dialect's (load_dialect)
    n = bad = unknown = 0
    while True:
        msg = log.recv_msg()
        if msg is None:
            break
        n += 1
        bad += msg.get_type() == "BAD_DATA"
        unknown += msg.__class__ is unknown_cls
    return n, bad, unknown


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="the .tlog (e.g. from tests/tools/make_tlog.py)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed runs; the fastest is reported (default 5)")
    parser.add_argument("--method", choices=("frames", "stream", "mavutil"), default="frames",
                        help="decode loop to time (default frames; see the docstring)")
    add_dialect_dir_argument(parser)
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
        n, bad, unknown = run()
        times.append(time.perf_counter() - t0)
        counts.add((n, bad, unknown))
    if len(counts) != 1:
        fail(f"runs decoded different numbers of messages: {sorted(counts)}")
    n, bad, unknown = counts.pop()
    n -= unknown  # messages: BAD_DATA included, UNKNOWN_<id> not
    if n == 0:
        fail(f"no MAVLink message decoded from {args.file}"
             + (f" ({unknown} frames of ids unknown to the dialect)" if unknown else ""))
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
        "unknown_id": unknown,
        "bytes": len(data),
        "python": platform.python_version(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
