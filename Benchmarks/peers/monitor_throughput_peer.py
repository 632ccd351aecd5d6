#!/usr/bin/env python3
"""Throughput peer for `tideline bench monitor`: the windowed drift monitor as a Python team would hand-roll it
with numpy and scipy, on the same predictions (`tideline bench monitor --write-input INPUT.jsonl`).

Per 5-minute tumbling window (event time), against a fixed reference (the first window of at least 500 events,
as the monitor's default policy):
- each numeric feature and the prediction score: scipy `ks_2samp` (asymptotic p-value, as the monitor's default),
  PSI on 10 bins from reference quantiles, `wasserstein_distance`, mean and standard deviation;
- each categorical feature: chi-square test of homogeneity (`chi2_contingency` on the 2 x k table) and the
  Jensen-Shannon distance (base 2);
- Benjamini-Hochberg across the window's p-values (`false_discovery_control`).
That is less than the monitor does per window (no validation, null rates, schema checks, moments, sketches or
alert policy), so the comparison flatters the peer.

Two timings, one core each:
- decode + monitor: `json.loads` and timestamp parsing of every line, then the above;
- monitor alone: the same on events decoded beforehand (untimed), as `monitor-operator` takes them.
usage: monitor_throughput_peer.py INPUT.jsonl
Prints one JSON object per timing."""
import json
import sys
import time
from datetime import datetime

import numpy as np
import scipy
from scipy import stats
from scipy.spatial.distance import jensenshannon

WINDOW = 5 * 60_000
MIN_EVENTS = 500


def millis(ts):
    if isinstance(ts, (int, float)):
        return int(ts)
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def psi(reference, current, bins=10):
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1) / len(reference)
    c = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1) / len(current)
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


class Monitor:
    def __init__(self):
        self.window = None
        self.columns = {}
        self.count = 0
        self.reference = None
        self.windows_evaluated = 0
        self.drifted = 0

    def add(self, t, features, prediction):
        w = t // WINDOW
        if w != self.window:
            self.close()
            self.window = w
        for name, value in features.items():
            column = self.columns.get(name)
            if column is None:
                column = self.columns[name] = []
            column.append(value)
        if isinstance(prediction, (int, float)):
            self.columns.setdefault("prediction", []).append(prediction)
        self.count += 1

    def close(self):
        if self.count >= MIN_EVENTS:
            summary = {}
            for name, values in self.columns.items():
                if values and isinstance(values[0], str):
                    categories, counts = np.unique(np.array(values), return_counts=True)
                    summary[name] = ("categorical", dict(zip(categories.tolist(), counts.tolist())))
                else:
                    summary[name] = ("numeric", np.sort(np.array(values, dtype=np.float64)))
            if self.reference is None:
                self.reference = summary
            else:
                self.evaluate(summary)
        self.columns = {}
        self.count = 0

    def evaluate(self, current):
        p_values = []
        for name, (kind, cur) in current.items():
            ref_kind, ref = self.reference.get(name, (None, None))
            if ref_kind != kind:
                continue
            if kind == "numeric":
                ks = stats.ks_2samp(ref, cur, method="asymp")
                psi(ref, cur)
                stats.wasserstein_distance(ref, cur)
                float(np.mean(cur)), float(np.std(cur, ddof=1))
                p_values.append(ks.pvalue)
            else:
                keys = sorted(set(ref) | set(cur))
                table = np.array([[ref.get(k, 0) for k in keys], [cur.get(k, 0) for k in keys]])
                chi = stats.chi2_contingency(table, correction=False)
                jensenshannon(table[0] / table[0].sum(), table[1] / table[1].sum(), base=2)
                p_values.append(chi.pvalue)
        adjusted = stats.false_discovery_control(p_values, method="bh")
        self.drifted += int(np.sum(adjusted < 0.01))
        self.windows_evaluated += 1


def main():
    lines = open(sys.argv[1], "rb").read().splitlines()

    monitor = Monitor()
    start = time.perf_counter()
    for line in lines:
        e = json.loads(line)
        monitor.add(millis(e["timestamp"]), e["features"], e.get("prediction"))
    monitor.close()
    decode_seconds = time.perf_counter() - start

    events = []
    for line in lines:
        e = json.loads(line)
        events.append((millis(e["timestamp"]), e["features"], e.get("prediction")))
    alone = Monitor()
    start = time.perf_counter()
    for t, features, prediction in events:
        alone.add(t, features, prediction)
    alone.close()
    seconds = time.perf_counter() - start

    peer = f"python {sys.version.split()[0]} + numpy {np.__version__} + scipy {scipy.__version__}"
    for name, s, m in (("monitor-decode-operator", decode_seconds, monitor), ("monitor-operator", seconds, alone)):
        print(json.dumps({
            "benchmark": name, "peer": peer, "count": len(lines), "seconds": round(s, 3),
            "rate": round(len(lines) / s), "windows": m.windows_evaluated, "drifted_feature_windows": m.drifted,
        }), flush=True)


if __name__ == "__main__":
    main()
