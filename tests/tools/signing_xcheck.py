#!/usr/bin/env python3
"""Cross-check MAVLink 2 signing between Vigil and pymavlink, both ways.

Why: a signature that only Vigil accepts is worth nothing; vehicles and other ground stations
check it with their own implementation (pymavlink's is the reference the C library matches).

  signing_xcheck.py verify --key HEX
      reads frames Vigil signed (one hex frame per line on stdin), feeds them to a pymavlink
      MAVLink parser that holds the key and accepts no unsigned frame, and prints one JSON
      line: {"accepted": N, "rejected": M, "ids": [msgid per accepted frame]}.

  signing_xcheck.py sign --key HEX --link-id N --timestamp T --count C
      prints C frames pymavlink signed (hex, one per line): HEARTBEAT, ATTITUDE and
      COMMAND_LONG from system 42, component 1, in turn.

Uses the venv of tests/tools/setup-venv.sh (pymavlink); the ardupilotmega dialect suffices.
"""

import argparse
import json
import sys

from pymavlink.dialects.v20 import ardupilotmega as mavlink


def verify(key):
    mav = mavlink.MAVLink(None)
    mav.robust_parsing = True
    mav.signing.secret_key = key
    mav.signing.sign_outgoing = False
    mav.signing.allow_unsigned_callback = None  # every frame must be signed
    accepted, ids = 0, []
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        for message in mav.parse_buffer(bytes.fromhex(line)) or []:
            if message.get_type() != "BAD_DATA":
                accepted += 1
                ids.append(message.get_msgId())
    rejected = mav.signing.badsig_count + mav.signing.unsigned_count
    print(json.dumps({"accepted": accepted, "rejected": rejected, "ids": ids}))


def sign(key, link_id, timestamp, count):
    mav = mavlink.MAVLink(None, 42, 1)
    mav.signing.secret_key = key
    mav.signing.link_id = link_id
    mav.signing.timestamp = timestamp
    mav.signing.sign_outgoing = True
    makers = [
        lambda i: mav.heartbeat_encode(2, 3, 81, 4, 4, 3),
        lambda i: mav.attitude_encode(i * 100, 0.1, -0.2, 1.5, 0.0, 0.0, 0.0),
        lambda i: mav.command_long_encode(1, 1, 400, 0, 1, 0, 0, 0, 0, 0, 0),
    ]
    for i in range(count):
        print(makers[i % len(makers)](i).pack(mav).hex())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--key", required=True)
    s = sub.add_parser("sign")
    s.add_argument("--key", required=True)
    s.add_argument("--link-id", type=int, default=0)
    s.add_argument("--timestamp", type=int, required=True)
    s.add_argument("--count", type=int, default=30)
    args = parser.parse_args()
    key = bytes.fromhex(args.key)
    if args.mode == "verify":
        verify(key)
    else:
        sign(key, args.link_id, args.timestamp, args.count)


if __name__ == "__main__":
    main()
