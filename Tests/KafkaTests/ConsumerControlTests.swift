import Foundation
import Kafka
import Testing
import TidelineTestKit

@Suite struct ConsumerControlTests {
    @Test(.timeLimit(.minutes(5)))
    func pauseStopsAPartitionResumeContinuesItAndSeekRereads() async throws {
        let topic = TestNames.unique("control")
        try SharedBroker.cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        let p0 = TopicPartition(topic: topic, partition: 0), p1 = TopicPartition(topic: topic, partition: 1)
        try await producer.sendAll((0..<20).map { KafkaOutgoingMessage(topic: topic, key: nil, value: Array("a\($0)".utf8), partition: 0) })
        let consumer = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try consumer.assign([TopicPartitionOffset(p0, offset: KafkaOffset.beginning), TopicPartitionOffset(p1, offset: KafkaOffset.beginning)])
        var iterator = consumer.events.makeAsyncIterator()
        func take(_ n: Int) async -> [KafkaMessage] {
            var got: [KafkaMessage] = []
            while got.count < n, let event = await iterator.next() {
                if case .messages(let batch) = event { got += batch }
            }
            return got
        }
        #expect(await take(20).count == 20)
        // Pause partition 0; records produced to both partitions arrive only from partition 1.
        try consumer.pause([p0])
        try await producer.sendAll((0..<5).map { KafkaOutgoingMessage(topic: topic, key: nil, value: Array("b\($0)".utf8), partition: 0) })
        try await producer.sendAll((0..<5).map { KafkaOutgoingMessage(topic: topic, key: nil, value: Array("c\($0)".utf8), partition: 1) })
        let whilePaused = await take(5)
        #expect(whilePaused.allSatisfy { $0.partition == 1 })
        try await Task.sleep(for: .milliseconds(300))
        try consumer.resume([p0])
        let afterResume = await take(5)
        #expect(afterResume.map { String(decoding: $0.value, as: UTF8.self) } == (0..<5).map { "b\($0)" })
        // Seek partition 0 back to offset 18: the last records are delivered again.
        try await consumer.seek([TopicPartitionOffset(p0, offset: 18)])
        let reread = await take(7)
        #expect(reread.map(\.offset) == Array(18..<25))
        await consumer.close()
        try await producer.close()
    }
}

@Suite struct AdminTests {
    /// A consumer released without `close()` (assigned, and subscribed to a group) must not block the thread
    /// that releases it: destroy skips librdkafka's implicit consumer close (the poll thread already left the group).
    @Test(.timeLimit(.minutes(5)))
    func releasingConsumersWithoutCloseDoesNotBlock() async throws {
        let topic = TestNames.unique("release")
        try SharedBroker.cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try await producer.sendAll((0..<10).map { KafkaOutgoingMessage(topic: topic, key: nil, value: Array("r\($0)".utf8), partition: 0) })
        try await producer.close()
        var assigned: KafkaConsumer? = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try assigned!.assign([TopicPartitionOffset(TopicPartition(topic: topic, partition: 0), offset: KafkaOffset.beginning)])
        #expect(await ConsumerDrain.messages(from: assigned!, count: 10).count == 10)
        var subscribed: KafkaConsumer? = try KafkaConsumer(
            configuration: .init(client: SharedBroker.client(), groupID: TestNames.unique("release-group")), logger: quietLogger())
        try subscribed!.subscribe(topics: [topic])
        #expect(await ConsumerDrain.messages(from: subscribed!, count: 10).count == 10)
        let start = ContinuousClock.now
        assigned = nil
        subscribed = nil
        #expect(ContinuousClock.now - start < .seconds(15), "releasing took \(ContinuousClock.now - start)")
    }

    @Test func coPartitioningIsCheckedAndExplained() async throws {
        let a = TestNames.unique("preds"), b = TestNames.unique("labels"), c = TestNames.unique("other")
        try SharedBroker.cluster.createTopic(a, partitions: 6)
        try SharedBroker.cluster.createTopic(b, partitions: 6)
        try SharedBroker.cluster.createTopic(c, partitions: 4)
        let admin = try KafkaAdmin(configuration: SharedBroker.client(), logger: quietLogger())
        #expect(try await admin.coPartitioningProblem([a, b]) == nil)
        let mismatch = try await admin.coPartitioningProblem([a, c])
        #expect(mismatch?.contains("not co-partitioned") == true)
        #expect(mismatch?.contains("\(a) has 6") == true && mismatch?.contains("\(c) has 4") == true)
        let missing = try await admin.coPartitioningProblem([a, "no-such-topic-\(UUID())"])
        #expect(missing?.contains("does not exist") == true)
        let meta = try await admin.describe(topic: a)
        #expect(meta.topic(a)?.partitions.map(\.id) == Array(0..<6))
        #expect(meta.brokers.count == 3)
    }
}

@Suite struct ClientLifetimeTests {
    /// A client dropped without `close()` is released: its poll thread lets go of it and stops.
    @Test(.timeLimit(.minutes(5)))
    func droppedClientsAreReleased() async throws {
        let topic = TestNames.unique("lifetime")
        try SharedBroker.cluster.createTopic(topic, partitions: 1)
        weak var weakConsumer: KafkaConsumer?
        weak var weakProducer: KafkaProducer?
        do {
            let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
            try await producer.sendAll([KafkaOutgoingMessage(topic: topic, key: "k", value: "v")])
            let consumer = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
            try consumer.assign([TopicPartitionOffset(topic: topic, partition: 0, offset: KafkaOffset.beginning)])
            var iterator = consumer.events.makeAsyncIterator()
            _ = await iterator.next()
            weakConsumer = consumer
            weakProducer = producer
        }
        let deadline = ContinuousClock.now + .seconds(60)  // generous: a loaded CI machine delays the poll threads by seconds
        while (weakConsumer != nil || weakProducer != nil) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(weakConsumer == nil, "consumer released")
        #expect(weakProducer == nil, "producer released")
    }
}
