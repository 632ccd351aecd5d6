#!/usr/bin/env bash
# Runs Tideline's foundation benchmarks beside their peers on this machine, in one run.
# Peers are installed from PyPI into Benchmarks/.venv (git-ignored); they are never runtime dependencies.
# Results: one JSON object per line in Benchmarks/results/foundation-<date>.jsonl, and a summary on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-1000000}
BIN=.build/release/tideline
[ -x "$BIN" ] || swift build -c release --product tideline
VENV=Benchmarks/.venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q confluent-kafka
fi
"$VENV/bin/python" -c "import confluent_kafka, scipy, river, numpy, sklearn, vowpalwabbit" 2>/dev/null || "$VENV/bin/pip" install -q confluent-kafka scipy river numpy scikit-learn vowpalwabbit
PY="$VENV/bin/python"
mkdir -p Benchmarks/results
OUT=Benchmarks/results/foundation-$(date -u +%Y%m%dT%H%M%SZ).jsonl
INPUT=$(mktemp /tmp/tideline-bench-XXXX.jsonl)
trap 'rm -f "$INPUT"; [ -n "${BROKER_PID:-}" ] && kill "$BROKER_PID" 2>/dev/null || true' EXIT

echo "machine: $(nproc) cores, $(uname -m); librdkafka $(pkg-config --modversion rdkafka); confluent-kafka $("$PY" -c 'import confluent_kafka; print(confluent_kafka.version()[0], "librdkafka", confluent_kafka.libversion()[0])')"

# 1. Decode: Tideline's codec vs Foundation JSONDecoder (same process) vs Python json.loads (same input).
"$BIN" bench decode --count "$COUNT" --write-input "$INPUT" | tee -a "$OUT"
"$PY" Benchmarks/peers/decode_json.py "$INPUT" | tee -a "$OUT"

# 2. Produce and consume through the embedded broker, Tideline in-process (one process, as `tideline demo` runs).
"$BIN" bench produce --count "$COUNT" | tee -a "$OUT"
"$BIN" bench consume --count "$COUNT" | tee -a "$OUT"

# 3. The same through a standalone `tideline broker`, Tideline and the Python peer against the same broker,
#    each on its own 64-partition topic (64 x 5 MiB retained holds 1 M events of ~230 bytes).
TOPICS=$(mktemp -d /tmp/tideline-bench-topics-XXXX)
cp topics/*.json "$TOPICS"/
for t in bench-tideline-produce bench-peer-produce bench-tideline-consume bench-peer-consume; do
  printf '{"name":"%s","key":"request_id","partitions":64,"replication_factor":1,"config":{},"value_schema":{}}\n' "$t" > "$TOPICS/$t.json"
done
"$BIN" broker --brokers 1 --topics-dir "$TOPICS" > /tmp/tideline-bench-broker.out 2>/dev/null &
BROKER_PID=$!
for _ in $(seq 50); do grep -q '^topics=' /tmp/tideline-bench-broker.out 2>/dev/null && break; sleep 0.1; done
BOOT=$(sed -n 's/^bootstrap.servers=//p' /tmp/tideline-bench-broker.out)
"$BIN" bench produce --count "$COUNT" --brokers "$BOOT" --topic bench-tideline-produce | sed 's/}$/,"broker":"standalone"}/' | tee -a "$OUT"
"$PY" Benchmarks/peers/kafka_throughput.py produce "$BOOT" "$INPUT" 64 bench-peer-produce | tee -a "$OUT"
"$BIN" bench consume --count "$COUNT" --brokers "$BOOT" --topic bench-tideline-consume | sed 's/}$/,"broker":"standalone"}/' | tee -a "$OUT"
"$PY" Benchmarks/peers/kafka_throughput.py consume "$BOOT" "$INPUT" 64 bench-peer-consume | tee -a "$OUT"
# librdkafka's own C batch consumer on the topic Tideline just read (same records, same broker).
mkdir -p Benchmarks/.build
cc -O2 -o Benchmarks/.build/rdkafka_consume Benchmarks/peers/rdkafka_consume.c $(pkg-config --cflags --libs rdkafka)
Benchmarks/.build/rdkafka_consume "$BOOT" bench-tideline-consume 64 | tee -a "$OUT"
kill "$BROKER_PID" 2>/dev/null || true
BROKER_PID=""
rm -rf "$TOPICS"

# 4. Label join (issue 3): the operator in process (pre-decoded, and from JSON bytes) beside a Python
#    dict+heap join on the same input; memory with 1 M pending predictions; end to end through an in-process
#    embedded broker; the same through a standalone broker beside the Python peer (confluent-kafka consumer +
#    dict join + producer) on the same topics; latency from label to labeled example at 50 K events/s.
JOIN_COUNT=${JOIN_COUNT:-1000000}
JOIN_INPUT=$(mktemp /tmp/tideline-bench-join-XXXX.jsonl)
"$BIN" bench join --count "$JOIN_COUNT" --pending 1000000 --repeats 3 --write-input "$JOIN_INPUT" | tee -a "$OUT"
"$PY" Benchmarks/peers/join_peer.py inproc "$JOIN_INPUT" | tee -a "$OUT"
rm -f "$JOIN_INPUT"
"$BIN" bench join --count 300000 --pending 0 --repeats 1 --end-to-end --partitions 64 | grep end-to-end | tee -a "$OUT"
TOPICS=$(mktemp -d /tmp/tideline-bench-topics-XXXX)
cp topics/*.json "$TOPICS"/
for t in predictions labels labeled-examples dead-letter peer-examples; do
  printf '{"name":"%s","key":"request_id","partitions":64,"replication_factor":1,"config":{},"value_schema":{}}\n' "$t" > "$TOPICS/$t.json"
done
"$BIN" broker --brokers 1 --topics-dir "$TOPICS" --topic-prefix bj. > /tmp/tideline-bench-broker.out 2>/dev/null &
BROKER_PID=$!
for _ in $(seq 50); do grep -q '^topics=' /tmp/tideline-bench-broker.out 2>/dev/null && break; sleep 0.1; done
BOOT=$(sed -n 's/^bootstrap.servers=//p' /tmp/tideline-bench-broker.out)
E2E=$("$BIN" bench join --count 300000 --pending 0 --repeats 1 --end-to-end --partitions 64 --brokers "$BOOT" --topic-prefix bj. | grep end-to-end | sed 's/}$/,"broker":"standalone"}/')
echo "$E2E" | tee -a "$OUT"
"$PY" Benchmarks/peers/join_peer.py kafka "$BOOT" bj. 64 | tee -a "$OUT"
kill "$BROKER_PID" 2>/dev/null || true
BROKER_PID=""
rm -rf "$TOPICS"
"$BIN" bench join --count 1000 --pending 0 --repeats 1 --latency-rate 50000 --latency-seconds 15 | grep latency | tee -a "$OUT"

# 5. Drift (issue 4): detector update rates and the KS test beside River and scipy, on the same stream and samples.
DRIFT_DIR=$(mktemp -d /tmp/tideline-bench-drift-XXXX)
"$BIN" bench drift --write-stream "$DRIFT_DIR/stream.f64" --write-samples "$DRIFT_DIR/ks.f64" | tee -a "$OUT"
"$PY" Benchmarks/peers/drift_peer.py "$DRIFT_DIR/stream.f64" "$DRIFT_DIR/ks.f64" 10000 | tee -a "$OUT"

# 6. The monitor (issue 4): operator throughput with 20 features (pre-decoded, and from JSON bytes) beside a
#    numpy + scipy windowed monitor on the same predictions, and the detection-quality harness (injected drifts;
#    delay, misses, false alarms per million) beside River's detectors on the drifted series.
"$BIN" bench monitor --count 1000000 --write-series "$DRIFT_DIR/series" --write-input "$DRIFT_DIR/predictions.jsonl" | tee -a "$OUT"
"$PY" Benchmarks/peers/monitor_throughput_peer.py "$DRIFT_DIR/predictions.jsonl" | tee -a "$OUT"
"$PY" Benchmarks/peers/monitor_peer.py "$DRIFT_DIR/series" 1000000 | tee -a "$OUT"
rm -rf "$DRIFT_DIR"

# 7. Training (issue 5): logistic regression (20 dense features, batches of 512) beside scikit-learn SGD
#    partial_fit and Vowpal Wabbit from cache on the same rows; Hoeffding trees beside River on the same 50k rows;
#    the value of freshness on an abruptly drifting stream.
TRAIN_DIR=$(mktemp -d /tmp/tideline-bench-train-XXXX)
"$BIN" bench train --rows 1000000 --tree-rows 50000 --write-logistic "$TRAIN_DIR/logistic.f64" --write-tree "$TRAIN_DIR/tree.f64" | tee -a "$OUT"
"$PY" Benchmarks/peers/train_peer.py --logistic "$TRAIN_DIR/logistic.f64" --tree "$TRAIN_DIR/tree.f64" --tree-rows 50000 | tee -a "$OUT"
rm -rf "$TRAIN_DIR"
echo "results: $OUT"
