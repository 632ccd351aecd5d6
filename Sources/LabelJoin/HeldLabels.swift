internal import Events
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The labels a join operator holds for predictions still to come: every label waits `B + g` on the predictions
/// clock (README, "Semantics": a later prediction with the same request id, for another model or at another time,
/// must still find it), so this structure churns at the label rate.
///
/// ## Layout
/// A log in arrival order: fixed-size records without references (`Record`), the request ids' bytes one after
/// another in a byte arena, string label values (rare) aside by the label's sequence number. A label is held by
/// appending to both, placing its position in a hash index and its expiry in a timer queue; it expires by being
/// marked dead (its index slot is forgotten, not looked up: `HashSlots.forget()`), so neither holding nor expiring
/// counts a reference or reads another record (beyond appending, which grows the arrays now and then, and string
/// values, which are rare). Dead records stay until the index needs a rebuild; then the log is compacted in place
/// (live records slide down in order, their request ids with them) and the index and timers are rebuilt from it:
/// positions change only there, so a position the index hands out is never reused before the slot leading to it
/// is gone.
///
/// Positions are in arrival order (compaction keeps the order), records are read at expiry nearly in sequence.
///
/// Not thread-safe; owned by one operator.
struct HeldLabels {
    /// The `model` of a label that names no model (it may match any).
    static let anyModel: UInt16 = .max

    /// How a held label's value is stored in `Record.valueBits`.
    enum ValueKind: UInt8 {
        /// `Double.bitPattern`.
        case number = 0
        /// 0 or 1.
        case bool = 1
        /// In `strings`, under the label's sequence number.
        case string = 2
    }

    /// One held label. No references: appending, reading and dropping one is copying bytes.
    struct Record {
        /// `StableHash` of the request id's UTF-8 bytes.
        var hash: UInt64
        /// Event time (ms, guarded).
        var time: Int64
        /// The labels clock just before this label arrived (ms).
        var clockBefore: Int64
        /// The label's arrival number on the labels input.
        var sequence: UInt64
        var fingerprint: UInt64
        var valueBits: UInt64
        /// When it expires, on the predictions clock (ms): time + B + g.
        var expiry: Int64
        /// The request id: `requestIDLength` bytes at this offset of `requestIDs`.
        var requestIDOffset: UInt32
        var requestIDLength: UInt32
        /// The model it names, or `HeldLabels.anyModel`.
        var model: UInt16
        var valueKind: ValueKind
        /// `liveFlag` while held; `attributedFlag` once it matched a prediction.
        var flags: UInt8

        static let liveFlag: UInt8 = 1
        static let attributedFlag: UInt8 = 2

        var isLive: Bool { flags & Self.liveFlag != 0 }
        var isAttributed: Bool { flags & Self.attributedFlag != 0 }
    }

    private(set) var records: [Record] = []
    private var requestIDs = ByteArena()
    private var strings: [UInt64: String] = [:]
    /// Sparse (4 slots per member after a rebuild): a rebuild compacts the log, so this also sets how long dead
    /// records wait (until about 1.8 times as many labels as are held have been held since the last one).
    private var index = HashSlots(slotsPerMember: 4)
    private var timers = TimerQueue()
    /// Labels held.
    private(set) var count = 0
    /// Bytes charged for the held labels against the operator's memory bound (`chargedBytes(requestIDBytes:)` each).
    private(set) var chargedBytes = 0
    /// How many times the log was compacted (observability and tests).
    private(set) var compactions = 0

    /// The bytes charged for one held label: its record, its request id, and 18 bytes for its index slots (6–16
    /// bytes at the index's load of 0.25–0.7) and its timer (4 bytes).
    static func chargedBytes(requestIDBytes: Int) -> Int { MemoryLayout<Record>.stride + 18 + requestIDBytes }

    /// Bytes allocated, for memory reports.
    var memoryBytes: Int {
        records.capacity * MemoryLayout<Record>.stride + requestIDs.capacity + index.memoryBytes + timers.memoryBytes
    }

    // MARK: Holding and expiring

    /// Holds a label until the predictions clock reaches `expiry`; returns its position.
    @discardableResult
    mutating func hold(requestID rid: UnsafeBufferPointer<UInt8>, hash: UInt64, time: Int64, clockBefore: Int64, sequence: UInt64,
                       fingerprint: UInt64, value: LabelValue, model: UInt16, attributed: Bool, expiry: Int64) -> Int32 {
        if index.needsRebuild(for: Int32(truncatingIfNeeded: records.count)) { compact() }  // rare
        let kind: ValueKind, bits: UInt64
        switch value {
        case .number(let v): (kind, bits) = (.number, v.bitPattern)
        case .bool(let b): (kind, bits) = (.bool, b ? 1 : 0)
        case .string(let s):
            (kind, bits) = (.string, 0)
            strings[sequence] = s
        }
        let offset = requestIDs.count
        precondition(offset <= Int(UInt32.max) - rid.count, "the held labels' request ids passed 4 GiB")
        requestIDs.append(contentsOf: rid)
        let p = Int32(records.count)
        records.append(Record(hash: hash, time: time, clockBefore: clockBefore, sequence: sequence, fingerprint: fingerprint,
                              valueBits: bits, expiry: expiry, requestIDOffset: UInt32(offset), requestIDLength: UInt32(rid.count),
                              model: model, valueKind: kind,
                              flags: Record.liveFlag | (attributed ? Record.attributedFlag : 0)))
        index.place(p, hash: StableHash.indexKey(hash))
        timers.push(expiry, p)
        count += 1
        chargedBytes += Self.chargedBytes(requestIDBytes: rid.count)
        return p
    }

    /// Drops every label whose expiry is at or before `clock`; returns how many of them never matched a prediction.
    @inline(__always)
    mutating func expire(through clock: Int64) -> Int {
        var unattributed = 0
        while let next = timers.peek(keyOf: { records[Int($0)].expiry }), next.key <= clock {
            timers.removePeeked(inFIFO: next.inFIFO)
            let i = Int(next.entry), record = records[i]
            records[i].flags = 0
            index.forget()
            count -= 1
            chargedBytes -= Self.chargedBytes(requestIDBytes: Int(record.requestIDLength))
            if !record.isAttributed { unattributed += 1 }
            if record.valueKind == .string { strings[record.sequence] = nil }
        }
        return unattributed
    }

    /// Slides the live records (and their request ids) down to the start of the log, in order, and rebuilds the
    /// index and timers from them.
    private mutating func compact() {
        var live = 0, target = 0
        var moved = requestIDs  // moved out, so the closure below owns it alone
        requestIDs = ByteArena()
        moved.withUnsafeMutableBytes { bytes in
            records.withUnsafeMutableBufferPointer { log in
                for r in log.indices where log[r].isLive {
                    var record = log[r]
                    let from = Int(record.requestIDOffset), n = Int(record.requestIDLength)
                    if from != target { memmove(bytes.baseAddress! + target, bytes.baseAddress! + from, n) }
                    record.requestIDOffset = UInt32(target)
                    target += n
                    log[live] = record
                    live += 1
                }
            }
        }
        moved.removeLast(moved.count - target)
        requestIDs = moved
        records.removeLast(records.count - live)
        let log = records
        index.rebuild(widestEntry: Int32(live)) { add in
            for i in log.indices { add(Int32(i), StableHash.indexKey(log[i].hash)) }
        }
        timers = TimerQueue()
        for i in log.indices { timers.push(log[i].expiry, Int32(i)) }
        compactions += 1
    }

    // MARK: Lookup

    /// Calls `body` with the position of every held label whose request id has the 64-bit hash `hash` (not
    /// necessarily in arrival order; the caller compares request ids).
    @inline(__always)
    func forEach(hash: UInt64, _ body: (Int32) -> Void) {
        index.forEach(hash: StableHash.indexKey(hash)) { p in
            let record = records[Int(p)]
            if record.isLive && record.hash == hash { body(p) }
            return true
        }
    }

    /// The record at `position`.
    @inline(__always)
    subscript(position: Int32) -> Record { records[Int(position)] }

    /// Whether the label at `position` has request id `rid`.
    @inline(__always)
    func requestIDEquals(_ position: Int32, _ rid: UnsafeBufferPointer<UInt8>) -> Bool {
        let record = records[Int(position)]
        guard Int(record.requestIDLength) == rid.count else { return false }
        return rid.isEmpty || requestIDs.withUnsafeBytes { memcmp($0.baseAddress! + Int(record.requestIDOffset), rid.baseAddress!, rid.count) == 0 }
    }

    /// Marks the label at `position` as having matched a prediction.
    @inline(__always)
    mutating func markAttributed(_ position: Int32) {
        records[Int(position)].flags |= Record.attributedFlag
    }

    /// The label value of `record`.
    func value(_ record: Record) -> LabelValue {
        switch record.valueKind {
        case .number: .number(Double(bitPattern: record.valueBits))
        case .bool: .bool(record.valueBits != 0)
        case .string: .string(strings[record.sequence] ?? "")
        }
    }

    /// Calls `body` with every held label in arrival order: its record, request id bytes (valid during the call)
    /// and value.
    func forEachLive(_ body: (Record, UnsafeRawBufferPointer, LabelValue) -> Void) {
        requestIDs.withUnsafeBytes { bytes in
            for record in records where record.isLive {
                let start = Int(record.requestIDOffset)
                body(record, UnsafeRawBufferPointer(rebasing: bytes[start ..< start + Int(record.requestIDLength)]), value(record))
            }
        }
    }
}
