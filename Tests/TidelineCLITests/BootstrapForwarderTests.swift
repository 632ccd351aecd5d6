import Foundation
import Kafka
import Testing
import TidelineTestKit
@testable import TidelineCLI

@Suite struct BootstrapForwarderTests {
    /// A client that knows only the forwarder's port bootstraps, learns the brokers, and round-trips a message.
    @Test func kafkaClientBootstrapsThroughTheForwarder() async throws {
        let cluster = SharedBroker.cluster
        let topic = TestNames.unique("forwarded")
        try cluster.createTopic(topic, partitions: 2)
        let first = cluster.bootstrapServers.split(separator: ",")[0].split(separator: ":")
        let forwarder = try await BootstrapForwarder(listenHost: "127.0.0.1", port: 0, targetHost: String(first[0]), targetPort: Int(first[1])!)
        let client = KafkaClientConfiguration(bootstrapServers: ["127.0.0.1:\(forwarder.port)"], clientID: "via-forwarder")
        let admin = try KafkaAdmin(configuration: client, logger: quietLogger())
        let meta = try await admin.describe(topic: topic)
        #expect(meta.brokers.count == 3)
        #expect(meta.topic(topic)?.partitions.count == 2)
        let producer = try KafkaProducer(configuration: .init(client: client), logger: quietLogger())
        try await producer.sendAll([KafkaOutgoingMessage(topic: topic, key: "k", value: "through the forwarder")])
        let consumer = try KafkaConsumer(configuration: .init(client: client), logger: quietLogger())
        try consumer.assign((0..<2).map { TopicPartitionOffset(topic: topic, partition: $0, offset: KafkaOffset.beginning) })
        let got = await ConsumerDrain.messages(from: consumer, count: 1)
        #expect(got.map { String(decoding: $0.value, as: UTF8.self) } == ["through the forwarder"])
        await consumer.close()
        try await producer.close()
        await forwarder.stop()
    }
}
