#!/usr/bin/env python3
"""Peer for `tideline bench produce|consume`: confluent-kafka (librdkafka underneath) against the same broker.

usage: kafka_throughput.py produce|consume BOOTSTRAP INPUT.jsonl PARTITIONS TOPIC
Produces every line of INPUT (keyed req-N) and waits for all delivery reports; or produces them untimed
and times consuming everything the broker retained (its watermarks) from the beginning.
TOPIC must exist with PARTITIONS partitions. Prints one JSON object."""
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

mode, bootstrap, path, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(path, "rb") as f:
    values = f.read().splitlines()
total_bytes = sum(len(v) for v in values)


def produce(topic):
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 10,
                  "queue.buffering.max.messages": 1000000, "partitioner": "murmur2_random"})
    failures = [0]

    def report(err, _msg):
        if err is not None:
            failures[0] += 1

    start = time.perf_counter()
    for i, v in enumerate(values):
        while True:
            try:
                p.produce(topic, v, key=b"req-%d" % i, on_delivery=report)
                break
            except BufferError:
                p.poll(0.01)
        if i % 10000 == 0:
            p.poll(0)
    p.flush(60)
    seconds = time.perf_counter() - start
    if failures[0]:
        raise SystemExit(f"{failures[0]} delivery failures")
    return seconds


topic = sys.argv[5]
if mode == "produce":
    seconds = produce(topic)
    print(json.dumps({"benchmark": "produce", "peer": "confluent-kafka (Python)", "count": len(values),
                      "seconds": round(seconds, 6), "rate": round(len(values) / seconds), "bytes": total_bytes}))
else:
    produce(topic)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-" + uuid.uuid4().hex[:6],
                  "enable.auto.commit": False, "fetch.max.bytes": 52428800, "queued.max.messages.kbytes": 262144})
    # The embedded broker keeps only the last 5 MiB of each partition: consume what it retained.
    retained = 0
    for p in range(partitions):
        low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        retained += high - low
    start = time.perf_counter()
    c.assign([TopicPartition(topic, p, -2) for p in range(partitions)])
    received = 0
    nbytes = 0
    first_at = None
    first_count = 0
    while received < retained:
        batch = c.consume(num_messages=2048, timeout=1.0)
        if batch and first_at is None:
            first_at = time.perf_counter() - start
            first_count = len(batch)
        for m in batch:
            if m.error() is None:
                received += 1
                nbytes += len(m.value())
    seconds = time.perf_counter() - start
    c.close()
    print(json.dumps({"benchmark": "consume", "peer": "confluent-kafka (Python)", "count": received,
                      "seconds": round(seconds, 6), "rate": round(received / seconds), "bytes": nbytes,
                      "first_record_seconds": round(first_at or 0, 6),
                      "steady_rate": round((received - first_count) / (seconds - (first_at or 0)))}))
