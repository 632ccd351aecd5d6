import Foundation
import Kafka
import Testing
import TidelineTestKit

/// What one group member saw: the messages it processed and its assignment events.
final class MemberLog: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [String] = []
    private(set) var assigned: [TopicPartition] = []
    private(set) var revoked: [TopicPartition] = []
    func add(_ more: [String]) { lock.withLock { values += more } }
    func assign(_ p: [TopicPartition]) { lock.withLock { assigned += p } }
    func revoke(_ p: [TopicPartition]) { lock.withLock { revoked += p } }
    var snapshot: (values: [String], assigned: [TopicPartition], revoked: [TopicPartition]) { lock.withLock { (values, assigned, revoked) } }
}

@Suite struct RebalanceTests {
    /// A member that processes each batch, stores its offsets, and commits before a revocation completes.
    func runMember(_ consumer: KafkaConsumer, log: MemberLog) -> Task<Void, Never> {
        Task {
            for await event in consumer.events {
                switch event {
                case .messages(let batch):
                    log.add(batch.map { String(decoding: $0.value, as: UTF8.self) })
                    try? consumer.store(batch.nextOffsets)
                    try? await consumer.commit()
                case .partitionsAssigned(let p): log.assign(p)
                case .partitionsRevoked(let p):
                    log.revoke(p)
                    try? await consumer.commit()
                case .error, .idle, .endOfPartition: break
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(8)))  // about 80 s inside a full CI run, 140 s beside two CPU-bound loops; a hang guard
    func secondMemberJoinsWithNoMessageLostOrSeenTwice() async throws {
        let topic = TestNames.unique("rebalance")
        let group = TestNames.unique("rebalance-group")
        try SharedBroker.cluster.createTopic(topic, partitions: 4)
        let producer = try KafkaProducer(configuration: .init(client: SharedBroker.client()), logger: quietLogger())
        func consumer() throws -> KafkaConsumer {
            var c = KafkaConsumerConfiguration(client: SharedBroker.client(), groupID: group)
            // The mock broker waits up to the session timeout for members to rejoin a rebalance. 6 s was too short
            // once, under a full CI run on 2 cores: the first member, starved of CPU, missed the rejoin, was
            // evicted, and its uncommitted batch was delivered again (2,000 duplicates). 12 s leaves room; an
            // eviction is a different scenario from the cooperative hand-over this test is about.
            c.sessionTimeoutMilliseconds = 12_000
            return try KafkaConsumer(configuration: c, logger: quietLogger())
        }
        let a = try consumer(), logA = MemberLog()
        try a.subscribe(topics: [topic])
        let taskA = runMember(a, log: logA)
        try await producer.sendAll((0..<1000).map { KafkaOutgoingMessage(topic: topic, key: "k\($0)", value: "m\($0)") })
        while logA.snapshot.values.count < 1000 { try await Task.sleep(for: .milliseconds(50)) }

        let b = try consumer(), logB = MemberLog()
        try b.subscribe(topics: [topic])
        let taskB = runMember(b, log: logB)
        while logB.snapshot.assigned.isEmpty || logA.snapshot.revoked.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        // Wait until the group has settled: A and B together hold all four partitions.
        func settled() throws -> Bool {
            let pa = try a.assignment(), pb = try b.assignment()
            return Set(pa).union(pb).count == 4 && !pa.isEmpty && !pb.isEmpty
        }
        // Rounds of 2,000 messages after the hand-over, until one runs with no further rebalance (at most three). On
        // a loaded 2-core CI run a member starved of CPU can miss a heartbeat round and lose its partitions to the
        // other: the likely cause of two CI failures of "the first member processes messages", each with nothing lost
        // or seen twice. Such an eviction is a different scenario from the hand-over this test is about, so that
        // round is reported and the next one checks both members. Losses are checked over all rounds; duplicates
        // over all but such a round, whose messages an evicted member may have processed without committing (at
        // least once, by design: a third CI failure had 509 of them, all from the round that rebalanced again).
        var sent = 1000
        var checkedARound = false
        var reprocessable: [Range<Int>] = []
        func distinctSeen() -> Int { Set(logA.snapshot.values + logB.snapshot.values).count }
        for round in 1 ... 3 {
            while !(try settled()) { try await Task.sleep(for: .milliseconds(50)) }
            let before = (a: logA.snapshot, b: logB.snapshot)
            try await producer.sendAll((sent ..< sent + 2000).map { KafkaOutgoingMessage(topic: topic, key: "k\($0)", value: "m\($0)") })
            sent += 2000
            // Distinct messages, not deliveries: a message delivered twice must not stand in for one not yet delivered.
            // Up to 120 s, then the loss check below reports what is missing: a 30 s bound once ended a round beside
            // two CPU-bound loops before the starved first member had processed its share.
            let deadline = ContinuousClock.now + .seconds(120)
            while distinctSeen() < sent && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let after = (a: logA.snapshot, b: logB.snapshot)
            // A rebalance revokes every member's partitions first, so it shows as a revocation.
            if after.a.revoked.count > before.a.revoked.count || after.b.revoked.count > before.b.revoked.count {
                print("RebalanceTests: round \(round): the group rebalanced again after the hand-over; sending another round")
                reprocessable.append(sent - 2000 ..< sent)
                continue
            }
            #expect(!after.b.values[before.b.values.count...].isEmpty, "after the rebalance the second member processes messages")
            #expect(!after.a.values[before.a.values.count...].isEmpty, "and so does the first")
            checkedARound = true
            break
        }
        #expect(checkedARound, "a round with both members and no further rebalance, within three")
        let all = logA.snapshot.values + logB.snapshot.values
        let missing = Set((0 ..< sent).map { "m\($0)" }).subtracting(all)
        #expect(missing.isEmpty, "no message lost (\(missing.count) of \(sent) missing)")
        var deliveries: [String: Int] = [:]
        for value in all { deliveries[value, default: 0] += 1 }
        let twice = deliveries.filter { $0.value > 1 }.keys.compactMap { Int($0.dropFirst()) }
        let allowed = twice.filter { n in reprocessable.contains { $0.contains(n) } }
        if !allowed.isEmpty { print("RebalanceTests: \(allowed.count) messages of a round that rebalanced again were delivered twice") }
        #expect(twice.count == allowed.count,
                "no message seen twice outside a round that rebalanced again (\(twice.count - allowed.count) of \(sent))")
        await a.close(); await b.close()
        taskA.cancel(); taskB.cancel()
        try await producer.close()
    }
}
