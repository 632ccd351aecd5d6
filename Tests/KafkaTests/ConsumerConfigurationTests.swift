import Testing
@testable import Kafka

/// The consumer's librdkafka properties: Tideline's defaults, and the user's `properties` overriding them.
@Suite struct ConsumerConfigurationTests {
    static func last(_ name: String, in properties: [(String, String)]) -> String? { properties.last { $0.0 == name }?.1 }

    @Test func prefetchDefaultKeepsEveryPartitionFetchingThroughABacklog() {
        let config = KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: ["b:9092"], clientID: "t"))
        #expect(Self.last("queued.min.messages", in: config.nativeProperties()) == "1000000")
        #expect(Self.last("enable.auto.offset.store", in: config.nativeProperties()) == "false")
    }

    @Test func userPropertiesOverrideTheDefaults() {
        var client = KafkaClientConfiguration(bootstrapServers: ["b:9092"], clientID: "t")
        client.properties["queued.min.messages"] = "5000"
        var config = KafkaConsumerConfiguration(client: client)
        #expect(Self.last("queued.min.messages", in: config.nativeProperties()) == "5000")
        config.client.properties = [:]
        config.prefetchMessages = 250_000
        #expect(Self.last("queued.min.messages", in: config.nativeProperties()) == "250000")
    }
}
