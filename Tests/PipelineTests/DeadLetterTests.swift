import Events
import Foundation
import Kafka
import Pipeline
import Testing
import TidelineTestKit

@Suite struct DeadLetterTests {
    /// A stage reading predictions decodes the good ones and routes every bad one to dead-letter with its error
    /// and source in headers and its bytes unchanged; nothing is lost.
    @Test func malformedEventsReachDeadLetterWithErrorHeaders() async throws {
        let cluster = SharedBroker.cluster
        let input = TestNames.unique("predictions"), dlq = TestNames.unique("dead-letter")
        try cluster.createTopic(input, partitions: 2)
        try cluster.createTopic(dlq, partitions: 1)
        var traffic = SyntheticTraffic(seed: 1)
        var values: [[UInt8]] = (0..<200).map { _ in traffic.next().prediction.encoded() }
        let bad: [(Int, [UInt8])] = [
            (10, Array("not json".utf8)),
            (50, Array(#"{"request_id":"r","model":"m","model_version":"1","timestamp":"soon","features":{},"prediction":0.1}"#.utf8)),
            (120, [0xFF, 0xFE, 0x00]),
            (199, Array(#"{"request_id":"r","model":"m","model_version":"1","timestamp":0,"features":{"a":[1]},"prediction":0.1}"#.utf8)),
        ]
        for (i, b) in bad { values[i] = b }
        let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try await producer.sendAll(values.enumerated().map { KafkaOutgoingMessage(topic: input, key: Array("key-\($0.offset)".utf8), value: $0.element) })

        let consumer = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try consumer.assign((0..<2).map { TopicPartitionOffset(topic: input, partition: $0, offset: KafkaOffset.beginning) })
        let decoder = EventDecoder<PredictionEvent>(stage: "test-stage", deadLetterTopic: dlq)
        var good = 0, routed = 0
        for await event in consumer.events {
            guard case .messages(let batch) = event else { continue }
            let out = decoder.decode(batch)
            good += out.events.count
            routed += out.deadLetters.count
            try await producer.sendAll(out.deadLetters)
            if good + routed >= 200 { break }
        }
        await consumer.close()
        #expect(good == 196)
        #expect(routed == 4)

        let reader = try KafkaConsumer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        try reader.assign([TopicPartitionOffset(topic: dlq, partition: 0, offset: KafkaOffset.beginning)])
        let letters = await ConsumerDrain.messages(from: reader, count: 4)
        await reader.close()
        #expect(letters.count == 4)
        let badValues = Set(bad.map(\.1))
        for letter in letters {
            #expect(badValues.contains(Array(letter.value)), "original bytes unchanged")
            let key = letter.key.map { String(decoding: $0, as: UTF8.self) }
            let index = Int(key!.dropFirst(4))!
            #expect(bad.map(\.0).contains(index), "original key kept")
            #expect(letter.header(DeadLetter.stageHeader)?.stringValue == "test-stage")
            #expect(letter.header(DeadLetter.sourceTopicHeader)?.stringValue == input)
            #expect(letter.header(DeadLetter.sourceOffsetHeader)?.stringValue.flatMap { Int64($0) } != nil)
            #expect(letter.header(DeadLetter.reasonHeader)?.stringValue?.hasPrefix("invalid prediction event") == true)
        }
        let fields = Set(letters.compactMap { $0.header(DeadLetter.fieldHeader)?.stringValue })
        #expect(fields == ["timestamp", "features.a"])
        try await producer.close()
    }
}

@Suite struct SyntheticTrafficTests {
    @Test func sameSeedSameEventsAndAllValid() throws {
        var a = SyntheticTraffic(seed: 9), b = SyntheticTraffic(seed: 9), c = SyntheticTraffic(seed: 10)
        var differs = false
        for _ in 0..<1000 {
            let (pa, la) = a.next(), (pb, lb) = b.next(), (pc, _) = c.next()
            #expect(pa == pb && la == lb)
            if pa != pc { differs = true }
            #expect(try PredictionEvent.decode(pa.encoded()) == pa)
            if let la { #expect(la.timestamp >= pa.timestamp) }
        }
        #expect(differs)
    }
}
