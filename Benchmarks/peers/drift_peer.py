"""The peers for `tideline bench drift`, on the same inputs: River's detectors (updates/s) on the stream the
Swift run wrote, and scipy's ks_2samp (ms per test) on the same two samples. Prints JSON lines.
Usage: drift_peer.py STREAM.f64 SAMPLES.f64 KS_SIZE"""
import json
import sys
import time

import numpy as np
import river
import scipy
from river import drift
from scipy import stats


def timed(name, make, xs, note):
    best, detections = float("inf"), 0
    for _ in range(1 if len(xs) > 2_000_000 else 3):
        d = make()
        found = 0
        start = time.perf_counter()
        for x in xs:
            d.update(x)
            if d.drift_detected:
                found += 1
        seconds = time.perf_counter() - start
        if seconds < best:
            best, detections = seconds, found
    print(json.dumps({"benchmark": name, "peer": f"river {river.__version__}", "count": len(xs),
                      "seconds": round(best, 6), "rate": round(len(xs) / best), "detections": detections,
                      "note": note}), flush=True)


def main():
    stream = np.fromfile(sys.argv[1], dtype="<f8").tolist()
    both = np.fromfile(sys.argv[2], dtype="<f8")
    n = int(sys.argv[3])
    a, b = both[:n], both[n:]
    timed("drift-adwin", lambda: drift.ADWIN(delta=0.002), stream, "ADWIN(delta=0.002) (Rust core)")
    short = stream[:2_000_000]
    timed("drift-ddm", lambda: drift.binary.DDM(), short, "DDM defaults, first 2M values")
    timed("drift-page-hinkley", lambda: drift.PageHinkley(), short, "PageHinkley defaults, first 2M values")
    timed("drift-kswin", lambda: drift.KSWIN(seed=42), stream[:20_000], "KSWIN seed 42, first 20K values")
    times = []
    result = None
    for _ in range(100):
        start = time.perf_counter()
        result = stats.ks_2samp(a, b)
        times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"benchmark": "drift-ks-2samp", "peer": f"scipy {scipy.__version__}", "n": n,
                      "median_ms": round(times[len(times) // 2] * 1e3, 3), "min_ms": round(times[0] * 1e3, 3),
                      "statistic": float(result.statistic), "p_value": float(result.pvalue)}), flush=True)


if __name__ == "__main__":
    main()
