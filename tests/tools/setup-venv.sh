#!/usr/bin/env bash
# Sets up the Python side of Vigil's cross-checks: a venv with a pinned pymavlink, and
# pymavlink's Python bindings of the Vigil dialect (hardware/dialect/vigil.xml), generated
# with mavgen. The tools beside this script (pymav_peer.py, tlog_dump.py, make_tlog.py) and
# benches/pymavlink_decode.py run in that venv and load the generated module from
# <venv>/vigil_dialect/vigil.py.
#
# Why: pymavlink is the reference MAVLink implementation (MAVProxy, ArduPilot's autotest),
# so a second, independent implementation to test Vigil's Rust code against.
#
# Idempotent and quick when already set up (no pip, no mavgen): the packages are
# installed only when the installed versions differ from the pins, and the dialect is
# regenerated only when an XML file of the dialect folder is newer than the generated
# module, or the pins or the XML path changed. Safe to run concurrently (flock).
#
# Options:
#   --with-stonesoup    also install the STONESOUP_PINS below into the same venv, for
#                       benches/stonesoup_tracker.py (the reference of `cargo bench --bench
#                       tracker`). Without it nothing about Stone Soup is checked or installed,
#                       so the default path stays as quick as before.
#   --with-mavproxy     also install the MAVPROXY_PINS below into the same venv, for
#                       tests/tools/mavproxy_fly.py (MAVProxy, a ground station nobody here
#                       wrote, flying `vigil sim`). Checked and installed only with this
#                       option, like --with-stonesoup. Options combine.
#   --with-browser      also install the BROWSER_PINS below, for tests/tools/report_page.py
#                       (Selenium driving Debian's chromium through chromedriver, both from
#                       apt: .ci/run installs them).
#
# Environment:
#   VIGIL_VENV          where the venv goes (default: <repo>/target/xcheck-venv)
#   VIGIL_DIALECT_XML   the dialect to generate (default: <repo>/hardware/dialect/vigil.xml)
#   PYTHON              the interpreter that creates the venv (default: python3)
#
# The last line printed is the venv's python.
set -euo pipefail

# Pins: pymavlink and the two packages it requires (fastcrc is its compiled CRC; the
# decode speed depends on it, so it is pinned as well).
PINS=(pymavlink==2.4.50 fastcrc==0.5.0 lxml==6.1.3)
# Pins of --with-stonesoup: Stone Soup (needs Python 3.10+) and the numeric packages its
# speed depends on; its other requirements come in at whatever versions pip resolves.
STONESOUP_PINS=(stonesoup==1.9.1 numpy==2.4.6 scipy==1.17.1)
# Pins of --with-mavproxy: MAVProxy, installed without its dependencies (they take in vtk,
# opencv-python and matplotlib, hundreds of MB for the 3D map and the graphs), and the
# requirements of its console and default modules: pyserial (mavproxy.py imports it),
# defusedxml, numpy (the terrain module) and pynmeagps. Its pymavlink is PINS' (MAVProxy
# wants >= 2.4.38). Only the adsb module, which wants Pillow, does not load; a flight does
# not need it.
MAVPROXY_PINS=(MAVProxy==1.8.75 pyserial==3.5 defusedxml==0.7.1 numpy==2.4.6 pynmeagps==1.1.8)
# Pins of --with-browser: Selenium, the WebDriver client (its own requirements at whatever
# versions pip resolves; 4.51 and later want a certifi newer than the index has). It is given
# /usr/bin/chromedriver, so it never downloads a driver.
BROWSER_PINS=(selenium==4.50.0)

die() {
    echo "setup-venv.sh: error: $*" >&2
    exit 1
}

WITH_STONESOUP=0
WITH_MAVPROXY=0
WITH_BROWSER=0
for arg in "$@"; do
    case "$arg" in
        --with-stonesoup) WITH_STONESOUP=1 ;;
        --with-mavproxy) WITH_MAVPROXY=1 ;;
        --with-browser) WITH_BROWSER=1 ;;
        *) die "unknown option '$arg' (the options are --with-stonesoup, --with-mavproxy and --with-browser)" ;;
    esac
done

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VIGIL_VENV:-$REPO/target/xcheck-venv}"
XML="${VIGIL_DIALECT_XML:-$REPO/hardware/dialect/vigil.xml}"
PYTHON="${PYTHON:-python3}"

[ -f "$XML" ] || die "dialect XML not found: $XML"
XML="$(cd "$(dirname "$XML")" && pwd)/$(basename "$XML")"
XML_DIR="$(dirname "$XML")"

mkdir -p "$VENV" || die "cannot create $VENV"
VENV="$(cd "$VENV" && pwd)"
PY="$VENV/bin/python"
DIALECT_DIR="$VENV/vigil_dialect"
MODULE="$DIALECT_DIR/vigil.py"
STAMP="$DIALECT_DIR/vigil.stamp"

# Serialize concurrent runs (e.g. several integration tests starting at once).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$VENV/.setup.lock"
    flock 9 || die "cannot lock $VENV/.setup.lock"
fi

# 1. The venv.
if [ ! -x "$PY" ]; then
    command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (set PYTHON to a Python 3.8+ interpreter)"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' \
        || die "$PYTHON is older than 3.8, which pymavlink needs"
    echo "creating venv $VENV" >&2
    "$PYTHON" -m venv "$VENV" >&2 \
        || die "'$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)"
fi

# 2. The pinned packages (checked without importing them: fast).
installed_ok() {
    "$PY" - "$@" <<'EOF'
import sys
from importlib import metadata
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
EOF
}
if ! installed_ok "${PINS[@]}"; then
    echo "installing ${PINS[*]} into $VENV" >&2
    "$PY" -m pip install --disable-pip-version-check --quiet "${PINS[@]}" >&2 \
        || die "pip install ${PINS[*]} failed"
    installed_ok "${PINS[@]}" || die "pip ran but the installed versions do not match ${PINS[*]}"
fi

# 2b. With --with-stonesoup, Stone Soup's pins, checked the same way.
if [ "$WITH_STONESOUP" = 1 ]; then
    if ! installed_ok "${STONESOUP_PINS[@]}"; then
        echo "installing ${STONESOUP_PINS[*]} into $VENV" >&2
        "$PY" -m pip install --disable-pip-version-check --quiet "${STONESOUP_PINS[@]}" >&2 \
            || die "pip install ${STONESOUP_PINS[*]} failed (Stone Soup needs Python 3.10+)"
        installed_ok "${STONESOUP_PINS[@]}" \
            || die "pip ran but the installed versions do not match ${STONESOUP_PINS[*]}"
    fi
fi

# 2c. With --with-mavproxy, MAVProxy's pins, checked the same way; MAVProxy itself with
# --no-deps (see MAVPROXY_PINS), so pip neither pulls its GUI dependencies in nor touches
# the pymavlink of PINS.
if [ "$WITH_MAVPROXY" = 1 ]; then
    if ! installed_ok "${MAVPROXY_PINS[@]}"; then
        echo "installing ${MAVPROXY_PINS[*]} into $VENV" >&2
        "$PY" -m pip install --disable-pip-version-check --quiet "${MAVPROXY_PINS[@]:1}" >&2 \
            || die "pip install ${MAVPROXY_PINS[*]:1} failed"
        "$PY" -m pip install --disable-pip-version-check --quiet --no-deps \
                "${MAVPROXY_PINS[0]}" >&2 \
            || die "pip install --no-deps ${MAVPROXY_PINS[0]} failed"
        installed_ok "${MAVPROXY_PINS[@]}" \
            || die "pip ran but the installed versions do not match ${MAVPROXY_PINS[*]}"
    fi
    [ -x "$VENV/bin/mavproxy.py" ] || die "MAVProxy is installed but $VENV/bin/mavproxy.py is not there"
fi

# 2d. With --with-browser, Selenium's pin, checked the same way.
if [ "$WITH_BROWSER" = 1 ]; then
    if ! installed_ok "${BROWSER_PINS[@]}"; then
        echo "installing ${BROWSER_PINS[*]} into $VENV" >&2
        "$PY" -m pip install --disable-pip-version-check --quiet "${BROWSER_PINS[@]}" >&2 \
            || die "pip install ${BROWSER_PINS[*]} failed"
        installed_ok "${BROWSER_PINS[@]}" \
            || die "pip ran but the installed versions do not match ${BROWSER_PINS[*]}"
    fi
fi

# 3. The dialect module.
WANT_STAMP="${PINS[*]} $XML"
need_gen=0
if [ ! -f "$MODULE" ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT_STAMP" ]; then
    need_gen=1
elif [ -n "$(find "$XML_DIR" -maxdepth 1 -name '*.xml' -newer "$MODULE" -print -quit)" ]; then
    need_gen=1
fi

if [ "$need_gen" = 1 ]; then
    echo "generating $MODULE from $XML" >&2
    mkdir -p "$DIALECT_DIR"
    # An out-of-date module must not outlive a failed generation.
    rm -f "$MODULE" "$STAMP"
    rm -rf "$DIALECT_DIR/__pycache__"
    # mavgen names the dialect after the output file, so generate vigil.py in a temporary
    # folder and move it into place (no half-written module if mavgen fails).
    TMP="$(mktemp -d "$DIALECT_DIR/.gen.XXXXXX")"
    trap 'rm -rf "$TMP"' EXIT
    if ! "$PY" -m pymavlink.tools.mavgen --lang=Python3 --wire-protocol=2.0 \
            --output="$TMP/vigil.py" "$XML" >"$TMP/mavgen.log" 2>&1 \
            || [ ! -f "$TMP/vigil.py" ]; then
        grep -E 'ERROR|Error|error' "$TMP/mavgen.log" >&2 || tail -n 20 "$TMP/mavgen.log" >&2
        die "mavgen could not generate the Python bindings of $XML (mavgen's errors are above)"
    fi
    # The generated module must import and round-trip VIGIL_DETECTION.
    "$PY" - "$TMP/vigil.py" <<'EOF' >&2 || die "the generated module failed its self-check"
import importlib.util, math, sys
spec = importlib.util.spec_from_file_location("vigil", sys.argv[1])
vigil = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vigil)
for name in ("VIGIL_DETECTION", "VIGIL_SENSOR_STATUS"):
    if not hasattr(vigil, "MAVLINK_MSG_ID_" + name):
        sys.exit("generated module has no " + name)
class Sink:
    def write(self, buf):
        self.buf = bytes(buf)
sink = Sink()
tx = vigil.MAVLink(sink, srcSystem=101, srcComponent=1)
nan = float("nan")
tx.vigil_detection_send(1700000000000000, 7, 5, 3, 0, nan, nan, nan, nan,
                        123400000, 567800000, 4.5, 80, 1, 2)
rx = vigil.MAVLink(None)
msg = rx.parse_char(sink.buf)
if msg is None or msg.get_type() != "VIGIL_DETECTION" or msg.lat != 123400000 \
        or msg.count != 2 or not math.isnan(msg.range_m):
    sys.exit("VIGIL_DETECTION did not round-trip: %r" % (msg,))
EOF
    mv -f "$TMP/vigil.py" "$MODULE"
    rm -rf "$DIALECT_DIR/__pycache__"
    "$PY" -m compileall -q "$MODULE" >/dev/null || die "cannot byte-compile $MODULE"
    printf '%s\n' "$WANT_STAMP" >"$STAMP"
fi

echo "$PY"
