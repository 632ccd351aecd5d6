"""Reference values for Tideline's statistics and drift detectors, computed by the real peers.

Writes the fixtures the Swift tests read:
  Tests/StatisticsTests/Fixtures/scipy_reference.json  (scipy: ks_2samp, kstwo.sf, chi2_contingency,
      jensenshannon, wasserstein_distance, skew, kurtosis, false_discovery_control, chi2.sf)
  Tests/DriftTests/Fixtures/river_detectors.json       (River: ADWIN, DDM, EDDM, PageHinkley, KSWIN)

Inputs are not stored: both sides regenerate them from SplitMix64 with integer arithmetic only
(`Statistics.SplitMix64` and `TestStreams` in Swift), so the fixtures stay small and the data is identical
bit for bit. Run: Benchmarks/.venv/bin/python Benchmarks/peers/drift_reference.py
"""
import json
import math
import os
import sys

import numpy as np
import scipy
import river
from scipy import stats
from scipy.spatial import distance
from river import drift

from splitmix import MASK, SplitMix64  # noqa: F401


def sample(spec):
    """A sample described by spec: kind 'uniform' (ints in [0, scale)), 'normal' (Irwin-Hall sum of
    4 uniforms in [0, scale) minus 2*scale), or 'discrete' (ints in [0, scale), heavy ties); plus shift; values are
    (k + shift) / 1000 exactly."""
    rng = SplitMix64(spec["seed"])
    kind, n, scale, shift = spec["kind"], spec["n"], spec["scale"], spec["shift"]
    out = []
    for _ in range(n):
        if kind == "normal":
            k = sum(rng.below(scale) for _ in range(4)) - 2 * scale
        else:
            k = rng.below(scale)
        out.append((k + shift) / 1000.0)
    return out


def bernoulli_stream(seed, segments):
    """Binary stream: segments is a list of [length, p]; x = 1 when 53 random bits < p * 2**53."""
    rng = SplitMix64(seed)
    out = []
    for length, p in segments:
        threshold = int(p * 2**53)
        for _ in range(length):
            out.append(1 if (rng.next() >> 11) < threshold else 0)
    return out


def numeric_stream(seed, segments):
    """Numeric stream: segments is a list of [length, scale, shift] drawn like sample(kind='normal')."""
    rng = SplitMix64(seed)
    out = []
    for length, scale, shift in segments:
        for _ in range(length):
            k = sum(rng.below(scale) for _ in range(4)) - 2 * scale
            out.append((k + shift) / 1000.0)
    return out


def ks_cases():
    cases = []
    def spec(seed, kind, n, scale, shift):
        return {"seed": seed, "kind": kind, "n": n, "scale": scale, "shift": shift}
    plans = [
        # (a, b, method)
        (spec(1, "normal", 30, 1000, 0), spec(2, "normal", 30, 1000, 0), "auto"),
        (spec(3, "normal", 30, 1000, 0), spec(4, "normal", 30, 1000, 900), "auto"),
        (spec(5, "normal", 100, 1000, 0), spec(6, "normal", 70, 1000, 200), "auto"),
        (spec(7, "discrete", 500, 12, 0), spec(8, "discrete", 400, 12, 1), "auto"),
        (spec(9, "uniform", 1000, 100000, 0), spec(10, "uniform", 1000, 100000, 3000), "auto"),
        (spec(11, "normal", 2000, 1000, 0), spec(12, "normal", 1500, 1000, 40), "auto"),
        (spec(13, "normal", 5000, 1000, 0), spec(14, "normal", 3000, 1000, 0), "auto"),
        (spec(15, "normal", 10000, 1000, 0), spec(16, "normal", 10000, 1000, 0), "auto"),
        (spec(17, "normal", 10000, 1000, 0), spec(18, "normal", 10000, 1000, 30), "auto"),
        (spec(19, "normal", 10000, 1000, 0), spec(20, "normal", 7000, 1000, 25), "auto"),
        (spec(21, "normal", 20000, 1000, 0), spec(22, "normal", 15000, 1000, 0), "auto"),
        (spec(23, "normal", 20000, 1000, 0), spec(24, "normal", 15000, 1000, 30), "auto"),
        (spec(25, "normal", 12000, 1000, 0), spec(26, "normal", 300, 1000, 100), "auto"),
        (spec(27, "normal", 10001, 1000, 0), spec(28, "normal", 100, 1000, 0), "auto"),
        (spec(29, "normal", 10001, 1000, 0), spec(30, "normal", 100, 1000, 300), "auto"),
        (spec(31, "normal", 50000, 1000, 0), spec(32, "normal", 40000, 1000, 8), "auto"),
        (spec(33, "discrete", 30000, 50, 0), spec(34, "discrete", 20000, 50, 0), "auto"),
        (spec(35, "normal", 400, 1000, 0), spec(36, "normal", 300, 1000, 150), "exact"),
        (spec(37, "normal", 400, 1000, 0), spec(38, "normal", 300, 1000, 150), "asymp"),
        (spec(39, "normal", 3000, 1000, 0), spec(40, "normal", 3000, 1000, 2000), "auto"),
    ]
    for a, b, method in plans:
        r = stats.ks_2samp(sample(a), sample(b), method=method)
        cases.append({"a": a, "b": b, "method": method,
                      "statistic": float(r.statistic), "p_value": float(r.pvalue)})
    return cases


def kstwo_cases():
    out = []
    for n in [5, 40, 100, 140, 141, 300, 2000, 8333, 50000, 150000]:
        for x in [0.6 / n, 1.0 / n, 2.5 / n, 0.01, 0.02, 0.05, 0.1, 0.3, 0.55, 0.9, 1.5 / math.sqrt(n),
                  0.8 / math.sqrt(n), 0.5 / math.sqrt(n), 1.3 / math.sqrt(n)]:
            if 0 < x < 1:
                out.append({"n": n, "x": x, "sf": float(stats.kstwo.sf(x, n))})
    return out


def categorical_cases():
    out = []
    tables = [
        [[120, 80, 50, 0], [100, 90, 40, 20]],
        [[5000, 3000, 2000], [5100, 2950, 1950]],
        [[10, 0, 30, 60, 5], [12, 3, 25, 70, 0]],
        [[1, 999], [30, 970]],
    ]
    for ref, cur in tables:
        # Drop categories empty on both sides (chi2_contingency refuses zero expected counts).
        cols = [i for i in range(len(ref)) if ref[i] + cur[i] > 0]
        table = np.array([[ref[i] for i in cols], [cur[i] for i in cols]])
        chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
        pr = np.array(ref, float) / sum(ref)
        pc = np.array(cur, float) / sum(cur)
        out.append({"reference": ref, "current": cur, "chi2": float(chi2), "p_value": float(p), "dof": int(dof),
                    "js_distance_base2": float(distance.jensenshannon(pr, pc, base=2))})
    return out


def chi2_sf_cases():
    return [{"x": x, "k": k, "sf": float(stats.chi2.sf(x, k))}
            for k in [1, 2, 3, 7, 30, 200] for x in [0.01, 0.5, 1.0, 3.84, 10.0, 50.0, 250.0]]


def continuous_cases():
    out = []
    for a, b in [({"seed": 41, "kind": "normal", "n": 1000, "scale": 1000, "shift": 0},
                  {"seed": 42, "kind": "normal", "n": 700, "scale": 1000, "shift": 300}),
                 ({"seed": 43, "kind": "discrete", "n": 500, "scale": 20, "shift": 0},
                  {"seed": 44, "kind": "uniform", "n": 800, "scale": 20000, "shift": 5})]:
        xa, xb = np.array(sample(a)), np.array(sample(b))
        out.append({"a": a, "b": b,
                    "wasserstein": float(stats.wasserstein_distance(xa, xb)),
                    "mean": float(np.mean(xa)), "variance": float(np.var(xa, ddof=1)),
                    "skewness": float(stats.skew(xa)), "kurtosis": float(stats.kurtosis(xa)),
                    "min": float(xa.min()), "max": float(xa.max())})
    return out


def fdr_cases():
    ps = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216, 0.222, 0.251, 0.269, 0.275, 0.34,
          0.341, 0.384, 0.569, 0.594, 0.696, 0.762, 0.94, 0.942, 0.975, 0.986]
    return {"p_values": ps, "bh_adjusted": [float(v) for v in stats.false_discovery_control(ps, method="bh")]}


def detector_cases():
    cases = []
    streams = {
        "binary_abrupt": ("binary", bernoulli_stream(101, [[3000, 0.1], [3000, 0.35]])),
        "binary_gradual": ("binary", bernoulli_stream(102, [[2000, 0.05], [2000, 0.12], [2000, 0.25], [2000, 0.5]])),
        "binary_recurring": ("binary", bernoulli_stream(103, [[1500, 0.2], [1500, 0.6], [1500, 0.2], [1500, 0.6]])),
        "binary_stationary": ("binary", bernoulli_stream(104, [[8000, 0.3]])),
        "numeric_abrupt": ("numeric", numeric_stream(105, [[2000, 1000, 0], [2000, 1000, 800]])),
        "numeric_gradual": ("numeric", numeric_stream(106, [[1500, 1000, 0], [1500, 1000, 150], [1500, 1000, 300],
                                                           [1500, 1000, 450]])),
        "numeric_variance": ("numeric", numeric_stream(107, [[2500, 500, 0], [2500, 3000, 0]])),
        "numeric_stationary": ("numeric", numeric_stream(108, [[6000, 1000, 0]])),
    }
    stream_specs = {
        "binary_abrupt": {"kind": "binary", "seed": 101, "segments": [[3000, 0.1], [3000, 0.35]]},
        "binary_gradual": {"kind": "binary", "seed": 102, "segments": [[2000, 0.05], [2000, 0.12], [2000, 0.25], [2000, 0.5]]},
        "binary_recurring": {"kind": "binary", "seed": 103, "segments": [[1500, 0.2], [1500, 0.6], [1500, 0.2], [1500, 0.6]]},
        "binary_stationary": {"kind": "binary", "seed": 104, "segments": [[8000, 0.3]]},
        "numeric_abrupt": {"kind": "numeric", "seed": 105, "segments": [[2000, 1000, 0], [2000, 1000, 800]]},
        "numeric_gradual": {"kind": "numeric", "seed": 106, "segments": [[1500, 1000, 0], [1500, 1000, 150], [1500, 1000, 300], [1500, 1000, 450]]},
        "numeric_variance": {"kind": "numeric", "seed": 107, "segments": [[2500, 500, 0], [2500, 3000, 0]]},
        "numeric_stationary": {"kind": "numeric", "seed": 108, "segments": [[6000, 1000, 0]]},
    }
    detectors = [
        ("ADWIN", {"delta": 0.002}, lambda p: drift.ADWIN(**p), ["binary", "numeric"]),
        ("ADWIN", {"delta": 0.1, "clock": 1, "min_window_length": 10, "grace_period": 30},
         lambda p: drift.ADWIN(**p), ["binary", "numeric"]),
        ("ADWIN", {"delta": 0.002, "max_buckets": 3, "clock": 8}, lambda p: drift.ADWIN(**p), ["numeric"]),
        ("DDM", {}, lambda p: drift.binary.DDM(**p), ["binary"]),
        ("DDM", {"warm_start": 100, "warning_threshold": 1.5, "drift_threshold": 2.5},
         lambda p: drift.binary.DDM(**p), ["binary"]),
        ("EDDM", {}, lambda p: drift.binary.EDDM(**p), ["binary"]),
        ("EDDM", {"warm_start": 50, "alpha": 0.9, "beta": 0.8}, lambda p: drift.binary.EDDM(**p), ["binary"]),
        ("PageHinkley", {}, lambda p: drift.PageHinkley(**p), ["binary", "numeric"]),
        ("PageHinkley", {"min_instances": 50, "delta": 0.01, "threshold": 20.0, "alpha": 0.999, "mode": "up"},
         lambda p: drift.PageHinkley(**p), ["numeric"]),
        ("PageHinkley", {"threshold": 10.0, "mode": "down"}, lambda p: drift.PageHinkley(**p), ["numeric"]),
        ("KSWIN", {"seed": 42}, lambda p: drift.KSWIN(**p), ["numeric"]),
        ("KSWIN", {"seed": 7, "alpha": 0.01, "window_size": 200, "stat_size": 50}, lambda p: drift.KSWIN(**p),
         ["numeric"]),
    ]
    for name, params, make, kinds in detectors:
        for stream_name, (kind, xs) in streams.items():
            if kind not in kinds:
                continue
            det = make(dict(params))
            drifts, warnings = [], []
            for i, x in enumerate(xs):
                det.update(x)
                if det.drift_detected:
                    drifts.append(i)
                if getattr(det, "warning_detected", False):
                    warnings.append(i)
            case = {"detector": name, "parameters": params, "stream": stream_specs[stream_name],
                    "stream_name": stream_name, "drifts": drifts}
            if name in ("DDM", "EDDM"):
                case["warnings"] = warnings
            cases.append(case)
    return cases


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    versions = {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                "river": river.__version__}
    stats_out = {"generated_by": "Benchmarks/peers/drift_reference.py", "versions": versions,
                 "ks_2samp": ks_cases(), "kstwo_sf": kstwo_cases(), "categorical": categorical_cases(),
                 "chi2_sf": chi2_sf_cases(), "continuous": continuous_cases(), "fdr": fdr_cases()}
    with open(os.path.join(root, "Tests/StatisticsTests/Fixtures/scipy_reference.json"), "w") as f:
        json.dump(stats_out, f, indent=1)
    det_out = {"generated_by": "Benchmarks/peers/drift_reference.py", "versions": versions,
               "cases": detector_cases()}
    with open(os.path.join(root, "Tests/DriftTests/Fixtures/river_detectors.json"), "w") as f:
        json.dump(det_out, f, indent=1)
    print("wrote", len(stats_out["ks_2samp"]), "KS cases,", len(det_out["cases"]), "detector cases")


if __name__ == "__main__":
    main()
