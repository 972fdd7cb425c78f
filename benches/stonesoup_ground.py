#!/usr/bin/env python3
"""Run Stone Soup's multi-target tracker on the ground-surveillance detections of Vigil's
tracker scale benchmark (benches/tracker_scale.rs).

Why: the reference figure for benches/tracker_scale.rs, as benches/stonesoup_tracker.py is
for benches/tracker.rs: the same detections through a Stone Soup tracker built of the
closest components give a speed and an accuracy to set Vigil's beside.

Input (written by benches/tracker_scale.rs, sorted by time, one scan a second from 0):
  detections CSV: time_s,source,kind,sensor_x_m,sensor_y_m,z0,z1,std0,std1
      kind "rb":  a ground sensor's range-bearing detection: z0 range (m), z1 bearing
                  (radians clockwise from north, Vigil's convention), std0/std1 their stds;
      kind "pos": the camera's position detection: z0,z1 = x,y (ENU m), std0 = std1 (m);
  truth CSV:      time_s,id,x_m,y_m   the movers inside some coverage at that scan.

The tracker, component by component, against Vigil's TrackerConfig::default():
  * transition: two ConstantVelocity(q), q = 0.3 m^2/s^3;
  * measurement: CartesianToBearingRange per sensor (translation_offset = the sensor's
    position; Stone Soup's bearing is counter-clockwise from east, so phi = pi/2 - bearing),
    noise diag(bearing_std^2, range_std^2); LinearGaussian on (x, y) for the camera;
  * KalmanPredictor, ExtendedKalmanUpdater with the Joseph form;
  * DistanceHypothesiser with the Mahalanobis measure, missed_distance = sqrt(9.2103)
    (chi-square 0.99 for 2 dof, Vigil's gate);
  * GNNWith2DAssignment, run once per source in source order within a scan (Vigil
    associates each source's detections of a scan together, so a track can take one
    detection from each sensor that sees it; one call for the whole scan would give a track
    one detection and start duplicates from the others);
  * MultiMeasurementInitiator, min_points = 3, holding tracks dropped after 3 s without an
    update (UpdateTimeDeleter, since a scan is several calls); new tracks at rest, velocity
    std 10 m/s;
  * deleter: UpdateTimeDeleter(30.5 s) or CovarianceBasedDeleter (trace > 2 * 500^2 m^2).
    Vigil also shortens the life of a track that its coverage should have seen and did not;
    Stone Soup has no such part.

What is timed: only the update_tracker calls, CPU time of the process (time.process_time),
numeric libraries held to one thread by the caller.

OSPA (c, p) per scan between the confirmed tracks' positions and the covered truth, averaged
over the scans from --warmup (0-based) to the last one run; the assignment minimises the sum
of min(d, c)^p (Vigil's tracking::ospa).

Prints one JSON line: {"tool":"stonesoup","version":..,"detections":..,"scans":..,
"cpu_seconds":..,"detections_per_cpu_s":..,"mean_ospa_m":..,"tracks_ever_confirmed":..}.

Needs the venv of tests/tools/setup-venv.sh --with-stonesoup.
"""

import argparse
import csv
import datetime
import json
import math
import os
import sys
import time
from collections import defaultdict


def fail(message):
    print(f"stonesoup_ground.py: error: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import numpy as np
    import stonesoup
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.error import CovarianceBasedDeleter
    from stonesoup.deleter.multi import CompositeDeleter
    from stonesoup.deleter.time import UpdateTimeDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.measurement.nonlinear import CartesianToBearingRange
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel, ConstantVelocity)
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.angle import Bearing
    from stonesoup.types.array import StateVector
    from stonesoup.types.detection import Detection
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import ExtendedKalmanUpdater
except ImportError as err:
    fail(f"cannot import Stone Soup ({err}): run with the python that "
         "'tests/tools/setup-venv.sh --with-stonesoup' prints")

# The truth reader and the OSPA of the point-detection bench beside this script, so that both
# benches score the same way; imported without writing a __pycache__ into the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stonesoup_tracker import ospa, read_truth  # noqa: E402

# Vigil's TrackerConfig::default(), see the module documentation.
Q_ACCEL_M2PS3 = 0.3
GATE_CHI2_2DOF = 9.2103
INIT_SPEED_STD_MPS = 10.0
MIN_POINTS = 3
HOLDING_S = 2.5
COAST_S = 30.5
MAX_POS_COVAR_TRACE_M2 = 2.0 * 500.0 * 500.0
EPOCH = datetime.datetime(2000, 1, 1)


def read_scans(path):
    """{time_s: [row]} in time order."""
    scans = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            scans[float(row["time_s"])].append(row)
    return scans


def build_tracker(camera_model):
    transition = CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(Q_ACCEL_M2PS3), ConstantVelocity(Q_ACCEL_M2PS3)])
    predictor = KalmanPredictor(transition)
    updater = ExtendedKalmanUpdater(camera_model, use_joseph_cov=True)
    hypothesiser = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(),
                                        missed_distance=math.sqrt(GATE_CHI2_2DOF))
    speed_var = INIT_SPEED_STD_MPS ** 2
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState(np.zeros((4, 1)), np.diag([0.0, speed_var, 0.0, speed_var])),
        measurement_model=camera_model,
        deleter=UpdateTimeDeleter(datetime.timedelta(seconds=HOLDING_S)),
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
        min_points=MIN_POINTS,
    )
    deleter = CompositeDeleter(
        [UpdateTimeDeleter(datetime.timedelta(seconds=COAST_S)),
         CovarianceBasedDeleter(covar_trace_thresh=MAX_POS_COVAR_TRACE_M2, mapping=[0, 2])],
        intersect=False)
    return MultiTargetTracker(initiator=initiator, deleter=deleter, detector=None,
                              data_associator=GNNWith2DAssignment(hypothesiser),
                              updater=updater)


def build_batches(scans, n_scans):
    """Per scan: (time, stamp, [(source, {Detection})] in source order), outside the timing."""
    models = {}

    def model_for(row):
        source = int(row["source"])
        if source not in models:
            if row["kind"] == "rb":
                offset = StateVector([[float(row["sensor_x_m"])], [float(row["sensor_y_m"])]])
                models[source] = CartesianToBearingRange(
                    ndim_state=4, mapping=(0, 2),
                    noise_covar=np.diag([float(row["std1"]) ** 2, float(row["std0"]) ** 2]),
                    translation_offset=offset)
            else:
                std = float(row["std0"])
                models[source] = LinearGaussian(ndim_state=4, mapping=(0, 2),
                                                noise_covar=np.diag([std * std, std * std]))
        return models[source]

    batches = []
    for k in range(n_scans):
        t = float(k)
        stamp = EPOCH + datetime.timedelta(seconds=t)
        by_source = defaultdict(set)
        for row in scans.get(t, []):
            z0, z1 = float(row["z0"]), float(row["z1"])
            if row["kind"] == "rb":
                phi = math.atan2(math.cos(z1), math.sin(z1))  # pi/2 - bearing, wrapped
                vector = StateVector([[Bearing(phi)], [z0]])
            elif row["kind"] == "pos":
                vector = StateVector([[z0], [z1]])
            else:
                fail(f"unknown detection kind {row['kind']!r}")
            by_source[int(row["source"])].add(
                Detection(vector, timestamp=stamp, measurement_model=model_for(row)))
        batches.append((t, stamp, sorted(by_source.items())))
    return batches


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("detections")
    parser.add_argument("truth")
    parser.add_argument("--scans", type=int, required=True, help="run the first K scans")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--ospa-c", type=float, default=100.0)
    parser.add_argument("--ospa-p", type=float, default=1.0)
    args = parser.parse_args()
    if args.scans <= args.warmup:
        fail(f"--scans {args.scans} leaves no scan to score after --warmup {args.warmup}")

    scans = read_scans(args.detections)
    truth = read_truth(args.truth)
    batches = build_batches(scans, args.scans)
    camera_model = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.diag([16.0, 16.0]))
    tracker = build_tracker(camera_model)

    cpu = 0.0
    n_detections = 0
    ospas = []
    confirmed_ids = set()
    empty = np.zeros((0, 2))
    for index, (t, stamp, sources) in enumerate(batches):
        calls = sources if sources else [(0, set())]
        for _, detections in calls:
            started = time.process_time()
            _, tracks = tracker.update_tracker(stamp, detections)
            cpu += time.process_time() - started
            n_detections += len(detections)
        tracks = tracker.tracks
        confirmed_ids.update(track.id for track in tracks)
        positions = np.array([[tr.state_vector[0, 0], tr.state_vector[2, 0]] for tr in tracks],
                             dtype=float).reshape(-1, 2)
        if index >= args.warmup:
            ospas.append(ospa(positions, truth.get(t, empty), args.ospa_c, args.ospa_p))
        if index % 50 == 0:
            print(f"stonesoup_ground.py: scan {index}/{len(batches)}, {len(tracks)} tracks, "
                  f"{cpu:.1f} s CPU", file=sys.stderr, flush=True)

    print(json.dumps({
        "tool": "stonesoup",
        "version": stonesoup.__version__,
        "detections": n_detections,
        "scans": len(batches),
        "cpu_seconds": round(cpu, 3),
        "detections_per_cpu_s": round(n_detections / cpu, 1) if cpu > 0 else None,
        "mean_ospa_m": round(sum(ospas) / len(ospas), 4),
        "ospa_scans": len(ospas),
        "tracks_ever_confirmed": len(confirmed_ids),
    }))


if __name__ == "__main__":
    main()
