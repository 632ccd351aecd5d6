"""Reference values for Tideline's trainers, computed by the real peers.

Writes Tests/TrainingTests/Fixtures/training_reference.json:
  logistic: scikit-learn LogisticRegression (lbfgs, effectively unregularized) on standardized features
            (StandardScaler, population std): coefficients, intercept, mean log loss.
  hoeffding: River HoeffdingTreeClassifier (defaults) progressive accuracy and leaf count on a stream.

Inputs are regenerated on both sides from SplitMix64 (features k/1000 with k = below(1000); labels drawn by
comparing 53 random bits with a probability), so the fixture stays small and the data is identical bit for bit
(see Tests/TrainingTests/TrainingStreams.swift). Run: Benchmarks/.venv/bin/python Benchmarks/peers/training_reference.py
"""
import json
import math
import os

import numpy as np
import river
import sklearn
from river import tree
from sklearn.linear_model import LogisticRegression

from splitmix import MASK, SplitMix64  # noqa: F401


LOGISTIC_WEIGHTS = [2.0, -1.5, 0.75, 0.0, 3.0]
LOGISTIC_BIAS = -0.5


def logistic_stream(seed, n):
    rng = SplitMix64(seed)
    X, y = [], []
    for _ in range(n):
        x = [rng.below(1000) / 1000.0 for _ in LOGISTIC_WEIGHTS]
        z = LOGISTIC_BIAS + sum(w * (v - 0.5) * 4 for w, v in zip(LOGISTIC_WEIGHTS, x))
        p = 1.0 / (1.0 + math.exp(-z))
        X.append(x)
        y.append(1 if rng.unit() < p else 0)
    return X, y


def tree_stream(seed, n, noise=0.05):
    rng = SplitMix64(seed)
    X, y = [], []
    for _ in range(n):
        x = [rng.below(1000) / 1000.0 for _ in range(5)]
        label = 1 if (x[0] > 0.5 and x[1] > 0.3) or (x[0] <= 0.5 and x[2] > 0.7) else 0
        if rng.unit() < noise:
            label = 1 - label
        X.append(x)
        y.append(label)
    return X, y


def main():
    X, y = logistic_stream(11, 4000)
    A = np.array(X)
    mean, std = A.mean(axis=0), A.std(axis=0)
    Z = (A - mean) / std
    lr = LogisticRegression(C=1e12, solver="lbfgs", tol=1e-12, max_iter=10000).fit(Z, y)
    p = lr.predict_proba(Z)[:, 1]
    logloss = float(-np.mean(np.where(np.array(y) == 1, np.log(p), np.log(1 - p))))

    Xt, yt = tree_stream(23, 20000)
    ht = tree.HoeffdingTreeClassifier()
    correct = 0
    for x, label in zip(Xt, yt):
        d = {f"x{i}": v for i, v in enumerate(x)}
        if ht.predict_one(d) == label:
            correct += 1
        ht.learn_one(d, label)

    out = {
        "versions": {"scikit-learn": sklearn.__version__, "river": river.__version__, "numpy": np.__version__},
        "logistic": {"seed": 11, "n": 4000, "coefficients": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0]),
                      "log_loss": logloss},
        "hoeffding": {"seed": 23, "n": 20000, "noise": 0.05, "progressive_accuracy": correct / len(yt), "leaves": ht.n_leaves},
    }
    path = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "TrainingTests", "Fixtures", "training_reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
