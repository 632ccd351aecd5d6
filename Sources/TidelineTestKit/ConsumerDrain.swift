public import Kafka
import Foundation

/// Test helpers that read a consumer's events until a condition holds or a deadline passes.
public enum ConsumerDrain {
    /// Collects messages until `count` have arrived or `timeout` passes; returns what arrived. It returns as soon as
    /// the `count`-th arrives, so the default timeout is long: it bounds only a drain whose records never come, and
    /// the whole suite running in parallel on a loaded 2-core machine has delayed records by more than 30 s.
    public static func messages(
        from consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(120),
        onEvent: @escaping @Sendable (KafkaConsumerEvent) async -> Void = { _ in }
    ) async -> [KafkaMessage] {
        let box = Collected()
        let task = Task {
            for await event in consumer.events {
                await onEvent(event)
                if case .messages(let batch) = event {
                    box.append(contentsOf: Array(batch))
                    if box.count >= count { return }
                }
            }
        }
        let deadline = ContinuousClock.now + timeout
        while box.count < count && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        // Wait for the reader to stop: a batch it took from the consumer just before the deadline is kept, not lost.
        task.cancel()
        await task.value
        return box.snapshot()
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [KafkaMessage] = []
        func append(contentsOf more: [KafkaMessage]) { lock.withLock { items += more } }
        var count: Int { lock.withLock { items.count } }
        func snapshot() -> [KafkaMessage] { lock.withLock { items } }
    }
}
