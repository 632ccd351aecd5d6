import Foundation
import Kafka
import Metrics

/// The metrics every stage reports, labelled with the stage's name (`join`, `monitor`, `train`):
///
/// - `tideline_stage_input_records_total{stage}`: records taken from the input topics (rate: input rate);
/// - `tideline_stage_output_records_total{stage, topic}`: records handed to Kafka per output topic, dead letters
///   included (rate: output rate);
/// - `tideline_stage_batch_duration_seconds{stage}`: histogram of the time one consumed batch took to process
///   (decode, operator, output queued), the stage's processing latency;
/// - `tideline_stage_record_age_seconds{stage}`: histogram of the wall-clock age of each batch's newest record
///   (now minus its Kafka timestamp) when processing finished: how far behind real time the stage runs;
/// - `tideline_stage_checkpoint_pause_seconds{stage}`: histogram of how long each checkpoint stopped processing (the
///   snapshot); `tideline_stage_checkpoint_save_seconds{stage}`: of its background part (waiting for the output's
///   acknowledgements, then the SQLite transaction); `tideline_stage_checkpoint_bytes{stage}`: the last one's size.
///
/// Consumer lag per partition is the Kafka layer's `tideline_kafka_consumer_lag_messages`. Not thread-safe: owned
/// by the stage's task.
struct StageMetrics {
    let stage: String
    private let input: Counter
    private let batchDuration: Timer
    private let recordAge: Timer
    let checkpointPause: Timer
    let checkpointSave: Timer
    let checkpointBytes: Gauge
    private var outputs: [String: Counter] = [:]

    init(stage: String) {
        self.stage = stage
        input = Counter(label: "tideline_stage_input_records_total", dimensions: [("stage", stage)])
        batchDuration = Timer(label: "tideline_stage_batch_duration_seconds", dimensions: [("stage", stage)])
        recordAge = Timer(label: "tideline_stage_record_age_seconds", dimensions: [("stage", stage)])
        checkpointPause = Timer(label: "tideline_stage_checkpoint_pause_seconds", dimensions: [("stage", stage)])
        checkpointSave = Timer(label: "tideline_stage_checkpoint_save_seconds", dimensions: [("stage", stage)])
        checkpointBytes = Gauge(label: "tideline_stage_checkpoint_bytes", dimensions: [("stage", stage)])
    }

    /// Call when `batch` is processed; `started` is when its processing began.
    func processed(_ batch: KafkaMessageBatch, startedAt started: ContinuousClock.Instant) {
        guard !batch.isEmpty else { return }
        input.increment(by: Int64(batch.count))
        let elapsed = ContinuousClock.now - started
        batchDuration.recordNanoseconds(Self.nanoseconds(elapsed))
        var newest: Int64 = -1
        for message in batch { if let t = message.timestampMilliseconds, t > newest { newest = t } }
        if newest >= 0 {
            let ageMilliseconds = Int64(Date().timeIntervalSince1970 * 1000) - newest
            recordAge.recordMilliseconds(max(0, ageMilliseconds))
        }
    }

    /// Call when `count` records are handed to Kafka for `topic`.
    mutating func published(_ count: Int, to topic: String) {
        guard count > 0 else { return }
        let counter = outputs[topic] ?? {
            let c = Counter(label: "tideline_stage_output_records_total", dimensions: [("stage", stage), ("topic", topic)])
            outputs[topic] = c
            return c
        }()
        counter.increment(by: Int64(count))
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
