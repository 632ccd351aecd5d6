import Kafka
import Testing
import TidelineTestKit

@Suite struct SmokeTests {
    @Test func roundTripWithAssign() async throws {
        let cluster = SharedBroker.cluster
        let topic = TestNames.unique("smoke")
        try cluster.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        let messages = (0..<1000).map { KafkaOutgoingMessage(topic: topic, key: "k\($0)", value: "v\($0)") }
        let reports = await producer.send(messages)
        #expect(reports.allSatisfy { $0.isDelivered })
        let consumer = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try consumer.assign((0..<3).map { TopicPartitionOffset(topic: topic, partition: $0, offset: KafkaOffset.beginning) })
        let got = await ConsumerDrain.messages(from: consumer, count: 1000, timeout: .seconds(10))
        #expect(got.count == 1000)
        await consumer.close()
        try await producer.close()
    }
}
