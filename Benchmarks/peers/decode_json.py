#!/usr/bin/env python3
"""Peer for `tideline bench decode`: Python's json.loads on the same JSON Lines input.
Prints one JSON object like Tideline's bench commands."""
import json
import sys
import time

path = sys.argv[1]
with open(path, "rb") as f:
    lines = f.read().splitlines()
total_bytes = sum(len(l) for l in lines)
best = None
for _ in range(3):
    start = time.perf_counter()
    checksum = 0.0
    for line in lines:
        event = json.loads(line)
        checksum += event["prediction"]
    seconds = time.perf_counter() - start
    best = seconds if best is None else min(best, seconds)
print(json.dumps({"benchmark": "decode", "peer": "python json.loads", "python": sys.version.split()[0],
                  "count": len(lines), "seconds": round(best, 6), "rate": round(len(lines) / best), "bytes": total_bytes}))
