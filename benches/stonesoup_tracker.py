#!/usr/bin/env python3
"""Run Stone Soup's multi-target tracker on the detections of Vigil's tracker benchmark.

Why: the reference figure for benches/tracker.rs. Stone Soup (the UK Defence Science and
Technology Laboratory's open tracking framework) is what Vigil's tracking module is modelled
on, so the same detections through a Stone Soup tracker built of the closest components give
a speed and an accuracy to set Vigil's beside.

Input (written by benches/tracker.rs, both sorted by time):
  detections CSV: time_s,x_m,y_m,std_m        one Position detection a row (ENU metres)
  truth CSV:      time_s,id,x_m,y_m           every target at every scan time

The tracker, component by component, against Vigil's TrackerConfig::default():
  * transition: CombinedLinearGaussianTransitionModel of two ConstantVelocity(q), q = 0.3
    m^2/s^3 (Vigil's white-acceleration spectral density, the same Q(dt));
  * measurement: LinearGaussian on (x, y), noise std_m^2 on each axis (std_m from the CSV);
  * KalmanPredictor, KalmanUpdater with the Joseph form (Vigil's updater uses it too);
  * DistanceHypothesiser with the Mahalanobis measure, missed_distance = sqrt(9.2103)
    (chi-square 0.99 for 2 dof: Vigil's gate, on the distance rather than its square);
  * GNNWith2DAssignment (Vigil's associator is GNN too, but minimises the summed negative
    log-likelihood, 0.5 (d^2 + ln det S), where Stone Soup minimises the summed distance d);
  * MultiMeasurementInitiator, min_points=3: a track is released to the tracker once 3
    updates (the initiating detection included) have come to it; its holding tracks are
    dropped after 3 scans in a row without an update (UpdateTimeStepsDeleter(3)). That is
    the closest Stone Soup has to Vigil's 3-of-5 confirmation: in Vigil a tentative track
    also needs 3 hits, and is dropped as soon as 3 of 5 is out of reach (which, after one
    hit, is 3 misses in a row; but Vigil also drops one still short of 3 hits after 5 scans,
    which Stone Soup's holding deleter does not). New tracks: position from the detection,
    velocity 0 with std 10 m/s (Vigil's init_speed_std_mps);
  * deleter: CompositeDeleter (union) of UpdateTimeStepsDeleter(31) (Vigil deletes a track
    not updated for more than coast_s = 30 s, at 1 scan per second after 31 misses) and
    CovarianceBasedDeleter on the position variances, trace > 2 * 500^2 m^2 (Vigil's
    max_pos_covar_trace_m2);
  * MultiTargetTracker, stepped with update_tracker(time, detections) one scan at a time.
Other differences that remain: Stone Soup's tracker holds confirmed tracks only and its
initiator associates its holding tracks with the detections that confirmed tracks did not
take; Vigil associates confirmed tracks first, then tentative ones, and starts tracks only
from detections that fell in no track's gate (Stone Soup: from every detection left over).

What is timed: only the update_tracker calls (the Detection objects are built beforehand,
the OSPA computed afterwards), wall time with time.perf_counter, garbage collection on.

OSPA (c, p) per scan between the positions of the confirmed tracks (tracker.tracks) and the
truth at that time, averaged over the scans from --warmup (0-based index) to the last one
run: computed here with numpy and scipy's linear_sum_assignment minimising the sum of
min(d, c)^p (the definition Vigil's tracking::ospa uses). Stone Soup's own OSPAMetric builds
its cost matrix with a Python call per pair (a million per scan here) and assigns on
min(d, c) rather than its p-th power, so it is run only on the last scan, as a cross-check
("ospametric_last_scan_m"), unless --no-ospametric.

Prints one JSON line:
  {"tool":"stonesoup","version":..,"detections":..,"seconds":..,"detections_per_s":..,
   "mean_ospa_m":..,"live_tracks":.., ...}
where detections counts the detections of the scans run, seconds is the tracking time of
those scans, live_tracks is the confirmed tracks plus the initiator's holding tracks after
the last scan (Vigil's live tracks are its confirmed and tentative ones).

Needs the venv of tests/tools/setup-venv.sh --with-stonesoup.
"""

import argparse
import csv
import datetime
import gc
import json
import math
import platform
import sys
import time
from collections import defaultdict


def fail(message):
    print(f"stonesoup_tracker.py: error: {message}", file=sys.stderr)
    sys.exit(1)


try:
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist
    import stonesoup
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.error import CovarianceBasedDeleter
    from stonesoup.deleter.multi import CompositeDeleter
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Euclidean, Mahalanobis
    from stonesoup.metricgenerator.ospametric import OSPAMetric
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel, ConstantVelocity)
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.detection import Detection
    from stonesoup.types.state import GaussianState, State
    from stonesoup.updater.kalman import KalmanUpdater
except ImportError as err:
    fail(f"cannot import Stone Soup ({err}): run with the python that "
         "'tests/tools/setup-venv.sh --with-stonesoup' prints")

# Vigil's TrackerConfig::default(), see the module documentation.
Q_ACCEL_M2PS3 = 0.3
GATE_CHI2_2DOF = 9.2103  # chi-square quantile 0.99, 2 dof
INIT_SPEED_STD_MPS = 10.0
MIN_POINTS = 3
HOLDING_MISSES = 3
COAST_SCANS = 31
MAX_POS_COVAR_TRACE_M2 = 2.0 * 500.0 * 500.0
EPOCH = datetime.datetime(2000, 1, 1)


def read_scans(path):
    """{time_s: [(x, y, std)]} in time order."""
    scans = defaultdict(list)
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            scans[float(row["time_s"])].append(
                (float(row["x_m"]), float(row["y_m"]), float(row["std_m"])))
    return dict(sorted(scans.items()))


def read_truth(path):
    """{time_s: np.array of (x, y)}."""
    truth = defaultdict(list)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            truth[float(row["time_s"])].append((float(row["x_m"]), float(row["y_m"])))
    return {t: np.array(points, dtype=float).reshape(-1, 2) for t, points in truth.items()}


def ospa(estimates, truths, c, p):
    """OSPA between two (k, 2) arrays: the assignment minimises sum min(d, c)^p."""
    m, n = len(estimates), len(truths)
    if m == 0 and n == 0:
        return 0.0
    if m == 0 or n == 0:
        return float(c)
    size = max(m, n)
    cost = np.full((size, size), float(c) ** p)
    cost[:m, :n] = np.minimum(cdist(estimates, truths), c) ** p
    rows, cols = linear_sum_assignment(cost)
    return float((cost[rows, cols].sum() / size) ** (1.0 / p))


def build_tracker():
    transition = CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(Q_ACCEL_M2PS3), ConstantVelocity(Q_ACCEL_M2PS3)])
    # The updater's default model; each detection carries its own (for its std).
    measurement = LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.diag([25.0, 25.0]))
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(measurement, use_joseph_cov=True)
    hypothesiser = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(),
                                        missed_distance=math.sqrt(GATE_CHI2_2DOF))
    associator = GNNWith2DAssignment(hypothesiser)
    speed_var = INIT_SPEED_STD_MPS ** 2
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState(np.zeros((4, 1)), np.diag([0.0, speed_var, 0.0, speed_var])),
        measurement_model=measurement,
        deleter=UpdateTimeStepsDeleter(HOLDING_MISSES),
        data_associator=GNNWith2DAssignment(hypothesiser),
        updater=updater,
        min_points=MIN_POINTS,
    )
    deleter = CompositeDeleter(
        [UpdateTimeStepsDeleter(COAST_SCANS),
         CovarianceBasedDeleter(covar_trace_thresh=MAX_POS_COVAR_TRACE_M2, mapping=[0, 2])],
        intersect=False)
    tracker = MultiTargetTracker(initiator=initiator, deleter=deleter, detector=None,
                                 data_associator=associator, updater=updater)
    return tracker, initiator


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("detections", help="detections CSV: time_s,x_m,y_m,std_m")
    parser.add_argument("truth", help="truth CSV: time_s,id,x_m,y_m")
    parser.add_argument("--scans", type=int, default=None,
                        help="run the first K scans only (default: all)")
    parser.add_argument("--warmup", type=int, default=10,
                        help="scans before the first one scored by OSPA (default: %(default)s)")
    parser.add_argument("--ospa-c", type=float, default=50.0)
    parser.add_argument("--ospa-p", type=float, default=2.0)
    parser.add_argument("--no-ospametric", action="store_true",
                        help="skip the cross-check with Stone Soup's OSPAMetric on the last scan")
    parser.add_argument("--progress", action="store_true",
                        help="print each scan's time and track counts on stderr")
    args = parser.parse_args()

    scans = read_scans(args.detections)
    truth = read_truth(args.truth)
    if not scans:
        fail(f"no detections in {args.detections}")
    times = list(scans)
    if args.scans is not None:
        if args.scans < 1:
            fail("--scans must be at least 1")
        times = times[:args.scans]
    if args.warmup >= len(times):
        fail(f"--warmup {args.warmup} leaves no scan to score out of {len(times)}")

    # The detections as Stone Soup objects, built outside the timing.
    models = {}

    def model_for(std):
        if std not in models:
            models[std] = LinearGaussian(ndim_state=4, mapping=(0, 2),
                                         noise_covar=np.diag([std * std, std * std]))
        return models[std]

    batches = []
    for t in times:
        stamp = EPOCH + datetime.timedelta(seconds=t)
        detections = {Detection(np.array([[x], [y]]), timestamp=stamp,
                                measurement_model=model_for(std))
                      for x, y, std in scans[t]}
        batches.append((t, stamp, detections))

    tracker, initiator = build_tracker()
    seconds = 0.0
    ospas = []
    n_detections = 0
    last_positions = None
    for index, (t, stamp, detections) in enumerate(batches):
        started = time.perf_counter()
        _, tracks = tracker.update_tracker(stamp, detections)
        elapsed = time.perf_counter() - started
        seconds += elapsed
        n_detections += len(detections)
        positions = np.array([[track.state_vector[0, 0], track.state_vector[2, 0]]
                              for track in tracks], dtype=float).reshape(-1, 2)
        last_positions = (stamp, positions)
        if index >= args.warmup:
            if t not in truth:
                fail(f"no truth at time {t}")
            value = ospa(positions, truth[t], args.ospa_c, args.ospa_p)
            if not math.isfinite(value):
                fail(f"OSPA at time {t} is {value}")
            ospas.append(value)
        if args.progress:
            print(f"scan {index} t={t:g}: {len(detections)} detections, {elapsed:.2f} s, "
                  f"{len(tracks)} confirmed, {len(initiator.holding_tracks)} holding",
                  file=sys.stderr, flush=True)

    confirmed = len(tracker.tracks)
    holding = len(initiator.holding_tracks)
    result = {
        "tool": "stonesoup",
        "version": stonesoup.__version__,
        "detections": n_detections,
        "scans": len(batches),
        "seconds": round(seconds, 4),
        "detections_per_s": round(n_detections / seconds, 1),
        "mean_ospa_m": round(sum(ospas) / len(ospas), 4),
        "ospa_scans": len(ospas),
        "warmup": args.warmup,
        "live_tracks": confirmed + holding,
        "confirmed_tracks": confirmed,
        "holding_tracks": holding,
        "initiator": f"MultiMeasurementInitiator(min_points={MIN_POINTS}, "
                     f"holding deleter UpdateTimeStepsDeleter({HOLDING_MISSES}))",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "gc": gc.isenabled(),
    }
    if not args.no_ospametric:
        # Cross-check of the OSPA with Stone Soup's own metric on the last scan.
        stamp, positions = last_positions
        t = batches[-1][0]
        metric = OSPAMetric(c=args.ospa_c, p=args.ospa_p, measure=Euclidean())
        track_states = [State(np.array([[x], [y]]), timestamp=stamp) for x, y in positions]
        truth_states = [State(np.array([[x], [y]]), timestamp=stamp) for x, y in truth[t]]
        check = metric.compute_OSPA_distance(track_states, truth_states).value
        result["ospametric_last_scan_m"] = round(float(check), 4)
        result["ospa_last_scan_m"] = round(ospa(positions, truth[t], args.ospa_c, args.ospa_p), 4)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
