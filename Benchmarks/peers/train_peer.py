"""Peers for `tideline bench train`, on the streams it wrote (float64 rows: features then label).

scikit-learn SGDClassifier(loss="log_loss") partial_fit in batches (progressive log loss per batch: the batch is
scored before it is learned), Vowpal Wabbit (logistic loss, from its cache file: second run), and River's
HoeffdingTreeClassifier and HoeffdingAdaptiveTreeClassifier (predict_one then learn_one, on the first --tree-rows
rows). Prints JSON lines like the Swift side.
Run: Benchmarks/.venv/bin/python Benchmarks/peers/train_peer.py --logistic F --tree F
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np


def report(name, count, seconds, **extra):
    print(json.dumps({"benchmark": name, "count": count, "seconds": round(seconds, 6), "rate": round(count / seconds) if seconds else None, **extra}))


def sklearn_sgd(X, y, batch):
    from sklearn.linear_model import SGDClassifier
    from sklearn.preprocessing import StandardScaler
    clf = SGDClassifier(loss="log_loss", learning_rate="optimal", random_state=0)
    scaler = StandardScaler()
    loss, correct, n, seconds = 0.0, 0, 0, 0.0
    for start in range(0, len(y), batch):
        xb, yb = X[start:start + batch], y[start:start + batch]
        t = time.perf_counter()
        scaler.partial_fit(xb)
        z = scaler.transform(xb)
        if n > 0:
            p = clf.predict_proba(z)[:, 1]
        else:
            p = np.full(len(yb), 0.5)
        clf.partial_fit(z, yb, classes=[0, 1])
        seconds += time.perf_counter() - t
        p = np.clip(p, 1e-15, 1 - 1e-15)
        loss += float(-np.sum(np.where(yb == 1, np.log(p), np.log(1 - p))))
        correct += int(np.sum((p > 0.5) == (yb == 1)))
        n += len(yb)
    report("peer-sklearn-sgd-partial-fit", n, seconds, progressive_log_loss=loss / n, progressive_accuracy=correct / n, batch=batch,
           note="StandardScaler.partial_fit + SGDClassifier(log_loss).partial_fit per batch; batch scored before it is learned")


def vowpal(X, y):
    tmp = tempfile.mkdtemp()
    data, cache = os.path.join(tmp, "train.vw"), os.path.join(tmp, "train.cache")
    with open(data, "w") as f:
        for row, label in zip(X, y):
            f.write(("1" if label == 1 else "-1") + " |f " + " ".join(f"{j}:{v:.17g}" for j, v in enumerate(row)) + "\n")
    base = [sys.executable, "-m", "vowpalwabbit", "--loss_function", "logistic", "--link", "logistic", "--cache_file", cache, "--noconstant"]
    subprocess.run(base + ["-d", data, "-k"], capture_output=True, text=True, check=True)  # builds the cache
    t = time.perf_counter()
    out = subprocess.run(base + ["-d", data], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t
    m = re.search(r"average loss = ([0-9.e+-]+)", out.stderr)
    report("peer-vw-from-cache", len(y), seconds, progressive_log_loss=float(m.group(1)) if m else None,
           note="vw --loss_function logistic from cache (second run), wall time incl. process start; progressive loss as printed")


def river_trees(X, y, rows):
    from river import tree
    for name, model in [("peer-river-hoeffding-tree", tree.HoeffdingTreeClassifier()),
                        ("peer-river-hoeffding-adaptive-tree", tree.HoeffdingAdaptiveTreeClassifier(seed=42))]:
        dicts = [{f"x{j}": v for j, v in enumerate(r)} for r in X[:rows].tolist()]
        labels = y[:rows].astype(int).tolist()
        correct = 0
        t = time.perf_counter()
        for d, label in zip(dicts, labels):
            if model.predict_one(d) == label:
                correct += 1
            model.learn_one(d, label)
        seconds = time.perf_counter() - t
        report(name, rows, seconds, progressive_accuracy=correct / rows, leaves=model.n_leaves, note="predict_one then learn_one, defaults")


def load(path, width):
    a = np.fromfile(path, dtype="<f8").reshape(-1, width + 1)
    return a[:, :width], a[:, width]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logistic", required=True)
    ap.add_argument("--tree", required=True)
    ap.add_argument("--batch", type=int, default=512)
    ap.add_argument("--tree-rows", type=int, default=50_000)
    args = ap.parse_args()
    X, y = load(args.logistic, 20)
    sklearn_sgd(X, y, args.batch)
    vowpal(X, y)
    Xt, yt = load(args.tree, 5)
    river_trees(Xt, yt, min(args.tree_rows, len(yt)))


if __name__ == "__main__":
    main()
