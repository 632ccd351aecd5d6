import Events
import Foundation
import Kafka
import Logging
import Pipeline
import Testing
import TidelineTestKit
import ModelStore
import Training

/// The train stage in process on the shared embedded broker: examples spread over three partitions produce the
/// model versions of one uninterrupted pure pass in merge order; checkpoint files and catalog rows back every update;
/// manual retrain and rollback commands act once; malformed events and unusable commands go to dead-letter; a
/// restart from the checkpoint publishes nothing new.
@Suite(.serialized) struct TrainStageTests {
    static func configuration(directory: String) -> TrainerConfiguration {
        var c = TrainerConfiguration()
        c.batchSize = 256
        c.triggers.examples = 1_500
        c.triggers.errorChangeDelta = nil
        c.staticHoldoutSize = 300
        c.recentHoldoutSize = 300
        c.gate.minimumExamples = 50
        c.gate.bootstrapSamples = 200
        c.rollback.enabled = false
        c.checkpointDirectory = directory
        return c
    }

    @Test(.timeLimit(.minutes(5)))
    func publishesTheVersionsOfAnUninterruptedRunAndObeysCommands() async throws {
        let prefix = TestNames.unique("train") + "."
        let cluster = SharedBroker.cluster
        let examples = prefix + "labeled-examples", alerts = prefix + "alerts", commands = prefix + "model-commands"
        let updates = prefix + "model-updates", dead = prefix + "dead-letter"
        try cluster.createTopic(examples, partitions: 3)
        for t in [alerts, commands, updates, dead] { try cluster.createTopic(t, partitions: 1) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tideline-train-\(UUID().uuidString)").path
        let models = ["ctr": Self.configuration(directory: dir + "/models")]
        let options = TrainStageOptions(client: SharedBroker.client(), examplesTopic: examples, alertsTopic: alerts, commandsTopic: commands,
                                        updatesTopic: updates, deadLetterTopic: dead, group: TestNames.unique("train-group"), models: models,
                                        checkpointInterval: 500, statePath: dir + "/state.sqlite", catalogPath: dir + "/catalog.sqlite")
        var traffic = SyntheticTraffic(seed: 11)
        let events = (0..<8_000).map { _ in traffic.nextExample() }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        // Spread over the partitions by request id (the merge, not the key, decides the order).
        var messages = events.map { KafkaOutgoingMessage(topic: examples, key: Array($0.requestID.utf8), value: $0.encoded()) }
        messages.insert(KafkaOutgoingMessage(topic: examples, key: Array("bad".utf8), value: Array(#"{"event_id":"x","model":"ctr"}"#.utf8)), at: 4_000)
        try await producer.sendAll(messages)

        let reader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try reader.assign((0..<3).map { TopicPartitionOffset(topic: examples, partition: $0, offset: -2) })
        let stored = await ConsumerDrain.messages(from: reader, count: messages.count)
        await reader.close()
        #expect(stored.count == messages.count)
        #expect(Set(stored.map(\.partition)).count == 3, "examples spread over the partitions")
        let expected = ReferenceTrainer.updates(models: models, examples: stored)
        #expect(expected.count >= 4, "the volume trigger fires every 1,500 training examples")

        let stage = try TrainStage(options: options, logger: quietLogger())
        let run = Task { try await stage.run() }
        let deadline = ContinuousClock.now + .seconds(90)
        while stage.updatesPublished.count < expected.count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(stage.updatesPublished == expected, "published \(stage.updatesPublished.map(\.version)) vs \(expected.map(\.version))")

        // Every published version is on disk and in the catalog, with the checksum the event names.
        for u in expected {
            let row = try stage.catalog.version(model: "ctr", version: u.version)
            #expect(row?.decision == u.decision && row?.sha256 == u.checkpoint?.sha256)
            if let path = row?.checkpointPath, let sha = row?.sha256 { #expect(throws: Never.self) { _ = try ModelStore.loadArtifact(path: path, sha256: sha) } }
        }

        // Manual retrain (sent twice: acts once), a rollback, and two commands that cannot act.
        let at = EventTime(milliseconds: events.last!.predictionTime.milliseconds)
        let retrain = ModelCommand(commandID: "c-1", model: "ctr", action: .retrain, reason: "test", requestedAt: at)
        let rollback = ModelCommand(commandID: "c-2", model: "ctr", action: .rollback, toVersion: "v1", requestedAt: at)
        let unknown = ModelCommand(commandID: "c-3", model: "nope", action: .retrain, requestedAt: at)
        let missing = ModelCommand(commandID: "c-4", model: "ctr", action: .rollback, toVersion: "v99", requestedAt: at)
        try await producer.sendAll([retrain, retrain, rollback, unknown, missing].map {
            KafkaOutgoingMessage(topic: commands, key: Array($0.model.utf8), value: $0.encoded())
        })
        let commandDeadline = ContinuousClock.now + .seconds(60)
        while stage.updatesPublished.count < expected.count + 2 && ContinuousClock.now < commandDeadline { try await Task.sleep(for: .milliseconds(100)) }
        try await Task.sleep(for: .milliseconds(500))
        let after = Array(stage.updatesPublished.dropFirst(expected.count))
        #expect(after.map(\.trigger.kind) == ["manual", "manual"], "\(after.map { "\($0.version) \($0.kind) \($0.trigger.kind)" })")
        #expect(after.last?.kind == .rollback && after.last?.reason == "restores v1")
        let v1 = try #require(expected.first)
        #expect(after.last?.parameters == v1.parameters, "the rollback republishes v1's parameters")
        #expect(try stage.catalog.champion(model: "ctr")?.version == after.last?.version)
        run.cancel()
        try await run.value

        // A restart resumes from the checkpoint: nothing more to publish.
        let again = try TrainStage(options: options, logger: quietLogger())
        let rerun = Task { try await again.run() }
        try await Task.sleep(for: .seconds(6))
        rerun.cancel()
        try await rerun.value
        #expect(again.updatesPublished.isEmpty, "restarted stage published \(again.updatesPublished.map(\.version))")

        // What reached the topic, and what went to dead-letter.
        let updateReader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try updateReader.assign([TopicPartitionOffset(topic: updates, partition: 0, offset: -2)])
        let onTopic = await ConsumerDrain.messages(from: updateReader, count: expected.count + 2).compactMap { try? ModelUpdateEvent.decode($0.value) }
        await updateReader.close()
        #expect(onTopic == expected + after)
        let letterReader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: SharedBroker.client()), logger: quietLogger())
        try letterReader.assign([TopicPartitionOffset(topic: dead, partition: 0, offset: -2)])
        let letters = await ConsumerDrain.messages(from: letterReader, count: 3)
        await letterReader.close()
        let reasons = letters.map { $0.headers.first { $0.key == DeadLetter.reasonHeader }.flatMap { $0.value }.map { String(decoding: $0, as: UTF8.self) } ?? "" }
        #expect(letters.count == 3, "\(reasons)")
        #expect(reasons.contains { $0.contains("not trained by this stage") })
        #expect(reasons.contains { $0.contains("cannot load ctr v99") })
        #expect(letters.allSatisfy { $0.headers.first { $0.key == DeadLetter.stageHeader }.flatMap { $0.value } == Array("train".utf8) })
        try await producer.close()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
