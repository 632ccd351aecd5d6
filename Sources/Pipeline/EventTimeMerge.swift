/// Merges records from several partitions into one order that depends only on what the partitions hold, not on
/// when the consumer fetched them: the next record is always the smallest by (event time, partition, offset) among
/// the partitions' heads, and a record is released only once every assigned partition either has a head or has
/// been read to its end (or declared idle). A trainer fed in this order makes the same model versions on every run,
/// replay and restart over the same input.
///
/// Pure and single-threaded: the caller owns it and feeds it from its consumer loop.
public struct EventTimeMerge<Element> {
    public struct Entry {
        public var element: Element
        public var time: Int64
        public var partition: Int32
        public var offset: Int64
    }

    private var queues: [Int32: Queue] = [:]
    /// Partitions read to their end (or idle): the merge does not wait for them until they deliver again.
    private var exhausted: Set<Int32> = []

    /// A FIFO over an array with a moving head (compacted when half is consumed).
    struct Queue {
        var items: [Entry] = []
        var head = 0
        var count: Int { items.count - head }
        var first: Entry? { head < items.count ? items[head] : nil }
        mutating func append(_ e: Entry) { items.append(e) }
        mutating func removeFirst() -> Entry {
            let e = items[head]
            head += 1
            if head > 1024 && head * 2 > items.count { items.removeFirst(head); head = 0 }
            return e
        }
    }

    public init() {}

    /// Records held back waiting for another partition.
    public var buffered: Int { queues.values.reduce(0) { $0 + $1.count } }
    public var assigned: [Int32] { queues.keys.sorted() }

    /// Starts waiting for `partitions` (their records held back until they deliver or end).
    public mutating func assign(_ partitions: [Int32]) {
        for p in partitions where queues[p] == nil { queues[p] = Queue() }
    }

    /// Forgets `partitions` and the records buffered for them (they will be read again by their next owner).
    public mutating func unassign(_ partitions: [Int32]) {
        for p in partitions { queues[p] = nil; exhausted.remove(p) }
    }

    /// Adds a record. Records of one partition must arrive in offset order.
    public mutating func push(_ element: Element, time: Int64, partition: Int32, offset: Int64) {
        queues[partition, default: Queue()].append(Entry(element: element, time: time, partition: partition, offset: offset))
        exhausted.remove(partition)
    }

    /// The partition has nothing more for now (end of partition, or idle): stop waiting for it.
    public mutating func markExhausted(_ partition: Int32) {
        if queues[partition] != nil { exhausted.insert(partition) }
    }

    /// The offset of the oldest record still buffered for `partition`, if any: where a restart must resume.
    public func firstBufferedOffset(_ partition: Int32) -> Int64? { queues[partition]?.first?.offset }

    /// Releases records in merge order while no assigned partition is still expected to deliver one before them.
    public mutating func popReady(into out: inout [Entry]) {
        while true {
            var best: Entry?
            for (p, q) in queues {
                guard let head = q.first else {
                    if exhausted.contains(p) { continue }
                    return  // waiting for this partition
                }
                if let b = best, (b.time, b.partition, b.offset) <= (head.time, head.partition, head.offset) { continue }
                best = head
            }
            guard let next = best else { return }
            out.append(queues[next.partition]!.removeFirst())
        }
    }
}
