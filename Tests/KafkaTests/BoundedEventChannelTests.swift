import Foundation
import Testing
@testable import Kafka

@Suite struct BoundedEventChannelTests {
    @Test func sendBlocksWhileFullAndResumesWhenTheReaderTakes() async throws {
        let channel = BoundedEventChannel<Int>(capacity: 2)
        let sent = SentCount()
        let sender = Thread {
            for i in 0..<5 { channel.send(i); sent.increment() }
        }
        sender.start()
        // Waits (however long a loaded machine takes to start the thread) for the two sends that fit, then gives
        // the third time to get through if it wrongly could.
        let deadline = ContinuousClock.now + .seconds(60)
        while sent.value < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(sent.value == 2, "the third send waits for room")
        var got: [Int] = []
        for _ in 0..<5 { if let v = await channel.next() { got.append(v) } }
        #expect(got == [0, 1, 2, 3, 4])
        while sent.value < 5 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sent.value == 5)
    }

    /// No wall-clock bound of its own but the time limit: with the whole suite running in parallel on a loaded
    /// 2-core machine, this test's awaits have waited over a minute for a thread (a 60 s acknowledgement wait
    /// timed out that way).
    @Test(.timeLimit(.minutes(5))) func acknowledgementWaitsForTheReaderToAskAgain() async throws {
        let channel = BoundedEventChannel<String>(capacity: 4)
        channel.send("batch")
        channel.send("revoked")
        let acked = SentCount()
        let waiter = Thread {
            if channel.waitUntilAcknowledged(timeout: 3_600) { acked.increment() }  // a hang guard only
        }
        waiter.start()
        #expect(await channel.next() == "batch")
        #expect(await channel.next() == "revoked")
        try await Task.sleep(for: .milliseconds(150))
        #expect(acked.value == 0, "taking the revocation is not yet handling it")
        let next = Task { await channel.next() }  // asking for more acknowledges everything before
        while acked.value == 0 { try await Task.sleep(for: .milliseconds(10)) }  // a missing acknowledgement hits the time limit
        #expect(acked.value == 1)
        channel.finish()
        #expect(await next.value == nil)
    }

    @Test func acknowledgementTimesOutWhenNobodyReads() {
        let channel = BoundedEventChannel<Int>(capacity: 1)
        channel.send(1)
        #expect(channel.waitUntilAcknowledged(timeout: 0.1) == false)
    }

    @Test func finishDeliversWhatIsBufferedThenEnds() async {
        let channel = BoundedEventChannel<Int>(capacity: 3)
        channel.send(1)
        channel.send(2)
        channel.finish()
        #expect(channel.send(3) == false)
        #expect(await channel.next() == 1)
        #expect(await channel.next() == 2)
        #expect(await channel.next() == nil)
    }

    /// A reader cancelled while it waits ends with nil and takes nothing: the next element goes to the next reader
    /// (before the fix, an abandoned waiter swallowed it — a test drain lost an alert that way).
    @Test(.timeLimit(.minutes(5))) func cancelledWaiterDoesNotSwallowTheNextElement() async {
        let channel = BoundedEventChannel<Int>(capacity: 3)
        let abandoned = Task { await channel.next() }
        try? await Task.sleep(for: .milliseconds(100))  // let it start waiting
        abandoned.cancel()
        #expect(await abandoned.value == nil)
        Thread.detachNewThread { channel.send(42) }
        #expect(await channel.next() == 42)
    }
}

final class SentCount: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
