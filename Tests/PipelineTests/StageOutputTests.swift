import Foundation
import Kafka
@testable import Pipeline
import Testing
import TidelineTestKit

/// The order a checkpoint's background save keeps: after every send handed over before it, never blocking the
/// stage, one at a time, failures surfaced. On its own embedded cluster, slowed to a 300 ms round trip so that an
/// acknowledgement cannot arrive before the checks.
@Suite struct StageOutputTests {
    struct SaveFailed: Error {}

    static func slowProducer() throws -> (EmbeddedKafkaCluster, KafkaProducer, String) {
        let cluster = try EmbeddedKafkaCluster(brokers: 1, logger: quietLogger())
        let topic = TestNames.unique("outbox")
        try cluster.createTopic(topic, partitions: 1)
        try cluster.setBrokerRoundTripTime(1, milliseconds: 300)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: SharedBroker.client(cluster)), logger: quietLogger())
        return (cluster, producer, topic)
    }

    static func messages(_ topic: String, _ n: Int) -> [KafkaOutgoingMessage] {
        (0 ..< n).map { KafkaOutgoingMessage(topic: topic, key: "k", value: "m\($0)") }
    }

    @Test(.timeLimit(.minutes(5)))
    func aSaveWaitsForEarlierSendsOnlyAndDoesNotBlockTheStage() async throws {
        let (cluster, producer, topic) = try Self.slowProducer()
        let delivered = DeliveredCount()
        let outbox = StageOutput(producer: producer, maxInFlight: 64) { delivered.add($0.filter(\.isDelivered).count) }
        try await outbox.send(Self.messages(topic, 10))
        let seenBySave = DeliveredCount()
        try await outbox.saveCheckpoint({ seenBySave.add(delivered.value) }, then: {})
        #expect(outbox.isSavingCheckpoint)
        #expect(delivered.value == 0, "saveCheckpoint returned before the sends were acknowledged: it did not block the stage")
        try await outbox.send(Self.messages(topic, 5))  // after the snapshot: the save does not wait for these
        try await outbox.awaitCheckpoint()
        #expect(seenBySave.value == 10, "the save ran once exactly the 10 earlier records were acknowledged")
        #expect(!outbox.isSavingCheckpoint)
        try await outbox.awaitDeliveries()
        #expect(delivered.value == 15)
        try await producer.close()
        _ = cluster
    }

    @Test(.timeLimit(.minutes(5)))
    func savesRunOneAtATimeInOrderAndAFailureIsThrown() async throws {
        let (cluster, producer, topic) = try Self.slowProducer()
        let outbox = StageOutput(producer: producer, maxInFlight: 64)
        let events = LockedList<String>()
        try await outbox.send(Self.messages(topic, 3))
        try await outbox.saveCheckpoint({ Thread.sleep(forTimeInterval: 0.2); events.append("save 1") }, then: { events.append("then 1") })
        try await outbox.collectFinishedCheckpoint()  // still running: nothing to collect, no wait
        #expect(outbox.isSavingCheckpoint && events.all.isEmpty)
        try await outbox.saveCheckpoint({ events.append("save 2"); throw SaveFailed() }, then: { events.append("then 2") })
        #expect(events.all == ["save 1", "then 1"], "the second save waited for the first")
        // The failed save is thrown by the stage's next collection once it has finished, and its follow-up never runs.
        // Polled until the save is collected, however long a loaded machine takes; the time limit catches a hang.
        var thrown = false
        while outbox.isSavingCheckpoint {
            do { try await outbox.collectFinishedCheckpoint() } catch is SaveFailed { thrown = true }
            if outbox.isSavingCheckpoint { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(thrown)
        #expect(events.all == ["save 1", "then 1", "save 2"])
        try await producer.close()
        _ = cluster
    }
}
