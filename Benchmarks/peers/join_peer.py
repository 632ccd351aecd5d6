#!/usr/bin/env python3
"""Peer for `tideline bench join`: the label join as a Python team would hand-roll it (dict + heap), same
policy as the benchmark (window 30 s, grace 1 s, max aggregation, implicit label false).

usage: join_peer.py inproc INPUT.jsonl
         INPUT from `tideline bench join --write-input` ({"t":"p"|"l","e":event} per line, arrival order);
         times json.loads + join + json.dumps of every example, one core.
       join_peer.py kafka BOOTSTRAP PREFIX PARTITIONS
         consumes every record of PREFIX.predictions and PREFIX.labels (PARTITIONS each) with confluent-kafka
         (librdkafka underneath), joins per partition, produces PREFIX.peer-examples, and times from the first
         record to the last delivery report.
Prints one JSON object."""
import hashlib
import heapq
import json
import sys
import time
import uuid
from datetime import datetime, timezone

WINDOW, GRACE = 30_000, 1_000


def millis(ts):
    if isinstance(ts, (int, float)):
        return int(ts)
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


class Join:
    """One partition's join: pending predictions by request id, deadlines in a heap, the labels clock."""

    def __init__(self, emit):
        self.pending = {}
        self.deadlines = []
        self.clock = -(1 << 62)
        self.emit = emit

    def prediction(self, p):
        tp = millis(p["timestamp"])
        key = p["request_id"]
        if key in self.pending:
            return
        self.pending[key] = [p, tp, None, None]
        heapq.heappush(self.deadlines, (tp + WINDOW + GRACE, key))

    def label(self, l):
        tl = millis(l["timestamp"])
        entry = self.pending.get(l["request_id"])
        if entry is not None and entry[1] <= tl <= entry[1] + WINDOW and self.clock < entry[1] + WINDOW + GRACE:
            v = l["label"]
            if entry[2] is None or float(v) > float(entry[2]):
                entry[2], entry[3] = v, tl
        if tl > self.clock:
            self.clock = tl
            while self.deadlines and self.deadlines[0][0] <= self.clock:
                _, key = heapq.heappop(self.deadlines)
                p, tp, value, tl2 = self.pending.pop(key)
                kind = "observed" if value is not None else "implicit"
                example = {
                    "event_id": hashlib.blake2b(f"{p['model']}|{key}|{tp}|0".encode(), digest_size=16).hexdigest(),
                    "request_id": key, "model": p["model"], "model_version": p["model_version"],
                    "features": p["features"], "prediction": p["prediction"],
                    "label": value if value is not None else False, "label_kind": kind,
                    "prediction_time": iso(tp), "label_time": iso(tl2) if tl2 is not None else None,
                    "label_delay_ms": tl2 - tp if tl2 is not None else None,
                }
                for k in ("variant", "entity_id", "item_id"):
                    if k in p:
                        example[k] = p[k]
                self.emit(p["model"], json.dumps(example, separators=(",", ":")))


def inproc(path):
    with open(path, "rb") as f:
        lines = f.read().splitlines()
    out = []
    join = Join(lambda model, value: out.append(value))
    start = time.perf_counter()
    for line in lines:
        record = json.loads(line)
        if record["t"] == "p":
            join.prediction(record["e"])
        else:
            join.label(record["e"])
    seconds = time.perf_counter() - start
    print(json.dumps({"benchmark": "join-operator-peer", "peer": "python dict+heap join, json.loads/json.dumps",
                      "count": len(lines), "seconds": round(seconds, 6), "rate": round(len(lines) / seconds),
                      "examples": len(out)}))


def kafka(bootstrap, prefix, partitions):
    from confluent_kafka import Consumer, Producer, TopicPartition

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5,
                         "queue.buffering.max.messages": 1000000, "partitioner": "murmur2_random"})
    out_topic = prefix + "peer-examples"
    produced = [0]

    def emit(model, value):
        while True:
            try:
                producer.produce(out_topic, value.encode(), key=model.encode())
                produced[0] += 1
                return
            except BufferError:
                producer.poll(0.01)

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "peer-" + uuid.uuid4().hex,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    total = 0
    for topic in (prefix + "predictions", prefix + "labels"):
        for p in range(partitions):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            total += high - low
    consumer.subscribe([prefix + "predictions", prefix + "labels"])
    joins = {}
    first = None
    consumed = 0
    predictions_topic = prefix + "predictions"
    deadline = time.time() + 900
    while consumed < total and time.time() < deadline:
        batch = consumer.consume(num_messages=2000, timeout=1.0)
        if not batch:
            continue
        if first is None:
            first = time.perf_counter()
        for m in batch:
            if m.error():
                continue
            consumed += 1
            join = joins.get(m.partition())
            if join is None:
                join = joins[m.partition()] = Join(emit)
            event = json.loads(m.value())
            if m.topic() == predictions_topic:
                join.prediction(event)
            else:
                join.label(event)
        producer.poll(0)
    producer.flush()
    seconds = time.perf_counter() - first
    consumer.close()
    print(json.dumps({"benchmark": "join-end-to-end-peer", "peer": "confluent-kafka consumer + dict join + producer",
                      "count": consumed, "seconds": round(seconds, 6), "rate": round(consumed / seconds),
                      "examples": produced[0]}))


if __name__ == "__main__":
    if sys.argv[1] == "inproc":
        inproc(sys.argv[2])
    else:
        kafka(sys.argv[2], sys.argv[3], int(sys.argv[4]))
