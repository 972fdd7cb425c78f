"""What the Vigil pymavlink tools share: the venv's location, the error exit, the
--dialect-dir option, and the loading of the generated Vigil dialect into pymavlink.

Imported by tests/tools/pymav_peer.py, tests/tools/tlog_dump.py, tests/tools/make_tlog.py
(from their own folder) and benches/pymavlink_decode.py (which puts this folder on
sys.path). Standard library only at import time: the scripts import it before they know
whether this python has pymavlink (load_dialect re-executes them with the venv's python
when it has not).
"""

import importlib.util
import math
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_VENV = Path(os.environ.get("VIGIL_VENV") or REPO / "target" / "xcheck-venv")


def fail(message):
    """Print "<script>: error: message" on stderr and exit with status 1."""
    print(f"{Path(sys.argv[0]).name}: error: {message}", file=sys.stderr)
    sys.exit(1)


def add_dialect_dir_argument(parser):
    """Add --dialect-dir, the folder of the generated vigil.py, to an argparse parser."""
    parser.add_argument("--dialect-dir", default=str(DEFAULT_VENV / "vigil_dialect"),
                        help="folder of the generated vigil.py (default: %(default)s)")


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


# --- Geometry and checks the ground-station scripts (pymav_gcs, mavproxy_fly) share. ---

EARTH_RADIUS_M = 6_378_137.0


class StepFailed(Exception):
    """A step of a scripted flight did not happen as it should."""


def offset(lat_deg, lon_deg, distance_m, bearing_deg):
    """The point distance_m from (lat, lon) towards bearing_deg (flat earth, fine at 150 m)."""
    north = distance_m * math.cos(math.radians(bearing_deg))
    east = distance_m * math.sin(math.radians(bearing_deg))
    dlat = math.degrees(north / EARTH_RADIUS_M)
    dlon = math.degrees(east / (EARTH_RADIUS_M * math.cos(math.radians(lat_deg))))
    return lat_deg + dlat, lon_deg + dlon


def distance_m(a, b):
    """Haversine distance between two (lat, lon) in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def contains_in_order(seen, wanted):
    """True when `wanted` occurs in `seen` in order (other items may come between)."""
    it = iter(seen)
    return all(any(x == w for x in it) for w in wanted)
