"""River's detectors on the drifted series `tideline bench monitor --write-series DIR` wrote, one value per
event (a feature's values, a category index, 0/1 labels, or 0/1 errors): detections before the drift start are
false alarms; the first detection inside the drift gives the delay. Prints JSON lines.
Usage: monitor_peer.py DIR COUNT"""
import json
import os
import sys
import time

import numpy as np
import river
from river import drift

# Drift ranges as fractions of the scenario length (kept in step with BenchMonitor.scenarios).
RANGES = {
    "covariate-abrupt": (0.3, 0.6), "covariate-gradual": (0.3, 0.6), "covariate-recurring": (0.2, 0.7),
    "categorical-abrupt": (0.4, 0.7), "label-shift": (0.5, 0.8), "concept-abrupt": (0.5, 0.8),
}


def main():
    directory, count = sys.argv[1], int(sys.argv[2])
    for name, (lo, hi) in RANGES.items():
        path = os.path.join(directory, f"{name}.f64")
        if not os.path.exists(path):
            continue
        xs = np.fromfile(path, dtype="<f8").tolist()
        start, end = int(count * lo), int(count * hi)
        detectors = [("ADWIN", lambda: drift.ADWIN(delta=0.002)), ("PageHinkley", lambda: drift.PageHinkley())]
        if set(xs[:1000]) <= {0.0, 1.0}:
            detectors.append(("DDM", lambda: drift.binary.DDM()))
        for det_name, make in detectors:
            d = make()
            hits = []
            t0 = time.perf_counter()
            for i, x in enumerate(xs):
                d.update(x)
                if d.drift_detected:
                    hits.append(i)
            seconds = time.perf_counter() - t0
            false_alarms = [h for h in hits if h < start]
            inside = [h for h in hits if start <= h < end]
            print(json.dumps({
                "benchmark": "monitor-quality", "peer": f"river {river.__version__} {det_name}", "scenario": name,
                "values": len(xs), "detected": bool(inside), "delay_events": (inside[0] - start) if inside else None,
                "false_alarms": len(false_alarms),
                "false_alarms_per_million": round(len(false_alarms) / max(start, 1) * 1e6, 2),
                "detections": len(hits), "seconds": round(seconds, 3),
            }), flush=True)


if __name__ == "__main__":
    main()
