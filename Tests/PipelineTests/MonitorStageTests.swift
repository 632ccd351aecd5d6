import Events
import Foundation
import Kafka
import Logging
import Monitoring
import Pipeline
import Testing
import TidelineTestKit

/// The monitor stage in process on the shared embedded broker: a drifted feature raises exactly one
/// `feature_drift` incident that later resolves, across a stop and a restart from the checkpoint, with a
/// malformed record dead-lettered on the way; the published alerts equal the pure operator's on the same input.
@Suite(.serialized) struct MonitorStageTests {
    @Test(.timeLimit(.minutes(5)))
    func driftedFeatureRaisesOneIncidentThatResolvesAcrossARestart() async throws {
        let prefix = TestNames.unique("monitor") + "."
        let cluster = SharedBroker.cluster
        let predictions = prefix + "predictions", examples = prefix + "labeled-examples", alerts = prefix + "alerts", dead = prefix + "dead-letter"
        try cluster.createTopic(predictions, partitions: 4)
        try cluster.createTopic(examples, partitions: 2)
        try cluster.createTopic(alerts, partitions: 1)
        try cluster.createTopic(dead, partitions: 1)
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-monitor-\(UUID().uuidString)/state.sqlite").path
        let options = MonitorStageOptions(client: SharedBroker.client(), predictionsTopic: predictions, examplesTopic: examples,
                                          alertsTopic: alerts, deadLetterTopic: dead, group: TestNames.unique("monitor-group"),
                                          idleTimeout: 0, checkpointInterval: 200, statePath: state)
        let events = MonitorScenario(windows: 24, ageShift: 8..<14).predictions().map(\.1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        func send(_ slice: ArraySlice<PredictionEvent>) async throws {
            try await producer.sendAll(slice.map { KafkaOutgoingMessage(topic: predictions, key: Array($0.requestID.utf8), value: $0.encoded()) })
        }
        // First half, plus one malformed record.
        try await send(events[0..<12_000])
        try await producer.sendAll([KafkaOutgoingMessage(topic: predictions, key: Array("bad".utf8), value: Array(#"{"request_id":"bad","model":"m"}"#.utf8))])
        let first = try MonitorStage(options: options, logger: quietLogger())
        let runFirst = Task { try await first.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while first.alertsPublished == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(first.alertsPublished > 0, "the drift starting at window 8 fires within the first half")
        runFirst.cancel()
        try await runFirst.value
        // Second half, into a new instance that resumes from the checkpoint.
        try await send(events[12_000...])
        try await producer.close()
        let second = try MonitorStage(options: options, logger: quietLogger())
        let runSecond = Task { try await second.run() }

        // What the pure operator makes of the records as they sit in their partitions: the stage must publish the same.
        // Every consumer is closed explicitly: a consumer released without `close()` blocks its releasing thread
        // inside librdkafka, and on the cooperative pool that stalls every other test.
        let reader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try reader.assign((0..<4).map { TopicPartitionOffset(topic: predictions, partition: $0, offset: -2) })
        let stored = await ConsumerDrain.messages(from: reader, count: events.count + 1)
        await reader.close()
        #expect(stored.count == events.count + 1, "read back \(stored.count) records")
        var op = MonitorOperator()
        op.assign(.predictions, partitions: [0, 1, 2, 3])
        var out = MonitorOperator.Output()
        for m in stored.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            if let p = try? PredictionEvent.decode(m.value) { op.process(p, partition: m.partition, into: &out) }
        }
        let expected = Set(out.alerts.map { "\($0.alertID)/\($0.status.rawValue)" })
        #expect(out.alerts.contains { $0.kind == .featureDrift && $0.subject == "age" && $0.status == .resolved })

        // Wait for the restarted stage to have published its share (acknowledged by the broker), then read them all:
        // waiting on the stage and reading the topic are separate steps, so a failure says which one fell short.
        let stageDeadline = ContinuousClock.now + .seconds(90)
        while first.alertsPublished + second.alertsPublished < out.alerts.count && ContinuousClock.now < stageDeadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(first.alertsPublished + second.alertsPublished >= out.alerts.count,
                "the stages published \(first.alertsPublished) + \(second.alertsPublished) of \(out.alerts.count) alerts; the second closed \(second.summaries.count) windows")
        runSecond.cancel()
        try await runSecond.value
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try consumer.assign([TopicPartitionOffset(topic: alerts, partition: 0, offset: -2)])
        let published = await ConsumerDrain.messages(from: consumer, count: first.alertsPublished + second.alertsPublished)
            .compactMap { try? AlertEvent.decode($0.value) }
        await consumer.close()
        #expect(published.count == first.alertsPublished + second.alertsPublished, "read \(published.count) alerts back from \(alerts)")

        // Deduplicated by (alert_id, status), as a consumer of `alerts` does.
        var unique: [String: AlertEvent] = [:]
        for a in published { unique["\(a.alertID)/\(a.status.rawValue)"] = a }
        let age = unique.values.filter { $0.kind == .featureDrift && $0.subject == "age" }.sorted { $0.status.rawValue < $1.status.rawValue }
        #expect(age.map(\.status) == [.firing, .resolved])
        #expect(Set(age.map(\.alertID)).count == 1)
        #expect(unique.values.filter { $0.kind == .featureDrift }.count == 2, "one incident (firing + resolved) for age, none for other features")
        for key in unique.keys { #expect(expected.contains(key), "\(key) was published but the operator does not produce it") }
        for a in out.alerts where a.kind == .featureDrift { #expect(unique["\(a.alertID)/\(a.status.rawValue)"] == a) }

        // The malformed record went to dead-letter with the monitor named.
        let letterReader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try letterReader.assign([TopicPartitionOffset(topic: dead, partition: 0, offset: -2)])
        let letters = await ConsumerDrain.messages(from: letterReader, count: 1)
        await letterReader.close()
        #expect(letters.count == 1)
        #expect(letters.first?.headers.first { $0.key == DeadLetter.stageHeader }.flatMap { $0.value }.map { String(decoding: $0, as: UTF8.self) } == "monitor")
    }

    @Test func windowMetricsBecomeGaugesPerVersionAndVariant() {
        let summary = WindowSummary(model: "ctr", input: .examples, start: 0, end: 300_000, count: 900, outcome: .evaluated, modelVersion: nil,
                                    breaches: [], metrics: ["accuracy": 0.9, "auc": 0.8, "accuracy[v2/treatment]": 0.85])
        let gauges = MonitorStage.gauges(for: summary)
        #expect(gauges.count == 3)
        let perVersion = gauges.first { $0.label == "tideline_monitor_accuracy" }
        #expect(perVersion?.value == 0.85)
        #expect(perVersion?.dimensions.map { "\($0.0)=\($0.1)" } == ["model=ctr", "version=v2", "variant=treatment"])
        let auc = gauges.first { $0.dimensions.contains { $0 == ("metric", "auc") } }
        #expect(auc?.label == "tideline_monitor_metric" && auc?.value == 0.8)
    }
}
